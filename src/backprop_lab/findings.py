"""What every lab's findings share: the structured claim, and how runs are found.

Runs are found by their settings (the `changed` column says how a run differs from the
baseline), never by the names given to them in the config, so renaming a variant changes
no finding. A claim's verdict is decided here, in Python, from the numbers; templates only
render it (templates/macros.md.j2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

HOLDS = "holds"
PARTLY = "holds only partly"
FAILS = "does not hold"
UNCHECKED = "not checked"
VERDICTS = (HOLDS, PARTLY, FAILS, UNCHECKED)


@dataclass(frozen=True)
class Claim:
    """A claim a lab makes, checked against the tables.

    `statement` is the lab's claim in its words; `verdict` one of VERDICTS; `evidence` the
    sentence that shows why, its numbers already formatted; `numbers` the deciding values;
    `scope` where it was checked, when a claim is checked more than once (say, per task);
    `wall_time` whether it is decided by measured times (never compared by the
    reproduction check: another run on the same machine may decide it otherwise).
    """

    statement: str
    verdict: str
    evidence: str
    numbers: dict[str, Any] = field(default_factory=dict)
    scope: str = ""
    wall_time: bool = False

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows as dicts for a template, a missing value (NaN) as None."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def changed(run: pd.Series | dict[str, Any]) -> set[str]:
    text = run["changed"]
    return set() if not isinstance(text, str) or not text else set(text.split(","))


def unique_runs(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct run (first seed): a run repeated in several axes counts once."""
    return summary.drop_duplicates("settings_key")


def runs_changing(
    summary: pd.DataFrame, allowed: set[str], must: set[str] | None = None
) -> pd.DataFrame:
    """Distinct runs that differ from the baseline only in `allowed` (and in one of `must`,
    if given; the baseline itself always counts)."""
    first = unique_runs(summary)

    def fits(run: pd.Series) -> bool:
        keys = changed(run)
        return keys <= allowed and (not must or not keys or bool(keys & must))

    return first[first.apply(fits, axis=1)]


def baseline(summary: pd.DataFrame) -> pd.Series:
    plain = runs_changing(summary, set())
    return (plain if len(plain) else summary).iloc[0]


def equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return bool(np.isclose(float(a), float(b), rtol=1e-12, atol=0))
        except (TypeError, ValueError):
            return False
    return a == b


def find_twin_by(summary: pd.DataFrame, run: pd.Series, **changes: Any) -> pd.Series | None:
    """The distinct run whose `changed` keys are `run`'s plus the keys of `changes`, with
    those values."""
    want = changed(run) | set(changes)
    for _, other in unique_runs(summary).iterrows():
        if changed(other) == want and all(equal(other[k], v) for k, v in changes.items()):
            if "task" in run and other["task"] != run["task"]:
                continue
            return other
    return None


def collect_claims(value: Any) -> list[Claim]:
    """Every checked claim in a lab's findings context (dicts and lists walked), in order."""
    if isinstance(value, Claim):
        return [value]
    if isinstance(value, dict):
        return [c for v in value.values() for c in collect_claims(v)]
    if isinstance(value, (list, tuple)):
        return [c for v in value for c in collect_claims(v)]
    return []
