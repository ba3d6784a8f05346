"""The network specification and its parameters, stacked over a leading replica axis S.

A layer computes ``z = a_prev @ W + b``: ``W`` is (S, n_in, n_out), so ``W[s, i, j]``
connects input i to unit j, and ``b`` is (S, 1, n_out), or None without biases.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_lab.core.functions import ACTIVATIONS, LOSSES, REGULARISERS

Params = list[tuple[np.ndarray, np.ndarray | None]]
PENALTY_ON = ("weights", "all")


def penalised(params: Params, penalty_on: str) -> list[np.ndarray]:
    """The arrays a weight penalty covers, layer by layer: each W, and with
    ``penalty_on="all"`` its b too (micrograd penalises every parameter)."""
    every = penalty_on == "all"
    return [p for W, b in params for p in (W, b if every else None) if p is not None]


@dataclass(frozen=True)
class NetSpec:
    """A fully connected network: widths (n_in, hidden..., n_out), one activation per layer."""

    widths: tuple[int, ...]
    activations: tuple[str, ...]
    bias: bool
    loss: str
    # a weight penalty added to the loss (core.functions.REGULARISERS) and its rate
    regulariser: str = "none"
    reg_rate: float = 0.0
    # what the penalty covers: "weights" (Playground: never the biases) or "all" (micrograd)
    penalty_on: str = "weights"

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        object.__setattr__(self, "activations", tuple(self.activations))
        if len(self.widths) < 2 or min(self.widths) < 1:
            raise ValueError(f"widths must be at least (n_in, n_out), all >= 1: {self.widths}")
        if len(self.activations) != len(self.widths) - 1:
            raise ValueError(
                f"{len(self.widths) - 1} layers need {len(self.widths) - 1} activations, "
                f"got {len(self.activations)}: {self.activations}"
            )
        for name in self.activations:
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; known: {', '.join(LOSSES)}")
        if self.penalty_on not in PENALTY_ON:
            raise ValueError(
                f"unknown penalty_on {self.penalty_on!r}; known: {', '.join(PENALTY_ON)}"
            )
        if self.regulariser not in REGULARISERS:
            raise ValueError(
                f"unknown regulariser {self.regulariser!r}; known: {', '.join(REGULARISERS)}"
            )

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        return list(zip(self.widths[:-1], self.widths[1:]))

    @property
    def n_params(self) -> int:
        return sum(i * o + (o if self.bias else 0) for i, o in self.layer_shapes)


def _stack(per_replica: list[Params], bias: bool) -> Params:
    """Replicas' layer lists [(W (n_in, n_out), b (n_out,) or None), ...] stacked on S."""
    return [
        (
            np.stack([rep[k][0] for rep in per_replica]),
            np.stack([rep[k][1] for rep in per_replica])[:, None, :] if bias else None,
        )
        for k in range(len(per_replica[0]))
    ]


def _specified(spec: NetSpec, init: dict[str, Any], seeds: list[int]) -> Params:
    values = np.asarray(init["values"], dtype=np.float64).ravel()
    if values.size != spec.n_params:
        raise ValueError(
            f"init 'specified' needs {spec.n_params} values for widths {spec.widths} "
            f"({'with' if spec.bias else 'without'} biases), got {values.size}"
        )
    one = unflatten_params(spec, values[None, :])
    n = len(seeds)
    return [
        (np.repeat(W, n, axis=0), None if b is None else np.repeat(b, n, axis=0)) for W, b in one
    ]


def _zeros(spec: NetSpec, init: dict[str, Any], seeds: list[int]) -> Params:
    n = len(seeds)
    return [
        (np.zeros((n, i, o)), np.zeros((n, 1, o)) if spec.bias else None)
        for i, o in spec.layer_shapes
    ]


def _legacy_randn(spec: NetSpec, init: dict[str, Any], seeds: list[int]) -> Params:
    states = init.get("states") or [np.random.RandomState(seed) for seed in seeds]
    per_replica = []
    for state in states:
        layers = []
        for i, o in spec.layer_shapes:
            W = state.randn(o, i).T
            layers.append((W, state.randn(o, 1)[:, 0] if spec.bias else None))
        per_replica.append(layers)
    return _stack(per_replica, spec.bias)


def _python_uniform(spec: NetSpec, init: dict[str, Any], seeds: list[int]) -> Params:
    low, high = float(init.get("low", -1.0)), float(init.get("high", 1.0))
    per_replica = []
    for seed in seeds:
        rng = random.Random(seed)  # the sequence random.seed(seed) gives the global one
        layers = []
        for i, o in spec.layer_shapes:
            W = np.empty((i, o))
            for unit in range(o):  # neuron by neuron, each its n_in weights
                W[:, unit] = [rng.uniform(low, high) for _ in range(i)]
            layers.append((W, np.zeros(o) if spec.bias else None))
        per_replica.append(layers)
    return _stack(per_replica, spec.bias)


def _generator(draw: Callable[[np.random.Generator, dict[str, Any], tuple[int, ...]], Any]) -> Any:
    """An initialiser drawing replica s from ``np.random.default_rng(seeds[s])``: W (n_in,
    n_out) then b (n_out,), layer by layer; ``bias: zero`` leaves the biases 0 undrawn."""

    def initialise(spec: NetSpec, init: dict[str, Any], seeds: list[int]) -> Params:
        drawn = init.get("bias", "drawn") == "drawn"
        per_replica = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            layers = []
            for i, o in spec.layer_shapes:
                W = draw(rng, init, (i, o))
                b = (draw(rng, init, (o,)) if drawn else np.zeros(o)) if spec.bias else None
                layers.append((W, b))
            per_replica.append(layers)
        return _stack(per_replica, spec.bias)

    return initialise


def _normal(rng: np.random.Generator, init: dict[str, Any], shape: tuple[int, ...]) -> Any:
    return rng.normal(float(init.get("mean", 0.0)), float(init.get("std", 1.0)), size=shape)


def _uniform(rng: np.random.Generator, init: dict[str, Any], shape: tuple[int, ...]) -> Any:
    return rng.uniform(float(init.get("low", -1.0)), float(init.get("high", 1.0)), size=shape)


# init["kind"] -> initialiser(spec, init, seeds): its generator and drawing order
INITIALISERS: dict[str, Callable[[NetSpec, dict[str, Any], list[int]], Params]] = {
    "specified": _specified,
    "zeros": _zeros,
    "normal": _generator(_normal),
    "uniform": _generator(_uniform),
    "legacy_randn": _legacy_randn,
    "python_uniform": _python_uniform,
}


def init_params(spec: NetSpec, init: dict[str, Any], seeds: list[int]) -> Params:
    """Initial parameters for S = len(seeds) replicas, by ``init["kind"]`` (INITIALISERS):

    - "specified": ``values``, each layer's W row-major, then its b, layer by layer; the
      same for every replica;
    - "zeros";
    - "normal" (``std``, optional ``mean``) or "uniform" (``low``, ``high``): replica s
      from ``np.random.default_rng(seeds[s])``, W (n_in, n_out) then b (n_out,), layer by
      layer; ``bias: "zero"`` keeps the biases 0 (default "drawn");
    - "legacy_randn": the classification lab's `Linear`: numpy's legacy generator
      (``states[s]``, a ``np.random.RandomState``; default ``RandomState(seeds[s])``, the
      state `np.random.seed(seeds[s])` gives), layer by layer ``randn(out, in)`` then
      ``randn(out, 1)``; W is the transpose of the first, since a layer computes a @ W;
    - "python_uniform": micrograd's `MLP`: Python's ``random`` seeded with seeds[s]
      (``random.seed``), neuron by neuron, layer by layer, each weight
      ``random.uniform(low, high)`` (default −1, 1); every bias 0.

    Errors: ValueError for no seed, an unknown kind, or "specified" values of the wrong count.
    """
    if len(seeds) < 1:
        raise ValueError("at least one seed is needed (one replica per seed)")
    kind = init.get("kind")
    if kind not in INITIALISERS:
        raise ValueError(f"unknown init kind {kind!r}; known: {', '.join(INITIALISERS)}")
    return INITIALISERS[kind](spec, init, seeds)


def flatten_params(params: Params) -> np.ndarray:
    """(S, P): each replica's W row-major then b, layer by layer (the ``specified`` order)."""
    S = params[0][0].shape[0]
    parts = []
    for W, b in params:
        parts.append(W.reshape(S, -1))
        if b is not None:
            parts.append(b.reshape(S, -1))
    return np.concatenate(parts, axis=1)


def unflatten_params(spec: NetSpec, flat: np.ndarray) -> Params:
    """Inverse of :func:`flatten_params` for a (S, P) array."""
    flat = np.asarray(flat)
    S = flat.shape[0]
    params: Params = []
    k = 0
    for i, o in spec.layer_shapes:
        W = flat[:, k : k + i * o].reshape(S, i, o).copy()
        k += i * o
        b = None
        if spec.bias:
            b = flat[:, k : k + o].reshape(S, 1, o).copy()
            k += o
        params.append((W, b))
    return params


def param_names(spec: NetSpec) -> list[str]:
    """Names in flattening order: "W1[0,1]", "b1[2]", ...; the lab's "w1".."w8" for 2-2-2."""
    if spec.widths == (2, 2, 2) and not spec.bias:
        return [f"w{k}" for k in range(1, 9)]
    names = []
    for layer, (i, o) in enumerate(spec.layer_shapes, start=1):
        names += [f"W{layer}[{r},{c}]" for r in range(i) for c in range(o)]
        if spec.bias:
            names += [f"b{layer}[{c}]" for c in range(o)]
    return names
