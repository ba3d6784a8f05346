"""The autograd twin of the numpy engine: same spec, same parameters, same data order.

Numpy in, numpy out. Replicas are stacked on the leading axis; ``loss.sum().backward()``
gives each replica the gradient of its own loss, since replicas share no parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from backprop_lab.core.functions import CLIP, LOSSES
from backprop_lab.core.network import NetSpec, Params, penalised

Tensor = torch.Tensor


def per_replica(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Apply ``fn`` to each replica's slice separately and join the results.

    torch computes exp, log, tanh and sigmoid with SIMD code for whole vectors and scalar
    code for the remainder, which round differently; so an element's value would depend on
    how many replicas are stacked. One call per replica keeps slice s of a stack bitwise
    equal to a run of replica s alone.
    """

    def apply(*tensors: Tensor) -> Tensor:
        if tensors[0].shape[0] == 1:
            return fn(*tensors)
        return torch.cat([fn(*(t[s : s + 1] for t in tensors)) for s in range(len(tensors[0]))])

    apply.__name__ = getattr(fn, "__name__", "per_replica")
    return apply


def hand_sigmoid(z: Tensor) -> Tensor:
    """The lab's hand-written sigmoid, 1 / (1 + e^(−z))."""
    return 1 / (1 + torch.exp(-z))


def _identity(z: Tensor) -> Tensor:
    return z


class _SigmoidClip(torch.autograd.Function):
    """The classification lab's Sigmoid: sigmoid(clip(z, −10, 10)), and as its listing takes
    the derivative, a(1 − a) at the clipped input (autograd of clamp would give 0 outside)."""

    @staticmethod
    def forward(ctx: Any, z: Tensor) -> Tensor:
        a = torch.sigmoid(torch.clamp(z, -CLIP, CLIP))
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return grad * a * (1 - a)


def _sigmoid_clip(z: Tensor) -> Tensor:
    return _SigmoidClip.apply(z)


# relu and identity round nothing, so they need no per-replica call
TORCH_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "sigmoid": per_replica(torch.sigmoid),
    "sigmoid_clip": per_replica(_sigmoid_clip),
    "relu": torch.relu,
    "tanh": per_replica(torch.tanh),
    "identity": _identity,
}


def _half_sse(o: Tensor, y: Tensor) -> Tensor:
    return 0.5 * ((o - y) ** 2).sum(dim=(1, 2))


def _sse(o: Tensor, y: Tensor) -> Tensor:
    return ((o - y) ** 2).sum(dim=(1, 2))


def _mse(o: Tensor, y: Tensor) -> Tensor:
    return F.mse_loss(o, y, reduction="none").mean(dim=(1, 2))


def _mse_per_output_sum(o: Tensor, y: Tensor) -> Tensor:
    # the lab: nn.MSELoss() on each output column (mean over the batch), then loss1 + loss2
    columns = [
        F.mse_loss(o[:, :, j], y[:, :, j], reduction="none").mean(dim=1) for j in range(o.shape[2])
    ]
    return torch.stack(columns, dim=1).sum(dim=1)


def _bce(o: Tensor, y: Tensor) -> Tensor:
    return F.binary_cross_entropy(o, y, reduction="none").sum(dim=(1, 2))


def _cross_entropy(o: Tensor, y: Tensor) -> Tensor:
    # probability targets; reduction "mean" over a batch of B would divide by B, as here
    S, B, C = o.shape
    per_sample = F.cross_entropy(o.reshape(S * B, C), y.reshape(S * B, C), reduction="none")
    return per_sample.reshape(S, B).mean(dim=1)


def _half_mse(o: Tensor, y: Tensor) -> Tensor:
    return 0.5 * ((o - y) ** 2).mean(dim=(1, 2))


def _bce_mean(o: Tensor, y: Tensor) -> Tensor:
    return F.binary_cross_entropy(o, y, reduction="none").mean(dim=(1, 2))


def _hinge(o: Tensor, y: Tensor) -> Tensor:
    return torch.relu(1.0 - y * o).mean(dim=(1, 2))


TORCH_LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "half_sse": _half_sse,
    "sse": _sse,
    "mse": _mse,
    "mse_per_output_sum": _mse_per_output_sum,
    "bce": per_replica(_bce),
    "softmax_ce": per_replica(_cross_entropy),
    "ce_soft_raw": per_replica(_cross_entropy),
    "half_mse": _half_mse,
    "bce_mean": per_replica(_bce_mean),
    "hinge": _hinge,
}

# weight penalties, summed per replica (autograd's abs has the subgradient 0 at 0)
TORCH_REGULARISERS: dict[str, Callable[[Tensor], Tensor]] = {
    "none": lambda W: torch.zeros(W.shape[0], dtype=W.dtype),
    "l1": lambda W: W.abs().sum(dim=(1, 2)),
    "l2": lambda W: 0.5 * (W * W).sum(dim=(1, 2)),
    "l2_sum": lambda W: (W * W).sum(dim=(1, 2)),
}

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


class TorchEngine:
    """The same network trained with PyTorch autograd."""

    name = "torch"

    def __init__(
        self,
        spec: NetSpec,
        params: Params,
        dtype: str = "float64",
        sigmoid_impl: str = "builtin",
    ) -> None:
        if dtype not in _DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; known: {', '.join(_DTYPES)}")
        if sigmoid_impl not in ("builtin", "hand"):
            raise ValueError(f"sigmoid_impl must be 'builtin' or 'hand', got {sigmoid_impl!r}")
        self.spec = spec
        self.dtype = dtype
        self.torch_dtype = _DTYPES[dtype]
        self.np_dtype = np.dtype(dtype)
        self.sigmoid_impl = sigmoid_impl
        self.prepare_target = LOSSES[spec.loss].prepare_target
        self.loss_fn = TORCH_LOSSES[spec.loss]
        acts = dict(TORCH_ACTIVATIONS)
        if sigmoid_impl == "hand":
            acts["sigmoid"] = per_replica(hand_sigmoid)
        self.act_fns = [acts[name] for name in spec.activations]
        self.set_params(params)

    def _tensor(self, values: Any) -> Tensor:
        return torch.from_numpy(np.array(values, dtype=self.np_dtype))

    def _lr(self, lr: Any) -> Tensor:
        return self._tensor(np.asarray(lr).reshape(-1, 1, 1))

    def _leaves(self) -> list[Tensor]:
        return [p for W, b in self.params for p in (W, b) if p is not None]

    def get_params(self) -> Params:
        return [
            (W.detach().numpy().copy(), None if b is None else b.detach().numpy().copy())
            for W, b in self.params
        ]

    def set_params(self, params: Params) -> None:
        self.params = [
            (
                self._tensor(W).requires_grad_(True),
                None if b is None else self._tensor(b).requires_grad_(True),
            )
            for W, b in params
        ]

    def _forward(self, x: Tensor) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        zs, acts = [], []
        a = x
        for (W, b), act in zip(self.params, self.act_fns, strict=True):
            z = a @ W
            if b is not None:
                z = z + b
            a = act(z)
            zs.append(z)
            acts.append(a)
        return a, zs, acts

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The network's output (S, B, n_out) for inputs (S, B, n_in)."""
        with torch.no_grad():
            out, _, _ = self._forward(self._tensor(x))
        return out.numpy().copy()

    def loss_and_grads(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, Params, dict[str, list[np.ndarray]]]:
        """Loss (S,), autograd gradients and the trace {"z": [...], "a": [...]}."""
        xt = self._tensor(x)
        yt = self._tensor(self.prepare_target(np.asarray(y, dtype=self.np_dtype)))
        out, zs, acts = self._forward(xt)
        loss = self.loss_fn(out, yt)
        if self.spec.regulariser != "none":
            penalty = TORCH_REGULARISERS[self.spec.regulariser]
            for p in penalised(self.params, self.spec.penalty_on):
                loss = loss + self.spec.reg_rate * penalty(p)
        loss.sum().backward()
        grads = [
            (W.grad.numpy().copy(), None if b is None else b.grad.numpy().copy())
            for W, b in self.params
        ]
        for p in self._leaves():
            p.grad = None
        trace = {
            "z": [z.detach().numpy().copy() for z in zs],
            "a": [a.detach().numpy().copy() for a in acts],
        }
        return loss.detach().numpy().copy(), grads, trace

    def arrays(self) -> list[np.ndarray]:
        """The live parameters as numpy arrays sharing the tensors' memory, each W then its
        b, layer by layer (an update rule writes them in place, outside autograd)."""
        return [p.detach().numpy() for p in self._leaves()]

    def sgd_epoch(self, X: np.ndarray, Y: np.ndarray, lr: np.ndarray) -> np.ndarray:
        """One epoch of per-sample SGD, samples in order; returns the summed loss (S,).
        No weight penalty: a regularised network trains with training.train_minibatch."""
        if self.spec.regulariser != "none":
            raise ValueError("sgd_epoch has no regulariser: use training.train_minibatch")
        X = np.asarray(X, dtype=self.np_dtype)
        Y = self.prepare_target(np.asarray(Y, dtype=self.np_dtype))
        xs = self._tensor(X.transpose(1, 0, 2)[:, :, None, :])
        ys = self._tensor(Y.transpose(1, 0, 2)[:, :, None, :])
        lr3 = self._lr(lr)
        leaves = self._leaves()
        loss_fn = self.loss_fn
        total = torch.zeros(X.shape[0], dtype=self.torch_dtype)
        for x, y in zip(xs, ys):
            out, _, _ = self._forward(x)
            loss = loss_fn(out, y)
            loss.sum().backward()
            with torch.no_grad():
                total += loss
                for p in leaves:
                    p -= lr3 * p.grad
                    p.grad = None
        return total.numpy().copy()
