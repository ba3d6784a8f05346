"""The ledger: every number a lab printed, checked against what the pipeline computes.

Each lab keeps its printed numbers in ``labs/<lab>/ledger.yaml`` (transcribed by hand: the
text as printed, its decimals or significant digits, how the lab rounded it). Its
``ledger.py`` pairs each printed number with the values that should produce it and asks
this module for a verdict:

- **reproduced**: a value of the lab's own stated setup, rounded as the lab printed it,
  gives the printed text (at the printed precision);
- **reproduced only with a deviation**: only a candidate that departs from the lab's
  stated setup (named) gives it;
- **not reproducible**: no candidate gives it; the entry says why, computed where it can
  be (an output outside a sigmoid's range, an unseeded initialisation);
- **within / outside the seeds' spread**: for unseeded runs, whether the printed value lies
  within the configured seeds' min..max (widened by half a unit of the printed precision).

A printed float's repr (``exact``) names one double; a run that computes the same sum in
another order lands a few ulps away. A lab may give such an entry a ``roundoff``: the
relative difference it accepts as float64 round-off (0, the default, accepts none).

The verdicts form a table (``<lab>_ledger``) in the committed reference, so the
reproduction check covers them.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backprop_lab.lab import LEDGER_KEYS

REPRODUCED = "reproduced"
DEVIATION = "reproduced only with a deviation"
NOT_REPRODUCIBLE = "not reproducible"
WITHIN_SPREAD = "within the seeds' spread"
OUTSIDE_SPREAD = "outside the seeds' spread"
CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
VERDICTS = (
    REPRODUCED,
    DEVIATION,
    NOT_REPRODUCIBLE,
    WITHIN_SPREAD,
    OUTSIDE_SPREAD,
    CONSISTENT,
    INCONSISTENT,
)
COLUMNS = (
    "block",
    "quantity",
    "where",
    "printed",
    "precision",
    "verdict",
    "explanation",
    "candidate",
    "computed",
    "seeds_min",
    "seeds_max",
    "seeds_mean",
    "seeds_sd",
    "dtype",
)


@dataclass(frozen=True)
class Printed:
    """One number as a lab printed it."""

    block: str
    quantity: str
    where: str
    printed: str
    decimals: int | None = None
    significant: int | None = None
    rounding: str = ""
    dtype: str = "unknown"
    extra: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # the text is a Python float's repr (shortest round-trip): it names one double exactly
    exact: bool = False
    # the relative difference accepted as round-off of the same computation summed in
    # another order (0: none); set by a lab's ledger.py, never by a transcription
    roundoff: float = 0.0

    @property
    def name(self) -> str:
        """The quantity without the row's other columns: "loss" of "loss [lr=0.1]"."""
        return self.quantity.split(" [")[0]

    @property
    def value(self) -> float:
        """The printed number (a percentage as a fraction: "99.0%" is 0.99)."""
        text = self.printed.strip().rstrip("%")
        number = float(text.rstrip("."))
        return number / 100 if self.printed.strip().endswith("%") else number

    @property
    def unit(self) -> float:
        """Half a unit of the last printed place: how far the unrounded value may lie."""
        if self.exact:
            return 0.0
        if self.significant is not None:
            exponent = math.floor(math.log10(abs(self.value))) if self.value else 0
            return 0.5 * 10.0 ** (exponent - self.significant + 1)
        decimals = self.decimals if self.decimals is not None else _decimals(self.printed)
        scale = 0.01 if self.printed.strip().endswith("%") else 1.0
        return 0.5 * 10.0 ** (-decimals) * scale

    @property
    def precision(self) -> str:
        if self.exact and self.roundoff:
            dtype = self.dtype if self.dtype in ("float32", "float64") else "float64"
            return f"exact (a float's repr), to {dtype} round-off ({self.roundoff:g} relative)"
        if self.exact:
            return "exact (a float's repr)"
        if self.significant is not None:
            return f"{self.significant} significant digits"
        decimals = self.decimals if self.decimals is not None else _decimals(self.printed)
        return f"{decimals} decimal{'s' if decimals != 1 else ''}"


def _decimals(text: str) -> int:
    match = re.search(r"\.(\d*)", text.strip().rstrip("%"))
    return len(match.group(1)) if match else 0


def matches(entry: Printed, value: float | None) -> bool:
    """Does `value`, rounded as the lab printed it, give the printed number?

    Within half a unit of the last printed place (a hair more, for the float rounding of
    the printed decimal itself), or within the entry's round-off (relative), and with the
    printed sign: "-0.0" comes only from a negative value.
    """
    if value is None or not math.isfinite(value):
        return False
    slack = max(2e-16, entry.roundoff) * abs(entry.value)
    if abs(value - entry.value) > entry.unit * (1 + 1e-9) + slack:
        return False
    negative_zero = entry.printed.strip().startswith("-") and entry.value == 0
    return not (negative_zero and value > 0)


@dataclass(frozen=True)
class Candidate:
    """A value that may explain a printed number: from the lab's stated setup (deviation
    None) or from a named departure from it."""

    name: str
    value: float | None
    deviation: str | None = None


def reproduce(entry: Printed, candidates: Iterable[Candidate]) -> dict[str, Any]:
    """The verdict on a printed number given candidate values, the stated setup's first."""
    candidates = list(candidates)
    stated = [c for c in candidates if c.deviation is None]
    for c in stated:
        if matches(entry, c.value):
            return _row(entry, REPRODUCED, f"by {c.name}", c.name, c.value)
    for c in candidates:
        if c.deviation is not None and matches(entry, c.value):
            return _row(entry, DEVIATION, c.deviation, c.name, c.value)
    closest = stated[0] if stated else (candidates[0] if candidates else None)
    names = ", ".join(c.name for c in candidates) or "no candidate"
    why = f"no candidate gives it (tried: {names})"
    if closest is None:
        return _row(entry, NOT_REPRODUCIBLE, why, "", None)
    return _row(entry, NOT_REPRODUCIBLE, why, closest.name, closest.value)


def not_reproducible(entry: Printed, reason: str) -> dict[str, Any]:
    """A printed number no run can give, with the computed reason."""
    return _row(entry, NOT_REPRODUCIBLE, reason, "", None)


def within_spread(entry: Printed, values: Iterable[float | None], run: str) -> dict[str, Any]:
    """An unseeded printed number against the configured seeds' values."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return _row(entry, NOT_REPRODUCIBLE, "every seed diverged", run, None)
    low, high = min(finite), max(finite)
    mean = math.fsum(finite) / len(finite)
    # a diverging seed's finite loss may be near the float limit: its square overflows
    sd = statistics.stdev(finite) if len(finite) > 1 else 0.0
    inside = low - entry.unit <= entry.value <= high + entry.unit
    verdict = WITHIN_SPREAD if inside else OUTSIDE_SPREAD
    explanation = f"the lab's run was unseeded; {len(finite)} seeds give {_g(low)} to {_g(high)}"
    row = _row(entry, verdict, explanation, run, None)
    row.update(seeds_min=low, seeds_max=high, seeds_mean=mean, seeds_sd=sd)
    return row


def consistency(entry: Printed, value: float, how: str, slack: float = 0.0) -> dict[str, Any]:
    """A printed number against a value computed from the lab's other printed numbers;
    `slack` is how far the computation itself may be off (its inputs were rounded too)."""
    close = abs(value - entry.value) <= entry.unit * (1 + 1e-9) + slack
    verdict = CONSISTENT if (matches(entry, value) or close) else INCONSISTENT
    return _row(entry, verdict, how, "", value)


def table(rows: list[dict[str, Any]]) -> Any:
    """The ledger as a DataFrame with the fixed columns (pandas imported here)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=list(COLUMNS))


# the columns that name a row of a ledger table (the reproduction check matches by them)
KEYS = LEDGER_KEYS


def _row(
    entry: Printed, verdict: str, explanation: str, candidate: str, computed: float | None
) -> dict[str, Any]:
    return {
        "block": entry.block,
        "quantity": entry.quantity,
        "where": entry.where,
        "printed": entry.printed,
        "precision": entry.precision,
        "verdict": verdict,
        "explanation": explanation,
        "candidate": candidate,
        "computed": computed,
        "seeds_min": None,
        "seeds_max": None,
        "seeds_mean": None,
        "seeds_sd": None,
        "dtype": entry.dtype,
    }


def _g(value: float) -> str:
    return f"{value:.4g}"


def load(path: str | Path) -> list[Printed]:
    """Every printed number of a lab's ledger.yaml, block by block."""
    import yaml

    data = yaml.safe_load(Path(path).read_text())
    entries = []
    for block in data["blocks"]:
        for v in block["values"]:
            known = {"quantity", "printed", "decimals", "significant", "rounding", "exact"}
            extra = {k: val for k, val in v.items() if k not in known}
            # a row of a table is named by its other columns: "loss [lr=0.1]"
            where = ", ".join(f"{k}={val}" for k, val in extra.items())
            entries.append(
                Printed(
                    block=block["id"],
                    quantity=f"{v['quantity']} [{where}]" if where else str(v["quantity"]),
                    where=block.get("where", ""),
                    printed=str(v["printed"]),
                    decimals=v.get("decimals"),
                    significant=v.get("significant"),
                    rounding=str(v.get("rounding", "")),
                    exact=bool(v.get("exact", False)),
                    dtype=str(block.get("dtype", "unknown")),
                    extra=extra,
                    settings=dict(block.get("settings") or {}),
                )
            )
    return entries


def summary(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many printed numbers got each verdict."""
    counts = dict.fromkeys(VERDICTS, 0)
    for row in rows:
        counts[row["verdict"]] += 1
    return counts
