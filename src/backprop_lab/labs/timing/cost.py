"""What one variant's job of this lab costs, estimated before any job runs (see
backprop_lab.budget). Read only when the config is checked: no job runs this code, so a
change of the estimate reruns nothing."""

from __future__ import annotations

from typing import Any

from backprop_lab.budget import Cost, n_params, step_seconds


# The lab's aggregate and figures jobs, after its last training job (the default config on
# this kind of machine: 0.4 s tables, 1.6 s figures); the pipeline's priorities start the
# training of a lab with a long tail earlier (common.smk: train_priority)
TABLES_AND_FIGURES_SECONDS = 2.0


def cost(settings: dict[str, Any]) -> Cost:
    """Both engines take every timed step (and one warm-up repeat) on every network."""
    steps = (settings["repeats"] + 1) * settings["steps_per_repeat"]
    keys = (f"repeats {settings['repeats']}", f"steps_per_repeat {settings['steps_per_repeat']}")
    nets = [n_params(net["widths"], net["bias"]) for net in settings["networks"].values()]
    seconds = sum(step_seconds(e, steps, 1, p) for p in nets for e in ("numpy", "torch"))
    start = Cost.of("torch", 0, 1, 0, 0, 0, keys)  # the job imports torch
    return Cost(2 * steps * len(nets), start.cpu_seconds + seconds, start.memory_bytes, 0, keys)
