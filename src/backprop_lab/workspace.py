"""A fresh copy of the pipeline in another directory: for the reproduction check, the
benchmark and the tests, which must never touch the user's results."""

from __future__ import annotations

import shutil
from pathlib import Path

# What a copy needs: the wiring, the package, the config, the profiles, and the
# environment every rule names (Snakemake records it with each job).
PIPELINE = ("Snakefile", "workflow", "src", "config", "examples", "profiles", "environment.yml")


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


def remove_stale_locks(workdir: Path, me: int | None = None) -> list[Path]:
    """Remove Snakemake's locks (`.snakemake/locks/`) that a killed run left behind.

    A run killed with SIGKILL (or a power loss) cannot remove its lock, and the next plain
    run would stop with "Directory cannot be locked". The locks are removed only when no
    Snakemake process runs in `workdir` besides this one (`me`, a Snakemake parsing the
    Snakefile) and its parents: a live run keeps its locks, so two runs never write the
    same files at once. Returns the lock files removed.
    """
    import os

    locks = workdir / ".snakemake" / "locks"
    files = sorted(p for p in locks.glob("*") if p.is_file()) if locks.is_dir() else []
    if not files:
        return []
    import psutil

    me = os.getpid() if me is None else me
    mine = {me} | {p.pid for p in psutil.Process(me).parents()}
    here = workdir.resolve()
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        if process.info["pid"] in mine:
            continue
        command = " ".join(process.info["cmdline"] or [])
        cwd = process.info["cwd"]
        if "snakemake" in command and cwd and Path(cwd).resolve() == here:
            return []  # a live run: its locks are real
    for path in files:
        path.unlink(missing_ok=True)
    return files


# the variable through which jobs learn which interpreter runs them
INTERPRETER = "BACKPROP_LAB_PYTHON"


def export_interpreter(under_conda: bool) -> None:
    """Give the jobs this interpreter through the environment (`$BACKPROP_LAB_PYTHON`),
    not in their commands: a command that holds a path of this machine changes with a moved
    checkout, a second venv or another spelling of the interpreter, and Snakemake reruns
    every job whose command changed. Under `--sdm conda` the variable is unset, so that a
    job runs its own environment's `python`."""
    import os
    import sys

    if under_conda:
        os.environ.pop(INTERPRETER, None)
    else:
        os.environ[INTERPRETER] = sys.executable
