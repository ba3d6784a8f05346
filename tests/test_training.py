"""The training loops: prefixes, divergence, early stopping, and numpy-only imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from backprop_lab.core.network import NetSpec, flatten_params, init_params
from backprop_lab.core.numpy_engine import NumpyEngine
from backprop_lab.core.torch_engine import TorchEngine
from backprop_lab.core.training import train_gd, train_sgd

LAB_WEIGHTS = [0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8]
ENGINES = [NumpyEngine, TorchEngine]
NORMAL = {"kind": "normal", "std": 1.0}


def lab(S: int = 1, act: str = "sigmoid"):
    spec = NetSpec((2, 2, 2), (act, act), False, "half_sse")
    params = init_params(spec, {"kind": "specified", "values": LAB_WEIGHTS}, list(range(S)))
    x = np.tile([[[0.5, 0.3]]], (S, 1, 1))
    y = np.tile([[[0.23, -0.07]]], (S, 1, 1))
    return spec, params, x, y


def toy(S: int, n: int = 20):
    rng = np.random.default_rng(11)
    X = rng.uniform(0, 1, (n, 2))
    Y = (X[:, :1] > X[:, 1:]).astype(float)
    return np.tile(X, (S, 1, 1)), np.tile(Y, (S, 1, 1))


def sgd_spec(act: str = "sigmoid") -> NetSpec:
    return NetSpec((2, 6, 1), (act, "identity"), True, "mse")


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_a_shorter_run_is_a_prefix_of_a_longer_one(engine_cls):
    spec, params, x, y = lab()
    runs = {
        n: train_gd(engine_cls(spec, params), x, y, 1.0, n, [10, 100, 1000])
        for n in (10, 100, 1000)
    }
    for short, long in ((10, 100), (100, 1000), (10, 1000)):
        assert runs[long]["loss"][0][:short] == runs[short]["loss"][0]
        assert runs[long]["weights"][0][:short] == runs[short]["weights"][0]
    assert [c["round"] for c in runs[10]["checkpoints"]] == [1, 10]
    assert [c["round"] for c in runs[1000]["checkpoints"]] == [1, 10, 100, 1000]
    assert runs[1000]["checkpoints"][1] == runs[10]["checkpoints"][1]
    # the checkpoint holds round 10's weights after its update, and round 10's loss
    assert runs[1000]["checkpoints"][1]["weights"][0] == runs[1000]["weights"][0][9]
    assert runs[1000]["checkpoints"][1]["loss"][0] == runs[1000]["loss"][0][9]
    assert runs[1000]["final_loss"][0] == runs[1000]["loss"][0][-1]
    assert runs[1000]["loss"][0][-1] < runs[1000]["loss"][0][0]
    assert runs[1000]["seconds"] > 0
    assert runs[1000]["seconds_per_round"] == pytest.approx(runs[1000]["seconds"] / 1000)
    json.dumps(runs[1000], allow_nan=False)

    X, Y = toy(1)
    sgd = {
        n: train_sgd(
            engine_cls(sgd_spec(), init_params(sgd_spec(), NORMAL, [0])), X, Y, 0.1, n, None
        )
        for n in (5, 20)
    }
    assert sgd[20]["loss"][0][:5] == sgd[5]["loss"][0]
    assert sgd[5]["stop_reason"] == ["max_epochs"] and sgd[5]["epochs_run"] == [5]


def test_round_one_checkpoint_is_the_forward_at_the_start_of_round_one():
    spec, params, x, y = lab()
    engine = NumpyEngine(spec, params)
    _, grads, trace = engine.loss_and_grads(x, y)
    cp = train_gd(NumpyEngine(spec, params), x, y, 1.0, 3, [])["checkpoints"]
    assert [c["round"] for c in cp] == [1]
    assert cp[0]["z"][0][0] == trace["z"][0][0].tolist()
    assert cp[0]["a"][0][1] == trace["a"][1][0].tolist()
    assert cp[0]["grads"][0] == flatten_params(grads)[0].tolist()
    expected = np.array(LAB_WEIGHTS) - flatten_params(grads)[0]
    assert cp[0]["weights"][0] == expected.tolist()


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_divergence_is_recorded_not_raised(engine_cls):
    spec, params, x, y = lab(S=2, act="identity")
    # replica 1 starts with every weight ×30: a linear net whose gradient step overshoots
    scale = np.array([1.0, 30.0])[:, None, None]
    params = [(W * scale, None) for W, _ in params]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = train_gd(engine_cls(spec, params), x, y, 1.0, 1000, [10, 100, 1000])
    assert run["diverged"][0] is None
    k = run["diverged"][1]
    assert k is not None and 2 <= k < 20
    loss1 = run["loss"][1]
    assert all(v is not None for v in loss1[: k - 1]) and loss1[k - 1 :] == [None] * (1001 - k)
    assert run["final_loss"][1] == loss1[k - 2] > 1e100
    weights1 = np.array(run["weights"][1])
    assert np.isfinite(weights1).all()
    assert (weights1[k - 1 :] == weights1[k - 2]).all()  # frozen at the last finite weights
    assert run["final_loss"][0] < 1e-20  # the linear net fits the one sample
    json.dumps(run, allow_nan=False)
    # the healthy replica is exactly what it would be alone
    alone = train_gd(
        engine_cls(spec, [(W[:1], None) for W, _ in params]),
        x[:1],
        y[:1],
        1.0,
        1000,
        [10, 100, 1000],
    )
    assert alone["weights"][0] == run["weights"][0]
    assert alone["loss"][0] == run["loss"][0]


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_sgd_divergence_freezes_the_replica_at_its_last_finite_epoch(engine_cls):
    spec = NetSpec((2, 6, 1), ("identity", "identity"), True, "sse")
    params = init_params(spec, NORMAL, [0, 1])
    X, Y = toy(2)
    X = X * np.array([1.0, 40.0])[:, None, None]  # replica 1's inputs make every step explode
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine = engine_cls(spec, params)
        run = train_sgd(engine, X, Y, 0.01, 30, None)
    assert run["stop_reason"] == ["max_epochs", "diverged"]
    k = run["diverged_epoch"][1]
    assert run["epochs_run"] == [30, k]
    assert run["loss"][1][-1] is None and run["loss_epochs"][1][-1] == k
    assert np.isfinite(np.array(run["final_weights"], dtype=float)).all()
    assert np.isfinite(engine.forward(X[:, :3])).all()
    assert flatten_params(engine.get_params()).tolist() == run["final_weights"]
    if k > 1:
        # the frozen weights are those after epoch k − 1: rerun exactly that many epochs
        short = train_sgd(engine_cls(spec, params), X, Y, 0.01, k - 1, None)
        assert short["final_weights"][1] == run["final_weights"][1]
    json.dumps(run, allow_nan=False)


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_early_stopping_records_convergence(engine_cls):
    """The plateau rule stops each replica on a small change, and says "plateau"."""
    spec = sgd_spec()
    seeds = [0, 1, 2]
    X, Y = toy(3)
    tol = 3e-3
    run = train_sgd(engine_cls(spec, init_params(spec, NORMAL, seeds)), X, Y, 0.1, 500, tol)
    assert run["stop_reason"] == ["plateau"] * 3
    for s, seed in enumerate(seeds):
        n = run["epochs_run"][s]
        history = run["loss"][s]
        assert 2 <= n < 500 and len(history) == n and run["loss_epochs"][s] == list(range(1, n + 1))
        steps = np.abs(np.diff(history))
        assert steps[-1] < tol and (steps[:-1] >= tol).all()
        assert run["final_loss"][s] == history[-1]
        # a converged replica stops changing: its weights are those of a solo run of n epochs
        alone = train_sgd(
            engine_cls(spec, init_params(spec, NORMAL, [seed])), X[:1], Y[:1], 0.1, n, None
        )
        assert alone["final_weights"][0] == run["final_weights"][s]
        assert alone["loss"][0] == history
    assert len(set(run["epochs_run"])) > 1  # the seeds stop at different epochs


def test_record_every_keeps_first_every_kth_and_last_epoch():
    spec = sgd_spec()
    X, Y = toy(1)
    run = train_sgd(NumpyEngine(spec, init_params(spec, NORMAL, [0])), X, Y, 0.1, 23, None, 5)
    full = train_sgd(NumpyEngine(spec, init_params(spec, NORMAL, [0])), X, Y, 0.1, 23, None)
    assert run["loss_epochs"][0] == [1, 5, 10, 15, 20, 23]
    assert run["loss"][0] == [full["loss"][0][e - 1] for e in run["loss_epochs"][0]]
    assert run["seconds_per_step"] == pytest.approx(run["seconds"] / (23 * 20))


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_the_fused_per_sample_path_equals_the_general_loop(engine_cls):
    """Mutant: the fused epoch skipping a sample, or the general loop stepping twice. Plain
    per-sample SGD, shuffled, takes the engine's fused epoch; with ``fused=False`` the same
    run takes the one general loop: they agree to round-off, stopping rule included."""
    spec = sgd_spec()
    X, Y = toy(3)
    params = init_params(spec, NORMAL, [0, 1, 2])
    common = dict(shuffle_seeds=[[0, 1], [1, 1], [2, 1]], stop="plateau")
    fast = train_sgd(engine_cls(spec, params), X, Y, 0.1, 40, 1e-4, **common)
    slow = train_sgd(engine_cls(spec, params), X, Y, 0.1, 40, 1e-4, fused=False, **common)
    assert fast["epochs_run"] == slow["epochs_run"]
    assert fast["stop_reason"] == slow["stop_reason"]
    np.testing.assert_allclose(fast["final_weights"], slow["final_weights"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast["final_loss"], slow["final_loss"], rtol=1e-12)
    assert np.abs(np.subtract(fast["final_weights"], flatten_params(params))).max() > 1e-2


@pytest.mark.parametrize("rule", ["momentum", "nesterov", "adam"])
def test_every_update_rule_trains_through_the_one_loop_on_both_engines(rule):
    """Mutant: an engine-specific update, or the loop dropping the rule's state between
    steps (momentum would then be plain SGD). The numpy and torch engines take the same
    rule through the same loop and agree; the rule's run differs from plain SGD's."""
    spec = sgd_spec("tanh")
    X, Y = toy(2)
    params = init_params(spec, NORMAL, [0, 1])
    runs = {
        cls.name: train_sgd(cls(spec, params), X, Y, 0.05, 15, None, rule=rule, batch_size=4)
        for cls in ENGINES
    }
    plain = train_sgd(NumpyEngine(spec, params), X, Y, 0.05, 15, None, batch_size=4)
    a, b = (np.array(runs[name]["final_weights"]) for name in ("numpy", "torch"))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    assert np.abs(a - np.array(plain["final_weights"])).max() > 1e-3


def test_a_schedule_sets_each_steps_rate():
    """Mutant: the schedule counted in epochs instead of steps, or from 1. Linear decay
    (micrograd's) over full-batch rounds: round k steps by lr·(1 − 0.9·k/K), k from 0,
    which a constant-step run reproduces one round at a time."""
    spec, params, x, y = lab()
    decayed = train_gd(NumpyEngine(spec, params), x, y, 2.0, 5, [], schedule="linear")
    engine = NumpyEngine(spec, params)
    for k in range(5):
        train_gd(engine, x, y, 2.0 * (1.0 - 0.9 * k / 5), 1, [])
    assert decayed["weights"][0][-1] == flatten_params(engine.get_params())[0].tolist()


def test_unknown_procedure_choices_name_the_bad_value():
    spec, params, x, y = lab()
    with pytest.raises(ValueError, match="'rmsprop'"):
        train_gd(NumpyEngine(spec, params), x, y, 1.0, 3, [], rule="rmsprop")
    with pytest.raises(ValueError, match="'cosine'"):
        train_gd(NumpyEngine(spec, params), x, y, 1.0, 3, [], schedule="cosine")
    with pytest.raises(ValueError, match="'beta'"):
        train_gd(NumpyEngine(spec, params), x, y, 1.0, 3, [], rule="adam", rule_options={"beta": 1})


def test_numpy_modules_never_import_torch_pandas_or_matplotlib():
    code = (
        "import backprop_lab.core.numpy_engine, backprop_lab.core.training, "
        "backprop_lab.core.gradcheck, "
        "backprop_lab.core.network, backprop_lab.core.functions, sys; "
        "assert not {'torch', 'pandas', 'matplotlib'} & set(sys.modules), "
        "sorted({'torch', 'pandas', 'matplotlib'} & set(sys.modules))"
    )
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
