"""The 2-2-2 lab's printed numbers, checked by the worked-example machinery.

Each block of the lab's printout but one is a worked-example file in ``examples/`` beside
this module (its network, sample and setup as the lab states them, and every number it
printed): ``backprop_lab.worked.verdicts`` gives each number its verdict and, where the
stated setup does not give it, the departure its search finds (the numpy listing's
backward and its step 5, the ReLU block's ReLU on o2 alone). The worked lab gives each
file a section of its own; this module puts their verdicts in the lab's ledger table: the
worked lab's as-printed results where the config runs them (``Lab.borrows``), else
computed here.

The random-initialisation block (``ledger.yaml``) was unseeded and printed an output of a
sigmoid unit beyond (0, 1), which no run can give.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backprop_lab import ledger
from backprop_lab.labs.hand_222 import EXAMPLES, OUTPUTS
from backprop_lab.ledger import Printed

LEDGER = Path(__file__).with_name("ledger.yaml")

Run = dict[str, Any]


def example_files() -> dict[str, Path]:
    """The lab's worked-example files by block: lab222-torch-relu.yaml is `torch_relu`."""
    return {
        p.stem.removeprefix("lab222-").replace("-", "_"): p for p in sorted(EXAMPLES.glob("*.yaml"))
    }


def read(path: Path) -> dict[str, Any]:
    """One of the lab's example files (checked where the worked lab reads it, and by the
    tests; here only read, so that this job reads no file but its inputs)."""
    import yaml

    from backprop_lab.worked.example import TRAINING_DEFAULTS

    data = yaml.safe_load(path.read_text())
    data["training"] = {**TRAINING_DEFAULTS, **data["training"]}
    return data


def build(runs: list[Run], section: dict[str, Any], borrowed: list[Run]) -> list[dict[str, Any]]:
    """The ledger table's rows: each example file's verdicts (from the worked lab's
    as-printed run of the file in `borrowed`, else computed here), then the
    random-initialisation block's."""
    from backprop_lab.worked.example import shown
    from backprop_lab.worked.verdicts import ledger_rows

    computed = {r["settings"]["file"]: r["result"]["ledger"] for r in borrowed}
    rows = []
    for block, path in example_files().items():
        data = read(path)
        found = computed.get(shown(path))
        for row in ledger_rows(data, block) if found is None else found:
            rows.append(_row(block, data, row))
    for entry in ledger.load(LEDGER):
        rows.append(_random_init(entry))
    return rows


def _row(block: str, data: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
    """A worked-example ledger row as a row of the lab's ledger table."""
    if r["verdict"] == ledger.REPRODUCED:
        why = f"by the stated setup ({r['dtype']}, {r['engine']})"
    elif r["departure"]:
        why = r["departure"] if r["kind"] != "transcription_slip" else f"slip: {r['departure']}"
    else:
        why = "no departure searched gives it"
    return {
        "block": block,
        "quantity": r["label"],
        "where": data["source"].split(", ", 1)[-1],
        "printed": r["printed"],
        "precision": r["precision"],
        "verdict": r["verdict"],
        "explanation": why,
        "candidate": r["kind"],
        "computed": r["computed"],
        "seeds_min": None,
        "seeds_max": None,
        "seeds_mean": None,
        "seeds_sd": None,
        "dtype": r["dtype"],
    }


def _random_init(entry: Printed) -> dict[str, Any]:
    if entry.name in OUTPUTS and not 0 < entry.value < 1:
        return ledger.not_reproducible(
            entry,
            f"{entry.name} = {entry.printed} is printed as the output of a sigmoid unit, "
            "whose outputs lie in (0, 1)",
        )
    return ledger.not_reproducible(
        entry, "torch.randn(1, 1) initial weights, unseeded and not printed"
    )
