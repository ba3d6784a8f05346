"""Data generators of Suites 2 and 3, and the train/test split (numpy only).

Every generator is deterministic given its arguments: the seed that draws the points is
a setting of the variant (``data_seed``), separate from the seeds of the initialisation.
"""

from __future__ import annotations

import numpy as np


def squares_regression(n: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Suite 2: x ~ Uniform(0, 1)², target y = (x1² + x2²) / 2. X (n, 2), y (n, 1)."""
    X = np.random.default_rng(data_seed).uniform(0.0, 1.0, size=(n, 2))
    y = (X[:, 0] ** 2 + X[:, 1] ** 2) / 2
    return X, y[:, None]


def linear_task(n: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Suite 3 "linear": n points uniform in [0, 1]²; label 0 if x1 > x2, else 1."""
    X = np.random.default_rng(data_seed).uniform(0.0, 1.0, size=(n, 2))
    labels = np.where(X[:, 0] > X[:, 1], 0.0, 1.0)
    return X, labels[:, None]


def xor_task(points_per_diagonal: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Suite 3 "xor" (the lab's easy XOR): k = points_per_diagonal points on each diagonal.

    For i = 0..k−1 and t = i / (k − 1): (t, t) with label 0, then (t, 1 − t) with label 1,
    leaving out the one point where the diagonals cross (k odd). k = 11 gives the lab's
    21 points: (0.1·i, 0.1·i) for i = 0..10 and (0.1·i, 1 − 0.1·i) for i ≠ 5.
    """
    k = int(points_per_diagonal)
    if k < 2:
        raise ValueError(f"points_per_diagonal must be at least 2, got {k}")
    # i / 10 rather than 0.1 * i: the lab's points are the decimals 0.3, 0.7..., exactly
    t = np.arange(k) / (k - 1)
    zeros = np.column_stack([t, t])
    keep = ~np.isclose(t, 1 - t)
    ones = np.column_stack([t[keep], 1 - t[keep]])
    X = np.vstack([zeros, ones])
    labels = np.concatenate([np.zeros(len(zeros)), np.ones(len(ones))])
    return X, labels[:, None]


def make_task(
    task: str, n_points: int, xor_points: int, data_seed: int
) -> tuple[np.ndarray, np.ndarray]:
    if task == "linear":
        return linear_task(n_points, data_seed)
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
