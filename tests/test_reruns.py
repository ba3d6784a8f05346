"""Reruns exactly right, through the real `snakemake` on the test config, each scenario
from a finished run: every file a job reads is an input, every deliverable is a target,
params are canonical, no job command holds a path of this machine, an interrupted job's
outputs come back, and Snakemake's own report renders every caption."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, edit_config, load_test_config, planned_jobs, snakemake

from backprop_lab import labs


@pytest.mark.parametrize(
    "path, printed",
    [
        # a block of the 2-2-2 lab's printout: one of its worked-example files
        ("src/backprop_lab/labs/hand_222/examples/lab222-numpy-baseline.yaml", "text: '0.26348'"),
        # its random-initialisation block: ledger.yaml
        ("src/backprop_lab/labs/hand_222/ledger.yaml", "printed: '5.1180'"),
    ],
)
def test_a_printed_number_in_a_ledger_reruns_its_aggregate(
    rerun_copy: Path, path: str, printed: str
) -> None:
    ledger = rerun_copy / path
    text = ledger.read_text()
    assert printed in text
    ledger.write_text(text.replace(printed, printed.replace("'", "'9", 1), 1))
    assert set(planned_jobs(rerun_copy)) == {"aggregate_hand_222", "figures_hand_222", "report"}


# --- every file a job reads is an input of that job -----------------------------------

AUDIT = textwrap.dedent(
    """
    import json, os, runpy, sys
    reads = set()
    def hook(event, args):
        if event == "open" and isinstance(args[0], str):
            mode = args[1] if isinstance(args[1], str) else "r"
            if not any(m in mode for m in "wax+"):
                reads.add(os.path.abspath(args[0]))
    sys.addaudithook(hook)
    def dump():
        with open(os.environ["AUDIT_OUT"], "w") as handle:
            json.dump(sorted(reads), handle)
    import atexit
    atexit.register(dump)
    sys.argv = ["backprop-lab", *sys.argv[1:]]
    runpy.run_module("backprop_lab.cli", run_name="__main__")
    """
)


def _dry_run_jobs(work: Path) -> list[dict]:
    """Every job of the whole pipeline (forced): its rule, inputs and shell command."""
    done = snakemake(work, "--cores", "1", "-n", "-p", "--forceall")
    jobs, job = [], None
    for line in done.stdout.splitlines():
        match = re.match(r"^(?:local)?rule (\w+):", line)
        if match:
            job = {"rule": match.group(1), "input": [], "shell": None}
            jobs.append(job)
        elif job and line.strip().startswith("input:"):
            job["input"] = [p.strip() for p in line.split(":", 1)[1].split(",")]
        elif job and job["shell"] is None and "backprop_lab.cli" in line:
            job["shell"] = line.strip().removeprefix("Shell command:").strip()
    return [j for j in jobs if j["shell"]]


def test_every_file_a_job_reads_is_an_input(rerun_copy: Path, tmp_path: Path) -> None:
    """Run the jobs of every stage (one training per lab) with an audit hook on `open`:
    every file of the workflow's folder a job reads is an input of that job or in its code
    stamp (Python source aside: a stage's imports are checked in test_lab_registry)."""
    audit = tmp_path / "audit.py"
    audit.write_text(AUDIT)
    # `make bench`'s table: the report reads it when it exists
    (rerun_copy / "reports/benchmark.md").write_text("# Benchmark\n")
    trained: set[str] = set()
    checked = 0
    for job in _dry_run_jobs(rerun_copy):
        if job["rule"] == "train":
            lab = job["input"][0].split("/")[2]
            if lab in trained:
                continue
            trained.add(lab)
        out = tmp_path / f"reads-{checked}.json"
        command = job["shell"].replace("-m backprop_lab.cli", f"{audit}", 1)
        env = {**os.environ, "AUDIT_OUT": str(out), "BACKPROP_LAB_PYTHON": sys.executable}
        subprocess.run(["bash", "-c", command], cwd=rerun_copy, env=env, check=True)
        reads = {Path(p) for p in json.loads(out.read_text())}
        inside = {
            p.relative_to(rerun_copy).as_posix()
            for p in reads
            if p.is_relative_to(rerun_copy) and p.is_file() and p.suffix not in (".py", ".pyc")
        }
        # the job's code stamp names the package files it runs (templates and YAML of a
        # lab's folder too), each with the digest an edit of it changes
        stamped = {
            f"src/{f}"
            for i in job["input"]
            if i.startswith("results/code/")
            for f in json.loads((rerun_copy / i).read_text())["files"]
        }
        undeclared = inside - set(job["input"]) - stamped
        assert not undeclared, (job["rule"], sorted(undeclared))
        assert stamped, job["rule"]
        checked += 1
    assert trained == set(load_test_config()) & set(labs.REGISTRY)
    assert checked > 10


# --- every deliverable is a target ----------------------------------------------------


@pytest.mark.parametrize(
    "deleted, rules",
    [
        ("reports/figures/hand_222_seeds.png", {"figures_hand_222", "report"}),
        (
            "reports/tables/hand_222_summary.csv",
            {"aggregate_hand_222", "figures_hand_222", "report"},
        ),
        (
            "results/runs/hand_222/engine/numpy.json",
            {"train", "aggregate_hand_222", "figures_hand_222", "report"},
        ),
    ],
)
def test_a_deleted_deliverable_comes_back(rerun_copy: Path, deleted: str, rules: set) -> None:
    (rerun_copy / deleted).unlink()
    assert set(planned_jobs(rerun_copy)) == rules
    snakemake(rerun_copy, "--cores", "2")
    assert (rerun_copy / deleted).exists()
    assert planned_jobs(rerun_copy) == {}


# --- interrupted jobs -------------------------------------------------------------------

# stage -> (a target it makes, its rule, the module only that stage of the 2-2-2 lab loads)
INTERRUPTED = {
    "train": ("results/runs/hand_222/engine/numpy.json", "train", "labs/hand_222/run.py"),
    "aggregate": (
        "reports/tables/hand_222_summary.csv",
        "aggregate_hand_222",
        "labs/hand_222/tables.py",
    ),
    "report": ("reports/report.md", "report", "report.py"),
}
# appended to that module: the first job that loads it says so and sleeps, so that the
# signal lands while it runs; the jobs of the next run go straight on
PAUSE = """
import os as _os, time as _time
if not _os.path.exists("job-started"):
    open("job-started", "w").close()
    _time.sleep(60)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
@pytest.mark.parametrize("stage", sorted(INTERRUPTED))
def test_an_interrupted_job_comes_back(rerun_copy: Path, stage: str, sig: signal.Signals) -> None:
    target, rule, module = INTERRUPTED[stage]
    path = rerun_copy / "src/backprop_lab" / module
    path.write_text(path.read_text() + PAUSE)  # the edit reruns that stage of that lab
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    process = subprocess.Popen(
        [SNAKEMAKE, "--cores", "1", target, "--forcerun", rule],
        cwd=rerun_copy,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # as from a terminal: a shell's background job (`make test &`) starts with Ctrl-C
        # ignored, and Snakemake and its jobs would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not (rerun_copy / "job-started").exists():
        assert time.monotonic() < deadline, f"the {stage} job never started"
        assert process.poll() is None, f"snakemake ended before the {stage} job started"
        time.sleep(0.2)
    os.killpg(process.pid, sig)  # the whole group, as a terminal's Ctrl-C or a kill would
    process.wait(timeout=60)
    # the next plain run brings every output back
    snakemake(rerun_copy, "--cores", "2", timeout=900)
    assert (rerun_copy / target).exists()
    assert planned_jobs(rerun_copy) == {}


# --- canonical params, no machine paths --------------------------------------------------


def test_the_same_settings_in_another_order_rerun_nothing(rerun_copy: Path) -> None:
    def swap(config: dict) -> None:
        threshold = config["gradient_equality"]["threshold"]
        config["gradient_equality"]["threshold"] = dict(reversed(list(threshold.items())))
        networks = config["timing"]["networks"]
        config["timing"]["networks"] = {
            name: dict(reversed(list(net.items()))) for name, net in networks.items()
        }
        config["hand_222"]["baseline"] = dict(
            reversed(list(config["hand_222"]["baseline"].items()))
        )

    edit_config(rerun_copy, swap)
    assert planned_jobs(rerun_copy) == {}


def test_no_job_command_holds_a_path_of_this_machine(rerun_copy: Path) -> None:
    for job in _dry_run_jobs(rerun_copy):
        for path in (str(rerun_copy), str(ROOT), sys.prefix, sys.executable):
            assert path not in job["shell"], (job["rule"], job["shell"])


def test_another_interpreter_spelling_or_a_moved_checkout_reruns_nothing(
    rerun_copy: Path, tmp_path: Path
) -> None:
    python3 = Path(sys.executable).with_name("python3")
    assert python3.exists()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [str(python3), "-m", "snakemake", "--cores", "2", "-n"],
        cwd=rerun_copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Nothing to be done" in done.stdout + done.stderr, done.stdout[-2000:]
    moved = tmp_path / "moved"
    shutil.move(rerun_copy, moved)
    assert planned_jobs(moved) == {}


# --- Snakemake's own report ---------------------------------------------------------------


def test_snakemake_report_renders_every_caption(test_run: Path, tmp_path: Path) -> None:
    work = tmp_path / "report"
    shutil.copytree(test_run, work, symlinks=True)
    done = snakemake(work, "--report", "snakemake-report.html")
    html = (work / "snakemake-report.html").read_text(errors="replace")
    assert "ERROR/" not in done.stdout + done.stderr
    assert "ERROR/" not in html and "System Message" not in html
    assert "weight&#x27;s magnitude" in html or "weight's magnitude" in html


# --- the README's commands, as written --------------------------------------------------


def readme_commands() -> list[str]:
    """The commands of the README's "Using it day to day" block, comments stripped."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Using it day to day", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        command = line.split("#", 1)[0].strip()
        if command.startswith("snakemake"):
            commands.append(command)
    return commands


def test_the_readme_commands_run_as_written(rerun_copy: Path) -> None:
    """Each command of the README's day-to-day block, run as written in a finished run of
    the test config (its `.test` folder holds the same small config)."""
    (rerun_copy / ".test/config").mkdir(parents=True)
    shutil.copy(ROOT / ".test/config/config.yaml", rerun_copy / ".test/config/config.yaml")
    commands = readme_commands()
    assert len(commands) >= 5
    for command in commands:
        args = command.split()[1:]
        done = snakemake(rerun_copy, *args, timeout=900)
        output = done.stdout + done.stderr
        if "--forcerun" in args:  # one variant again: exactly one job
            assert re.search(r"^train\s+1$", output, re.MULTILINE), output[-3000:]
            assert re.search(r"^total\s+1$", output, re.MULTILINE), output[-3000:]
    config = yaml.safe_load((rerun_copy / "config/config.yaml").read_text())
    assert config == load_test_config()


# --- the committed reference in the report -----------------------------------------------


def test_the_report_says_where_the_reference_was_made(
    rerun_copy: Path, test_reference: Path
) -> None:
    from backprop_lab.reference import ReferenceFolder

    shutil.copytree(test_reference, rerun_copy / "reports/reference")
    # the reference is an input of the report alone
    assert set(planned_jobs(rerun_copy)) == {"report"}
    snakemake(rerun_copy, "--cores", "2")
    text = (rerun_copy / "reports/report.md").read_text()
    recorded = ReferenceFolder(test_reference).provenance()
    assert "### The committed reference" in text
    for cls, count in recorded["values_per_class"].items():
        assert f"| {cls} | {count} |" in text
    assert recorded["kernels"]["cpu"] in text
    assert "within its tolerance of the committed reference" in text
    assert "(tier: same kind" in text


def test_a_killed_runs_lock_is_removed_unless_a_run_is_live(tmp_path: Path) -> None:
    from backprop_lab.workspace import remove_stale_locks

    locks = tmp_path / ".snakemake/locks"
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text("x")
    live = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "snakemake"], cwd=tmp_path
    )
    try:
        time.sleep(0.5)
        assert remove_stale_locks(tmp_path) == []
        assert (locks / "0.output.lock").exists()
    finally:
        live.kill()
        live.wait()
    assert remove_stale_locks(tmp_path) == [locks / "0.output.lock"]
    assert not list(locks.iterdir())
