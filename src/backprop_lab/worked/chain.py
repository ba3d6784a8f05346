"""The round-1 hand calculation of an example, generated for its topology: the forward
table (every unit's net input and output) and the backward chain-rule table (every delta
and every parameter's gradient: its formula, the numbers substituted, the hand value, the
autograd value, their difference), for one sample at the initial values.

Formulas come from the core registries (a loss's ``grad_formula``, an activation's
``derivative_formula``) with the example's own names; numbers are written with 6
significant digits (the values themselves are kept in full).
"""

from __future__ import annotations

from typing import Any

from backprop_lab.core.functions import ACTIVATIONS, LOSSES
from backprop_lab.worked.autograd import TorchNet
from backprop_lab.worked.backprop import Net
from backprop_lab.worked.model import Model
from backprop_lab.worked.quantities import Quantity, parse


def _g(v: float) -> str:
    """A number in a product: 6 significant digits, a negative one in parentheses."""
    text = f"{v:.6g}"
    return f"({text})" if text.startswith("-") else text


def forward_rows(model: Model) -> list[dict[str, Any]]:
    """Every unit of every sample at the initial values: hand and autograd values."""
    net = Net(model.graph, model.stated)
    twin = TorchNet(net)
    theta = net.theta()
    nets, outs = net.forward(theta, model.x)
    rows = []
    for s in range(len(model.x)):
        xs, ys = model.x[s : s + 1], model.y[s : s + 1]
        for ly, layer in enumerate(model.graph.layers):
            for k, unit in enumerate(layer):
                auto = twin.value(theta, xs, ys, parse(f"out_{unit}", model.graph))
                rows.append(
                    {
                        "sample": s + 1,
                        "layer": ly,
                        "unit": unit,
                        "activation": model.stated.activations[ly][k] or "input",
                        "net": None if ly == 0 else float(nets[ly][s, k]),
                        "out": float(outs[ly][s, k]),
                        "out_autograd": auto,
                        "difference": abs(float(outs[ly][s, k]) - auto),
                        # the round-off level another machine's difference is held to
                        "dtype": model.stated.dtype,
                    }
                )
    return rows


def chain_rows(model: Model, sample: int = 1) -> list[dict[str, Any]]:
    """The backward pass of one sample by the chain rule, delta by delta, then every
    parameter's gradient; each with its autograd value."""
    graph, setup = model.graph, model.stated
    net = Net(graph, setup)
    twin = TorchNet(net)
    theta = net.theta()
    x, y = model.x[sample - 1 : sample], model.y[sample - 1 : sample]
    g = net.backward(theta, x, y, parse("E_total", graph).of)
    nets, outs = g["nets"], g["outs"]
    L = len(graph.layers) - 1
    loss = LOSSES[setup.loss]
    rows = []

    def add(what: str, formula: str, numbers: str, value: float, q: str) -> None:
        auto = twin.value(theta, x, y, parse(q, graph))
        rows.append(
            {
                "quantity": what,
                "formula": formula,
                "substituted": numbers,
                "hand": float(value),
                "autograd": auto,
                "difference": abs(float(value) - auto),
                "dtype": setup.dtype,
            }
        )

    for ly in range(L, 0, -1):
        for k, unit in enumerate(graph.layers[ly]):
            act = ACTIVATIONS[setup.activations[ly][k]]
            d_act = act.derivative_formula.format(z=f"net_{unit}", a=f"out_{unit}")
            d_val = act.derivative(nets[ly][:, k], outs[ly][:, k])[0]
            if ly == L:
                up = loss.grad_formula.format(o=f"out_{unit}", y=f"target_{unit}")
                up_val = _g(g["out"][ly][0, k])
            else:
                terms = [(w, b) for w, (a, b) in graph.weights.items() if a == unit]
                up = " + ".join(f"{w}·δ_{b}" for w, b in terms)
                above = graph.layers[ly + 1]
                up_val = " + ".join(
                    f"{_g(theta[graph.parameters.index(w)])}×"
                    f"{_g(g['net'][ly + 1][0, above.index(b)])}"
                    for w, b in terms
                )
            if ly < L:
                up, up_val = f"({up})", f"({up_val})"
            add(
                f"δ_{unit} = dE/dnet_{unit}",
                f"{up} · {d_act}",
                f"{up_val} × {_g(d_val)}",
                g["net"][ly][0, k],
                f"dE_total/dnet_{unit}",
            )
    for p in graph.parameters:
        if p in graph.weights:
            a, b = graph.weights[p]
            la, lb = graph.layer_of(a), graph.layer_of(b)
            delta = g["net"][lb][0, graph.layers[lb].index(b)]
            numbers = f"{_g(delta)} × {_g(outs[la][0, graph.layers[la].index(a)])}"
            add(
                f"dE/d{p}",
                f"δ_{b} · out_{a}",
                numbers,
                g["theta"][0, graph.parameters.index(p)],
                f"dE_total/d{p}",
            )
        else:
            units = graph.biases[p]
            lb = graph.layer_of(units[0])
            numbers = " + ".join(_g(g["net"][lb][0, graph.layers[lb].index(u)]) for u in units)
            add(
                f"dE/d{p}",
                " + ".join(f"δ_{u}" for u in units),
                numbers,
                g["theta"][0, graph.parameters.index(p)],
                f"dE_total/d{p}",
            )
    return rows


def edges(model: Model) -> list[dict[str, Any]]:
    """Every parameter with the edge it sits on, its initial value, its gradient over the
    batch (the graph figure's labels) and its value after round 1 (the first update as the
    example states it: per sample, batch, update order)."""
    net = Net(model.graph, model.stated)
    theta = net.theta()
    after = model.states(model.stated, rounds={1}).get(1)
    rows = []
    for k, p in enumerate(model.graph.parameters):
        grad = net.value(
            theta,
            model.x,
            model.y,
            Quantity(parse("E_total", model.graph).of, parse(p, model.graph).of),
            "all",
        )
        a, b = model.graph.weights.get(p, ("bias", " ".join(model.graph.biases.get(p, ()))))
        rows.append(
            {
                "parameter": p,
                "from": a,
                "to": b,
                "initial": float(theta[k]),
                "gradient": grad,
                "after_round_1": None if after is None else float(after[k]),
                "trained": bool(model.stated.trained[k]),
            }
        )
    return rows
