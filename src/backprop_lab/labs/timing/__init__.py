"""Timing: the time per training step of both engines, measured side by side in one job."""

from __future__ import annotations

from typing import Any

from backprop_lab.budget import Cost, n_params, step_seconds
from backprop_lab.lab import Figure, Lab


def _variants(section: dict[str, Any], config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One job times both engines on every configured network."""
    return {"engines/numpy_vs_torch": {**section, "changed": [], "seeds": None}}


def _cost(settings: dict[str, Any]) -> Cost:
    """Both engines take every timed step (and one warm-up repeat) on every network."""
    steps = (settings["repeats"] + 1) * settings["steps_per_repeat"]
    keys = (f"repeats {settings['repeats']}", f"steps_per_repeat {settings['steps_per_repeat']}")
    nets = [n_params(net["widths"], net["bias"]) for net in settings["networks"].values()]
    seconds = sum(step_seconds(e, steps, 1, p) for p in nets for e in ("numpy", "torch"))
    start = Cost.of("torch", 0, 1, 0, 0, 0, keys)  # the job imports torch
    return Cost(2 * steps * len(nets), start.cpu_seconds + seconds, start.memory_bytes, 0, keys)


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
    cost=_cost,
)
