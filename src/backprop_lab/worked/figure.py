"""An example's computational graph as a figure: units in columns by layer with their
net input and output, each weight on its edge with its initial value and gradient, biases
listed beside. Drawn from the round-1 tables of ``backprop_lab.worked.chain`` (any lab
that has those tables draws its graph with it)."""

from __future__ import annotations

import pandas as pd

from backprop_lab.plotting import plt


def graph(title: str, forward: pd.DataFrame, params: pd.DataFrame) -> plt.Figure:
    """`forward`: rows of ``chain.forward_rows`` (sample 1's are drawn); `params`: rows of
    ``chain.edges``; `title` heads the figure."""
    units = forward[forward["sample"] == 1]
    layers = [g for _, g in units.groupby("layer", sort=True)]
    tallest = max(len(g) for g in layers)
    pos = {}
    for i, g in enumerate(layers):
        for j, unit in enumerate(g["unit"]):
            pos[unit] = (2.2 * i, (len(g) - 1) / 2 - j)  # each layer centred on y = 0
    width = 2.2 * (len(layers) - 1)
    biases = params[params["from"] == "bias"]
    span_x = width + (3.8 if len(biases) else 1.2)
    span_y = tallest + 0.1
    scale = min(1.6, 15 / span_x)
    fig, ax = plt.subplots(figsize=(span_x * scale, span_y * scale + 0.5), layout="constrained")
    weights = params[params["from"] != "bias"]
    many = len(weights) > 24
    for _, w in weights.iterrows():
        (xa, ya), (xb, yb) = pos[w["from"]], pos[w["to"]]
        ax.annotate(
            "", (xb - 0.2, yb), (xa + 0.2, ya), arrowprops={"arrowstyle": "->", "color": "0.6"}
        )
        if not many:
            t = 0.5 if ya == yb else (0.28 if ya > yb else 0.72)
            ax.text(
                xa + (xb - xa) * t,
                ya + (yb - ya) * t,
                f"{w['parameter']}={w['initial']:.3g}\n∂E/∂{w['parameter']}={w['gradient']:.3g}",
                ha="center",
                va="center",
                fontsize=7,
                bbox={"boxstyle": "round", "fc": "lightyellow", "ec": "0.8"},
            )
    for _, u in units.iterrows():
        x, y = pos[u["unit"]]
        ax.add_patch(plt.Circle((x, y), 0.19, fc="lightsteelblue", ec="black"))
        ax.text(x, y, u["unit"], ha="center", va="center", fontweight="bold", fontsize=8)
        text = f"{u['out']:.4g}" if u["layer"] == 0 else f"net={u['net']:.4g}\nout={u['out']:.4g}"
        ax.text(x, y - 0.25, text, ha="center", va="top", fontsize=7.5)
    if len(biases):
        lines = [
            f"{b['parameter']} → {b['to']}: {b['initial']:.3g}, "
            f"∂E/∂{b['parameter']}={b['gradient']:.3g}" + ("" if b["trained"] else " (frozen)")
            for _, b in biases.iterrows()
        ]
        ax.text(
            width + 0.5, (tallest - 1) / 2, "biases\n" + "\n".join(lines), va="top", fontsize=7.5
        )
    ax.set_xlim(-0.6, span_x - 0.6)
    ax.set_ylim(-(tallest - 1) / 2 - 0.7, (tallest - 1) / 2 + 0.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    return fig
