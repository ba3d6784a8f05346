"""The worked examples' figures: per example its computational graph (initial values,
forward values of sample 1 and every parameter's gradient over the batch) and the loss
curves of its variants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backprop_lab.plotting import CURVE_CEILING, note, save, plt
from backprop_lab.worked.figure import graph


def of(frame: pd.DataFrame, example: str) -> pd.DataFrame:
    return frame[frame["example"] == example]


def draw(tables: dict[str, pd.DataFrame], outdir: Path) -> list[Path]:
    written = []
    for example in tables["worked_marking"]["example"]:
        fig = graph(
            f"{example}: initial values, sample 1's forward pass, gradients over the batch",
            *(of(tables[k], example) for k in ("worked_forward", "worked_edges")),
        )
        written.append(save(fig, outdir / f"worked_{example}_graph.png"))
        fig = variant_curves(example, of(tables["worked_curves"], example))
        written.append(save(fig, outdir / f"worked_{example}_variants.png"))
    return written


def variant_curves(example: str, curves: pd.DataFrame) -> plt.Figure:
    """The example's stated loss (total over the samples) against round, for the example as
    printed and each variant, also one that trained on another loss function (dashed,
    labelled with it); seeds: the median line and the min..max band. A diverged run is cut
    where it left the scale, a loss of exactly 0 is off the log scale."""
    fig, ax = plt.subplots(figsize=(8, 4.4), layout="constrained")
    if curves.empty:
        note(ax, "no variant of this example trained")
        return fig
    stated = curves.loc[curves["variant"] == "as_printed", "loss_function"]
    for variant, data in curves.groupby("variant", sort=False):
        table = data.pivot_table(
            index="round", columns="seed_key", values="stated_loss", dropna=False
        )
        values = table.to_numpy(dtype=float, copy=True)
        values[(values > CURVE_CEILING) | (values <= 0)] = np.nan
        trained_on = data["loss_function"].iloc[0]
        other = not stated.empty and trained_on != stated.iloc[0]
        label = variant + (f" ({values.shape[1]} seeds)" if values.shape[1] > 1 else "")
        label += f" (trained on {trained_on})" if other else ""
        drawn = ~np.all(np.isnan(values), axis=1)  # rounds after every seed diverged
        x, values = table.index.to_numpy()[drawn] + 1, values[drawn]
        if not len(x):
            continue
        if values.shape[1] > 1:
            ax.fill_between(x, np.nanmin(values, axis=1), np.nanmax(values, axis=1), alpha=0.15)
        style = {"color": "black", "linewidth": 2} if variant == "as_printed" else {"linewidth": 1}
        ax.plot(
            x, np.nanmedian(values, axis=1), label=label, linestyle="--" if other else "-", **style
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("round + 1 (log scale; 1 = before any update)")
    loss = stated.iloc[0] if not stated.empty else "stated"
    ax.set_ylabel(f"total {loss} loss over the samples")
    ax.set_title(
        f"{example}: the example as printed and its variants,\n"
        f"all measured by the example's {loss} loss",
        fontsize=10,
    )
    ax.legend(fontsize=7, ncols=2)
    ax.grid(True, alpha=0.3)
    return fig
