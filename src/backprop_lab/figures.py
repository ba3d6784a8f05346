"""The figures stage of one lab: read its tables, let the lab draw (matplotlib, PNG)."""

from __future__ import annotations

import importlib
from pathlib import Path

from backprop_lab import labs
from backprop_lab.tables import load_tables


def make_figures(lab_name: str, tables_dir: str, large_dir: str, outdir: str) -> list[Path]:
    lab = labs.get(lab_name)
    tables = load_tables(tables_dir, lab.summary_tables()) | load_tables(
        large_dir, lab.large_tables
    )
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    return importlib.import_module(f"{lab.package}.figures").draw(tables, out)
