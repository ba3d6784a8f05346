"""A worked example's printed entries and the values any Setup gives them (cached).

A printed entry is checked against the value its quantity takes after ``after`` updates
(minus the value after ``minus_after``, for a printed difference), for its sample or the
batch, under a Setup: the example's stated one, or a departure from it. ``Model`` trains
each Setup once, keeping the parameters at every round some entry asks about.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from backprop_lab.ledger import Printed
from backprop_lab.worked.backprop import Net, Setup, arrays, stated_setup
from backprop_lab.worked.example import Graph, graph_of
from backprop_lab.worked.quantities import Quantity, parse

# a print of 15 or more significant digits names a float exactly (a repr): accepted within
# this relative difference, the round-off of the same sums taken in another order or by
# other kernels, per dtype (measured: the shared examples' 17-digit float64 prints differ
# from ours by at most 3.3e-15 relative; the 2-2-2 lab's float32 .item() reprs by 2.7e-7)
ROUNDOFF = {"float64": 1e-12, "float32": 4e-6}


@dataclass(frozen=True)
class Entry:
    """One printed number of an example and where it sits on the graph."""

    index: int  # 1-based, the file's order
    label: str
    of: str
    quantity: Quantity
    text: str
    after: int = 0
    minus_after: int | None = None
    sample: int | str = 1
    dtype: str | None = None
    engine: str = "numpy"
    parameters: tuple[tuple[str, float], ...] = ()
    decimals: int | None = None
    computed_in: str = "float64"  # the entry's dtype, else the example's

    @cached_property
    def printed(self) -> Printed:
        """The entry as the core ledger reads a printed number (its precision)."""
        digits = significant_digits(self.text)
        scientific = "e" in self.text.lower()
        long = digits >= 15
        return Printed(
            block="",
            quantity=self.label,
            where="",
            printed=self.text.strip(),
            significant=digits if scientific and not long else None,
            decimals=self.decimals,
            exact=long,
            roundoff=ROUNDOFF[self.computed_in] if long else 0.0,
            dtype=self.computed_in,
        )

    @property
    def rounds(self) -> set[int]:
        return {self.after} | ({self.minus_after} if self.minus_after is not None else set())


def significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text.strip().lstrip("+-").rstrip("%"))[0].replace(".", "")
    return len(mantissa.lstrip("0")) or 1


def entries_of(data: dict[str, Any], graph: Graph) -> list[Entry]:
    out = []
    for i, e in enumerate(data["printed"], start=1):
        out.append(
            Entry(
                index=i,
                label=str(e.get("label", e["of"])),
                of=e["of"],
                quantity=parse(e["of"], graph),
                text=str(e["text"]),
                after=int(e.get("after", 0)),
                minus_after=e.get("minus_after"),
                sample=e.get("sample", 1),
                dtype=e.get("dtype"),
                engine=e.get("engine", "numpy"),
                parameters=tuple(sorted((e.get("parameters") or {}).items())),
                decimals=e.get("decimals"),
                computed_in=e.get("dtype") or data["training"].get("dtype", "float64"),
            )
        )
    return out


class Model:
    """An example's graph, samples and stated Setup; the values any Setup gives."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.graph = graph_of(data)
        self.stated = stated_setup(data, self.graph)
        self.x, self.y = arrays(data)
        self.entries = entries_of(data, self.graph)
        self._states: dict[tuple, dict[int, np.ndarray]] = {}
        self.needed: set[int] = {r for e in self.entries for r in e.rounds}
        self.trainings = 0

    def setup_of(self, entry: Entry, setup: Setup | None = None) -> Setup:
        """The Setup an entry is computed under: `setup` (default the stated one) in the
        entry's own dtype where it states one."""
        setup = setup or self.stated
        return setup.but(dtype=entry.dtype) if entry.dtype else setup

    def states(self, setup: Setup, parameters: tuple = (), rounds: set[int] | None = None) -> dict:
        """θ after each round of `rounds` (default: every round an entry names), trained
        once per Setup and initial values, extended when more rounds are asked for."""
        want = set(rounds if rounds is not None else self.needed)
        key = (setup, parameters)
        have = self._states.get(key, {})
        missing = {r for r in want if r not in have}
        if missing and not (have and _diverged(have) and min(missing) > max(have)):
            net = Net(self.graph, setup)
            start = net.theta(dict(parameters))
            have = {**have, **net.train(self.x, self.y, missing | {0}, start)}
            self.trainings += 1
            self._states[key] = have
        return have

    def value(
        self, entry: Entry, setup: Setup | None = None, after: int | None = None
    ) -> float | None:
        """The entry's quantity under `setup` (default stated), at round `after` (default
        the entry's); None where the run diverged before it."""
        setup = self.setup_of(entry, setup)
        after = entry.after if after is None else after
        rounds = {after} | ({entry.minus_after} if entry.minus_after is not None else set())
        states = self.states(setup, entry.parameters, rounds)
        if any(r not in states for r in rounds):
            return None
        if entry.engine == "torch" and setup is not None:
            return self._torch_value(entry, setup, states, after)
        net = Net(self.graph, setup)
        value = net.value(states[after], self.x, self.y, entry.quantity, entry.sample)
        if entry.minus_after is not None:
            value -= net.value(
                states[entry.minus_after], self.x, self.y, entry.quantity, entry.sample
            )
        return value if math.isfinite(value) else None

    def _torch_value(self, entry: Entry, setup: Setup, states: dict, after: int) -> float | None:
        from backprop_lab.worked.autograd import TorchNet

        try:
            net = TorchNet(Net(self.graph, setup))
        except ValueError:
            return None

        def at(r: int) -> float:
            s = int(entry.sample) - 1 if entry.sample != "all" else 0
            return net.value(states[r], self.x[s : s + 1], self.y[s : s + 1], entry.quantity)

        value = at(after) - (at(entry.minus_after) if entry.minus_after is not None else 0.0)
        return value if math.isfinite(value) else None


def _diverged(states: dict[int, np.ndarray]) -> bool:
    return not np.all(np.isfinite(states[max(states)]))
