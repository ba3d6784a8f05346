"""The ledger of a worked example: every printed number, its verdict and why (as data).

Verdicts are the core ledger's (``backprop_lab.ledger``): *reproduced* by the stated setup
(a 15-17-digit print to the round-off of its dtype), *reproduced only with a deviation* (the
departure search names it), or *not reproducible* (with the stated setup's value, and the
transcription slip that explains the print where one does). Each row keeps its reason as
data: ``kind`` (``stated``, a DEPARTURES name, ``transcription_slip`` or ``none``) and
``departure`` (its words with the numbers).
"""

from __future__ import annotations

from typing import Any

from backprop_lab import ledger
from backprop_lab.worked.departures import DEPARTURES, search
from backprop_lab.worked.model import Entry, Model
from backprop_lab.worked.slips import slip

COLUMNS = (
    "example",
    "entry",
    "label",
    "of",
    "after",
    "sample",
    "engine",
    "dtype",
    "printed",
    "precision",
    "verdict",
    "kind",
    "departure",
    "computed",
    "stated_value",
)


def ledger_rows(
    data: dict[str, Any], example: str, model: Model | None = None
) -> list[dict[str, Any]]:
    """One row per printed number of the example, in the file's order (`model`: the
    example's Model if the caller has one, whose trained runs it reuses)."""
    model = model or Model(data)
    stated = {e.index: model.value(e) for e in model.entries}
    unexplained = [e for e in model.entries if not ledger.matches(e.printed, stated[e.index])]
    allowed = set(data.get("search") or DEPARTURES)
    agree = {e.index for e in model.entries if e not in unexplained}
    slips = {e.index: slip(e.text, stated[e.index]) for e in unexplained}
    if "transcription_slip" in allowed:
        # a slip explains a print whose neighbours agree with the computed values
        slips = {i: w for i, w in slips.items() if w and {i - 1, i + 1} & agree}
    else:
        slips = {}
    found = search(model, unexplained, allowed, set(slips))
    rows = []
    for e in model.entries:
        row = _row(example, e, model, stated[e.index])
        if e not in unexplained:
            row.update(verdict=ledger.REPRODUCED, kind="stated", computed=stated[e.index])
        elif e.index in found:
            f = found[e.index]
            row.update(
                verdict=ledger.DEVIATION,
                kind="+".join(f.kinds),
                departure=f.detail,
                computed=f.value,
            )
        else:
            row.update(verdict=ledger.NOT_REPRODUCIBLE, kind="none", computed=stated[e.index])
            if e.index in slips:
                row.update(kind="transcription_slip", departure=slips[e.index])
        rows.append(row)
    return rows


def _row(example: str, e: Entry, model: Model, stated: float | None) -> dict[str, Any]:
    return {
        "example": example,
        "entry": e.index,
        "label": e.label,
        "of": e.of,
        "after": e.after if e.minus_after is None else f"{e.after} - {e.minus_after}",
        "sample": e.sample,
        "engine": e.engine,
        "dtype": e.dtype or model.stated.dtype,
        "printed": e.text,
        "precision": e.printed.precision,
        "verdict": "",
        "kind": "",
        "departure": "",
        "computed": None,
        "stated_value": stated,
    }


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Printed, reproduced as stated, with a departure, not reproducible."""
    verdicts = [r["verdict"] for r in rows]
    return {
        "printed": len(rows),
        "reproduced": verdicts.count(ledger.REPRODUCED),
        "departure": verdicts.count(ledger.DEVIATION),
        "not_reproducible": verdicts.count(ledger.NOT_REPRODUCIBLE),
    }
