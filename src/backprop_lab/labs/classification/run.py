"""One variant of the classification lab: toy 2-D data (linear and easy XOR), per-sample SGD.

All seeds of a variant train together as stacked replicas; each replica stops on its own
(by the variant's stopping rule, diverged, or out of epochs). The job stores the output
for every data point and over a grid of the input square, so that tables and figures
never retrain.

The lab's own procedure, as its listing has it, is a set of named settings (each also an
axis of the config, listed vs corrected):
- ``seeding: listed``: `np.random.seed(s)`, then the data (the linear task's points) and
  each layer's `randn(out, in)` weights and `randn(out, 1)` biases from numpy's global
  generator, in that order; ``separate``: the data from ``data_seed``, the weights from
  ``np.random.default_rng(s)`` with standard deviation ``init_std``.
- ``order``: ``listed`` (the generator's order: the XOR classes interleave), ``grouped``
  (every 0, then every 1), ``shuffled`` (a new seeded order every epoch).
- ``stop``: ``listed`` (epoch loss below ``tol``), ``plateau`` (change below ``tol``),
  ``none`` (all ``max_epochs``); see ``core.training.STOP_RULES``.
- ``loss_gradient``: ``listed``: the lab's `MSELoss.backward` returns (pred − y) / n, half
  the gradient of the MSE it prints; ``exact``: the MSE's own gradient. Per-sample SGD with
  half the gradient is SGD with the exact gradient at half the learning rate, bit for bit
  (scaling by ½ is exact in floating point), so ``listed`` halves the step.
- ``activation: sigmoid_clip``: the lab's Sigmoid, input clipped to [−10, 10].

Beyond the listing (the core's options): ``batch_size`` (1 as listed, k, or ``full``;
the epoch loss sums the epoch's step losses, each before its update), ``update_rule``
(``core.optim``: sgd as listed, momentum, nesterov, adam; with a rule other than sgd the
listed half gradient is applied to the gradient, not folded into the step), ``schedule``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_lab.core.data import make_task, sample_order, train_test_split
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


# ``loss_gradient`` -> the factor on the MSE's gradient
GRADIENT_SCALE = {"listed": 0.5, "exact": 1.0}
# the shuffled order's generator: seeded by (seed, ORDER_STREAM), apart from the weights'
ORDER_STREAM = 1


def task_data(
    settings: dict[str, Any], states: list[np.random.RandomState] | None, S: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each replica's points (S, N, 2) and labels (S, N, 1) in the generator's order, and
    the (train, test) indices of the split (the same for every replica)."""
    args = (settings["task"], settings["n_points"], settings["xor_points"], settings["data_seed"])
    if states is None:
        X, labels = make_task(*args)
        data = [(X, labels)] * S
    else:
        data = [make_task(*args, state=state) for state in states]
    Xs = np.stack([X for X, _ in data])
    Ys = np.stack([labels for _, labels in data])
    train, test = train_test_split(Xs.shape[1], settings["test_fraction"], settings["data_seed"])
    return Xs, Ys, train, test


def run(settings: dict[str, Any]) -> dict[str, Any]:
    spec = network_spec(settings)
    seeds = settings["seeds"]
    S = len(seeds)
    listed = settings["seeding"] == "listed"
    # the lab seeds numpy's global generator once: the data, then the weights, draw from it
    states = [np.random.RandomState(seed) for seed in seeds] if listed else None
    Xs, Ys, train, test = task_data(settings, states, S)
    if listed:
        params = init_params(spec, {"kind": "legacy_randn", "states": states}, seeds)
    else:
        params = init_params(spec, {"kind": "normal", "std": settings["init_std"]}, seeds)
    engine = make_engine(settings["engine"], spec, params)
    # the training samples in the variant's order, per replica
    order = np.stack([train[sample_order(Ys[s, train], settings["order"])] for s in range(S)])
    X_train = np.take_along_axis(Xs, order[:, :, None], axis=1)
    Y_train = np.take_along_axis(Ys, order[:, :, None], axis=1)
    shuffle = [[seed, ORDER_STREAM] for seed in seeds] if settings["order"] == "shuffled" else None
    rule = settings.get("update_rule", "sgd")
    scale = GRADIENT_SCALE[settings["loss_gradient"]]
    batch = settings.get("batch_size", 1)
    result = train_sgd(
        engine,
        X_train,
        Y_train,
        # plain SGD folds the gradient's factor into the step, bit for bit as before
        settings["lr"] * (scale if rule == "sgd" else 1.0),
        settings["max_epochs"],
        settings["tol"],
        stop=settings["stop"],
        shuffle_seeds=shuffle,
        batch_size=None if batch == "full" else int(batch),
        rule=rule,
        schedule=settings.get("schedule", "constant"),
        gradient_scale=1.0 if rule == "sgd" else scale,
    )
    result.pop("final_weights")  # 17 k numbers per seed: the outputs below say what matters
    # the engine now holds each replica's final finite weights
    with np.errstate(all="ignore"):
        outputs = engine.forward(Xs)[:, :, 0]
        g = np.linspace(0.0, 1.0, settings["grid_points"])
        gx1, gx2 = np.meshgrid(g, g)
        grid = np.column_stack([gx1.ravel(), gx2.ravel()])
        grid_outputs = engine.forward(np.repeat(grid[None], S, axis=0))[:, :, 0]
    part = np.full(Xs.shape[1], "train", dtype=object)
    part[test] = "test"
    result.update(
        seeds=seeds,
        # each replica's points (they differ per seed when the seed draws the data)
        points=[
            {
                "x1": Xs[s, :, 0].tolist(),
                "x2": Xs[s, :, 1].tolist(),
                "label": Ys[s, :, 0].astype(int).tolist(),
                "part": part.tolist(),
            }
            for s in range(S)
        ],
        outputs=to_json(outputs),
        grid={"values": g.tolist(), "outputs": to_json(grid_outputs)},
        threshold=THRESHOLD,
    )
    return result
