"""Shared fixtures: a temporary copy of the pipeline, run for real with Snakemake."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from backprop_lab import workspace

ROOT = Path(__file__).resolve().parents[1]
TEST_CONFIG = ROOT / ".test" / "config" / "config.yaml"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def copy_pipeline(dest: Path, config: dict | Path | None = None) -> Path:
    """Copy the pipeline into `dest`; `config` (a dict or a YAML file) replaces the default
    config/config.yaml. Returns `dest`."""
    workspace.copy_pipeline(ROOT, dest)
    if config is not None:
        text = config.read_text() if isinstance(config, Path) else yaml.safe_dump(config)
        (dest / "config" / "config.yaml").write_text(text)
    return dest


def load_test_config() -> dict:
    return yaml.safe_load(TEST_CONFIG.read_text())


def distinct_runs(config: dict) -> dict[str, dict]:
    """The config's distinct experiments (one training job each), by their run ids."""
    from backprop_lab.configuration import expand_variants, experiments

    return experiments(expand_variants(config))[0]


def snakemake(
    workdir: Path, *args: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the real `snakemake` in `workdir`; output captured as text."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the Snakefile points jobs at the copy's own src/
    done = subprocess.run(
        [SNAKEMAKE, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


@pytest.fixture(scope="session")
def test_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline run once on the small test config; tests read (never write) its outputs."""
    work = copy_pipeline(tmp_path_factory.mktemp("pipeline"), TEST_CONFIG)
    snakemake(work, "--cores", "2")
    return work


@pytest.fixture()
def rerun_copy(test_run: Path, tmp_path: Path) -> Path:
    """A copy of the finished test run, Snakemake's records included."""
    work = tmp_path / "rerun"
    shutil.copytree(test_run, work, symlinks=True)
    return work


def planned_jobs(work: Path) -> dict[str, set[str]]:
    """rule -> outputs of the jobs `snakemake -n` would run."""
    done = snakemake(work, "--cores", "2", "-n")
    jobs: dict[str, set[str]] = {}
    rule = None
    for line in done.stdout.splitlines():
        match = re.match(r"^(?:local)?rule (\w+):", line)
        if match and match.group(1) == "all":  # the default target: no work of its own
            rule = None
        elif match:
            rule = match.group(1)
            jobs.setdefault(rule, set())
        elif rule and line.strip().startswith("output:"):
            jobs[rule] |= {o.strip() for o in line.split(":", 1)[1].split(",")}
            rule = None
    return jobs


def edit_config(work: Path, change) -> None:
    path = work / "config/config.yaml"
    config = yaml.safe_load(path.read_text())
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


# a kernel set that is neither the pinned one nor an ensemble member of the test reference
ANOTHER_CPU = {
    "OPENBLAS_CORETYPE": "Nehalem",
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
    "MKL_CBWR": "SSE4_2",
}


@pytest.fixture(scope="session")
def test_reference(tmp_path_factory: pytest.TempPathFactory, test_run: Path) -> Path:
    """The test config's reference, made as `make reference` makes the committed one: a
    pinned run and an ensemble of two other kernel sets."""
    from backprop_lab.reference import make_reference

    dest = tmp_path_factory.mktemp("reference") / "reference"
    runs = tmp_path_factory.mktemp("reference-runs")
    assert make_reference(test_run, dest, runs, 2, ["native", "sandybridge"]) == 0
    return dest
