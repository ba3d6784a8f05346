"""Reading and writing the CSV tables, with a clear error for a damaged one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backprop_lab.atomic import atomic_path

# How the CSVs store floats: round-trip exact, so the same numbers give the same bytes.
FLOAT_FORMAT = "%.17g"


class TableError(ValueError):
    """A table that is missing, empty or lacks the columns the report needs."""


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV atomically, floats round-trip exact."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def read_table(path: str | Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
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


TABLES = {
    "suite1_summary": ("run_id", "axis", "variant", "seed", "final_loss", "diverged_round"),
    "suite1_checkpoints": ("run_id", "round", "loss", "o1", "o2"),
    "suite1_pairs": ("run_a", "run_b", "seed_key", "max_weight_diff", "max_loss_diff"),
}


def load_tables(tables_dir: str | Path) -> dict[str, pd.DataFrame]:
    return {name: read_table(Path(tables_dir) / f"{name}.csv", cols) for name, cols in TABLES.items()}
