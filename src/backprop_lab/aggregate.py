"""Collect run files into tidy pandas tables: one row per variant × seed (× checkpoint)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.runio import read_run
from backprop_lab.tables import write_table
from backprop_lab.variants import settings_digest

WEIGHTS = [f"w{i}" for i in range(1, 9)]
SETTING_COLUMNS = [
    "engine",
    "hidden_activation",
    "output_activation",
    "loss",
    "step",
    "rounds",
    "init",
    "sigmoid_impl",
]
# A unit is dead when its pre-activation is at or below this at the end and its gradient is 0.
DEAD_TOLERANCE = 0.0
# "Comes within 1% of its final value"
NEAR_FINAL = 0.01


def aggregate(run_files: list[str], tables_dir: str, rounds_table: str) -> None:
    # the order given (the config's order) is the order of the tables
    runs = [(path, _read(path)) for path in run_files]
    suite1 = [r for r in runs if r[1]["settings"]["suite"] == "suite1"]
    summary, checkpoints, rounds = suite1_tables(suite1)
    write_table(summary, Path(tables_dir) / "suite1_summary.csv")
    write_table(checkpoints, Path(tables_dir) / "suite1_checkpoints.csv")
    write_table(suite1_pairs(summary, rounds), Path(tables_dir) / "suite1_pairs.csv")
    write_table(rounds, Path(rounds_table))
    write_table(run_times(runs), Path(tables_dir) / "run_times.csv")
    # large per-epoch and per-point tables go beside the rounds table (results/tables)
    large = Path(rounds_table).parent
    by_suite = {
        name: [r for r in runs if r[1]["settings"]["suite"] == name]
        for name in ("suite2", "suite3", "timing")
    }
    gradients, summary2, curves2 = suite2_tables(by_suite["suite2"])
    write_table(gradients, Path(tables_dir) / "suite2_gradients.csv")
    write_table(summary2, Path(tables_dir) / "suite2_summary.csv")
    write_table(curves2, Path(tables_dir) / "suite2_curves.csv")
    summary3, curves3, predictions, grid = suite3_tables(by_suite["suite3"])
    write_table(summary3, Path(tables_dir) / "suite3_summary.csv")
    write_table(curves3, large / "suite3_curves.csv")
    write_table(predictions, large / "suite3_predictions.csv")
    write_table(grid, large / "suite3_grid.csv")
    write_table(timing_table(by_suite["timing"]), Path(tables_dir) / "timing.csv")


REQUIRED = {
    "suite2": ("gradient_check", "loss", "loss_epochs", "final_loss", "diverged_epoch"),
    "suite3": ("loss", "loss_epochs", "epochs_run", "stop_reason", "outputs", "points", "grid"),
    "timing": ("timing",),
}


def _read(path: str) -> dict[str, Any]:
    run = read_run(path)
    suite = run["settings"].get("suite")
    return read_run(path, required=SUITE1_REQUIRED if suite == "suite1" else REQUIRED[suite])


def _ident(settings: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    row = {
        "suite": settings["suite"],
        "axis": settings["axis"],
        "variant": settings["variant"],
        "run_id": f"{settings['suite']}/{settings['axis']}/{settings['variant']}",
    }
    for key in columns:
        value = settings.get(key)
        if key == "hidden":
            row["hidden"] = "-".join(str(w) for w in value)
            row["hidden_layers"] = len(value)
        else:
            row["loss_function" if key == "loss" else key] = value
    row["changed"] = ",".join(settings.get("changed", []))
    row["settings_key"] = settings_digest(
        {k: v for k, v in settings.items() if k not in ("axis", "variant", "changed")}
    )
    return row


SUITE2_COLUMNS = (
    "engine",
    "hidden",
    "hidden_activation",
    "output_activation",
    "loss",
    "outputs",
    "lr",
    "epochs",
    "init",
    "init_std",
)


def _curve_frame(
    ident: dict[str, Any], seed: int, epochs: list[int], loss: list[Any]
) -> pd.DataFrame:
    frame = pd.DataFrame({"epoch": epochs, "loss": np.array(loss, dtype=float)})
    frame.insert(0, "seed", seed)
    for key in ("engine", "run_id"):
        frame.insert(0, key, ident.get(key))
    return frame


def suite2_tables(runs: list[tuple[str, dict[str, Any]]]) -> tuple[pd.DataFrame, ...]:
    """Gradient check rows (dtype × seed × layer × parameter × pair of methods), one summary
    row per variant × seed, and every epoch's loss."""
    grad_rows, summary_rows, curves = [], [], []
    for _, run in runs:
        settings, result = run["settings"], run["result"]
        ident = _ident(settings, SUITE2_COLUMNS)
        for row in result["gradient_check"]:
            grad_rows.append({**ident, **row})
        for s, seed in enumerate(settings["seeds"]):
            loss = np.array(result["loss"][s], dtype=float)
            checks = [r for r in result["gradient_check"] if r["seed"] == seed]
            summary_rows.append(
                {
                    **ident,
                    "seed": seed,
                    "seed_key": str(seed),
                    "initial_loss": float(loss[0]) if len(loss) else float("nan"),
                    "final_loss": result["final_loss"][s],
                    "diverged_epoch": result["diverged_epoch"][s],
                    "epochs_run": result["epochs_run"][s],
                    "gradcheck_passed": all(r["passed"] for r in checks),
                }
            )
            curves.append(_curve_frame(ident, seed, result["loss_epochs"][s], result["loss"][s]))
    gradients = pd.DataFrame(grad_rows)
    gradients["seed_key"] = gradients["seed"].astype(str)
    return gradients, pd.DataFrame(summary_rows), pd.concat(curves, ignore_index=True)


SUITE3_COLUMNS = (
    "task",
    "engine",
    "hidden",
    "activation",
    "output_activation",
    "loss",
    "lr",
    "max_epochs",
    "tol",
    "init_std",
    "test_fraction",
    "n_points",
    "xor_points",
    "data_seed",
)


def suite3_tables(runs: list[tuple[str, dict[str, Any]]]) -> tuple[pd.DataFrame, ...]:
    """One summary row per variant × seed (accuracy, epochs, stop reason, divergence), the
    learning curves, the prediction of every point, and the output over the input grid."""
    summary_rows, curves, predictions, grids = [], [], [], []
    for _, run in runs:
        settings, result = run["settings"], run["result"]
        ident = _ident(settings, SUITE3_COLUMNS)
        points = pd.DataFrame(result["points"])
        points.insert(0, "point", np.arange(len(points)))
        g = np.array(result["grid"]["values"], dtype=float)
        gx1, gx2 = np.meshgrid(g, g)
        for s, seed in enumerate(settings["seeds"]):
            output = np.array(result["outputs"][s], dtype=float)
            predicted = (output > result["threshold"]).astype(int)
            correct = predicted == points["label"].to_numpy()
            train = (points["part"] == "train").to_numpy()
            test = ~train
            summary_rows.append(
                {
                    **ident,
                    "seed": seed,
                    "seed_key": str(seed),
                    "epochs_run": result["epochs_run"][s],
                    "stop_reason": result["stop_reason"][s],
                    "diverged_epoch": result["diverged_epoch"][s],
                    "final_loss": result["final_loss"][s],
                    "train_accuracy": float(correct[train].mean()),
                    "test_accuracy": float(correct[test].mean()) if test.any() else None,
                    "n_train": int(train.sum()),
                    "n_test": int(test.sum()),
                }
            )
            curves.append(_curve_frame(ident, seed, result["loss_epochs"][s], result["loss"][s]))
            pred = points.assign(output=output, predicted=predicted, correct=correct)
            pred.insert(0, "seed", seed)
            pred.insert(0, "run_id", ident["run_id"])
            predictions.append(pred)
            grids.append(
                pd.DataFrame(
                    {
                        "run_id": ident["run_id"],
                        "seed": seed,
                        "x1": gx1.ravel(),
                        "x2": gx2.ravel(),
                        "output": np.array(result["grid"]["outputs"][s], dtype=float),
                    }
                )
            )
    return (
        pd.DataFrame(summary_rows),
        pd.concat(curves, ignore_index=True),
        pd.concat(predictions, ignore_index=True),
        pd.concat(grids, ignore_index=True),
    )


def timing_table(runs: list[tuple[str, dict[str, Any]]]) -> pd.DataFrame:
    rows = [row for _, run in runs for row in run["result"]["timing"]]
    return pd.DataFrame(rows)


def run_times(runs: list[tuple[str, dict[str, Any]]]) -> pd.DataFrame:
    """Wall times, kept apart from the metric tables: they differ from run to run."""
    rows = []
    for _, run in runs:
        settings, result = run["settings"], run["result"]
        rows.append(
            {
                "run_id": f"{settings['suite']}/{settings['axis']}/{settings['variant']}",
                "engine": settings.get("engine"),
                "seconds": result.get("seconds"),
                "seconds_per_step": result.get("seconds_per_round", result.get("seconds_per_step")),
            }
        )
    return pd.DataFrame(rows)


SUITE1_REQUIRED = ("loss", "weights", "weights_initial", "checkpoints", "diverged")


def _replicas(settings: dict[str, Any]) -> list[int | None]:
    return list(settings["seeds"]) if settings.get("seeds") else [None]


def suite1_tables(runs: list[tuple[str, dict[str, Any]]]) -> tuple[pd.DataFrame, ...]:
    summary_rows, checkpoint_rows, round_frames = [], [], []
    for _path, run in runs:
        settings, result = run["settings"], run["result"]
        ident = _ident(settings, SETTING_COLUMNS)
        for s, seed in enumerate(_replicas(settings)):
            seed_info = {"seed": seed, "seed_key": "-" if seed is None else str(seed)}
            loss = np.array(result["loss"][s], dtype=float)  # None (diverged) -> nan
            weights = np.array(result["weights"][s], dtype=float)
            initial = np.array(result["weights_initial"][s], dtype=float)
            frame = pd.DataFrame(weights, columns=WEIGHTS)
            frame.insert(0, "loss", loss)
            frame.insert(0, "round", np.arange(1, len(loss) + 1))
            for key, value in reversed(list({**ident, **seed_info}.items())):
                frame.insert(0, key, value)
            round_frames.append(frame)
            summary_rows.append(
                {
                    **ident,
                    **seed_info,
                    **_suite1_summary(settings, result, s, loss, weights, initial),
                }
            )
            for cp in result["checkpoints"]:
                before = initial if cp["round"] == 1 else weights[cp["round"] - 2]
                checkpoint_rows.append(
                    {**ident, **seed_info, **_checkpoint_row(settings, cp, s, before)}
                )
    summary = pd.DataFrame(summary_rows)
    checkpoints = pd.DataFrame(checkpoint_rows)
    rounds = pd.concat(round_frames, ignore_index=True)
    for frame in (summary, checkpoints, rounds):
        frame["seed"] = frame["seed"].astype("Int64")
    return summary, checkpoints, rounds


def _checkpoint_row(
    settings: dict[str, Any], cp: dict[str, Any], s: int, before: np.ndarray
) -> dict[str, Any]:
    z_hidden, z_out = (np.ravel(z) for z in cp["z"][s])
    a_hidden, a_out = (np.ravel(a) for a in cp["a"][s])
    row = {"round": cp["round"], "loss": cp["loss"][s]}
    row.update(x1=settings["x"][0], x2=settings["x"][1], y1=settings["y"][0], y2=settings["y"][1])
    row.update(in_h1=z_hidden[0], in_h2=z_hidden[1], h1=a_hidden[0], h2=a_hidden[1])
    row.update(in_o1=z_out[0], in_o2=z_out[1], o1=a_out[0], o2=a_out[1])
    for i, w in enumerate(WEIGHTS):
        row[f"{w}_before"] = before[i]
    for i, w in enumerate(WEIGHTS):
        row[f"dL_d{w}"] = cp["grads"][s][i]
    for i, w in enumerate(WEIGHTS):
        row[w] = cp["weights"][s][i]
    return row


def _suite1_summary(
    settings: dict[str, Any],
    result: dict[str, Any],
    s: int,
    loss: np.ndarray,
    weights: np.ndarray,
    initial: np.ndarray,
) -> dict[str, Any]:
    finite = loss[np.isfinite(loss)]
    diverged = result["diverged"][s]
    final = float(finite[-1]) if len(finite) else float("nan")
    last = result["checkpoints"][-1]
    return {
        "initial_loss": float(loss[0]) if len(loss) else float("nan"),
        "final_loss": final,
        "min_loss": float(finite.min()) if len(finite) else float("nan"),
        "diverged_round": diverged,
        "round_within_1pct": _first_round_near(finite, final) if diverged is None else None,
        "last_checkpoint": last["round"],
        "final_o1": np.ravel(last["a"][s][-1])[0],
        "final_o2": np.ravel(last["a"][s][-1])[1],
        "dead_units": _dead_units(settings, last, s),
        "symmetric_hidden": _symmetric(np.vstack([initial, weights])),
    }


def _first_round_near(loss: np.ndarray, final: float) -> int | None:
    """The first round at which the loss comes within 1% of its final value."""
    near = np.abs(loss - final) <= NEAR_FINAL * abs(final)
    return int(np.argmax(near)) + 1 if near.any() else None


def _dead_units(settings: dict[str, Any], cp: dict[str, Any], s: int) -> str:
    """Units whose ReLU input is <= 0 at the last checkpoint: output 0, gradient 0, no learning."""
    dead = []
    for layer, (names, act) in enumerate(
        (
            (("h1", "h2"), settings["hidden_activation"]),
            (("o1", "o2"), settings["output_activation"]),
        )
    ):
        if act != "relu":
            continue
        z = np.ravel(cp["z"][s][layer])
        dead += [n for n, v in zip(names, z) if v <= DEAD_TOLERANCE]
    return ",".join(dead)


def _symmetric(weights: np.ndarray) -> bool:
    """w1 = w2, w3 = w4 (so h1 = h2) and w5 = w7, w6 = w8 at every recorded round."""
    w = weights
    pairs = ((0, 1), (2, 3), (4, 6), (5, 7))
    return bool(all(np.array_equal(w[:, a], w[:, b]) for a, b in pairs))


PAIR_COLUMNS = [
    "run_a",
    "run_b",
    "seed_key",
    "rounds_compared",
    "max_weight_diff",
    "max_loss_diff",
    "differs_in",
]


def suite1_pairs(summary: pd.DataFrame, rounds: pd.DataFrame) -> pd.DataFrame:
    """Every pair of runs of the suite with the same seed: largest differences over all rounds.

    The report finds the pairs it needs (numpy vs torch, MSELoss at step s vs the hand loss
    at step 2s, 10 rounds vs 1000 rounds...) by their settings in the summary table.
    """
    rows = []
    by_run = {key: frame for key, frame in rounds.groupby(["run_id", "seed_key"], sort=False)}
    runs = summary.drop_duplicates("run_id").set_index("run_id")
    keys = summary.groupby("run_id", sort=False)["seed_key"].apply(set)
    for a, b in itertools.combinations(list(runs.index), 2):
        for seed_key in sorted(keys[a] & keys[b]):
            ra, rb = by_run[(a, seed_key)], by_run[(b, seed_key)]
            n = min(len(ra), len(rb))
            wa, wb = ra[WEIGHTS].to_numpy()[:n], rb[WEIGHTS].to_numpy()[:n]
            la, lb = ra["loss"].to_numpy()[:n], rb["loss"].to_numpy()[:n]
            rows.append(
                {
                    "run_a": a,
                    "run_b": b,
                    "seed_key": seed_key,
                    "rounds_compared": n,
                    "max_weight_diff": float(np.nanmax(np.abs(wa - wb))),
                    "max_loss_diff": float(np.nanmax(np.abs(la - lb))),
                    "differs_in": _differs(runs.loc[a], runs.loc[b]),
                }
            )
    # the columns are fixed, so a config with no comparable pair still gives a readable table
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def _differs(a: pd.Series, b: pd.Series) -> str:
    keys = ["loss_function" if k == "loss" else k for k in SETTING_COLUMNS]
    return "; ".join(f"{k}: {a[k]} → {b[k]}" for k in keys if a[k] != b[k])
