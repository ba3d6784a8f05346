"""micrograd's demo as it ran: its 201 printed numbers against the playground run with its
settings (the config's `micrograd/demo`), and the ledger's round-off option.

Each test names the bug it catches."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import yaml

from backprop_lab import ledger
from backprop_lab.configuration import expand_variants
from backprop_lab.labs.playground import findings, run, tables
from backprop_lab.labs.playground import ledger as demo_ledger
from conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
VARIANTS = expand_variants(CONFIG)
SECTION = CONFIG["playground"]
DEMO = "playground/micrograd/demo"


def _run(variant: str) -> dict:
    settings = copy.deepcopy(VARIANTS[f"playground/micrograd/{variant}"])
    return {"settings": settings, "result": run.run(settings)}


@pytest.fixture(scope="module")
def demo() -> dict:
    return _run("demo")


@pytest.fixture(scope="module")
def rows(demo) -> list[dict]:
    return demo_ledger.build([demo])


def _row(rows: list[dict], quantity: str) -> dict:
    return next(r for r in rows if r["quantity"] == quantity)


def test_the_transcription_holds_201_numbers_each_named_once() -> None:
    """A step dropped or doubled in the conversion of the printout."""
    entries = ledger.load(demo_ledger.LEDGER)
    assert len(entries) == 201
    assert len({(e.block, e.quantity) for e in entries}) == 201
    for name in ("loss", "accuracy"):
        assert sorted(e.extra["step"] for e in entries if e.name == name) == list(range(100))


def test_every_printed_number_of_the_demo_is_reproduced(rows) -> None:
    """Any change of the demo's computation (data, initialiser, penalty, schedule, the
    hinge loss), or step k read from the wrong epoch: the losses stop matching."""
    assert ledger.summary(rows)[ledger.REPRODUCED] == 201
    assert all(r["candidate"].startswith(f"{DEMO}, seed 1337, before step") for r in rows[1:])


def test_the_losses_lie_within_float64_round_off(demo) -> None:
    """A ROUNDOFF loosened until it hides real differences: the measured differences are
    far below it (1.04e-14 when written)."""
    steps = demo_ledger.steps([demo])
    assert len(steps) == 100 and {s["seed"] for s in steps} == {1337}
    largest = max(s["relative_difference"] for s in steps)
    assert 0 < largest < 1e-13 < demo_ledger.ROUNDOFF


def test_the_accuracies_print_exactly_as_micrograd_printed_them(demo) -> None:
    """An accuracy over another set of points, or another threshold: the percentage's repr
    (micrograd printed f"{acc*100}%") differs."""
    printed = {
        e.extra["step"]: e.printed for e in ledger.load(demo_ledger.LEDGER) if e.name == "accuracy"
    }
    for step in demo_ledger.steps([demo]):
        assert f"{step['accuracy'] * 100!r}%" == printed[step["step"]]


def test_a_printed_loss_off_by_1e_10_relative_is_not_reproduced(demo, monkeypatch) -> None:
    """A round-off tolerance so loose (or one not relative) that it accepts a different
    number."""
    entries = ledger.load(demo_ledger.LEDGER)
    i = next(i for i, e in enumerate(entries) if e.quantity == "loss [step=50]")
    moved = entries[i].value * (1 + 1e-10)
    entries[i] = dataclasses.replace(entries[i], printed=repr(moved))
    monkeypatch.setattr(demo_ledger.ledger, "load", lambda path: entries)
    rows = demo_ledger.build([demo])
    assert _row(rows, "loss [step=50]")["verdict"] == ledger.NOT_REPRODUCIBLE
    assert "relative difference 1.00e-10" in _row(rows, "loss [step=50]")["explanation"]
    assert ledger.summary(rows)[ledger.REPRODUCED] == 200


@pytest.mark.parametrize(
    "variant, first_wrong_loss",
    [
        # the linear schedule's first step is 1.0 too: the losses part after step 1
        ("constant_step", 2),
        # biases start at 0, so the first step is the same; then the demo's penalty on
        # the biases is missing from the loss
        ("weights_only_penalty", 1),
        ("shuffled_batches", 1),
    ],
)
def test_another_training_under_the_demos_settings_is_caught(
    demo, variant: str, first_wrong_loss: int
) -> None:
    """A run that ignores the schedule, the penalty's reach or the sample order while its
    settings say the demo's: the ledger no longer gives 201 of 201, from the step where the
    trajectories part."""
    mutant = {"settings": demo["settings"], "result": _run(variant)["result"]}
    rows = demo_ledger.build([mutant])
    assert ledger.summary(rows)[ledger.REPRODUCED] < 201
    wrong = [k for k in range(100) if _row(rows, f"loss [step={k}]")["verdict"] != "reproduced"]
    assert wrong[0] == first_wrong_loss


def test_the_parameter_count_is_counted_from_the_run(demo, rows) -> None:
    """Counting the weights without the biases (304), or a network of other widths."""
    row = _row(rows, "number of parameters")
    assert (row["verdict"], row["computed"]) == (ledger.REPRODUCED, 337.0)
    assert "2-16-16-1" in row["explanation"]
    no_biases = copy.deepcopy(demo)
    no_biases["result"]["biases"] = [[[] for _ in layers] for layers in demo["result"]["biases"]]
    row = _row(demo_ledger.build([no_biases]), "number of parameters")
    assert (row["verdict"], row["computed"]) == (ledger.NOT_REPRODUCIBLE, 304.0)


def test_the_demo_run_is_found_by_its_settings_with_run_py_defaults(demo) -> None:
    """A finder that ignores a setting, or misses a setting left to run.py's default."""
    entry = ledger.load(demo_ledger.LEDGER)[0]
    implicit = copy.deepcopy(demo)
    implicit["settings"].pop("update_rule", None)  # run.py's default: sgd, the demo's
    assert demo_ledger.find([implicit], entry.settings) is not None
    implicit["settings"].pop("penalty_on")  # run.py's default: weights, not the demo's all
    assert demo_ledger.find([implicit], entry.settings) is None
    for key, value in (("reg_rate", 2e-4), ("update_rule", "adam"), ("seeds", [0, 1])):
        other = copy.deepcopy(demo)
        other["settings"][key] = value
        assert demo_ledger.find([other], entry.settings) is None, key


def test_the_defaults_are_run_pys() -> None:
    """A default of run.py changed without the ledger's: a variant that leaves the setting
    out would be matched against the wrong value."""
    source = (ROOT / "src/backprop_lab/labs/playground/run.py").read_text()
    for key, default in demo_ledger.DEFAULTS.items():
        assert f'settings.get("{key}", "{default}")' in source, key


def test_without_the_demo_every_number_says_why(demo) -> None:
    """A ledger that silently drops the rows, or crashes, when no variant has the demo's
    settings (the test config has none)."""
    other = copy.deepcopy(demo)
    other["settings"]["schedule"] = "constant"
    rows = demo_ledger.build([other])
    assert len(rows) == 201
    assert {r["verdict"] for r in rows} == {ledger.NOT_REPRODUCIBLE}
    assert rows[0]["explanation"].startswith("no configured variant has the demo's settings")
    steps = demo_ledger.steps([other])
    assert len(steps) == 100 and steps[0]["printed_loss"] == 0.8958441028683222
    assert {s["run_id"] for s in steps} == {demo_ledger.NO_RUN}
    assert {s["loss"] for s in steps} == {None}


def test_the_roundoff_option_is_relative_and_off_by_default() -> None:
    """A round-off applied as an absolute difference, or on by default (which would change
    the other labs' verdicts on exact prints)."""
    big = ledger.Printed("b", "loss", "", "1000.0", exact=True)
    small = ledger.Printed("b", "loss", "", "0.001", exact=True)
    assert big.roundoff == 0.0
    assert not ledger.matches(big, 1000.0 * (1 + 1e-14))
    tolerant = dataclasses.replace(big, roundoff=1e-12)
    assert ledger.matches(tolerant, 1000.0 * (1 + 5e-13))  # 5e-10 absolute
    assert not ledger.matches(tolerant, 1000.0 * (1 + 1e-10))
    assert not ledger.matches(dataclasses.replace(small, roundoff=1e-12), 0.001 + 1e-14)
    assert "round-off" in tolerant.precision and "round-off" not in big.precision


@pytest.fixture(scope="module")
def built(demo) -> dict:
    return tables.build([demo, _run("constant_step"), _run("adam")], SECTION)


def test_the_tables_hold_the_ledger_and_the_steps(built) -> None:
    """A table missing its declared columns, or the steps table of another seed."""
    from backprop_lab.labs.playground import LAB

    for name in ("playground_ledger", "playground_micrograd_steps"):
        assert set(LAB.tables[name]) <= set(built[name].columns), name
    steps = built["playground_micrograd_steps"]
    assert len(steps) == 100 and set(steps["seed"]) == {1337}
    assert (steps["accuracy"] == steps["printed_accuracy"]).all()
    summary = built["playground_summary"]
    assert set(summary["update_rule"]) == {"sgd", "adam"}
    assert set(summary["schedule"]) == {"linear", "constant"}


def test_the_micrograd_finding_quotes_the_tables(built) -> None:
    """Counts, differences or variants that are not the tables': the finding's numbers are
    recomputed here from the tables."""
    found = findings._micrograd(built, built["playground_summary"], {})
    assert (found["total"], found["reproduced"]) == (201, 201)
    d = found["demo"]
    steps = built["playground_micrograd_steps"]
    assert d["max_relative_difference"] == steps["relative_difference"].max()
    assert d["equal_accuracies"] == 100
    summary = built["playground_summary"]
    demo_rows = summary[summary["run_id"] == DEMO]
    assert d["final"]["accuracy_mean"] == pytest.approx(demo_rows["train_accuracy"].mean())
    changes = {v["label"]: v["changes"] for v in found["variants"]}
    assert changes["constant_step"] == "schedule constant (demo: linear)"
    assert changes["adam"].startswith("update_rule adam (demo: sgd), learning_rate 0.01")
    moved = max(
        found["variants"],
        key=lambda v: abs(v["final"]["accuracy_mean"] - d["final"]["accuracy_mean"]),
    )
    assert moved["label"] in found["sentences"][0]
