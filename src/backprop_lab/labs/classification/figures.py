"""The classification lab's figures: truth vs prediction, decision boundaries, and per axis
the learning curves and the sweep of accuracy and loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backprop_lab.plotting import CURVE_CEILING, band, baseline_rows, save, plt


def draw(tables: dict[str, pd.DataFrame], outdir: Path) -> list[Path]:
    summary = tables["classification_summary"]
    predictions = tables["classification_predictions"]
    written = [
        save(
            truth_vs_prediction(predictions, summary),
            outdir / "classification_truth_vs_prediction.png",
        ),
        save(
            decision_boundaries(tables["classification_grid"], predictions, summary),
            outdir / "classification_boundary.png",
        ),
    ]
    for axis in summary["axis"].unique():
        curves = learning_curves(tables["classification_curves"], summary, axis)
        written.append(save(curves, outdir / f"classification_curves_{axis}.png"))
        written.append(save(sweep(summary, axis), outdir / f"classification_sweep_{axis}.png"))
    return written


def _task_baselines(summary: pd.DataFrame) -> list[pd.Series]:
    base = baseline_rows(summary).drop_duplicates("task")
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
    fig.suptitle("Classification: ground truth vs prediction of the baseline (blue 0, red 1)")
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
    fig.suptitle("Classification: decision boundaries (output over the input square, data on top)")
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


def learning_curves(curves: pd.DataFrame, summary: pd.DataFrame, axis: str) -> plt.Figure:
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
                band(ax, data, label, color=f"C{i % 10}")
            else:
                ax.plot([], [], color=f"C{i % 10}", label=label + " (no finite epoch)")
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("epoch loss (sum of per-sample MSE)")
        ax.set_title(f"task {task}")
        ax.legend(fontsize="x-small")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(
        f"Classification, axis '{axis}': learning curves (median over seeds, band min..max)"
    )
    return fig


def sweep(summary: pd.DataFrame, axis: str) -> plt.Figure:
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
    fig.suptitle(f"Classification, axis '{axis}': accuracy and final loss")
    return fig
