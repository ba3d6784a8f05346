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


# columns that are text even when every value looks like a number: a printed number is
# kept as its author wrote it ("0.4700000" is not 0.47)
TEXT_COLUMNS = {"seed_key": str, "printed": str}


def read_table(path: str | Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=TEXT_COLUMNS, low_memory=False)
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


def table_columns() -> dict[str, tuple[str, ...]]:
    """Every summary table of every registered lab, with the columns each must have."""
    from backprop_lab import labs

    return {
        name: cols for lab in labs.labs().values() for name, cols in lab.summary_tables().items()
    }


def table_keys(name: str) -> tuple[str, ...]:
    """The columns that name a row of a summary table: the reproduction check matches by them."""
    return _owner(name).keys_of(name)


def is_wall_time_table(name: str) -> bool:
    """Tables of wall times: never compared, never expected to be byte-identical."""
    return name in _owner(name).wall_time_tables()


def _owner(name: str):  # noqa: ANN202 (a Lab; imported lazily)
    from backprop_lab import labs

    for lab in labs.labs().values():
        if name in lab.summary_tables():
            return lab
    raise TableError(f"{name}: no registered lab writes a table of this name")


def load_tables(
    tables_dir: str | Path, columns: dict[str, tuple[str, ...]]
) -> dict[str, pd.DataFrame]:
    """Read the named tables (name -> required columns) from a folder."""
    return {
        name: read_table(Path(tables_dir) / f"{name}.csv", cols) for name, cols in columns.items()
    }
