"""Every activation × every loss: numpy backprop = torch autograd = central differences."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from backprop_lab.core import functions
from backprop_lab.core.functions import ACTIVATIONS, LOSSES, PROBABILITY_LOSSES
from backprop_lab.core.gradcheck import compare_grads, numerical_grads, relative_error
from backprop_lab.core.network import NetSpec, init_params
from backprop_lab.core.numpy_engine import NumpyEngine
from backprop_lab.core.torch_engine import TORCH_LOSSES, TorchEngine

# five-point central differences with h = 1e-3: truncation O(h⁴) and round-off both
# ~1e-13, which the plain two-point stencil cannot reach on entries of size ~1e-5
EPS, ORDER = 1e-3, 4
# finite differences resolve no better than ~1e-12 here; below this, entries count as equal
NOISE_FLOOR = 1e-10
# the finite-difference step moves a pre-activation by a few 1e-3: stay clear of ReLU's kink
KINK_MARGIN = 0.05


def make_case(act: str, loss: str, widths: tuple[int, ...], bias: bool, min_weight: float = 0.0):
    activations = (act,) * (len(widths) - 1)
    if loss in PROBABILITY_LOSSES:
        activations = activations[:-1] + ("sigmoid",)
    spec = NetSpec(widths, activations, bias, loss)
    for seed in range(100):
        params = init_params(spec, {"kind": "normal", "std": 1.0}, [seed, seed + 1000])
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1.0, 1.0, (2, 3, widths[0]))
        y = rng.uniform(-0.2, 1.2, (2, 3, widths[-1]))
        _, _, trace = NumpyEngine(spec, params).loss_and_grads(x, y)
        weights_clear = min(np.abs(W).min() for W, _ in params) > min_weight
        if min(np.abs(z).min() for z in trace["z"]) > KINK_MARGIN and weights_clear:
            return spec, params, x, y
    raise AssertionError("no kink-free case found")


def max_rel(rows: list[dict]) -> float:
    return max(row["max_rel_error"] for row in rows)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("widths", [(3, 4, 3), (2, 5, 4, 2)], ids=["3-4-3", "2-5-4-2"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_backprop_matches_autograd_and_finite_differences(act, loss, widths, bias):
    spec, params, x, y = make_case(act, loss, widths, bias)
    engine = NumpyEngine(spec, params)
    loss_np, grads_np, _ = engine.loss_and_grads(x, y)
    loss_t, grads_t, _ = TorchEngine(spec, params).loss_and_grads(x, y)

    def loss_fn(p):
        return NumpyEngine(spec, p).loss_and_grads(x, y)[0]

    grads_fd = numerical_grads(loss_fn, params, eps=EPS, order=ORDER)

    assert loss_np.shape == (2,)
    np.testing.assert_allclose(loss_np, loss_t, rtol=1e-13, atol=1e-15)
    assert max_rel(compare_grads(grads_np, grads_t)) < 1e-10
    assert max_rel(compare_grads(grads_np, grads_fd, noise_floor=NOISE_FLOOR)) < 1e-7
    # the gradients are not trivially zero
    assert max(np.abs(g[0]).max() for g in grads_np) > 1e-3
    assert len(compare_grads(grads_np, grads_t)) == (len(widths) - 1) * (2 if bias else 1)


def test_two_point_stencil_is_a_central_difference():
    spec, params, x, y = make_case("tanh", "half_sse", (3, 4, 3), True)
    grads, _ = NumpyEngine(spec, params).loss_and_grads(x, y)[1:]
    fd = numerical_grads(lambda p: NumpyEngine(spec, p).loss_and_grads(x, y)[0], params)
    rows = compare_grads(grads, fd)
    assert max(row["max_abs_diff"] for row in rows) < 1e-8


def test_a_wrong_derivative_is_caught(monkeypatch):
    spec, params, x, y = make_case("sigmoid", "half_sse", (3, 4, 3), True)
    good = ACTIVATIONS["sigmoid"]
    # a classic slip: σ'(z) written as σ(z) instead of σ(z)(1 − σ(z))
    wrong = dataclasses.replace(good, derivative=lambda z, a: a)
    monkeypatch.setitem(functions.ACTIVATIONS, "sigmoid", wrong)
    _, grads, _ = NumpyEngine(spec, params).loss_and_grads(x, y)
    fd = numerical_grads(
        lambda p: NumpyEngine(spec, p).loss_and_grads(x, y)[0], params, eps=EPS, order=ORDER
    )
    rows = compare_grads(grads, fd, noise_floor=NOISE_FLOOR)
    assert max_rel(rows) > 0.1
    # every layer is sigmoid here, so every layer's gradient is wrong
    assert all(row["max_rel_error"] > 1e-3 for row in rows)


def test_relative_error_definition():
    a = np.array([1.0, 0.0, -2.0, 3.0])
    b = np.array([1.1, 0.0, 2.0, 3.0])
    np.testing.assert_allclose(relative_error(a, b), [0.1 / 1.1, 0.0, 2.0, 0.0])


def test_torch_losses_cover_the_registry():
    assert set(TORCH_LOSSES) == set(LOSSES)


def test_numpy_losses_equal_torch_builtins():
    rng = np.random.default_rng(3)
    o = rng.uniform(0.05, 0.95, (2, 4, 3))
    y = rng.uniform(-0.3, 1.3, (2, 4, 3))
    ot, yt = torch.from_numpy(o), torch.from_numpy(y)
    yc = np.clip(y, 0, 1)
    for s in range(2):
        mse = torch.nn.MSELoss()(ot[s], yt[s]).item()
        assert LOSSES["mse"].value(o, y)[s] == pytest.approx(mse, rel=1e-14)
        per_col = sum(torch.nn.MSELoss()(ot[s, :, j], yt[s, :, j]).item() for j in range(3))
        assert LOSSES["mse_per_output_sum"].value(o, y)[s] == pytest.approx(per_col, rel=1e-14)
        bce = torch.nn.BCELoss(reduction="sum")(ot[s], torch.from_numpy(yc[s])).item()
        got = LOSSES["bce"].value(o, LOSSES["bce"].prepare_target(y))[s]
        assert got == pytest.approx(bce, rel=1e-13)
        raw = torch.nn.CrossEntropyLoss()(ot[s], yt[s]).item()
        assert LOSSES["ce_soft_raw"].value(o, y)[s] == pytest.approx(raw, rel=1e-13)
        p = LOSSES["softmax_ce"].prepare_target(y)
        np.testing.assert_allclose(p.sum(axis=-1), 1.0)
        assert p.min() >= 0
        ce = torch.nn.CrossEntropyLoss()(ot[s], torch.from_numpy(p[s])).item()
        assert LOSSES["softmax_ce"].value(o, p)[s] == pytest.approx(ce, rel=1e-13)
    np.testing.assert_allclose(
        LOSSES["mse_per_output_sum"].value(o[:, :1], y[:, :1]),
        2 * LOSSES["half_sse"].value(o[:, :1], y[:, :1]),
        rtol=1e-15,
    )
    np.testing.assert_allclose(LOSSES["sse"].value(o, y), 2 * LOSSES["half_sse"].value(o, y))


def test_ce_soft_raw_on_the_labs_outputs_and_its_negative_loss():
    y_raw = torch.tensor([0.23, -0.07], dtype=torch.float64)
    # o1, o2 of the lab's 2-2-2 net in round 1 (sigmoid of in_o1, in_o2)
    for o in ([0.46891, 0.57043], [0.99, 0.01]):
        ot = torch.tensor(o, dtype=torch.float64)
        expected = torch.nn.CrossEntropyLoss()(ot, y_raw).item()
        got = LOSSES["ce_soft_raw"].value(np.array(o)[None, None], y_raw.numpy()[None, None])
        assert got[0] == pytest.approx(expected, rel=1e-14)
    # o1 → 1, o2 → 0: −0.23·ln p1 + 0.07·ln p2 < 0, a "cross-entropy" below zero
    assert got[0] < 0
    assert got[0] == pytest.approx(
        -0.23 * np.log(np.exp(0.99) / (np.exp(0.99) + np.exp(0.01)))
        + 0.07 * np.log(np.exp(0.01) / (np.exp(0.99) + np.exp(0.01))),
        rel=1e-14,
    )


def test_sigmoid_never_overflows():
    import warnings

    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = ACTIVATIONS["sigmoid"].forward(z)
    np.testing.assert_allclose(a, torch.sigmoid(torch.from_numpy(z)).numpy(), rtol=1e-15)
    assert a[0] == 0.0 and a[-1] == 1.0 and a[2] == 0.5


def test_formulas_format_with_their_placeholders():
    assert ACTIVATIONS["sigmoid"].derivative_formula.format(a="h1", z="in_h1") == "h1(1 − h1)"
    assert LOSSES["half_sse"].grad_formula.format(o="o1", y="y1") == "(o1 − y1)"
    for act in ACTIVATIONS.values():
        act.formula.format(a="a", z="z")
        act.derivative_formula.format(a="a", z="z")
    for loss in LOSSES.values():
        loss.grad_formula.format(o="o", y="y")


@pytest.mark.parametrize("reg", ["l1", "l2"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_regularised_backprop_matches_autograd_and_finite_differences(act, loss, reg):
    """The weight penalty's value and gradient, three ways, on every activation × loss.
    A penalty on the biases, a missing ½ in L2 or a wrong sign of L1 fails here."""
    # clear of L1's kink at w = 0 (the stencil moves a weight by a few 1e-3)
    spec, params, x, y = make_case(act, loss, (3, 4, 2), True, min_weight=0.01)
    spec = dataclasses.replace(spec, regulariser=reg, reg_rate=0.3)
    loss_np, grads_np, _ = NumpyEngine(spec, params).loss_and_grads(x, y)
    loss_t, grads_t, _ = TorchEngine(spec, params).loss_and_grads(x, y)

    def loss_fn(p):
        return NumpyEngine(spec, p).loss_and_grads(x, y)[0]

    grads_fd = numerical_grads(loss_fn, params, eps=EPS, order=ORDER)
    np.testing.assert_allclose(loss_np, loss_t, rtol=1e-13, atol=1e-15)
    assert max_rel(compare_grads(grads_np, grads_t)) < 1e-10
    assert max_rel(compare_grads(grads_np, grads_fd, noise_floor=NOISE_FLOOR)) < 1e-7
    # the penalty is in the loss and on the weights only
    plain = dataclasses.replace(spec, regulariser="none")
    loss_plain, grads_plain, _ = NumpyEngine(plain, params).loss_and_grads(x, y)
    penalty = {"l1": lambda W: np.abs(W).sum(), "l2": lambda W: 0.5 * (W * W).sum()}[reg]
    for s in range(2):
        expected = sum(penalty(W[s]) for W, _ in params)
        assert loss_np[s] - loss_plain[s] == pytest.approx(0.3 * expected, rel=1e-12)
    for (_, db), (_, db_plain) in zip(grads_np, grads_plain):
        np.testing.assert_array_equal(db, db_plain)
