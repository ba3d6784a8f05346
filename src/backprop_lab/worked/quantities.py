"""What a printed number is, on the example's graph: the grammar of a printed entry's ``of``.

- ``net_h1`` / ``out_h1`` (or just ``h1``): a unit's net input / output;
- ``error_o1``: an output's out − target;
- ``E_o1``: an output's own loss term (the loss of that output alone); ``E_total``: the loss;
- ``w5``, ``b1``: a parameter's value;
- ``delta_o1``: dE_total/dnet_o1;
- ``dA/dB``: a partial derivative, A one of ``E_total``, ``E_<output>``, ``out_<unit>``,
  ``net_<unit>`` and B a unit's ``out_``/``net_`` below A, or a parameter
  (``dE_total/dw5``, ``dE_o2/dout_h1``, ``dout_o1/dnet_o1``, ``dE_total/db1``).

No numpy here (example files are checked while Snakemake builds its DAG).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backprop_lab.worked.example import Graph


class QuantityError(ValueError):
    """An ``of`` that names nothing on the graph."""


@dataclass(frozen=True)
class Node:
    """A value on the graph: ``kind`` net | out | error | term | loss | param."""

    kind: str
    name: str = ""  # the unit or parameter ("" for the loss)
    layer: int = 0
    index: int = 0

    @property
    def text(self) -> str:
        if self.kind == "loss":
            return "E_total"
        if self.kind == "term":
            return f"E_{self.name}"
        return self.name if self.kind == "param" else f"{self.kind}_{self.name}"


@dataclass(frozen=True)
class Quantity:
    """A node's value (``wrt`` None) or the partial derivative of ``of`` with respect to
    ``wrt``."""

    of: Node
    wrt: Node | None = None

    @property
    def text(self) -> str:
        return self.of.text if self.wrt is None else f"d{self.of.text}/d{self.wrt.text}"

    @property
    def is_gradient(self) -> bool:
        return self.wrt is not None


def parse(text: str, graph: Graph) -> Quantity:
    """The quantity `text` names; QuantityError (saying why) if it names nothing."""
    text = text.strip()
    if text.startswith("delta_"):
        return Quantity(_node("E_total", graph), _node("net_" + text[6:], graph))
    if "/" in text:
        top, _, bottom = text.partition("/")
        if not (top.startswith("d") and bottom.startswith("d")):
            raise QuantityError("a partial derivative is written dA/dB")
        of, wrt = _node(top[1:], graph), _node(bottom[1:], graph)
        if of.kind in ("param", "error"):
            raise QuantityError(f"{of.text} is no value a derivative is taken of")
        if wrt.kind in ("loss", "term", "error"):
            raise QuantityError(f"d/d{wrt.text}: take derivatives by units or parameters")
        if wrt.kind != "param" and _height(wrt, graph) >= _height(of, graph):
            raise QuantityError(f"{wrt.text} does not lie below {of.text}")
        return Quantity(of, wrt)
    return Quantity(_node(text, graph))


def _height(node: Node, graph: Graph) -> int:
    """The order of values in the forward pass: net_l < out_l < net_(l+1) < ... < E."""
    if node.kind in ("loss", "term"):
        return 2 * len(graph.layers)
    return 2 * node.layer + (node.kind == "out")


def _node(text: str, graph: Graph) -> Node:
    if text in ("E_total", "E"):
        return Node("loss", layer=len(graph.layers))
    if text in graph.initial:
        return Node("param", text)
    for prefix, kind in (("net_", "net"), ("out_", "out"), ("error_", "error"), ("E_", "term")):
        if text.startswith(prefix) and text[len(prefix) :] in graph.units:
            return _unit(kind, text[len(prefix) :], graph)
    if text in graph.units:
        return _unit("out", text, graph)
    raise QuantityError(
        f"{text!r} is no unit, parameter or loss of the graph (units: "
        f"{', '.join(graph.units)}; parameters: {', '.join(graph.parameters)})"
    )


def _unit(kind: str, unit: str, graph: Graph) -> Node:
    layer = graph.layer_of(unit)
    if layer == 0 and kind == "net":
        raise QuantityError(f"{unit} is an input: it has no net input")
    if kind in ("error", "term") and layer != len(graph.layers) - 1:
        raise QuantityError(f"{unit} is no output unit")
    return Node(kind, unit, layer, graph.layers[layer].index(unit))
