"""The benchmark's reading of a pipeline run (tools/bench/pipeline.py): each training
job's start-up is its benchmark file's wall minus the "ran in" line of its log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))

from bench import pipeline  # noqa: E402


def _job(work: Path, rel: str, engine: str, wall: float, ran_in: float) -> None:
    """One finished training job's run JSON, log and Snakemake benchmark file."""
    for folder, suffix, text in (
        (
            "results/runs",
            ".json",
            json.dumps(
                {"settings": {"lab": "hand_222", "engine": engine}, "result": {"seconds": 0.01}}
            ),
        ),
        ("logs/train", ".log", f"hand_222/{rel}: ran in {ran_in} s\n"),
        ("benchmarks/train", ".tsv", f"s\th:m:s\tmax_rss\n{wall}\t0:00:01\t80.0\n"),
    ):
        path = work / folder / f"{rel}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_start_up_is_the_wall_minus_the_run_even_for_a_dotted_variant(tmp_path: Path) -> None:
    # a variant named with a decimal point: its files are "init_std-0.1.json" and so on,
    # which a suffix swap on the stem would have read as "init_std-0.log"
    _job(tmp_path, "init/init_std-0.1", "numpy", wall=0.30, ran_in=0.10)
    _job(tmp_path, "init/init_std-10.0", "numpy", wall=0.50, ran_in=0.20)
    _job(tmp_path, "engine/torch", "torch", wall=2.00, ran_in=0.50)
    measured = pipeline.job_overheads(tmp_path)
    assert measured["numpy"]["jobs"] == 2
    assert measured["numpy"]["median"] == pytest.approx(0.25)  # (0.20 + 0.30) / 2
    assert measured["numpy"]["max"] == pytest.approx(0.30)
    assert measured["torch"]["median"] == pytest.approx(1.50)
