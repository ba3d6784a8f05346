"""The 2-2-2 lab's findings: the round-1 hand calculation, an observation per axis and the
lab's claims, each computed from the tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.core import retention
from backprop_lab.core.functions import ACTIVATIONS, LOSSES
from backprop_lab.findings import (
    FAILS,
    HOLDS,
    UNCHECKED,
    Claim,
    baseline,
    changed,
    equal,
    records,
    runs_changing,
    unique_runs,
)
from backprop_lab.formatting import num
from backprop_lab.labs.hand_222 import TARGETS, WEIGHTS, WIDTHS
from backprop_lab.worked import layout

# Engines "agree" when their trajectories differ by less than this (float64).
ENGINE_AGREEMENT = 1e-10
# Two trajectories are "the same" when they differ by less than this.
SAME = 1e-12
# A final loss "reaches" the lowest one when it is within this factor of it.
NEAR_LOWEST = 1.01
# The axes the section discusses under their own heading; every other axis's loss figure
# is shown after them.
DISCUSSED_AXES = ("engine", "activation", "loss_impl", "loss_function", "init")


def context(
    tables: dict[str, pd.DataFrame], section: dict[str, Any], config: dict[str, Any], labels: dict
) -> dict[str, Any]:
    """Everything the lab's report section quotes."""
    summary, pairs, cps = (
        tables[k] for k in ("hand_222_summary", "hand_222_pairs", "hand_222_checkpoints")
    )
    found = {
        "baseline": _baseline_facts(baseline(summary), cps),
        "engine": _engines(summary, pairs),
        "sigmoid": _sigmoid_impl(summary, pairs, tables["hand_222_run_times"]),
        "activation": _activations(summary),
        "loss_impl": _loss_impl(summary, pairs, cps),
        "loss_function": _loss_functions(summary),
        "step_rounds": _step_rounds(summary, pairs),
        "init": _init(summary),
    }
    found["claims"] = claims(found)
    return {
        "config": section,
        "seeds": config["seeds"],
        "axes": list(dict.fromkeys(summary["axis"])),
        "discussed_axes": DISCUSSED_AXES,
        "variants": _variant_rows(summary, labels),
        "hand": hand_calculation(tables, summary),
        **_network(section),
        "findings": found,
        "longest_rounds": int(summary["rounds"].max()),
        "keep_every_round": retention.KEEP_EVERY_ROUND,
        "kept_per_decade": retention.KEPT_PER_DECADE,
    }


def _variant_rows(summary: pd.DataFrame, labels: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for _, r in summary.drop_duplicates("run_id").iterrows():
        rows.append(
            {
                "run_id": r["run_id"],
                "axis": r["axis"],
                "variant": r["variant"],
                "label": labels.get(r["run_id"], r["variant"]),
                "changed": r["changed"] if isinstance(r["changed"], str) else "",
                "engine": r["engine"],
                "activation": f"{r['hidden_activation']} / {r['output_activation']}",
                "loss": r["loss_function"],
                "step": r["step"],
                "rounds": r["rounds"],
                "init": r["init"],
                "seeds": int(summary.loc[summary.run_id == r["run_id"], "seed"].notna().sum()),
            }
        )
    return rows


def claims(found: dict[str, Any]) -> dict[str, Claim]:
    """The lab's claims, each with its verdict decided from the numbers."""
    return {
        "engine": _engine_claim(found["engine"]),
        "sigmoid": _sigmoid_claim(found["sigmoid"]),
        "loss_impl": _loss_impl_claim(found["loss_impl"]),
        "prefix": _prefix_claim(found["step_rounds"]),
    }


def _engine_claim(pairs: list[dict[str, Any]]) -> Claim:
    statement = "the two engines compute the same trajectories"
    if not pairs:
        return Claim(statement, UNCHECKED, "no pair of runs differs only in the engine")
    worst = max(p["max_weight_diff"] for p in pairs)
    agree = worst < ENGINE_AGREEMENT
    return Claim(
        statement,
        HOLDS if agree else FAILS,
        f"over {len(pairs)} pair(s) of runs that differ only in the engine, the largest "
        f"difference of any weight over all rounds is {num(worst, 2)}, "
        f"{'below' if agree else 'not below'} {num(ENGINE_AGREEMENT, 2)} in float64",
        {"max_weight_diff": worst, "pairs": len(pairs)},
    )


def _sigmoid_claim(pairs: list[dict[str, Any]]) -> Claim:
    statement = "the built-in sigmoid is faster"
    if not pairs:
        return Claim(
            statement,
            UNCHECKED,
            "no pair of torch runs differs only in the sigmoid",
            wall_time=True,
        )
    g = pairs[0]
    if g["faster"] == "builtin":
        evidence = (
            f"by a factor {num(g['ratio'], 3)} per round (one run each; the round is "
            "dominated by PyTorch's per-operation overhead, so the factor is small and noisy)"
        )
    else:
        evidence = (
            f"the hand-written one was faster by a factor {num(g['ratio'], 3)} per round "
            "(one run each; a difference this small is within the noise of a shared machine)"
        )
    return Claim(
        statement,
        HOLDS if g["faster"] == "builtin" else FAILS,
        evidence,
        {"ratio": g["ratio"]},
        wall_time=True,
    )


def _loss_impl_claim(items: list[dict[str, Any]]) -> Claim:
    statement = "MSELoss loses accuracy"
    doubled = [i for i in items if "half_double" in i]
    if not doubled:
        return Claim(
            statement,
            UNCHECKED,
            "no MSELoss run has a hand-loss twin at twice its step in this configuration",
        )
    worst = max(i["max_weight_diff_double"] for i in doubled)
    if worst <= SAME:
        return Claim(
            statement,
            FAILS,
            "MSELoss applied to each output and summed is exactly 2 × ½Σ(o − y)², so its "
            "gradient is twice as large and it behaves like the hand loss at twice the step "
            f"(largest weight difference {num(worst, 2)}): the difference the lab saw is a "
            "different effective step, not a loss of accuracy",
            {"max_weight_diff_double": worst},
        )
    return Claim(
        statement,
        HOLDS,
        f"MSELoss and the hand loss at twice the step differ by up to {num(worst, 2)} in a "
        "weight, so MSELoss is not just the hand loss at another step",
        {"max_weight_diff_double": worst},
    )


def _prefix_claim(sr: dict[str, Any]) -> Claim:
    statement = "a run of fewer rounds is the prefix of a longer one"
    if not sr["prefix_pairs"]:
        return Claim(statement, UNCHECKED, "no step × rounds grid in this configuration")
    return Claim(
        statement,
        HOLDS if sr["all_prefix_exact"] else FAILS,
        f"over {sr['prefix_pairs']} pairs (same step, fewer vs most rounds) the largest "
        f"difference of any weight or loss is {num(sr['prefix_max_diff'], 2)}",
        {"pairs": sr["prefix_pairs"], "max_diff": sr["prefix_max_diff"]},
    )


def pair(pairs: pd.DataFrame, a: str, b: str, seed_key: str = "-") -> pd.Series | None:
    hit = pairs[
        (((pairs.run_a == a) & (pairs.run_b == b)) | ((pairs.run_a == b) & (pairs.run_b == a)))
        & (pairs.seed_key.astype(str) == seed_key)
    ]
    return hit.iloc[0] if len(hit) else None


def _settings(run: pd.Series) -> dict[str, Any]:
    keys = [
        "engine",
        "hidden_activation",
        "output_activation",
        "loss_function",
        "step",
        "rounds",
        "init",
        "sigmoid_impl",
    ]
    return {k: run[k] for k in keys}


def find_twin(summary: pd.DataFrame, run: pd.Series, **changes: Any) -> pd.Series | None:
    """The run whose settings equal `run`'s except for `changes`."""
    want = {**_settings(run), **changes}
    first = unique_runs(summary)
    for _, other in first.iterrows():
        if all(equal(other[k], v) for k, v in want.items()):
            return other
    return None


# --- the hand calculation ------------------------------------------------------------


def _network(section: dict[str, Any]) -> dict[str, Any]:
    """The network's names (``backprop_lab.worked.layout``) for the setup text and tables,
    and the equalities of weights that hold while the hidden units are identical."""
    layers = layout.layer_names(WIDTHS)
    edges = layout.weight_edges(WIDTHS)
    hidden = set(layers[1])

    def equal_groups(end: int) -> list[str]:
        groups: dict[str, list[str]] = {}
        for w, edge in edges.items():
            if edge[1 - end] in hidden:  # the hidden unit's end; grouped by the other end
                groups.setdefault(edge[end], []).append(w)
        return [" = ".join(ws) for ws in groups.values()]

    return {
        "layers": layers,
        "targets": TARGETS,
        "outputs": layers[-1],
        "weights": list(edges),
        "edges": [
            {"name": w, "source": a, "target": b, "value": v}
            for (w, (a, b)), v in zip(edges.items(), section["weights"])
        ],
        "mirror": {"into": equal_groups(0), "out_of": equal_groups(1)},
    }


def hand_calculation(tables: dict[str, pd.DataFrame], summary: pd.DataFrame) -> dict[str, Any]:
    """Round 1 of the baseline's setting by the chain rule beside autograd
    (``tables.round1``): the rows the shared round-1 macros show, and the update."""
    base = baseline(summary)
    forward, chain = (records(tables[k]) for k in ("hand_222_forward", "hand_222_chain"))
    return {
        "forward": forward,
        "chain": chain,
        "max_difference": max(r["difference"] for r in forward + chain),
        "activation_hidden": ACTIVATIONS[base["hidden_activation"]].name,
        "activation_output": ACTIVATIONS[base["output_activation"]].name,
        "loss": LOSSES[base["loss_function"]].name,
        "loss_formula": LOSSES[base["loss_function"]].formula,
        "step": base["step"],
        "weights_after": records(tables["hand_222_edges"]),
    }


def _round1(checkpoints: pd.DataFrame, run_id: str) -> pd.Series:
    rows = checkpoints[(checkpoints.run_id == run_id) & (checkpoints["round"] == 1)]
    return rows.iloc[0]


def _baseline_facts(base: pd.Series, cps: pd.DataFrame) -> dict[str, Any]:
    rows = cps[cps.run_id == base["run_id"]].sort_values("round")
    y1, y2 = rows.iloc[0]["y1"], rows.iloc[0]["y2"]
    out_act = base["output_activation"]
    unreachable = []
    if out_act == "sigmoid":
        for name, y in (("y1", y1), ("y2", y2)):
            if not 0 < y < 1:
                gap = min(abs(y), abs(y - 1))
                unreachable.append(
                    {
                        "target": name,
                        "value": y,
                        "floor": 0.5 * gap**2 if base["loss_function"] == "half_sse" else None,
                    }
                )
    return {
        "run_id": base["run_id"],
        "checkpoints": rows.to_dict("records"),
        "final_loss": base["final_loss"],
        "final_o1": base["final_o1"],
        "final_o2": base["final_o2"],
        "y1": y1,
        "y2": y2,
        "unreachable": unreachable,
        "loss_floor": sum(u["floor"] for u in unreachable if u["floor"] is not None),
    }


def _engines(summary: pd.DataFrame, pairs: pd.DataFrame) -> list[dict[str, Any]]:
    found = []
    for _, run in unique_runs(summary).iterrows():
        if run["engine"] != "numpy":
            continue
        twin = find_twin(summary, run, engine="torch")
        if twin is None:
            continue
        p = pair(pairs, run["run_id"], twin["run_id"], str(run["seed_key"]))
        if p is None:
            continue
        found.append(
            {
                "numpy": run["run_id"],
                "torch": twin["run_id"],
                "rounds": p["rounds_compared"],
                "max_weight_diff": p["max_weight_diff"],
                "max_loss_diff": p["max_loss_diff"],
                "agree": p["max_weight_diff"] < ENGINE_AGREEMENT,
            }
        )
    return found


def _seconds_per_step(times: pd.DataFrame, run_id: str) -> float:
    return float(times.loc[times.run_id == run_id, "seconds_per_step"].iloc[0])


def _sigmoid_impl(
    summary: pd.DataFrame, pairs: pd.DataFrame, times: pd.DataFrame
) -> list[dict[str, Any]]:
    found = []
    for _, run in unique_runs(summary).iterrows():
        if run["engine"] != "torch" or run["sigmoid_impl"] != "hand":
            continue
        if "sigmoid" not in (run["hidden_activation"], run["output_activation"]):
            continue
        twin = find_twin(summary, run, sigmoid_impl="builtin")
        p = None if twin is None else pair(pairs, run["run_id"], twin["run_id"])
        if p is None:
            continue
        hand_t, builtin_t = (_seconds_per_step(times, r["run_id"]) for r in (run, twin))
        found.append(
            {
                "hand": run["run_id"],
                "builtin": twin["run_id"],
                "max_weight_diff": p["max_weight_diff"],
                "hand_us": hand_t * 1e6,
                "builtin_us": builtin_t * 1e6,
                "faster": "builtin" if builtin_t < hand_t else "hand",
                "ratio": max(hand_t, builtin_t) / min(hand_t, builtin_t),
            }
        )
    return found


def _activations(summary: pd.DataFrame) -> dict[str, Any]:
    runs = runs_changing(summary, {"hidden_activation", "output_activation"})
    rows = []
    for _, r in runs.iterrows():
        rows.append(
            {
                "run_id": r["run_id"],
                "hidden": r["hidden_activation"],
                "output": r["output_activation"],
                "final_loss": r["final_loss"],
                "o1": r["final_o1"],
                "o2": r["final_o2"],
                "dead": []
                if pd.isna(r["dead_units"]) or not r["dead_units"]
                else str(r["dead_units"]).split(","),
                "diverged_round": r["diverged_round"],
            }
        )
    finite = [r for r in rows if pd.isna(r["diverged_round"])]
    lowest = min((r["final_loss"] for r in finite), default=None)
    # ties: within 1 % of the lowest, or both at round-off level
    best = [
        r
        for r in finite
        if lowest is not None and r["final_loss"] <= max(lowest * NEAR_LOWEST, lowest + 1e-20)
    ]
    return {
        "rows": rows,
        "best": best,
        "lowest": lowest,
        "dead_runs": [r for r in rows if r["dead"]],
    }


def _loss_impl(summary: pd.DataFrame, pairs: pd.DataFrame, cps: pd.DataFrame) -> list[dict]:
    """torch.nn.MSELoss per output, summed, is 2 × the half sum of squares."""
    found = []
    for _, run in unique_runs(summary).iterrows():
        if run["loss_function"] != "mse_per_output_sum":
            continue
        same_step = find_twin(summary, run, loss_function="half_sse")
        double = find_twin(summary, run, loss_function="half_sse", step=2 * run["step"])
        item: dict[str, Any] = {"mse": run["run_id"], "step": run["step"]}
        if same_step is not None:
            a = _round1(cps, run["run_id"])
            b = _round1(cps, same_step["run_id"])
            item.update(
                half=same_step["run_id"],
                loss_ratio=a["loss"] / b["loss"],
                grad_ratio=float(np.mean([a[f"dL_d{w}"] / b[f"dL_d{w}"] for w in WEIGHTS])),
                max_weight_diff_same_step=pair(pairs, run["run_id"], same_step["run_id"])[
                    "max_weight_diff"
                ],
            )
        if double is not None:
            item.update(
                half_double=double["run_id"],
                double_step=double["step"],
                max_weight_diff_double=pair(pairs, run["run_id"], double["run_id"])[
                    "max_weight_diff"
                ],
            )
        found.append(item)
    return found


def _loss_functions(summary: pd.DataFrame) -> dict[str, Any]:
    runs = runs_changing(summary, {"loss", "engine", "output_activation"}, must={"loss"})
    rows = []
    for _, r in runs.iterrows():
        rows.append(
            {
                "run_id": r["run_id"],
                "loss": r["loss_function"],
                "description": LOSSES[r["loss_function"]].description,
                "output": r["output_activation"],
                "engine": r["engine"],
                "initial_loss": r["initial_loss"],
                "final_loss": r["final_loss"],
                "min_loss": r["min_loss"],
                "o1": r["final_o1"],
                "o2": r["final_o2"],
                "negative": r["min_loss"] < 0,
            }
        )
    lab = [r for r in rows if r["loss"] == "ce_soft_raw"]
    losses = {r["loss"]: r["description"] for r in rows}
    return {"rows": rows, "lab": lab, "descriptions": losses}


def _step_rounds(summary: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, Any]:
    runs = runs_changing(summary, {"step", "rounds"})
    steps = []
    for step, group in runs.groupby("step"):
        group = group.sort_values("rounds")
        longest = group.iloc[-1]
        prefix = []
        for _, shorter in group.iloc[:-1].iterrows():
            p = pair(pairs, shorter["run_id"], longest["run_id"])
            if p is not None:
                prefix.append(
                    {
                        "rounds": shorter["rounds"],
                        "max_weight_diff": p["max_weight_diff"],
                        "max_loss_diff": p["max_loss_diff"],
                    }
                )
        steps.append(
            {
                "step": step,
                "by_rounds": [
                    {
                        "rounds": r["rounds"],
                        "final_loss": r["final_loss"],
                        "diverged_round": r["diverged_round"],
                    }
                    for _, r in group.iterrows()
                ],
                "longest_rounds": longest["rounds"],
                "final_loss": longest["final_loss"],
                "diverged_round": longest["diverged_round"],
                "round_within_1pct": longest["round_within_1pct"],
                "prefix": prefix,
                "prefix_exact": all(
                    p["max_weight_diff"] == 0 and p["max_loss_diff"] == 0 for p in prefix
                ),
            }
        )
    finite = [s for s in steps if pd.isna(s["diverged_round"])]
    best = min(finite, key=lambda s: s["final_loss"]) if finite else None
    rounds = sorted(runs["rounds"].unique().tolist())
    return {
        "steps": steps,
        "rounds": rounds,
        "best": best,
        "all_prefix_exact": all(s["prefix_exact"] for s in steps),
        "prefix_pairs": sum(len(s["prefix"]) for s in steps),
        "prefix_max_diff": max(
            (max(p["max_weight_diff"], p["max_loss_diff"]) for s in steps for p in s["prefix"]),
            default=None,
        ),
        # the steps whose final loss is within NEAR_LOWEST of the lowest, in as many rounds
        "reach": []
        if best is None
        else [s["step"] for s in steps if s["final_loss"] <= best["final_loss"] * NEAR_LOWEST],
    }


def _init(summary: pd.DataFrame) -> dict[str, Any]:
    distinct = set(unique_runs(summary)["run_id"])
    runs = summary[summary["run_id"].isin(distinct)]
    runs = runs[
        runs.apply(
            lambda r: (
                not changed(r)
                or ("init" in changed(r) and changed(r) <= {"init", "init_std", "engine", "loss"})
            ),
            axis=1,
        )
    ]
    variants = []
    for run_id, group in runs.groupby("run_id", sort=False):
        first = group.iloc[0]
        finals = group["final_loss"].to_numpy(dtype=float)
        diverged = group[group["diverged_round"].notna()]
        variants.append(
            {
                "run_id": run_id,
                "init": first["init"],
                "loss": first["loss_function"],
                "engine": first["engine"],
                "seeds": int(group["seed"].notna().sum()),
                "mean": float(np.nanmean(finals)) if np.isfinite(finals).any() else None,
                "std": float(np.nanstd(finals, ddof=1)) if np.isfinite(finals).sum() > 1 else None,
                "min": float(np.nanmin(finals)) if np.isfinite(finals).any() else None,
                "max": float(np.nanmax(finals)) if np.isfinite(finals).any() else None,
                "diverged": [
                    {
                        "seed": int(d["seed"]) if pd.notna(d["seed"]) else None,
                        "round": int(d["diverged_round"]),
                    }
                    for _, d in diverged.iterrows()
                ],
                "symmetric": bool(group["symmetric_hidden"].all()),
                "per_seed": [
                    {
                        "seed": None if pd.isna(r["seed"]) else int(r["seed"]),
                        "final_loss": r["final_loss"],
                        "diverged_round": r["diverged_round"],
                        "symmetric": bool(r["symmetric_hidden"]),
                    }
                    for _, r in group.iterrows()
                ],
            }
        )
    return {"variants": variants, "symmetric": [v for v in variants if v["symmetric"]]}
