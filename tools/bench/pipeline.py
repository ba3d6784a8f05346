"""The pipeline's side of the benchmark: the scale series (the default config, and it
plus 400 and 1,600 cheap variants, each cold in a fresh copy at `--cores 2`), a rerun after
one change, each training job's start-up, and the job times the schedule simulation takes.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from backprop_lab.workspace import copy_pipeline

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def wall(command: list[str], cwd: Path | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return seconds, done.stdout + done.stderr


def median_wall(command: list[str], repeats: int, cwd: Path | None = None) -> float:
    return statistics.median(wall(command, cwd)[0] for _ in range(repeats))


def planned_jobs(output: str) -> dict[str, int]:
    """Jobs per rule from a dry run's "Job stats" table."""
    table = output.split("Job stats:", 1)[-1]
    return {
        rule: int(count)
        for rule, count in re.findall(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)
        if rule != "total"
    }


def jobs_run(output: str) -> int:
    """Jobs that ran, from Snakemake's closing 'N of N steps (100%) done' line."""
    found = re.findall(r"(\d+) of \d+ steps? \(100%\) done", output)
    return int(found[-1]) - 1 if found else 0  # minus the `all` target


# --- the pipeline ---------------------------------------------------------------------

# The scale series: the default config, and the default plus this many extra cheap
# variants (a step grid in the 2-2-2 lab, each a 1,000-round job)
EXTRA_VARIANTS = (0, 400, 1600)


def pipeline_times(
    source: Path, workroot: Path, extras: tuple[int, ...], cold: tuple[int, ...] | None = None
) -> dict[str, Any]:
    """The pipeline's measures; `cold`: the scale points run cold (default: every one;
    the others only their dry run)."""
    out: dict[str, Any] = {}
    out["snakemake_version"] = median_wall([*SNAKEMAKE, "--version"], 3)
    out["import_numpy"] = median_wall([sys.executable, "-c", "import numpy"], 5)
    out["scale"] = {
        n: scale_point(source, workroot / f"extra{n}", n, cold is None or n in cold) for n in extras
    }
    biggest = out["scale"][max(extras)]
    out["floor"] = dry_run_floor(workroot / "floor", biggest["jobs"])
    work = workroot / "extra0"
    out["step_variant"], changed = _change_one_step(work / "config" / "config.yaml")
    out["step_rerun"], log = wall([*SNAKEMAKE, "--cores", "2"], work)
    out["step_rerun_jobs"] = jobs_run(log)
    out["step_rerun_note"] = changed
    out["overhead"] = job_overheads(work)
    startup = out["overhead"].get("numpy", {}).get("median", 0.0)
    out["schedule"] = schedule_times(work, startup)
    return out


SIMULATED_CORES = (4, 16, 64)
# `seed_jobs: 20`: only the variants estimated at 20 CPU seconds or more split their seeds
LONG_VARIANT = 20


def json_experiments(work: Path) -> dict[str, Any]:
    """The distinct experiments of the config in `work` (run id -> settings)."""
    from backprop_lab.configuration import expand_variants, experiments

    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    return experiments(expand_variants(config))[0]


def schedule_times(work: Path, startup: float) -> dict[str, Any]:
    """The default config's cold run (in `work`) replayed by bench.schedule at 4, 16 and
    64 cores, its seeds stacked and one job per seed."""
    from bench import schedule

    dot = subprocess.run(
        [*SNAKEMAKE, "--dag", "-F", "--cores", "2"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def seconds_of(rule: str, wildcards: dict[str, str]) -> float:
        path = schedule.benchmark_file(rule, wildcards)
        return _benchmark_seconds(work / path) if path and (work / path).exists() else 0.0

    jobs = schedule.jobs_of(dot, seconds_of)
    from backprop_lab import labs

    from backprop_lab.configuration import estimate_work

    costs = estimate_work(json_experiments(work)).costs
    seeds, long = {}, {}  # the training jobs `seed_jobs` splits: of a lab that stacks
    for rule, w in schedule.parse_dag(dot)[0].values():
        if rule == "train" and labs.get(w["lab"]).replicas:
            run = work / "results" / "runs" / w["lab"] / w["axis"] / f"{w['variant']}.json"
            settings = json.loads(run.read_text())["settings"]
            name = schedule.job_name(rule, w)
            seeds[name] = len(settings.get("seeds") or [])
            cost = costs.get(f"{w['lab']}/{w['axis']}/{w['variant']}")
            if cost is not None and cost.cpu_seconds >= LONG_VARIANT:
                long[name] = seeds[name]
    split = schedule.split_seeds(jobs, seeds, startup)
    critical = schedule.critical_path(jobs)
    # the pipeline's priorities: each training job's time and the chain after it
    ranked = {
        "stacked": schedule.tail_first(jobs),
        "split": schedule.tail_first(split),
        "split_long": schedule.tail_first(schedule.split_seeds(jobs, long, startup)),
    }
    return {
        "startup": startup,
        "long_variant": LONG_VARIANT,
        "long_variants": len(long),
        "total": sum(j.seconds for j in jobs.values()),
        "total_split": sum(j.seconds for j in split.values()),
        "cores": {
            n: {way: schedule.simulate(js, n) for way, js in ranked.items()}
            for n in SIMULATED_CORES
        },
        "critical": critical,
        "critical_split": schedule.critical_path(split),
        "longest": max(((n, jobs[n].seconds) for n in critical[1]), key=lambda t: t[1]),
    }


def step_sweep(n: int) -> list[float]:
    """n distinct step sizes, log-spaced over [0.01, 10]."""
    steps = sorted({float(f"{v:.6g}") for v in np.geomspace(0.01, 10.0, n)})
    if len(steps) != n:
        raise ValueError(f"{n} step sizes are not distinct at 6 digits")
    return steps


# Snakemake's own floor for a dry run of N jobs: a Snakefile of N trivial jobs of one
# input each, then one table and one report job that read them all (the pipeline's shape)
FLOOR_SNAKEFILE = """\
import os
IDS = [f"v{{i}}" for i in range({n})]
os.makedirs("settings", exist_ok=True)
for i in IDS:
    if not os.path.exists(f"settings/{{i}}.json"):
        open(f"settings/{{i}}.json", "w").write("{{}}")

rule all:
    input: "report.md"

rule report:
    input: "table.csv"
    output: "report.md"
    shell: "touch {{output}}"

rule aggregate:
    input: expand("runs/{{v}}.json", v=IDS)
    output: "table.csv"
    shell: "touch {{output}}"

rule train:
    input: "settings/{{v}}.json"
    output: "runs/{{v}}.json"
    shell: "touch {{output}}"
"""


def dry_run_floor(work: Path, jobs: int) -> float:
    """The dry run of a minimal Snakefile of as many jobs (3 runs, median): what Snakemake
    itself takes to build and print that DAG, whatever the workflow."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "Snakefile").write_text(FLOOR_SNAKEFILE.format(n=max(jobs - 2, 1)))
    wall([*SNAKEMAKE, "-n", "--cores", "2"], work)  # writes the settings files
    return median_wall([*SNAKEMAKE, "-n", "--cores", "2"], 3, work)


def scale_point(source: Path, work: Path, extra: int, cold: bool = True) -> dict[str, Any]:
    """One config of the scale series, cold in a fresh copy: a dry run, the full run at
    --cores 2 (its training CPU, and its tail: from the last training job's end to the
    end), a no-op rerun and the report's size; not `cold`: its dry run only (the jobs it
    plans; every other measure NaN)."""
    if work.exists():
        shutil.rmtree(work)
    copy_pipeline(source, work)
    config_path = work / "config" / "config.yaml"
    if extra:
        config = yaml.safe_load(config_path.read_text())
        config["hand_222"]["axes"]["sweep"] = {"grid": {"step": step_sweep(extra)}}
        config.setdefault("budget", {})["cpu_hours"] = 10
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    out: dict[str, Any] = {"extra": extra}
    out["dry_run"], log = wall([*SNAKEMAKE, "-n", "--cores", "2"], work)
    if not cold:
        planned = planned_jobs(log)
        nan = float("nan")
        return {
            **out,
            "jobs": sum(planned.values()) - planned.get("all", 0),
            "train_jobs": planned.get("train", 0),
            **dict.fromkeys(("cold", "training_cpu", "job_seconds", "tail", "wait", "noop"), nan),
            **dict.fromkeys(("report_md", "report_html"), nan),
            "estimate": estimated_seconds(config_path),
        }
    start = time.time()
    out["cold"], log = wall([*SNAKEMAKE, "--cores", "2"], work)
    end = time.time()
    out["jobs"] = jobs_run(log)
    runs = list((work / "results" / "runs").rglob("*.json"))
    out["train_jobs"] = len(runs)
    out["training_cpu"] = training_seconds(work, runs)
    out["job_seconds"] = sum(
        _benchmark_seconds(b) for b in (work / "benchmarks" / "train").rglob("*.tsv")
    )
    out["estimate"] = estimated_seconds(config_path)
    last_training = max(path.stat().st_mtime for path in runs)
    out["tail"] = end - last_training
    out["wait"] = last_training - start
    out["noop"] = median_wall([*SNAKEMAKE, "--cores", "2"], 3, work)
    reports = work / "reports"
    out["report_md"] = (reports / "report.md").stat().st_size
    out["report_html"] = (reports / "report.html").stat().st_size
    return out


def estimated_seconds(config_path: Path) -> float:
    """The CPU seconds the budget's estimate gives the config's training jobs."""
    from backprop_lab.configuration import estimate_work, expand_variants, experiments

    config = yaml.safe_load(config_path.read_text())
    return estimate_work(experiments(expand_variants(config))[0]).cpu_seconds


def training_seconds(work: Path, runs: list[Path]) -> float:
    """The training inside the jobs: each run's own `seconds`, or, for a job that reports
    none (the timing lab times both engines), its whole wall time."""
    total = 0.0
    for path in runs:
        result = json.loads(path.read_text())["result"]
        seconds = result.get("seconds")
        if seconds is None:
            rel = path.relative_to(work / "results" / "runs").with_suffix(".tsv")
            seconds = _benchmark_seconds(work / "benchmarks" / "train" / rel)
        total += float(seconds)
    return total


def _change_one_step(config_path: Path) -> tuple[str, str]:
    """Change one 2-2-2 variant's step size (the first variant that is not a grid)."""
    config = yaml.safe_load(config_path.read_text())
    for axis, points in config["hand_222"]["axes"].items():
        if "grid" in points:
            continue
        variant, overrides = next(iter(points.items()))
        old = overrides.get("step", config["hand_222"]["baseline"]["step"])
        overrides["step"] = old * 1.5
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        return f"hand_222/{axis}/{variant}", f"step {old:g} → {old * 1.5:g}"
    raise ValueError("no 2-2-2 variant to change")


def job_overheads(work: Path) -> dict[str, dict[str, float]]:
    """Per training job: its start-up, its wall time (its benchmark file) minus the time
    its lab's ``run`` took (the "ran in" line of its log: the training and whatever else
    the lab computes, its data and outputs included), by what the job loads: "torch" for
    a job that imports PyTorch (its lab's `uses_torch`), "numpy" for every other. Also,
    as the issue first measured it, the wall minus the training loop's own ``seconds``."""
    from backprop_lab import labs

    rows = []
    for path in sorted((work / "results" / "runs").rglob("*.json")):
        run = json.loads(path.read_text())
        # not with_suffix on the stem: a variant's name may hold a dot ("init_std-0.1")
        rel = path.relative_to(work / "results" / "runs")
        log = (work / "logs" / "train" / rel).with_suffix(".log").read_text()
        found = re.search(r": ran in ([0-9.]+) s$", log, re.MULTILINE)
        if found is None:
            continue
        job_seconds = _benchmark_seconds(work / "benchmarks" / "train" / rel.with_suffix(".tsv"))
        settings = run["settings"]
        engine = "torch" if labs.get(settings["lab"]).uses_torch(settings) else "numpy"
        training = run["result"].get("seconds")
        beyond = None if training is None else job_seconds - float(training)
        rows.append((engine, job_seconds - float(found.group(1)), beyond))
    out = {}
    for engine in sorted({engine for engine, _, _ in rows}):
        startup = [s for e, s, _ in rows if e == engine]
        beyond = [b for e, _, b in rows if e == engine and b is not None]
        out[engine] = {
            "median": statistics.median(startup),
            "max": max(startup),
            "jobs": len(startup),
            "beyond_training": statistics.median(beyond) if beyond else float("nan"),
        }
    return out


def _benchmark_seconds(path: Path) -> float:
    """The wall time in a Snakemake benchmark file."""
    header, values = path.read_text().splitlines()[:2]
    return float(dict(zip(header.split("\t"), values.split("\t")))["s"])
