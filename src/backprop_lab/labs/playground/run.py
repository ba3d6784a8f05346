"""One variant of the Playground lab: a data set, its features, mini-batch SGD (or another
update rule and step schedule of ``core.optim``), all seeds stacked as replicas.

The data (points, labels, the train/test split) come from ``data_seed`` and are the same
for every seed; a seed draws the initial weights (``init``: uniform in [−0.5, 0.5], as
Playground's; zeros; or micrograd's Python ``random``) and, with ``order: shuffled``, the
order of the samples in each epoch (``data``: the data's order). The job stores, per seed
and epoch, the losses and accuracies on both sets, and those before the first step
(``initial``); the final weights; the output over a grid of the data set's square; and,
for seed 0, every hidden unit's output over a coarser grid (the per-neuron maps of
Playground).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_lab.core.data import train_test_split
from backprop_lab.core.datasets import EXTENT, labels_pm1, make_dataset
from backprop_lab.core.engines import make_engine
from backprop_lab.core.features import feature_columns
from backprop_lab.core.network import NetSpec, init_params
from backprop_lab.core.numpy_engine import forward
from backprop_lab.core.training import to_json, train_minibatch

# the lab's loss -> (the core loss, the output activation, labels ±1?, the class-1 threshold)
LOSSES = {
    "squared_error": ("half_mse", "tanh", True, 0.0),
    "cross_entropy": ("bce_mean", "sigmoid", False, 0.5),
    "hinge": ("hinge", "identity", True, 0.0),
}
# Playground's activation names -> the core's
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "linear": "identity"}
# a seed's sample order draws from default_rng([seed, ORDER_STREAM]), apart from its weights
ORDER_STREAM = 1
INIT_HALF_WIDTH = 0.5
# the lab's init -> the core initialiser
INITS = {
    "random": {"kind": "uniform", "low": -INIT_HALF_WIDTH, "high": INIT_HALF_WIDTH},
    "zero": {"kind": "zeros"},
    # micrograd's MLP: random.seed(seed), uniform(−1, 1) neuron by neuron, biases 0
    "micrograd": {"kind": "python_uniform", "low": -1.0, "high": 1.0},
}


def network_spec(settings: dict[str, Any]) -> NetSpec:
    loss, output, _, _ = LOSSES[settings["loss"]]
    hidden = [int(w) for w in settings["hidden"]]
    return NetSpec(
        widths=(len(settings["features"]), *hidden, 1),
        activations=(ACTIVATIONS[settings["activation"]],) * len(hidden) + (output,),
        bias=True,
        loss=loss,
        regulariser=settings["regularization"],
        reg_rate=float(settings["reg_rate"]) if settings["regularization"] != "none" else 0.0,
        penalty_on=settings.get("penalty_on", "weights"),
    )


def grid_of(dataset: str, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The x1 and x2 values of a points × points grid over the data set's square, and the
    grid's points (points², 2), x1 varying fastest."""
    x_low, x_high, y_low, y_high = EXTENT[dataset]
    g1, g2 = np.linspace(x_low, x_high, points), np.linspace(y_low, y_high, points)
    m1, m2 = np.meshgrid(g1, g2)
    return g1, g2, np.column_stack([m1.ravel(), m2.ravel()])


def run(settings: dict[str, Any]) -> dict[str, Any]:
    spec = network_spec(settings)
    seeds = settings["seeds"]
    S = len(seeds)
    _, _, pm1, threshold = LOSSES[settings["loss"]]
    points, labels = make_dataset(
        settings["dataset"], settings["n_points"], settings["noise"], settings["data_seed"]
    )
    train, test = train_test_split(len(points), settings["test_fraction"], settings["data_seed"])
    shuffled = settings.get("order", "shuffled") == "shuffled"
    X = np.repeat(feature_columns(points, settings["features"])[None], S, axis=0)
    targets = labels_pm1(labels) if pm1 else labels.astype(float)
    Y = np.repeat(targets[None, :, None], S, axis=0)
    engine = make_engine(
        settings["engine"], spec, init_params(spec, INITS[settings["init"]], seeds)
    )

    def accuracy(engine_now: Any) -> dict[str, np.ndarray]:
        with np.errstate(all="ignore"):
            predicted = engine_now.forward(X)[:, :, 0] > threshold
        correct = predicted == (labels[None, :] == 1)
        return {
            "train_accuracy": correct[:, train].mean(axis=1),
            "test_accuracy": correct[:, test].mean(axis=1) if len(test) else np.full(S, np.nan),
        }

    # the loss and accuracies before the first step (micrograd prints its loss before each step)
    initial = {"train_loss": np.asarray(engine.loss_and_grads(X[:, train], Y[:, train])[0])}
    initial.update(accuracy(engine))
    result = train_minibatch(
        engine,
        X[:, train],
        Y[:, train],
        settings["learning_rate"],
        settings["epochs"],
        settings["batch_size"],
        order_seeds=[[seed, ORDER_STREAM] for seed in seeds] if shuffled else None,
        X_test=X[:, test],
        Y_test=Y[:, test],
        monitor=accuracy,
        rule=settings.get("update_rule", "sgd"),
        schedule=settings.get("schedule", "constant"),
    )
    result["initial"] = {key: to_json(values) for key, values in initial.items()}
    params = engine.get_params()
    with np.errstate(all="ignore"):
        g1, g2, grid = grid_of(settings["dataset"], settings["grid_points"])
        grid_x = np.repeat(feature_columns(grid, settings["features"])[None], S, axis=0)
        grid_out = engine.forward(grid_x)[:, :, 0]
        n1, n2, coarse = grid_of(settings["dataset"], settings["neuron_grid_points"])
        coarse_x = feature_columns(coarse, settings["features"])[None]
        seed0 = [(W[:1], None if b is None else b[:1]) for W, b in params]
        _, caches = forward(seed0, coarse_x, spec.activations)
    part = np.full(len(points), "train", dtype=object)
    part[test] = "test"
    result.update(
        seeds=seeds,
        threshold=threshold,
        widths=list(spec.widths),
        weights=[[to_json(W[s]) for W, _ in params] for s in range(S)],
        biases=[[to_json(b[s, 0]) for _, b in params] for s in range(S)],
        points={
            "x1": points[:, 0].tolist(),
            "x2": points[:, 1].tolist(),
            "label": labels.astype(int).tolist(),
            "part": part.tolist(),
        },
        grid={"x1": g1.tolist(), "x2": g2.tolist(), "outputs": to_json(grid_out)},
        # every hidden layer's output over the coarse grid, seed 0: (units, points²)
        neurons={
            "x1": n1.tolist(),
            "x2": n2.tolist(),
            "layers": [to_json(cache[1][1][0].T) for cache in caches[:-1]],
        },
    )
    result.pop("final_weights")
    return result
