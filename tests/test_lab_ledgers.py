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
    return hand_ledger.build([], {}, [])


@pytest.fixture(scope="module")
def gradient_rows() -> list[dict]:
    return gradient_ledger.build([], {})


def _as_printed_runs() -> list[dict]:
    """The worked lab's as-printed runs of the 2-2-2 lab's example files, as its jobs write
    them (what the 2-2-2 aggregate borrows)."""
    from backprop_lab.labs.worked import AS_PRINTED, examples
    from backprop_lab.labs.worked.run import run

    section = {"examples": [str(hand_ledger.EXAMPLES)], "variants": {}}
    return [
        {
            "settings": {
                "lab": "worked",
                "kind": AS_PRINTED,
                "file": file,
            },
            "result": run({"kind": AS_PRINTED, "example": data}),
        }
        for file, data, _ in examples(section).values()
    ]


def test_the_222_ledger_borrows_the_worked_labs_verdicts(hand_rows: list[dict]) -> None:
    """The worked lab's as-printed jobs give the same rows as the lab's own computation, and
    the lab uses theirs (not a recomputation) where it is given them."""
    borrowed = _as_printed_runs()
    assert len(borrowed) == len(hand_ledger.example_files()) == 7
    assert hand_ledger.build([], {}, borrowed) == hand_rows
    borrowed[0]["result"]["ledger"][0]["verdict"] = "planted"
    assert "planted" in {r["verdict"] for r in hand_ledger.build([], {}, borrowed)}


def _row(rows: list[dict], block: str, quantity: str) -> dict:
    """The row of `block` whose quantity is `quantity` (or, for the 2-2-2 lab's worked-example
    rows, whose label starts with it: "o1, round 10 (round(…, 5))")."""
    return next(
        r
        for r in rows
        if r["block"] == block and (r["quantity"] == quantity or r["quantity"].startswith(quantity))
    )


@pytest.mark.parametrize(
    "path, count",
    [
        (hand_ledger.LEDGER, 41),  # its random-initialisation block; the rest: example files
        (gradient_ledger.LEDGER, 438),
        (classification_ledger.LEDGER, 54),
    ],
)
def test_every_printed_number_is_transcribed_once(path, count) -> None:
    entries = ledger.load(path)
    assert len(entries) == count
    keys = [(e.block, e.quantity) for e in entries]
    assert len(set(keys)) == len(keys)  # each row of the ledger table is named once


def test_the_222_lab_ledger_has_every_printed_number(hand_rows) -> None:
    """394 printed numbers: 41 in ledger.yaml, 353 in the lab's worked-example files."""
    assert len(hand_rows) == 394
    assert len({(r["block"], r["quantity"]) for r in hand_rows}) == 394
    counts = collections.Counter(r["verdict"] for r in hand_rows)
    assert counts == {
        ledger.REPRODUCED: 309,
        ledger.DEVIATION: 44,
        ledger.NOT_REPRODUCIBLE: 41,
    }


def test_every_entry_gets_a_verdict(hand_rows, gradient_rows) -> None:
    for rows in (hand_rows, gradient_rows):
        assert rows and all(r["verdict"] in ledger.VERDICTS for r in rows)
        assert all(r["explanation"] for r in rows)


def test_float32_losses_are_reproduced_digit_for_digit(hand_rows) -> None:
    row = _row(hand_rows, "torch_baseline", "loss, round 1000")
    assert row["printed"] == "0.003185197012498975"
    assert row["verdict"] == ledger.REPRODUCED
    assert row["candidate"] == "stated" and "float32" in row["explanation"]


def test_the_numpy_printout_needs_the_listings_wrong_backward(hand_rows) -> None:
    """Round 10 comes from the listing's own back_propagate at its step 10; rounds 100 and
    1000 from the same at step 5 (the text's "step=5" run)."""
    r10 = _row(hand_rows, "numpy_baseline", "o1, round 10")
    r1000 = _row(hand_rows, "numpy_baseline", "o1, round 1000")
    assert r10["verdict"] == r1000["verdict"] == ledger.DEVIATION
    assert r10["candidate"] == "weight_gradients"
    assert "outgoing weights' gradients" in r10["explanation"]
    assert r1000["candidate"] == "weight_gradients+step_size"
    assert "step 5 instead of 10" in r1000["explanation"]


@pytest.mark.parametrize("step", [10.0, 5.0])
def test_the_named_departure_is_the_listings_own_backward(step: float) -> None:
    """The search's `weight_gradients` departure is the numpy listing's back_propagate: the
    transcribed program (listing.py) and the worked machinery under that departure print
    the same o1, o2 and loss every round, to 1e-12."""
    from backprop_lab.labs.hand_222 import listing
    from backprop_lab.worked.backprop import Net
    from backprop_lab.worked.example import read
    from backprop_lab.worked.model import Model
    from backprop_lab.worked.quantities import parse

    model = Model(read(hand_ledger.example_files()["numpy_baseline"]))  # checked
    setup = model.stated.but(weight_gradients=True, step=step)
    net = Net(model.graph, setup)
    rounds = 50
    states = net.train(model.x, model.y, set(range(rounds)))
    printed = listing.run(step, rounds, correct_backward=False)
    for k, shown in enumerate(printed):
        for name, of in (("o1", "out_o1"), ("o2", "out_o2"), ("loss", "E_total")):
            value = net.value(states[k], model.x, model.y, parse(of, model.graph), 1)
            assert value == pytest.approx(shown[name], abs=1e-12), (k, name)


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
