"""Every lab's findings on small hand-made tables: each claim's verdict is pinned, from the
side where it changes (a value just past a threshold gives the other verdict)."""

from __future__ import annotations

import pandas as pd
import pytest

from backprop_lab.findings import FAILS, HOLDS, PARTLY, UNCHECKED, Claim
from backprop_lab.labs.classification import findings as classification
from backprop_lab.labs.gradient_equality import findings as gradient
from backprop_lab.labs.hand_222 import findings as hand
from backprop_lab.labs.timing import findings as timing

# --- the 2-2-2 lab --------------------------------------------------------------------


def test_engines_agree_only_below_the_threshold() -> None:
    below = hand._engine_claim([{"max_weight_diff": hand.ENGINE_AGREEMENT * 0.99}])
    above = hand._engine_claim([{"max_weight_diff": hand.ENGINE_AGREEMENT * 1.01}])
    assert (below.verdict, above.verdict) == (HOLDS, FAILS)
    assert hand._engine_claim([]).verdict == UNCHECKED


def test_sigmoid_speed_claim_follows_the_faster_one() -> None:
    builtin = hand._sigmoid_claim([{"faster": "builtin", "ratio": 1.4}])
    handwritten = hand._sigmoid_claim([{"faster": "hand", "ratio": 1.1}])
    assert (builtin.verdict, handwritten.verdict) == (HOLDS, FAILS)
    assert "1.4" in builtin.evidence and "1.1" in handwritten.evidence


def test_mseloss_claim_turns_on_the_doubled_step_trajectory() -> None:
    same = hand._loss_impl_claim([{"half_double": "r", "max_weight_diff_double": 0.0}])
    apart = hand._loss_impl_claim([{"half_double": "r", "max_weight_diff_double": 1e-6}])
    assert (same.verdict, apart.verdict) == (FAILS, HOLDS)
    assert hand._loss_impl_claim([{"mse": "r"}]).verdict == UNCHECKED


def test_prefix_claim() -> None:
    exact = {"prefix_pairs": 3, "all_prefix_exact": True, "prefix_max_diff": 0.0}
    off = {"prefix_pairs": 3, "all_prefix_exact": False, "prefix_max_diff": 1e-9}
    assert hand._prefix_claim(exact).verdict == HOLDS
    assert hand._prefix_claim(off).verdict == FAILS
    assert hand._prefix_claim({"prefix_pairs": 0}).verdict == UNCHECKED


def _step_summary(finals: dict[float, float]) -> pd.DataFrame:
    rows = []
    for step, final in finals.items():
        rows.append(
            {
                "run_id": f"hand_222/s/{step}",
                "settings_key": str(step),
                "changed": "step" if step != 1.0 else "",
                "step": step,
                "rounds": 1000,
                "final_loss": final,
                "diverged_round": None,
                "round_within_1pct": 10,
            }
        )
    return pd.DataFrame(rows)


def test_steps_that_reach_the_lowest_loss() -> None:
    """Within NEAR_LOWEST of the lowest final loss counts as reaching it; just beyond does not."""
    low = 0.01
    summary = _step_summary({0.1: low * 3, 1.0: low * 1.009, 5.0: low, 10.0: low * 1.011})
    empty = pd.DataFrame(columns=["run_a", "run_b", "seed_key"])
    found = hand._step_rounds(summary, empty)
    assert found["best"]["step"] == 5.0
    assert found["reach"] == [1.0, 5.0]


def test_the_activation_with_the_lowest_final_loss() -> None:
    rows = []
    for i, (act, final) in enumerate((("sigmoid", 0.02), ("relu", 0.002), ("tanh", 0.00201))):
        rows.append(
            {
                "run_id": f"hand_222/activation/{act}",
                "settings_key": str(i),
                "changed": "" if act == "sigmoid" else "hidden_activation,output_activation",
                "hidden_activation": act,
                "output_activation": act,
                "final_loss": final,
                "final_o1": 0.2,
                "final_o2": 0.0 if act == "relu" else 0.1,
                "dead_units": "o2" if act == "relu" else "",
                "diverged_round": None,
            }
        )
    found = hand._activations(pd.DataFrame(rows))
    # relu is lowest; tanh is within 1 % of it, sigmoid is not
    assert {r["hidden"] for r in found["best"]} == {"relu", "tanh"}
    assert [r["dead"] for r in found["dead_runs"]] == [["o2"]]


# --- the gradient-equality lab -----------------------------------------------------------


def test_gradient_equality_claim() -> None:
    passed = gradient._equality_claim({"baseline_passed": True, "f64_autograd": 2.4e-13})
    failed = gradient._equality_claim({"baseline_passed": False, "f64_autograd": 0.3})
    assert (passed.verdict, failed.verdict) == (HOLDS, FAILS)
    assert "2.4e−13" in passed.evidence


# --- the classification lab ---------------------------------------------------------------


def _depth(losses: list[float]) -> Claim:
    rows = [{"layers": k + 1, "loss_mean": v} for k, v in enumerate(losses)]
    monotone = all(b < a for a, b in zip(losses, losses[1:]))
    deepest = losses[-1] == min(losses)
    return classification._depth_claim(
        {"task": "xor", "rows": rows, "monotone": monotone, "deepest_best": deepest}
    )


@pytest.mark.parametrize(
    "losses, verdict",
    [([3.0, 2.0, 1.0], HOLDS), ([3.0, 1.0, 2.0, 0.5], PARTLY), ([1.0, 2.0, 3.0], FAILS)],
)
def test_depth_claim(losses: list[float], verdict: str) -> None:
    claim = _depth(losses)
    assert claim.verdict == verdict and claim.scope == "on xor"


def test_lr_one_claim() -> None:
    def row(diverged: int, perfect: int) -> dict:
        return {
            "task": "linear",
            "seeds": 5,
            "diverged": [{"seed": s, "epoch": 2} for s in range(diverged)],
            "perfect": [{"seed": s, "epochs": 9} for s in range(perfect)],
            "acc_mean": 0.5,
        }

    assert classification._lr_one_claim(row(5, 0)).verdict == HOLDS
    assert classification._lr_one_claim(row(2, 1)).verdict == FAILS
    assert classification._lr_one_claim(row(2, 0)).verdict == HOLDS


def test_no_activation_claim() -> None:
    assert classification._no_activation_claim([]).verdict == UNCHECKED
    assert classification._no_activation_claim([{"acc_max": 0.571}]).verdict == HOLDS
    assert classification._no_activation_claim([{"acc_max": 1.0}]).verdict == FAILS


def test_unstable_claim_threshold() -> None:
    def found(spread: float) -> dict:
        widest = {"run_id": "r", "range": spread, "std": spread / 2}
        unstable = [widest] if spread >= classification.UNSTABLE_SPREAD else []
        return {"widest": widest, "unstable": unstable, "spreads": [widest]}

    assert classification._unstable_claim(found(0.0999)).verdict == FAILS
    assert classification._unstable_claim(found(0.10)).verdict == HOLDS
    assert classification._unstable_claim({"widest": None}).verdict == UNCHECKED


def test_seed_stats() -> None:
    group = pd.DataFrame(
        {
            "seed": [0, 1, 2],
            "train_accuracy": [1.0, 0.5, 1.0],
            "test_accuracy": [None, None, None],
            "final_loss": [0.1, 9.0, 0.3],
            "diverged_epoch": [None, 7, None],
            "epochs_run": [1000, 7, 400],
            "stop_reason": ["max_epochs", "diverged", "converged"],
        }
    )
    stats = classification._seed_stats(group)
    # the diverged seed's loss is left out of the loss, not of the accuracy
    assert stats["loss_mean"] == pytest.approx(0.2)
    assert stats["acc_mean"] == pytest.approx(2.5 / 3)
    assert stats["diverged"] == [{"seed": 1, "epoch": 7}]
    assert [p["seed"] for p in stats["perfect"]] == [0, 2]
    assert stats["stops"] == {"max_epochs": 1, "diverged": 1, "converged": 1}


def test_procedure_is_worded_from_the_settings() -> None:
    baseline = {
        "loss": "mse",
        "lr": 0.01,
        "seeding": "listed",
        "order": "grouped",
        "loss_gradient": "exact",
        "stop": "plateau",
        "max_epochs": 1000,
        "tol": 0.001,
        "data_seed": 0,
        "init_std": 1.0,
    }
    rows = {r["quantity"]: r["text"] for r in classification.procedure(baseline)}
    assert "every label-0 sample first" in rows["training"]
    assert '"plateau"' in rows["stopping"] and "0.001" in rows["stopping"]
    assert rows["loss gradient"].startswith("the gradient of the MSE")


# --- timing -------------------------------------------------------------------------------


def test_timing_findings() -> None:
    table = pd.DataFrame(
        {
            "network": ["a", "a", "b", "b"],
            "widths": ["2-2-2"] * 2 + ["2-256-64-1"] * 2,
            "n_params": [8, 8, 16961, 16961],
            "engine": ["numpy", "torch"] * 2,
            "median_seconds_per_step": [1e-5, 4e-5, 3e-4, 1e-4],
            "repeats": [3] * 4,
            "steps_per_repeat": [10] * 4,
        }
    )
    found = timing.timing_findings(table)
    assert [(f["network"], f["faster"]) for f in found] == [("a", "numpy"), ("b", "torch")]
    assert found[0]["factor"] == pytest.approx(4.0) and found[1]["factor"] == pytest.approx(3.0)
    context = timing.context({"timing": table}, {}, {}, {})
    assert context["numpy_always_faster"] is False
    numpy_only = table.assign(median_seconds_per_step=[1e-5, 4e-5, 1e-4, 3e-4])
    assert timing.context({"timing": numpy_only}, {}, {}, {})["numpy_always_faster"] is True
