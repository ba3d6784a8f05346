"""`make bench`: where the pipeline's time goes, measured side by side in one run.

Everything is a ratio of two things measured in this same run on this same machine (a
shared, noisy one): the pipeline against its floors (`snakemake --version`, `python -c
"import numpy"`), `--cores 2` against `--cores 1`, the numpy engine against PyTorch and
against the same arithmetic written inline. Writes `reports/benchmark.md`.
"""

from __future__ import annotations

import argparse
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

from backprop_lab.core.engines import make_engine
from backprop_lab.core.network import NetSpec, init_params
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


def pipeline_times(source: Path, workroot: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["snakemake_version"] = median_wall([*SNAKEMAKE, "--version"], 3)
    out["import_numpy"] = median_wall([sys.executable, "-c", "import numpy"], 5)
    for cores in (1, 2):
        work = workroot / f"cores{cores}"
        if work.exists():
            shutil.rmtree(work)
        copy_pipeline(source, work)
        out[f"cold_cores{cores}"], log = wall([*SNAKEMAKE, "--cores", str(cores)], work)
        out[f"cold_jobs_cores{cores}"] = jobs_run(log)
    work = workroot / "cores2"
    out["noop"] = median_wall([*SNAKEMAKE, "--cores", "2"], 3, work)
    out["step_variant"], changed = _change_one_step(work / "config" / "config.yaml")
    out["step_rerun"], log = wall([*SNAKEMAKE, "--cores", "2"], work)
    out["step_rerun_jobs"] = jobs_run(log)
    out["step_rerun_note"] = changed
    out["overhead"] = job_overheads(work)
    return out


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
    import pandas as pd

    tables = sorted((work / "reports" / "tables").glob("*_run_times.csv"))
    times = pd.concat([pd.read_csv(path) for path in tables], ignore_index=True)
    rows = []
    for _, run in times.iterrows():
        bench = work / "benchmarks" / "train" / f"{run['run_id']}.tsv"
        job_seconds = float(pd.read_csv(bench, sep="\t")["s"].iloc[0])
        rows.append({"engine": run["engine"], "overhead": job_seconds - float(run["seconds"])})
    frame = pd.DataFrame(rows)
    return {
        engine: {
            "median": float(g["overhead"].median()),
            "max": float(g["overhead"].max()),
            "jobs": len(g),
        }
        for engine, g in frame.groupby("engine")
    }


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
                engine.update(grads, step)

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


# --- the table --------------------------------------------------------------------------


def render(p: dict[str, Any], e: dict[str, Any]) -> str:
    def ms(s: float) -> str:
        return f"{s * 1e3:.0f} ms" if s < 10 else f"{s:.1f} s"

    def us(s: float) -> str:
        return f"{s * 1e6:.1f} µs"

    def check(ok: bool) -> str:
        return "met" if ok else "**not met**"

    rows = []
    speedup = p["cold_cores1"] / p["cold_cores2"]
    rows.append(
        (
            "cold full pipeline, `--cores 1`",
            ms(p["cold_cores1"]),
            f"{p['cold_jobs_cores1']} jobs",
            "",
            "",
        )
    )
    rows.append(
        (
            "cold full pipeline, `--cores 2`",
            ms(p["cold_cores2"]),
            f"speed-up over `--cores 1`: {speedup:.2f}×",
            "≥ 1.7×",
            check(speedup >= 1.7),
        )
    )
    noop = p["noop"] / p["snakemake_version"]
    rows.append(
        (
            "no-op rerun",
            ms(p["noop"]),
            f"{noop:.2f}× `snakemake --version` ({ms(p['snakemake_version'])})",
            "≤ 2×",
            check(noop <= 2),
        )
    )
    rows.append(
        (
            f"rerun after one step change ({p['step_variant']}, {p['step_rerun_note']})",
            ms(p["step_rerun"]),
            f"{p['step_rerun_jobs']} jobs rerun",
            "",
            "",
        )
    )
    for engine, o in sorted(p["overhead"].items()):
        ratio = o["median"] / p["import_numpy"]
        target = ("≤ 2×", check(ratio <= 2)) if engine == "numpy" else ("", "")
        rows.append(
            (
                f"per-job overhead, {engine} training jobs ({o['jobs']})",
                f"median {ms(o['median'])}, max {ms(o['max'])}",
                f'median {ratio:.2f}× `python -c "import numpy"` ({ms(p["import_numpy"])})',
                *target,
            )
        )
    for size, label in (
        ("small", "2-2-2 net, one GD round"),
        ("large", "[2, 256, 64, 1] net, one SGD step"),
    ):
        t = e[size]
        floor = t["numpy"] / t["inline"]
        vs_torch = t["torch"] / t["numpy"]
        rows.append(
            (
                f"numpy engine, {label}",
                us(t["numpy"]),
                f"{floor:.2f}× the inline floor ({us(t['inline'])})",
                "≤ 1.5×" if size == "large" else "",
                check(floor <= 1.5) if size == "large" else "",
            )
        )
        rows.append(
            (
                f"PyTorch engine, {label}",
                us(t["torch"]),
                f"numpy is {vs_torch:.2f}× faster",
                "numpy faster",
                check(vs_torch > 1),
            )
        )
    seeds = e["large"]["numpy_5_seeds"] / e["large"]["numpy"]
    rows.append(
        (
            "5 seeds stacked vs 1 seed, [2, 256, 64, 1] SGD step",
            us(e["large"]["numpy_5_seeds"]),
            f"{seeds:.2f}× one seed",
            "≤ 2×",
            check(seeds <= 2),
        )
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
    return "\n".join(lines) + "\n"


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
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as in the pipeline's jobs (threads: 1)
    engines = engine_times()
    if args.skip_pipeline:
        print(yaml.safe_dump(engines))
        return
    pipeline = pipeline_times(Path(args.source).resolve(), Path(args.workdir).resolve())
    text = render(pipeline, engines)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
