"""PyTorch autograd on a worked example's graph: the twin of ``backprop.Net``.

The same graph and Setup (only the author's own rules: the student-mistake fields of a
Setup have no autograd twin); values, partial derivatives between any two nodes
(``torch.autograd.grad``) and training (simultaneous updates). Tests hold it equal to the
hand-written backprop and to finite differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from backprop_lab.core.torch_engine import TORCH_ACTIVATIONS, TORCH_LOSSES
from backprop_lab.core.functions import LOSSES
from backprop_lab.worked.backprop import Net
from backprop_lab.worked.quantities import Node, Quantity

DTYPES = {"float64": torch.float64, "float32": torch.float32}


class TorchNet:
    """A ``Net`` computed by autograd (its index arrays, its Setup)."""

    def __init__(self, net: Net):
        s = net.setup
        mistakes = s.transposed or s.weight_gradients or s.decimals is not None
        if s.derivative != "chain" or s.sign != -1.0 or mistakes:
            raise ValueError("autograd computes the chain rule only: no mistake to twin")
        if s.order != "simultaneous":
            raise ValueError("autograd updates every parameter from one forward pass")
        self.net = net
        self.dtype = DTYPES[s.dtype]
        self.loss = TORCH_LOSSES[s.loss]
        self.prepare = LOSSES[s.loss].prepare_target
        self.wid = [None] + [torch.as_tensor(w) for w in net.wid[1:]]
        self.bid = [None] + [torch.as_tensor(b) for b in net.bid[1:]]

    def forward(self, theta: torch.Tensor, x: torch.Tensor) -> tuple[list, list]:
        nets: list[Any] = [None]
        outs = [x]
        for ly in range(1, self.net.L + 1):
            net = outs[-1] @ theta[self.wid[ly]] + theta[self.bid[ly]]
            names = self.net.setup.activations[ly]
            cols = [TORCH_ACTIVATIONS[n](net[:, k : k + 1]) for k, n in enumerate(names)]
            nets.append(net)
            outs.append(torch.cat(cols, dim=1))
        return nets, outs

    def _loss(self, out: torch.Tensor, y: np.ndarray, unit: int | None) -> torch.Tensor:
        t = torch.as_tensor(self.prepare(y), dtype=self.dtype)
        if unit is not None:
            out, t = out[:, unit : unit + 1], t[:, unit : unit + 1]
        return self.loss(out[None], t[None]).sum()

    def value(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, q: Quantity) -> float:
        """`q` for one sample (x, y of shape (1, n)), by autograd."""
        th = torch.tensor(theta, dtype=self.dtype, requires_grad=True)
        nets, outs = self.forward(th, torch.as_tensor(x, dtype=self.dtype))
        for t in (*nets[1:], *outs):
            t.retain_grad() if t.requires_grad else None
        top = self._node(q.of, nets, outs, y, th)
        if q.wrt is None:
            return float(top.detach().reshape(-1)[0])
        below = th if q.wrt.kind == "param" else self._node(q.wrt, nets, outs, y, th, full=True)
        (grad,) = torch.autograd.grad(top.sum(), below, allow_unused=True)
        if grad is None:
            return 0.0
        if q.wrt.kind == "param":
            return float(grad[self.net.graph.parameters.index(q.wrt.name)])
        return float(grad[0, q.wrt.index])

    def _node(self, node: Node, nets, outs, y, th, full: bool = False) -> torch.Tensor:
        if node.kind == "param":
            return th[self.net.graph.parameters.index(node.name)]
        if node.kind in ("loss", "term"):
            return self._loss(outs[-1], y, node.index if node.kind == "term" else None)
        layer = (nets if node.kind == "net" else outs)[node.layer]
        return layer if full else layer[0, node.index]

    def train(self, x: np.ndarray, y: np.ndarray, keep: set[int], theta: np.ndarray) -> dict:
        """θ (numpy) after each round in `keep`, updated by autograd's gradients."""
        s = self.net.setup
        th = torch.tensor(theta, dtype=self.dtype)
        mask = torch.as_tensor(self.net.mask)
        kept = {0: th.numpy().copy()} if 0 in keep else {}
        batches = (
            [slice(b, b + 1) for b in range(len(x))] if s.batch == "per_sample" else [slice(None)]
        )
        for k in range(1, max(keep, default=0) + 1):
            for part in batches:
                th.requires_grad_(True)
                _, outs = self.forward(th, torch.as_tensor(x[part], dtype=self.dtype))
                loss = self._per_sample_losses(outs[-1], y[part])
                total = loss.mean() if s.batch == "mean" else loss.sum()
                (grad,) = torch.autograd.grad(total, th)
                with torch.no_grad():
                    th = torch.where(mask, th - s.step * grad, th)
            if k in keep:
                kept[k] = th.detach().numpy().copy()
            if not torch.isfinite(th).all():
                break
        return kept

    def _per_sample_losses(self, out: torch.Tensor, y: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(self.prepare(y), dtype=self.dtype)
        return self.loss(out[:, None, :], t[:, None, :])
