"""The 2-2-2 lab's figures: loss per round per axis, weight trajectories, step × rounds,
the seed spread and the computational graph of round 1 (``backprop_lab.worked.figure``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backprop_lab.labs.hand_222 import WEIGHTS
from backprop_lab.plotting import baseline_run, note, save, plt
from backprop_lab.worked.figure import graph


def draw(tables: dict[str, pd.DataFrame], outdir: Path) -> list[Path]:
    summary, rounds = tables["hand_222_summary"], tables["hand_222_rounds"]
    written = []
    for axis in summary["axis"].unique():
        written.append(
            save(loss_curves(rounds, summary, axis), outdir / f"hand_222_loss_{axis}.png")
        )
    written.append(save(weight_trajectories(rounds, summary), outdir / "hand_222_weights.png"))
    written.append(save(step_rounds(summary), outdir / "hand_222_step_rounds.png"))
    written.append(save(seed_spread(summary), outdir / "hand_222_seeds.png"))
    fig = graph(
        "The 2-2-2 network at round 1 (the baseline's setting, the specified weights): "
        "forward values and gradients",
        tables["hand_222_forward"],
        tables["hand_222_edges"],
    )
    written.append(save(fig, outdir / "hand_222_graph.png"))
    return written


# more variants than this on one plot: coloured by their order, without a legend
MAX_LEGEND = 20


def loss_curves(rounds: pd.DataFrame, summary: pd.DataFrame, axis: str) -> plt.Figure:
    """Loss against round for every variant of one axis; seeds as a band around the median."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    runs = summary[summary["axis"] == axis].drop_duplicates("run_id")
    mine = rounds[rounds["run_id"].isin(runs["run_id"])]
    by_run = dict(tuple(mine.groupby("run_id", sort=False)))
    many = len(runs) > MAX_LEGEND
    colours = plt.get_cmap("viridis")(np.linspace(0, 1, len(runs))) if many else [None] * len(runs)
    any_positive = False
    for colour, (_, run) in zip(colours, runs.iterrows()):
        data = by_run.get(run["run_id"], mine.iloc[:0])
        curves = data.pivot_table(index="round", columns="seed_key", values="loss", dropna=False)
        if curves.empty:
            continue
        values = curves.to_numpy(dtype=float)
        label = run["variant"]
        if values.shape[1] > 1:
            label += f" ({values.shape[1]} seeds)"
            ax.fill_between(
                curves.index, np.nanmin(values, axis=1), np.nanmax(values, axis=1), alpha=0.2
            )
        ax.plot(
            curves.index,
            np.nanmedian(values, axis=1),
            label=label,
            color=colour,
            linewidth=0.7 if many else None,
        )
        any_positive |= bool(np.nanmin(values) > 0) if np.isfinite(values).any() else False
    all_positive = bool((rounds.loc[rounds["run_id"].isin(runs["run_id"]), "loss"] > 0).all())
    if all_positive and any_positive:
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=1e-3)
    if runs["rounds"].max() >= 100:
        ax.set_xscale("log")
    ax.set_xlabel("round")
    ax.set_ylabel("loss")
    ax.set_title(f"2-2-2 by hand, axis '{axis}': loss per round")
    if many:
        ax.text(
            0.99,
            0.98,
            f"{len(runs)} variants, in axis order from dark to light",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
        )
    else:
        ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return fig


def weight_trajectories(rounds: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    run_id = baseline_run(summary)
    data = rounds[rounds["run_id"] == run_id]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    for w in WEIGHTS:
        ax.plot(data["round"], data[w], label=w)
    ax.set_xscale("log")
    ax.set_xlabel("round")
    ax.set_ylabel("weight after the round's update")
    ax.set_title(f"2-2-2 baseline ({run_id}): weight trajectories")
    ax.legend(ncol=4, fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return fig


def step_rounds(summary: pd.DataFrame) -> plt.Figure:
    """Final loss per step size and number of rounds (runs that change only these two)."""
    grid = summary[
        summary["changed"].fillna("").map(lambda c: set(c.split(",")) <= {"", "step", "rounds"})
    ]
    grid = grid.drop_duplicates(["step", "rounds"])
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    if grid["step"].nunique() < 2 or grid["rounds"].nunique() < 2:
        note(ax, "No step × rounds grid in this configuration.")
        return fig
    table = grid.pivot_table(index="step", columns="rounds", values="final_loss")
    image = ax.imshow(np.log10(table.to_numpy(dtype=float)), cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
    # a long sweep: every row is drawn, about MAX_LEGEND of them labelled, no cell text
    count = min(len(table.index), MAX_LEGEND)
    rows = np.unique(np.linspace(0, len(table.index) - 1, count).round().astype(int))
    ax.set_yticks(rows, [f"{table.index[i]:g}" for i in rows])
    if table.size <= 4 * MAX_LEGEND:
        for i in range(table.shape[0]):
            for j in range(table.shape[1]):
                value = table.iat[i, j]
                text = "diverged" if not np.isfinite(value) else f"{value:.2e}"
                ax.text(j, i, text, ha="center", va="center", color="white", fontsize="small")
    ax.set_xlabel("rounds")
    ax.set_ylabel("step size")
    ax.set_title("2-2-2 by hand: final loss by step size and rounds")
    fig.colorbar(image, ax=ax, label="log10 final loss")
    return fig


def seed_spread(summary: pd.DataFrame) -> plt.Figure:
    """Final loss of every seed, per variant that depends on randomness."""
    seeded = summary[summary["seed"].notna()]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    if seeded.empty:
        note(ax, "No variant in this configuration depends on a random seed.")
        return fig
    for i, (_run_id, runs) in enumerate(seeded.groupby("run_id", sort=False)):
        finite = runs[runs["diverged_round"].isna()]
        ax.scatter(np.full(len(finite), i), finite["final_loss"], label=None, zorder=3)
        for _, r in finite.iterrows():
            ax.annotate(
                f"seed {int(r['seed'])}",
                (i, r["final_loss"]),
                fontsize="x-small",
                xytext=(4, 0),
                textcoords="offset points",
            )
        diverged = runs[runs["diverged_round"].notna()]
        if len(diverged):
            ax.annotate(
                f"{len(diverged)} diverged",
                (i, 0.02),
                xycoords=("data", "axes fraction"),
                ha="center",
                color="red",
            )
    names = list(dict.fromkeys(seeded["run_id"]))
    ax.set_xticks(range(len(names)), [n.split("/", 1)[1] for n in names], fontsize="small")
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_ylabel("final loss")
    ax.set_title("2-2-2 by hand: final loss of each seed (random initialisation)")
    ax.grid(True, axis="y", alpha=0.3)
    return fig
