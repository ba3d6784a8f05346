"""Stacking the seeds' runs of one variant (`seed_jobs: true`, backprop_lab.stacking): each
lab's declaration gives the stacked run exactly, and a declaration that misses a
per-replica key stops with its path instead of writing a wrong run file. The pipeline
test (test_reproducibility) compares every table of both ways."""

from __future__ import annotations

import importlib
import json

import pytest
from conftest import distinct_runs, load_test_config

from backprop_lab import labs
from backprop_lab.stacking import AXIS, FIRST, ROWS, stack


def _plain(result: dict) -> dict:
    """A result without its wall times, as JSON (numpy scalars as numbers)."""
    kept = {k: v for k, v in result.items() if not k.startswith("seconds")}
    return json.loads(json.dumps(kept, default=float))


def _one_seeded_variant_per_lab() -> list[tuple[str, dict]]:
    found = {}
    for run_id, settings in distinct_runs(load_test_config()).items():
        lab = settings["lab"]
        seeded = len(settings.get("seeds") or []) > 1
        if lab not in found and seeded and labs.get(lab).replicas:
            found[lab] = (run_id, settings)
    return list(found.values())


CASES = _one_seeded_variant_per_lab()


@pytest.mark.parametrize("run_id, settings", CASES, ids=[r for r, _ in CASES])
def test_the_seeds_runs_stack_into_the_stacked_run(run_id: str, settings: dict) -> None:
    """Per lab: each seed trained alone, stacked by the lab's `replicas`, equals the run of
    all seeds stacked (every key but the wall times). Fails when a lab's declaration
    misses a key, names a wrong one, or orders rows otherwise than the stacked run."""
    run = importlib.import_module(f"backprop_lab.labs.{settings['lab']}.run").run
    whole = run(dict(settings))
    parts = [run({**settings, "seeds": [seed]}) for seed in settings["seeds"]]
    assert _plain(stack(parts, labs.get(settings["lab"]).replicas)) == _plain(whole)


def test_every_seeded_lab_of_the_test_config_is_covered() -> None:
    assert {s["lab"] for _, s in CASES} == {
        "hand_222",
        "gradient_equality",
        "classification",
        "playground",
        "worked",
    }


RUNS = [
    {"loss": [[1.0, 0.5]], "rows": [{"dtype": "a", "seed": 0}, {"dtype": "b", "seed": 0}],
     "maps": "seed 0", "steps": 10, "seconds": 1.5},
    {"loss": [[2.0, 0.7]], "rows": [{"dtype": "a", "seed": 1}, {"dtype": "b", "seed": 1}],
     "maps": "seed 1", "steps": 10, "seconds": 2.0},
]  # fmt: skip


def test_each_way_of_stacking() -> None:
    out = stack(RUNS, {"loss": AXIS, "rows": (ROWS, "dtype"), "maps": FIRST})
    assert out["loss"] == [[1.0, 0.5], [2.0, 0.7]]
    assert [(r["dtype"], r["seed"]) for r in out["rows"]] == [
        ("a", 0),
        ("a", 1),
        ("b", 0),
        ("b", 1),
    ]
    assert out["maps"] == "seed 0" and out["steps"] == 10 and out["seconds"] == 3.5
    assert stack(RUNS, {"loss": AXIS, "rows": ROWS, "maps": FIRST})["rows"][1]["dtype"] == "b"


def test_an_undeclared_per_seed_key_stops_the_stacking_with_its_path() -> None:
    with pytest.raises(ValueError, match=r"result\.maps differs between the seeds' runs"):
        stack(RUNS, {"loss": AXIS, "rows": ROWS})
    with pytest.raises(ValueError, match=r"result\.steps: a seed's run holds int"):
        stack(RUNS, {"loss": AXIS, "rows": ROWS, "maps": FIRST, "steps": AXIS})
