"""The classification lab's tables: a summary per variant × seed; learning curves, the
prediction of every point and the output over the input grid (large)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.labs.classification import ledger
from backprop_lab.ledger import table as ledger_table
from backprop_lab.tidy import curve_frame, run_ident

Run = dict[str, Any]


COLUMNS = (
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
    "seeding",
    "order",
    "stop",
    "loss_gradient",
)
# Settings beyond the listing, with the listing's value when a run does not set them.
OPTIONS = {"batch_size": 1, "update_rule": "sgd"}


def build(runs: list[Run], section: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """One summary row per variant × seed (accuracy, epochs, stop reason, divergence), the
    learning curves, the prediction of every point, and the output over the input grid."""
    summary_rows, curves, predictions, grids = [], [], [], []
    for run in runs:
        settings, result = run["settings"], run["result"]
        ident = run_ident(settings, COLUMNS)
        # as text: a batch size is a number of samples or "full"
        ident["batch_size"] = str(settings.get("batch_size", OPTIONS["batch_size"]))
        ident["update_rule"] = settings.get("update_rule", OPTIONS["update_rule"])
        g = np.array(result["grid"]["values"], dtype=float)
        gx1, gx2 = np.meshgrid(g, g)
        for s, seed in enumerate(settings["seeds"]):
            points = pd.DataFrame(result["points"][s])
            points.insert(0, "point", np.arange(len(points)))
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
            curves.append(curve_frame(ident, seed, result["loss_epochs"][s], result["loss"][s]))
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
    ledger_rows = ledger.build(runs, section["baseline"], section["width_pool"])
    return {
        "classification_summary": pd.DataFrame(summary_rows),
        "classification_ledger": ledger_table(ledger_rows),
        "classification_curves": pd.concat(curves, ignore_index=True),
        "classification_predictions": pd.concat(predictions, ignore_index=True),
        "classification_grid": pd.concat(grids, ignore_index=True),
    }
