"""The worked examples' figures: per example its computational graph (initial values,
forward values of sample 1 and every parameter's gradient over the batch) and the loss
curves of its variants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backprop_lab.plotting import CURVE_CEILING, note, save, plt


def draw(tables: dict[str, pd.DataFrame], outdir: Path) -> list[Path]:
    written = []
    for example in tables["worked_marking"]["example"]:
        fig = graph(example, tables["worked_forward"], tables["worked_edges"])
        written.append(save(fig, outdir / f"worked_{example}_graph.png"))
        fig = variant_curves(example, tables["worked_curves"], tables["worked_variants"])
        written.append(save(fig, outdir / f"worked_{example}_variants.png"))
    return written


def graph(example: str, forward: pd.DataFrame, edges: pd.DataFrame) -> plt.Figure:
    """Units in columns by layer (sample 1's net input and output), each weight on its
    edge with its initial value and gradient; biases listed beside."""
    units = forward[(forward["example"] == example) & (forward["sample"] == 1)]
    params = edges[edges["example"] == example]
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
    ax.set_title(
        f"{example}: initial values, sample 1's forward pass, gradients over the batch", fontsize=9
    )
    return fig


def variant_curves(example: str, curves: pd.DataFrame, variants: pd.DataFrame) -> plt.Figure:
    """Total loss against round for the example as printed and each variant (seeds: the
    median line and the min..max band); a diverged run is cut where it left the scale, a
    loss of exactly 0 is off the log scale."""
    fig, ax = plt.subplots(figsize=(8, 4.4), layout="constrained")
    mine = curves[curves["example"] == example]
    if mine.empty:
        note(ax, "no variant of this example trained")
        return fig
    for variant, data in mine.groupby("variant", sort=False):
        table = data.pivot_table(index="round", columns="seed_key", values="loss", dropna=False)
        values = table.to_numpy(dtype=float, copy=True)
        values[(values > CURVE_CEILING) | (values <= 0)] = np.nan
        label = variant + (f" ({values.shape[1]} seeds)" if values.shape[1] > 1 else "")
        drawn = ~np.all(np.isnan(values), axis=1)  # rounds after every seed diverged
        x, values = table.index.to_numpy()[drawn] + 1, values[drawn]
        if not len(x):
            continue
        if values.shape[1] > 1:
            ax.fill_between(x, np.nanmin(values, axis=1), np.nanmax(values, axis=1), alpha=0.15)
        style = {"color": "black", "linewidth": 2} if variant == "as_printed" else {"linewidth": 1}
        ax.plot(x, np.nanmedian(values, axis=1), label=label, **style)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("round + 1 (log scale; 1 = before any update)")
    ax.set_ylabel("total loss over the samples")
    ax.set_title(f"{example}: the example as printed and its variants", fontsize=10)
    ax.legend(fontsize=7, ncols=2)
    ax.grid(True, alpha=0.3)
    return fig
