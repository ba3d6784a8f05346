"""The worked examples' report context: per example its setup, round-1 tables, ledger
(counts, the reasons grouped by kind, the rows to look at first), the values at the printed
rounds and its variants; across examples, the marking table."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from backprop_lab.findings import records
from backprop_lab.ledger import REPRODUCED
from backprop_lab.worked.departures import DEPARTURES, MISTAKES


def context(
    tables: dict[str, pd.DataFrame], section: dict[str, Any], config: dict[str, Any], labels: dict
) -> dict[str, Any]:
    marking = records(tables["worked_marking"])
    labels = {name: str(v.get("label", name)) for name, v in section["variants"].items()}
    labels["as_printed"] = "as printed"
    examples = [_example(m, tables, labels) for m in marking]
    return {
        "config": section,
        "examples": examples,
        "marking": marking,
        "mistake_names": {k: DEPARTURES[k] for k in MISTAKES},
        "totals": {
            key: sum(int(m[key]) for m in marking)
            for key in ("printed", "reproduced", "departure", "not_reproducible")
        },
    }


def _of(frame: pd.DataFrame, example: str) -> pd.DataFrame:
    return frame[frame["example"] == example]


def _example(mark: dict[str, Any], tables: dict[str, pd.DataFrame], labels: dict) -> dict:
    name = mark["example"]
    setup = {r["key"]: r["value"] or "" for r in records(_of(tables["worked_setup"], name))}
    ledger = records(_of(tables["worked_printed"], name))
    kinds = Counter((r["verdict"], r["kind"]) for r in ledger)
    chain = records(_of(tables["worked_chain"], name))
    forward = records(_of(tables["worked_forward"], name))
    return {
        "name": name,
        "mark": mark,
        "setup": setup,
        "forward": forward,
        "chain": chain,
        "max_difference": max((r["difference"] for r in chain + forward), default=0.0),
        "ledger": ledger,
        "by_kind": [
            {
                "verdict": v,
                "kind": k,
                "count": n,
                "meaning": DEPARTURES.get(k, _KIND_WORDS.get(k, "")),
            }
            for (v, k), n in sorted(kinds.items(), key=lambda kv: -kv[1])
        ],
        "look_first": [r for r in ledger if r["verdict"] != REPRODUCED],
        "rounds": records(_of(tables["worked_rounds"], name)),
        "variants": _variants(_of(tables["worked_variants"], name), labels),
    }


_KIND_WORDS = {
    "stated": "the stated setup gives it",
    "none": "nothing tried gives it",
}


def _variants(frame: pd.DataFrame, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Per variant: the loss function it trained on, its final loss by the example's
    stated loss function (median and range over seeds; by its own function too where it
    trained on another) and how many seeds diverged."""
    out = []
    for variant, group in frame.groupby("variant", sort=False):
        final = group["final_stated_loss"].astype(float)
        own = group["final_loss"].astype(float)
        trained_on = group["loss_function"].iloc[0]
        other = trained_on != group["stated_loss_function"].iloc[0]
        out.append(
            {
                "variant": variant,
                "label": labels.get(variant, variant),
                "changed": group["changed"].iloc[0],
                "rounds": int(group["rounds"].max()),
                "seeds": len(group) if group["seed"].notna().any() else 0,
                "trained_on": trained_on,
                "other_loss": bool(other),
                "initial_loss": _median(group["initial_stated_loss"].astype(float)),
                "final_median": _median(final),
                "final_min": float(final.min()) if final.notna().any() else None,
                "final_max": float(final.max()) if final.notna().any() else None,
                "own_final_median": _median(own) if other else None,
                "diverged": int(group["diverged_round"].notna().sum()),
            }
        )
    return out


def _median(values: pd.Series) -> float | None:
    return float(values.median()) if values.notna().any() else None
