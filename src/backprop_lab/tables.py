"""Reading and writing the CSV tables, with a clear error for a damaged one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from backprop_lab.atomic import atomic_path

if TYPE_CHECKING:  # pandas is imported where tables are read or written, not by Snakemake
    import pandas as pd

# How the CSVs store floats: round-trip exact, so the same numbers give the same bytes.
FLOAT_FORMAT = "%.17g"


class TableError(ValueError):
    """A table that is missing, empty or lacks the columns the report needs."""


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV atomically, floats round-trip exact."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def read_table(path: str | Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype={"seed_key": str}, low_memory=False)
    except FileNotFoundError:
        raise TableError(f"{path}: missing; rerun snakemake to regenerate it") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise TableError(f"{path}: not a readable CSV table ({err})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise TableError(f"{path}: lacks the column(s) {', '.join(missing)}")
    if "seed" in frame.columns:
        frame["seed"] = frame["seed"].astype("Int64")
    return frame


# The tables the aggregate stage writes to reports/tables/, with the columns each must have.
TABLES = {
    "suite1_summary": ("run_id", "axis", "variant", "seed", "final_loss", "diverged_round"),
    "suite1_checkpoints": ("run_id", "round", "loss", "o1", "o2"),
    "suite1_pairs": ("run_a", "run_b", "seed_key", "max_weight_diff", "max_loss_diff"),
    "run_times": ("run_id", "engine", "seconds", "seconds_per_step"),
    "suite2_gradients": (
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
    "suite2_summary": (
        "run_id",
        "axis",
        "changed",
        "engine",
        "seed",
        "final_loss",
        "diverged_epoch",
        "gradcheck_passed",
    ),
    "suite2_curves": ("run_id", "engine", "seed", "epoch", "loss"),
    "suite3_summary": (
        "run_id",
        "axis",
        "variant",
        "changed",
        "task",
        "engine",
        "hidden",
        "activation",
        "lr",
        "test_fraction",
        "seed",
        "epochs_run",
        "stop_reason",
        "diverged_epoch",
        "final_loss",
        "train_accuracy",
        "test_accuracy",
    ),
    "timing": ("network", "widths", "engine", "repeats", "median_seconds_per_step"),
}
# Large tables (every epoch, every point, the boundary grid) in results/tables/.
LARGE_TABLES = {
    "suite3_curves": ("run_id", "seed", "epoch", "loss"),
    "suite3_predictions": (
        "run_id",
        "seed",
        "point",
        "x1",
        "x2",
        "label",
        "part",
        "output",
        "predicted",
        "correct",
    ),
    "suite3_grid": ("run_id", "seed", "x1", "x2", "output"),
}


def load_tables(tables_dir: str | Path) -> dict[str, pd.DataFrame]:
    return {
        name: read_table(Path(tables_dir) / f"{name}.csv", cols) for name, cols in TABLES.items()
    }


# The columns that name a row: the reproduction check matches rows by them.
TABLE_KEYS = {
    "suite1_summary": ("run_id", "seed_key"),
    "suite1_checkpoints": ("run_id", "seed_key", "round"),
    "suite1_pairs": ("run_a", "run_b", "seed_key"),
    "run_times": ("run_id",),
    "suite2_gradients": ("run_id", "dtype", "seed_key", "layer", "param", "comparison"),
    "suite2_summary": ("run_id", "seed_key"),
    "suite2_curves": ("run_id", "seed", "epoch"),
    "suite3_summary": ("run_id", "seed_key"),
    "timing": ("network", "engine"),
}
# Tables of wall times: never compared, never expected to be byte-identical.
TIMING_TABLES = {"run_times", "timing"}
