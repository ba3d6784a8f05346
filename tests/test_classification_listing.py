"""The classification lab as its author ran it: an as-listed variant with seed s equals the
lab's own listing (tests/lab_listings/classification_listing.py) run after
`np.random.seed(s)`, on both tasks, and each correction changes what it should."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import ROOT

from backprop_lab.labs.classification import run as classification
from lab_listings import classification_listing as listing

EPOCHS = 3
SEEDS = [3, 11]


def as_listed(task: str, seeds: list[int], **changes: object) -> dict:
    """The default config's classification baseline (the lab as listed), a few epochs."""
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())["classification"]
    settings = {**config["baseline"], "task": task, "max_epochs": EPOCHS, **changes}
    return {**settings, "seeds": seeds, "grid_points": 3}


def listing_run(task: str, seed: int, **kwargs: object) -> dict:
    np.random.seed(seed)
    return listing.main(task, epochs=EPOCHS, **kwargs)


@pytest.mark.parametrize("task", ["xor", "linear"])
def test_as_listed_equals_the_listing(task: str) -> None:
    run = classification.run(as_listed(task, SEEDS))
    for s, seed in enumerate(SEEDS):
        ref = listing_run(task, seed)
        # the same data in the same order: the seed draws the linear task's points first
        assert np.array_equal(run["points"][s]["x1"], ref["x"][:, 0])
        assert run["points"][s]["label"] == ref["y"][:, 0].tolist()
        # every epoch's total loss and every final output, to 1e-12
        assert len(run["loss"][s]) == EPOCHS == len(ref["loss"])
        np.testing.assert_allclose(run["loss"][s], ref["loss"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(run["outputs"][s], ref["outputs"], rtol=0, atol=1e-12)


def test_as_listed_with_three_layers_equals_the_listing() -> None:
    run = classification.run(as_listed("xor", [5], hidden=[256, 64, 32]))
    ref = listing_run("xor", 5, layers=3)
    np.testing.assert_allclose(run["loss"][0], ref["loss"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(run["outputs"][0], ref["outputs"], rtol=0, atol=1e-12)


def test_the_listing_interleaves_the_xor_classes() -> None:
    run = classification.run(as_listed("xor", [0]))
    assert run["points"][0]["label"] == [0, 1] * 5 + [0] + [0, 1] * 5
    assert run["points"][0]["x1"][3] == 0.1 * 1 and run["points"][0]["x2"][3] == 1 - 0.1 * 1


@pytest.mark.parametrize(
    "change",
    [
        {"order": "grouped"},
        {"order": "shuffled"},
        {"loss_gradient": "exact"},
        {"seeding": "separate"},
        {"lr": 0.02},
    ],
    ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()),
)
def test_each_correction_departs_from_the_listing(change: dict) -> None:
    """A correction is not the listing (so the listing test above can fail)."""
    run = classification.run(as_listed("xor", [3], **change))
    ref = listing_run("xor", 3)
    assert np.max(np.abs(np.array(run["loss"][0]) - ref["loss"])) > 1e-6, change


def test_the_exact_gradient_is_the_listed_one_at_twice_the_learning_rate() -> None:
    """The listing's MSELoss.backward returns half the MSE's gradient: its runs equal exact
    gradients at half the learning rate, bit for bit."""
    half = classification.run(as_listed("xor", [3]))
    exact = classification.run(as_listed("xor", [3], loss_gradient="exact", lr=0.005))
    assert half["loss"] == exact["loss"] and half["outputs"] == exact["outputs"]


def test_clipping_changes_only_inputs_beyond_ten() -> None:
    """Clipped and plain sigmoid agree while no pre-activation leaves [−10, 10] (a small
    network) and differ once some do: with the listing's randn(256, 64) weights, the second
    layer's pre-activations (sums of 256 terms of standard deviation about 0.5) often do."""
    small = {"hidden": [4]}
    clipped = classification.run(as_listed("xor", [3], **small))
    plain = classification.run(as_listed("xor", [3], activation="sigmoid", **small))
    np.testing.assert_allclose(clipped["loss"][0], plain["loss"][0], rtol=1e-12)
    wide_clipped = classification.run(as_listed("xor", [3]))
    wide_plain = classification.run(as_listed("xor", [3], activation="sigmoid"))
    assert abs(wide_clipped["loss"][0][0] - wide_plain["loss"][0][0]) > 1e-4


def test_stopping_rules() -> None:
    """As listed, the rule fires only when the epoch loss itself is below tol; a plateau rule
    stops on a small change; `none` never stops early."""
    big_tol = {"max_epochs": 40, "tol": 0.5}
    listed = classification.run(as_listed("xor", [3], **big_tol))
    plateau = classification.run(as_listed("xor", [3], stop="plateau", **big_tol))
    never = classification.run(as_listed("xor", [3], stop="none", **big_tol))
    assert never["stop_reason"] == ["max_epochs"] and never["epochs_run"] == [40]
    assert plateau["stop_reason"] == ["plateau"] and plateau["epochs_run"][0] < 40
    losses = np.array(never["loss"][0])
    assert abs(losses[plateau["epochs_run"][0] - 1] - losses[plateau["epochs_run"][0] - 2]) < 0.5
    first_below = int(np.argmax(losses < 0.5)) + 1 if (losses < 0.5).any() else None
    if first_below is None:
        assert listed["stop_reason"] == ["max_epochs"]
    else:
        assert listed["stop_reason"] == ["converged"] and listed["epochs_run"] == [first_below]
