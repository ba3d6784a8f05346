"""Data generators of the labs, and the train/test split (numpy only).

Every generator is deterministic given its arguments: the seed that draws the points is
a setting of the variant (``data_seed``), separate from the seeds of the initialisation.
"""

from __future__ import annotations

import numpy as np


def squares_regression(n: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The gradient-equality lab: x ~ Uniform(0, 1)², y = (x1² + x2²) / 2. X (n, 2), y (n, 1)."""
    X = np.random.default_rng(data_seed).uniform(0.0, 1.0, size=(n, 2))
    y = (X[:, 0] ** 2 + X[:, 1] ** 2) / 2
    return X, y[:, None]


def linear_task(
    n: int, data_seed: int, state: np.random.RandomState | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The classification lab's "linear" task: n points uniform in [0, 1]², in the order
    drawn; label 0 if x1 > x2, else 1. Drawn from ``np.random.default_rng(data_seed)``, or,
    as the lab's `generate_linear` does, from numpy's legacy generator ``state``
    (`np.random.uniform(0, 1, (n, 2))` after `np.random.seed(s)`)."""
    if state is not None:
        X = state.uniform(0, 1, (n, 2))
    else:
        X = np.random.default_rng(data_seed).uniform(0.0, 1.0, size=(n, 2))
    labels = np.where(X[:, 0] > X[:, 1], 0.0, 1.0)
    return X, labels[:, None]


def xor_task(points_per_diagonal: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """The classification lab's easy XOR, as its `generate_XOR_easy` makes it.

    With k = points_per_diagonal and t = (1 / (k − 1)) · i for i = 0..k−1 (0.1 · i for the
    lab's k = 11): the point (t, t) with label 0, then (t, 1 − t) with label 1 unless it is
    the crossing point t = 0.5. So the classes interleave, 0, 1, 0, 1, ..., and k = 11
    gives the lab's 21 points in the lab's order.
    """
    k = int(points_per_diagonal)
    if k < 2:
        raise ValueError(f"points_per_diagonal must be at least 2, got {k}")
    step = 1 / (k - 1)
    points, labels = [], []
    for i in range(k):
        t = step * i
        points.append((t, t))
        labels.append(0.0)
        if np.isclose(t, 0.5):
            continue
        points.append((t, 1 - t))
        labels.append(1.0)
    return np.array(points), np.array(labels)[:, None]


def sample_order(labels: np.ndarray, order: str) -> np.ndarray:
    """Indices that put the samples in the given order: "listed" keeps the generator's
    order; "grouped" puts every label-0 sample first, then every label 1 (each class in the
    generator's order). ("shuffled", a new order every epoch, is the training loop's.)"""
    flat = np.asarray(labels).ravel()
    if order in ("listed", "shuffled"):
        return np.arange(len(flat))
    if order == "grouped":
        return np.argsort(flat, kind="stable")
    raise ValueError(f"unknown sample order {order!r}; known: listed, grouped, shuffled")


def make_task(
    task: str,
    n_points: int,
    xor_points: int,
    data_seed: int,
    state: np.random.RandomState | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    if task == "linear":
        return linear_task(n_points, data_seed, state)
    if task == "xor":
        return xor_task(xor_points)
    raise ValueError(f"unknown task {task!r}; known: linear, xor")


def train_test_split(n: int, test_fraction: float, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) of a random split; each part keeps the generator's order.

    round(n · test_fraction) points go to the test part, drawn by a permutation from
    ``np.random.default_rng(data_seed)``; test_fraction 0 puts every point in training.
    """
    n_test = round(n * float(test_fraction))
    if not 0 <= n_test < n:
        raise ValueError(f"a test fraction of {test_fraction} leaves no training point of {n}")
    if n_test == 0:
        return np.arange(n), np.arange(0)
    order = np.random.default_rng(data_seed).permutation(n)
    return np.sort(order[n_test:]), np.sort(order[:n_test])
