"""Registries of activations and losses (numpy only).

Every array carries a leading replica axis S; activations work elementwise and losses
return one scalar per replica, shape (S,). Formula strings are plain Unicode for the
report: activation formulas use the placeholders ``{z}`` and ``{a}``, loss gradient
formulas give ∂L/∂o_i with ``{o}`` and ``{y}``.

Kinks: every entry declares in ``kinks`` the points where it is not differentiable (empty
for a smooth entry). There its derivative is a chosen subgradient, the one PyTorch's autograd
takes for the twin in torch_engine; tests/test_kinks.py checks it at the kink and at the
nearest floats on both sides, and probes every entry for an undeclared kink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An elementwise activation: a = forward(z), da/dz = derivative(z, a)."""

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]
    formula: str
    derivative_formula: str
    # the inputs z at which forward is not differentiable
    kinks: tuple[float, ...] = ()


@dataclass(frozen=True)
class Loss:
    """A loss over outputs (S, B, n_out): value -> (S,), grad -> dL/dpred (S, B, n_out)."""

    name: str
    description: str
    value: Callable[[Array, Array], Array]
    grad: Callable[[Array, Array], Array]
    prepare_target: Callable[[Array], Array]
    formula: str
    grad_formula: str
    # (y, o) pairs: for a prepared target element y, the loss is not differentiable in the
    # output element o there (the hinge: y·o = 1, so (1, 1) and (−1, −1))
    kinks: tuple[tuple[float, float], ...] = ()


# --- activations -------------------------------------------------------------------


def _sigmoid(z: Array) -> Array:
    # exp of a non-positive number never overflows, for either sign of z
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r)


def _sigmoid_derivative(z: Array, a: Array) -> Array:
    return a * (1.0 - a)


# The classification lab's Sigmoid clips its input "to prevent overflow in the np.exp".
CLIP = 10.0


def _sigmoid_clip(z: Array) -> Array:
    return _sigmoid(np.clip(z, -CLIP, CLIP))


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_derivative(z: Array, a: Array) -> Array:
    return (z > 0).astype(z.dtype)


def _tanh(z: Array) -> Array:
    return np.tanh(z)


def _tanh_derivative(z: Array, a: Array) -> Array:
    return 1.0 - a * a


def _identity(z: Array) -> Array:
    return z


def _identity_derivative(z: Array, a: Array) -> Array:
    return np.ones_like(z)


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("sigmoid", _sigmoid, _sigmoid_derivative, "1 / (1 + e^(−{z}))", "{a}(1 − {a})"),
        # as the lab lists it: the derivative is a(1 − a) at the clipped input, not the
        # derivative of the clipped function (which is 0 outside [−10, 10])
        Activation(
            "sigmoid_clip",
            _sigmoid_clip,
            _sigmoid_derivative,
            "1 / (1 + e^(−clip({z}, −10, 10)))",
            "{a}(1 − {a})",
            kinks=(-CLIP, CLIP),
        ),
        # the subgradient 0 at z = 0, as autograd's relu takes it
        Activation(
            "relu",
            _relu,
            _relu_derivative,
            "max(0, {z})",
            "(1 if {z} > 0 else 0)",
            kinks=(0.0,),
        ),
        Activation("tanh", _tanh, _tanh_derivative, "tanh({z})", "(1 − {a}²)"),
        Activation("identity", _identity, _identity_derivative, "{z}", "1"),
    )
}


# --- losses --------------------------------------------------------------------------


def _same(y: Array) -> Array:
    return y


def _clip01(y: Array) -> Array:
    return np.clip(y, 0.0, 1.0)


def _clip_normalise(y: Array) -> Array:
    y = np.clip(y, 0.0, 1.0)
    total = y.sum(axis=-1, keepdims=True)
    n = y.shape[-1]
    # a sample whose clipped targets are all 0 gets the uniform distribution
    return np.where(total > 0, y / np.where(total > 0, total, 1.0), 1.0 / n)


def _half_sse(o: Array, y: Array) -> Array:
    d = o - y
    return 0.5 * (d * d).sum(axis=(1, 2))


def _half_sse_grad(o: Array, y: Array) -> Array:
    return o - y


def _sse(o: Array, y: Array) -> Array:
    d = o - y
    return (d * d).sum(axis=(1, 2))


def _sse_grad(o: Array, y: Array) -> Array:
    return 2.0 * (o - y)


def _mse(o: Array, y: Array) -> Array:
    d = o - y
    return (d * d).mean(axis=(1, 2))


def _mse_grad(o: Array, y: Array) -> Array:
    return 2.0 * (o - y) / (o.shape[1] * o.shape[2])


def _mse_per_output_sum(o: Array, y: Array) -> Array:
    d = o - y
    return (d * d).mean(axis=1).sum(axis=1)


def _mse_per_output_sum_grad(o: Array, y: Array) -> Array:
    return 2.0 * (o - y) / o.shape[1]


# torch clamps each log term of the binary cross-entropy at -100; so do we
def _bce(o: Array, y: Array) -> Array:
    log_o = np.maximum(np.log(o), -100.0)
    log_1mo = np.maximum(np.log1p(-o), -100.0)
    return -(y * log_o + (1.0 - y) * log_1mo).sum(axis=(1, 2))


def _bce_grad(o: Array, y: Array) -> Array:
    return (o - y) / np.maximum(o * (1.0 - o), 1e-12)


def _labels01(y: Array) -> Array:
    """Class labels as 0/1: label 1 stays 1, label 0 or −1 becomes 0."""
    return np.where(y > 0, 1.0, 0.0).astype(y.dtype)


def _labels_pm1(y: Array) -> Array:
    """Class labels as ±1: label 1 stays 1, label 0 or −1 becomes −1."""
    return np.where(y > 0, 1.0, -1.0).astype(y.dtype)


def _half_mse(o: Array, y: Array) -> Array:
    d = o - y
    return 0.5 * (d * d).mean(axis=(1, 2))


def _half_mse_grad(o: Array, y: Array) -> Array:
    return (o - y) / (o.shape[1] * o.shape[2])


def _bce_mean(o: Array, y: Array) -> Array:
    return _bce(o, y) / (o.shape[1] * o.shape[2])


def _bce_mean_grad(o: Array, y: Array) -> Array:
    return _bce_grad(o, y) / (o.shape[1] * o.shape[2])


def _hinge(o: Array, y: Array) -> Array:
    return np.maximum(0.0, 1.0 - y * o).mean(axis=(1, 2))


def _hinge_grad(o: Array, y: Array) -> Array:
    # the subgradient 0 at the margin's kink, as autograd's relu takes it
    return np.where(1.0 - y * o > 0, -y, 0.0) / (o.shape[1] * o.shape[2])


def _log_softmax(o: Array) -> Array:
    m = o.max(axis=-1, keepdims=True)
    shifted = o - m
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _soft_ce(o: Array, y: Array) -> Array:
    return -(y * _log_softmax(o)).sum(axis=-1).mean(axis=1)


def _soft_ce_grad(o: Array, y: Array) -> Array:
    p = np.exp(_log_softmax(o))
    return (y.sum(axis=-1, keepdims=True) * p - y) / o.shape[1]


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "half_sse",
            "half the sum of squared errors (the labs' hand loss)",
            _half_sse,
            _half_sse_grad,
            _same,
            "L = ½ Σ (o − y)²",
            "({o} − {y})",
        ),
        Loss(
            "sse",
            "sum of squared errors",
            _sse,
            _sse_grad,
            _same,
            "L = Σ (o − y)²",
            "2({o} − {y})",
        ),
        Loss(
            "mse",
            "mean squared error over samples and outputs",
            _mse,
            _mse_grad,
            _same,
            "L = (1 / (B·n)) Σ (o − y)²",
            "2({o} − {y}) / (B·n)",
        ),
        Loss(
            "mse_per_output_sum",
            "torch.nn.MSELoss applied to each output and summed (= 2 × half_sse for one sample)",
            _mse_per_output_sum,
            _mse_per_output_sum_grad,
            _same,
            "L = Σ_i (1 / B) Σ_b (o_i − y_i)²",
            "2({o} − {y}) / B",
        ),
        Loss(
            "bce",
            "binary cross-entropy on outputs in (0, 1), targets clipped into [0, 1]",
            _bce,
            _bce_grad,
            _clip01,
            "L = −Σ [y·ln o + (1 − y)·ln(1 − o)]",
            "({o} − {y}) / ({o}(1 − {o}))",
        ),
        Loss(
            "softmax_ce",
            "softmax cross-entropy on the outputs as logits, targets clipped and normalised",
            _soft_ce,
            _soft_ce_grad,
            _clip_normalise,
            "L = −(1 / B) Σ_b Σ_i y_i·ln softmax(o)_i",
            "(softmax(o)_i − {y}) / B",
        ),
        Loss(
            "ce_soft_raw",
            "the lab's variant: torch.nn.CrossEntropyLoss with the raw targets as soft "
            "class probabilities (a negative target can make the loss negative)",
            _soft_ce,
            _soft_ce_grad,
            _same,
            "L = −(1 / B) Σ_b Σ_i y_i·ln softmax(o)_i",
            "((Σ_k y_k)·softmax(o)_i − {y}) / B",
        ),
        # mean over the batch (B samples, n outputs): a mini-batch step follows the mean
        # gradient, as TensorFlow Playground's does
        Loss(
            "half_mse",
            "half the mean squared error over samples and outputs (Playground's square loss)",
            _half_mse,
            _half_mse_grad,
            _same,
            "L = (1 / (B·n)) Σ ½ (o − y)²",
            "({o} − {y}) / (B·n)",
        ),
        Loss(
            "bce_mean",
            "binary cross-entropy on outputs in (0, 1), mean over the batch; class labels "
            "0/1 or ±1 (−1 counts as 0)",
            _bce_mean,
            _bce_mean_grad,
            _labels01,
            "L = −(1 / (B·n)) Σ [y·ln o + (1 − y)·ln(1 − o)]",
            "({o} − {y}) / ({o}(1 − {o})·B·n)",
        ),
        Loss(
            "hinge",
            "the max-margin (hinge) loss of micrograd's demo on a raw score, mean over the "
            "batch; class labels ±1 or 0/1 (0 counts as −1)",
            _hinge,
            _hinge_grad,
            _labels_pm1,
            "L = (1 / (B·n)) Σ max(0, 1 − y·o)",
            "(−{y} if {y}·{o} < 1 else 0) / (B·n)",
            kinks=((1.0, 1.0), (-1.0, -1.0)),
        ),
    )
}


# the losses of a probability: the output must lie in (0, 1), a sigmoid output
PROBABILITY_LOSSES = frozenset({"bce", "bce_mean"})


# --- regularisers (weights only, never biases, as TensorFlow Playground) -------------


@dataclass(frozen=True)
class Regulariser:
    """A weight penalty: rate · penalty(W) summed over layers is added to the loss, rate ·
    grad(W) to each dL/dW. penalty(W) -> (S,) for W (S, n_in, n_out)."""

    name: str
    penalty: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    formula: str
    # the weights w at which the penalty is not differentiable
    kinks: tuple[float, ...] = ()


REGULARISERS: dict[str, Regulariser] = {
    reg.name: reg
    for reg in (
        Regulariser("none", lambda W: np.zeros(W.shape[0]), np.zeros_like, "0"),
        # the subgradient sign(w), 0 at w = 0, as autograd's abs takes it
        Regulariser(
            "l1", lambda W: np.abs(W).sum(axis=(1, 2)), np.sign, "rate · Σ |w|", kinks=(0.0,)
        ),
        # Playground's convention: ½·rate·Σw², gradient rate·w
        Regulariser("l2", lambda W: 0.5 * (W * W).sum(axis=(1, 2)), np.copy, "rate · ½ Σ w²"),
        # micrograd's demo: `alpha * sum((p*p for p in model.parameters()))`, gradient 2·rate·p
        Regulariser("l2_sum", lambda W: (W * W).sum(axis=(1, 2)), lambda W: 2.0 * W, "rate · Σ w²"),
    )
}
