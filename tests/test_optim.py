"""Every update rule = its torch.optim twin over 100 steps; step schedules = their formulas."""

from __future__ import annotations

import copy
from collections.abc import Callable
from itertools import permutations
from typing import NamedTuple

import numpy as np
import pytest
import torch

from backprop_lab.core.optim import SCHEDULES, UPDATE_RULES, options_of, schedule_options


class Twin(NamedTuple):
    """A rule's torch.optim twin, and a set of options other than the defaults to run it at."""

    make: Callable[[list[torch.Tensor], float, dict], torch.optim.Optimizer]
    other_options: dict


# the twin of every update rule; a rule without a twin fails with KeyError.
# foreach=False: the single-tensor code path whose arithmetic optim.py follows
TWINS: dict[str, Twin] = {
    "sgd": Twin(lambda params, lr, o: torch.optim.SGD(params, lr=lr, foreach=False), {}),
    "momentum": Twin(
        lambda params, lr, o: torch.optim.SGD(
            params, lr=lr, momentum=o["momentum"], dampening=0, nesterov=False, foreach=False
        ),
        {"momentum": 0.45},
    ),
    "nesterov": Twin(
        lambda params, lr, o: torch.optim.SGD(
            params, lr=lr, momentum=o["momentum"], nesterov=True, foreach=False
        ),
        {"momentum": 0.45},
    ),
    # 1 − β₁ = 0.55 takes torch's other lerp branch
    "adam": Twin(
        lambda params, lr, o: torch.optim.Adam(
            params, lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["eps"], foreach=False
        ),
        {"beta1": 0.45, "beta2": 0.99, "eps": 1e-6},
    ),
}

STEPS = 100
# three replicas, each its own learning rate, so that a rule that mixed replicas would show.
# Small enough that the runs stay well-conditioned (see test_the_runs_are_well_conditioned):
# at 0.05 Adam with β₁ = 0.45 turns a 1-ulp nudge of the start into 5e-10 by step 100.
LRS = (0.02, 0.01, 0.005)
# torch fuses w + α·g and the lerp into FMAs and its AVX-512 sqrt is not always correctly
# rounded, so each step differs from numpy's by an ulp or so; on a well-conditioned run that
# stays below ~1e-13 (measured: 3e-14 at worst), and any real slip is far above this
TOLERANCE = 1e-12
# every deliberately wrong rule below misses its twin by more than this
CAUGHT = 1e-9

rng = np.random.default_rng(0)
X = torch.tensor(rng.uniform(-1.0, 1.0, (8, 3)))
Y = torch.tensor(rng.uniform(-1.0, 1.0, (8, 2)))
# W1 (S, 3, 4), b1 (S, 1, 4), W2 (S, 4, 2), b2 (S, 1, 2)
PARAMS0 = [rng.normal(0.0, 1.0, (len(LRS), *shape)) for shape in ((3, 4), (1, 4), (4, 2), (1, 2))]

Step = Callable[[np.ndarray, np.ndarray, np.ndarray, dict, dict], tuple[np.ndarray, dict]]
Trajectory = list[list[np.ndarray]]  # per step, the S-stacked parameters after it


def replica_loss(params: list[torch.Tensor]) -> torch.Tensor:
    """Mean squared error of a 3-4-2 tanh network, one replica: not quadratic in its weights."""
    W1, b1, W2, b2 = params
    out = torch.tanh(X @ W1 + b1) @ W2 + b2
    return ((out - Y) ** 2).mean()


def replica_grads(params: list[np.ndarray]) -> list[np.ndarray]:
    """∂L/∂p for one replica's parameters, by torch autograd at the current values."""
    leaves = [torch.tensor(p, requires_grad=True) for p in params]
    return [g.numpy() for g in torch.autograd.grad(replica_loss(leaves), leaves)]


def run_rule(
    step: Step, options: dict, lrs: tuple[float, ...] = LRS, params0: list | None = None
) -> Trajectory:
    """STEPS steps of `step` on the S replicas stacked in one array per parameter."""
    params = [p.copy() for p in (PARAMS0 if params0 is None else params0)]
    states: list[dict] = [{} for _ in params]
    lr = np.asarray(lrs, dtype=params[0].dtype).reshape(-1, 1, 1)
    trajectory = []
    for _ in range(STEPS):
        per_replica = [replica_grads([p[s] for p in params]) for s in range(len(lrs))]
        grads = [np.stack(g) for g in zip(*per_replica)]
        for i, (w, dw) in enumerate(zip(params, grads)):
            params[i], states[i] = step(w, dw, lr, states[i], options)
        trajectory.append(list(params))
    return trajectory


def run_twin(make: Callable, options: dict, lrs: tuple[float, ...] = LRS) -> Trajectory:
    """STEPS steps of one torch optimiser per replica slice, stacked back as in run_rule."""
    replicas = [[torch.tensor(p[s], requires_grad=True) for p in PARAMS0] for s in range(len(lrs))]
    optimisers = [make(leaves, lr, options) for leaves, lr in zip(replicas, lrs)]
    trajectory = []
    for _ in range(STEPS):
        for leaves, optimiser in zip(replicas, optimisers):
            optimiser.zero_grad()
            replica_loss(leaves).backward()
            optimiser.step()
        trajectory.append([np.stack([r[i].detach().numpy() for r in replicas]) for i in range(4)])
    return trajectory


def gap(a: Trajectory, b: Trajectory) -> float:
    """max |a − b| over all parameters and steps."""
    return max(float(np.abs(x - y).max()) for pa, pb in zip(a, b) for x, y in zip(pa, pb))


def moved(a: Trajectory) -> float:
    """How far the run took any parameter from the start, at most."""
    return max(float(np.abs(w - w0).max()) for w, w0 in zip(a[-1], PARAMS0))


OPTION_SETS = {"defaults": lambda name: None, "other": lambda name: TWINS[name].other_options}


# --- every rule against its twin -------------------------------------------------------


@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
@pytest.mark.parametrize("name", sorted(UPDATE_RULES))
def test_rule_equals_its_torch_twin(name: str, option_set: str) -> None:
    options = options_of(name, OPTION_SETS[option_set](name))
    ours = run_rule(UPDATE_RULES[name].step, options)
    assert moved(ours) > 0.1, f"{name} hardly moved: the comparison would be weak"
    difference = gap(ours, run_twin(TWINS[name].make, options))
    assert difference <= TOLERANCE, f"{name}: max |ours − torch| = {difference:.3g}"


@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
@pytest.mark.parametrize("name", sorted(UPDATE_RULES))
def test_the_runs_are_well_conditioned(name: str, option_set: str) -> None:
    """A 1-ulp nudge of the start stays far below TOLERANCE, so the twin test measures the
    rule's arithmetic, not a chaotic run's amplification of rounding."""
    options = options_of(name, OPTION_SETS[option_set](name))
    signs = np.random.default_rng(3)
    nudged = [p * (1 + 2.0**-52 * signs.choice([-1, 1], p.shape)) for p in PARAMS0]
    step = UPDATE_RULES[name].step
    assert gap(run_rule(step, options), run_rule(step, options, params0=nudged)) <= 1e-13


def test_every_twin_is_listed_and_named() -> None:
    assert set(TWINS) == set(UPDATE_RULES)
    for name, rule in UPDATE_RULES.items():
        options_of(name, TWINS[name].other_options)  # the other options are real options
        optimiser = TWINS[name].make([torch.zeros(1, requires_grad=True)], 0.1, rule.defaults)
        assert rule.torch_name.startswith(type(optimiser).__name__ + "("), name
        assert "w ←" in rule.formula, name


@pytest.mark.parametrize("rule_name, twin_name", list(permutations(sorted(UPDATE_RULES), 2)))
def test_the_comparison_tells_the_rules_apart(rule_name: str, twin_name: str) -> None:
    """Each rule against every other rule's twin: the harness sees the difference."""
    ours = run_rule(UPDATE_RULES[rule_name].step, options_of(rule_name, None))
    theirs = run_twin(TWINS[twin_name].make, options_of(twin_name, None))
    assert gap(ours, theirs) > CAUGHT


# --- the comparison catches plausible slips -------------------------------------------


def _adam_variant(slip: str | None) -> Step:
    """Adam written out plainly (m = β₁m + (1 − β₁)g, no lerp), with one deliberate slip."""

    def step(w, dw, lr, state, o):
        b1, b2, eps = o["beta1"], o["beta2"], o["eps"]
        t = state.get("t", 0) + 1
        m0, v0 = state.get("m", np.zeros_like(w)), state.get("v", np.zeros_like(w))
        m = (1 - b1) * m0 + b1 * dw if slip == "swapped beta1" else b1 * m0 + (1 - b1) * dw
        v = b2 * v0 + (1 - b2) * dw * dw
        bc1, bc2 = (1.0, 1.0) if slip == "no bias correction" else (1 - b1**t, 1 - b2**t)
        if slip == "eps inside the root":
            denom = np.sqrt(v / bc2 + eps)
        else:
            denom = np.sqrt(v) / np.sqrt(bc2) + eps
        return w - lr / bc1 * m / denom, {"t": t, "m": m, "v": v}

    return step


def _momentum_variant(slip: str) -> Step:
    """Heavy ball with one deliberate slip."""

    def step(w, dw, lr, state, o):
        mu = o["momentum"]
        buf = mu * state["buf"] + dw if "buf" in state else dw.copy()
        if slip == "dampened":  # buf ← μ·buf + (1 − μ)·g
            buf = mu * state["buf"] + (1 - mu) * dw if "buf" in state else (1 - mu) * dw
        if slip == "previous buffer":  # w moves by the buffer before g is added
            return w - lr * state.get("buf", dw), {"buf": buf}
        return w - lr * buf, {"buf": buf}

    return step


@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
def test_a_correct_adam_written_differently_passes(option_set: str) -> None:
    options = options_of("adam", OPTION_SETS[option_set]("adam"))
    ours = run_rule(_adam_variant(None), options)
    assert gap(ours, run_twin(TWINS["adam"].make, options)) <= TOLERANCE


@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
@pytest.mark.parametrize(
    "twin_name, step",
    [
        ("adam", _adam_variant("no bias correction")),
        ("adam", _adam_variant("swapped beta1")),
        ("adam", _adam_variant("eps inside the root")),
        ("momentum", _momentum_variant("dampened")),
        ("momentum", _momentum_variant("previous buffer")),
    ],
    ids=["adam-no-bias-correction", "adam-swapped-beta1", "adam-eps-inside-root",
         "momentum-dampened", "momentum-previous-buffer"],
)  # fmt: skip
def test_a_slipped_rule_fails_the_comparison(twin_name: str, step: Step, option_set: str) -> None:
    options = options_of(twin_name, OPTION_SETS[option_set](twin_name))
    assert gap(run_rule(step, options), run_twin(TWINS[twin_name].make, options)) > CAUGHT


# --- replicas, purity, the in-place update -------------------------------------------


@pytest.mark.parametrize("name", sorted(UPDATE_RULES))
def test_a_frozen_replica_does_not_move(name: str) -> None:
    final = run_rule(UPDATE_RULES[name].step, options_of(name, None), lrs=(0.02, 0.0, 0.005))[-1]
    for w, w0 in zip(final, PARAMS0):
        assert np.array_equal(w[1], w0[1]), name
        assert not np.array_equal(w[0], w0[0]) and not np.array_equal(w[2], w0[2]), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_is_bit_identical_to_the_in_place_update(dtype: type) -> None:
    r = np.random.default_rng(1)
    W = r.normal(size=(3, 5, 4)).astype(dtype)
    dW = r.normal(size=(3, 5, 4)).astype(dtype)
    lr = np.array([0.3, 0.0, 1e-3], dtype=dtype).reshape(-1, 1, 1)
    expected = W.copy()
    expected -= lr * dW
    new, state = UPDATE_RULES["sgd"].step(W, dW, lr, {}, options_of("sgd", None))
    assert new.dtype == dtype and np.array_equal(new, expected) and state == {}


def _arrays(state: dict) -> list[np.ndarray]:
    return [v for v in state.values() if isinstance(v, np.ndarray)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(UPDATE_RULES))
def test_a_step_is_pure_and_keeps_the_dtype(name: str, dtype: type) -> None:
    rule, options = UPDATE_RULES[name], options_of(name, None)
    r = np.random.default_rng(2)
    w = r.normal(size=(3, 1, 4)).astype(dtype)
    lr = np.array([0.1, 0.0, 0.01], dtype=dtype).reshape(-1, 1, 1)
    state: dict = {}
    for _ in range(3):
        dw = r.normal(size=w.shape).astype(dtype)
        before = (w.copy(), dw.copy(), copy.deepcopy(state))
        new_w, new_state = rule.step(w, dw, lr, state, options)
        assert np.array_equal(w, before[0]) and np.array_equal(dw, before[1])
        assert state.keys() == before[2].keys()
        assert all(np.array_equal(state[k], before[2][k]) for k in state)
        assert new_state is not state and new_w.dtype == dtype
        for a in [new_w, *_arrays(new_state)]:
            assert a.dtype == dtype
            assert not any(np.shares_memory(a, b) for b in [w, dw, *_arrays(state)])
        w, state = new_w, new_state


# --- options ----------------------------------------------------------------------------


def test_options_are_the_defaults_updated_by_the_given_ones() -> None:
    assert options_of("adam", {"eps": 1e-6}) == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-6}
    assert options_of("momentum", None) == {"momentum": 0.9}
    assert options_of("sgd", {}) == {}
    options_of("nesterov", None)["momentum"] = 0.0
    assert UPDATE_RULES["nesterov"].defaults == {"momentum": 0.9}
    assert schedule_options("step", {"every": 10}) == {"gamma": 0.5, "every": 10}


@pytest.mark.parametrize(
    "call, named, listed",
    [
        (lambda: options_of("adagrad", None), "'adagrad'", "adam, momentum, nesterov, sgd"),
        (lambda: options_of("adam", {"beta3": 0.9}), "'beta3'", "beta1, beta2, eps"),
        (lambda: options_of("sgd", {"momentum": 0.9}), "'momentum'", "none"),
        (lambda: schedule_options("cosine", None), "'cosine'", "constant, inverse_time"),
        (lambda: schedule_options("step", {"gama": 0.5}), "'gama'", "every, gamma"),
    ],
)
def test_an_unknown_name_or_option_is_named(call: Callable, named: str, listed: str) -> None:
    with pytest.raises(ValueError) as error:
        call()
    assert named in str(error.value) and listed in str(error.value)


# --- step schedules ---------------------------------------------------------------------


def test_linear_is_micrograds_schedule_bit_for_bit() -> None:
    linear, options = SCHEDULES["linear"].rate, schedule_options("linear", None)
    for k in range(100):
        assert linear(1.0, k, 100, options) == 1.0 - 0.9 * k / 100, k
    # the order matters: 0.9 * (k / 100) differs from micrograd's for some k
    assert any(1.0 - 0.9 * (k / 100) != 1.0 - 0.9 * k / 100 for k in range(100))
    assert linear(0.3, 50, 200, {"decay": 0.5}) == 0.3 * (1.0 - 0.5 * 50 / 200)


def test_step_halves_every_hundred_steps() -> None:
    step, options = SCHEDULES["step"].rate, schedule_options("step", None)
    rates = [step(0.8, k, 1000, options) for k in (0, 99, 100, 199, 250, 999)]
    assert rates == [0.8, 0.8, 0.4, 0.4, 0.2, 0.8 * 0.5**9]
    assert step(0.8, 30, 1000, {"gamma": 0.1, "every": 10}) == pytest.approx(0.8e-3, rel=1e-15)


def test_inverse_time_and_constant() -> None:
    inverse = SCHEDULES["inverse_time"].rate
    options = schedule_options("inverse_time", None)
    assert [inverse(0.5, k, 1000, options) for k in (0, 100, 300)] == [0.5, 0.25, 0.125]
    assert inverse(1.0, 7, 10, {"decay": 0.2}) == 1.0 / (1 + 0.2 * 7)
    lr0 = 0.123456789
    constant = SCHEDULES["constant"].rate
    assert all(constant(lr0, k, 100, {}) is lr0 for k in (0, 1, 99))


def test_every_schedule_has_a_formula_and_starts_at_lr0() -> None:
    for name, schedule in SCHEDULES.items():
        assert schedule.formula.startswith("η_k = "), name
        assert schedule.rate(0.7, 0, 100, schedule_options(name, None)) == 0.7, name
