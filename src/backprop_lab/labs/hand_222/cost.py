"""What one variant's job of this lab costs, estimated before any job runs (see
backprop_lab.budget). Read only when the config is checked: no job runs this code, so a
change of the estimate reruns nothing."""

from __future__ import annotations

from functools import cache
from typing import Any

from backprop_lab.budget import Cost
from backprop_lab.core.retention import kept_rounds


# The lab's aggregate and figures jobs, after its last training job (the default config on
# this kind of machine: 2.9 s tables, 3.5 s figures); the pipeline's priorities start the
# training of a lab with a long tail earlier (common.smk: train_priority)
TABLES_AND_FIGURES_SECONDS = 6.3


def cost(settings: dict[str, Any]) -> Cost:
    """Every round is one step of all seeds; the loss of every round is held in memory, the
    run file keeps the loss and 8 weights of the kept rounds (core.retention)."""
    replicas, rounds = len(settings["seeds"] or [0]), settings["rounds"]
    kept = _kept(rounds, tuple(settings["checkpoints"]))
    return Cost.of(
        settings["engine"],
        steps=rounds,
        replicas=replicas,
        params=8,
        array_values=replicas * (rounds + 9 * kept),
        file_values=replicas * 9 * kept,
        keys=(f"rounds {rounds}", f"seeds {replicas}"),
    )


@cache
def _kept(rounds: int, checkpoints: tuple[int, ...]) -> int:
    """How many rounds a run keeps (a sweep of many step sizes asks the same, each once)."""
    return len(kept_rounds(rounds, checkpoints))
