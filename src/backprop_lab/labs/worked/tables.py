"""The worked examples' tables: per example its ledger, the marking across examples, the
round-1 tables, the values at the printed rounds, and every variant's result."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from backprop_lab.ledger import DEVIATION, NOT_REPRODUCIBLE, REPRODUCED
from backprop_lab.worked.departures import MISTAKES
from backprop_lab.worked.verdicts import COLUMNS

Run = dict[str, Any]


def seed_key(seed: int | None) -> str:
    return "-" if seed is None else str(seed)


def build(runs: list[Run], section: dict[str, Any]) -> dict[str, pd.DataFrame]:
    printed = [r for r in runs if r["settings"]["variant"] == "as_printed"]
    ledger = [
        {**row, "example": r["settings"]["axis"]} for r in printed for row in r["result"]["ledger"]
    ]
    return {
        "worked_printed": pd.DataFrame(ledger, columns=list(COLUMNS)),
        "worked_marking": marking(printed),
        "worked_forward": _per_example(printed, "forward"),
        "worked_chain": _per_example(printed, "chain"),
        "worked_edges": _per_example(printed, "edges"),
        "worked_rounds": _per_example(printed, "rounds"),
        "worked_setup": _per_example(printed, "setup"),
        "worked_variants": variants(runs),
        "worked_curves": curves(runs),
    }


def _per_example(runs: list[Run], key: str) -> pd.DataFrame:
    rows = [{"example": r["settings"]["axis"], **row} for r in runs for row in r["result"][key]]
    return pd.DataFrame(rows)


def marking(runs: list[Run]) -> pd.DataFrame:
    """Per example: its printed numbers, how many each verdict got, and what the search
    found (the mistakes and the other departures, most frequent first)."""
    rows = []
    for r in runs:
        ledger = r["result"]["ledger"]
        verdicts = Counter(row["verdict"] for row in ledger)
        kinds = Counter(
            k for row in ledger if row["verdict"] == DEVIATION for k in row["kind"].split("+")
        )
        slips = sum(row["kind"] == "transcription_slip" for row in ledger)
        rows.append(
            {
                "example": r["settings"]["axis"],
                "file": r["settings"]["file"],
                "title": r["result"]["title"],
                "printed": len(ledger),
                "reproduced": verdicts[REPRODUCED],
                "departure": verdicts[DEVIATION],
                "not_reproducible": verdicts[NOT_REPRODUCIBLE],
                "slips": slips,
                "mistakes": _most_frequent({k: n for k, n in kinds.items() if k in MISTAKES}),
                "departures": _most_frequent({k: n for k, n in kinds.items() if k not in MISTAKES}),
            }
        )
    return pd.DataFrame(rows)


def _most_frequent(counts: dict[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "; ".join(f"{k} ×{n}" for k, n in ordered)


def variants(runs: list[Run]) -> pd.DataFrame:
    """One row per example, variant and seed: the loss function it trained on, and the
    total loss before and after training by that function (``initial_loss``,
    ``final_loss``) and by the example's stated one (``initial_stated_loss``,
    ``final_stated_loss``: the column that compares variants)."""
    rows = []
    for r in runs:
        s, result = r["settings"], r["result"]
        common = {
            "example": s["axis"],
            "variant": s["variant"],
            "changed": ", ".join(f"{k}={v}" for k, v in sorted(s["overrides"].items()))
            or "as printed",
            "loss_function": result["loss"],
            "stated_loss_function": result["stated_loss"],
        }
        for run in result["runs"]:
            curve = run["curve"]
            first, last = (curve[0], curve[-1]) if curve else ([0, None, None],) * 2
            rows.append(
                {
                    **common,
                    "seed": run["seed"],
                    "seed_key": seed_key(run["seed"]),
                    "rounds": last[0],
                    "initial_loss": first[1],
                    "final_loss": last[1],
                    "initial_stated_loss": first[2],
                    "final_stated_loss": last[2],
                    "diverged_round": run["diverged_round"],
                }
            )
        if not result["runs"]:
            rows.append(
                {
                    **common,
                    "changed": result.get("skipped", ""),
                    "seed": None,
                    "seed_key": seed_key(None),
                    "rounds": 0,
                    "diverged_round": None,
                }
            )
    return pd.DataFrame(rows, columns=list(VARIANT_COLUMNS))


VARIANT_COLUMNS = (
    "example",
    "variant",
    "seed",
    "seed_key",
    "changed",
    "rounds",
    "loss_function",
    "initial_loss",
    "final_loss",
    "stated_loss_function",
    "initial_stated_loss",
    "final_stated_loss",
    "diverged_round",
)


def curves(runs: list[Run]) -> pd.DataFrame:
    """One row per example, variant, seed and kept round: the total loss by the loss
    function the run trained on (``loss``) and by the example's stated one
    (``stated_loss``)."""
    rows = [
        {
            "example": r["settings"]["axis"],
            "variant": r["settings"]["variant"],
            "seed_key": seed_key(run["seed"]),
            "round": k,
            "loss_function": r["result"]["loss"],
            "loss": loss,
            "stated_loss": stated,
        }
        for r in runs
        for run in r["result"]["runs"]
        for k, loss, stated in run["curve"]
    ]
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


CURVE_COLUMNS = ("example", "variant", "seed_key", "round", "loss_function", "loss", "stated_loss")
