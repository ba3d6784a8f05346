"""A network given in the core layout (``backprop_lab.core.network``: widths, one flat
vector of initial values) as a worked example, so that a lab configured that way gets its
round-1 forward and chain-rule tables and its graph figure from the worked machinery.

Names: inputs ``x1..``, hidden units ``h1..`` (``h<layer>_<k>`` with more than one hidden
layer), outputs ``o1..``; weights ``w1..`` numbered in the core's flattening order (layer by
layer, ``W[i, j]`` row-major: unit i of the layer below to unit j), so a 2-2-2 network's
w1: x1→h1, w2: x1→h2, w3: x2→h1, ... No biases (the core layout's ``bias=False``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def layer_names(widths: Sequence[int]) -> list[list[str]]:
    """Unit names per layer, inputs first."""
    hidden = len(widths) - 2
    names = [[f"x{k}" for k in range(1, widths[0] + 1)]]
    for layer, width in enumerate(widths[1:-1], start=1):
        prefix = "h" if hidden == 1 else f"h{layer}_"
        names.append([f"{prefix}{k}" for k in range(1, width + 1)])
    names.append([f"o{k}" for k in range(1, widths[-1] + 1)])
    return names


def weight_edges(widths: Sequence[int]) -> dict[str, tuple[str, str]]:
    """Weight name -> (from unit, to unit), in the core's flattening order."""
    layers = layer_names(widths)
    pairs = [(a, b) for below, above in zip(layers, layers[1:]) for a in below for b in above]
    return {f"w{k}": edge for k, edge in enumerate(pairs, start=1)}


def example(
    *,
    title: str,
    widths: Sequence[int],
    weights: Sequence[float],
    x: Sequence[float],
    y: Sequence[float],
    activations: Sequence[str],
    training: dict[str, Any],
) -> dict[str, Any]:
    """The worked-example dict (the file format of ``schema.yaml``) of one sample through a
    bias-free network in the core layout; `activations` one per non-input layer, `training`
    the file's ``training`` block (loss, step, rounds, ...). ValueError when the number of
    weights does not fit the widths."""
    edges = weight_edges(widths)
    if len(weights) != len(edges):
        raise ValueError(f"{len(weights)} weights for widths {list(widths)}: {len(edges)} needed")
    return {
        "title": title,
        "network": {
            "layers": layer_names(widths),
            "activation": list(activations),
            "weights": {
                name: {"from": a, "to": b, "value": float(v)}
                for (name, (a, b)), v in zip(edges.items(), weights)
            },
        },
        "data": [{"x": [float(v) for v in x], "y": [float(v) for v in y]}],
        "training": dict(training),
        "printed": [],
    }
