"""The Playground lab: a run, its tables and its findings on hand-made tables."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from backprop_lab.configuration import expand_variants
from backprop_lab.findings import FAILS, HOLDS, PARTLY
from backprop_lab.labs.playground import findings, run, tables
from conftest import load_test_config

CONFIG = load_test_config()
RUNS = expand_variants(CONFIG)
SECTION = CONFIG["playground"]


def _run(run_id: str, **changes) -> dict:
    settings = copy.deepcopy(RUNS[run_id])
    settings.update(changes)
    return {"settings": settings, "result": run.run(settings)}


def test_zero_initialisation_keeps_the_hidden_units_identical_and_random_does_not() -> None:
    zero = _run("playground/init/init-zero", hidden=[3, 2])
    random = _run("playground/init/init-random", hidden=[3, 2])
    built = tables.build([zero, random], SECTION)["playground_summary"]
    by_init = built.groupby("init")["identical_hidden_units"].apply(set)
    assert by_init["zero"] == {True} and by_init["random"] == {False}
    # the first layer's units have equal weights, and the network still learns its output
    W = np.array(zero["result"]["weights"][0][0])
    assert np.ptp(W, axis=1).max() == 0.0


def test_a_run_and_its_tables() -> None:
    one = _run("playground/dataset/dataset-moons")
    result = one["result"]
    S, epochs = len(CONFIG["seeds"]), SECTION["baseline"]["epochs"]
    for key in ("train_loss", "test_data_loss", "train_accuracy", "test_accuracy"):
        assert np.array(result[key]).shape == (S, epochs), key
    built = tables.build([one], SECTION)
    grid = built["playground_grid"]
    assert len(grid) == SECTION["grid_points"] ** 2
    assert grid["share_class_1"].between(0, 1).all()
    # the share is the seeds' vote: a point where every seed says 1 has share 1
    outputs = np.array(result["grid"]["outputs"])
    np.testing.assert_array_equal(
        grid["share_class_1"].to_numpy(), (outputs > result["threshold"]).mean(axis=0)
    )
    points = built["playground_points"]
    assert (points["part"] == "test").mean() == pytest.approx(SECTION["test_fraction"])
    units = SECTION["baseline"]["hidden"][0]
    assert len(built["playground_neurons"]) == units * SECTION["neuron_grid_points"] ** 2
    summary = built["playground_summary"]
    accuracy = np.array(result["test_accuracy"])[:, -1]
    np.testing.assert_allclose(summary["test_accuracy"], accuracy)


def _per_run(rows: list[dict]) -> pd.DataFrame:
    base = {
        "axis": "a",
        "variant": "v",
        "dataset": "circle",
        "hidden": "none",
        "features": "x1,x2",
        "seeds": 5,
        "test_std": 0.01,
        "train_mean": 0.9,
        "loss_mean": 0.1,
        "epochs_median": None,
        "reached": 0,
        "diverged": 0,
        "changed": "dataset,hidden",
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["run_id"] = [f"playground/a/{i}" for i in range(len(frame))]
    frame["settings_key"] = frame["run_id"]
    return frame


@pytest.mark.parametrize(
    "solved, verdict",
    [({"gauss"}, HOLDS), ({"gauss", "moons"}, FAILS), (set(), FAILS)],
)
def test_the_linear_claim_follows_the_solved_data_sets(solved: set, verdict: str) -> None:
    target = 0.9
    rows = [
        {"dataset": d, "test_mean": target if d in solved else target - 1e-9}
        for d in ("circle", "xor", "gauss", "moons")
    ]
    claim = findings._linear(_per_run(rows), target)["claims"][0]
    assert claim.verdict == verdict


def test_the_feature_claim_holds_partly_when_one_of_circle_and_xor_is_solved() -> None:
    rows = [
        {
            "dataset": "circle",
            "features": "x1,x2,x1_sq",
            "changed": "dataset,hidden,features",
            "test_mean": 0.95,
        },
        {
            "dataset": "xor",
            "features": "x1,x2,x1_sq",
            "changed": "dataset,hidden,features",
            "test_mean": 0.6,
        },
    ]
    claims = findings._linear(_per_run(rows), 0.9)["claims"]
    assert [c.verdict for c in claims] == [PARTLY]


@pytest.mark.parametrize(
    "adam_epochs, adam_sd, clear",
    [([5, 6, 7], 0.05, True), ([5, 30, 7], 0.08, False)],
)
def test_the_update_rule_finding_says_first_and_best_only_when_the_seeds_agree(
    adam_epochs: list[int], adam_sd: float, clear: bool
) -> None:
    """Adam against SGD (90 % ± 1 %, 10-30 epochs): first only if every Adam seed gets there
    before any SGD seed; best only if 97 % - adam_sd stays above 91 %."""
    rule = {"reached": 3, "seeds": 3}
    per_run = _per_run(
        [
            rule | {"update_rule": "sgd", "changed": "", "test_mean": 0.9, "epochs_median": 20.0},
            rule
            | {"update_rule": "adam", "changed": "update_rule", "test_mean": 0.97}
            | {"test_std": adam_sd, "epochs_median": float(np.median(adam_epochs))},
        ]
    )
    epochs = [10, 20, 30, *adam_epochs]
    summary = pd.DataFrame({"run_id": per_run["run_id"].repeat(3), "epochs_to_target": epochs})
    found = findings._update_rules(per_run, summary, 0.9)
    assert found["first"].startswith("Adam reaches 90.0 % test accuracy first")
    assert ("before any seed of SGD" in found["first"]) == clear
    assert ("not clearly first" in found["first"]) != clear
    assert found["best"].startswith("The best final test accuracy is Adam's")
    assert found["best"].endswith("do not overlap.") == clear
