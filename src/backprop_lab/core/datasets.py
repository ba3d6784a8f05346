"""The 2-D classification data sets students know: TensorFlow Playground's circle, XOR,
two Gaussians and spiral (the formulas of its `dataset.ts`), and micrograd's two moons
(scikit-learn's `make_moons`, which micrograd's demo calls).

Each draws from a numpy Generator and returns points (n, 2) and labels (n,) in {0, 1}
(Playground's −1 is 0 here; ``labels_pm1`` gives ±1). ``noise`` is Playground's noise
slider as a fraction (its 0–50 % is 0–0.5); for the moons it is the standard deviation
of the Gaussian noise, as in `make_moons(noise=...)`. Playground's points lie in about
[−6, 6]², the moons' in about [−1.2, 2.2] × [−0.7, 1.2].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Data = tuple[np.ndarray, np.ndarray]
RADIUS = 5.0  # Playground's circle
XOR_PADDING = 0.3


def circle(n: int, noise: float, rng: np.random.Generator) -> Data:
    """Half the points inside radius 2.5 (label 1), half in the ring 3.5–5 (label 0); each
    labelled by where its noisy copy falls, as Playground does."""
    points, labels = [], []
    for inside, (low, high) in ((True, (0.0, RADIUS * 0.5)), (False, (RADIUS * 0.7, RADIUS))):
        for _ in range(n // 2 if inside else n - n // 2):
            r = rng.uniform(low, high)
            angle = rng.uniform(0.0, 2 * np.pi)
            x, y = r * np.sin(angle), r * np.cos(angle)
            nx, ny = rng.uniform(-RADIUS, RADIUS) * noise, rng.uniform(-RADIUS, RADIUS) * noise
            points.append((x, y))
            labels.append(1 if np.hypot(x + nx, y + ny) < RADIUS * 0.5 else 0)
    return np.array(points), np.array(labels)


def xor(n: int, noise: float, rng: np.random.Generator) -> Data:
    """Uniform points in the four quadrants (kept 0.3 from the axes); label 1 where x·y ≥ 0
    at the noisy copy of the point."""
    points, labels = [], []
    for _ in range(n):
        x, y = rng.uniform(-5.0, 5.0), rng.uniform(-5.0, 5.0)
        x += XOR_PADDING if x > 0 else -XOR_PADDING
        y += XOR_PADDING if y > 0 else -XOR_PADDING
        nx, ny = rng.uniform(-5.0, 5.0) * noise, rng.uniform(-5.0, 5.0) * noise
        points.append((x, y))
        labels.append(1 if (x + nx) * (y + ny) >= 0 else 0)
    return np.array(points), np.array(labels)


def gauss(n: int, noise: float, rng: np.random.Generator) -> Data:
    """Two Gaussian clouds around (2, 2) (label 1) and (−2, −2) (label 0); Playground's
    "variance" (used as the standard deviation) grows from 0.5 at noise 0 to 4 at 0.5."""
    spread = 0.5 + (4.0 - 0.5) * (noise / 0.5)
    points, labels = [], []
    for centre, label in ((2.0, 1), (-2.0, 0)):
        for _ in range(n // 2 if label else n - n // 2):
            points.append((rng.normal(centre, spread), rng.normal(centre, spread)))
            labels.append(label)
    return np.array(points), np.array(labels)


def spiral(n: int, noise: float, rng: np.random.Generator) -> Data:
    """Two interleaved spirals of 1.75 turns out to radius 5 (label 1, and label 0 turned
    by π), each point moved by uniform noise in [−noise, noise]²."""
    half = n // 2
    points, labels = [], []
    for delta, label in ((0.0, 1), (np.pi, 0)):
        count = half if label else n - half
        for i in range(count):
            r = i / count * 5
            t = 1.75 * i / count * 2 * np.pi + delta
            x = r * np.sin(t) + rng.uniform(-1.0, 1.0) * noise
            y = r * np.cos(t) + rng.uniform(-1.0, 1.0) * noise
            points.append((x, y))
            labels.append(label)
    return np.array(points), np.array(labels)


def moons(n: int, noise: float, rng: np.random.Generator) -> Data:
    """scikit-learn's `make_moons` (not shuffled): the upper half of the unit circle (label
    0) and the lower half of the unit circle around (1, 0.5) (label 1), plus Gaussian noise
    of this standard deviation."""
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    points = np.vstack(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            np.column_stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5]),
        ]
    )
    labels = np.concatenate([np.zeros(n_out, dtype=int), np.ones(n_in, dtype=int)])
    if noise:
        points = points + rng.normal(0.0, noise, points.shape)
    return points, labels


DATASETS: dict[str, Callable[[int, float, np.random.Generator], Data]] = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
}
# the square each data set's decision boundary is drawn over
EXTENT = {name: (-6.0, 6.0, -6.0, 6.0) for name in ("circle", "xor", "gauss", "spiral")}
EXTENT["moons"] = (-1.5, 2.5, -1.0, 1.5)


def sklearn_moons(n: int, noise: float, seed: int) -> Data:
    """scikit-learn's own ``make_moons(n_samples=n, noise=noise)`` as micrograd's demo calls
    it, after ``np.random.seed(seed)``: drawn from the legacy ``RandomState(seed)`` (the
    state that call gives the global generator), shuffled, then the noise added."""
    from sklearn.datasets import make_moons

    points, labels = make_moons(n_samples=n, noise=noise, random_state=np.random.RandomState(seed))
    return points, labels.astype(int)


# data sets drawn by a library from the seed itself
LIBRARY_DATASETS: dict[str, Callable[[int, float, int], Data]] = {"sklearn_moons": sklearn_moons}
EXTENT["sklearn_moons"] = EXTENT["moons"]


def make_dataset(name: str, n: int, noise: float, seed: int) -> Data:
    """Points and 0/1 labels of a data set: DATASETS drawn from
    ``np.random.default_rng(seed)``, LIBRARY_DATASETS from the seed as their library takes
    it. Errors: ValueError naming an unknown data set."""
    if name in LIBRARY_DATASETS:
        return LIBRARY_DATASETS[name](int(n), float(noise), seed)
    if name not in DATASETS:
        known = ", ".join([*DATASETS, *LIBRARY_DATASETS])
        raise ValueError(f"unknown data set {name!r}; known: {known}")
    return DATASETS[name](int(n), float(noise), np.random.default_rng(seed))


def labels_pm1(labels: np.ndarray) -> np.ndarray:
    """0/1 labels as −1/+1."""
    return np.where(np.asarray(labels) > 0, 1.0, -1.0)
