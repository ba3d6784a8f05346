"""The report's numbers: everything a sentence quotes is computed here, from the tables.

Each function takes tables and returns plain data for the templates. Runs are found by
their settings (the `changed` column says how a run differs from the baseline), never
by the names given to them in the config, so renaming a variant changes no finding.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.functions import ACTIVATIONS, LOSSES

WEIGHTS = [f"w{i}" for i in range(1, 9)]
# Engines "agree" when their trajectories differ by less than this (float64).
ENGINE_AGREEMENT = 1e-10
# Two trajectories are "the same" when they differ by less than this.
SAME = 1e-12


def changed(run: pd.Series | dict[str, Any]) -> set[str]:
    text = run["changed"]
    return set() if not isinstance(text, str) or not text else set(text.split(","))


def unique_runs(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct run (first seed): a run repeated in several axes counts once."""
    return summary.drop_duplicates("settings_key")


def runs_changing(
    summary: pd.DataFrame, allowed: set[str], must: set[str] | None = None
) -> pd.DataFrame:
    """Distinct runs that differ from the baseline only in `allowed` (and in one of `must`,
    if given; the baseline itself always counts)."""
    first = unique_runs(summary)

    def fits(run: pd.Series) -> bool:
        keys = changed(run)
        return keys <= allowed and (not must or not keys or bool(keys & must))

    return first[first.apply(fits, axis=1)]


def baseline(summary: pd.DataFrame) -> pd.Series:
    plain = runs_changing(summary, set())
    return (plain if len(plain) else summary).iloc[0]


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
        if all(_equal(other[k], v) for k, v in want.items()):
            return other
    return None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return bool(np.isclose(float(a), float(b), rtol=1e-12, atol=0))
        except (TypeError, ValueError):
            return False
    return a == b


# --- the hand calculation ------------------------------------------------------------


def hand_calculation(checkpoints: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """Round 1 of the baseline by the chain rule, each gradient beside autograd's value."""
    base = baseline(summary)
    row = _round1(checkpoints, base["run_id"])
    act_h = ACTIVATIONS[base["hidden_activation"]]
    act_o = ACTIVATIONS[base["output_activation"]]
    loss = LOSSES[base["loss_function"]]
    torch_twin = find_twin(summary, base, engine="torch")
    auto = _round1(checkpoints, torch_twin["run_id"]) if torch_twin is not None else None
    y = {"o1": row["y1"], "o2": row["y2"]}

    forward = []
    for unit, (wa, xa), (wb, xb) in (
        ("h1", ("w1", "x1"), ("w3", "x2")),
        ("h2", ("w2", "x1"), ("w4", "x2")),
        ("o1", ("w5", "h1"), ("w7", "h2")),
        ("o2", ("w6", "h1"), ("w8", "h2")),
    ):
        act = act_h if unit[0] == "h" else act_o
        forward.append(
            {
                "name": f"in_{unit}",
                "formula": f"{wa}·{xa} + {wb}·{xb}",
                "substituted": f"{_n(row[wa + '_before'])}·{_n(row[xa])} + "
                f"{_n(row[wb + '_before'])}·{_n(row[xb])}",
                "value": row[f"in_{unit}"],
            }
        )
        forward.append(
            {
                "name": unit,
                "formula": act.formula.format(z=f"in_{unit}", a=unit),
                "substituted": act.formula.format(z=_n(row[f"in_{unit}"]), a=unit),
                "value": row[unit],
            }
        )
    forward.append(
        {
            "name": "L",
            "formula": loss.formula,
            "substituted": "",
            "value": row["loss"],
        }
    )

    def dL_do(o: str, numbers: bool) -> str:
        if numbers:
            return _wrap(loss.grad_formula.format(o=_n(row[o]), y=_n(y[o])))
        return _wrap(loss.grad_formula.format(o=o, y="y" + o[1]))

    def dact(act: Any, unit: str, numbers: bool) -> str:
        z, a = f"in_{unit}", unit
        if numbers:
            z, a = _n(row[z]), _n(row[a])
        return _wrap(act.derivative_formula.format(z=z, a=a))

    gradients = []
    # weight -> (output it feeds or hidden unit it feeds, input to the weight)
    output_weights = {
        "w5": ("o1", "h1"),
        "w6": ("o2", "h1"),
        "w7": ("o1", "h2"),
        "w8": ("o2", "h2"),
    }
    hidden_weights = {
        "w1": ("h1", "x1"),
        "w2": ("h2", "x1"),
        "w3": ("h1", "x2"),
        "w4": ("h2", "x2"),
    }
    # hidden unit -> [(output, weight from the hidden unit to that output)]
    fan_out = {"h1": [("o1", "w5"), ("o2", "w6")], "h2": [("o1", "w7"), ("o2", "w8")]}
    for w in WEIGHTS:
        if w in output_weights:
            o, h = output_weights[w]
            formula = f"∂L/∂{o} · ∂{o}/∂in_{o} · {h}"
            symbols = f"{dL_do(o, False)} · {dact(act_o, o, False)} · {h}"
            numbers = f"{dL_do(o, True)} · {dact(act_o, o, True)} · {_n(row[h])}"
        else:
            h, x = hidden_weights[w]
            paths = fan_out[h]
            formula = (
                "("
                + " + ".join(f"∂L/∂{o} · ∂{o}/∂in_{o} · {v}" for o, v in paths)
                + ")"
                + f" · ∂{h}/∂in_{h} · {x}"
            )
            symbols = (
                "["
                + " + ".join(f"{dL_do(o, False)} · {dact(act_o, o, False)} · {v}" for o, v in paths)
                + "]"
                + f" · {dact(act_h, h, False)} · {x}"
            )
            numbers = (
                "["
                + " + ".join(
                    f"{dL_do(o, True)} · {dact(act_o, o, True)} · {_n(row[v + '_before'])}"
                    for o, v in paths
                )
                + "]"
                + f" · {dact(act_h, h, True)} · {_n(row[x])}"
            )
        hand = row[f"dL_d{w}"]
        autograd = auto[f"dL_d{w}"] if auto is not None else None
        gradients.append(
            {
                "weight": w,
                "formula": formula,
                "symbols": symbols,
                "substituted": numbers,
                "value": hand,
                "autograd": autograd,
                "abs_diff": abs(hand - autograd) if autograd is not None else None,
            }
        )
    diffs = [g["abs_diff"] for g in gradients if g["abs_diff"] is not None]
    return {
        "run_id": base["run_id"],
        "autograd_run_id": None if torch_twin is None else torch_twin["run_id"],
        "forward": forward,
        "gradients": gradients,
        "max_abs_diff": max(diffs) if diffs else None,
        "activation_hidden": act_h.name,
        "activation_output": act_o.name,
        "loss": loss.name,
        "loss_formula": loss.formula,
        "step": base["step"],
        "weights_after": [
            {
                "weight": w,
                "before": row[w + "_before"],
                "gradient": row[f"dL_d{w}"],
                "after": row[w],
            }
            for w in WEIGHTS
        ],
    }


def _round1(checkpoints: pd.DataFrame, run_id: str) -> pd.Series:
    rows = checkpoints[(checkpoints.run_id == run_id) & (checkpoints["round"] == 1)]
    return rows.iloc[0]


def _n(value: float) -> str:
    """A number as it appears inside a substituted formula."""
    return f"{value:.6g}" if value >= 0 else f"(−{-value:.6g})"


def _wrap(formula: str) -> str:
    """Parenthesise a factor unless it is one already."""
    depth = 0
    for i, char in enumerate(formula):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and i < len(formula) - 1:
            return f"({formula})"
    return formula if formula.startswith("(") else f"({formula})"


# --- suite 1 findings ----------------------------------------------------------------


def suite1_findings(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    summary, pairs, cps = (
        tables[k] for k in ("suite1_summary", "suite1_pairs", "suite1_checkpoints")
    )
    base = baseline(summary)
    return {
        "baseline": _baseline_facts(base, cps),
        "engine": _engines(summary, pairs),
        "sigmoid": _sigmoid_impl(summary, pairs, tables["run_times"]),
        "activation": _activations(summary),
        "loss_impl": _loss_impl(summary, pairs, cps),
        "loss_function": _loss_functions(summary),
        "step_rounds": _step_rounds(summary, pairs),
        "init": _init(summary),
    }


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
        if lowest is not None and r["final_loss"] <= max(lowest * 1.01, lowest + 1e-20)
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


# --- suite 2: gradient equality ---------------------------------------------------------

METHOD_PAIRS = ("numpy vs autograd", "numpy vs finite_diff", "autograd vs finite_diff")


def suite2_findings(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    grads, summary, curves = (
        tables[k] for k in ("suite2_gradients", "suite2_summary", "suite2_curves")
    )
    base = baseline(summary)
    rows = grads[grads.run_id == base["run_id"]]
    per_layer = (
        rows.groupby(["dtype", "layer", "param", "comparison"], sort=False)
        .agg(
            max_abs_diff=("max_abs_diff", "max"),
            max_rel_error=("max_rel_error", "max"),
            threshold=("threshold", "first"),
            passed=("passed", "all"),
        )
        .reset_index()
        .to_dict("records")
    )
    architectures = []
    for _, run in unique_runs(summary).iterrows():
        g = grads[grads.run_id == run["run_id"]]
        worst = g.groupby(["dtype", "comparison"])["max_rel_error"].max()

        def at(dtype: str, fd: bool, worst: pd.Series = worst) -> float:
            names = [c for c in METHOD_PAIRS if ("finite_diff" in c) == fd]
            return float(max(worst.get((dtype, c), 0.0) for c in names))

        architectures.append(
            {
                "run_id": run["run_id"],
                "hidden": run["hidden"],
                "hidden_activation": run["hidden_activation"],
                "output_activation": run["output_activation"],
                "loss": run["loss_function"],
                "outputs": int(run["outputs"]),
                "n_rows": len(g),
                "seeds": int(g["seed"].nunique()),
                "f64_autograd": at("float64", False),
                "f64_fd": at("float64", True),
                "f32_autograd": at("float32", False),
                "f32_fd": at("float32", True),
                "passed": bool(g["passed"].all()),
            }
        )
    f64 = grads[grads.dtype == "float64"]
    f32 = grads[grads.dtype == "float32"]
    twin = find_twin_by(summary, base, engine="torch")
    engines = None
    if twin is not None:
        a = curves[curves.run_id == base["run_id"]].set_index(["seed", "epoch"])["loss"]
        b = curves[curves.run_id == twin["run_id"]].set_index(["seed", "epoch"])["loss"]
        diff = (a - b.reindex(a.index)).abs()
        engines = {
            "numpy": base["run_id"],
            "torch": twin["run_id"],
            "max_loss_diff": float(diff.max()),
            "max_rel_loss_diff": float((diff / a.abs()).max()),
            "epochs": int(a.index.get_level_values(1).max()),
            "seeds": int(a.index.get_level_values(0).nunique()),
            "final_mean": float(summary[summary.run_id == base["run_id"]]["final_loss"].mean()),
        }
    return {
        "baseline": base["run_id"],
        "per_layer": per_layer,
        "baseline_passed": all(r["passed"] for r in per_layer),
        "architectures": architectures,
        "all_passed": bool(grads["passed"].all()),
        "n_runs": len(architectures),
        "activations": sorted(
            set(summary["hidden_activation"]) | set(summary["output_activation"])
        ),
        "losses": sorted(set(summary["loss_function"])),
        "depths": sorted({len(str(h).split("-")) for h in summary["hidden"]}),
        "widths": sorted({int(w) for h in summary["hidden"] for w in str(h).split("-")}),
        "f64_autograd": float(f64[f64.comparison == METHOD_PAIRS[0]]["max_rel_error"].max()),
        "f64_fd": float(f64[f64.comparison != METHOD_PAIRS[0]]["max_rel_error"].max()),
        "f32_autograd": float(f32[f32.comparison == METHOD_PAIRS[0]]["max_rel_error"].max()),
        "f32_fd": float(f32[f32.comparison != METHOD_PAIRS[0]]["max_rel_error"].max()),
        "thresholds": grads.groupby("dtype")["threshold"].first().to_dict(),
        "noise_floor": float(grads["noise_floor"].max()),
        "failed": grads[~grads["passed"].astype(bool)][
            ["run_id", "dtype", "seed", "layer", "param", "comparison", "max_rel_error"]
        ].to_dict("records"),
        "engines": engines,
    }


def find_twin_by(summary: pd.DataFrame, run: pd.Series, **changes: Any) -> pd.Series | None:
    """The distinct run whose `changed` keys are `run`'s plus the keys of `changes`, with
    those values."""
    want = changed(run) | set(changes)
    for _, other in unique_runs(summary).iterrows():
        if changed(other) == want and all(_equal(other[k], v) for k, v in changes.items()):
            if "task" in run and other["task"] != run["task"]:
                continue
            return other
    return None


# --- suite 3: classification ------------------------------------------------------------


def _seed_stats(group: pd.DataFrame) -> dict[str, Any]:
    finite = group[group["diverged_epoch"].isna()]
    acc = group["train_accuracy"].astype(float)
    test = group["test_accuracy"].astype(float)
    loss = finite["final_loss"].astype(float)
    return {
        "seeds": len(group),
        "acc_mean": float(acc.mean()),
        "acc_std": float(acc.std()) if len(acc) > 1 else None,
        "acc_min": float(acc.min()),
        "acc_max": float(acc.max()),
        "test_mean": float(test.mean()) if test.notna().any() else None,
        "test_std": float(test.std()) if test.notna().sum() > 1 else None,
        "loss_mean": float(loss.mean()) if len(loss) else None,
        "loss_std": float(loss.std()) if len(loss) > 1 else None,
        "epochs_mean": float(group["epochs_run"].mean()),
        "epochs_min": int(group["epochs_run"].min()),
        "epochs_max": int(group["epochs_run"].max()),
        "stops": {r: int(n) for r, n in group["stop_reason"].value_counts().items()},
        "diverged": [
            {"seed": int(r["seed"]), "epoch": int(r["diverged_epoch"])}
            for _, r in group[group["diverged_epoch"].notna()].iterrows()
        ],
        "perfect": [
            {"seed": int(r["seed"]), "epochs": int(r["epochs_run"])}
            for _, r in group[group["train_accuracy"] >= 1.0].iterrows()
        ],
    }


def _value(run: pd.Series, keys: list[str]) -> str:
    parts = []
    for k in keys:
        v = run[k]
        parts.append(f"{v:g}" if isinstance(v, float) else str(v))
    return ", ".join(parts) if parts else "baseline"


def suite3_findings(tables: dict[str, pd.DataFrame], width_pool: list[int]) -> dict[str, Any]:
    summary = tables["suite3_summary"]
    distinct = unique_runs(summary)
    axes = []
    for axis in dict.fromkeys(summary["axis"]):
        runs = summary[summary["axis"] == axis]
        keys: list[str] = []
        for text in runs["changed"].fillna(""):
            keys += [k for k in text.split(",") if k and k not in keys]
        keys = ["loss_function" if k == "loss" else k for k in keys]
        rows = []
        for run_id, group in runs.groupby("run_id", sort=False):
            first = group.iloc[0]
            rows.append(
                {
                    "run_id": run_id,
                    "task": first["task"],
                    "value": _value(first, keys),
                    "hidden": first["hidden"],
                    "activation": first["activation"],
                    "lr": first["lr"],
                    "engine": first["engine"],
                    **_seed_stats(group),
                }
            )
        axes.append({"axis": axis, "varied": keys, "rows": rows})

    def runs_where(task: str, allowed: set[str]) -> pd.DataFrame:
        first = runs_changing(distinct[distinct["task"] == task], allowed)
        return summary[summary["run_id"].isin(first["run_id"])]

    tasks = list(dict.fromkeys(summary["task"]))
    baselines = {}
    for task in tasks:
        base = runs_where(task, set())
        if len(base):
            first = base.iloc[0]["run_id"]
            baselines[task] = {"run_id": first, **_seed_stats(base[base.run_id == first])}

    # learning rates: which reach 100 % accuracy, in how many epochs
    lr_rows = []
    for task in tasks:
        for run_id, group in runs_where(task, {"lr"}).groupby("run_id", sort=False):
            lr_rows.append(
                {
                    "task": task,
                    "lr": float(group.iloc[0]["lr"]),
                    "run_id": run_id,
                    **_seed_stats(group),
                }
            )
    lr_rows.sort(key=lambda r: (r["task"], -r["lr"]))

    # depth: widths taken in order from the pool
    depth = []
    for task in tasks:
        rows = []
        for _, group in runs_where(task, {"hidden"}).groupby("run_id", sort=False):
            hidden = [int(w) for w in str(group.iloc[0]["hidden"]).split("-")]
            if hidden == list(width_pool[: len(hidden)]):
                rows.append(
                    {"layers": len(hidden), "hidden": group.iloc[0]["hidden"], **_seed_stats(group)}
                )
        rows.sort(key=lambda r: r["layers"])
        losses = [r["loss_mean"] for r in rows]
        if len(rows) > 1:
            monotone = all(
                a is not None and b is not None and b < a for a, b in itertools.pairwise(losses)
            )
            deepest_best = rows[-1]["loss_mean"] is not None and rows[-1]["loss_mean"] == min(
                v for v in losses if v is not None
            )
            depth.append(
                {"task": task, "rows": rows, "monotone": monotone, "deepest_best": deepest_best}
            )

    # lr 1
    lr_one = [r for r in lr_rows if r["lr"] == 1.0]

    # no activation on XOR (and on linear for contrast)
    none = []
    for task in tasks:
        base = baselines.get(task)
        for run_id, group in runs_where(task, {"activation", "lr"}).groupby("run_id", sort=False):
            first = group.iloc[0]
            if first["activation"] != "identity":
                continue
            stats = _seed_stats(group)
            none.append(
                {
                    "task": task,
                    "run_id": run_id,
                    "lr": float(first["lr"]),
                    **stats,
                    "drop": None if base is None else base["acc_mean"] - stats["acc_mean"],
                    "all_diverged": len(stats["diverged"]) == stats["seeds"],
                }
            )
    xor_none = [n for n in none if n["task"] == "xor" and not n["all_diverged"]]

    # engines: numpy vs torch, same seeds
    engines = []
    for task in tasks:
        for run_id, group in runs_where(task, {"engine"}).groupby("run_id", sort=False):
            if group.iloc[0]["engine"] != "torch":
                continue
            base = baselines.get(task)
            if base is None:
                continue
            a = summary[summary.run_id == base["run_id"]].set_index("seed")
            b = group.set_index("seed")
            common = a.index.intersection(b.index)
            engines.append(
                {
                    "task": task,
                    "numpy": base["run_id"],
                    "torch": run_id,
                    "seeds": len(common),
                    "max_loss_diff": float(
                        (a.loc[common, "final_loss"] - b.loc[common, "final_loss"]).abs().max()
                    ),
                    "same_epochs": bool(
                        (a.loc[common, "epochs_run"] == b.loc[common, "epochs_run"]).all()
                    ),
                    "same_accuracy": bool(
                        (a.loc[common, "train_accuracy"] == b.loc[common, "train_accuracy"]).all()
                    ),
                }
            )

    # split: train vs test accuracy
    split = []
    for _, first in distinct[distinct["test_fraction"] > 0].iterrows():
        group = summary[summary.run_id == first["run_id"]]
        split.append(
            {
                "task": first["task"],
                "run_id": first["run_id"],
                "n_train": int(first["n_train"]),
                "n_test": int(first["n_test"]),
                "xor_points": int(first["xor_points"]),
                **_seed_stats(group),
            }
        )

    # stability across random initialisations
    spreads = []
    for run_id, group in summary[summary["run_id"].isin(distinct["run_id"])].groupby(
        "run_id", sort=False
    ):
        if len(group) > 1 and group["diverged_epoch"].isna().all():
            acc = group["train_accuracy"]
            spreads.append(
                {"run_id": run_id, "range": float(acc.max() - acc.min()), "std": float(acc.std())}
            )
    unstable = [s for s in spreads if s["range"] >= 0.1]
    widest = max(spreads, key=lambda s: s["range"]) if spreads else None
    all_seeds = sorted(summary["seed"].dropna().unique().tolist())
    return {
        "tasks": tasks,
        "baselines": baselines,
        "axes": axes,
        "lr": lr_rows,
        "lr_one": lr_one,
        "depth": depth,
        "none": none,
        "xor_none": xor_none,
        "engines": engines,
        "split": split,
        "spreads": spreads,
        "unstable": unstable,
        "widest": widest,
        "seeds": [int(s) for s in all_seeds],
        "n_runs": len(distinct),
    }


# --- timing ------------------------------------------------------------------------------


def timing_findings(timing: pd.DataFrame) -> list[dict[str, Any]]:
    found = []
    for network, group in timing.groupby("network", sort=False):
        t = group.set_index("engine")["median_seconds_per_step"]
        if not {"numpy", "torch"} <= set(t.index):
            continue
        faster = "numpy" if t["numpy"] < t["torch"] else "torch"
        slower = "torch" if faster == "numpy" else "numpy"
        found.append(
            {
                "network": network,
                "widths": group["widths"].iloc[0],
                "n_params": int(group["n_params"].iloc[0]),
                "numpy_us": float(t["numpy"] * 1e6),
                "torch_us": float(t["torch"] * 1e6),
                "faster": faster,
                "slower": slower,
                "factor": float(t[slower] / t[faster]),
                "repeats": int(group["repeats"].iloc[0]),
                "steps": int(group["steps_per_repeat"].iloc[0]),
            }
        )
    return found
