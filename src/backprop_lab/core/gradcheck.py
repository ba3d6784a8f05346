"""Numerical gradient checking (numpy only): central differences and relative error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_lab.core.network import Params


def relative_error(a: Any, b: Any) -> np.ndarray:
    """|a − b| / max(|a|, |b|) elementwise (CS231n style); 0 where a == b, including 0 == 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
    return np.where(a == b, 0.0, rel)


def numerical_grads(
    loss_fn: Callable[[Params], np.ndarray],
    params: Params,
    eps: float = 1e-6,
    order: int = 2,
) -> Params:
    """Central-difference gradient of ``loss_fn(params) -> (S,)`` for every parameter entry.

    Replicas are independent, so one entry is perturbed in all replicas at once. ``order``
    2 is the classic (L(w + h) − L(w − h)) / 2h; order 4 uses the five-point stencil,
    whose error is O(h⁴). The step actually taken, (w + h) − w, is used as h.
    """
    if order not in (2, 4):
        raise ValueError(f"order must be 2 or 4, got {order}")
    work = [(W.copy(), None if b is None else b.copy()) for W, b in params]
    grads: Params = []
    for W, b in work:
        layer_grads = []
        for arr in (W, b):
            if arr is None:
                layer_grads.append(None)
                continue
            g = np.zeros_like(arr)
            for index in np.ndindex(*arr.shape[1:]):
                at = (slice(None), *index)
                orig = arr[at].copy()
                h = (orig + eps) - orig

                def loss_at(shift: float, arr=arr, at=at, orig=orig, h=h) -> np.ndarray:
                    arr[at] = orig + shift * h
                    return np.asarray(loss_fn(work), dtype=np.float64)

                if order == 2:
                    g[at] = (loss_at(1) - loss_at(-1)) / (2 * h)
                else:
                    g[at] = (-loss_at(2) + 8 * loss_at(1) - 8 * loss_at(-1) + loss_at(-2)) / (
                        12 * h
                    )
                arr[at] = orig
            layer_grads.append(g)
        grads.append((layer_grads[0], layer_grads[1]))
    return grads


def compare_grads(
    a: Params,
    b: Params,
    noise_floor: float = 0.0,
    mask: list[tuple[np.ndarray, np.ndarray | None]] | None = None,
) -> list[dict[str, Any]]:
    """Per layer and per parameter kind ("W", "b"): max abs difference and max relative error.

    Entries that differ by at most ``noise_floor`` count as agreeing (relative error 0):
    finite differences cannot resolve less, and an exact zero gradient (a dead ReLU unit)
    against 1e-14 of round-off would otherwise read as a relative error of 1. ``mask``
    (same structure, booleans) restricts the comparison to chosen entries; a row with no
    entry left reports 0.
    """
    rows = []
    for layer, ((Wa, ba), (Wb, bb)) in enumerate(zip(a, b, strict=True), start=1):
        pairs = [("W", Wa, Wb, None if mask is None else mask[layer - 1][0])]
        if ba is not None and bb is not None:
            pairs.append(("b", ba, bb, None if mask is None else mask[layer - 1][1]))
        for kind, x, y, m in pairs:
            x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
            if m is not None:
                x, y = x[m], y[m]
            diff = np.abs(x - y)
            rel = np.where(diff <= noise_floor, 0.0, relative_error(x, y))
            rows.append(
                {
                    "layer": layer,
                    "param": kind,
                    "max_abs_diff": float(diff.max()) if diff.size else 0.0,
                    "max_rel_error": float(rel.max()) if rel.size else 0.0,
                }
            )
    return rows
