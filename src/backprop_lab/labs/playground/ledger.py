"""micrograd's demo (ledger.yaml): every number it printed against the playground run with
its settings.

The demo printed the number of its parameters, then before each step k = 0..99 its loss (a
float's repr) and its accuracy. In a playground run, step k's values are those before the
first update (``result["initial"]``) for k = 0 and epoch k's for k ≥ 1 (one full-batch
step per epoch). The run is found by the block's settings, a setting the variant leaves
out counting as run.py's default; micrograd's own run is the replica of the block's seed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from backprop_lab import ledger
from backprop_lab.findings import equal
from backprop_lab.tidy import run_id

LEDGER = Path(__file__).with_name("ledger.yaml")
# A printed loss counts as reproduced within this relative difference: micrograd sums the
# 100 hinge losses and the 337 squared parameters one scalar at a time, numpy in another
# order, so the same float64 computation lands a few ulps away (measured over the 100
# losses: at most 3.7e-15 with the pipeline's pinned kernels, 1.04e-14 unpinned); a
# different computation (another penalty, another step) moves the loss by far more.
ROUNDOFF = 1e-12
# the settings run.py reads with a default when a variant does not give them
DEFAULTS = {
    "update_rule": "sgd",
    "schedule": "constant",
    "order": "shuffled",
    "penalty_on": "weights",
}
# the key of a block's settings that names micrograd's replica, not a setting of the run
SEED = "seed"
# the steps table's run_id where no run has the demo's settings (a key column: never empty)
NO_RUN = "-"

Run = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Demo:
    """The run with the demo's settings and micrograd's replica in it."""

    run: Run
    replica: int

    @property
    def run_id(self) -> str:
        return run_id(self.run["settings"])

    @property
    def seed(self) -> int:
        return int(self.run["settings"]["seeds"][self.replica])

    def step(self, key: str, k: int) -> float:
        """The run's `key` (train_loss or train_accuracy) before step k."""
        result = self.run["result"]
        values = result["initial"][key] if k == 0 else result[key][self.replica][k - 1]
        return float(values[self.replica] if k == 0 else values)

    def parameters(self) -> int:
        result = self.run["result"]
        weights = sum(len(W) * len(W[0]) for W in result["weights"][self.replica])
        return weights + sum(len(b) for b in result["biases"][self.replica])


def find(runs: list[Run], settings: dict[str, Any]) -> Demo | None:
    """The first run (in the config's order) with these settings and the seed among its
    seeds."""
    seed = settings.get(SEED)
    want = {k: v for k, v in settings.items() if k != SEED}
    for run in runs:
        s = run["settings"]
        if seed is not None and seed not in s.get("seeds", []):
            continue
        if all(equal(s.get(k, DEFAULTS.get(k)), v) for k, v in want.items()):
            return Demo(run, s["seeds"].index(seed) if seed is not None else 0)
    return None


def build(runs: list[Run]) -> list[dict[str, Any]]:
    """A verdict for every printed number of the ledger."""
    entries = ledger.load(LEDGER)
    found = _by_block(runs, entries)
    return [_verdict(e, found[e.block]) for e in entries]


def _by_block(runs: list[Run], entries: list[ledger.Printed]) -> dict[str, Demo | None]:
    """The run of each block's settings, looked up once per block."""
    settings = {e.block: e.settings for e in entries}
    return {block: find(runs, wanted) for block, wanted in settings.items()}


def _verdict(entry: ledger.Printed, demo: Demo | None) -> dict[str, Any]:
    if demo is None:
        return ledger.not_reproducible(
            entry, f"no configured variant has the demo's settings ({_settings(entry)})"
        )
    name = entry.name
    if name == "number of parameters":
        widths = "-".join(str(w) for w in demo.run["result"]["widths"])
        how = f"the weights and biases of {demo.run_id} ({widths}, with biases)"
        return ledger.reproduce(entry, [ledger.Candidate(how, float(demo.parameters()))])
    k = int(entry.extra["step"])
    before = f"{demo.run_id}, seed {demo.seed}, before step {k}"
    if name == "accuracy":
        value = demo.step("train_accuracy", k)
        return ledger.reproduce(entry, [ledger.Candidate(before, value)])
    if name == "loss":
        value = demo.step("train_loss", k)
        entry = dataclasses.replace(entry, roundoff=ROUNDOFF)
        row = ledger.reproduce(entry, [ledger.Candidate(before, value)])
        difference = relative_difference(value, entry.value)
        if row["verdict"] == ledger.REPRODUCED:
            # the measured differences move with the kernels (3.7e-15 at most pinned, 1.04e-14
            # unpinned): they stay out of this text, in the steps table's round-off column
            row["explanation"] += (
                f"; float64 round-off: relative difference at most {ROUNDOFF:g} (each step's "
                "in playground_micrograd_steps)"
            )
        else:
            row["explanation"] += f"; relative difference {difference:.2e}"
        return row
    return ledger.not_reproducible(entry, f"the ledger does not know the quantity {name!r}")


def relative_difference(value: float, printed: float) -> float:
    return abs(value - printed) / abs(printed) if printed else abs(value)


def _settings(entry: ledger.Printed) -> str:
    return ", ".join(f"{k}: {v}" for k, v in entry.settings.items())


def steps(runs: list[Run]) -> list[dict[str, Any]]:
    """Per printed step: micrograd's loss and accuracy beside the run's (seed 1337); without
    a run of the demo's settings, the printed values alone (run NO_RUN, seed and ours
    empty)."""
    entries = [e for e in ledger.load(LEDGER) if "step" in e.extra]
    found = _by_block(runs, entries)
    rows: dict[int, dict[str, Any]] = {}
    for entry in entries:
        demo = found[entry.block]
        k = int(entry.extra["step"])
        row = rows.setdefault(
            k,
            {
                "run_id": NO_RUN if demo is None else demo.run_id,
                "seed": None if demo is None else demo.seed,
                "step": k,
            },
        )
        if entry.name == "loss":
            loss = None if demo is None else demo.step("train_loss", k)
            row.update(
                printed_loss=entry.value,
                loss=loss,
                relative_difference=None
                if loss is None
                else relative_difference(loss, entry.value),
            )
        elif entry.name == "accuracy":
            accuracy = None if demo is None else demo.step("train_accuracy", k)
            row.update(printed_accuracy=entry.value, accuracy=accuracy)
    return [rows[k] for k in sorted(rows)]
