"""Every kink tested at the kink: each piecewise registry entry's (sub)gradient exactly at
its declared kink, and at the nearest floats on both sides, equals PyTorch autograd's for
its twin in torch_engine (float64). A numerical probe finds every kink an entry's forward,
loss or penalty has, so a new piecewise entry that declares none fails here."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal, assert_array_max_ulp

from backprop_lab.core.functions import (
    ACTIVATIONS,
    CLIP,
    LOSSES,
    PROBABILITY_LOSSES,
    REGULARISERS,
)
from backprop_lab.core.torch_engine import TORCH_ACTIVATIONS, TORCH_LOSSES, TORCH_REGULARISERS

F64 = torch.float64

# numpy's sigmoid and torch.sigmoid round differently by one ulp at some inputs (z = −10
# among them), so an activation built on the sigmoid matches torch's forward only to 1 ulp;
# its subgradient convention is still checked bitwise, from the same activation value a
FORWARD_ULPS = {"sigmoid_clip": 1}


def around(k: float) -> np.ndarray:
    """The kink, the nearest floats below and above it, and −0.0 for a kink at 0."""
    points = [np.nextafter(k, -np.inf), k, np.nextafter(k, np.inf)]
    if k == 0.0:
        points.append(-0.0)
    return np.array(points, dtype=np.float64)


def autograd(fn, x: np.ndarray, *rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """fn's value and the gradient of its sum with respect to x, both in float64."""
    xt = torch.tensor(x, dtype=F64, requires_grad=True)
    value = fn(xt, *(torch.tensor(r, dtype=F64) for r in rest))
    value.sum().backward()
    return value.detach().numpy().copy(), xt.grad.numpy().copy()


ACTIVATION_KINKS = [(n, k) for n, act in sorted(ACTIVATIONS.items()) for k in act.kinks]
LOSS_KINKS = [(n, y, o) for n, loss in sorted(LOSSES.items()) for y, o in loss.kinks]
REGULARISER_KINKS = [(n, k) for n, reg in sorted(REGULARISERS.items()) for k in reg.kinks]


def test_the_known_piecewise_entries_declare_their_kinks() -> None:
    assert {n: a.kinks for n, a in ACTIVATIONS.items() if a.kinks} == {
        "relu": (0.0,),
        "sigmoid_clip": (-CLIP, CLIP),
    }
    assert {n: loss.kinks for n, loss in LOSSES.items() if loss.kinks} == {
        "hinge": ((1.0, 1.0), (-1.0, -1.0)),
    }
    assert {n: r.kinks for n, r in REGULARISERS.items() if r.kinks} == {"l1": (0.0,)}


# --- at the kink: numpy's subgradient = autograd's ----------------------------------------


@pytest.mark.parametrize(
    ("name", "kink"), ACTIVATION_KINKS, ids=[f"{n}@{k:g}" for n, k in ACTIVATION_KINKS]
)
def test_activation_derivative_at_kink_equals_autograd(name: str, kink: float) -> None:
    act = ACTIVATIONS[name]
    z = around(kink).reshape(1, 1, -1)
    a_t, grad_t = autograd(TORCH_ACTIVATIONS[name], z)
    # the convention, bitwise: the derivative from the same a autograd's forward gave
    assert_array_equal(act.derivative(z, a_t), grad_t)
    # and numpy end to end, from its own forward
    a_np = act.forward(z)
    ulps = FORWARD_ULPS.get(name, 0)
    if ulps:
        assert_array_max_ulp(a_np, a_t, maxulp=ulps)
        assert_array_max_ulp(act.derivative(z, a_np), grad_t, maxulp=ulps)
    else:
        assert_array_equal(a_np, a_t)
        assert_array_equal(act.derivative(z, a_np), grad_t)


@pytest.mark.parametrize(
    ("name", "y", "o"), LOSS_KINKS, ids=[f"{n}@y={y:g},o={o:g}" for n, y, o in LOSS_KINKS]
)
def test_loss_gradient_at_kink_equals_autograd(name: str, y: float, o: float) -> None:
    loss = LOSSES[name]
    outputs = around(o).reshape(1, -1, 1)  # each point one sample of the batch
    targets = np.full_like(outputs, y)
    value_t, grad_t = autograd(TORCH_LOSSES[name], outputs, targets)
    assert_array_equal(loss.grad(outputs, targets), grad_t)
    np.testing.assert_allclose(loss.value(outputs, targets), value_t, rtol=1e-15, atol=0.0)
    # one sample at a time, too (the batch mean divides by 1)
    for point in around(o):
        single, target = np.full((1, 1, 1), point), np.full((1, 1, 1), y)
        assert_array_equal(
            loss.grad(single, target), autograd(TORCH_LOSSES[name], single, target)[1]
        )


@pytest.mark.parametrize(
    ("name", "kink"), REGULARISER_KINKS, ids=[f"{n}@{k:g}" for n, k in REGULARISER_KINKS]
)
def test_regulariser_gradient_at_kink_equals_autograd(name: str, kink: float) -> None:
    reg = REGULARISERS[name]
    W = around(kink).reshape(1, 2, 2)
    penalty_t, grad_t = autograd(TORCH_REGULARISERS[name], W)
    assert_array_equal(reg.grad(W), grad_t)
    assert_array_equal(reg.penalty(W), penalty_t)


@pytest.mark.parametrize("sign", [-1.0, 1.0], ids=["-CLIP", "+CLIP"])
def test_sigmoid_clip_at_and_beyond_its_clip(sign: float) -> None:
    """The lab's listing: sigmoid(clip(z, −10, 10)), derivative a(1 − a) at the clipped
    input, so beyond the clip the value is sigmoid(±10) and the derivative a(1 − a) of it,
    not the 0 that autograd of a clamp would give."""
    act, sigmoid = ACTIVATIONS["sigmoid_clip"], ACTIVATIONS["sigmoid"]
    k = sign * CLIP
    inside = np.nextafter(k, 0.0)
    at_or_beyond = [k, np.nextafter(k, sign * np.inf), k + sign * 0.5, sign * 1e300]
    a_k = sigmoid.forward(np.array([[[k]]]))
    a_k_t = torch.sigmoid(torch.tensor([[[k]]], dtype=F64)).numpy()
    for z0 in [inside, *at_or_beyond]:
        z = np.array([[[z0]]])  # one at a time: torch.sigmoid rounds by position in a vector
        a_np = act.forward(z)
        a_t, grad_t = autograd(TORCH_ACTIVATIONS["sigmoid_clip"], z)
        if z0 == inside:
            assert_array_equal(a_np, sigmoid.forward(z))
            assert_array_equal(a_t, torch.sigmoid(torch.tensor(z, dtype=F64)).numpy())
        else:
            assert_array_equal(a_np, a_k, err_msg=f"z = {z0}")
            assert_array_equal(a_t, a_k_t, err_msg=f"z = {z0}")
        assert_array_max_ulp(a_np, a_t, maxulp=FORWARD_ULPS["sigmoid_clip"])
        # derivative a(1 − a) of the clipped value in both engines, never 0
        assert_array_equal(act.derivative(z, a_np), a_np * (1.0 - a_np))
        assert_array_equal(grad_t, a_t * (1.0 - a_t))
        assert (grad_t > 0).all()
        assert_array_equal(act.derivative(z, a_t), grad_t)


# --- no undeclared kink: a numerical probe ----------------------------------------------

H = 1e-3  # grid step of the probe
NEAR = 2 * H  # a detected kink lies within this of a declared one


def probe_kinks(f, lo: float, hi: float) -> list[float]:
    """Where on a grid of step H over [lo, hi] f's slope jumps: its second difference spikes
    above ten times those three steps to either side (which see a smooth f's f''·H², but not
    the kink) plus a round-off floor. A slope jump J gives a spike of at least J·H/2."""
    x = lo + H * np.arange(round((hi - lo) / H) + 1)
    v = f(x)
    d2 = np.abs(v[2:] - 2.0 * v[1:-1] + v[:-2])
    padded = np.pad(d2, 3, mode="edge")
    spikes = x[1:-1][d2 > 10.0 * (padded[:-6] + padded[6:]) + 1e-12]
    clusters: list[list[float]] = []
    for s in spikes:
        if clusters and s - clusters[-1][-1] <= NEAR:
            clusters[-1].append(s)
        else:
            clusters.append([s])
    return [float(np.mean(c)) for c in clusters]


def assert_kinks_match(found: list[float], declared: list[float], lo: float, hi: float) -> None:
    declared = [k for k in declared if lo + 4 * H < k < hi - 4 * H]
    undeclared = [f for f in found if not any(abs(f - k) <= NEAR for k in declared)]
    missing = [k for k in declared if not any(abs(f - k) <= NEAR for f in found)]
    assert not undeclared, f"a kink near {undeclared} that the entry does not declare"
    assert not missing, f"declared kinks {missing} where the probe finds none"


def test_the_probe_finds_a_kink_and_passes_a_smooth_function() -> None:
    assert probe_kinks(lambda x: np.abs(x - 0.3141), -1.0, 1.0) == pytest.approx([0.3141], abs=NEAR)
    assert probe_kinks(lambda x: np.log1p(np.exp(3 * x)), -5.0, 5.0) == []


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_has_no_undeclared_kink(name: str) -> None:
    act = ACTIVATIONS[name]
    lo, hi = -12.0, 12.0
    found = probe_kinks(lambda z: act.forward(z.reshape(1, 1, -1)).ravel(), lo, hi)
    assert_kinks_match(found, list(act.kinks), lo, hi)


@pytest.mark.parametrize("y0", [-1.0, 1.0])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_has_no_undeclared_kink(name: str, y0: float) -> None:
    """The loss along output 0 of two, output 1 held at 0.3; one probe point per replica."""
    loss = LOSSES[name]
    lo, hi = (0.05, 0.95) if name in PROBABILITY_LOSSES else (-3.0, 3.0)
    y = loss.prepare_target(np.array([[[y0, -y0]]]))

    def along(o0: np.ndarray) -> np.ndarray:
        o = np.empty((len(o0), 1, 2))
        o[:, 0, 0], o[:, 0, 1] = o0, 0.3
        return loss.value(o, np.broadcast_to(y, o.shape))

    declared = [o for yk, o in loss.kinks if yk == y[0, 0, 0]]
    assert_kinks_match(probe_kinks(along, lo, hi), declared, lo, hi)


@pytest.mark.parametrize("name", sorted(REGULARISERS))
def test_regulariser_has_no_undeclared_kink(name: str) -> None:
    reg = REGULARISERS[name]
    lo, hi = -3.0, 3.0
    found = probe_kinks(lambda w: reg.penalty(w.reshape(-1, 1, 1)), lo, hi)
    assert_kinks_match(found, list(reg.kinks), lo, hi)
