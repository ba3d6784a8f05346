"""Timing: the time per training step of both engines, measured side by side in one job."""

from __future__ import annotations

from typing import Any

from backprop_lab.lab import Figure, Lab


def _variants(section: dict[str, Any], config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One job times both engines on every configured network."""
    return {"engines/numpy_vs_torch": {**section, "changed": [], "seeds": None}}


LAB = Lab(
    name="timing",
    title="Timing",
    tables={"timing": ("network", "widths", "engine", "repeats", "median_seconds_per_step")},
    table_keys={"timing": ("network", "engine")},
    timing_tables=frozenset({"timing"}),
    variants=_variants,
    figures=lambda section: [Figure("timing", "timing")],
    result_keys=("timing",),
    uses_torch=lambda settings: True,  # it times the torch engine
)
