"""Registries of update rules (with state) and step schedules (numpy only).

An update rule has the shape of CS231n's ``optim.py``: ``step(w, dw, lr, state, options)
-> (new w, new state)``, where ``state`` starts as ``{}`` for every parameter. Parameters
carry a leading replica axis S, e.g. W of shape (S, n_in, n_out) and b of shape
(S, 1, n_out); the learning rate is an array broadcastable against them, shape (S, 1, 1),
in the parameter's dtype, so that each replica takes its own step (a frozen replica has
step 0). Every operation is elementwise, so replicas never mix.

A step is pure: it never writes into ``w``, ``dw`` or the old state, and returns new
arrays. Each rule is held equal to a ``torch.optim`` twin (named in ``torch_name``); its
arithmetic follows torch 2.x's single-tensor code path (``torch/optim/sgd.py``
``_single_tensor_sgd``, ``torch/optim/adam.py`` ``_single_tensor_adam``) operation for
operation. It cannot be bit for bit: torch's CPU kernels fuse ``add_(g, alpha=-lr)``,
``lerp_`` and ``addcmul_`` into FMAs, and its vectorised sqrt is not always correctly
rounded, so a step differs from torch's by an ulp or so (and ``sgd`` keeps the two
roundings of ``W -= lr * dW`` on purpose, to stay bit-identical to the in-place update).

A step schedule gives the learning rate at step k = 0, 1, 2, … (counted in steps) of a run
of ``total`` steps. Formula strings are plain Unicode for the report: η is the learning
rate, g = ∂L/∂w the gradient, k the step and K the run's number of steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class UpdateRule:
    """A parameter update: step(w, dw, lr, state, options) -> (new w, new state).

    w, dw: (S, …) arrays of one dtype; lr: broadcastable against w, e.g. (S, 1, 1);
    state: the previous step's state, ``{}`` before the first step; options: a full set of
    options, as ``options_of`` returns them.
    """

    name: str
    step: Callable[
        [Array, Array, Array, dict[str, Any], dict[str, Any]], tuple[Array, dict[str, Any]]
    ]
    defaults: dict[str, float]
    formula: str
    torch_name: str


@dataclass(frozen=True)
class Schedule:
    """A learning rate per step: rate(lr0, k, total, options) -> η_k (a Python float)."""

    name: str
    rate: Callable[[float, int, int, dict[str, Any]], float]
    defaults: dict[str, float]
    formula: str


def _merge(kind: str, name: str, registry: dict[str, Any], given: dict | None) -> dict:
    """``registry[name].defaults`` updated by ``given``; ValueError for an unknown name or
    option, naming it and listing the known ones."""
    if name not in registry:
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(sorted(registry))}")
    defaults = registry[name].defaults
    unknown = sorted(set(given or {}) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise ValueError(
            f"unknown option {', '.join(map(repr, unknown))} for {kind} {name!r}; known: {known}"
        )
    return {**defaults, **(given or {})}


# --- update rules --------------------------------------------------------------------


def _sgd(w: Array, dw: Array, lr: Array, state: dict, options: dict) -> tuple[Array, dict]:
    # w - lr * dw, in this order: bit-identical to the in-place W -= lr * dW
    return w - lr * dw, {}


def _momentum_buffer(dw: Array, state: dict, momentum: float) -> Array:
    """torch's buffer (dampening 0): a copy of g at the first step, then μ·buf + g."""
    if "momentum_buffer" not in state:
        return dw.copy()
    return state["momentum_buffer"] * momentum + dw


def _momentum(w: Array, dw: Array, lr: Array, state: dict, options: dict) -> tuple[Array, dict]:
    buf = _momentum_buffer(dw, state, options["momentum"])
    return w - lr * buf, {"momentum_buffer": buf}


def _nesterov(w: Array, dw: Array, lr: Array, state: dict, options: dict) -> tuple[Array, dict]:
    buf = _momentum_buffer(dw, state, options["momentum"])
    return w - lr * (dw + options["momentum"] * buf), {"momentum_buffer": buf}


def _lerp(start: Array, end: Array, weight: float) -> Array:
    """start + weight·(end − start), in torch's two-sided form (ATen/native/Lerp.h)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _adam(w: Array, dw: Array, lr: Array, state: dict, options: dict) -> tuple[Array, dict]:
    """Adam (Kingma & Ba 2015, Algorithm 1) in the order of torch's ``_single_tensor_adam``
    (amsgrad off, no weight decay): t counts steps from 1, m and v start at 0."""
    beta1, beta2, eps = options["beta1"], options["beta2"], options["eps"]
    t = state.get("t", 0) + 1
    m = _lerp(state.get("m", np.zeros_like(w)), dw, 1 - beta1)
    v = state.get("v", np.zeros_like(w)) * beta2 + (1 - beta2) * dw * dw
    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    step_size = lr / bias_correction1
    denom = np.sqrt(v) / bias_correction2**0.5 + eps
    return w - step_size * m / denom, {"t": t, "m": m, "v": v}


UPDATE_RULES: dict[str, UpdateRule] = {
    rule.name: rule
    for rule in (
        UpdateRule("sgd", _sgd, {}, "w ← w − η·g", "SGD()"),
        UpdateRule(
            "momentum",
            _momentum,
            {"momentum": 0.9},
            "b ← μ·b + g (b = g at the first step); w ← w − η·b",
            "SGD(momentum=0.9, dampening=0, nesterov=False)",
        ),
        UpdateRule(
            "nesterov",
            _nesterov,
            {"momentum": 0.9},
            "b ← μ·b + g (b = g at the first step); w ← w − η·(g + μ·b)",
            "SGD(momentum=0.9, nesterov=True)",
        ),
        UpdateRule(
            "adam",
            _adam,
            {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
            "t ← t + 1; m ← β₁·m + (1 − β₁)·g; v ← β₂·v + (1 − β₂)·g²; "
            "w ← w − η/(1 − β₁ᵗ)·m/(√v/√(1 − β₂ᵗ) + ε)",
            "Adam(betas=(0.9, 0.999), eps=1e-08)",
        ),
    )
}


def options_of(name: str, given: dict | None) -> dict:
    """The options of update rule ``name``: its defaults updated by ``given``.

    Raises ValueError for an unknown rule or option, naming it and listing the known ones.
    """
    return _merge("update rule", name, UPDATE_RULES, given)


# --- step schedules ------------------------------------------------------------------


def _constant(lr0: float, k: int, total: int, options: dict) -> float:
    return lr0


def _linear(lr0: float, k: int, total: int, options: dict) -> float:
    # in this order, lr0 = 1, decay 0.9, total 100 is micrograd's 1.0 - 0.9*k/100 bit for bit
    return lr0 * (1.0 - options["decay"] * k / total)


def _step(lr0: float, k: int, total: int, options: dict) -> float:
    return lr0 * options["gamma"] ** (k // options["every"])


def _inverse_time(lr0: float, k: int, total: int, options: dict) -> float:
    return lr0 / (1 + options["decay"] * k)


SCHEDULES: dict[str, Schedule] = {
    schedule.name: schedule
    for schedule in (
        Schedule("constant", _constant, {}, "η_k = η₀"),
        Schedule("linear", _linear, {"decay": 0.9}, "η_k = η₀·(1 − decay·k/K)"),
        Schedule("step", _step, {"gamma": 0.5, "every": 100}, "η_k = η₀·γ^⌊k/every⌋"),
        Schedule("inverse_time", _inverse_time, {"decay": 0.01}, "η_k = η₀/(1 + decay·k)"),
    )
}


def schedule_options(name: str, given: dict | None) -> dict:
    """The options of step schedule ``name``: its defaults updated by ``given``.

    Raises ValueError for an unknown schedule or option, naming it and listing the known
    ones.
    """
    return _merge("schedule", name, SCHEDULES, given)
