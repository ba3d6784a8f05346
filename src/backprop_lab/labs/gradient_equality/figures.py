"""The gradient-equality lab's figures: the gradient check of every architecture, and the
training curves of both engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backprop_lab.plotting import band, baseline_rows, save, plt


def draw(tables: dict[str, pd.DataFrame], outdir: Path) -> list[Path]:
    summary = tables["gradient_equality_summary"]
    return [
        save(
            gradcheck(tables["gradient_equality_gradients"]),
            outdir / "gradient_equality_gradcheck.png",
        ),
        save(
            training_curves(tables["gradient_equality_curves"], summary),
            outdir / "gradient_equality_curves.png",
        ),
    ]


def training_curves(curves: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    """The baseline trained by both engines: the two curves coincide."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    base = baseline_rows(summary)
    twins = summary[summary["changed"].fillna("") == "engine"]
    runs = list(dict.fromkeys(list(base["run_id"][:1]) + list(twins["run_id"][:1])))
    styles = {"numpy": {"color": "C0", "lw": 3, "alpha": 0.6}, "torch": {"color": "C3", "ls": "--"}}
    for run_id in runs:
        data = curves[curves["run_id"] == run_id]
        engine = str(data["engine"].iloc[0])
        band(ax, data, f"{engine} ({run_id})", **styles.get(engine, {}))
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("epoch loss Σ (prediction − y)²")
    ax.set_title("Gradient equality: the 2-10-10-1 network trained by both engines")
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return fig


def gradcheck(gradients: pd.DataFrame) -> plt.Figure:
    """Largest relative error of each variant, per pair of methods and dtype."""
    fig, ax = plt.subplots(figsize=(11, 4.8), layout="constrained")
    worst = gradients.groupby(["run_id", "dtype", "comparison"], sort=False)["max_rel_error"].max()
    runs = list(dict.fromkeys(gradients["run_id"]))
    markers = {"float64": "o", "float32": "s"}
    for i, ((dtype, comparison), series) in enumerate(
        worst.groupby(level=["dtype", "comparison"], sort=False)
    ):
        values = series.droplevel(["dtype", "comparison"]).reindex(runs).to_numpy(dtype=float)
        # an exact 0 cannot be drawn on a log axis: draw it at the bottom edge
        ax.scatter(
            range(len(runs)),
            np.maximum(values, 1e-17),
            marker=markers.get(dtype, "o"),
            label=f"{dtype}: {comparison}",
            color=f"C{i}",
            zorder=3,
        )
    for dtype, threshold in gradients.groupby("dtype")["threshold"].first().items():
        ax.axhline(threshold, ls=":", color="0.3")
        ax.text(
            len(runs) - 0.5,
            threshold,
            f"threshold {dtype}",
            ha="right",
            va="bottom",
            fontsize="small",
        )
    ax.set_yscale("log")
    ax.set_ylim(5e-18, 1)
    ax.set_xticks(
        range(len(runs)), [r.split("/", 1)[1] for r in runs], rotation=70, fontsize="x-small"
    )
    ax.set_ylabel("largest relative error (0 drawn at 1e-17)")
    ax.set_title("Gradient equality: gradient check of every architecture (all layers, all seeds)")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    return fig
