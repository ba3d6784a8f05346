"""One job of a worked example: the example as printed, or one variant of it.

As printed: the ledger (every printed number's verdict, the departure search), the round-1
forward and chain-rule tables with their autograd values, every parameter on its edge,
the outputs and loss at each round the author printed, and the loss curve.
A variant: the example changed along one axis (``backprop_lab.worked.variants``), trained
per seed (or once) on its engine; its loss curve, final loss and outputs, and the round it
diverged in, if it did (a result, never an error). Every curve point holds the total loss
twice: by the loss function the run trained on, and by the example's stated one (the same
number unless the variant changed the loss), so that variants compare on one scale.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from backprop_lab.worked.backprop import Net
from backprop_lab.worked.model import Model
from backprop_lab.worked.quantities import parse
from backprop_lab.worked.variants import changed

CURVE_POINTS = 60


def run(settings: dict[str, Any]) -> dict[str, Any]:
    start = time.perf_counter()
    if settings["kind"] == "as_printed":
        result = as_printed(settings["example"])
    else:
        result = variant(settings)
    result["seconds"] = time.perf_counter() - start
    return result


def as_printed(data: dict[str, Any]) -> dict[str, Any]:
    from backprop_lab.worked.chain import chain_rows, edges, forward_rows
    from backprop_lab.worked.verdicts import ledger_rows

    model = Model(data)
    curve, diverged, _ = _curve(model, "numpy", model.stated.loss)
    return {
        "kind": "as_printed",
        "title": data["title"],
        "loss": model.stated.loss,
        "stated_loss": model.stated.loss,
        "ledger": ledger_rows(data, "", model),
        "forward": forward_rows(model),
        "chain": chain_rows(model),
        "edges": edges(model),
        "rounds": _printed_rounds(model),
        "setup": setup_rows(data, model),
        "runs": [{"seed": None, "curve": curve, "diverged_round": diverged}],
    }


def variant(settings: dict[str, Any]) -> dict[str, Any]:
    runs = []
    engine = settings["overrides"].get("engine", "numpy")
    stated_loss = settings["example"]["training"]["loss"]
    loss = settings["overrides"].get("loss", stated_loss)
    for seed in settings["seeds"] or [None]:
        try:
            model = Model(
                {**changed(settings["example"], settings["overrides"], seed), "printed": []}
            )
        except ValueError as err:  # an override this example cannot take
            return {
                "kind": "variant",
                "loss": loss,
                "stated_loss": stated_loss,
                "runs": [],
                "skipped": str(err),
            }
        curve, diverged, last = _curve(model, engine, stated_loss)
        runs.append(
            {
                "seed": seed,
                "curve": curve,
                "diverged_round": diverged,
                "outputs": _outputs(model, last),
            }
        )
    return {"kind": "variant", "loss": loss, "stated_loss": stated_loss, "runs": runs}


def curve_rounds(rounds: int) -> list[int]:
    """0, 1, .., 10 and about CURVE_POINTS rounds spaced evenly on a log scale, and the last."""
    grid = np.unique(np.geomspace(1, max(rounds, 1), CURVE_POINTS).round().astype(int))
    return sorted({0, *range(1, min(rounds, 10) + 1), *map(int, grid), rounds})


def _train(model: Model, engine: str, keep: set[int]) -> tuple[dict[int, np.ndarray], int | None]:
    net = Net(model.graph, model.stated)
    if engine == "torch":
        from backprop_lab.worked.autograd import TorchNet

        kept = TorchNet(net).train(model.x, model.y, keep, net.theta())
    else:
        kept = net.train(model.x, model.y, keep)
    bad = [k for k, th in kept.items() if not np.all(np.isfinite(th))]
    last = max(kept, default=0)
    diverged = min(bad) if bad else (None if last == max(keep) else last + 1)
    return kept, diverged


def _curve(
    model: Model, engine: str, stated_loss: str
) -> tuple[list[list[float | None]], int | None, np.ndarray]:
    """[round, total loss by the loss trained on, total loss by `stated_loss`] along the
    run (None where not finite), the round it diverged in (or None) and θ after the last
    round trained."""
    keep = set(curve_rounds(model.stated.rounds))
    kept, diverged = _train(model, engine, keep)
    nets = (Net(model.graph, model.stated), Net(model.graph, model.stated.but(loss=stated_loss)))
    total = parse("E_total", model.graph)
    curve = []
    with np.errstate(all="ignore"):
        for k in sorted(kept):
            values = (net.value(kept[k], model.x, model.y, total, "all") for net in nets)
            curve.append([k, *(v if np.isfinite(v) else None for v in values)])
    return curve, diverged, kept[max(kept)]


def _outputs(model: Model, theta: np.ndarray) -> list[list[float | None]]:
    """Every output unit of every sample at θ (the last round trained)."""
    net = Net(model.graph, model.stated)
    with np.errstate(all="ignore"):
        _, outs = net.forward(theta, model.x)
    return [[float(v) if np.isfinite(v) else None for v in row] for row in outs[-1]]


def _printed_rounds(model: Model) -> list[dict[str, Any]]:
    """Each output of each sample and the total loss, at every round the author printed
    something at (and the example's last round)."""
    rounds = sorted({e.after for e in model.entries} | {model.stated.rounds})
    states = model.states(model.stated, (), set(rounds))
    net = Net(model.graph, model.stated)
    rows = []
    for r in rounds:
        if r not in states:
            continue
        for s in range(len(model.x)):
            for unit in model.graph.outputs:
                q = parse(f"out_{unit}", model.graph)
                rows.append(
                    {
                        "after": r,
                        "quantity": f"out_{unit}",
                        "sample": s + 1,
                        "value": net.value(states[r], model.x, model.y, q, s + 1),
                    }
                )
        total = net.value(states[r], model.x, model.y, parse("E_total", model.graph), "all")
        rows.append({"after": r, "quantity": "E_total", "sample": "all", "value": total})
    return rows


def _numbers(values: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def setup_rows(data: dict[str, Any], model: Model) -> list[dict[str, str]]:
    """The example's setup in words (the report's setup table; text from the file is
    escaped where the report shows it)."""
    g, s = model.graph, model.stated
    acts = " / ".join(
        ", ".join(f"{u}: {a}" for u, a in zip(layer, names))
        for layer, names in zip(g.layers[1:], s.activations[1:])
    )
    biases = (
        "; ".join(
            f"{b} = {g.initial[b]:g} → {', '.join(units)} "
            f"({'trained' if g.trained[b] else 'frozen'})"
            for b, units in g.biases.items()
        )
        or "none"
    )
    weights = ", ".join(f"{w} = {g.initial[w]:g} ({a}→{b})" for w, (a, b) in g.weights.items())
    samples = "; ".join(
        f"x = ({_numbers(d['x'])}), target = ({_numbers(d['y'])})" for d in data["data"]
    )
    rows = [
        ("title", data["title"]),
        ("source", data.get("source", "")),
        ("note", data.get("note", "")),
        ("layers", " / ".join(", ".join(layer) for layer in g.layers)),
        ("activations", acts),
        ("weights", weights),
        ("biases", biases),
        ("samples", samples),
        ("loss", s.loss),
        ("step", f"{s.step:g}"),
        ("rounds", str(s.rounds)),
        ("batch", s.batch),
        ("update order", s.order),
        ("dtype", s.dtype),
    ]
    return [{"key": k, "value": v} for k, v in rows]
