"""The worked examples' speed targets, measured for `make bench` (never in the tests):

- a worked example of 10,000 rounds trains in under 1 s of CPU (Mazur's, per-sample);
- the departure search over the 2-2-2 lab's printed numbers takes under 10 s of CPU;
- the shared examples and the 2-2-2 lab's files with their default variants run cold at
  `--cores 2` in under 60 s (a pipeline copy whose config holds only the worked lab).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROUNDS = 10_000


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def measure(source: Path) -> dict[str, Any]:
    """CPU seconds of the 10,000-round training and of the seed lab's ledger search."""
    from backprop_lab.worked.backprop import Net
    from backprop_lab.worked.example import read
    from backprop_lab.worked.model import Model
    from backprop_lab.worked.verdicts import ledger_rows

    mazur = Model(read(source / "examples/mazur-2-2-2.yaml"))
    net = Net(mazur.graph, mazur.stated)
    train = cpu(lambda: net.train(mazur.x, mazur.y, {ROUNDS}))
    files = sorted((source / "src/backprop_lab/labs/hand_222/examples").glob("*.yaml"))
    examples = [read(f) for f in files]
    printed = sum(len(d["printed"]) for d in examples)
    search = cpu(lambda: [ledger_rows(d, "") for d in examples])
    return {"train_10000": train, "seed_search": search, "seed_printed": printed}


def cold_pipeline(source: Path, work: Path) -> dict[str, Any]:
    """The default config's worked section alone, cold in a fresh copy at --cores 2."""
    from backprop_lab.workspace import copy_pipeline

    if work.exists():
        import shutil

        shutil.rmtree(work)
    copy_pipeline(source, work)
    config = yaml.safe_load((work / "config/config.yaml").read_text())
    only = {k: config[k] for k in ("report", "seeds", "worked")}
    (work / "config/config.yaml").write_text(yaml.safe_dump(only, sort_keys=False))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    jobs = done.stdout.count("rule train:") + done.stderr.count("rule train:")
    return {"cold": wall, "train_jobs": jobs}


def rows(w: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """The benchmark table's rows: measure, time, compared with, target, met."""
    out = [
        (
            f"a worked example of {ROUNDS:,} rounds (Mazur's 2-2-2, per sample)",
            f"{w['train_10000']:.2f} s CPU",
            "",
            "< 1 s",
            w["train_10000"] < 1,
        ),
        (
            f"departure search over the 2-2-2 lab's {w['seed_printed']} printed numbers",
            f"{w['seed_search']:.2f} s CPU",
            "",
            "< 10 s",
            w["seed_search"] < 10,
        ),
    ]
    if "cold" in w:
        out.append(
            (
                f"worked examples with their default variants cold ({w['train_jobs']} jobs), "
                "`--cores 2`",
                f"{w['cold']:.1f} s",
                "",
                "< 60 s",
                w["cold"] < 60,
            )
        )
    return out
