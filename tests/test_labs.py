"""The gradient-equality, classification and timing labs: data generators, the split, early
stopping, seeds, the gradient table."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from backprop_lab.core import functions, numpy_engine
from backprop_lab.labs.classification import run as classification
from backprop_lab.labs.gradient_equality import run as gradient_equality
from backprop_lab.labs.timing import run as timing
from backprop_lab.core.data import (
    linear_task,
    sample_order,
    squares_regression,
    train_test_split,
    xor_task,
)
from backprop_lab.configuration import expand_variants

SUITE3 = {
    "task": "xor",
    "engine": "numpy",
    "hidden": [8, 4],
    "activation": "sigmoid",
    "output_activation": "identity",
    "loss": "mse",
    "lr": 0.1,
    "max_epochs": 300,
    "tol": 1e-3,
    "init_std": 1.0,
    "test_fraction": 0.0,
    "n_points": 40,
    "xor_points": 11,
    "data_seed": 0,
    "seeding": "separate",
    "order": "grouped",
    "stop": "plateau",
    "loss_gradient": "exact",
    "grid_points": 5,
    "seeds": [0, 1, 2, 3, 4],
}
SUITE2 = {
    "engine": "numpy",
    "hidden": [10, 10],
    "hidden_activation": "sigmoid",
    "output_activation": "identity",
    "loss": "sse",
    "outputs": 1,
    "lr": 0.05,
    "epochs": 3,
    "init": "normal",
    "init_std": 1.0,
    "n_samples": 20,
    "data_seed": 0,
    "check_sample": 0,
    "fd_eps": 1e-3,
    "fd_order": 4,
    "noise_floor": 1e-10,
    "threshold": {"float64": 1e-7, "float32": 1e-3},
    "seeds": [0, 1],
}


# --- data ------------------------------------------------------------------------------


def test_xor_is_the_labs_21_points():
    X, y = xor_task(11)
    zeros = {(round(0.1 * i, 10), round(0.1 * i, 10)) for i in range(11)}
    ones = {(round(0.1 * i, 10), round(1 - 0.1 * i, 10)) for i in range(11) if i != 5}
    got = [(round(a, 10), round(b, 10)) for a, b in X]
    assert len(got) == 21 and len(set(got)) == 21
    assert {p for p, label in zip(got, y[:, 0]) if label == 0} == zeros
    assert {p for p, label in zip(got, y[:, 0]) if label == 1} == ones
    # in the lab's order: the classes interleave, (0, 0), (0, 1), (0.1, 0.1), (0.1, 0.9), ...
    assert got[:4] == [(0.0, 0.0), (0.0, 1.0), (0.1, 0.1), (0.1, 0.9)]
    assert y[:, 0].tolist() == [0, 1] * 5 + [0] + [0, 1] * 5
    assert got[10] == (0.5, 0.5) and got[-1] == (1.0, 0.0)
    # and with the lab's arithmetic, 0.1 · i (0.30000000000000004, not 0.3)
    assert X[6, 0] == 0.1 * 3 != 0.3
    assert (0.5, 0.5) in zeros and y.shape == (21, 1)
    # grouped: every 0 first, each class in the generator's order
    grouped = sample_order(y, "grouped")
    assert y[grouped, 0].tolist() == [0] * 11 + [1] * 10
    assert [tuple(X[i]) for i in grouped[:2]] == [tuple(X[0]), tuple(X[2])]


def test_denser_xor_leaves_out_the_crossing():
    X, y = xor_task(51)
    assert len(X) == 101 and int(y.sum()) == 50
    assert not np.any(np.all(np.isclose(X[y[:, 0] == 1], 0.5), axis=1))


def test_linear_task_labels_and_seed():
    X, y = linear_task(100, 3)
    assert X.shape == (100, 2) and ((X >= 0) & (X <= 1)).all()
    np.testing.assert_array_equal(y[:, 0], np.where(X[:, 0] > X[:, 1], 0.0, 1.0))
    assert 20 < y.sum() < 80  # both classes present
    np.testing.assert_array_equal(X, np.random.default_rng(3).uniform(0, 1, (100, 2)))
    assert not np.array_equal(X, linear_task(100, 4)[0])


def test_gradient_equality_target_is_half_the_squared_norm():
    X, y = squares_regression(100, 0)
    np.testing.assert_allclose(y[:, 0], (X[:, 0] ** 2 + X[:, 1] ** 2) / 2)
    assert X.min() >= 0 and X.max() <= 1


def test_split_is_80_20_disjoint_and_deterministic():
    train, test = train_test_split(100, 0.2, 0)
    assert len(train) == 80 and len(test) == 20
    assert set(train).isdisjoint(test) and set(train) | set(test) == set(range(100))
    assert list(train) == sorted(train)  # each part keeps the generator's order
    again = train_test_split(100, 0.2, 0)
    np.testing.assert_array_equal(train, again[0])
    assert not np.array_equal(test, train_test_split(100, 0.2, 1)[1])
    all_train, none = train_test_split(21, 0.0, 0)
    assert list(all_train) == list(range(21)) and len(none) == 0


# --- classification training ------------------------------------------------------------------


def test_early_stopping_records_reason_and_epoch():
    run = classification.run(SUITE3)
    assert set(run["stop_reason"]) <= {"plateau", "max_epochs"}
    assert "plateau" in run["stop_reason"]
    for s, reason in enumerate(run["stop_reason"]):
        loss, epochs = run["loss"][s], run["loss_epochs"][s]
        assert epochs == list(range(1, run["epochs_run"][s] + 1))
        steps = np.abs(np.diff(loss))
        if reason == "plateau":
            assert steps[-1] < SUITE3["tol"] and (steps[:-1] >= SUITE3["tol"]).all()
            assert run["epochs_run"][s] < SUITE3["max_epochs"]
        else:
            assert run["epochs_run"][s] == SUITE3["max_epochs"]


def test_one_seed_equals_its_slice_of_a_five_seed_run():
    five = classification.run(SUITE3)
    for s in (0, 3):
        one = classification.run({**SUITE3, "seeds": [SUITE3["seeds"][s]]})
        for key in ("epochs_run", "stop_reason", "final_loss", "loss", "outputs"):
            assert one[key][0] == five[key][s], key
        assert one["grid"]["outputs"][0] == five["grid"]["outputs"][s]
    # and the seeds really differ
    assert five["final_loss"][0] != five["final_loss"][1]


def test_one_seed_equals_its_slice_with_the_torch_engine():
    settings = {**SUITE3, "engine": "torch", "max_epochs": 5, "seeds": [0, 1, 2]}
    three = classification.run(settings)
    one = classification.run({**settings, "seeds": [2]})
    assert one["loss"][0] == three["loss"][2] and one["outputs"][0] == three["outputs"][2]


def test_divergence_is_a_result_per_seed():
    run = classification.run({**SUITE3, "lr": 50.0, "max_epochs": 50})
    assert run["stop_reason"] == ["diverged"] * 5
    assert all(isinstance(k, int) and 1 <= k <= 50 for k in run["diverged_epoch"])
    assert all(v is None for s in range(5) for v in run["loss"][s][-1:])
    json.dumps(run, allow_nan=False)  # no NaN or inf reaches the run file


def test_split_trains_on_the_training_part_only():
    settings = {**SUITE3, "task": "linear", "test_fraction": 0.2, "max_epochs": 3}
    run = classification.run(settings)
    parts = run["points"][0]["part"]
    assert parts.count("test") == 8 and parts.count("train") == 32
    *_, test = classification.task_data(settings, None, 1)
    assert [parts[i] for i in test] == ["test"] * 8


# --- gradient equality: the gradient table --------------------------------------------------------


def test_gradient_table_passes_for_the_real_backward():
    rows = gradient_equality.gradient_check(SUITE2)
    # 2 dtypes × 2 seeds × 3 comparisons × 3 layers × (W, b)
    assert len(rows) == 2 * 2 * 3 * 3 * 2
    assert all(r["passed"] for r in rows)
    f64 = [r for r in rows if r["dtype"] == "float64" and r["comparison"] == "numpy vs autograd"]
    assert max(r["max_rel_error"] for r in f64) < 1e-12


def test_gradient_table_catches_a_wrong_backward(monkeypatch):
    good = numpy_engine.dense_backward

    def wrong(dz, cache):
        dx, dW, db = good(dz, cache)
        return dx, dW, None if db is None else 0.5 * db  # a halved bias gradient

    monkeypatch.setattr(numpy_engine, "dense_backward", wrong)
    rows = gradient_equality.gradient_check(SUITE2)
    failed = {(r["comparison"], r["param"]) for r in rows if not r["passed"]}
    assert ("numpy vs autograd", "b") in failed and ("numpy vs finite_diff", "b") in failed
    # autograd and finite differences still agree, and no weight gradient is blamed
    assert all(r["passed"] for r in rows if r["comparison"] == "autograd vs finite_diff")
    assert all(r["passed"] for r in rows if r["param"] == "W")


def test_gradient_table_catches_a_wrong_activation_derivative(monkeypatch):
    good = functions.ACTIVATIONS["sigmoid"]
    wrong = dataclasses.replace(good, derivative=lambda z, a: a)  # σ' written as σ
    monkeypatch.setitem(functions.ACTIVATIONS, "sigmoid", wrong)
    rows = gradient_equality.gradient_check(SUITE2)
    bad = [r for r in rows if r["comparison"] == "numpy vs finite_diff" and r["layer"] == 1]
    assert bad and not any(r["passed"] for r in bad)


@pytest.mark.parametrize(
    "loss,outputs,out_act", [("bce", 1, "sigmoid"), ("ce_soft_raw", 2, "identity")]
)
def test_gradient_equality_runs_every_loss_kind(loss, outputs, out_act):
    run = gradient_equality.run(
        {**SUITE2, "loss": loss, "outputs": outputs, "output_activation": out_act}
    )
    assert all(r["passed"] for r in run["gradient_check"])
    assert len(run["loss"][0]) == SUITE2["epochs"]


# --- variants and timing ------------------------------------------------------------------


def test_layers_and_units_become_hidden_and_task_is_not_a_change():
    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "config/config.yaml").read_text())
    runs = expand_variants(config)
    deep = runs["classification/layers/task-linear_layers-3"]
    assert deep["hidden"] == [256, 64, 32] and deep["changed"] == ["hidden"]
    assert "layers" not in deep and deep["task"] == "linear"
    assert runs["classification/units/units-8"]["hidden"] == [8]
    assert runs["classification/layers/task-xor_layers-2"]["changed"] == []
    assert runs["classification/learning_rate/task-linear_lr-0.01"]["changed"] == []
    assert all(
        r["seeds"] == config["seeds"] for k, r in runs.items() if k.startswith("classification")
    )
    assert len(config["seeds"]) == 5
    assert "timing/engines/numpy_vs_torch" in runs


def test_timing_measures_both_engines_side_by_side():
    settings = {
        "repeats": 3,
        "steps_per_repeat": 4,
        "lr": 0.01,
        "seed": 0,
        "networks": {
            "small": {
                "widths": [2, 2, 2],
                "hidden_activation": "sigmoid",
                "output_activation": "sigmoid",
                "bias": False,
                "loss": "half_sse",
            }
        },
    }
    rows = timing.run(settings)["timing"]
    assert [r["engine"] for r in rows] == ["numpy", "torch"]
    for r in rows:
        assert r["repeats"] == 3 and r["n_params"] == 8
        assert (
            r["min_seconds_per_step"] <= r["median_seconds_per_step"] <= r["max_seconds_per_step"]
        )
