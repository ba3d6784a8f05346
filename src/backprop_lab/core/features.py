"""Input features of 2-D points, as TensorFlow Playground's feature toggles: the network
sees the chosen columns of (x1, x2, x1², x2², x1·x2, sin x1, sin x2)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# name -> (formula, the column from points (..., 2))
FEATURES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "x1": ("x1", lambda p: p[..., 0]),
    "x2": ("x2", lambda p: p[..., 1]),
    "x1_sq": ("x1²", lambda p: p[..., 0] ** 2),
    "x2_sq": ("x2²", lambda p: p[..., 1] ** 2),
    "x1_x2": ("x1·x2", lambda p: p[..., 0] * p[..., 1]),
    "sin_x1": ("sin x1", lambda p: np.sin(p[..., 0])),
    "sin_x2": ("sin x2", lambda p: np.sin(p[..., 1])),
}


def feature_columns(points: np.ndarray, names: list[str]) -> np.ndarray:
    """The chosen features of points (..., 2), in the order given: (..., len(names))."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names:
        raise ValueError(f"features {unknown or names!r}: known are {', '.join(FEATURES)}")
    points = np.asarray(points, dtype=np.float64)
    return np.stack([FEATURES[n][1](points) for n in names], axis=-1)
