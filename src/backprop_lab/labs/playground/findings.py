"""The Playground lab's findings, computed from its summary table, its ledger and
micrograd's demo step by step.

Runs are found by their settings, never by their names in the config. "Solved" means a
mean test accuracy over the seeds of at least the section's ``target_accuracy``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from backprop_lab import ledger
from backprop_lab.findings import (
    FAILS,
    HOLDS,
    PARTLY,
    UNCHECKED,
    Claim,
    baseline,
    changed,
    equal,
)
from backprop_lab.formatting import num, pct

RAW = "x1,x2"
# both engines "agree" when their final training losses differ by less than this
ENGINE_AGREEMENT = 1e-9


def context(
    tables: dict[str, pd.DataFrame], section: dict[str, Any], config: dict[str, Any], labels: dict
) -> dict[str, Any]:
    summary = tables["playground_summary"]
    target = float(section["target_accuracy"])
    per_run = runs_table(summary)
    found = {
        "linear": _linear(per_run, target),
        "spiral": _spiral(per_run, target),
        "regularization": _regularization(per_run),
        "losses": _losses(per_run, target),
        "zero_init": _zero_init(summary),
        "engines": _engines(per_run),
        "update_rules": _update_rules(per_run, summary, target),
        "micrograd": _micrograd(tables, summary, labels),
    }
    found["claims"] = [c for key in found for c in found[key].get("claims", [])]
    base = baseline(summary)
    return {
        "config": section,
        "seeds": config["seeds"],
        "target": target,
        "baseline": base.to_dict(),
        "axes": _axes(per_run, labels),
        "findings": found,
    }


def runs_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its settings and the mean, spread and count over its seeds."""
    keys = [c for c in summary.columns if c not in _PER_SEED]
    grouped = summary.groupby("run_id", sort=False)
    first = grouped[keys].first()
    stats = grouped.agg(
        seeds=("seed_key", "size"),
        test_mean=("test_accuracy", "mean"),
        test_std=("test_accuracy", "std"),
        train_mean=("train_accuracy", "mean"),
        loss_mean=("train_loss", "mean"),
        test_loss_mean=("test_data_loss", "mean"),
        epochs_median=("epochs_to_target", "median"),
        reached=("epochs_to_target", "count"),
        l2_norm=("weight_l2_norm", "mean"),
        near_zero=("weights_near_zero", "mean"),
        diverged=("diverged_epoch", "count"),
    )
    return first.join(stats).reset_index(drop=True)


_PER_SEED = {
    "seed",
    "seed_key",
    "train_loss",
    "train_data_loss",
    "test_data_loss",
    "train_accuracy",
    "test_accuracy",
    "epochs_to_target",
    "weight_l1_norm",
    "weight_l2_norm",
    "weights_near_zero",
    "diverged_epoch",
    "identical_hidden_units",
}


def _row(run: pd.Series) -> dict[str, Any]:
    return {
        "run_id": run["run_id"],
        "variant": run["variant"],
        "dataset": run["dataset"],
        "hidden": run["hidden"],
        "features": run["features"].replace(",", ", "),
        "seeds": int(run["seeds"]),
        "test_mean": float(run["test_mean"]),
        "test_std": float(run["test_std"]) if pd.notna(run["test_std"]) else 0.0,
        "train_mean": float(run["train_mean"]),
        "loss_mean": float(run["loss_mean"]),
        "epochs_median": None if pd.isna(run["epochs_median"]) else float(run["epochs_median"]),
        "reached": int(run["reached"]),
        "diverged": int(run["diverged"]),
    }


def _axes(per_run: pd.DataFrame, labels: dict[str, str]) -> list[dict[str, Any]]:
    axes = []
    for axis, runs in per_run.groupby("axis", sort=False):
        rows = []
        for _, run in runs.iterrows():
            row = _row(run)
            row["label"] = labels.get(run["run_id"], run["variant"])
            rows.append(row)
        axes.append({"axis": axis, "rows": rows})
    return axes


def _distinct(per_run: pd.DataFrame) -> pd.DataFrame:
    return per_run.drop_duplicates("settings_key")


def _only(per_run: pd.DataFrame, allowed: set[str]) -> pd.DataFrame:
    """Distinct runs that differ from the baseline in no more than `allowed`."""
    runs = _distinct(per_run)
    return runs[runs.apply(lambda r: changed(r) <= allowed, axis=1)]


def _linear(per_run: pd.DataFrame, target: float) -> dict[str, Any]:
    """Networks without a hidden layer: which data sets they solve, raw or with features."""
    runs = _only(per_run, {"dataset", "hidden", "features"})
    runs = runs[runs["hidden"] == "none"]
    rows, solved = [], {"raw": [], "all": []}
    for dataset, group in runs.groupby("dataset", sort=False):
        entry: dict[str, Any] = {"dataset": dataset, "raw": None, "all": None}
        for _, run in group.iterrows():
            kind = "raw" if run["features"] == RAW else "all"
            entry[kind] = _row(run)
            if run["test_mean"] >= target:
                solved[kind].append(dataset)
        rows.append(entry)
    claims = []
    if any(r["raw"] for r in rows):
        separable = {"gauss"}
        tried = {r["dataset"] for r in rows if r["raw"]}
        holds = set(solved["raw"]) == separable & tried
        claims.append(
            Claim(
                "without hidden layers and with only x1, x2, the network solves only the data "
                "a straight line separates (the two Gaussians)",
                HOLDS if holds else FAILS,
                f"with the raw features it reaches {pct(target)} test accuracy on "
                f"{_names(solved['raw'])} of {_names(sorted(tried))}",
                {"solved": solved["raw"]},
            )
        )
    if any(r["all"] for r in rows):
        wanted = {"circle", "xor"} & {r["dataset"] for r in rows if r["all"]}
        got = wanted & set(solved["all"])
        verdict = HOLDS if got == wanted and wanted else PARTLY if got else FAILS
        claims.append(
            Claim(
                "with the extra features (x1², x2², x1·x2, sin) a network without hidden "
                "layers solves the circle and XOR",
                verdict,
                f"with all seven features it solves {_names(solved['all'])}",
                {"solved": solved["all"]},
            )
        )
    return {"rows": rows, "solved": solved, "claims": claims}


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def _spiral(per_run: pd.DataFrame, target: float) -> dict[str, Any]:
    """The spiral by hidden layers: the smallest network (fewest units) that solves it."""
    runs = _only(per_run, {"dataset", "hidden"})
    runs = runs[(runs["dataset"] == "spiral") & (runs["hidden"] != "none")]
    rows = [_row(r) | {"units": _units(r["hidden"])} for _, r in runs.iterrows()]
    rows.sort(key=lambda r: (r["units"], r["hidden"]))
    solving = [r for r in rows if r["test_mean"] >= target]
    smallest = solving[0] if solving else None
    claims = []
    if rows:
        one_layer = [r for r in rows if "-" not in r["hidden"]]
        one_solves = [r for r in one_layer if r["test_mean"] >= target]
        claims.append(
            Claim(
                "the spiral needs more than one hidden layer (with x1, x2 alone)",
                UNCHECKED
                if not one_layer or smallest is None
                else (HOLDS if not one_solves else FAILS),
                "no network tried solves it"
                if smallest is None
                else f"the smallest that solves it is {smallest['hidden']} "
                f"({smallest['units']} units, {pct(smallest['test_mean'])} test accuracy); "
                f"the best with one hidden layer reaches "
                f"{pct(max((r['test_mean'] for r in one_layer), default=float('nan')))}",
                {"smallest": smallest["hidden"] if smallest else None},
            )
        )
    return {"rows": rows, "smallest": smallest, "claims": claims}


def _units(hidden: str) -> int:
    return 0 if hidden == "none" else sum(int(w) for w in hidden.split("-"))


def _regularization(per_run: pd.DataFrame) -> dict[str, Any]:
    """Runs that differ only in the regularisation (on one network): weights and accuracy."""
    rows = []
    for _, group in _distinct(per_run).groupby(
        _other_settings(per_run, {"regularization", "reg_rate"})
    ):
        if group["regularization"].nunique() < 2 or "none" not in set(group["regularization"]):
            continue
        order = group.assign(plain=group["regularization"] != "none")
        for _, run in order.sort_values(["plain", "regularization", "reg_rate"]).iterrows():
            rows.append(
                _row(run)
                | {
                    "regularization": run["regularization"],
                    "reg_rate": float(run["reg_rate"]),
                    "l2_norm": float(run["l2_norm"]),
                    "near_zero": float(run["near_zero"]),
                    "gap": float(run["train_mean"] - run["test_mean"]),
                }
            )
    claims = []
    none = next((r for r in rows if r["regularization"] == "none"), None)
    for kind, statement, key, better in (
        ("l2", "L2 regularisation shrinks the weights", "l2_norm", lambda a, b: a < b),
        ("l1", "L1 regularisation sets weights to (nearly) zero", "near_zero", lambda a, b: a > b),
    ):
        mine = [r for r in rows if r["regularization"] == kind]
        if none is None or not mine:
            continue
        wins = [r for r in mine if better(r[key], none[key])]
        what = "weights' L2 norm" if key == "l2_norm" else "share of weights below 1e-3"
        claims.append(
            Claim(
                statement,
                HOLDS if len(wins) == len(mine) else PARTLY if wins else FAILS,
                f"the {what} is {none[key]:.3g} without it and "
                + ", ".join(f"{r[key]:.3g} at rate {r['reg_rate']:g}" for r in mine),
                {key: [r[key] for r in mine]},
            )
        )
    return {"rows": rows, "claims": claims}


def _other_settings(per_run: pd.DataFrame, varied: set[str]) -> list[str]:
    columns = ["dataset", "noise", "features", "hidden", "activation", "loss_function"]
    columns += ["learning_rate", "batch_size", "epochs", "regularization", "reg_rate"]
    columns += ["init", "engine"]
    return [c for c in columns if c not in varied]


def _losses(per_run: pd.DataFrame, target: float) -> dict[str, Any]:
    """The three losses on each data set: epochs until the test accuracy reaches the target."""
    rows = []
    runs = _only(per_run, {"dataset", "loss"})
    for _, group in runs.groupby("dataset", sort=False):
        if group["loss_function"].nunique() < 2:
            continue
        for _, run in group.iterrows():
            rows.append(_row(run) | {"loss": run["loss_function"]})
    claims = []
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        by_loss = {r["loss"]: r for r in rows if r["dataset"] == dataset}
        ce, se = by_loss.get("cross_entropy"), by_loss.get("squared_error")
        if ce is None or se is None:
            continue
        faster = _epochs(ce) < _epochs(se)
        claims.append(
            Claim(
                "cross-entropy reaches the target accuracy in fewer epochs than squared error",
                HOLDS if faster else FAILS,
                f"median epochs to {pct(target)} test accuracy: {_epochs_text(ce)} with "
                f"cross-entropy, {_epochs_text(se)} with squared error",
                {"cross_entropy": ce["epochs_median"], "squared_error": se["epochs_median"]},
                scope=dataset,
            )
        )
    return {"rows": rows, "claims": claims}


def _epochs(row: dict[str, Any]) -> float:
    """Median epochs to the target, infinite when fewer than half the seeds reach it."""
    if row["epochs_median"] is None or row["reached"] * 2 < row["seeds"]:
        return float("inf")
    return row["epochs_median"]


def _epochs_text(row: dict[str, Any]) -> str:
    value = _epochs(row)
    if value == float("inf"):
        return f"never for most seeds ({row['reached']} of {row['seeds']} reach it)"
    return f"{value:g} ({row['reached']} of {row['seeds']} seeds reach it)"


def _zero_init(summary: pd.DataFrame) -> dict[str, Any]:
    """Zero initialisation: are the first hidden layer's units identical at the end?"""
    zero = summary[(summary["init"] == "zero") & summary["identical_hidden_units"].notna()]
    if zero.empty:
        return {"runs": [], "claims": []}
    runs = []
    for run_id, group in zero.groupby("run_id", sort=False):
        identical = group["identical_hidden_units"].astype(bool)
        runs.append(
            {
                "run_id": run_id,
                "seeds": len(group),
                "identical": int(identical.sum()),
                "test_mean": float(group["test_accuracy"].mean()),
            }
        )
    all_identical = all(r["identical"] == r["seeds"] for r in runs)
    claim = Claim(
        "zero initialisation never breaks the symmetry: the hidden units stay identical",
        HOLDS if all_identical else FAILS,
        "; ".join(
            f"`{r['run_id']}`: identical in {r['identical']} of {r['seeds']} seeds, test "
            f"accuracy {pct(r['test_mean'])}"
            for r in runs
        ),
        {"identical": [r["identical"] for r in runs]},
    )
    return {"runs": runs, "claims": [claim]}


def _engines(per_run: pd.DataFrame) -> dict[str, Any]:
    """Runs that differ only in the engine: the largest difference of their final losses."""
    pairs = []
    for _, group in _distinct(per_run).groupby(_other_settings(per_run, {"engine"})):
        if set(group["engine"]) >= {"numpy", "torch"}:
            a = group[group["engine"] == "numpy"].iloc[0]
            b = group[group["engine"] == "torch"].iloc[0]
            pairs.append(
                {
                    "numpy": a["run_id"],
                    "torch": b["run_id"],
                    "diff": float(abs(a["loss_mean"] - b["loss_mean"])),
                }
            )
    claims = []
    if pairs:
        worst = max(p["diff"] for p in pairs)
        claims.append(
            Claim(
                "the hand-written numpy backprop and PyTorch autograd train the same networks",
                HOLDS if worst < ENGINE_AGREEMENT else FAILS,
                f"over {len(pairs)} pair(s) the mean final training loss differs by at most "
                f"{worst:.2g}",
                {"max_diff": worst},
            )
        )
    return {"pairs": pairs, "claims": claims}


# the update rules as the section names them (core.optim's options)
RULE_NAMES = {
    "sgd": "SGD",
    "momentum": "momentum 0.9",
    "nesterov": "Nesterov 0.9",
    "adam": "Adam",
}


def _update_rules(per_run: pd.DataFrame, summary: pd.DataFrame, target: float) -> dict[str, Any]:
    """Runs that differ from the baseline only in the update rule: final test accuracy over
    the seeds, epochs to the target, and which rule gets there first and ends best."""
    runs = _only(per_run, {"update_rule"}) if "update_rule" in per_run else per_run.iloc[:0]
    rows = []
    for rule, group in runs.groupby("update_rule", sort=False):
        run = group.iloc[0]
        epochs = summary.loc[summary["run_id"] == run["run_id"], "epochs_to_target"].dropna()
        rows.append(
            _row(run)
            | {
                "rule": RULE_NAMES.get(str(rule), str(rule)),
                "epochs_min": None if epochs.empty else int(epochs.min()),
                "epochs_max": None if epochs.empty else int(epochs.max()),
            }
        )
    if len(rows) < 2:
        return {"rows": [], "first": "", "best": ""}
    return {"rows": rows, "first": _first_rule(rows, target), "best": _best_rule(rows)}


def _first_rule(rows: list[dict[str, Any]], target: float) -> str:
    """Which rule reaches the target first (median over seeds), and whether the seeds'
    epochs of the first two overlap."""
    order = sorted(rows, key=_epochs)
    first, second = order[0], order[1]
    if _epochs(first) == float("inf"):
        return f"No update rule brings most seeds to {pct(target)} test accuracy."
    text = (
        f"{first['rule']} reaches {pct(target)} test accuracy first: in a median "
        f"{_epochs(first):g} epochs ({first['reached']} of {first['seeds']} seeds), against "
        + " and ".join(f"{_epochs_text(r)} for {r['rule']}" for r in order[1:])
    )
    if _epochs(second) == float("inf"):
        return text + "."
    if first["epochs_max"] < second["epochs_min"]:
        return (
            text + f"; every seed of {first['rule']} is there ({first['epochs_min']}–"
            f"{first['epochs_max']} epochs) before any seed of {second['rule']} "
            f"({second['epochs_min']}–{second['epochs_max']})."
        )
    return (
        text + f"; but the seeds' epochs overlap ({first['epochs_min']}–{first['epochs_max']} "
        f"against {second['epochs_min']}–{second['epochs_max']} for {second['rule']}), so "
        f"{first['rule']} is not clearly first."
    )


def _best_rule(rows: list[dict[str, Any]]) -> str:
    """The rule with the best mean final test accuracy, and whether the next one lies within
    a standard deviation of the seeds (either's)."""
    order = sorted(rows, key=lambda r: -r["test_mean"])
    best, second = order[0], order[1]
    text = (
        f"The best final test accuracy is {best['rule']}'s, {pct(best['test_mean'])} ± "
        f"{pct(best['test_std'])} over {best['seeds']} seeds; {second['rule']} ends at "
        f"{pct(second['test_mean'])} ± {pct(second['test_std'])}"
    )
    if best["test_mean"] - best["test_std"] <= second["test_mean"] + second["test_std"]:
        return text + ": the seeds' spreads overlap, so no rule is clearly best."
    return text + ": the seeds' spreads do not overlap."


# micrograd's demo: the settings of its data and network (its one-change variants keep them)
DEMO_SETUP = (
    "dataset",
    "n_points",
    "noise",
    "data_seed",
    "test_fraction",
    "features",
    "hidden",
    "activation",
    "loss_function",
    "init",
)
# … and of its training: each variant changes one of them (or one group, as Adam's step)
DEMO_TRAINING = (
    "update_rule",
    "learning_rate",
    "schedule",
    "regularization",
    "reg_rate",
    "penalty_on",
    "batch_size",
    "order",
    "epochs",
)


def _micrograd(
    tables: dict[str, pd.DataFrame], summary: pd.DataFrame, labels: dict[str, str]
) -> dict[str, Any]:
    """micrograd's demo: the verdicts on its printed numbers, how far our losses lie from
    its printout, and what one change of its training does to the final loss and accuracy."""
    rows = tables["playground_ledger"].to_dict("records") if "playground_ledger" in tables else []
    counts = ledger.summary(rows)
    steps = tables.get("playground_micrograd_steps")
    found: dict[str, Any] = {
        "total": len(rows),
        "counts": {verdict: n for verdict, n in counts.items() if n},
        "reproduced": counts[ledger.REPRODUCED],
        "demo": None,
    }
    if steps is None or steps["loss"].isna().all():
        return found
    run_id, seed = str(steps["run_id"].iloc[0]), int(steps["seed"].iloc[0])
    worst = steps.loc[steps["relative_difference"].idxmax()]
    demo_rows = summary[summary["run_id"] == run_id]
    demo = demo_rows.iloc[0]
    found["demo"] = {
        "run_id": run_id,
        "seed": seed,
        "steps": len(steps),
        "max_relative_difference": float(worst["relative_difference"]),
        "max_step": int(worst["step"]),
        "equal_accuracies": int((steps["accuracy"] == steps["printed_accuracy"]).sum()),
        "final": _final(demo_rows, seed),
    }
    variants = _demo_variants(summary, demo, seed, labels)
    found["variants"] = variants
    found["sentences"] = [
        _largest_move(variants, found["demo"]["final"], key) for key in ("accuracy", "loss")
    ]
    return found


def _final(rows: pd.DataFrame, seed: int) -> dict[str, Any]:
    """A run's final training loss and accuracy (after its last step): micrograd's seed,
    and the mean and sd over all its seeds."""
    mine = rows[rows["seed"] == seed]
    return {
        "seeds": len(rows),
        "loss_seed": float(mine["train_loss"].iloc[0]) if len(mine) else None,
        "accuracy_seed": float(mine["train_accuracy"].iloc[0]) if len(mine) else None,
        "loss_mean": float(rows["train_loss"].mean()),
        "loss_sd": float(rows["train_loss"].std()) if len(rows) > 1 else 0.0,
        "accuracy_mean": float(rows["train_accuracy"].mean()),
        "accuracy_sd": float(rows["train_accuracy"].std()) if len(rows) > 1 else 0.0,
    }


def _demo_variants(
    summary: pd.DataFrame, demo: pd.Series, seed: int, labels: dict[str, str]
) -> list[dict[str, Any]]:
    """Distinct runs on the demo's data and network that train otherwise: what they change
    from the demo, and their final loss and accuracy."""
    variants = []
    for _, run in summary.drop_duplicates("settings_key").iterrows():
        if run["settings_key"] == demo["settings_key"]:
            continue
        if not all(equal(run[k], demo[k]) for k in DEMO_SETUP if k in summary):
            continue
        differ = [k for k in DEMO_TRAINING if k in summary and not equal(run[k], demo[k])]
        if not differ:
            continue
        variants.append(
            {
                "run_id": run["run_id"],
                "label": labels.get(run["run_id"], run["variant"]),
                "changes": ", ".join(
                    f"{k} {_value(run[k])} (demo: {_value(demo[k])})" for k in differ
                ),
                "final": _final(summary[summary["run_id"] == run["run_id"]], seed),
            }
        )
    return variants


def _value(value: Any) -> str:
    return num(value) if isinstance(value, float) else str(value)


def _largest_move(variants: list[dict[str, Any]], demo: dict[str, Any], key: str) -> str:
    """Which one change moves the mean final `key` (accuracy or loss) most, against the
    seeds' spread."""
    if not variants:
        return ""
    mean, sd = f"{key}_mean", f"{key}_sd"
    show = pct if key == "accuracy" else num
    moved = max(variants, key=lambda v: abs(v["final"][mean] - demo[mean]))
    final = moved["final"]
    delta = final[mean] - demo[mean]
    if delta == 0:
        return f"None of the {len(variants)} one-change variants moves the mean final {key}."
    if key == "accuracy":
        by = f"{100 * delta:+.1f} points".replace("-", "−")
    else:
        by = f"{final[mean] / demo[mean]:.3g} times the demo's"
    which = (
        f"Of the {len(variants)} one-change variants, {moved['label']} moves the mean final "
        f"{key} most"
        if key == "accuracy"
        else f"The mean final {key} moves most with {moved['label']}"
    )
    text = (
        f"{which}: {show(final[mean])} ± {show(final[sd])} over {final['seeds']} seeds, "
        f"against the demo's {show(demo[mean])} ± {show(demo[sd])} ({by})"
    )
    if abs(delta) > final[sd] + demo[sd]:
        return text + ", more than the two standard deviations together."
    return text + (
        ", within the seeds' spread (the two standard deviations together), so no one "
        "change clearly moves it."
    )
