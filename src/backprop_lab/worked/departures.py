"""Named departures from an example's stated setup, and the search that tries them.

When a printed number differs from what the stated setup computes, the search tries every
named departure (``DEPARTURES``: the author's other choices and the mistakes students make
most) on every printed number not yet explained, ranks them by how many of those numbers
each explains (a departure that explains a whole block is the likelier story), and names,
per number, the best-ranked one that reproduces it; then pairs of departures for the
numbers no single one explains (of runs up to ``PAIR_ROUNDS`` rounds). A transcription slip
is judged on the printed text (``worked.slips``), not by a run.

``DEPARTURES`` is plain data (the example schema's check reads it while Snakemake builds
its DAG); the search imports numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backprop_lab.worked.model import Entry, Model

# name -> what it means, in the report's words
DEPARTURES: dict[str, str] = {
    "update_order": "the other update order (layer by layer: the hidden deltas from the "
    "already updated weights above, or all from one forward pass)",
    "bias_training": "a bias trained instead of frozen, or frozen instead of trained",
    "unit_activation": "one unit's activation changed",
    "dtype": "float32 instead of float64 (or the reverse)",
    "rounded_intermediates": "every intermediate value rounded to the printed decimals",
    "truncated": "the value truncated, not rounded, to the printed digits",
    "inferred_step": "the step size that the printed updated parameters imply",
    "step_size": "another step size (half, double, a tenth, ten times the stated one)",
    "restarted": "a run restarted from the initial values instead of continued",
    "loss_scale": "the squared error with or without ½, or as a mean",
    "batch_combination": "the samples' gradients summed, averaged, or applied one by one",
    "round_off_by_one": "the round off by one",
    "missing_derivative": "the activation derivative left out of the deltas",
    "derivative_at_net": "the derivative's formula in the output evaluated at the net input "
    "(σ(net)(1 − σ(net)) written as net(1 − net))",
    "flipped_sign": "the update's sign flipped (w + step · dE/dw)",
    "transposed_weight": "the transposed weight in a hidden delta (W[j, i] for W[i, j])",
    "weight_gradients": "a hidden unit's error from its outgoing weights' gradients "
    "(dE/dw5 + dE/dw6) instead of the weights times the deltas",
    "transcription_slip": "one digit changed, dropped, added or two swapped, in a print whose "
    "neighbours agree",
}
# the student mistakes among them (the marking table counts these)
MISTAKES = (
    "missing_derivative",
    "derivative_at_net",
    "flipped_sign",
    "transposed_weight",
    "weight_gradients",
)
ACTIVATION_TRIALS = ("sigmoid", "relu", "tanh", "identity")
SQUARED_LOSSES = ("half_sse", "sse", "mse", "half_mse")
PAIR_ROUNDS = 100  # runs this short are tried with every departure, for the ranking
PAIR_MAX_ROUNDS = 1000  # runs this short are tried with pairs of departures
TOP_PAIRED = 3  # pairs: each of the best-ranked departures with every other
STEP_FACTORS = (0.5, 2.0, 0.1, 10.0)

Value = tuple[float | None, str]  # a candidate value and its departure's words


@dataclass(frozen=True)
class Trial:
    """One concrete departure: its kind (a DEPARTURES name), its words with the numbers,
    and either the Setup changes it makes or how it computes an entry's candidates."""

    kind: str
    detail: str
    changes: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    candidates: Callable[[Model, Entry], list[Value]] | None = field(
        default=None, hash=False, compare=False
    )
    matches: Callable[[Entry, float | None], bool] | None = field(
        default=None, hash=False, compare=False
    )

    def explain(self, model: Model, entry: Entry) -> Value | None:
        """The candidate that reproduces the entry, or None."""
        from backprop_lab.ledger import matches

        test = self.matches or (lambda e, v: matches(e.printed, v))
        if self.candidates is not None:
            found = self.candidates(model, entry)
        else:
            found = [(model.value(entry, model.stated.but(**self.changes)), self.detail)]
        return next(((v, d) for v, d in found if test(entry, v)), None)


def trials(model: Model, allowed: set[str]) -> list[Trial]:
    """Every concrete departure of the example, in DEPARTURES order."""
    out: list[Trial] = []
    for kind in DEPARTURES:
        if kind in allowed and kind in _MAKERS:
            out += _MAKERS[kind](model)
    return out


def _update_order(model: Model) -> list[Trial]:
    other = "simultaneous" if model.stated.order == "layer_by_layer" else "layer_by_layer"
    words = {
        "layer_by_layer": "layer by layer (hidden deltas from the updated weights)",
        "simultaneous": "all parameters from one forward pass",
    }
    return [Trial("update_order", f"update order {words[other]}", {"order": other})]


def _bias_training(model: Model) -> list[Trial]:
    stated, params = model.stated.trained, model.graph.parameters
    out = []
    flips = [params.index(b) for b in model.graph.biases]
    for k in flips:
        t = list(stated)
        t[k] = not t[k]
        state = "trained" if t[k] else "frozen"
        out.append(Trial("bias_training", f"{params[k]} {state}", {"trained": tuple(t)}))
    if len(flips) > 1:
        t = [not v if k in flips else v for k, v in enumerate(stated)]
        names = ", ".join(params[k] for k in flips)
        state = "trained" if t[flips[0]] else "frozen"
        if len({t[k] for k in flips}) == 1:
            out.append(Trial("bias_training", f"{names} all {state}", {"trained": tuple(t)}))
    return out


def _unit_activation(model: Model) -> list[Trial]:
    """One unit's activation changed; or every unit one activation but one unit another
    (a lab that says "ReLU" and put it on one output only)."""
    stated, units = model.stated.activations, model.graph.layers
    cells = [(ly, k) for ly in range(1, len(units)) for k in range(len(units[ly]))]
    seen, out = {stated}, []

    def add(changed: tuple, detail: str) -> None:
        if changed not in seen:
            seen.add(changed)
            out.append(Trial("unit_activation", detail, {"activations": changed}))

    def with_cell(base: tuple, ly: int, k: int, name: str) -> tuple:
        row = list(base[ly])
        row[k] = name
        return (*base[:ly], tuple(row), *base[ly + 1 :])

    for ly, k in cells:
        for name in ACTIVATION_TRIALS:
            if name != stated[ly][k]:
                add(
                    with_cell(stated, ly, k, name),
                    f"{units[ly][k]} uses {name} instead of {stated[ly][k]}",
                )
    for rest in ACTIVATION_TRIALS:
        uniform = (stated[0], *(tuple(rest for _ in layer) for layer in units[1:]))
        add(uniform, f"every unit uses {rest}")
        for ly, k in cells:
            for name in ACTIVATION_TRIALS:
                if name != rest:
                    add(
                        with_cell(uniform, ly, k, name),
                        f"{units[ly][k]} uses {name}, every other unit {rest}",
                    )
    return out


def _dtype(model: Model) -> list[Trial]:
    other = "float32" if model.stated.dtype == "float64" else "float64"
    return [Trial("dtype", f"computed in {other}", {"dtype": other})]


def _rounded(model: Model) -> list[Trial]:
    from backprop_lab.ledger import _decimals

    places = sorted({_decimals(e.text) for e in model.entries if "e" not in e.text.lower()})
    return [
        Trial(
            "rounded_intermediates",
            f"every intermediate value rounded to {d} decimals",
            {"decimals": d},
        )
        for d in places
        if 1 <= d <= 12
    ]


def _truncated(model: Model) -> list[Trial]:
    def candidates(m: Model, e: Entry) -> list[Value]:
        return [(m.value(e), "truncated to the printed digits")]

    def truncates(e: Entry, value: float | None) -> bool:
        from backprop_lab.ledger import _decimals

        if value is None or e.printed.exact or "e" in e.text.lower():
            return False
        d = _decimals(e.text)
        cut = math.trunc(value * 10**d) / 10**d
        return abs(cut - e.printed.value) < 0.01 * 10**-d

    return [Trial("truncated", "truncated, not rounded", candidates=candidates, matches=truncates)]


def _inferred_step(model: Model) -> list[Trial]:
    from backprop_lab.ledger import matches

    updated = [
        e
        for e in model.entries
        if e.quantity.of.kind == "param"
        and not e.quantity.wrt
        and e.after == 1
        and e.minus_after is None
        and not e.parameters
    ]
    if len(updated) < 2:
        return []  # one printed update fits any step: no evidence of one
    ratios = []
    for e in updated:
        p0 = model.graph.initial[e.quantity.of.name]
        stated = model.value(e)
        if stated is not None and stated != p0:
            ratios.append((p0 - e.printed.value) / (p0 - stated))
    if not ratios:
        return []
    ratio = sorted(ratios)[len(ratios) // 2]
    out = []
    for digits in (2, 3, 4):
        step = float(f"{model.stated.step * ratio:.{digits}g}")
        setup = model.stated.but(step=step)
        # a negative step is the flipped update sign, a mistake of its own
        if (
            step > 0
            and step != model.stated.step
            and all(matches(e.printed, model.value(e, setup)) for e in updated)
        ):
            detail = (
                f"step {step:g} instead of {model.stated.step:g} "
                f"(what the {len(updated)} printed updated parameters imply)"
            )
            out.append(Trial("inferred_step", detail, {"step": step}))
            break
    return out


def _step_size(model: Model) -> list[Trial]:
    step = model.stated.step
    return [
        Trial("step_size", f"step {step * f:g} instead of {step:g}", {"step": step * f})
        for f in STEP_FACTORS
    ]


def _restarted(model: Model) -> list[Trial]:
    def candidates(m: Model, e: Entry) -> list[Value]:
        earlier = sorted({r for x in m.entries for r in x.rounds if 0 < r < e.after})
        return [
            (
                m.value(e, after=e.after - j),
                f"restarted from the initial values after round {j}: {e.after - j} rounds, "
                f"not {e.after}",
            )
            for j in earlier
        ]

    return [Trial("restarted", "restarted from the initial values", candidates=candidates)]


def _loss_scale(model: Model) -> list[Trial]:
    if model.stated.loss not in SQUARED_LOSSES:
        return []
    return [
        Trial("loss_scale", f"loss {name} instead of {model.stated.loss}", {"loss": name})
        for name in SQUARED_LOSSES
        if name != model.stated.loss
    ]


def _batch(model: Model) -> list[Trial]:
    if len(model.x) < 2:
        return []
    return [
        Trial("batch_combination", f"batch {name} instead of {model.stated.batch}", {"batch": name})
        for name in ("per_sample", "sum", "mean")
        if name != model.stated.batch
    ]


def _off_by_one(model: Model) -> list[Trial]:
    def candidates(m: Model, e: Entry) -> list[Value]:
        return [
            (m.value(e, after=e.after + d), f"after {e.after + d} rounds, not {e.after}")
            for d in (-1, 1)
            if e.after + d >= 0 and e.minus_after is None
        ]

    return [Trial("round_off_by_one", "the round off by one", candidates=candidates)]


def _mistake(kind: str, detail: str, changes: dict[str, Any]) -> Callable[[Model], list[Trial]]:
    return lambda model: [Trial(kind, detail, changes)]


def _transposed(model: Model) -> list[Trial]:
    layers = model.graph.layers
    square = any(len(a) == len(b) for a, b in zip(layers[1:], layers[2:]))
    if not square:
        return []
    return [
        Trial(
            "transposed_weight",
            "hidden deltas through the transposed weights",
            {"transposed": True},
        )
    ]


_MAKERS: dict[str, Callable[[Model], list[Trial]]] = {
    "update_order": _update_order,
    "bias_training": _bias_training,
    "unit_activation": _unit_activation,
    "dtype": _dtype,
    "rounded_intermediates": _rounded,
    "truncated": _truncated,
    "inferred_step": _inferred_step,
    "step_size": _step_size,
    "restarted": _restarted,
    "loss_scale": _loss_scale,
    "batch_combination": _batch,
    "round_off_by_one": _off_by_one,
    "missing_derivative": _mistake(
        "missing_derivative", "no activation derivative in the deltas", {"derivative": "missing"}
    ),
    "derivative_at_net": _mistake(
        "derivative_at_net", "the derivative evaluated at the net input", {"derivative": "at_net"}
    ),
    "flipped_sign": _mistake("flipped_sign", "the update's sign flipped", {"sign": 1.0}),
    "transposed_weight": _transposed,
    "weight_gradients": _mistake(
        "weight_gradients",
        "hidden errors from the outgoing weights' gradients",
        {"weight_gradients": True},
    ),
}


@dataclass(frozen=True)
class Found:
    """What explains one printed number: the departures' kinds and words, and the value."""

    kinds: tuple[str, ...]
    detail: str
    value: float | None


def search(
    model: Model, unexplained: list[Entry], allowed: set[str], slipped: set[int] = frozenset()
) -> dict[int, Found]:
    """The departure (or pair) that reproduces each entry, by entry index; entries that
    nothing explains are left out.

    Numbers printed at one round come from one run, so the search works round by round:
    of the departures, the one that reproduces the most of that round's numbers wins (ties:
    the one that explains the most numbers of short runs, at most PAIR_ROUNDS rounds, then
    DEPARTURES order); a round of a longer run takes the first that reproduces any, in that
    ranking. Numbers left, and no transcription slip (`slipped`), try pairs of the
    TOP_PAIRED best-ranked departures with every other, up to PAIR_MAX_ROUNDS rounds."""
    model.needed |= {r + d for e in unexplained for r in e.rounds for d in (-1, 1) if r + d >= 0}
    singles = trials(model, allowed)
    short = [e for e in unexplained if e.after <= PAIR_ROUNDS]
    hits = {t: {e.index: t.explain(model, e) for e in short} for t in singles}
    hits = {t: {i: v for i, v in h.items() if v is not None} for t, h in hits.items()}
    ranked = sorted(singles, key=lambda t: -len(hits[t]))  # stable: DEPARTURES order
    setups = [t for t in ranked if t.changes]
    found: dict[int, Found] = {}
    for group in _rounds(unexplained):
        todo = list(group)
        while todo:
            pick = _best(model, todo, ranked, hits)
            n = len(pick[1]) if pick else 0
            pairable = [e for e in todo if e.index not in slipped and e.after <= PAIR_MAX_ROUNDS]
            pairs = _pairs(model, pairable, setups) if n < len(todo) and pairable else {}
            if len(pairs) > n:
                found.update(pairs)
            elif pick is not None:
                trial, explained = pick
                found.update({i: Found((trial.kind,), d, v) for i, (v, d) in explained.items()})
            else:
                break
            todo = [e for e in todo if e.index not in found]
    return found


def _rounds(entries: list[Entry]) -> list[list[Entry]]:
    groups: dict[tuple, list[Entry]] = {}
    for e in entries:
        groups.setdefault((e.after, e.minus_after), []).append(e)
    return list(groups.values())


def _best(model: Model, todo: list[Entry], ranked: list[Trial], hits: dict) -> tuple | None:
    """The trial that reproduces the most of `todo` (a round's numbers) and what it gives."""
    if all(e.after <= PAIR_ROUNDS for e in todo):
        scored = [
            (t, {e.index: hits[t][e.index] for e in todo if e.index in hits[t]}) for t in ranked
        ]
        best = max(scored, key=lambda te: len(te[1]), default=(None, {}))
        return best if best[1] else None
    for t in ranked:  # a long run: the first that reproduces any, in rank order
        explained = {e.index: h for e in todo if (h := t.explain(model, e)) is not None}
        if explained:
            return t, explained
    return None


def _pairs(model: Model, entries: list[Entry], setups: list[Trial]) -> dict[int, Found]:
    """The pair (a top-ranked departure and any other) that reproduces the most of
    `entries`; stops at one that reproduces them all."""
    best: dict[int, Found] = {}
    for a in setups[:TOP_PAIRED]:
        for b in setups:
            if b is a or set(a.changes) & set(b.changes):
                continue
            pair = Trial(a.kind, f"{a.detail}, and {b.detail}", {**a.changes, **b.changes})
            got = {e.index: h for e in entries if (h := pair.explain(model, e)) is not None}
            if len(got) > len(best):
                best = {i: Found((a.kind, b.kind), pair.detail, h[0]) for i, h in got.items()}
            if len(best) == len(entries):
                return best
    return best
