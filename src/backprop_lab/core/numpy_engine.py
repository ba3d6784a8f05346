"""Hand-written backpropagation in numpy, CS231n style: each layer is a forward/backward pair.

Arrays carry a leading replica axis S; ``np.matmul`` multiplies slice by slice, so
replica s never sees another replica's numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_lab.core.functions import ACTIVATIONS, LOSSES, REGULARISERS, Activation
from backprop_lab.core.network import NetSpec, Params, penalised

DenseCache = tuple[np.ndarray, np.ndarray, bool]
ActivationCache = tuple[np.ndarray, np.ndarray, Activation]


def dense_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None
) -> tuple[np.ndarray, DenseCache]:
    """z = x @ W + b for x (S, B, n_in), W (S, n_in, n_out), b (S, 1, n_out) or None."""
    z = np.matmul(x, W)
    if b is not None:
        z += b
    return z, (x, W, b is not None)


def dense_backward(
    dz: np.ndarray, cache: DenseCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(dL/dx, dL/dW, dL/db) from dL/dz; db is None for a layer without bias."""
    x, W, has_bias = cache
    dW = np.matmul(x.transpose(0, 2, 1), dz)
    db = dz.sum(axis=1, keepdims=True) if has_bias else None
    dx = np.matmul(dz, W.transpose(0, 2, 1))
    return dx, dW, db


def activation_forward(z: np.ndarray, name: str) -> tuple[np.ndarray, ActivationCache]:
    """a = act(z) for the registered activation ``name``."""
    act = ACTIVATIONS[name]
    a = act.forward(z)
    return a, (z, a, act)


def activation_backward(da: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """dL/dz = dL/da · act'(z)."""
    z, a, act = cache
    return da * act.derivative(z, a)


def forward(
    params: Params, x: np.ndarray, activations: tuple[str, ...] | list[str]
) -> tuple[np.ndarray, list[tuple[DenseCache, ActivationCache]]]:
    """Run the network; returns the output and one (dense, activation) cache per layer."""
    caches = []
    a = x
    for (W, b), name in zip(params, activations, strict=True):
        z, dense_cache = dense_forward(a, W, b)
        a, act_cache = activation_forward(z, name)
        caches.append((dense_cache, act_cache))
    return a, caches


def backward(dout: np.ndarray, caches: list[tuple[DenseCache, ActivationCache]]) -> Params:
    """Gradients (dW, db) of every layer from dL/dout and the forward caches."""
    grads: Params = [None] * len(caches)  # type: ignore[list-item]
    d = dout
    for layer in range(len(caches) - 1, -1, -1):
        dense_cache, act_cache = caches[layer]
        dz = activation_backward(d, act_cache)
        d, dW, db = dense_backward(dz, dense_cache)
        grads[layer] = (dW, db)
    return grads


class NumpyEngine:
    """A network, its stacked parameters and its loss, trained by hand-written backprop."""

    name = "numpy"

    def __init__(self, spec: NetSpec, params: Params, dtype: str = "float64") -> None:
        self.spec = spec
        self.dtype = np.dtype(dtype)
        self.loss = LOSSES[spec.loss]
        self.set_params(params)

    def _array(self, values: Any) -> np.ndarray:
        return np.asarray(values, dtype=self.dtype)

    def _lr(self, lr: Any) -> np.ndarray:
        return np.asarray(lr, dtype=self.dtype).reshape(-1, 1, 1)

    def get_params(self) -> Params:
        return [(W.copy(), None if b is None else b.copy()) for W, b in self.params]

    def set_params(self, params: Params) -> None:
        self.params = [
            (np.array(W, dtype=self.dtype), None if b is None else np.array(b, dtype=self.dtype))
            for W, b in params
        ]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The network's output (S, B, n_out) for inputs (S, B, n_in)."""
        out, _ = forward(self.params, self._array(x), self.spec.activations)
        return out

    def loss_and_grads(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, Params, dict[str, list[np.ndarray]]]:
        """Loss (S,), gradients and the trace {"z": [...], "a": [...]} of one full batch.
        With a regulariser, the loss includes rate · penalty(p) of every penalised array
        (``spec.penalty_on``: the weights, or every parameter) and its gradient rate · grad(p)."""
        x = self._array(x)
        y = self.loss.prepare_target(self._array(y))
        out, caches = forward(self.params, x, self.spec.activations)
        loss = self.loss.value(out, y)
        grads = backward(self.loss.grad(out, y), caches)
        if self.spec.regulariser != "none":
            reg, rate = REGULARISERS[self.spec.regulariser], self.spec.reg_rate
            for p in penalised(self.params, self.spec.penalty_on):
                loss = loss + rate * reg.penalty(p)
            every = self.spec.penalty_on == "all"
            grads = [
                (
                    dW + rate * reg.grad(W),
                    db + rate * reg.grad(b) if every and b is not None else db,
                )
                for (W, b), (dW, db) in zip(self.params, grads, strict=True)
            ]
        trace = {"z": [c[1][0] for c in caches], "a": [c[1][1] for c in caches]}
        return loss, grads, trace

    def arrays(self) -> list[np.ndarray]:
        """The live parameter arrays, each W then its b, layer by layer (an update rule
        writes them in place)."""
        return [p for W, b in self.params for p in (W, b) if p is not None]

    def sgd_epoch(self, X: np.ndarray, Y: np.ndarray, lr: np.ndarray) -> np.ndarray:
        """One epoch of per-sample SGD, samples in order; returns the summed loss (S,).

        Each sample's loss is taken before its update. This is the hot path, so the
        layer pairs above are written out inline here, with the same arithmetic. It has no
        weight penalty: a regularised network trains with ``core.training.train_minibatch``.
        """
        if self.spec.regulariser != "none":
            raise ValueError("sgd_epoch has no regulariser: use training.train_minibatch")
        X = self._array(X)
        Y = self.loss.prepare_target(self._array(Y))
        # (N, S, 1, n): xs[n] is sample n of every replica, contiguous
        xs = np.ascontiguousarray(X.transpose(1, 0, 2))[:, :, None, :]
        ys = np.ascontiguousarray(Y.transpose(1, 0, 2))[:, :, None, :]
        lr3 = self._lr(lr)
        value, grad = self.loss.value, self.loss.grad
        layers = []
        for (W, b), name in zip(self.params, self.spec.activations, strict=True):
            act = ACTIVATIONS[name]
            # the identity's derivative is 1: skipping the product is exact
            derivative = None if name == "identity" else act.derivative
            # dW's buffer: a fresh (S, n_in, n_out) temporary per step costs more than
            # the arithmetic (allocation and page faults, ~3× the time at 256 × 64)
            layers.append((W, b, act.forward, derivative, W.transpose(0, 2, 1), np.empty_like(W)))
        n_layers = len(layers)
        backward_order = list(reversed(list(enumerate(layers))))
        inputs: list[Any] = [None] * n_layers
        zs: list[Any] = [None] * n_layers
        acts: list[Any] = [None] * n_layers
        total = np.zeros(X.shape[0], dtype=self.dtype)
        with np.errstate(all="ignore"):
            for x, y in zip(xs, ys):
                a = x
                for k, (W, b, act_forward, _, _, _) in enumerate(layers):
                    inputs[k] = a
                    z = np.matmul(a, W)
                    if b is not None:
                        z += b
                    zs[k] = z
                    a = act_forward(z)
                    acts[k] = a
                total += value(a, y)
                d = grad(a, y)
                for k, (W, b, _, derivative, W_T, step) in backward_order:
                    dz = d if derivative is None else d * derivative(zs[k], acts[k])
                    if k:
                        d = np.matmul(dz, W_T)  # before W is updated
                    # one sample: dW is the outer product x^T dz, db is dz itself.
                    # The step scales dz (n_out numbers) before the outer product, not
                    # dW (n_in × n_out): W -= x^T (lr dz), in place, one pass over W.
                    # (einsum's outer product is bit-identical to the broadcast multiply
                    # and twice as fast at 256 × 64)
                    lr_dz = lr3 * dz
                    np.einsum("sik,skj->sij", inputs[k].transpose(0, 2, 1), lr_dz, out=step)
                    np.subtract(W, step, out=W)
                    if b is not None:
                        b -= lr_dz
        return total
