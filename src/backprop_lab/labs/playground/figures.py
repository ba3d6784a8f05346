"""The Playground lab's figures: per axis the decision boundaries (with the spread over
seeds) and the train/test loss curves; the baseline network's per-neuron output maps and
the network drawn with its weights; micrograd's demo, its printed numbers beside ours."""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
import numpy as np
import pandas as pd

from backprop_lab.plotting import CURVE_CEILING, band, baseline_run, note, save, plt

# panels per row of a boundary figure
PER_ROW = 5
# more variants than this in one curve plot: no legend
MAX_LEGEND = 12


def draw(tables: dict[str, pd.DataFrame], outdir: Path) -> list[Path]:
    summary = tables["playground_summary"]
    written = []
    means = summary.groupby("run_id")["test_accuracy"].mean().rename("mean_test_accuracy")
    for axis in summary["axis"].unique():
        runs = summary[summary["axis"] == axis].drop_duplicates("run_id")
        runs = runs.merge(means, left_on="run_id", right_index=True)
        figure = boundaries(tables["playground_grid"], tables["playground_points"], runs)
        written.append(save(figure, outdir / f"playground_boundary_{axis}.png"))
        figure = loss_curves(tables["playground_curves"], runs, axis)
        written.append(save(figure, outdir / f"playground_curves_{axis}.png"))
    base = baseline_run(summary)
    written.append(
        save(neurons(tables["playground_neurons"], base), outdir / "playground_neurons.png")
    )
    weights = tables["playground_weights"]
    written.append(save(network(weights, summary, base), outdir / "playground_network.png"))
    figure = micrograd_demo(tables["playground_micrograd_steps"], tables["playground_curves"])
    written.append(save(figure, outdir / "playground_micrograd_demo.png"))
    return written


def boundaries(grid: pd.DataFrame, points: pd.DataFrame, runs: pd.DataFrame) -> plt.Figure:
    """One panel per variant: the share of seeds that predict class 1 at each point of the
    square (0 orange … 1 blue), the data on top (training points filled, test hollow)."""
    n = len(runs)
    cols = min(n, PER_ROW)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(2.6 * cols + 0.8, 2.6 * rows + 0.5),
        squeeze=False,
        layout="constrained",
    )
    by_grid = dict(tuple(grid.groupby("run_id", sort=False)))
    by_points = dict(tuple(points.groupby("run_id", sort=False)))
    image = None
    for ax, (_, run) in zip(axes.ravel(), runs.iterrows()):
        g = by_grid[run["run_id"]]
        x1, x2 = np.unique(g["x1"]), np.unique(g["x2"])
        share = g["share_class_1"].to_numpy().reshape(len(x2), len(x1))
        image = ax.imshow(
            share,
            origin="lower",
            extent=(x1[0], x1[-1], x2[0], x2[-1]),
            cmap="RdBu",
            vmin=0,
            vmax=1,
            aspect="auto",
        )
        p = by_points[run["run_id"]]
        for part, fill in (("train", True), ("test", False)):
            mine = p[p["part"] == part]
            colours = np.where(mine["label"] == 1, "#1f4e9a", "#c4510f")
            ax.scatter(
                mine["x1"],
                mine["x2"],
                s=7,
                c=colours if fill else "none",
                edgecolors=colours,
                linewidths=0.5,
            )
        ax.set_xlim(x1[0], x1[-1])  # a point outside the square stays out of the picture
        ax.set_ylim(x2[0], x2[-1])
        mean = summary_mean(runs, run["run_id"])
        ax.set_title(f"{run['variant']}\ntest acc. {mean:.0%}", fontsize="small")
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8, label="share of seeds predicting class 1")
    axis = runs["axis"].iloc[0]
    fig.suptitle(f"Playground, axis '{axis}': decision boundary over the seeds")
    return fig


def summary_mean(runs: pd.DataFrame, run_id: str) -> float:
    """The run's mean test accuracy over its seeds."""
    return float(runs.loc[runs["run_id"] == run_id, "mean_test_accuracy"].iloc[0])


def loss_curves(curves: pd.DataFrame, runs: pd.DataFrame, axis: str) -> plt.Figure:
    """Train loss (the objective) and test loss (data only) per epoch: median over seeds,
    min–max band."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
    mine = curves[curves["run_id"].isin(runs["run_id"])]
    by_run = dict(tuple(mine.groupby("run_id", sort=False)))
    many = len(runs) > MAX_LEGEND
    colours = plt.get_cmap("viridis" if many else "tab10")(np.linspace(0, 1, max(len(runs), 2)))
    for ax, column, title in (
        (axes[0], "train_loss", "training loss (with penalty)"),
        (axes[1], "test_data_loss", "test loss"),
    ):
        for colour, (_, run) in zip(colours, runs.iterrows()):
            data = by_run[run["run_id"]].rename(columns={column: "loss"})
            data = data.assign(loss=data["loss"].clip(upper=CURVE_CEILING))
            band(ax, data, str(run["variant"]), color=colour)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("loss")
    if not many:
        axes[1].legend(fontsize="small")
    fig.suptitle(f"Playground, axis '{axis}': loss per epoch (median, min–max over seeds)")
    return fig


def neurons(maps: pd.DataFrame, run_id: str) -> plt.Figure:
    """Every hidden unit's output over the square, seed 0 of the baseline (Playground's
    per-neuron pictures): one row per layer."""
    mine = maps[maps["run_id"] == run_id]
    if mine.empty:
        fig, ax = plt.subplots(figsize=(6, 2), layout="constrained")
        note(ax, f"{run_id} has no hidden layer.")
        return fig
    layers = sorted(mine["layer"].unique())
    width = int(mine.groupby("layer")["unit"].max().max())
    fig, axes = plt.subplots(
        len(layers),
        width,
        figsize=(1.9 * width + 1, 1.9 * len(layers) + 0.6),
        squeeze=False,
        layout="constrained",
    )
    for r, layer in enumerate(layers):
        units = mine[mine["layer"] == layer]
        for c in range(width):
            ax = axes[r, c]
            unit = units[units["unit"] == c + 1]
            if unit.empty:
                ax.set_axis_off()
                continue
            x1, x2 = np.unique(unit["x1"]), np.unique(unit["x2"])
            values = unit["value"].to_numpy().reshape(len(x2), len(x1))
            low, high = float(np.nanmin(values)), float(np.nanmax(values))
            centre = 0.5 if low >= 0 and high <= 1 else 0.0
            span = max(abs(high - centre), abs(low - centre), 1e-12)
            ax.imshow(
                values,
                origin="lower",
                extent=(x1[0], x1[-1], x2[0], x2[-1]),
                cmap="RdBu",
                vmin=centre - span,
                vmax=centre + span,
                aspect="auto",
            )
            ax.set_title(f"layer {layer}, unit {c + 1}", fontsize="small")
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"{run_id}, seed 0: each hidden unit's output over the square")
    return fig


def network(weights: pd.DataFrame, summary: pd.DataFrame, run_id: str) -> plt.Figure:
    """The network of the baseline's first seed: a link per weight, blue for positive and
    orange for negative, its width proportional to |w|."""
    row = summary[summary["run_id"] == run_id].iloc[0]
    mine = weights[(weights["run_id"] == run_id) & (weights["seed"] == row["seed"])]
    features = str(row["features"]).split(",")
    hidden = [] if row["hidden"] == "none" else [int(w) for w in str(row["hidden"]).split("-")]
    widths = [len(features), *hidden, 1]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    position = {
        (layer, unit): (layer, (width - 1) / 2 - unit)
        for layer, width in enumerate(widths)
        for unit in range(width)
    }
    largest = float(mine["weight"].abs().max()) or 1.0
    for _, w in mine.iterrows():
        a = position[(int(w["layer"]) - 1, int(w["source"]))]
        b = position[(int(w["layer"]), int(w["target"]))]
        colour = "#1f4e9a" if w["weight"] > 0 else "#c4510f"
        ax.plot([a[0], b[0]], [a[1], b[1]], color=colour, lw=0.3 + 4 * abs(w["weight"]) / largest)
    for (layer, unit), (x, y) in position.items():
        ax.scatter([x], [y], s=260, color="white", edgecolors="black", zorder=3)
        if layer == 0:
            ax.annotate(
                features[unit],
                (x, y),
                xytext=(-14, 0),
                textcoords="offset points",
                ha="right",
                va="center",
            )
    ax.set_xticks(
        range(len(widths)), ["input", *[f"hidden {i + 1}" for i in range(len(hidden))], "output"]
    )
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"{run_id}, seed {row['seed']}: final weights (blue > 0, orange < 0; width ∝ |w|, "
        f"largest {largest:.2g})",
        fontsize="small",
    )
    return fig


def micrograd_demo(steps: pd.DataFrame, curves: pd.DataFrame) -> plt.Figure:
    """micrograd's demo step by step: the loss and accuracy it printed before each step
    (dots) beside our run's replica of its seed (a line); the run's other seeds faintly
    (from epoch 1: their values before step 0 are not tabled)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    if steps["loss"].isna().all():
        note(axes[0], "No configured variant has the settings of micrograd's demo.")
        axes[1].set_axis_off()
        return fig
    run_id, seed = steps["run_id"].iloc[0], steps["seed"].iloc[0]
    others = curves[(curves["run_id"] == run_id) & (curves["seed"] != seed)]
    others = others[others["epoch"] <= steps["step"].max()]
    for ax, column, printed, title in (
        (axes[0], "loss", "printed_loss", "loss (hinge + penalty)"),
        (axes[1], "accuracy", "printed_accuracy", "accuracy"),
    ):
        curve = "train_loss" if column == "loss" else "train_accuracy"
        for i, (_, group) in enumerate(others.groupby("seed")):
            ax.plot(
                group["epoch"],
                group[curve],
                color="grey",
                alpha=0.35,
                lw=0.8,
                label="our other seeds" if i == 0 else None,
            )
        ax.plot(steps["step"], steps[column], color="#1f4e9a", lw=1.6, label=f"ours, seed {seed}")
        ax.scatter(
            steps["step"],
            steps[printed],
            s=9,
            color="#c4510f",
            zorder=3,
            label="micrograd's printout",
        )
        ax.set_title(title)
        ax.set_xlabel("step (values before its update)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_yscale("log")
    axes[1].yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes[1].legend(fontsize="small", loc="lower right")
    fig.suptitle(f"micrograd's demo as it printed it, and our run {run_id}")
    return fig
