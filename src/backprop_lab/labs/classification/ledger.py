"""The classification lab's printed numbers (ledger.yaml) against the configured seeds.

The lab ran unseeded, so every printed loss and accuracy is checked against the spread of
the seeds of the variant with the same settings (its task, learning rate and depth, all
else as listed); a printed XOR output at a point against the seeds' outputs at that
point (the XOR points are fixed); a printed label against the generator. The linear
task's points were drawn unseeded, so its printed points' outputs cannot be reproduced.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from backprop_lab import ledger
from backprop_lab.core.data import xor_task
from backprop_lab.findings import equal

LEDGER = Path(__file__).with_name("ledger.yaml")
# Tables 1-4 print accuracy with 2 decimals ("0.99"); a "1" there is the same column.
TABLE_ACCURACY_DECIMALS = 2

Run = dict[str, Any]


def _label(run: Run) -> str:
    s = run["settings"]
    return f"{s['lab']}/{s['axis']}/{s['variant']}"


def _accuracies(run: Run) -> list[float]:
    result = run["result"]
    accs = []
    for s in range(len(run["settings"]["seeds"])):
        out = np.array(result["outputs"][s], dtype=float)
        labels = np.array(result["points"][s]["label"])
        train = np.array(result["points"][s]["part"]) == "train"
        accs.append(float(((out > result["threshold"]) == labels)[train].mean()))
    return accs


def _find(runs: list[Run], baseline: dict[str, Any], **want: Any) -> Run | None:
    """The first run whose settings equal the baseline's except for `want` (task incl.)."""
    keys = [k for k in baseline if k not in ("label",)]
    target = {**{k: baseline[k] for k in keys}, **want}
    for run in runs:
        s = run["settings"]
        if all(equal(s.get(k), v) for k, v in target.items()):
            return run
    return None


def build(runs: list[Run], baseline: dict[str, Any], width_pool: list[int]) -> list[dict]:
    rows = []
    for entry in ledger.load(LEDGER):
        rows.append(_verdict(entry, runs, baseline, width_pool))
    return rows


def _verdict(
    entry: ledger.Printed, runs: list[Run], baseline: dict[str, Any], pool: list[int]
) -> dict[str, Any]:
    task = str(entry.settings.get("task", baseline["task"]))
    want: dict[str, Any] = {"task": task}
    if "lr" in entry.extra:
        want["lr"] = float(entry.extra["lr"])
    if "layers" in entry.extra:
        want["hidden"] = list(pool[: int(entry.extra["layers"])])
    run = _find(runs, baseline, **want)
    name = entry.name
    if name.startswith(("label[", "prediction[")):
        return _point(entry, name, task, run)
    if run is None:
        return ledger.not_reproducible(entry, f"no configured variant has {want}")
    if name == "loss":
        return ledger.within_spread(entry, run["result"]["final_loss"], _label(run))
    if name == "accuracy":
        if "lr" in entry.extra or "layers" in entry.extra:
            decimals = max(entry.decimals or 0, TABLE_ACCURACY_DECIMALS)
            entry = dataclasses.replace(entry, decimals=decimals)
        return ledger.within_spread(entry, _accuracies(run), _label(run))
    return ledger.not_reproducible(entry, f"the ledger does not know the quantity {name!r}")


def _point(entry: ledger.Printed, name: str, task: str, run: Run | None) -> dict[str, Any]:
    index = int(name.split("[", 1)[1].rstrip("]"))
    if task != "xor":
        return ledger.not_reproducible(
            entry,
            f"the lab drew the linear task's points unseeded: point {index} is a different "
            "point in every run",
        )
    X, labels = xor_task(11)
    if name.startswith("label["):
        return ledger.consistency(entry, float(labels[index, 0]), "the XOR generator's label")
    if run is None:
        return ledger.not_reproducible(entry, "no configured XOR baseline")
    outputs = [run["result"]["outputs"][s][index] for s in range(len(run["settings"]["seeds"]))]
    row = ledger.within_spread(entry, outputs, _label(run))
    row["explanation"] += f"; point {index} is ({X[index, 0]:.1f}, {X[index, 1]:.1f})"
    return row
