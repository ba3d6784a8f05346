"""The Playground lab's tables: one row per variant × seed (the reference), micrograd's
printed numbers checked (the ledger, and its demo step by step beside ours), and, large, its
curves per epoch, the seeds' decision over the grid, the data points, the neurons' maps
and the final weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.labs.playground import LAB
from backprop_lab.labs.playground import ledger
from backprop_lab.ledger import table as ledger_table
from backprop_lab.tidy import replicas, run_ident

Run = dict[str, Any]

SETTING_COLUMNS = (
    "dataset",
    "noise",
    "features",
    "hidden",
    "activation",
    "loss",
    "learning_rate",
    "batch_size",
    "epochs",
    "regularization",
    "reg_rate",
    "init",
    "engine",
    "update_rule",
    "schedule",
    "penalty_on",
    "order",
    "n_points",
    "test_fraction",
    "data_seed",
)
# micrograd's demo step by step: its printed loss and accuracy beside the run's
STEP_COLUMNS = LAB.tables["playground_micrograd_steps"]
# hidden units whose incoming weights and biases differ by no more than this are identical
IDENTICAL = 1e-12


def build(runs: list[Run], section: dict[str, Any]) -> dict[str, pd.DataFrame]:
    target = float(section["target_accuracy"])
    tables: dict[str, list[Any]] = {
        "summary": [],
        "curves": [],
        "grid": [],
        "points": [],
        "neurons": [],
        "weights": [],
    }
    for run in runs:
        ident = _ident(run["settings"])
        result = run["result"]
        for s, seed in enumerate(replicas(run["settings"])):
            tables["summary"].append(_summary_row(ident, result, s, seed, target))
            tables["curves"].append(_curves(ident, result, s, seed))
            tables["weights"].append(_weights(ident, result, s, seed))
        tables["grid"].append(_grid(ident, result))
        tables["points"].append(_points(ident, result))
        tables["neurons"].append(_neurons(ident, result))
    summary = pd.DataFrame(tables["summary"])
    summary["seed"] = summary["seed"].astype("Int64")
    return {
        "playground_summary": summary,
        "playground_ledger": ledger_table(ledger.build(runs)),
        "playground_micrograd_steps": _steps(runs),
        **{
            f"playground_{name}": pd.concat(frames, ignore_index=True)
            for name, frames in tables.items()
            if name != "summary"
        },
    }


def _steps(runs: list[Run]) -> pd.DataFrame:
    """micrograd's printed steps beside the run's (empty where no run has its settings)."""
    frame = pd.DataFrame(ledger.steps(runs), columns=list(STEP_COLUMNS))
    frame["seed"] = frame["seed"].astype("Int64")
    return frame


def _ident(settings: dict[str, Any]) -> dict[str, Any]:
    ident = run_ident(settings, SETTING_COLUMNS)
    # a setting the variant leaves out is the one run.py uses by default
    ident.update({k: v for k, v in ledger.DEFAULTS.items() if settings.get(k) is None})
    ident["features"] = ",".join(settings["features"])
    ident["hidden"] = "-".join(str(w) for w in settings["hidden"]) or "none"
    return ident


def _summary_row(
    ident: dict[str, Any], result: dict[str, Any], s: int, seed: Any, target: float
) -> dict[str, Any]:
    last = {
        key: _last(result[key][s])
        for key in ("train_loss", "train_data_loss", "test_data_loss", "train_accuracy")
    }
    test_accuracy = _last(result["test_accuracy"][s])
    reached = np.flatnonzero(np.array(result["test_accuracy"][s], dtype=float) >= target)
    weights = [np.array(W, dtype=float) for W in result["weights"][s]]
    flat = np.concatenate([W.ravel() for W in weights])
    return {
        **ident,
        "seed": seed,
        "seed_key": "-" if seed is None else str(seed),
        **last,
        "test_accuracy": test_accuracy,
        "epochs_to_target": int(reached[0]) + 1 if len(reached) else None,
        "weight_l1_norm": float(np.abs(flat).sum()),
        "weight_l2_norm": float(np.sqrt((flat * flat).sum())),
        "weights_near_zero": float(np.mean(np.abs(flat) < 1e-3)),
        "diverged_epoch": result["diverged_epoch"][s],
        "identical_hidden_units": _identical_hidden(result, s),
    }


def _last(values: list[Any]) -> float:
    return float("nan") if not values or values[-1] is None else float(values[-1])


def _identical_hidden(result: dict[str, Any], s: int) -> bool | None:
    """Do the first hidden layer's units have identical incoming weights and biases? (None
    without a hidden layer, or with one unit)."""
    widths = result["widths"]
    if len(widths) < 3 or widths[1] < 2:
        return None
    W = np.array(result["weights"][s][0], dtype=float)  # (inputs, units)
    b = np.array(result["biases"][s][0], dtype=float)
    incoming = np.vstack([W, b[None, :]])
    return bool(np.abs(incoming - incoming[:, :1]).max() <= IDENTICAL)


def _curves(ident: dict[str, Any], result: dict[str, Any], s: int, seed: Any) -> pd.DataFrame:
    keys = ("train_loss", "train_data_loss", "test_data_loss", "train_accuracy", "test_accuracy")
    frame = pd.DataFrame({key: np.array(result[key][s], dtype=float) for key in keys})
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    frame.insert(0, "seed", seed)
    frame.insert(0, "run_id", ident["run_id"])
    return frame


def _grid(ident: dict[str, Any], result: dict[str, Any]) -> pd.DataFrame:
    """Each grid point: the share of seeds that predict class 1 there, and the median output."""
    grid = result["grid"]
    outputs = np.array(grid["outputs"], dtype=float)  # (S, points²)
    x1, x2 = np.meshgrid(grid["x1"], grid["x2"])
    return pd.DataFrame(
        {
            "run_id": ident["run_id"],
            "dataset": ident["dataset"],
            "x1": x1.ravel(),
            "x2": x2.ravel(),
            "share_class_1": np.mean(outputs > result["threshold"], axis=0),
            "median_output": np.nanmedian(outputs, axis=0),
        }
    )


def _points(ident: dict[str, Any], result: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(result["points"])
    frame.insert(0, "point", np.arange(len(frame)))
    frame.insert(0, "run_id", ident["run_id"])
    return frame


def _neurons(ident: dict[str, Any], result: dict[str, Any]) -> pd.DataFrame:
    neurons = result["neurons"]
    x1, x2 = (m.ravel() for m in np.meshgrid(neurons["x1"], neurons["x2"]))
    frames = []
    for layer, values in enumerate(neurons["layers"], start=1):
        for unit, column in enumerate(np.array(values, dtype=float), start=1):
            frames.append(
                pd.DataFrame(
                    {
                        "run_id": ident["run_id"],
                        "layer": layer,
                        "unit": unit,
                        "x1": x1,
                        "x2": x2,
                        "value": column,
                    }
                )
            )
    columns = ["run_id", "layer", "unit", "x1", "x2", "value"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _weights(ident: dict[str, Any], result: dict[str, Any], s: int, seed: Any) -> pd.DataFrame:
    """Every final weight of one seed: layer (from 1), source unit, target unit."""
    rows = []
    for layer, W in enumerate(result["weights"][s], start=1):
        for i, row in enumerate(W):
            rows += [
                {
                    "run_id": ident["run_id"],
                    "seed": seed,
                    "layer": layer,
                    "source": i,
                    "target": j,
                    "weight": w,
                }
                for j, w in enumerate(row)
            ]
    return pd.DataFrame(rows)
