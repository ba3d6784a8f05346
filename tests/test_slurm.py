"""The pipeline, unchanged, on a real single-node Slurm (issue 7).

The module fixture stands up Slurm from Debian's packages (tests/slurm/start_slurm.sh:
apt-get install slurm-wlm munge if missing, then munged, slurmctld and slurmd started by
hand on localhost), runs a copy of the pipeline on the small test config with
`--profile profiles/slurm` (executor `slurm`), and always stops the daemons it started
(tests/slurm/stop_slurm.sh) at teardown. The tests then check that every training job
ran in its own Slurm job and that the tables equal those of a local run.

Skipped (with the reason) only outside CI when this is not root, apt-get is missing or
the Slurm executor plugin is not installed; with CI set it always runs, and fails loudly
if Slurm cannot start.

Bounds (seconds, overridable by environment): start_slurm.sh 300 (apt download included)
BACKPROP_SLURM_START_TIMEOUT; the snakemake run 600 BACKPROP_SLURM_RUN_TIMEOUT, enforced
with `timeout -k 10` because Snakemake ignores SIGTERM while jobs run; stop_slurm.sh 120.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, TEST_CONFIG, copy_pipeline, distinct_runs


pytestmark = pytest.mark.slurm

SLURM_DIR = ROOT / "tests" / "slurm"
PROFILE = ROOT / "profiles" / "slurm"
SLURM_STATE = Path(os.environ.get("BACKPROP_SLURM_DIR", "/tmp/backprop-lab-slurm"))
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
START_TIMEOUT = float(os.environ.get("BACKPROP_SLURM_START_TIMEOUT", "300"))
RUN_TIMEOUT = int(os.environ.get("BACKPROP_SLURM_RUN_TIMEOUT", "600"))
# Wall-time columns differ from run to run; everything else must be equal, bit for bit.
TIMING = re.compile(r"second|elapsed|duration|wall|(^|_)(times?|date)($|_)", re.I)


def _why_skip() -> str | None:
    if os.geteuid() != 0:
        return "needs root (installs slurm-wlm/munge, writes /etc/slurm, starts daemons)"
    if shutil.which("apt-get") is None:
        return "needs apt-get to install slurm-wlm and munge (Debian/Ubuntu)"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed (pinned in requirements.lock)"
    return None


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return f"({path} unreadable)"


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Slurm up, the pipeline run through it in a temporary copy; Slurm down afterwards."""
    reason = _why_skip()
    if reason and not IN_CI:
        pytest.skip(f"Slurm test skipped: {reason}; set CI=true to force it")
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONPATH" and not k.startswith(("SLURM_", "SBATCH_", "SRUN_"))
    }
    with _exclusive(SLURM_STATE.with_name(SLURM_STATE.name + ".lock")):
        yield from _run_on_slurm(tmp_path_factory, env)


@contextlib.contextmanager
def _exclusive(lock_path: Path, wait: float = 1200):
    """One test session at a time owns the machine's test cluster (another session's
    teardown would stop the daemons under this one's jobs)."""
    with lock_path.open("a") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test session held {lock_path} for {wait:.0f} s")
                time.sleep(2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_on_slurm(tmp_path_factory: pytest.TempPathFactory, env: dict):
    t0 = time.monotonic()
    try:
        start = subprocess.run(
            ["bash", str(SLURM_DIR / "start_slurm.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
        started = time.monotonic() - t0
        if start.returncode != 0:
            pytest.fail(
                f"start_slurm.sh failed ({start.returncode}):\n"
                f"{start.stdout[-3000:]}\n{start.stderr[-3000:]}",
                pytrace=False,
            )

        work = copy_pipeline(tmp_path_factory.mktemp("slurm_pipeline"), TEST_CONFIG)
        log = work / "snakemake-slurm.log"
        t1 = time.monotonic()
        with log.open("w") as out:
            done = subprocess.run(
                ["timeout", "-k", "10", str(RUN_TIMEOUT), SNAKEMAKE, "--profile", str(PROFILE)],
                cwd=work,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=RUN_TIMEOUT + 60,
            )
        ran = time.monotonic() - t1
        if done.returncode != 0:
            what = "timed out" if done.returncode in (124, 137) else "failed"
            pytest.fail(
                f"snakemake --profile {PROFILE} {what} (exit {done.returncode}, {ran:.0f} s)\n"
                f"---- {log} (tail)\n{_tail(log, 60)}\n"
                f"---- slurmctld.log (tail)\n{_tail(SLURM_STATE / 'log' / 'slurmctld.log')}",
                pytrace=False,
            )
        print(f"\n[slurm] start_slurm.sh {started:.1f} s, snakemake --executor slurm {ran:.1f} s")
        yield {"work": work, "log": log, "start_seconds": started, "run_seconds": ran}
    finally:
        subprocess.run(
            ["bash", str(SLURM_DIR / "stop_slurm.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )


def _variants(work: Path) -> dict:
    """The distinct experiments: one training job (so one Slurm job) each."""
    return distinct_runs(yaml.safe_load((work / "config" / "config.yaml").read_text()))


def test_every_training_job_ran_in_its_own_slurm_job(slurm_run: dict) -> None:
    work = slurm_run["work"]
    runs = _variants(work)
    assert runs, "the test config has no variants"
    ids = {}
    for run_id in runs:
        data = json.loads((work / "results" / "runs" / f"{run_id}.json").read_text())
        ids[run_id] = data["result"].get("slurm_job_id")
    outside = sorted(r for r, j in ids.items() if not j)
    assert not outside, f"trained outside a Slurm job (no SLURM_JOB_ID): {outside}"
    assert len(set(ids.values())) == len(ids), f"training jobs share a Slurm job: {ids}"

    # The plugin's own record agrees: one log per Slurm job, named by its job id, for the
    # train job that wrote exactly this run file.
    logs = sorted((work / ".snakemake" / "slurm_logs" / "rule_train").rglob("*.log"))
    assert len(logs) == len(runs), f"{len(logs)} Slurm train jobs for {len(runs)} variants"
    for run_id, job_id in ids.items():
        matches = [p for p in logs if p.stem == str(job_id)]
        assert len(matches) == 1, f"{run_id}: no Slurm log for job {job_id}"
        text = matches[0].read_text(errors="replace")
        assert f"output: results/runs/{run_id}.json" in text, (run_id, matches[0])


def _comparable(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"seed_key": str}, low_memory=False)
    return frame.drop(columns=[c for c in frame.columns if TIMING.search(c) or "slurm" in c])


@pytest.mark.parametrize("folder", ["reports/tables", "results/tables"])
def test_tables_equal_a_local_run(slurm_run: dict, test_run: Path, folder: str) -> None:
    ours = sorted(p.name for p in (slurm_run["work"] / folder).glob("*.csv"))
    local = sorted(p.name for p in (test_run / folder).glob("*.csv"))
    assert ours == local and ours, (ours, local)
    for name in ours:
        a = _comparable(slurm_run["work"] / folder / name)
        b = _comparable(test_run / folder / name)
        assert len(a.columns) > 0, name
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"{folder}/{name}")


def test_report_built_under_slurm(slurm_run: dict) -> None:
    work = slurm_run["work"]
    for out in ("reports/report.md", "reports/report.html"):
        assert (work / out).stat().st_size > 0, out
