"""Hand-written backprop on a worked example's named graph (numpy), and its training.

Layout: layer l computes ``net_l = out_{l-1} @ W_l + b_l`` and ``out_l = f(net_l)`` unit by
unit (each unit its own activation of the core registry); ``W_l[i, j]`` is the weight on
the edge from unit i of layer l − 1 to unit j of layer l, a bias may feed several units.
Parameters live in one vector θ in the file's order (weights, then biases) with one slot
more that is always 0 (a unit without a bias reads it).

A :class:`Setup` holds every rule of the computation, so that a departure from what the
author stated (``backprop_lab.worked.departures``) is a changed Setup: the update order,
which parameters train, each unit's activation, the loss, the step, how a batch combines
its gradients, the dtype, and the mistakes students make (a missing activation derivative,
the derivative's formula evaluated at the net input, a flipped update sign, the transposed
weight in a hidden delta, every intermediate value rounded).

Shapes: x (B, n_in), y (B, n_out); per-sample results (B, ...); θ (P + 1,).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backprop_lab.core.functions import ACTIVATIONS, LOSSES
from backprop_lab.worked.example import Graph, graph_of
from backprop_lab.worked.quantities import Node, Quantity

Array = np.ndarray


@dataclass(frozen=True)
class Setup:
    """How an example computes and trains (see the module's docstring)."""

    activations: tuple[tuple[str, ...], ...]
    trained: tuple[bool, ...]  # per parameter, in Graph.parameters order
    loss: str
    step: float
    rounds: int
    batch: str = "per_sample"  # per_sample | sum | mean
    dtype: str = "float64"
    order: str = "simultaneous"  # simultaneous | layer_by_layer
    derivative: str = "chain"  # chain | missing | at_net
    sign: float = -1.0  # −1: down the gradient; +1: the flipped update
    transposed: bool = False  # a hidden delta takes W[j, i] for W[i, j]
    # a hidden unit's dE/dout from the gradients of its outgoing weights (Σ_j dE/dw_ij =
    # out_i · Σ_j δ_j) instead of Σ_j w_ij · δ_j (the 2-2-2 lab's numpy listing)
    weight_gradients: bool = False
    decimals: int | None = None  # every intermediate value rounded to these decimals

    def but(self, **changes: Any) -> Setup:
        return replace(self, **changes)


def stated_setup(data: dict[str, Any], graph: Graph | None = None) -> Setup:
    """The Setup the example file states."""
    graph = graph or graph_of(data)
    t = data["training"]
    return Setup(
        activations=graph.activations,
        trained=tuple(graph.trained[p] for p in graph.parameters),
        loss=t["loss"],
        step=float(t["step"]),
        rounds=int(t["rounds"]),
        batch=t.get("batch", "per_sample"),
        dtype=t.get("dtype", "float64"),
        order=t.get("order", "simultaneous"),
    )


class Net:
    """An example's graph as index arrays into θ, computing under one Setup."""

    def __init__(self, graph: Graph, setup: Setup):
        self.graph, self.setup = graph, setup
        self.dtype = np.dtype(setup.dtype)
        params = graph.parameters
        self.slot = len(params)  # the always-zero slot
        index = {p: k for k, p in enumerate(params)}
        by_edge = {edge: index[w] for w, edge in graph.weights.items()}
        bias_of = {u: index[b] for b, units in graph.biases.items() for u in units}
        layers = graph.layers
        self.wid = [None] + [
            np.array([[by_edge[(a, b)] for b in layers[ly]] for a in layers[ly - 1]])
            for ly in range(1, len(layers))
        ]
        self.bid = [None] + [
            np.array([bias_of.get(u, self.slot) for u in layers[ly]])
            for ly in range(1, len(layers))
        ]
        self.mask = np.array([*setup.trained, False], dtype=bool)
        self.L = len(layers) - 1
        self.loss = LOSSES[setup.loss]
        self.groups = [[]] + [self._groups(ly) for ly in range(1, self.L + 1)]
        # which θ entries each layer's update moves
        self.moves = [None] + [self._moves(ly) for ly in range(1, self.L + 1)]

    def _moves(self, ly: int) -> Array:
        layer = np.zeros_like(self.mask)
        layer[self.wid[ly]] = True
        layer[self.bid[ly]] = True
        return layer & self.mask

    def scatter(self, index: Array, values: Array) -> Array:
        """Per-θ sums of `values` at `index` (a shared bias sums its units)."""
        return np.bincount(index.ravel(), weights=values.ravel(), minlength=self.slot + 1).astype(
            self.dtype, copy=False
        )

    # --- parameters ----------------------------------------------------------------------

    def theta(self, values: dict[str, float] | None = None) -> Array:
        given = {**self.graph.initial, **(values or {})}
        return np.array([*(given[p] for p in self.graph.parameters), 0.0], dtype=self.dtype)

    def r(self, a: Array) -> Array:
        """An intermediate value as the computation keeps it (rounded under the Setup)."""
        return a if self.setup.decimals is None else np.round(a, self.setup.decimals)

    # --- forward -------------------------------------------------------------------------

    def forward(self, theta: Array, x: Array) -> tuple[list[Array | None], list[Array]]:
        """Net inputs and outputs of every layer: lists indexed by layer, (B, n_l)."""
        nets: list[Array | None] = [None]
        outs = [x.astype(self.dtype)]
        for ly in range(1, self.L + 1):
            net = self.r(outs[-1] @ theta[self.wid[ly]] + theta[self.bid[ly]])
            nets.append(net)
            outs.append(self.r(self._activate(ly, net)))
        return nets, outs

    def _groups(self, ly: int) -> list[tuple[Any, list[int] | None]]:
        """Layer l's activations with their units' columns (None: the whole layer)."""
        names = self.setup.activations[ly]
        if len(set(names)) == 1:
            return [(ACTIVATIONS[names[0]], None)]
        return [(ACTIVATIONS[n], [k for k, m in enumerate(names) if m == n]) for n in set(names)]

    def _activate(self, ly: int, net: Array) -> Array:
        groups = self.groups[ly]
        if groups[0][1] is None:
            return groups[0][0].forward(net)
        out = np.empty_like(net)
        for act, cols in groups:
            out[:, cols] = act.forward(net[:, cols])
        return out

    def act_prime(self, ly: int, net: Array, out: Array) -> Array:
        """dout/dnet of layer l as the Setup takes it."""
        if self.setup.derivative == "missing":
            return np.ones_like(net)
        at_net = self.setup.derivative == "at_net"
        groups = self.groups[ly]
        if groups[0][1] is None:
            return groups[0][0].derivative(net, net if at_net else out)
        d = np.empty_like(net)
        for act, cols in groups:
            d[:, cols] = act.derivative(net[:, cols], (net if at_net else out)[:, cols])
        return d

    # --- the loss ------------------------------------------------------------------------

    def losses(self, out: Array, y: Array, unit: int | None = None) -> Array:
        """Per-sample loss (B,): the whole loss, or one output's term alone."""
        o, t = self._pair(out, y, unit)
        return self.loss.value(o, t)

    def loss_grad(self, out: Array, y: Array, unit: int | None = None) -> Array:
        """dE/dout of the output layer per sample (B, n_out): of the loss or one term."""
        o, t = self._pair(out, y, unit)
        g = self.loss.grad(o, t)[:, 0, :]
        if unit is None:
            return g
        full = np.zeros_like(out)
        full[:, unit] = g[:, 0]
        return full

    def _pair(self, out: Array, y: Array, unit: int | None) -> tuple[Array, Array]:
        t = self.loss.prepare_target(y.astype(self.dtype))
        if unit is not None:
            out, t = out[:, unit : unit + 1], t[:, unit : unit + 1]
        return out[:, None, :], t[:, None, :]  # samples as replicas: one gradient each

    # --- backward ------------------------------------------------------------------------

    def down(self, g_net: Array, w: Array, below: Array) -> Array:
        """dE/dout of the layer below (outputs `below`) from the deltas above and the
        weights used."""
        if self.setup.weight_gradients:
            return self.r(below * g_net.sum(axis=1, keepdims=True))
        return self.r(g_net @ (w if self.setup.transposed and w.shape[0] == w.shape[1] else w.T))

    def backward(self, theta: Array, x: Array, y: Array, top: Node) -> dict[str, Any]:
        """Every partial derivative of `top` (per sample) down the graph: ``net``/``out``
        lists by layer (B, n_l), ``theta`` (B, P + 1)."""
        nets, outs = self.forward(theta, x)
        B = x.shape[0]
        g_net: list[Array | None] = [None] * (self.L + 1)
        g_out: list[Array | None] = [None] * (self.L + 1)
        g_theta = np.zeros((B, self.slot + 1), dtype=self.dtype)
        start = top.layer if top.kind in ("net", "out") else self.L
        if top.kind in ("loss", "term"):
            g = self.r(self.loss_grad(outs[-1], y, top.index if top.kind == "term" else None))
        else:
            g = np.zeros((B, len(self.graph.layers[start])), dtype=self.dtype)
            g[:, top.index] = 1.0
        for ly in range(start, 0, -1):
            if ly == start and top.kind == "net":
                g_net[ly] = g
            else:
                g_out[ly] = g
                g_net[ly] = self.r(g * self.act_prime(ly, nets[ly], outs[ly]))
            per_w = self.r(outs[ly - 1][:, :, None] * g_net[ly][:, None, :])
            np.add.at(g_theta, (slice(None), self.wid[ly]), per_w)
            np.add.at(g_theta, (slice(None), self.bid[ly]), g_net[ly])
            g = self.down(g_net[ly], theta[self.wid[ly]], outs[ly - 1])
        g_out[0] = g if start > 0 else None
        g_theta[:, self.slot] = 0.0
        return {"net": g_net, "out": g_out, "theta": g_theta, "nets": nets, "outs": outs}

    # --- training ------------------------------------------------------------------------

    def update(self, theta: Array, x: Array, y: Array) -> Array:
        """One update from the samples x (their gradients combined as the Setup says)."""
        nets, outs = self.forward(theta, x)
        theta = theta.copy()
        scale = 1.0 / x.shape[0] if self.setup.batch == "mean" else 1.0
        step = self.dtype.type(self.setup.step * -self.setup.sign)
        g = self.r(self.loss_grad(outs[-1], y))
        for ly in range(self.L, 0, -1):
            g_net = self.r(g * self.act_prime(ly, nets[ly], outs[ly]))
            w_old = theta[self.wid[ly]]
            grad = self.scatter(self.wid[ly], self.r(outs[ly - 1].T @ g_net))
            grad += self.scatter(self.bid[ly], g_net.sum(axis=0))
            if scale != 1.0:
                grad = self.r(grad * self.dtype.type(scale))
            move = self.moves[ly]
            theta[move] = self.r(theta[move] - step * grad[move])
            w_used = theta[self.wid[ly]] if self.setup.order == "layer_by_layer" else w_old
            g = self.down(g_net, w_used, outs[ly - 1])
        return theta

    def train(self, x: Array, y: Array, keep: set[int], theta: Array | None = None) -> dict:
        """θ after each round in `keep` (0: before any update), up to the largest."""
        theta = self.theta() if theta is None else theta
        kept = {0: theta.copy()} if 0 in keep else {}
        last = max(keep, default=0)
        self.diverged_round: int | None = None
        with np.errstate(all="ignore"):
            for k in range(1, last + 1):
                if self.setup.batch == "per_sample":
                    for b in range(x.shape[0]):
                        theta = self.update(theta, x[b : b + 1], y[b : b + 1])
                else:
                    theta = self.update(theta, x, y)
                if k in keep:
                    kept[k] = theta.copy()
                if not np.all(np.isfinite(theta)):
                    self.diverged_round = k
                    break  # diverged: every later round is missing
        return kept

    # --- a printed quantity ----------------------------------------------------------------

    def value(self, theta: Array, x: Array, y: Array, q: Quantity, sample: int | str) -> float:
        """The value of `q` at θ for one sample (1-based) or the batch ("all": the summed
        loss, or the gradient the batch combines)."""
        with np.errstate(all="ignore"):
            values = self._values(theta, x, y, q)
        if sample == "all":
            total = values.sum()
            if self.setup.batch == "mean" and q.is_gradient:
                total = total / x.shape[0]
            return float(total)
        return float(values[int(sample) - 1])

    def _values(self, theta: Array, x: Array, y: Array, q: Quantity) -> Array:
        of, wrt = q.of, q.wrt
        if wrt is None:
            if of.kind == "param":
                return np.full(x.shape[0], theta[self.graph.parameters.index(of.name)])
            nets, outs = self.forward(theta, x)
            if of.kind == "net":
                return nets[of.layer][:, of.index]
            if of.kind == "out":
                return outs[of.layer][:, of.index]
            if of.kind == "error":
                return outs[-1][:, of.index] - y[:, of.index]
            return self.losses(outs[-1], y, of.index if of.kind == "term" else None)
        grads = self.backward(theta, x, y, of)
        if wrt.kind == "param":
            return grads["theta"][:, self.graph.parameters.index(wrt.name)]
        layer = grads[wrt.kind][wrt.layer]
        return np.full(x.shape[0], np.nan) if layer is None else layer[:, wrt.index]


def arrays(data: dict[str, Any]) -> tuple[Array, Array]:
    """The example's samples: x (B, n_in), y (B, n_out), float64."""
    x = np.array([s["x"] for s in data["data"]], dtype=float)
    y = np.array([s["y"] for s in data["data"]], dtype=float)
    return x, y
