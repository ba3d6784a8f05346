"""`make bench`: where the pipeline's time goes, measured side by side in one run.

Everything is a ratio of two things measured in this same run on this same machine (a
shared, noisy one): the pipeline against its floors (`snakemake --version`, `python -c
"import numpy"`), its cold wall time against the training inside its jobs over a scale
series (the default config, and it plus 400 and 1,600 cheap variants), the numpy engine
against PyTorch and against the same arithmetic written inline. Writes
`reports/benchmark.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from backprop_lab import kernels
from backprop_lab.core.engines import make_engine
from backprop_lab.core.network import NetSpec, init_params
from backprop_lab.core.training import apply_update
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


def jobs_run(output: str) -> int:
    """Jobs that ran, from Snakemake's closing 'N of N steps (100%) done' line."""
    found = re.findall(r"(\d+) of \d+ steps? \(100%\) done", output)
    return int(found[-1]) - 1 if found else 0  # minus the `all` target


# --- the pipeline ---------------------------------------------------------------------

# The scale series: the default config, and the default plus this many extra cheap
# variants (a step grid in the 2-2-2 lab, each a 1,000-round job)
EXTRA_VARIANTS = (0, 400, 1600)


def pipeline_times(source: Path, workroot: Path, extras: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["snakemake_version"] = median_wall([*SNAKEMAKE, "--version"], 3)
    out["import_numpy"] = median_wall([sys.executable, "-c", "import numpy"], 5)
    out["scale"] = {n: scale_point(source, workroot / f"extra{n}", n) for n in extras}
    work = workroot / "extra0"
    out["step_variant"], changed = _change_one_step(work / "config" / "config.yaml")
    out["step_rerun"], log = wall([*SNAKEMAKE, "--cores", "2"], work)
    out["step_rerun_jobs"] = jobs_run(log)
    out["step_rerun_note"] = changed
    out["overhead"] = job_overheads(work)
    return out


def step_sweep(n: int) -> list[float]:
    """n distinct step sizes, log-spaced over [0.01, 10]."""
    steps = sorted({float(f"{v:.6g}") for v in np.geomspace(0.01, 10.0, n)})
    if len(steps) != n:
        raise ValueError(f"{n} step sizes are not distinct at 6 digits")
    return steps


def scale_point(source: Path, work: Path, extra: int) -> dict[str, Any]:
    """One config of the scale series, cold in a fresh copy: a dry run, the full run at
    --cores 2 (its training CPU, and its tail: from the last training job's end to the
    end), a no-op rerun and the report's size."""
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
    out["dry_run"], _ = wall([*SNAKEMAKE, "-n", "--cores", "2"], work)
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
    """Per training job: wall time (its benchmark file) minus the training inside it."""
    rows = []
    for path in sorted((work / "results" / "runs").rglob("*.json")):
        run = json.loads(path.read_text())
        seconds = run["result"].get("seconds")
        if seconds is None:  # the timing job: all of it is timing
            continue
        rel = path.relative_to(work / "results" / "runs").with_suffix(".tsv")
        job_seconds = _benchmark_seconds(work / "benchmarks" / "train" / rel)
        rows.append((run["settings"].get("engine"), job_seconds - float(seconds)))
    engines = sorted({engine for engine, _ in rows})
    return {
        engine: {
            "median": statistics.median(o for e, o in rows if e == engine),
            "max": max(o for e, o in rows if e == engine),
            "jobs": sum(1 for e, _ in rows if e == engine),
        }
        for engine in engines
    }


def _benchmark_seconds(path: Path) -> float:
    """The wall time in a Snakemake benchmark file."""
    header, values = path.read_text().splitlines()[:2]
    return float(dict(zip(header.split("\t"), values.split("\t")))["s"])


# --- the engines ----------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def inline_sgd_steps(params: list, X: np.ndarray, Y: np.ndarray, lr: float) -> None:
    """The floor: per-sample SGD on a sigmoid-sigmoid-identity MSE net, bare numpy ops."""
    (W1, b1), (W2, b2), (W3, b3) = params
    for i in range(X.shape[0]):
        x, y = X[i : i + 1], Y[i : i + 1]
        a1 = _sigmoid(x @ W1 + b1)
        a2 = _sigmoid(a1 @ W2 + b2)
        d3 = 2.0 * (a2 @ W3 + b3 - y)
        d2 = (d3 @ W3.T) * a2 * (1.0 - a2)
        d1 = (d2 @ W2.T) * a1 * (1.0 - a1)
        W3 -= lr * (a2.T @ d3)
        b3 -= lr * d3
        W2 -= lr * (a1.T @ d2)
        b2 -= lr * d2
        W1 -= lr * (x.T @ d1)
        b1 -= lr * d1


def inline_gd_rounds(
    W1: np.ndarray, W2: np.ndarray, x: np.ndarray, y: np.ndarray, step: float, rounds: int
) -> None:
    """The floor for the 2-2-2 lab net: sigmoid on both layers, ½ sum of squares."""
    for _ in range(rounds):
        h = _sigmoid(x @ W1)
        o = _sigmoid(h @ W2)
        d2 = (o - y) * o * (1.0 - o)
        d1 = (d2 @ W2.T) * h * (1.0 - h)
        W2 -= step * (h.T @ d2)
        W1 -= step * (x.T @ d1)


def interleaved(candidates: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median seconds of each candidate, taking turns so that noise hits all alike."""
    for fn in candidates.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def engine_times(repeats: int = 15) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rng = np.random.default_rng(0)
    # the [256, 64] network of the classification lab, per-sample SGD, 100 samples per repeat
    spec = NetSpec((2, 256, 64, 1), ("sigmoid", "sigmoid", "identity"), True, "mse")
    n = 100
    X, Y = rng.uniform(0, 1, (1, n, 2)), rng.uniform(0, 1, (1, n, 1))
    lr = np.array([0.01])
    one = init_params(spec, {"kind": "normal", "std": 1.0}, [0])
    five = init_params(spec, {"kind": "normal", "std": 1.0}, [0, 1, 2, 3, 4])
    engines = {e: make_engine(e, spec, one) for e in ("numpy", "torch")}
    numpy5 = make_engine("numpy", spec, five)
    X5, Y5 = np.repeat(X, 5, axis=0), np.repeat(Y, 5, axis=0)
    flat = [(W[0].copy(), b[0].copy()) for W, b in one]
    t = interleaved(
        {
            "numpy": lambda: engines["numpy"].sgd_epoch(X, Y, lr),
            "torch": lambda: engines["torch"].sgd_epoch(X, Y, lr),
            "inline": lambda: inline_sgd_steps(flat, X[0], Y[0], 0.01),
            "numpy_5_seeds": lambda: numpy5.sgd_epoch(X5, Y5, np.full(5, 0.01)),
        },
        repeats,
    )
    out["large"] = {k: v / n for k, v in t.items()}
    # the 2-2-2 lab net, gradient descent on one sample, 100 rounds per repeat
    spec = NetSpec((2, 2, 2), ("sigmoid", "sigmoid"), False, "half_sse")
    weights = [0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8]
    params = init_params(spec, {"kind": "specified", "values": weights}, [0])
    x = np.array([[[0.5, 0.3]]])
    y = np.array([[[0.23, -0.07]]])
    rounds = 100
    engines = {e: make_engine(e, spec, params) for e in ("numpy", "torch")}
    W1, W2 = params[0][0][0].copy(), params[1][0][0].copy()

    def gd(engine: Any) -> Callable[[], None]:
        step = np.array([1.0])

        def run() -> None:
            for _ in range(rounds):
                _, grads, _ = engine.loss_and_grads(x, y)
                apply_update(engine, grads, step)

        return run

    t = interleaved(
        {
            "numpy": gd(engines["numpy"]),
            "torch": gd(engines["torch"]),
            "inline": lambda: inline_gd_rounds(W1, W2, x[0], y[0], 1.0, rounds),
        },
        repeats,
    )
    out["small"] = {k: v / rounds for k, v in t.items()}
    return out


# One SGD step of the classification lab's [2, 256, 64, 1] net and one 2-2-2 GD round, timed
# in a fresh process (the kernels are chosen when numpy and torch load)
KERNEL_PROBE = """
import sys, time
import numpy as np
from backprop_lab.kernels import pin
if sys.argv[1] == "pinned":
    pin()
from backprop_lab import kernels
from backprop_lab.core.engines import make_engine
from backprop_lab.core.network import NetSpec, init_params
from backprop_lab.core.training import apply_update
spec = NetSpec((2, 256, 64, 1), ("sigmoid", "sigmoid", "identity"), True, "mse")
rng = np.random.default_rng(0)
X, Y = rng.uniform(0, 1, (1, 100, 2)), rng.uniform(0, 1, (1, 100, 1))
engine = make_engine("numpy", spec, init_params(spec, {"kind": "normal", "std": 1.0}, [0]))
lr = np.array([0.01])
engine.sgd_epoch(X, Y, lr)
best = float("inf")
for _ in range(5):
    start = time.perf_counter()
    engine.sgd_epoch(X, Y, lr)
    best = min(best, (time.perf_counter() - start) / 100)
print(best)
"""


def pinning_cost(repeats: int = 7) -> dict[str, float]:
    """Seconds per SGD step of the [2, 256, 64, 1] net with the pinned kernels and with
    every library's own choice, in fresh processes taking turns (medians)."""
    times: dict[str, list[float]] = {"pinned": [], "native": []}
    env = {k: v for k, v in os.environ.items() if k not in kernels.VARIABLES}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    for _ in range(repeats):
        for name in times:
            done = subprocess.run(
                [sys.executable, "-c", KERNEL_PROBE, name],
                env={**env, kernels.SWITCH: name},
                capture_output=True,
                text=True,
                check=True,
            )
            times[name].append(float(done.stdout.strip()))
    return {name: statistics.median(t) for name, t in times.items()}


# --- the table --------------------------------------------------------------------------


def render(p: dict[str, Any], e: dict[str, Any]) -> str:
    def ms(s: float) -> str:
        return f"{s * 1e3:.0f} ms" if s < 10 else f"{s:.1f} s"

    def us(s: float) -> str:
        return f"{s * 1e6:.1f} µs"

    rows: list[tuple[str, ...]] = []

    def add(measure: str, time: str, compared: str, target: str = "", ok: bool | None = None):
        """One row; a target with its verdict (met / not met) when there is one."""
        verdict = "" if ok is None else ("met" if ok else "**not met**")
        rows.append((measure, time, compared, target, verdict))

    scale = p["scale"]
    version = p["snakemake_version"]
    for n, limit in ((0, 1.2), (400, 1.3)):
        if n not in scale:
            continue
        x = scale[n]
        ratio = x["cold"] / (x["training_cpu"] / 2)
        add(
            f"cold pipeline, {_config_name(n)}, `--cores 2`",
            ms(x["cold"]),
            f"{ratio:.2f}× (training CPU {ms(x['training_cpu'])} ÷ 2)",
            f"≤ {limit}×",
            ratio <= limit,
        )
    if 0 in scale:
        x = scale[0]
        share = x["tail"] / x["cold"]
        add(
            "tail after the last training job, default config",
            ms(x["tail"]),
            f"{100 * share:.1f} % of the cold wall",
            "≤ 10 %",
            share <= 0.10,
        )
        noop = x["noop"] / version
        add(
            "no-op rerun, default config",
            ms(x["noop"]),
            f"{noop:.2f}× `snakemake --version` ({ms(version)})",
            "≤ 1.3×",
            noop <= 1.3,
        )
    if 0 in scale and 400 in scale:
        ratio = scale[400]["tail"] / scale[0]["tail"]
        add(
            "tail after the last training job, default + 400",
            ms(scale[400]["tail"]),
            f"{ratio:.2f}× the default config's tail",
            "≤ 3×",
            ratio <= 3,
        )
    biggest = max(scale)
    dry = scale[biggest]["dry_run"] / version
    large = biggest >= 1600
    add(
        f"dry run, {_config_name(biggest)}",
        ms(scale[biggest]["dry_run"]),
        f"{dry:.2f}× `snakemake --version`",
        "≤ 2.5×" if large else "",
        dry <= 2.5 if large else None,
    )
    add(
        f"rerun after one step change ({p['step_variant']}, {p['step_rerun_note']})",
        ms(p["step_rerun"]),
        f"{p['step_rerun_jobs']} jobs rerun",
    )
    for engine, o in sorted(p["overhead"].items()):
        ratio = o["median"] / p["import_numpy"]
        add(
            f"per-job overhead, {engine} training jobs ({o['jobs']})",
            f"median {ms(o['median'])}, max {ms(o['max'])}",
            f'median {ratio:.2f}× `python -c "import numpy"` ({ms(p["import_numpy"])})',
            *(("≤ 2×", ratio <= 2) if engine == "numpy" else ()),
        )
    for size, label in (
        ("small", "2-2-2 net, one GD round"),
        ("large", "[2, 256, 64, 1] net, one SGD step"),
    ):
        t = e[size]
        floor = t["numpy"] / t["inline"]
        add(
            f"numpy engine, {label}",
            us(t["numpy"]),
            f"{floor:.2f}× the inline floor ({us(t['inline'])})",
            *(("≤ 1.5×", floor <= 1.5) if size == "large" else ()),
        )
        vs_torch = t["torch"] / t["numpy"]
        add(
            f"PyTorch engine, {label}",
            us(t["torch"]),
            f"numpy is {vs_torch:.2f}× faster",
            "numpy faster",
            vs_torch > 1,
        )
    if "pinning" in e:
        cost = e["pinning"]["pinned"] / e["pinning"]["native"]
        add(
            "pinned kernels (x86-64-v3) vs each library's own, [2, 256, 64, 1] SGD step",
            us(e["pinning"]["pinned"]),
            f"{cost:.2f}× the unpinned step ({us(e['pinning']['native'])})",
            "≤ 1.1×",
            cost <= 1.1,
        )
    if "worked" in e:
        from backprop_lab.worked.speed import rows as worked_rows

        for row in worked_rows(e["worked"]):
            add(*row)
    seeds = e["large"]["numpy_5_seeds"] / e["large"]["numpy"]
    add(
        "5 seeds stacked vs 1 seed, [2, 256, 64, 1] SGD step",
        us(e["large"]["numpy_5_seeds"]),
        f"{seeds:.2f}× one seed",
        "≤ 2×",
        seeds <= 2,
    )
    lines = [
        "# Benchmark",
        "",
        "Measured by `make bench` in one run on this machine; every ratio compares two "
        "things measured side by side in that run.",
        "",
        "| measure | time | compared with | target | |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += [
        "",
        "## The scale series",
        "",
        "Each config cold in a fresh copy at `--cores 2`: the dry run before it, the whole "
        "run, the training inside its jobs (CPU seconds), the tail (from the last training "
        "job's end to the end of the run), a no-op rerun and the report's size. The extra "
        "variants are a grid of step sizes in the 2-2-2 lab (1,000 rounds each).",
        "",
        "| config | training jobs | all jobs | dry run | cold wall | training CPU "
        "| wall ÷ (CPU ÷ 2) | tail | no-op | report.md | report.html "
        "| training jobs' wall, summed | the budget's estimate of it |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, x in sorted(scale.items()):
        lines.append(
            f"| {_config_name(n)} | {x['train_jobs']} | {x['jobs']} | {ms(x['dry_run'])} "
            f"| {ms(x['cold'])} | {ms(x['training_cpu'])} "
            f"| {x['cold'] / (x['training_cpu'] / 2):.2f} | {ms(x['tail'])} "
            f"| {ms(x['noop'])} | {x['report_md'] / 1e3:.0f} kB | {x['report_html'] / 1e6:.1f} MB "
            f"| {ms(x['job_seconds'])} | {ms(x['estimate'])} |"
        )
    return "\n".join(lines) + "\n"


def _config_name(extra: int) -> str:
    return "default config" if extra == 0 else f"default + {extra} variants"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="backprop-lab bench", description=__doc__)
    parser.add_argument("--source", default=".")
    parser.add_argument("--workdir", default="results/bench")
    parser.add_argument("--output", default="reports/benchmark.md")
    parser.add_argument(
        "--skip-pipeline",
        action="store_true",
        help="measure the engines only (seconds instead of minutes)",
    )
    parser.add_argument(
        "--extra",
        default="",
        help="the scale series' extra variants, comma-separated (default: 0,400,1600)",
    )
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as in the pipeline's jobs (threads: 1)
    engines = engine_times()
    engines["pinning"] = pinning_cost()
    from backprop_lab.worked import speed

    engines["worked"] = speed.measure(Path(args.source).resolve())
    if args.skip_pipeline:
        print(yaml.safe_dump(engines))
        return
    extras = tuple(int(n) for n in args.extra.split(",")) if args.extra else EXTRA_VARIANTS
    engines["worked"] |= speed.cold_pipeline(
        Path(args.source).resolve(), Path(args.workdir).resolve() / "worked"
    )
    pipeline = pipeline_times(Path(args.source).resolve(), Path(args.workdir).resolve(), extras)
    text = render(pipeline, engines)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
