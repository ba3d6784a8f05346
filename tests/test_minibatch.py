"""Mini-batch SGD, the Playground/micrograd data sets and the input features."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backprop_lab.core.functions import REGULARISERS
from backprop_lab.core.datasets import DATASETS, RADIUS, labels_pm1, make_dataset
from backprop_lab.core.features import FEATURES, feature_columns
from backprop_lab.core.network import NetSpec, init_params
from backprop_lab.core.numpy_engine import NumpyEngine
from backprop_lab.core.torch_engine import TorchEngine
from backprop_lab.core.training import apply_update, penalty_of, train_minibatch

SPEC = NetSpec((2, 5, 1), ("tanh", "tanh"), True, "half_mse")


def _data(S: int = 2, n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    points, labels = make_dataset("circle", n, 0.1, seed=3)
    X = np.repeat(points[None] / 5, S, axis=0)
    Y = np.repeat(labels_pm1(labels)[None, :, None], S, axis=0)
    return X, Y


def _params(spec: NetSpec, S: int = 2):
    return init_params(spec, {"kind": "normal", "std": 0.5}, list(range(S)))


def test_batch_size_n_for_one_epoch_is_one_step_of_full_batch_gradient_descent() -> None:
    X, Y = _data()
    spec = dataclasses.replace(SPEC, regulariser="l2", reg_rate=0.01)
    engine = NumpyEngine(spec, _params(spec))
    train_minibatch(engine, X, Y, 0.3, 1, batch_size=len(X[0]))
    reference = NumpyEngine(spec, _params(spec))
    _, grads, _ = reference.loss_and_grads(X, Y)
    apply_update(reference, grads, np.full(2, 0.3))
    for (W, b), (Wr, br) in zip(engine.get_params(), reference.get_params()):
        np.testing.assert_array_equal(W, Wr)
        np.testing.assert_array_equal(b, br)


def test_batch_size_one_is_the_per_sample_loop() -> None:
    X, Y = _data()
    engine = NumpyEngine(SPEC, _params(SPEC))
    result = train_minibatch(engine, X, Y, 0.2, 3, batch_size=1)
    reference = NumpyEngine(SPEC, _params(SPEC))
    for _ in range(3):
        reference.sgd_epoch(X, Y, np.full(2, 0.2))
    for (W, b), (Wr, br) in zip(engine.get_params(), reference.get_params()):
        np.testing.assert_allclose(W, Wr, rtol=0, atol=1e-12)
        np.testing.assert_allclose(b, br, rtol=0, atol=1e-12)
    assert result["steps"] == 3 * len(X[0])


@pytest.mark.parametrize("reg", ["none", "l1", "l2"])
@pytest.mark.parametrize(
    "loss, out", [("half_mse", "tanh"), ("bce_mean", "sigmoid"), ("hinge", "identity")]
)
def test_numpy_and_torch_agree_on_shuffled_regularised_mini_batches(reg, loss, out) -> None:
    X, Y = _data(n=14)
    spec = NetSpec((2, 4, 1), ("relu", out), True, loss, regulariser=reg, reg_rate=0.02)
    runs = [
        train_minibatch(engine(spec, _params(spec)), X, Y, 0.1, 4, 5, [[7, s] for s in range(2)])
        for engine in (NumpyEngine, TorchEngine)
    ]
    np.testing.assert_allclose(runs[0]["final_weights"], runs[1]["final_weights"], atol=1e-10)
    np.testing.assert_allclose(runs[0]["train_loss"], runs[1]["train_loss"], atol=1e-10)
    # a batch of 5 from 14 samples: 3 steps per epoch (the last batch has 4)
    assert runs[0]["steps"] == 4 * 3


def test_the_shuffled_order_depends_on_the_seed_and_repeats_with_it() -> None:
    X, Y = _data(n=14)

    def final(seeds):
        engine = NumpyEngine(SPEC, _params(SPEC))
        return np.array(train_minibatch(engine, X, Y, 0.2, 2, 3, seeds)["final_weights"])

    assert np.array_equal(final([[1], [2]]), final([[1], [2]]))
    assert not np.allclose(final([[1], [2]]), final([[5], [6]]))


def test_the_losses_split_into_data_loss_and_penalty() -> None:
    X, Y = _data()
    spec = dataclasses.replace(SPEC, regulariser="l1", reg_rate=0.05)
    engine = NumpyEngine(spec, _params(spec))
    result = train_minibatch(engine, X, Y, 0.1, 2, 4, None, X_test=X[:, :5], Y_test=Y[:, :5])
    penalty = penalty_of(engine.get_params(), spec)
    last = np.array(result["train_loss"])[:, -1] - np.array(result["train_data_loss"])[:, -1]
    np.testing.assert_allclose(last, penalty, rtol=1e-12)
    assert np.array(result["test_data_loss"]).shape == (2, 2)


@pytest.mark.parametrize("regulariser", ["l1", "l2", "l2_sum"])
def test_a_penalty_on_every_parameter_covers_the_biases_on_both_engines(regulariser) -> None:
    """Mutant: penalty_on "all" ignored by one engine, or l2_sum's gradient written rate·w
    (Playground's ½ convention) instead of 2·rate·w. The biases' penalty is in the loss and
    in db, equal in both engines, and the "all" gradient differs from the weights-only one
    exactly by rate·grad(b) on the biases."""
    X, Y = _data()
    specs = {
        on: dataclasses.replace(SPEC, regulariser=regulariser, reg_rate=0.05, penalty_on=on)
        for on in ("weights", "all")
    }
    out = {
        (on, cls.name): cls(spec, _params(spec)).loss_and_grads(X, Y)
        for on, spec in specs.items()
        for cls in (NumpyEngine, TorchEngine)
    }
    for on in specs:
        (ln, gn, _), (lt, gt, _) = out[on, "numpy"], out[on, "torch"]
        np.testing.assert_allclose(ln, lt, rtol=1e-13)
        for (dWn, dbn), (dWt, dbt) in zip(gn, gt):
            np.testing.assert_allclose(dWn, dWt, rtol=0, atol=1e-13)
            np.testing.assert_allclose(dbn, dbt, rtol=0, atol=1e-13)
    params = _params(SPEC)
    grad = {"l1": np.sign, "l2": lambda b: b, "l2_sum": lambda b: 2 * b}[regulariser]
    extra = 0.05 * sum(REGULARISERS[regulariser].penalty(b) for _, b in params)
    np.testing.assert_allclose(out["all", "numpy"][0] - out["weights", "numpy"][0], extra)
    for (_, b), (_, db_all), (_, db_w) in zip(
        params, out["all", "numpy"][1], out["weights", "numpy"][1]
    ):
        np.testing.assert_allclose(db_all - db_w, 0.05 * grad(b), rtol=1e-12, atol=1e-15)


def test_a_diverging_replica_is_frozen_and_the_other_goes_on() -> None:
    X, Y = _data()
    spec = NetSpec((2, 5, 1), ("identity", "identity"), True, "half_mse")
    params = _params(spec)
    params = [(W * np.array([1.0, 1e3])[:, None, None], b) for W, b in params]
    result = train_minibatch(NumpyEngine(spec, params), X, Y, 0.1, 30, 4)
    assert result["diverged_epoch"][0] is None and result["diverged_epoch"][1] is not None
    assert np.isfinite(result["final_weights"][1]).all()


# --- data sets and features ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_a_data_set_has_its_shape_balance_and_seed(name: str) -> None:
    points, labels = make_dataset(name, 201, 0.0, seed=1)
    assert points.shape == (201, 2) and labels.shape == (201,)
    assert set(np.unique(labels)) == {0, 1}
    if name != "xor":  # the quadrants are drawn at random, the other classes by halves
        assert abs(int(labels.sum()) - 100) <= 1
    noisy, _ = make_dataset(name, 201, 0.1, seed=1)
    again, _ = make_dataset(name, 201, 0.1, seed=1)
    other, _ = make_dataset(name, 201, 0.1, seed=2)
    assert np.array_equal(noisy, again) and not np.array_equal(noisy, other)


def test_without_noise_the_points_lie_on_their_curves() -> None:
    points, labels = make_dataset("circle", 400, 0.0, seed=0)
    r = np.hypot(points[:, 0], points[:, 1])
    assert (r[labels == 1] <= RADIUS * 0.5).all() and (r[labels == 0] >= RADIUS * 0.7).all()
    points, labels = make_dataset("xor", 400, 0.0, seed=0)
    assert ((points[:, 0] * points[:, 1] >= 0) == (labels == 1)).all()
    assert np.abs(points).min() >= 0.3
    points, labels = make_dataset("spiral", 200, 0.0, seed=0)
    r = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_allclose(r[labels == 1], np.arange(100) / 100 * 5, atol=1e-12)
    points, labels = make_dataset("moons", 100, 0.0, seed=0)
    upper = points[labels == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    lower = points[labels == 1] - np.array([1.0, 0.5])
    assert (lower[:, 1] <= 1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0], lower[:, 1]), 1.0, atol=1e-12)


def test_noise_moves_the_points_by_its_scale() -> None:
    clean, _ = make_dataset("moons", 2000, 0.0, seed=0)
    noisy, _ = make_dataset("moons", 2000, 0.2, seed=0)
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.05)
    clean, _ = make_dataset("spiral", 2000, 0.0, seed=0)
    noisy, _ = make_dataset("spiral", 2000, 0.5, seed=0)
    moved = noisy - clean
    assert np.abs(moved).max() <= 0.5 and np.abs(moved).max() > 0.45
    tight, _ = make_dataset("gauss", 4000, 0.0, seed=0)
    wide, _ = make_dataset("gauss", 4000, 0.5, seed=0)
    assert np.std(tight[:2000, 0]) == pytest.approx(0.5, rel=0.1)
    assert np.std(wide[:2000, 0]) == pytest.approx(4.0, rel=0.1)


def test_features_are_the_playground_columns() -> None:
    p = np.array([[2.0, -3.0], [0.5, 0.25]])
    got = feature_columns(p, list(FEATURES))
    expected = [
        [2.0, -3.0, 4.0, 9.0, -6.0, np.sin(2.0), np.sin(-3.0)],
        [0.5, 0.25, 0.25, 0.0625, 0.125, np.sin(0.5), np.sin(0.25)],
    ]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
    assert feature_columns(p, ["x2", "x1"]).tolist() == [[-3.0, 2.0], [0.25, 0.5]]
    with pytest.raises(ValueError, match="x3"):
        feature_columns(p, ["x3"])
