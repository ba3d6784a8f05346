"""One variant of the gradient-equality lab: the 2-10-10-1 network (or another architecture).

A job checks the gradients of one sample three ways (hand-written numpy backprop, PyTorch
autograd, central finite differences), in float64 and in float32, for every seed's
initialisation; then it trains the network by per-sample SGD with its engine. It
compares against autograd, so it always imports torch.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from backprop_lab.core.data import squares_regression
from backprop_lab.core.engines import make_engine
from backprop_lab.core.gradcheck import compare_grads, numerical_grads
from backprop_lab.core.network import NetSpec, Params, init_params
from backprop_lab.core.training import train_sgd

DTYPES = ("float64", "float32")
METHODS = ("numpy", "autograd", "finite_diff")


def network_spec(settings: dict[str, Any]) -> NetSpec:
    hidden = [int(w) for w in settings["hidden"]]
    return NetSpec(
        widths=(2, *hidden, int(settings["outputs"])),
        activations=(settings["hidden_activation"],) * len(hidden)
        + (settings["output_activation"],),
        bias=True,
        loss=settings["loss"],
    )


def init_spec(settings: dict[str, Any]) -> dict[str, Any]:
    if settings["init"] == "normal":
        return {"kind": "normal", "std": settings["init_std"]}
    return {"kind": "uniform", "low": -settings["init_std"], "high": settings["init_std"]}


def dataset(settings: dict[str, Any], S: int) -> tuple[np.ndarray, np.ndarray]:
    """The catalogue's data, stacked for S replicas. With two outputs the target is
    (y, 1 − y): a valid probability pair, as the cross-entropy losses need."""
    X, y = squares_regression(settings["n_samples"], settings["data_seed"])
    if settings["outputs"] == 2:
        y = np.hstack([y, 1 - y])
    return np.repeat(X[None], S, axis=0), np.repeat(y[None], S, axis=0)


def _cast(params: Params, dtype: str) -> Params:
    return [(W.astype(dtype), None if b is None else b.astype(dtype)) for W, b in params]


def _slice(params: Params, s: int) -> Params:
    return [(W[s : s + 1], None if b is None else b[s : s + 1]) for W, b in params]


def gradient_check(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per dtype × seed × layer × parameter kind × pair of methods.

    Each row has the largest absolute difference, the largest relative error
    |a − b| / max(|a|, |b|) (entries that differ by at most the dtype's noise floor count
    as equal: finite differences resolve no finer), the threshold and whether it passed.
    """
    from backprop_lab.core.numpy_engine import NumpyEngine
    from backprop_lab.core.torch_engine import TorchEngine

    spec = network_spec(settings)
    seeds = settings["seeds"]
    params64 = init_params(spec, init_spec(settings), seeds)
    X, Y = dataset(settings, len(seeds))
    k = settings["check_sample"]
    x, y = X[:, k : k + 1], Y[:, k : k + 1]
    # float32 cannot resolve a central difference (round-off of the loss / h swamps it),
    # so both dtypes are compared with the float64 finite differences: the reference.
    finite_diff = numerical_grads(
        lambda p: NumpyEngine(spec, p).loss_and_grads(x, y)[0],
        params64,
        eps=settings["fd_eps"],
        order=settings["fd_order"],
    )
    rows = []
    for dtype in DTYPES:
        params = _cast(params64, dtype)
        xd, yd = x.astype(dtype), y.astype(dtype)
        grads = {
            "numpy": NumpyEngine(spec, params, dtype=dtype).loss_and_grads(xd, yd)[1],
            "autograd": TorchEngine(spec, params, dtype=dtype).loss_and_grads(xd, yd)[1],
            "finite_diff": finite_diff,
        }
        threshold = settings["threshold"][dtype]
        for s, seed in enumerate(seeds):
            for a, b in itertools.combinations(METHODS, 2):
                # finite differences resolve nothing finer than the noise floor; two
                # analytic gradients are held to their relative error alone
                floor = settings["noise_floor"] if "finite_diff" in (a, b) else 0.0
                for row in compare_grads(_slice(grads[a], s), _slice(grads[b], s), floor):
                    rows.append(
                        {
                            "dtype": dtype,
                            "seed": seed,
                            "comparison": f"{a} vs {b}",
                            **row,
                            "threshold": threshold,
                            "noise_floor": floor,
                            "passed": row["max_rel_error"] < threshold,
                        }
                    )
    return rows


def run(settings: dict[str, Any]) -> dict[str, Any]:
    """The gradient check, then per-sample SGD with the variant's engine (all seeds stacked)."""
    checks = gradient_check(settings)
    spec = network_spec(settings)
    seeds = settings["seeds"]
    params = init_params(spec, init_spec(settings), seeds)
    engine = make_engine(settings["engine"], spec, params)
    X, Y = dataset(settings, len(seeds))
    result = train_sgd(engine, X, Y, settings["lr"], settings["epochs"], tol=None)
    result.pop("final_weights")
    result.update(gradient_check=checks, seeds=seeds, n_params=spec.n_params)
    return result
