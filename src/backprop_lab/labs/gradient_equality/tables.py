"""The gradient-equality lab's tables: the gradient check, a summary per variant × seed,
and every epoch's loss."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.labs.gradient_equality import ledger
from backprop_lab.ledger import table as ledger_table
from backprop_lab.tidy import curve_frame, run_ident

Run = dict[str, Any]


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


def build(runs: list[Run], section: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Gradient check rows (dtype × seed × layer × parameter × pair of methods), one summary
    row per variant × seed, and every epoch's loss."""
    grad_rows, summary_rows, curves = [], [], []
    for run in runs:
        settings, result = run["settings"], run["result"]
        ident = run_ident(settings, SUITE2_COLUMNS)
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
            curves.append(curve_frame(ident, seed, result["loss_epochs"][s], result["loss"][s]))
    gradients = pd.DataFrame(grad_rows)
    gradients["seed_key"] = gradients["seed"].astype(str)
    return {
        "gradient_equality_ledger": ledger_table(ledger.build(runs, section)),
        "gradient_equality_gradients": gradients,
        "gradient_equality_summary": pd.DataFrame(summary_rows),
        "gradient_equality_curves": pd.concat(curves, ignore_index=True),
    }
