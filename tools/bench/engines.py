"""The engines' side of the benchmark: one step of the numpy engine against PyTorch and
against the same arithmetic written inline, stacked seeds against one, and the pinned
kernels against each library's own choice."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from backprop_lab import kernels
from backprop_lab.core.engines import make_engine
from backprop_lab.core.network import NetSpec, init_params
from backprop_lab.core.training import apply_update

SRC = Path(__file__).resolve().parents[2] / "src"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def inline_sgd_steps(params: list, X: np.ndarray, Y: np.ndarray, lr: float) -> None:
    """The floor: per-sample SGD on a sigmoid-sigmoid-identity MSE net, bare numpy ops."""
    (W1, b1), (W2, b2), (W3, b3) = params
    for i in range(X.shape[0]):
        x, y = X[i : i + 1], Y[i : i + 1]
        a1 = _sigmoid(x @ W1 + b1)
        a2 = _sigmoid(a1 @ W2 + b2)
        d3 = 2.0 * (a2 @ W3 + b3 - y)
        d2 = (d3 @ W3.T) * a2 * (1.0 - a2)
        d1 = (d2 @ W2.T) * a1 * (1.0 - a1)
        W3 -= lr * (a2.T @ d3)
        b3 -= lr * d3
        W2 -= lr * (a1.T @ d2)
        b2 -= lr * d2
        W1 -= lr * (x.T @ d1)
        b1 -= lr * d1


def inline_gd_rounds(
    W1: np.ndarray, W2: np.ndarray, x: np.ndarray, y: np.ndarray, step: float, rounds: int
) -> None:
    """The floor for the 2-2-2 lab net: sigmoid on both layers, ½ sum of squares."""
    for _ in range(rounds):
        h = _sigmoid(x @ W1)
        o = _sigmoid(h @ W2)
        d2 = (o - y) * o * (1.0 - o)
        d1 = (d2 @ W2.T) * h * (1.0 - h)
        W2 -= step * (h.T @ d2)
        W1 -= step * (x.T @ d1)


def interleaved(candidates: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median seconds of each candidate, taking turns so that noise hits all alike."""
    for fn in candidates.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def engine_times(repeats: int = 15) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rng = np.random.default_rng(0)
    # the [256, 64] network of the classification lab, per-sample SGD, 100 samples per repeat
    spec = NetSpec((2, 256, 64, 1), ("sigmoid", "sigmoid", "identity"), True, "mse")
    n = 100
    X, Y = rng.uniform(0, 1, (1, n, 2)), rng.uniform(0, 1, (1, n, 1))
    lr = np.array([0.01])
    one = init_params(spec, {"kind": "normal", "std": 1.0}, [0])
    five = init_params(spec, {"kind": "normal", "std": 1.0}, [0, 1, 2, 3, 4])
    engines = {e: make_engine(e, spec, one) for e in ("numpy", "torch")}
    numpy5 = make_engine("numpy", spec, five)
    X5, Y5 = np.repeat(X, 5, axis=0), np.repeat(Y, 5, axis=0)
    flat = [(W[0].copy(), b[0].copy()) for W, b in one]
    t = interleaved(
        {
            "numpy": lambda: engines["numpy"].sgd_epoch(X, Y, lr),
            "torch": lambda: engines["torch"].sgd_epoch(X, Y, lr),
            "inline": lambda: inline_sgd_steps(flat, X[0], Y[0], 0.01),
            "numpy_5_seeds": lambda: numpy5.sgd_epoch(X5, Y5, np.full(5, 0.01)),
        },
        repeats,
    )
    out["large"] = {k: v / n for k, v in t.items()}
    # the 2-2-2 lab net, gradient descent on one sample, 100 rounds per repeat
    spec = NetSpec((2, 2, 2), ("sigmoid", "sigmoid"), False, "half_sse")
    weights = [0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8]
    params = init_params(spec, {"kind": "specified", "values": weights}, [0])
    x = np.array([[[0.5, 0.3]]])
    y = np.array([[[0.23, -0.07]]])
    rounds = 100
    engines = {e: make_engine(e, spec, params) for e in ("numpy", "torch")}
    W1, W2 = params[0][0][0].copy(), params[1][0][0].copy()

    def gd(engine: Any) -> Callable[[], None]:
        step = np.array([1.0])

        def run() -> None:
            for _ in range(rounds):
                _, grads, _ = engine.loss_and_grads(x, y)
                apply_update(engine, grads, step)

        return run

    t = interleaved(
        {
            "numpy": gd(engines["numpy"]),
            "torch": gd(engines["torch"]),
            "inline": lambda: inline_gd_rounds(W1, W2, x[0], y[0], 1.0, rounds),
        },
        repeats,
    )
    out["small"] = {k: v / rounds for k, v in t.items()}
    return out


# One SGD step of the classification lab's [2, 256, 64, 1] net and one 2-2-2 GD round, timed
# in a fresh process (the kernels are chosen when numpy and torch load)
KERNEL_PROBE = """
import sys, time
import numpy as np
from backprop_lab.kernels import pin
if sys.argv[1] == "pinned":
    pin()
from backprop_lab import kernels
from backprop_lab.core.engines import make_engine
from backprop_lab.core.network import NetSpec, init_params
from backprop_lab.core.training import apply_update
spec = NetSpec((2, 256, 64, 1), ("sigmoid", "sigmoid", "identity"), True, "mse")
rng = np.random.default_rng(0)
X, Y = rng.uniform(0, 1, (1, 100, 2)), rng.uniform(0, 1, (1, 100, 1))
engine = make_engine("numpy", spec, init_params(spec, {"kind": "normal", "std": 1.0}, [0]))
lr = np.array([0.01])
engine.sgd_epoch(X, Y, lr)
best = float("inf")
for _ in range(5):
    start = time.perf_counter()
    engine.sgd_epoch(X, Y, lr)
    best = min(best, (time.perf_counter() - start) / 100)
print(best)
"""


def pinning_cost(repeats: int = 7) -> dict[str, float]:
    """Seconds per SGD step of the [2, 256, 64, 1] net with the pinned kernels and with
    every library's own choice, in fresh processes taking turns (medians)."""
    times: dict[str, list[float]] = {"pinned": [], "native": []}
    env = {k: v for k, v in os.environ.items() if k not in kernels.VARIABLES}
    env["PYTHONPATH"] = str(SRC)
    for _ in range(repeats):
        for name in times:
            done = subprocess.run(
                [sys.executable, "-c", KERNEL_PROBE, name],
                env={**env, kernels.SWITCH: name},
                capture_output=True,
                text=True,
                check=True,
            )
            times[name].append(float(done.stdout.strip()))
    return {name: statistics.median(t) for name, t in times.items()}
