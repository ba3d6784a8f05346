"""One variant of the classification lab: toy 2-D data (linear and easy XOR), per-sample SGD.

All seeds of a variant train together as stacked replicas; each replica stops on its own
(converged, diverged or out of epochs). The job stores the output for every data point
and over a grid of the input square, so that tables and figures never retrain.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_lab.core.data import make_task, train_test_split
from backprop_lab.core.engines import make_engine
from backprop_lab.core.network import NetSpec, init_params
from backprop_lab.core.training import to_json, train_sgd

# prediction class = output > THRESHOLD (identity output, labels 0 and 1)
THRESHOLD = 0.5


def network_spec(settings: dict[str, Any]) -> NetSpec:
    hidden = [int(w) for w in settings["hidden"]]
    return NetSpec(
        widths=(2, *hidden, 1),
        activations=(settings["activation"],) * len(hidden) + (settings["output_activation"],),
        bias=True,
        loss=settings["loss"],
    )


def task_data(settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The task's points and labels, and the (train, test) indices of its split."""
    X, labels = make_task(
        settings["task"], settings["n_points"], settings["xor_points"], settings["data_seed"]
    )
    train, test = train_test_split(len(X), settings["test_fraction"], settings["data_seed"])
    return X, labels, train, test


def run(settings: dict[str, Any]) -> dict[str, Any]:
    spec = network_spec(settings)
    seeds = settings["seeds"]
    S = len(seeds)
    X, labels, train, test = task_data(settings)
    params = init_params(spec, {"kind": "normal", "std": settings["init_std"]}, seeds)
    engine = make_engine(settings["engine"], spec, params)
    Xs = np.repeat(X[None], S, axis=0)
    Ys = np.repeat(labels[None], S, axis=0)
    result = train_sgd(
        engine, Xs[:, train], Ys[:, train], settings["lr"], settings["max_epochs"], settings["tol"]
    )
    result.pop("final_weights")  # 17 k numbers per seed: the outputs below say what matters
    # the engine now holds each replica's final finite weights
    with np.errstate(all="ignore"):
        outputs = engine.forward(Xs)[:, :, 0]
        g = np.linspace(0.0, 1.0, settings["grid_points"])
        gx1, gx2 = np.meshgrid(g, g)
        grid = np.column_stack([gx1.ravel(), gx2.ravel()])
        grid_outputs = engine.forward(np.repeat(grid[None], S, axis=0))[:, :, 0]
    part = np.full(len(X), "train", dtype=object)
    part[test] = "test"
    result.update(
        seeds=seeds,
        points={
            "x1": X[:, 0].tolist(),
            "x2": X[:, 1].tolist(),
            "label": labels[:, 0].astype(int).tolist(),
            "part": part.tolist(),
        },
        outputs=to_json(outputs),
        grid={"values": g.tolist(), "outputs": to_json(grid_outputs)},
        threshold=THRESHOLD,
    )
    return result
