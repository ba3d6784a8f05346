"""Transcription slips: a printed number that differs from the computed value, printed with
the same digits, by one digit changed, dropped, added, or two neighbours swapped.

The ledger (``worked.verdicts``) names a slip only where a neighbouring printed number
agrees with its computed value; the search tries one before pairs of departures.
"""

from __future__ import annotations

import math

from backprop_lab.ledger import _decimals


def slip(printed: str, value: float | None) -> str | None:
    """The transcription slip that turns `value`, printed with the same digits, into the
    printed text (one digit changed, dropped, added, or two neighbours swapped); None if
    no one-digit slip does."""
    if value is None or not math.isfinite(value) or "e" in printed.lower():
        return None
    text = printed.strip()
    d = _decimals(text)
    for places, how in ((d, "changed"), (d + 1, "dropped"), (d - 1, "added"), (d, "swapped")):
        if places < 0:
            continue
        computed = f"{value:.{places}f}"
        if _one_edit(computed, text, how):
            return f"one digit {how}: computed {computed}, printed {text}"
    return None


def _one_edit(computed: str, printed: str, how: str) -> bool:
    if how == "changed":
        diff = [i for i, (a, b) in enumerate(zip(computed, printed)) if a != b]
        return len(computed) == len(printed) and len(diff) == 1 and computed[diff[0]].isdigit()
    if how == "swapped":
        diff = [i for i, (a, b) in enumerate(zip(computed, printed)) if a != b]
        return (
            len(computed) == len(printed)
            and len(diff) == 2
            and diff[1] == diff[0] + 1
            and computed[diff[0]] == printed[diff[1]]
            and computed[diff[1]] == printed[diff[0]]
        )
    longer, shorter = (computed, printed) if how == "dropped" else (printed, computed)
    return len(longer) == len(shorter) + 1 and any(
        longer[:i] + longer[i + 1 :] == shorter and longer[i].isdigit() for i in range(len(longer))
    )
