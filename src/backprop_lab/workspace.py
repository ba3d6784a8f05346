"""A fresh copy of the pipeline in another directory: for the reproduction check, the
benchmark and the tests, which must never touch the user's results."""

from __future__ import annotations

import shutil
from pathlib import Path

# What a copy needs: the wiring, the package, the config, the profiles, and the
# environment every rule names (Snakemake records it with each job).
PIPELINE = ("Snakefile", "workflow", "src", "config", "profiles", "environment.yml")


def copy_pipeline(source: Path, dest: Path) -> Path:
    """Copy the pipeline at `source` into `dest` (created; it must not hold a pipeline yet)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PIPELINE:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():
            shutil.copy2(path, dest / name)
    return dest
