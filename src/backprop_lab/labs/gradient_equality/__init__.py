"""Gradient equality: a 2-10-10-1 network's gradients by hand-written backprop, by autograd
and by central finite differences, over every architecture the config names; then SGD.
"""

from __future__ import annotations

from typing import Any

from backprop_lab.lab import LEDGER_KEYS, Figure, Lab
from backprop_lab.stacking import AXIS, ROWS

# keys of the lab's section that every variant takes as they are (the data and the check)
WIDE = ("n_samples", "data_seed", "check_sample", "fd_eps", "fd_order", "noise_floor", "threshold")


def _complete(
    settings: dict[str, Any], axis: str, variant: str, section: dict[str, Any], config: dict
) -> None:
    settings["seeds"] = list(config["seeds"])  # the initialisation is always random


LAB = Lab(
    name="gradient_equality",
    title="Gradient equality on a 2-10-10-1 network",
    tables={
        "gradient_equality_gradients": (
            "run_id",
            "axis",
            "changed",
            "hidden",
            "hidden_activation",
            "output_activation",
            "loss_function",
            "dtype",
            "seed",
            "layer",
            "param",
            "comparison",
            "max_abs_diff",
            "max_rel_error",
            "threshold",
            "passed",
        ),
        "gradient_equality_summary": (
            "run_id",
            "axis",
            "changed",
            "engine",
            "seed",
            "final_loss",
            "diverged_epoch",
            "gradcheck_passed",
        ),
        "gradient_equality_curves": ("run_id", "engine", "seed", "epoch", "loss"),
        "gradient_equality_ledger": LEDGER_KEYS + ("printed", "verdict"),
    },
    table_keys={
        "gradient_equality_gradients": (
            "run_id",
            "dtype",
            "seed_key",
            "layer",
            "param",
            "comparison",
        ),
        "gradient_equality_summary": ("run_id", "seed_key"),
        "gradient_equality_curves": ("run_id", "seed", "epoch"),
        "gradient_equality_ledger": LEDGER_KEYS,
    },
    roundoff={"gradient_equality_gradients": ("max_abs_diff", "max_rel_error")},
    wide=WIDE,
    complete=_complete,
    figures=lambda section: [
        Figure("gradient_equality_gradcheck", "gradcheck"),
        Figure("gradient_equality_curves", "curves"),
    ],
    result_keys=("gradient_check", "loss", "loss_epochs", "final_loss", "diverged_epoch"),
    # one entry per seed (backprop_lab.stacking); the check's rows dtype by dtype, then seed
    replicas={
        **dict.fromkeys(("loss", "loss_epochs", "epochs_run", "stop_reason"), AXIS),
        **dict.fromkeys(("diverged_epoch", "final_loss", "seeds"), AXIS),
        "gradient_check": (ROWS, "dtype"),
    },
    uses_torch=lambda settings: True,  # it checks against autograd
)
