"""What a long run keeps, and the size of the work estimated (and bounded) before any job."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from conftest import ROOT, copy_pipeline, snakemake
from test_config_validation import TINY

from backprop_lab import budget
from backprop_lab.configuration import (
    ConfigError,
    estimate_work,
    expand_variants,
    experiments,
    validate_config,
)
from backprop_lab.core import retention
from backprop_lab.labs.hand_222 import run as hand_222_run
from backprop_lab.labs.hand_222 import tables as hand_222_tables

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def test_kept_rounds_every_round_then_log_spaced() -> None:
    assert retention.kept_rounds(1) == [1]
    assert retention.kept_rounds(1000) == list(range(1, 1001))
    kept = retention.kept_rounds(1_000_000, [10, 5000, 123_457])
    # every round up to the limit, 100 per decade after it, the checkpoints, the round
    # before each (the weights it starts from) and the last
    assert kept[:1000] == list(range(1, 1001))
    assert {5000, 4999, 123_457, 123_456, 1_000_000} <= set(kept)
    assert len(kept) == 1000 + 300 + 4
    assert kept == sorted(set(kept))
    gaps = np.diff(np.log10(kept[1000:]))
    assert gaps.max() <= 1.05 / retention.KEPT_PER_DECADE  # rounding to whole rounds


def _settings(rounds: int, checkpoints: list[int]) -> dict:
    settings = copy.deepcopy(expand_variants(TINY)["hand_222/engine/numpy"])
    settings.update(rounds=rounds, checkpoints=checkpoints, init="normal", seeds=[0, 1])
    return settings


def test_a_long_run_keeps_its_kept_rounds_and_summarises_every_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bugs caught: a kept round filled with another round's values, a summary taken over the
    kept rounds only, a checkpoint's 'before' weights taken from the wrong round."""
    settings = _settings(2500, [1, 10, 2000])
    bounded = hand_222_run.run(settings)
    monkeypatch.setattr(retention, "KEEP_EVERY_ROUND", 10**6)
    full = hand_222_run.run(settings)
    kept = bounded["rounds_kept"]
    assert len(full["rounds_kept"]) == 2500 and len(kept) < 2500
    assert {1999, 2000, 2500} <= set(kept)
    for s in range(2):
        full_loss = np.array(full["loss"][s])
        assert bounded["loss"][s] == full_loss[np.array(kept) - 1].tolist()
        full_weights = np.array(full["weights"][s])
        assert bounded["weights"][s] == full_weights[np.array(kept) - 1].tolist()
        assert bounded["min_loss"][s] == full_loss.min()
        for key in ("initial_loss", "final_loss", "min_loss", "round_within_1pct"):
            assert bounded[key][s] == full[key][s], key
    runs = [{"settings": settings, "result": r} for r in (bounded, full)]
    summary, checkpoints, _ = hand_222_tables.summary_tables(runs[:1])
    summary_full, checkpoints_full, _ = hand_222_tables.summary_tables(runs[1:])
    assert summary.equals(summary_full)
    assert checkpoints.equals(checkpoints_full)


def test_the_largest_rounds_keep_a_small_run_file(tmp_path) -> None:
    """A run of 100,000 rounds × 2 seeds keeps 1,200 rounds: its JSON is under 1 MB (it was
    about 35 MB when every round's weights were kept)."""
    result = hand_222_run.run(_settings(100_000, [10]))
    text = json.dumps(result)
    assert len(result["rounds_kept"]) == 1000 + 200  # two decades past 1,000, the last included
    assert len(text) < 1_000_000


def test_the_estimate_counts_every_training_step() -> None:
    runs = expand_variants(TINY)
    found = estimate_work(runs)
    hand = {r: s for r, s in runs.items() if s["lab"] == "hand_222"}
    assert {r: found.costs[r].steps for r in hand} == {r: s["rounds"] for r, s in hand.items()}
    assert found.jobs == len(runs)
    assert found.steps == sum(c.steps for c in found.costs.values())
    # more rounds, more seconds; more seeds, more memory
    settings = _settings(1000, [10])
    lab = __import__("backprop_lab.labs.hand_222", fromlist=["LAB"]).LAB
    more = lab.cost({**settings, "rounds": 10_000})
    assert more.cpu_seconds > lab.cost(settings).cpu_seconds
    assert lab.cost({**settings, "seeds": list(range(50))}).memory_bytes > more.memory_bytes


def test_a_config_over_budget_is_refused_and_a_raised_budget_accepts_it() -> None:
    config = copy.deepcopy(TINY)
    config["hand_222"]["baseline"]["rounds"] = 1_000_000
    config["budget"] = {"cpu_hours": 0.01}
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    message = str(err.value)
    assert message.startswith("config key budget.cpu_hours: estimated CPU time is about")
    assert "hand_222/engine/numpy" in message and "rounds 1000000" in message
    config["budget"] = {"cpu_hours": 1}
    found = validate_config(config, SCHEMA)
    assert 0.01 * 3600 < found.cpu_seconds < 3600
    assert budget.limits(config)["job_memory_gb"] == budget.BUDGET["job_memory_gb"]


def test_snakemake_prints_the_size_of_the_work_before_any_job(tmp_path) -> None:
    work = copy_pipeline(tmp_path / "w", TINY)
    done = snakemake(work, "-n", "--cores", "2")
    found = estimate_work(experiments(expand_variants(TINY))[0])
    line = next(x for x in done.stderr.splitlines() if x.startswith("backprop-lab: "))
    assert f"{found.jobs} training jobs" in line
    assert "--cores 2" in line and "of CPU" in line and "of memory" in line
