"""The two engines on the lab's 2-2-2 network, and the replica stack."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_lab.core.network import NetSpec, flatten_params, init_params, param_names
from backprop_lab.core.training import apply_update
from backprop_lab.core.numpy_engine import NumpyEngine
from backprop_lab.core.torch_engine import TorchEngine
from backprop_lab.core.training import train_gd, train_sgd

LAB_WEIGHTS = [0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8]
X1, X2, Y1, Y2 = 0.5, 0.3, 0.23, -0.07


def lab_spec(loss: str = "half_sse", act: str = "sigmoid") -> NetSpec:
    return NetSpec((2, 2, 2), (act, act), False, loss)


def lab_data(S: int = 1) -> tuple[np.ndarray, np.ndarray]:
    x = np.tile(np.array([[[X1, X2]]]), (S, 1, 1))
    y = np.tile(np.array([[[Y1, Y2]]]), (S, 1, 1))
    return x, y


def lab_params(spec: NetSpec, S: int = 1):
    return init_params(spec, {"kind": "specified", "values": LAB_WEIGHTS}, list(range(S)))


def sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def test_specified_layout_matches_the_catalogue():
    (W1, b1), (W2, b2) = lab_params(lab_spec())
    assert b1 is None and b2 is None
    assert W1.tolist() == [[[0.2, -0.4], [0.5, 0.6]]]
    assert W2.tolist() == [[[0.1, -0.5], [-0.3, 0.8]]]
    assert flatten_params([(W1, b1), (W2, b2)]).tolist() == [LAB_WEIGHTS]
    assert param_names(lab_spec()) == [f"w{k}" for k in range(1, 9)]
    with pytest.raises(ValueError, match="needs 8 values"):
        init_params(lab_spec(), {"kind": "specified", "values": LAB_WEIGHTS[:7]}, [0])


@pytest.mark.parametrize("engine_cls", [NumpyEngine, TorchEngine])
def test_round_one_by_hand(engine_cls):
    spec = lab_spec()
    x, y = lab_data()
    loss, grads, trace = engine_cls(spec, lab_params(spec)).loss_and_grads(x, y)
    w1, w2, w3, w4, w5, w6, w7, w8 = LAB_WEIGHTS
    in_h1, in_h2 = w1 * X1 + w3 * X2, w2 * X1 + w4 * X2
    h1, h2 = sig(in_h1), sig(in_h2)
    in_o1, in_o2 = w5 * h1 + w7 * h2, w6 * h1 + w8 * h2
    o1, o2 = sig(in_o1), sig(in_o2)
    L = 0.5 * (o1 - Y1) ** 2 + 0.5 * (o2 - Y2) ** 2
    assert trace["z"][0][0, 0, 0] == 0.25  # 0.2·0.5 + 0.5·0.3
    assert trace["z"][0][0, 0, 1] == pytest.approx(-0.02, rel=1e-14)  # −0.4·0.5 + 0.6·0.3
    np.testing.assert_allclose(trace["a"][0][0, 0], [h1, h2], rtol=1e-15)
    np.testing.assert_allclose(trace["z"][1][0, 0], [in_o1, in_o2], rtol=1e-15)
    np.testing.assert_allclose(trace["a"][1][0, 0], [o1, o2], rtol=1e-15)
    assert loss[0] == pytest.approx(L, rel=1e-15)
    # the chain rule, written out as the lab did
    d_o1 = (o1 - Y1) * o1 * (1 - o1)
    d_o2 = (o2 - Y2) * o2 * (1 - o2)
    d_h1 = (d_o1 * w5 + d_o2 * w6) * h1 * (1 - h1)
    d_h2 = (d_o1 * w7 + d_o2 * w8) * h2 * (1 - h2)
    expected = [
        d_h1 * X1,  # ∂L/∂w1
        d_h2 * X1,  # ∂L/∂w2
        d_h1 * X2,  # ∂L/∂w3
        d_h2 * X2,  # ∂L/∂w4
        d_o1 * h1,  # ∂L/∂w5
        d_o2 * h1,  # ∂L/∂w6
        d_o1 * h2,  # ∂L/∂w7
        d_o2 * h2,  # ∂L/∂w8
    ]
    np.testing.assert_allclose(flatten_params(grads)[0], expected, rtol=1e-13)
    # o2 lives in (0, 1), so the target −0.07 pushes it down but it stays positive
    assert o2 > 0 > Y2


def run_gd(engine, rounds=1000, step=1.0):
    x, y = lab_data(engine.get_params()[0][0].shape[0])
    return train_gd(engine, x, y, step, rounds, [10, 100, 1000])


def test_numpy_and_torch_trajectories_agree_over_1000_rounds():
    spec = lab_spec()
    a = run_gd(NumpyEngine(spec, lab_params(spec)))
    b = run_gd(TorchEngine(spec, lab_params(spec)))
    wa, wb = np.array(a["weights"]), np.array(b["weights"])
    assert wa.shape == (1, 1000, 8)
    assert np.abs(wa - wb).max() < 1e-10
    assert np.abs(np.array(a["loss"]) - np.array(b["loss"])).max() < 1e-12
    # the weights move, and the loss falls but cannot reach 0 (o2 > 0 > y2)
    assert np.abs(wa[0, -1] - LAB_WEIGHTS).max() > 0.1
    assert a["loss"][0][-1] < a["loss"][0][0] / 2
    assert a["loss"][0][-1] > 0.5 * Y2**2


def test_hand_and_builtin_sigmoid_agree():
    spec = lab_spec()
    a = run_gd(TorchEngine(spec, lab_params(spec), sigmoid_impl="builtin"))
    b = run_gd(TorchEngine(spec, lab_params(spec), sigmoid_impl="hand"))
    assert np.abs(np.array(a["weights"]) - np.array(b["weights"])).max() < 1e-12


def test_mse_per_output_sum_at_step_s_is_half_sse_at_step_2s():
    half, mse = lab_spec("half_sse"), lab_spec("mse_per_output_sum")
    for engine_cls in (NumpyEngine, TorchEngine):
        a = run_gd(engine_cls(half, lab_params(half)), step=1.0)
        b = run_gd(engine_cls(mse, lab_params(mse)), step=0.5)
        np.testing.assert_allclose(b["weights"], a["weights"], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(b["loss"], 2 * np.array(a["loss"]), rtol=1e-12)
        # and at the same step it is not the same run: the factor 2 is real
        c = run_gd(engine_cls(mse, lab_params(mse)), step=1.0, rounds=10)
        assert np.abs(np.array(c["weights"]) - np.array(a["weights"])[:, :10]).max() > 1e-3


@pytest.mark.parametrize("engine_cls", [NumpyEngine, TorchEngine])
def test_zero_init_never_breaks_the_symmetry(engine_cls):
    spec = lab_spec()
    params = init_params(spec, {"kind": "zeros"}, [0])
    w = np.array(run_gd(engine_cls(spec, params))["weights"])[0]  # rounds × 8
    w1, w2, w3, w4, w5, w6, w7, w8 = w.T
    assert (w1 == w2).all() and (w3 == w4).all()
    assert (w5 == w7).all() and (w6 == w8).all()
    assert np.abs(w[-1]).min() > 1e-3  # the weights did move


def test_update_uses_each_replicas_own_step():
    spec = lab_spec()
    engine = NumpyEngine(spec, lab_params(spec, S=2))
    x, y = lab_data(2)
    _, grads, _ = engine.loss_and_grads(x, y)
    apply_update(engine, grads, np.array([0.0, 2.0]))
    flat = flatten_params(engine.get_params())
    assert flat[0].tolist() == LAB_WEIGHTS
    np.testing.assert_allclose(flat[1], LAB_WEIGHTS - 2.0 * flatten_params(grads)[1])


def random_spec():
    return NetSpec((2, 8, 4, 1), ("tanh", "sigmoid", "identity"), True, "mse")


def xor_like(S: int):
    rng = np.random.default_rng(7)
    X = rng.uniform(0, 1, (12, 2))
    Y = ((X[:, :1] > 0.5) ^ (X[:, 1:] > 0.5)).astype(float)
    return np.tile(X, (S, 1, 1)), np.tile(Y, (S, 1, 1))


@pytest.mark.parametrize("engine_cls", [NumpyEngine, TorchEngine])
def test_stacked_replicas_equal_individual_runs_bitwise(engine_cls):
    seeds = [3, 1, 4, 1, 5]
    spec = lab_spec()
    init = {"kind": "normal", "std": 1.0}
    stacked = run_gd(engine_cls(spec, init_params(spec, init, seeds)), rounds=200)
    sgd_spec = random_spec()
    X, Y = xor_like(5)
    stacked_sgd = train_sgd(
        engine_cls(sgd_spec, init_params(sgd_spec, init, seeds)), X, Y, 0.1, 20, None
    )
    for s, seed in enumerate(seeds):
        alone = run_gd(engine_cls(spec, init_params(spec, init, [seed])), rounds=200)
        assert alone["weights"][0] == stacked["weights"][s]
        assert alone["loss"][0] == stacked["loss"][s]
        assert alone["checkpoints"][0]["grads"][0] == stacked["checkpoints"][0]["grads"][s]
        alone_sgd = train_sgd(
            engine_cls(sgd_spec, init_params(sgd_spec, init, [seed])), X[:1], Y[:1], 0.1, 20, None
        )
        assert alone_sgd["loss"][0] == stacked_sgd["loss"][s]
        assert alone_sgd["final_weights"][0] == stacked_sgd["final_weights"][s]
    # different seeds really are different runs
    assert stacked["weights"][0] != stacked["weights"][1]


def test_sgd_epoch_is_per_sample_loss_and_grads_then_update():
    spec = random_spec()
    params = init_params(spec, {"kind": "normal", "std": 1.0}, [0, 1])
    X, Y = xor_like(2)
    lr = np.array([0.1, 0.05])
    fast = NumpyEngine(spec, params)
    epoch_loss = fast.sgd_epoch(X, Y, lr)
    slow = NumpyEngine(spec, params)
    total = np.zeros(2)
    for n in range(X.shape[1]):
        loss, grads, _ = slow.loss_and_grads(X[:, n : n + 1], Y[:, n : n + 1])
        apply_update(slow, grads, lr)
        total += loss
    np.testing.assert_allclose(epoch_loss, total, rtol=1e-14)
    np.testing.assert_allclose(
        flatten_params(fast.get_params()), flatten_params(slow.get_params()), rtol=1e-13
    )
    torch_engine = TorchEngine(spec, params)
    np.testing.assert_allclose(torch_engine.sgd_epoch(X, Y, lr), epoch_loss, rtol=1e-12)
    np.testing.assert_allclose(
        flatten_params(torch_engine.get_params()), flatten_params(fast.get_params()), rtol=1e-12
    )
    # the epoch changed the weights
    assert np.abs(flatten_params(fast.get_params()) - flatten_params(params)).max() > 1e-3


def test_float32_engines_agree_at_float32_level():
    spec = random_spec()
    params = init_params(spec, {"kind": "normal", "std": 1.0}, [0])
    X, Y = xor_like(1)
    a = NumpyEngine(spec, params, dtype="float32")
    b = TorchEngine(spec, params, dtype="float32")
    la, lb = a.sgd_epoch(X, Y, np.array([0.1])), b.sgd_epoch(X, Y, np.array([0.1]))
    assert la.dtype == np.float32 and a.get_params()[0][0].dtype == np.float32
    assert b.get_params()[0][0].dtype == np.float32
    np.testing.assert_allclose(la, lb, rtol=1e-5)
    wa, wb = flatten_params(a.get_params()), flatten_params(b.get_params())
    assert np.abs(wa - wb).max() < 1e-5
    # float64 on the same run differs from float32 by more than float64 round-off
    c = NumpyEngine(spec, params)
    c.sgd_epoch(X, Y, np.array([0.1]))
    assert np.abs(flatten_params(c.get_params()) - wa).max() > 1e-12


def test_forward_matches_the_trace_output():
    spec = random_spec()
    params = init_params(spec, {"kind": "uniform", "low": -1.0, "high": 1.0}, [0, 1])
    X, Y = xor_like(2)
    for engine in (NumpyEngine(spec, params), TorchEngine(spec, params)):
        out = engine.forward(X)
        _, _, trace = engine.loss_and_grads(X, Y)
        assert out.shape == (2, 12, 1)
        np.testing.assert_array_equal(out, trace["a"][-1])
