"""The pipeline's cost structure, checked without timing anything (speed is `make bench`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import load_test_config, snakemake

from backprop_lab.configuration import expand_variants, experiments

HEAVY = {"torch", "pandas", "matplotlib"}
# what a numpy training job needs not load either (its start-up): the tables' module for
# an error it cannot raise; the 2-2-2 job, OpenSSL for a digest it never takes (the
# classification job's data loads it)
NOT_AT_START = {
    "hand_222": {"backprop_lab.tables", "hashlib", "_hashlib"},
    "classification": {"backprop_lab.tables"},
}


def imported_modules(settings: dict, tmp_path: Path, full: bool = False) -> set[str]:
    """The top-level modules (every module, `full`) a real `backprop-lab train` process
    imports (-X importtime)."""
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings))
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "backprop_lab.cli",
            "train",
            "--settings",
            str(path),
            "--output",
            str(tmp_path / "run.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
    )
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", done.stderr, re.MULTILINE)
    return set(names) if full else {name.split(".")[0] for name in names}


@pytest.mark.parametrize("suite", ["hand_222", "classification"])
def test_a_numpy_training_job_imports_no_torch_pandas_matplotlib(
    suite: str, tmp_path: Path
) -> None:
    runs = expand_variants(load_test_config())
    run_id, settings = next(
        (r, s) for r, s in runs.items() if s["lab"] == suite and s["engine"] == "numpy"
    )
    modules = imported_modules(settings, tmp_path, full=True)
    assert "numpy" in modules and "backprop_lab.core.training" in modules  # it sees imports
    assert not {m.split(".")[0] for m in modules} & HEAVY, (run_id, modules)
    assert not modules & NOT_AT_START[suite], (run_id, modules & NOT_AT_START[suite])


def test_a_torch_training_job_does_import_torch(tmp_path: Path) -> None:
    runs = expand_variants(load_test_config())
    settings = next(s for s in runs.values() if s["lab"] == "hand_222" and s["engine"] == "torch")
    assert "torch" in imported_modules(settings, tmp_path)


def test_training_jobs_pin_their_threads(test_run: Path) -> None:
    """Every training job ran with one BLAS/OpenMP thread (Snakemake exports them from
    `threads:`; the rule does not set them again by hand) and one torch thread."""
    done = snakemake(test_run, "--cores", "2", "-n", "-p", "--forcerun", "train")
    commands = [line for line in done.stdout.splitlines() if "backprop_lab.cli train" in line]
    assert len(commands) == len(experiments(expand_variants(load_test_config()))[0])
    for command in commands:
        assert "BACKPROP_LAB_THREADS=1" in command
        assert "OMP_NUM_THREADS" not in command and "OPENBLAS_NUM_THREADS" not in command
    logs = sorted((test_run / "logs/train").rglob("*.log"))
    assert len(logs) == len(commands)
    for log in logs:
        line = next(x for x in log.read_text().splitlines() if x.startswith("threads:"))
        assert line == (
            "threads: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "
            "BACKPROP_LAB_THREADS=1"
        ), log
