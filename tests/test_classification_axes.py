"""The classification lab's findings on the settings beyond the listing (batch size,
update rule, loss, initial scale), on small synthetic summary tables."""

from __future__ import annotations

from typing import Any

import pandas as pd

from backprop_lab.labs.classification import findings as classification

BASE = {
    "task": "xor",
    "lr": 0.01,
    "max_epochs": 1000,
    "n_train": 21,
    "batch_size": "1",
    "update_rule": "sgd",
    "loss_function": "mse",
    "output_activation": "identity",
    "loss_gradient": "listed",
    "seeding": "listed",
    "init_std": 1.0,
}


def _run(
    name: str, changes: dict[str, Any], accs: list[float], losses: list[float], **per_seed: Any
) -> list[dict[str, Any]]:
    """One run's rows, a row per seed."""
    keys = ["loss" if k == "loss_function" else k for k in changes if k != "task"]
    rows = []
    for seed, (acc, loss) in enumerate(zip(accs, losses)):
        row = {**BASE, **changes, "run_id": f"classification/{name}", "seed": seed}
        row.update(
            changed=",".join(sorted(keys)),
            settings_key=name,
            train_accuracy=acc,
            test_accuracy=None,
            final_loss=loss,
            diverged_epoch=per_seed.get("diverged", [None] * len(accs))[seed],
            epochs_run=per_seed.get("epochs", [1000] * len(accs))[seed],
            stop_reason=per_seed.get("stops", ["max_epochs"] * len(accs))[seed],
        )
        rows.append(row)
    return rows


def _runs(*runs: list[dict[str, Any]]) -> classification._Runs:
    return classification._Runs(pd.DataFrame([row for run in runs for row in run]))


BASELINE = _run("base", {}, [1.0, 0.5, 1.0], [0.2, 4.0, 0.4])


def test_batch_size_steps_accuracy_and_loss_per_sample() -> None:
    full = _run("full", {"batch_size": "full"}, [0.5, 0.5, 1.0], [0.01, 0.2, 0.03])
    (found,) = classification._batch_size(_runs(BASELINE, full))
    assert found["steps_ratio"] == 21
    text = found["text"]
    assert "full batch takes 21× fewer steps (1000 steps against 21000" in text
    # full batch 66.7 %, per sample 83.3 %: 16.7 points lower
    assert "66.7 % ± 28.9 %, 1 of 3 seeds at 100 %" in text
    assert "83.3 % ± 28.9 %, 2 of 3 seeds at 100 %" in text
    assert "a train accuracy 16.7 points lower than per-sample SGD" in text
    # the per-sample sum (1.533) divided by the 21 samples
    assert "(1.533, 0.07302 per sample)" in text
    assert "mean over the 21 samples (0.08)" in text
    # the accuracies swapped: the sentence turns
    swapped = _run("full", {"batch_size": "full"}, [1.0, 1.0, 1.0], [0.01, 0.2, 0.03])
    (found,) = classification._batch_size(_runs(BASELINE, swapped))
    assert "points higher than per-sample SGD" in found["text"]
    assert "3 of 3 seeds at 100 %" in found["text"]


def test_batch_size_needs_both_points() -> None:
    assert classification._batch_size(_runs(BASELINE)) == []


def test_update_rule_ranking_convergence_and_losses() -> None:
    momentum = _run("momentum", {"update_rule": "momentum"}, [0.5, 0.5, 0.6], [4.5, 50.0, 112.0])
    adam = _run(
        "adam",
        {"update_rule": "adam"},
        [1.0, 1.0, 1.0],
        [0.0005, 0.0009, 0.01],
        epochs=[300, 412, 1000],
        stops=["converged", "converged", "max_epochs"],
    )
    (found,) = classification._update_rule(_runs(BASELINE, momentum, adam))
    text = found["text"]
    assert "adam: train accuracy 100.0 % ± 0.0 %, 3 of 3 seeds at 100 %, 2 of 3 converged" in text
    assert "300–1000 epochs" in text
    assert "highest with update rule adam (100.0 %) and lowest with momentum (53.3 %)" in text
    assert "momentum's final epoch losses (4.5–112) lie above every sgd seed's (0.2–4)" in text
    assert "adam's final epoch losses (5.00e−4–0.01) lie below every sgd seed's" in text
    # momentum and sgd swap their accuracies: so does the ranking
    momentum = _run("momentum", {"update_rule": "momentum"}, [1.0, 1.0, 1.0], [2.7, 50.0, 1.0])
    slow = _run("base", {}, [0.5, 0.5, 0.6], [0.2, 4.0, 0.4])
    (found,) = classification._update_rule(_runs(slow, momentum))
    assert (
        "highest with update rule momentum (100.0 %) and lowest with sgd (53.3 %)" in found["text"]
    )
    assert "overlap sgd's" in found["text"]


def test_update_rule_diverged_seeds_are_counted() -> None:
    momentum = _run(
        "momentum",
        {"update_rule": "momentum"},
        [0.5, 0.5, 0.5],
        [float("nan"), 3.0, 5.0],
        diverged=[12, None, None],
        epochs=[12, 1000, 1000],
        stops=["diverged", "max_epochs", "max_epochs"],
    )
    (found,) = classification._update_rule(_runs(BASELINE, momentum))
    assert "1 of 3 diverged (seed 0 at epoch 12)" in found["text"]
    # the diverged seed's loss is left out
    assert "momentum's final epoch losses (3–5)" in found["text"]


def test_loss_compares_accuracies_not_losses() -> None:
    bce = _run(
        "bce",
        {"loss_function": "bce", "output_activation": "sigmoid", "loss_gradient": "exact"},
        [1.0, 1.0, 1.0],
        [0.5, 0.6, 0.7],
    )
    # a run changing only the loss gradient is not on this axis
    exact = _run("exact", {"loss_gradient": "exact"}, [0.0, 0.0, 0.0], [9.0, 9.0, 9.0])
    (found,) = classification._loss(_runs(BASELINE, exact, bce))
    assert [r["value"] for r in found["rows"]] == ["mse", "bce"]
    text = found["text"]
    assert "bce (also loss_gradient, output_activation changed)" in text
    assert "a train accuracy 16.7 points higher than mse" in text
    assert "not compared" in text
    bce = _run("bce", {"loss_function": "bce"}, [0.5, 0.5, 0.5], [0.5, 0.6, 0.7])
    (found,) = classification._loss(_runs(BASELINE, bce))
    assert "a train accuracy 33.3 points lower than mse" in found["text"]


def test_init_scale_takes_separate_seeding_only() -> None:
    def scale(std: float, accs: list[float]) -> list[dict[str, Any]]:
        changes = {"seeding": "separate", "init_std": std}
        return _run(f"std{std}", changes, accs, [1.0, 1.0, 1.0])

    # the listed baseline (init_std 1, listed seeding, 83.3 %) must not stand for init_std 1
    runs = _runs(
        BASELINE,
        scale(10.0, [0.5, 0.5, 0.5]),
        scale(1.0, [1.0, 1.0, 1.0]),
        scale(0.1, [0.6, 0.6, 0.6]),
    )
    (found,) = classification._init_scale(runs)
    assert [r["value"] for r in found["rows"]] == ["0.1", "1", "10"]
    assert found["rows"][1]["acc_mean"] == 1.0
    assert "highest with init_std 1 (100.0 %) and lowest with 10 (50.0 %)" in found["text"]
