"""The reference's classes and the another-kind tier, on small hand-made tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backprop_lab import reference as ref
from backprop_lab.reproduce import ANOTHER, SAME, choose_tier, compare_claims, compare_frames

TABLE = "hand_222_summary"  # keys: run_id, seed_key (the seeds are draws of one group)


def summary(values: dict[str, list[float]], verdict: str = "holds") -> pd.DataFrame:
    rows = []
    for run, draws in values.items():
        for seed, value in enumerate(draws):
            rows.append(
                {
                    "run_id": run,
                    "seed_key": str(seed),
                    "engine": "numpy",
                    "final_loss": value,
                    "stop": verdict,
                }
            )
    return pd.DataFrame(rows)


REFERENCE = {
    "hand_222/a/stable": [1.0, 2.0, 3.0, 4.0, 5.0],
    "hand_222/a/chaotic": [0.10, 0.30, 0.20, 0.40, 0.25],
    "hand_222/a/untouched": [7.0, 8.0, 9.0, 10.0, 11.0],
}


def members() -> list[pd.DataFrame]:
    """Two kernel sets: the stable run moves by round-off, the chaotic one by as much as
    its seeds differ, the untouched one not at all, and the text never."""
    one = {**REFERENCE}
    one["hand_222/a/stable"] = [v * (1 + 1e-9) for v in REFERENCE["hand_222/a/stable"]]
    one["hand_222/a/chaotic"] = [0.30, 0.10, 0.25, 0.20, 0.40]
    two = {**REFERENCE}
    two["hand_222/a/stable"] = [v * (1 - 3e-9) for v in REFERENCE["hand_222/a/stable"]]
    return [summary(one), summary(two)]


@pytest.fixture()
def classes() -> dict[tuple[str, str, str], tuple[str, float]]:
    found = ref.classify(TABLE, summary(REFERENCE), members(), roundoff=())
    return {(c.table, c.group, c.column): (c.cls, c.spread) for c in found}


def test_classes_follow_the_ensemble(classes) -> None:
    assert classes[(TABLE, "hand_222/a/stable", "final_loss")][0] == ref.STABLE
    assert classes[(TABLE, "hand_222/a/stable", "final_loss")][1] == pytest.approx(5 * 3e-9)
    assert classes[(TABLE, "hand_222/a/chaotic", "final_loss")][0] == ref.CHAOTIC
    assert classes[(TABLE, "hand_222/a/untouched", "final_loss")] == (ref.EXACT, 0.0)
    assert classes[(TABLE, "hand_222/a/stable", "stop")][0] == ref.EXACT


def test_text_the_ensemble_changed_is_fragile() -> None:
    moved = summary(REFERENCE, verdict="does not hold")
    found = ref.classify(TABLE, summary(REFERENCE), [moved], roundoff=())
    assert {c.cls for c in found if c.column == "stop"} == {ref.FRAGILE}


def judge(classes, got: dict[str, list[float]], verdict: str = "holds"):
    return compare_frames(TABLE, summary(REFERENCE), summary(got, verdict), classes)


def test_stable_values_within_ten_times_their_spread(classes) -> None:
    spread = 5 * 3e-9
    inside = {**REFERENCE, "hand_222/a/stable": [1, 2, 3, 4, 5 + 9 * spread]}
    assert judge(classes, inside) == []
    outside = {**REFERENCE, "hand_222/a/stable": [1, 2, 3, 4, 5 + 11 * spread]}
    (m,) = judge(classes, outside)
    assert (m.key["seed_key"], m.cls, m.kind) == ("4", ref.STABLE, "beyond tolerance")


def test_a_value_the_ensemble_never_moved_gets_the_floor(classes) -> None:
    # 1e-9 relative: an initial weight moved by 1e-6 moves a loss by far more
    inside = {**REFERENCE, "hand_222/a/untouched": [7 * (1 + 5e-10), 8, 9, 10, 11]}
    assert judge(classes, inside) == []
    outside = {**REFERENCE, "hand_222/a/untouched": [7 * (1 + 2e-9), 8, 9, 10, 11]}
    assert [m.kind for m in judge(classes, outside)] == ["beyond tolerance"]


def test_chaotic_values_compare_as_distributions(classes) -> None:
    # every seed different, the same distribution: passes
    shuffled = {**REFERENCE, "hand_222/a/chaotic": [0.22, 0.12, 0.41, 0.28, 0.31]}
    assert judge(classes, shuffled) == []
    # the whole distribution moved (a 1 % learning-rate change would do less: it is caught
    # by the stable values); here its mean moves by many standard errors
    shifted = {
        **REFERENCE,
        "hand_222/a/chaotic": [v + 0.5 for v in REFERENCE["hand_222/a/chaotic"]],
    }
    (m,) = judge(classes, shifted)
    assert m.cls == ref.CHAOTIC and m.kind.startswith("distribution (t ")
    assert m.key["seed_key"] == "5 seeds"
    # the spread collapsed (all seeds equal): the sd ratio catches it
    collapsed = {**REFERENCE, "hand_222/a/chaotic": [0.25, 0.2501, 0.25, 0.2499, 0.25]}
    assert [m.cls for m in judge(classes, collapsed)] == [ref.CHAOTIC]


def test_text_is_exact_in_the_another_kind_tier(classes) -> None:
    (m, *rest) = judge(classes, REFERENCE, verdict="does not hold")
    assert m.metric == "stop" and m.cls == ref.EXACT and m.fails


def test_the_same_kind_tier_is_bit_level() -> None:
    moved = {**REFERENCE, "hand_222/a/chaotic": [0.10, 0.30, 0.20, 0.40, 0.25 * (1 + 1e-8)]}
    (m,) = compare_frames(TABLE, summary(REFERENCE), summary(moved))
    assert m.cls == "" and m.kind == "value"


def test_roundoff_by_order_of_magnitude() -> None:
    # at round-off level on both sides: equal (two kernels that round alike give 0)
    assert ref.roundoff_close(2e-16, 9e-13, 0.0, "float64")
    assert ref.roundoff_close(0.0, 4.7e-7, 0.0, "float32")
    assert not ref.roundoff_close(0.0, 4.7e-7, 0.0, "float64")
    # above it, within 1.5 orders of magnitude
    assert ref.roundoff_close(2e-10, 9e-10, 0.0, "float64")
    assert not ref.roundoff_close(2e-10, 2e-8, 0.0, "float64")
    # above the ceiling a "round-off" column is a real difference: judged as stable
    assert not ref.roundoff_close(1.5, 1.6, 1e-12, "float64")


def test_welch() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    t, ratio = ref.welch(a, a + 1)
    assert t == pytest.approx(1 / math.sqrt(2 * 2.5 / 5)) and ratio == 1.0
    assert ref.welch(a, a) == (0.0, 1.0)


def test_tier_from_the_recorded_kernels() -> None:
    here = {"machine": "x86_64", "numpy": "2.4.6", "numpy_simd": "X86_V3", "blas_core": "Haswell"}
    assert choose_tier(here, dict(here)).name == SAME
    other = {**here, "blas_core": "SkylakeX"}
    tier = choose_tier(here, other)
    assert tier.name == ANOTHER and "blas_core: Haswell -> SkylakeX" in tier.why
    assert choose_tier(None, here).name == SAME  # a bare folder of tables: bit level
    assert choose_tier(here, here, "another").name == ANOTHER


def test_claims_equal_unless_fragile() -> None:
    keys = {
        "lab": ["hand_222"] * 2,
        "statement": ["A", "B"],
        "scope": ["", ""],
        "occurrence": ["0", "0"],
    }
    expected = pd.DataFrame({**keys, "verdict": ["holds", "holds"], "fragile": ["false", "true"]})
    got = pd.DataFrame({**keys, "verdict": ["does not hold", "does not hold"]})
    a, b = compare_claims(expected, got)
    assert (a.key["claim"], a.fails, a.cls) == ("A", True, "exact")
    assert (b.key["claim"], b.fails, b.cls) == ("B", False, "fragile")
    assert compare_claims(expected, expected) == []
