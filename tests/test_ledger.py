"""The ledger's verdicts, each on a small hand-made case where the verdict is known."""

from __future__ import annotations

import dataclasses

import pytest

from backprop_lab import ledger
from backprop_lab.ledger import Candidate, Printed


def printed(text: str, **kw: object) -> Printed:
    return Printed(block="b", quantity="q", where="w", printed=text, **kw)


@pytest.mark.parametrize(
    "text, value, expected",
    [
        ("0.5809", 0.58094, True),
        ("0.5809", 0.58085, True),  # rounds half up to 0.5809
        ("0.5809", 0.58096, False),  # rounds to 0.5810
        ("0.5809", 0.5808, False),
        ("-0.0", -0.003, True),  # round(-0.003, 2) prints -0.0
        ("-0.0", 0.003, False),  # a positive value never prints as -0.0
        ("0.0", 0.004, True),
        ("0.11082295328378677", 0.11082295328378677, True),
        ("0.003185197012498975", 0.003185199235474, False),  # float64 vs float32's digits
        ("99.0%", 0.99, True),
        ("99.0%", 0.98, False),
        ("1.2854e+34", 1.28543e34, True),
        ("1.2854e+34", 1.2856e34, False),
        ("0.", 0.0, True),
    ],
)
def test_matches_at_the_printed_precision(text: str, value: float, expected: bool) -> None:
    significant = 5 if "e+" in text else None
    assert ledger.matches(printed(text, significant=significant), value) is expected


def test_reproduced_names_the_run_of_the_stated_setup() -> None:
    row = ledger.reproduce(
        printed("0.2296"),
        [Candidate("run a", 0.2311), Candidate("run b", 0.22961), Candidate("dev", 0.2296, "x")],
    )
    assert (row["verdict"], row["candidate"]) == (ledger.REPRODUCED, "run b")


def test_a_deviation_is_named_only_when_the_stated_setup_fails() -> None:
    row = ledger.reproduce(
        printed("0.26348"),
        [
            Candidate("as listed, step 1", 0.24),
            Candidate("step 10", 0.263481, "the listing's step 10 instead of the stated 1"),
        ],
    )
    assert row["verdict"] == ledger.DEVIATION
    assert row["explanation"] == "the listing's step 10 instead of the stated 1"


def test_a_value_no_candidate_gives_is_not_reproducible() -> None:
    row = ledger.reproduce(printed("0.3647"), [Candidate("a", 0.3648), Candidate("b", 0.5, "d")])
    assert row["verdict"] == ledger.NOT_REPRODUCIBLE and "a, b" in row["explanation"]


def test_a_wrong_transcription_turns_the_verdict() -> None:
    """One printed digit changed: reproduced becomes not reproducible."""
    right = printed("0.003185197012498975")
    wrong = dataclasses.replace(right, printed="0.003185197012498965")
    value = 0.003185197012498975
    assert ledger.reproduce(right, [Candidate("r", value)])["verdict"] == ledger.REPRODUCED
    assert ledger.reproduce(wrong, [Candidate("r", value)])["verdict"] == ledger.NOT_REPRODUCIBLE


def test_seed_spread() -> None:
    inside = ledger.within_spread(printed("1.73"), [1.70, 1.76, 1.80], "run")
    assert inside["verdict"] == ledger.WITHIN_SPREAD
    assert (inside["seeds_min"], inside["seeds_max"]) == (1.70, 1.80)
    # half a unit of the printed precision widens the range: 1.6949 prints as 1.69 ...
    edge = ledger.within_spread(printed("1.69"), [1.6949, 1.76], "run")
    assert edge["verdict"] == ledger.WITHIN_SPREAD
    # ... but 1.6951 prints as 1.70
    beyond = ledger.within_spread(printed("1.69"), [1.6951, 1.76], "run")
    assert beyond["verdict"] == ledger.OUTSIDE_SPREAD
    outside = ledger.within_spread(printed("0.39"), [0.48, 0.83], "run")
    assert outside["verdict"] == ledger.OUTSIDE_SPREAD
    diverged = ledger.within_spread(printed("46"), [None, None], "run")
    assert diverged["verdict"] == ledger.NOT_REPRODUCIBLE


def test_consistency_between_printed_numbers() -> None:
    # a printed loss against the prediction and the bias gradient the lab printed
    loss = printed("0.68349")
    assert ledger.consistency(loss, (-1.65347 / 2) ** 2, "db3² / 4")["verdict"] == (
        ledger.CONSISTENT
    )
    assert ledger.consistency(loss, (-0.72003 - 0.7093) ** 2, "(pred − y0)²")["verdict"] == (
        ledger.INCONSISTENT
    )


def test_not_reproducible_keeps_its_reason() -> None:
    row = ledger.not_reproducible(printed("5.1180"), "a sigmoid's output lies in (0, 1)")
    assert row["verdict"] == ledger.NOT_REPRODUCIBLE and "(0, 1)" in row["explanation"]


def test_counts() -> None:
    rows = [
        {"verdict": ledger.REPRODUCED},
        {"verdict": ledger.REPRODUCED},
        {"verdict": ledger.OUTSIDE_SPREAD},
    ]
    counts = ledger.summary(rows)
    assert counts[ledger.REPRODUCED] == 2 and counts[ledger.OUTSIDE_SPREAD] == 1
    assert sum(counts.values()) == 3
