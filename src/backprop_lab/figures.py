"""Figures for the report, drawn from the tables only (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from backprop_lab.tables import LARGE_TABLES, load_tables, read_table

# Fixed PNG metadata: the same tables give byte-identical figures.
PNG_METADATA = {"Software": None}
WEIGHTS = [f"w{i}" for i in range(1, 9)]


def make_figures(tables_dir: str, rounds_table: str, outdir: str) -> list[Path]:
    tables = load_tables(tables_dir)
    rounds = read_table(rounds_table, ("run_id", "seed_key", "round", "loss"))
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    summary = tables["suite1_summary"]
    written = []
    for axis in summary["axis"].unique():
        written.append(_save(loss_curves(rounds, summary, axis), out / f"suite1_loss_{axis}.png"))
    written.append(_save(weight_trajectories(rounds, summary), out / "suite1_weights.png"))
    written.append(_save(step_rounds(summary), out / "suite1_step_rounds.png"))
    written.append(_save(seed_spread(summary), out / "suite1_seeds.png"))
    written.append(
        _save(computational_graph(tables["suite1_checkpoints"], summary), out / "suite1_graph.png")
    )
    written += suite23_figures(tables, Path(rounds_table).parent, out)
    return written


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return path


def _note(ax: plt.Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_axis_off()


def baseline_run(summary: pd.DataFrame) -> str:
    """The run whose settings equal the baseline (the first such), else the first run."""
    plain = summary[summary["changed"].fillna("") == ""]
    return (plain if len(plain) else summary)["run_id"].iloc[0]


def loss_curves(rounds: pd.DataFrame, summary: pd.DataFrame, axis: str) -> plt.Figure:
    """Loss against round for every variant of one axis; seeds as a band around the median."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    runs = summary[summary["axis"] == axis].drop_duplicates("run_id")
    any_positive = False
    for _, run in runs.iterrows():
        data = rounds[rounds["run_id"] == run["run_id"]]
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
        ax.plot(curves.index, np.nanmedian(values, axis=1), label=label)
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
    ax.set_title(f"Suite 1, axis '{axis}': loss per round")
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
    ax.set_title(f"Suite 1 baseline ({run_id}): weight trajectories")
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
        _note(ax, "No step × rounds grid in this configuration.")
        return fig
    table = grid.pivot_table(index="step", columns="rounds", values="final_loss")
    image = ax.imshow(np.log10(table.to_numpy(dtype=float)), cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
    ax.set_yticks(range(len(table.index)), [f"{s:g}" for s in table.index])
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            value = table.iat[i, j]
            text = "diverged" if not np.isfinite(value) else f"{value:.2e}"
            ax.text(j, i, text, ha="center", va="center", color="white", fontsize="small")
    ax.set_xlabel("rounds")
    ax.set_ylabel("step size")
    ax.set_title("Suite 1: final loss by step size and rounds")
    fig.colorbar(image, ax=ax, label="log10 final loss")
    return fig


def seed_spread(summary: pd.DataFrame) -> plt.Figure:
    """Final loss of every seed, per variant that depends on randomness."""
    seeded = summary[summary["seed"].notna()]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    if seeded.empty:
        _note(ax, "No variant in this configuration depends on a random seed.")
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
    ax.set_title("Suite 1: final loss of each seed (random initialisation)")
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def computational_graph(checkpoints: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    """The 2-2-2 network as a graph: round-1 forward value and gradient on each node/edge."""
    run_id = baseline_run(summary)
    row = checkpoints[(checkpoints["run_id"] == run_id) & (checkpoints["round"] == 1)].iloc[0]
    pos = {
        "x1": (0, 1),
        "x2": (0, 0),
        "h1": (1.6, 1),
        "h2": (1.6, 0),
        "o1": (3.2, 1),
        "o2": (3.2, 0),
    }
    values = {
        "x1": row["x1"],
        "x2": row["x2"],
        "h1": row["h1"],
        "h2": row["h2"],
        "o1": row["o1"],
        "o2": row["o2"],
    }
    edges = {
        "w1": ("x1", "h1"),
        "w2": ("x1", "h2"),
        "w3": ("x2", "h1"),
        "w4": ("x2", "h2"),
        "w5": ("h1", "o1"),
        "w6": ("h1", "o2"),
        "w7": ("h2", "o1"),
        "w8": ("h2", "o2"),
    }
    fig, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
    for name, (a, b) in edges.items():
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.annotate(
            "",
            (xb - 0.12, yb + (ya - yb) * 0.12),
            (xa + 0.12, ya - (ya - yb) * 0.12),
            arrowprops={"arrowstyle": "->", "color": "0.5"},
        )
        # labels on straight edges mid-way; on crossing edges apart from the crossing point
        t = 0.5 if ya == yb else (0.3 if ya > yb else 0.7)
        xm, ym = xa + (xb - xa) * t, ya + (yb - ya) * t
        ax.text(
            xm,
            ym + (0.04 if ya == yb else -0.06),
            f"{name}={row[name + '_before']:.3g}\n∂L/∂{name}={row['dL_d' + name]:.3g}",
            ha="center",
            va="bottom" if ya == yb else "center",
            fontsize=7.5,
            bbox={"boxstyle": "round", "fc": "lightyellow", "ec": "0.8"},
        )
    for node, (x, y) in pos.items():
        ax.add_patch(plt.Circle((x, y), 0.11, fc="lightsteelblue", ec="black"))
        ax.text(x, y, node, ha="center", va="center", fontweight="bold")
        below = f"{values[node]:.4f}"
        if node[0] in "ho":
            below = f"in={row['in_' + node]:.4f}\nout={values[node]:.4f}"
        ax.text(x, y - 0.16, below, ha="center", va="top", fontsize=8)
    ax.text(3.45, 0.5, f"L = {row['loss']:.5f}", va="center", fontsize=10)
    ax.set_xlim(-0.3, 4.1)
    ax.set_ylim(-0.45, 1.35)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"Computational graph at round 1 ({run_id}): forward values and gradients")
    return fig


# --- suites 2 and 3, timing -----------------------------------------------------------

# Learning curves are drawn up to this loss; above it a run is diverging.
CURVE_CEILING = 1e8


def suite23_figures(tables: dict[str, pd.DataFrame], large_dir: Path, out: Path) -> list[Path]:
    large = {
        name: read_table(large_dir / f"{name}.csv", cols) for name, cols in LARGE_TABLES.items()
    }
    s2, s3 = tables["suite2_summary"], tables["suite3_summary"]
    written = [
        _save(suite2_curves(tables["suite2_curves"], s2), out / "suite2_curves.png"),
        _save(suite2_gradcheck(tables["suite2_gradients"]), out / "suite2_gradcheck.png"),
        _save(
            truth_vs_prediction(large["suite3_predictions"], s3),
            out / "suite3_truth_vs_prediction.png",
        ),
        _save(
            decision_boundaries(large["suite3_grid"], large["suite3_predictions"], s3),
            out / "suite3_boundary.png",
        ),
    ]
    for axis in s3["axis"].unique():
        written.append(
            _save(
                suite3_curves(large["suite3_curves"], s3, axis), out / f"suite3_curves_{axis}.png"
            )
        )
        written.append(_save(suite3_sweep(s3, axis), out / f"suite3_sweep_{axis}.png"))
    written.append(_save(timing_bars(tables["timing"]), out / "timing.png"))
    return written


def _plain(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[summary["changed"].fillna("") == ""]


def _band(ax: plt.Axes, curves: pd.DataFrame, label: str, **style: object) -> None:
    """Median over seeds as a line, min..max as a band; a stopped seed keeps its last loss."""
    table = curves.pivot_table(index="epoch", columns="seed", values="loss", dropna=False)
    table = table.sort_index().ffill()
    values = table.to_numpy(dtype=float)
    if values.shape[1] > 1:
        label += f" ({values.shape[1]} seeds)"
        ax.fill_between(
            table.index,
            np.nanmin(values, axis=1),
            np.nanmax(values, axis=1),
            alpha=0.18,
            color=style.get("color"),
        )
    ax.plot(table.index, np.nanmedian(values, axis=1), label=label, **style)


def suite2_curves(curves: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    """The baseline trained by both engines: the two curves coincide."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    base = _plain(summary)
    twins = summary[summary["changed"].fillna("") == "engine"]
    runs = list(dict.fromkeys(list(base["run_id"][:1]) + list(twins["run_id"][:1])))
    styles = {"numpy": {"color": "C0", "lw": 3, "alpha": 0.6}, "torch": {"color": "C3", "ls": "--"}}
    for run_id in runs:
        data = curves[curves["run_id"] == run_id]
        engine = str(data["engine"].iloc[0])
        _band(ax, data, f"{engine} ({run_id})", **styles.get(engine, {}))
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("epoch loss Σ (prediction − y)²")
    ax.set_title("Suite 2: the 2-10-10-1 network trained by both engines")
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return fig


def suite2_gradcheck(gradients: pd.DataFrame) -> plt.Figure:
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
    ax.set_title("Suite 2: gradient check of every architecture (all layers, all seeds)")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def _task_baselines(summary: pd.DataFrame) -> list[pd.Series]:
    base = _plain(summary).drop_duplicates("task")
    return [row for _, row in base.iterrows()]


def truth_vs_prediction(predictions: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    bases = _task_baselines(summary)
    fig, axes = plt.subplots(
        len(bases), 2, figsize=(8, 3.8 * len(bases)), layout="constrained", squeeze=False
    )
    for row, base in zip(axes, bases):
        seed = summary.loc[summary.run_id == base["run_id"], "seed"].iloc[0]
        data = predictions[(predictions.run_id == base["run_id"]) & (predictions.seed == seed)]
        for ax, column, title in (
            (row[0], "label", "ground truth"),
            (row[1], "predicted", "prediction"),
        ):
            ax.scatter(
                data["x1"],
                data["x2"],
                c=data[column],
                cmap="coolwarm",
                vmin=0,
                vmax=1,
                edgecolors="k",
                s=30,
            )
            wrong = data[~data["correct"].astype(bool)] if column == "predicted" else data[:0]
            ax.scatter(
                wrong["x1"],
                wrong["x2"],
                marker="x",
                color="k",
                s=60,
                label="misclassified" if len(wrong) else None,
            )
            ax.set_title(
                f"{base['task']}: {title}"
                + (
                    f" (seed {seed}, {base['hidden']}, lr {base['lr']:g})"
                    if column == "predicted"
                    else ""
                ),
                fontsize="small",
            )
            ax.set_xlim(-0.05, 1.05)
            ax.set_ylim(-0.05, 1.05)
            ax.set_aspect("equal")
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
            if len(wrong):
                ax.legend(fontsize="x-small", loc="upper right")
    fig.suptitle("Suite 3: ground truth vs prediction of the baseline (blue 0, red 1)")
    return fig


def boundary_runs(summary: pd.DataFrame) -> list[pd.Series]:
    """The baseline of each task, then the runs without activation on XOR (each distinct)."""
    runs = _task_baselines(summary)
    first = summary.drop_duplicates("settings_key")
    only_activation_lr = (
        first["changed"].fillna("").map(lambda c: set(c.split(",")) <= {"activation", "lr"})
    )
    none = first[
        (first["task"] == "xor") & (first["activation"] == "identity") & only_activation_lr
    ]
    return runs + [row for _, row in none.iterrows()]


def decision_boundaries(
    grid: pd.DataFrame, predictions: pd.DataFrame, summary: pd.DataFrame
) -> plt.Figure:
    runs = boundary_runs(summary)
    n = len(runs)
    cols = min(n, 2)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(5.2 * cols, 4.6 * rows), layout="constrained", squeeze=False
    )
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    for ax, run in zip(axes.ravel(), runs):
        seeds = summary[summary.run_id == run["run_id"]]
        finite = seeds[seeds["diverged_epoch"].isna()]
        # the first seed that did not diverge shows what the network learnt
        seed = (finite if len(finite) else seeds)["seed"].iloc[0]
        g = grid[(grid.run_id == run["run_id"]) & (grid.seed == seed)]
        side = round(np.sqrt(len(g)))
        z = g["output"].to_numpy(dtype=float).reshape(side, side)
        x1 = g["x1"].to_numpy().reshape(side, side)
        x2 = g["x2"].to_numpy().reshape(side, side)
        levels = np.linspace(-0.25, 1.25, 13)
        filled = ax.contourf(
            x1, x2, np.clip(z, -0.25, 1.25), levels=levels, cmap="coolwarm", alpha=0.8
        )
        if np.nanmin(z) < 0.5 < np.nanmax(z):
            ax.contour(x1, x2, z, levels=[0.5], colors="k", linewidths=1.5)
        pts = predictions[(predictions.run_id == run["run_id"]) & (predictions.seed == seed)]
        ax.scatter(
            pts["x1"],
            pts["x2"],
            c=pts["label"],
            cmap="coolwarm",
            vmin=0,
            vmax=1,
            edgecolors="k",
            s=28,
        )
        row = summary[(summary.run_id == run["run_id"]) & (summary.seed == seed)].iloc[0]
        status = (
            f"diverged at epoch {int(row['diverged_epoch'])}"
            if pd.notna(row["diverged_epoch"])
            else f"accuracy {row['train_accuracy']:.0%}"
        )
        ax.set_title(
            f"{run['task']}, activation {run['activation']}, lr {run['lr']:g}\n"
            f"seed {seed}: {status}",
            fontsize="small",
        )
        ax.set_xlim(-0.04, 1.04)
        ax.set_ylim(-0.04, 1.04)
        ax.set_aspect("equal")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    fig.colorbar(filled, ax=axes, label="network output (clipped to [−0.25, 1.25]); line: 0.5")
    fig.suptitle("Suite 3: decision boundaries (output over the input square, data on top)")
    return fig


def _axis_value(run: pd.Series, keys: list[str]) -> str:
    if not keys:
        return str(run["variant"])
    return ", ".join(f"{run[k]:g}" if isinstance(run[k], float) else str(run[k]) for k in keys)


def _axis_keys(summary: pd.DataFrame, axis: str) -> list[str]:
    runs = summary[summary["axis"] == axis]
    keys: list[str] = []
    for text in runs["changed"].fillna(""):
        keys += [k for k in text.split(",") if k and k not in keys]
    return ["loss_function" if k == "loss" else k for k in keys]


def suite3_curves(curves: pd.DataFrame, summary: pd.DataFrame, axis: str) -> plt.Figure:
    runs = summary[summary["axis"] == axis].drop_duplicates("run_id")
    tasks = list(dict.fromkeys(runs["task"]))
    fig, axes = plt.subplots(
        1, len(tasks), figsize=(6.2 * len(tasks), 4.2), layout="constrained", squeeze=False
    )
    keys = _axis_keys(summary, axis)
    for ax, task in zip(axes[0], tasks):
        for i, (_, run) in enumerate(runs[runs["task"] == task].iterrows()):
            data = curves[curves["run_id"] == run["run_id"]]
            seeds = summary[summary["run_id"] == run["run_id"]]
            label = _axis_value(run, keys)
            n_div = int(seeds["diverged_epoch"].notna().sum())
            if n_div:
                label += f", {n_div}/{len(seeds)} diverged"
            # a diverging seed's last finite losses reach 1e250 and more: cut the axis there
            data = data.assign(loss=data["loss"].where(data["loss"] < CURVE_CEILING))
            if np.isfinite(data["loss"].to_numpy(dtype=float)).any():
                _band(ax, data, label, color=f"C{i % 10}")
            else:
                ax.plot([], [], color=f"C{i % 10}", label=label + " (no finite epoch)")
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("epoch loss (sum of per-sample MSE)")
        ax.set_title(f"task {task}")
        ax.legend(fontsize="x-small")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(f"Suite 3, axis '{axis}': learning curves (median over seeds, band min..max)")
    return fig


def suite3_sweep(summary: pd.DataFrame, axis: str) -> plt.Figure:
    """Accuracy and final loss against the axis value, mean ± std over seeds, per task."""
    runs = summary[summary["axis"] == axis]
    keys = _axis_keys(summary, axis)
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    labels: list[str] = []
    for _, run in runs.drop_duplicates("run_id").iterrows():
        value = _axis_value(run, keys)
        if value not in labels:
            labels.append(value)
    for t, (task, group) in enumerate(runs.groupby("task", sort=False)):
        stats = []
        for _, seeds in group.groupby("run_id", sort=False):
            finite = seeds[seeds["diverged_epoch"].isna()]["final_loss"].astype(float)
            stats.append(
                {
                    "x": labels.index(_axis_value(seeds.iloc[0], keys)),
                    "acc": seeds["train_accuracy"].mean(),
                    "acc_sd": seeds["train_accuracy"].std(),
                    "test": seeds["test_accuracy"].astype(float).mean(),
                    "test_sd": seeds["test_accuracy"].astype(float).std(),
                    "loss": finite.mean() if len(finite) else np.nan,
                    "loss_sd": finite.std() if len(finite) > 1 else 0.0,
                    "diverged": int(seeds["diverged_epoch"].notna().sum()),
                    "n": len(seeds),
                }
            )
        st = pd.DataFrame(stats)
        shift = (t - 0.5) * 0.12
        acc_ax.errorbar(
            st["x"] + shift,
            st["acc"],
            yerr=st["acc_sd"],
            fmt="o-",
            capsize=4,
            label=f"{task}: train accuracy",
            color=f"C{t}",
        )
        if st["test"].notna().any():
            acc_ax.errorbar(
                st["x"] + shift,
                st["test"],
                yerr=st["test_sd"],
                fmt="s--",
                capsize=4,
                label=f"{task}: test accuracy",
                color=f"C{t}",
                alpha=0.7,
            )
        loss_ax.errorbar(
            st["x"] + shift,
            st["loss"],
            yerr=st["loss_sd"],
            fmt="o-",
            capsize=4,
            label=task,
            color=f"C{t}",
        )
        for _, r in st[st["diverged"] > 0].iterrows():
            loss_ax.annotate(
                f"{int(r['diverged'])}/{int(r['n'])} diverged",
                (r["x"] + shift, 0.03),
                xycoords=("data", "axes fraction"),
                color=f"C{t}",
                fontsize="x-small",
                rotation=90,
                va="bottom",
            )
    for ax in (acc_ax, loss_ax):
        ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize="small")
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.set_xlabel(" / ".join(keys) if keys else "variant")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="x-small")
    acc_ax.set_ylabel("accuracy (mean ± std over seeds)")
    acc_ax.set_ylim(-0.05, 1.05)
    loss_ax.set_ylabel("final epoch loss (mean ± std, finite seeds)")
    loss_ax.set_yscale("log")
    fig.suptitle(f"Suite 3, axis '{axis}': accuracy and final loss")
    return fig


def timing_bars(timing: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7.5, 4.0), layout="constrained")
    networks = list(dict.fromkeys(timing["network"]))
    for i, engine in enumerate(dict.fromkeys(timing["engine"])):
        rows = timing[timing["engine"] == engine].set_index("network").reindex(networks)
        x = np.arange(len(networks)) + (i - 0.5) * 0.38
        us = rows["median_seconds_per_step"].to_numpy(dtype=float) * 1e6
        ax.bar(x, us, width=0.38, label=engine)
        for xi, v in zip(x, us):
            ax.text(xi, v, f"{v:.0f} µs", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(range(len(networks)), networks)
    ax.set_ylabel("median time per training step (µs)")
    ax.set_title("Time per per-sample SGD step, numpy vs PyTorch (one process, interleaved)")
    ax.legend()
    ax.grid(True, axis="y", alpha=0.3)
    return fig
