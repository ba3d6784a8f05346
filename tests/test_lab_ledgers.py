"""The labs' ledgers on their real transcriptions: every printed number gets a verdict, and
the verdicts that carry the labs' stories are what the numbers say."""

from __future__ import annotations

import collections

import pytest

from backprop_lab import ledger
from backprop_lab.labs.classification import ledger as classification_ledger
from backprop_lab.labs.gradient_equality import ledger as gradient_ledger
from backprop_lab.labs.hand_222 import ledger as hand_ledger


@pytest.fixture(scope="module")
def hand_rows() -> list[dict]:
    return hand_ledger.build([], {})


@pytest.fixture(scope="module")
def gradient_rows() -> list[dict]:
    return gradient_ledger.build([], {})


def _row(rows: list[dict], block: str, quantity: str) -> dict:
    return next(r for r in rows if r["block"] == block and r["quantity"] == quantity)


@pytest.mark.parametrize(
    "path, count",
    [
        (hand_ledger.LEDGER, 394),
        (gradient_ledger.LEDGER, 438),
        (classification_ledger.LEDGER, 54),
    ],
)
def test_every_printed_number_is_transcribed_once(path, count) -> None:
    entries = ledger.load(path)
    assert len(entries) == count
    keys = [(e.block, e.quantity) for e in entries]
    assert len(set(keys)) == len(keys)  # each row of the ledger table is named once


def test_every_entry_gets_a_verdict(hand_rows, gradient_rows) -> None:
    for rows in (hand_rows, gradient_rows):
        assert rows and all(r["verdict"] in ledger.VERDICTS for r in rows)
        assert all(r["explanation"] for r in rows)


def test_float32_losses_are_reproduced_digit_for_digit(hand_rows) -> None:
    row = _row(hand_rows, "torch_baseline", "loss [round=1000]")
    assert row["printed"] == "0.003185197012498975"
    assert row["verdict"] == ledger.REPRODUCED
    assert row["candidate"] == "the lab's PyTorch program as listed (float32)"


def test_the_numpy_printout_needs_the_listings_wrong_backward(hand_rows) -> None:
    """Round 10 comes from the listing's own back_propagate at its step 10; rounds 100 and
    1000 from the same at step 5 (the text's "step=5" run)."""
    r10 = _row(hand_rows, "numpy_baseline", "o1 [round=10]")
    r1000 = _row(hand_rows, "numpy_baseline", "o1 [round=1000]")
    assert r10["verdict"] == r1000["verdict"] == ledger.DEVIATION
    assert "back_propagate" in r10["explanation"] and "step 10" in r10["explanation"]
    assert "step 5" in r1000["explanation"]


def test_a_sigmoid_output_above_one_is_not_reproducible(hand_rows) -> None:
    row = _row(hand_rows, "torch_random_init", "o1 [round=10]")
    assert row["printed"] == "5.1180" and row["verdict"] == ledger.NOT_REPRODUCIBLE
    assert "(0, 1)" in row["explanation"]


def test_the_gradient_printouts_are_checked_against_each_other(gradient_rows) -> None:
    counts = collections.Counter(r["verdict"] for r in gradient_rows)
    assert counts[ledger.INCONSISTENT] == 3
    # the second copy is the first's transpose, but for one entry
    typo = _row(gradient_rows, "numpy_gradients", "grad_hidden1_w[2][9]")
    assert typo["verdict"] == ledger.INCONSISTENT and typo["computed"] == pytest.approx(0.02346)
    fine = _row(gradient_rows, "numpy_gradients", "grad_hidden1_w[9][2]")
    assert fine["verdict"] == ledger.CONSISTENT
    # the printed loss fits the bias gradient, not the sample the text names
    assert _row(gradient_rows, "autograd_gradients", "loss")["verdict"] == ledger.CONSISTENT
    prediction = _row(gradient_rows, "autograd_gradients", "prediction")
    assert prediction["verdict"] == ledger.INCONSISTENT
    assert "0.0843, 0.4543" in prediction["explanation"]
    # the lab's check sums a matrix minus its transpose: it could not fail
    check = _row(gradient_rows, "deviation_check", "hidden_layer_1_w_deviation")
    assert "could not fail" in check["explanation"]
