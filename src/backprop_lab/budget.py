"""The size of the work a config asks for, estimated before any job runs, and its budget.

Each lab says what one variant costs (``Lab.cost(settings) -> Cost``) from the shapes of
its work: training steps, replicas (seeds), parameters, values kept. Seconds and bytes
come from the per-step and per-value rates below, measured on the 2-core machine the
pipeline is developed on (``make bench`` prints the estimate next to the measured CPU
time). A config whose estimate exceeds the budget is refused before any job runs, with a
message naming the largest variants and the keys that size them; the top-level config key
``budget`` raises the limits. Pure Python: Snakemake loads it while it parses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backprop_lab.lab import ConfigError

# The limits of a config that does not set `budget` (and what each means)
BUDGET = {
    "cpu_hours": 2.0,  # estimated CPU time of every training job together
    "job_memory_gb": 4.0,  # estimated peak memory of the largest job
    "disk_gb": 5.0,  # estimated size of every run file together
}
# Seconds per training step (one forward, backward and update of one batch, all replicas
# together): base + per_value × replicas × parameters; and a job's fixed start-up cost
STEP_SECONDS = {"numpy": (40e-6, 1.8e-9), "torch": (300e-6, 7e-9)}
JOB_SECONDS = {"numpy": 0.6, "torch": 2.5}
# A job's memory: the interpreter and its imports, 8 bytes per array value (times
# ARRAY_COPIES for gradients, activations and temporaries), JSON_VALUE_BYTES per value it
# writes (a Python float in a list while the run file is written)
BASE_BYTES = {"numpy": 120e6, "torch": 450e6}
ARRAY_COPIES = 4
JSON_VALUE_BYTES = 60
# bytes per number in a run file (JSON text)
FILE_VALUE_BYTES = 20


@dataclass(frozen=True)
class Cost:
    """What one job costs: training steps, CPU seconds, peak memory and run-file bytes,
    and the config keys (of its lab's settings) that size it."""

    steps: int
    cpu_seconds: float
    memory_bytes: float
    file_bytes: float
    keys: tuple[str, ...] = ()

    @staticmethod
    def of(
        engine: str,
        steps: int,
        replicas: int,
        params: int,
        array_values: float,
        file_values: float,
        keys: Iterable[str] = (),
    ) -> Cost:
        """A job of ``steps`` steps of ``replicas`` stacked networks of ``params`` parameters
        that holds ``array_values`` numbers in arrays and writes ``file_values`` numbers."""
        seconds = JOB_SECONDS[engine] + step_seconds(engine, steps, replicas, params)
        memory = (
            BASE_BYTES[engine]
            + 8 * ARRAY_COPIES * (array_values + replicas * params)
            + JSON_VALUE_BYTES * file_values
        )
        return Cost(steps, seconds, memory, FILE_VALUE_BYTES * file_values, tuple(keys))

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.steps + other.steps,
            self.cpu_seconds + other.cpu_seconds,
            max(self.memory_bytes, other.memory_bytes),
            self.file_bytes + other.file_bytes,
            tuple(dict.fromkeys(self.keys + other.keys)),
        )


def step_seconds(engine: str, steps: int, replicas: int, params: int) -> float:
    """The CPU seconds of ``steps`` training steps (no start-up)."""
    base, per_value = STEP_SECONDS[engine]
    return steps * (base + per_value * replicas * params)


def n_params(widths: Iterable[int], bias: bool) -> int:
    """The parameters of a dense network of these layer widths (inputs first)."""
    w = [int(x) for x in widths]
    return sum(a * b + (b if bias else 0) for a, b in zip(w, w[1:]))


@dataclass(frozen=True)
class Estimate:
    jobs: int
    costs: dict[str, Cost]  # run id -> cost

    @property
    def steps(self) -> int:
        return sum(c.steps for c in self.costs.values())

    @property
    def cpu_seconds(self) -> float:
        return sum(c.cpu_seconds for c in self.costs.values())

    @property
    def memory_bytes(self) -> float:
        return max((c.memory_bytes for c in self.costs.values()), default=0.0)

    @property
    def file_bytes(self) -> float:
        return sum(c.file_bytes for c in self.costs.values())

    def summary(self, cores: int) -> str:
        wall = self.cpu_seconds / max(1, min(cores, self.jobs))
        return (
            f"backprop-lab: {self.jobs} training jobs, {_count(self.steps)} training steps; "
            f"estimated {_duration(self.cpu_seconds)} of CPU, about {_duration(wall)} at "
            f"--cores {cores}; the largest job about {_bytes(self.memory_bytes)} of memory; "
            f"run files about {_bytes(self.file_bytes)}"
        )


def estimate(runs: dict[str, dict[str, Any]], cost_of: Any) -> Estimate:
    """The cost of every run (``cost_of(run_id, settings) -> Cost``)."""
    return Estimate(len(runs), {run_id: cost_of(run_id, s) for run_id, s in runs.items()})


def limits(config: dict[str, Any]) -> dict[str, float]:
    return {**BUDGET, **config.get("budget", {})}


# budget key -> (what it limits, its unit in seconds or bytes, its words)
MEASURES = {
    "cpu_hours": ("cpu_seconds", 3600, "estimated CPU time", "CPU-hours"),
    "job_memory_gb": ("memory_bytes", 1e9, "the largest job's memory", "GB"),
    "disk_gb": ("file_bytes", 1e9, "the run files", "GB"),
}


def check(found: Estimate, config: dict[str, Any]) -> None:
    """Refuse a config whose estimate is over a limit, naming what sizes it."""
    limit = limits(config)
    for key, (attribute, scale, what, unit) in MEASURES.items():
        value = getattr(found, attribute) / scale
        if value <= limit[key]:
            continue
        top = sorted(found.costs.items(), key=lambda item: -getattr(item[1], attribute))[:3]
        largest = "; ".join(
            f"{run_id} ({_measure(attribute, getattr(cost, attribute))}: {', '.join(cost.keys)})"
            for run_id, cost in top
        )
        labs = sorted({run_id.split("/")[0] for run_id, _ in top})
        raise ConfigError(
            f"config key budget.{key}: {what} is about {value:.3g} {unit}, over the budget "
            f"of {limit[key]:g} {unit}. The largest: {largest}. Lower those keys in "
            f"{', '.join(labs)} (its baseline or axes), use fewer seeds or variants, or raise "
            f"the limit, for example --config 'budget={{{key}: {_raise(value)}}}'"
        )


def _raise(value: float) -> str:
    return f"{10 ** math.ceil(math.log10(value * 1.01)):g}" if value > 0 else "1"


def _measure(attribute: str, value: float) -> str:
    return _duration(value) if attribute == "cpu_seconds" else _bytes(value)


def _count(n: float) -> str:
    for size, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return f"{n:g}"


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    if seconds >= 60:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"


def _bytes(n: float) -> str:
    for size, suffix in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= size:
            return f"{n / size:.3g} {suffix}"
    return f"{n:.0f} B"
