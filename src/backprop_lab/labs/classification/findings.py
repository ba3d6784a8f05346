"""The classification lab's findings: per axis the spread over seeds, the baselines, the
learning rates, engines and split, and the lab's claims."""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd

from backprop_lab.findings import (
    FAILS,
    HOLDS,
    PARTLY,
    UNCHECKED,
    Claim,
    changed,
    runs_changing,
    unique_runs,
)
from backprop_lab.formatting import num, pct

# The listing's quirks: the setting, what it is called, and its corrections.
QUIRKS = (
    ("order", "sample order", ("grouped", "shuffled")),
    ("stop", "stopping rule", ("plateau", "none")),
    ("loss_gradient", "loss gradient", ("exact",)),
    ("activation", "sigmoid clipping", ("sigmoid",)),
    ("seeding", "seeding", ("separate",)),
)
# "Unstable across initialisations": the seeds' train accuracies span at least this much.
UNSTABLE_SPREAD = 0.10


# What each setting of the lab's procedure means, in the report's words.
PROCEDURE = {
    "seeding": {
        "listed": "as listed: `np.random.seed(s)`, then the data (the linear task's points) "
        "and each layer's `randn(out, in)` weights and `randn(out, 1)` biases from numpy's "
        "global generator",
        "separate": "the data from generator seed {data_seed}; the weights and biases "
        "~ N(0, {init_std}²) from `default_rng(s)`",
    },
    "order": {
        "listed": "per-sample SGD in the generator's order (as listed: the XOR classes "
        "interleave 0, 1, 0, 1, …)",
        "grouped": "per-sample SGD, every label-0 sample first, then every label 1",
        "shuffled": "per-sample SGD in a new seeded order every epoch",
    },
    "loss_gradient": {
        "listed": "as listed: `MSELoss.backward` returns (pred − y) / n, half the gradient "
        "of the MSE the lab prints (so the step is half what the learning rate says)",
        "exact": "the gradient of the MSE, 2 (pred − y) / n",
    },
    "stop": {
        "listed": 'as listed: at most {max_epochs} epochs, stop ("converged") once the '
        "epoch loss (the sum over samples) is below {tol} — `prev_total_loss` stays 0",
        "plateau": 'at most {max_epochs} epochs, stop ("plateau") once the epoch loss '
        "changes by less than {tol}: a plateau, not necessarily a solution",
        "none": "always {max_epochs} epochs",
    },
}
PROCEDURE_ROWS = (
    ("initialisation", "seeding"),
    ("training", "order"),
    ("loss gradient", "loss_gradient"),
    ("stopping", "stop"),
)


def procedure(baseline: dict[str, Any]) -> list[dict[str, str]]:
    """The baseline's procedure, a row per setting of the listing, in words."""
    rows = [
        {
            "quantity": "loss",
            "text": f"`{baseline['loss']}`, the squared error per sample summed over an "
            f"epoch; learning rate {num(baseline['lr'])}",
        }
    ]
    for quantity, key in PROCEDURE_ROWS:
        text = PROCEDURE[key][baseline[key]].format(**baseline)
        rows.append({"quantity": quantity, "text": text})
    return rows


def context(
    tables: dict[str, pd.DataFrame], section: dict[str, Any], config: dict[str, Any], labels: dict
) -> dict[str, Any]:
    found = findings(tables, section["width_pool"])
    found["claims"] = claims(found)
    return {
        "config": section,
        "seeds": config["seeds"],
        "procedure": procedure(section["baseline"]),
        "unstable_spread": UNSTABLE_SPREAD,
        "findings": found,
    }


def _seeds_text(diverged: list[dict[str, int]]) -> str:
    return ", ".join(f"seed {d['seed']} at epoch {d['epoch']}" for d in diverged)


def claims(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "depth": [_depth_claim(d) for d in found["depth"]]
        or [Claim("deeper networks reach lower loss", UNCHECKED, "no runs vary only the depth")],
        "lr_one": [_lr_one_claim(r) for r in found["lr_one"]]
        or [Claim("lr 1 fails", UNCHECKED, "no run uses lr 1 in this configuration")],
        "no_activation": _no_activation_claim(found["xor_none"]),
        "unstable": _unstable_claim(found),
    }


def _depth_claim(d: dict[str, Any]) -> Claim:
    losses = ", ".join(
        f"{r['layers']} layer{'s' if r['layers'] > 1 else ''} is {num(r['loss_mean'])}"
        for r in d["rows"]
    )
    if d["monotone"]:
        verdict, why = HOLDS, "the loss falls with every added layer"
    elif d["deepest_best"]:
        verdict, why = PARTLY, "the deepest network is lowest, but not every added layer lowers it"
    else:
        verdict, why = FAILS, "the deepest network is not the lowest"
    return Claim(
        "deeper networks reach lower loss",
        verdict,
        f"the mean final loss with {losses}: {why}",
        {r["layers"]: r["loss_mean"] for r in d["rows"]},
        scope=f"on {d['task']}",
    )


def _lr_one_claim(r: dict[str, Any]) -> Claim:
    statement, scope = "lr 1 fails", f"on {r['task']}"
    n, diverged, perfect = r["seeds"], r["diverged"], r["perfect"]
    numbers = {"seeds": n, "diverged": len(diverged), "perfect": len(perfect)}
    if len(diverged) == n:
        evidence = f"all {n} seeds diverge ({_seeds_text(diverged)})"
        return Claim(statement, HOLDS, evidence, numbers, scope)
    if perfect:
        evidence = f"{len(perfect)} of {n} seeds reach 100 %"
        return Claim(statement, FAILS, evidence, numbers, scope)
    return Claim(
        statement,
        HOLDS,
        f"{len(diverged)} of {n} seeds diverge and none reaches 100 % "
        f"(mean accuracy {pct(r['acc_mean'])})",
        numbers,
        scope,
    )


def _no_activation_claim(xor_none: list[dict[str, Any]]) -> Claim:
    statement = "no activation cannot solve XOR"
    if not xor_none:
        return Claim(statement, UNCHECKED, "every run without activation on XOR diverged")
    best = max(n["acc_max"] for n in xor_none)
    if best < 1:
        return Claim(
            statement,
            HOLDS,
            "without an activation the network is one affine map of (x1, x2), so its decision "
            "boundary output = 0.5 is a straight line, and no line separates the two "
            f"diagonals; the best seed reaches {pct(best)}",
            {"best_accuracy": best},
        )
    return Claim(statement, FAILS, "a seed reached 100 %", {"best_accuracy": best})


def _unstable_claim(found: dict[str, Any]) -> Claim:
    statement = "results are unstable across random initialisations"
    widest = found["widest"]
    if widest is None:
        return Claim(statement, UNCHECKED, "every variant has a diverging seed")
    unstable = found["unstable"]
    points = num(100 * UNSTABLE_SPREAD)
    return Claim(
        statement,
        HOLDS if unstable else FAILS,
        f"over the {len(found['spreads'])} variants in which no seed diverged, the train "
        f"accuracy of the seeds spans up to {pct(widest['range'])} (`{widest['run_id']}`, "
        f"standard deviation {pct(widest['std'])}); in {len(unstable)} of them the seeds "
        f"differ by {points} points or more"
        + (": the seed alone changes the result" if unstable else ""),
        {"widest": widest["range"], "unstable": len(unstable), "variants": len(found["spreads"])},
    )


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


class _Runs:
    """The summary table and its distinct runs, found by what they change."""

    def __init__(self, summary: pd.DataFrame) -> None:
        self.summary = summary
        self.distinct = unique_runs(summary)
        self.tasks = list(dict.fromkeys(summary["task"]))

    def where(self, task: str, allowed: set[str]) -> pd.DataFrame:
        """Every seed's row of the distinct runs of `task` that change only `allowed`."""
        first = runs_changing(self.distinct[self.distinct["task"] == task], allowed)
        return self.summary[self.summary["run_id"].isin(first["run_id"])]

    def groups(self, task: str, allowed: set[str]) -> Any:
        return self.where(task, allowed).groupby("run_id", sort=False)


def findings(tables: dict[str, pd.DataFrame], width_pool: list[int]) -> dict[str, Any]:
    runs = _Runs(tables["classification_summary"])
    summary = runs.summary
    baselines = _baselines(runs)
    lr_rows = _learning_rates(runs)
    none = _no_activation(runs, baselines)
    spreads = _spreads(runs)
    unstable = [s for s in spreads if s["range"] >= UNSTABLE_SPREAD]
    return {
        "tasks": runs.tasks,
        "baselines": baselines,
        "quirks": _quirks(runs, baselines),
        "axes": _axes(summary),
        "lr": lr_rows,
        "lr_one": [r for r in lr_rows if r["lr"] == 1.0],
        "depth": _depth(runs, width_pool),
        "none": none,
        "xor_none": [n for n in none if n["task"] == "xor" and not n["all_diverged"]],
        "engines": _engines(runs, baselines),
        "split": _split(runs),
        "spreads": spreads,
        "unstable": unstable,
        "widest": max(spreads, key=lambda s: s["range"]) if spreads else None,
        "options": _options(runs),
        "seeds": [int(s) for s in sorted(summary["seed"].dropna().unique().tolist())],
        "n_runs": len(runs.distinct),
    }


def _axes(summary: pd.DataFrame) -> list[dict[str, Any]]:
    """Every axis: a row per variant with its seeds' statistics."""
    axes = []
    for axis in dict.fromkeys(summary["axis"]):
        in_axis = summary[summary["axis"] == axis]
        keys: list[str] = []
        for text in in_axis["changed"].fillna(""):
            keys += [k for k in text.split(",") if k and k not in keys]
        keys = ["loss_function" if k == "loss" else k for k in keys]
        rows = []
        for run_id, group in in_axis.groupby("run_id", sort=False):
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
    return axes


def _baselines(runs: _Runs) -> dict[str, dict[str, Any]]:
    baselines = {}
    for task in runs.tasks:
        base = runs.where(task, set())
        if len(base):
            first = base.iloc[0]["run_id"]
            baselines[task] = {"run_id": first, **_seed_stats(base[base.run_id == first])}
    return baselines


def _learning_rates(runs: _Runs) -> list[dict[str, Any]]:
    """Which learning rates reach 100 % accuracy, in how many epochs."""
    rows = []
    for task in runs.tasks:
        for run_id, group in runs.groups(task, {"lr"}):
            lr = float(group.iloc[0]["lr"])
            rows.append({"task": task, "lr": lr, "run_id": run_id, **_seed_stats(group)})
    return sorted(rows, key=lambda r: (r["task"], -r["lr"]))


def _depth(runs: _Runs, width_pool: list[int]) -> list[dict[str, Any]]:
    """The final loss by depth (widths taken in order from the pool), per task."""
    depth = []
    for task in runs.tasks:
        rows = []
        for _, group in runs.groups(task, {"hidden"}):
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
    return depth


def _no_activation(runs: _Runs, baselines: dict[str, Any]) -> list[dict[str, Any]]:
    """Runs without activation, against their task's baseline."""
    none = []
    for task in runs.tasks:
        base = baselines.get(task)
        for run_id, group in runs.groups(task, {"activation", "lr"}):
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
    return none


def _engines(runs: _Runs, baselines: dict[str, Any]) -> list[dict[str, Any]]:
    """numpy vs torch on the same seeds."""
    engines = []
    for task in runs.tasks:
        base = baselines.get(task)
        for run_id, group in runs.groups(task, {"engine"}):
            if group.iloc[0]["engine"] != "torch" or base is None:
                continue
            a = runs.summary[runs.summary.run_id == base["run_id"]].set_index("seed")
            b = group.set_index("seed")
            common = a.index.intersection(b.index)

            def same(column: str, a: pd.DataFrame = a, b: pd.DataFrame = b, common=common) -> bool:
                return bool((a.loc[common, column] == b.loc[common, column]).all())

            diff = (a.loc[common, "final_loss"] - b.loc[common, "final_loss"]).abs().max()
            engines.append(
                {
                    "task": task,
                    "numpy": base["run_id"],
                    "torch": run_id,
                    "seeds": len(common),
                    "max_loss_diff": float(diff),
                    "same_epochs": same("epochs_run"),
                    "same_accuracy": same("train_accuracy"),
                }
            )
    return engines


def _split(runs: _Runs) -> list[dict[str, Any]]:
    """Train vs test accuracy of the runs with a test part."""
    split = []
    for _, first in runs.distinct[runs.distinct["test_fraction"] > 0].iterrows():
        group = runs.summary[runs.summary.run_id == first["run_id"]]
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
    return split


def _spreads(runs: _Runs) -> list[dict[str, Any]]:
    """The seeds' spread of train accuracy, per distinct run in which no seed diverged."""
    spreads = []
    distinct = runs.summary[runs.summary["run_id"].isin(runs.distinct["run_id"])]
    for run_id, group in distinct.groupby("run_id", sort=False):
        if len(group) > 1 and group["diverged_epoch"].isna().all():
            acc = group["train_accuracy"]
            spreads.append(
                {"run_id": run_id, "range": float(acc.max() - acc.min()), "std": float(acc.std())}
            )
    return spreads


def _quirks(runs: _Runs, baselines: dict[str, Any]) -> list[dict[str, Any]]:
    """Each quirk of the listing against its corrections, per task, with the seeds' spread."""
    quirks = []
    for task in runs.tasks:
        listed = baselines.get(task)
        if listed is None:
            continue
        listed_row = runs.summary[runs.summary.run_id == listed["run_id"]].iloc[0]
        for key, name, corrections in QUIRKS:
            for run_id, group in runs.groups(task, {key}):
                value = group.iloc[0][key]
                if value not in corrections:
                    continue
                stats = _seed_stats(group)
                quirks.append(
                    {
                        "task": task,
                        "quirk": name,
                        "key": key,
                        "listed": str(listed_row[key]),
                        "corrected": str(value),
                        "run_id": run_id,
                        "listed_stats": listed,
                        **stats,
                        "acc_change": stats["acc_mean"] - listed["acc_mean"],
                    }
                )
    return quirks


# --- the settings beyond the listing: batch size, update rule, loss, initial scale ---------


def _options(runs: _Runs) -> dict[str, list[dict[str, Any]]]:
    """Per task, each setting beyond the listing against the listed one, over the seeds."""
    return {
        "batch_size": _batch_size(runs),
        "update_rule": _update_rule(runs),
        "loss": _loss(runs),
        "init_scale": _init_scale(runs),
    }


def _variants(
    runs: _Runs,
    task: str,
    allowed: set[str],
    key: str,
    must: set[str] | None = None,
    where: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """The distinct runs of `task` that change only `allowed` (and one of `must`), and have
    the values `where`, one per value of the table's column `key` (the first run with it),
    with the seeds' statistics."""
    distinct = runs.distinct[runs.distinct["task"] == task]
    for column, wanted in (where or {}).items():
        distinct = distinct[distinct[column] == wanted]
    first = runs_changing(distinct, allowed, must)
    rows: dict[str, dict[str, Any]] = {}
    for _, run in first.iterrows():
        value = _value(run, [key])
        if value in rows:  # the baseline and a point that sets the listed value explicitly
            continue
        group = runs.summary[runs.summary["run_id"] == run["run_id"]]
        finite = group.loc[group["diverged_epoch"].isna(), "final_loss"].astype(float)
        rows[value] = {
            "value": value,
            "run_id": run["run_id"],
            "changed": sorted(changed(run)),
            "lr": float(run["lr"]),
            "max_epochs": int(run["max_epochs"]),
            "n_train": int(run["n_train"]),
            **_seed_stats(group),
            "converged": int((group["stop_reason"] == "converged").sum()),
            "loss_min": float(finite.min()) if len(finite) else None,
            "loss_max": float(finite.max()) if len(finite) else None,
        }
    return rows


def _outcome(r: dict[str, Any]) -> str:
    """One variant's seeds in words: accuracy, 100 %, converged, diverged, epochs."""
    n = r["seeds"]
    epochs = (
        f"{r['epochs_min']} epochs"
        if r["epochs_min"] == r["epochs_max"]
        else f"{r['epochs_min']}–{r['epochs_max']} epochs"
    )
    text = (
        f"train accuracy {pct(r['acc_mean'])} ± {pct(r['acc_std'] or 0)}, "
        f"{len(r['perfect'])} of {n} seeds at 100 %, {r['converged']} of {n} converged "
        f"(epoch loss below tol), {epochs}"
    )
    if r["diverged"]:
        text += f", {len(r['diverged'])} of {n} diverged ({_seeds_text(r['diverged'])})"
    return text


def _versus(a: float, b: float) -> str:
    """How accuracy `a` compares with `b`, in words (points: percentage points)."""
    if abs(a - b) < 1e-12:
        return "the same train accuracy as"
    word = "higher" if a > b else "lower"
    return f"a train accuracy {num(100 * abs(a - b), 3)} points {word} than"


def _ranking(rows: list[dict[str, Any]], name: str) -> str:
    """Which variant has the highest and which the lowest mean train accuracy."""
    accs = [r["acc_mean"] for r in rows]
    if max(accs) - min(accs) < 1e-12:
        return f"every {name} reaches the same mean train accuracy, {pct(accs[0])}"
    best = max(rows, key=lambda r: r["acc_mean"])
    worst = min(rows, key=lambda r: r["acc_mean"])
    return (
        f"the mean train accuracy is highest with {name} {best['value']} "
        f"({pct(best['acc_mean'])}) and lowest with {worst['value']} ({pct(worst['acc_mean'])})"
    )


def _batch_size(runs: _Runs) -> list[dict[str, Any]]:
    """Per-sample SGD (as listed) against full-batch gradient descent, same lr and epochs."""
    found = []
    for task in runs.tasks:
        rows = _variants(runs, task, {"batch_size"}, "batch_size")
        one, full = rows.get("1"), rows.get("full")
        if one is None or full is None:
            continue
        n = one["n_train"]
        per_sample = None if one["loss_mean"] is None else one["loss_mean"] / n
        text = (
            f"At the same lr {num(full['lr'])}, per-sample SGD takes {n} steps per epoch and "
            f"full-batch gradient descent 1, so full batch takes {n}× fewer steps "
            f"({num(full['epochs_mean'])} steps against {num(n * one['epochs_mean'])}, mean "
            f"over the seeds). Full batch: {_outcome(full)}; per sample: {_outcome(one)}. "
            f"With {n}× fewer steps, full batch ends with "
            f"{_versus(full['acc_mean'], one['acc_mean'])} per-sample SGD. The final epoch "
            f"loss is not comparable as it stands: full batch's is the mean over the "
            f"{n} samples ({num(full['loss_mean'])}), per-sample SGD's the sum of its {n} "
            f"step losses ({num(one['loss_mean'])}, {num(per_sample)} per sample)"
        )
        found.append({"task": task, "one": one, "full": full, "steps_ratio": n, "text": text})
    return found


def _update_rule(runs: _Runs) -> list[dict[str, Any]]:
    """The listed SGD against the other update rules, same lr and epochs."""
    found = []
    for task in runs.tasks:
        rows = _variants(runs, task, {"update_rule"}, "update_rule")
        sgd = rows.get("sgd")
        if sgd is None or len(rows) < 2:
            continue
        others = [r for v, r in rows.items() if v != "sgd"]
        parts = [f"{r['value']}: {_outcome(r)}" for r in rows.values()]
        text = (
            f"At the same lr {num(sgd['lr'])} and at most {sgd['max_epochs']} epochs, "
            f"{'; '.join(parts)}. {_sentence(_ranking(list(rows.values()), 'update rule'))}"
        )
        for r in others:
            text += _loss_against(r, sgd)
        found.append({"task": task, "rows": list(rows.values()), "text": text})
    return found


def _loss_against(r: dict[str, Any], sgd: dict[str, Any]) -> str:
    """Where a rule's final epoch losses lie against SGD's (both sums over the samples)."""
    if r["loss_min"] is None or sgd["loss_min"] is None:
        return ""
    span = f"{num(r['loss_min'])}–{num(r['loss_max'])}"
    sgd_span = f"{num(sgd['loss_min'])}–{num(sgd['loss_max'])}"
    if r["loss_min"] > sgd["loss_max"]:
        where = "lie above every sgd seed's"
    elif r["loss_max"] < sgd["loss_min"]:
        where = "lie below every sgd seed's"
    else:
        where = "overlap sgd's"
    return f"; {r['value']}'s final epoch losses ({span}) {where} ({sgd_span})"


def _loss(runs: _Runs) -> list[dict[str, Any]]:
    """The listed MSE on an identity output against BCE on a sigmoid output."""
    found = []
    for task in runs.tasks:
        allowed = {"loss", "output_activation", "loss_gradient"}
        rows = _variants(runs, task, allowed, "loss_function", must={"loss"})
        mse = rows.get("mse")
        others = [r for v, r in rows.items() if v != "mse"]
        if mse is None or not others:
            continue
        text = f"The listed mse: {_outcome(mse)}"
        for r in others:
            also = [k for k in r["changed"] if k != "loss"]
            text += (
                f"; {r['value']}"
                + (f" (also {', '.join(also)} changed)" if also else "")
                + f": {_outcome(r)}, {_versus(r['acc_mean'], mse['acc_mean'])} mse"
            )
        text += (
            ". The final epoch losses are sums of different functions (squared error, "
            "cross-entropy) and are not compared; the stopping rule compares both with the "
            "same tol"
        )
        found.append({"task": task, "rows": list(rows.values()), "text": text})
    return found


def _init_scale(runs: _Runs) -> list[dict[str, Any]]:
    """Separate seeding, the weights' standard deviation varied."""
    found = []
    for task in runs.tasks:
        allowed = {"seeding", "init_std"}
        rows = _variants(runs, task, allowed, "init_std", where={"seeding": "separate"})
        if len(rows) < 2:
            continue
        ordered = sorted(rows.values(), key=lambda r: float(r["value"]))
        parts = [f"init_std {r['value']}: {_outcome(r)}" for r in ordered]
        text = f"{'; '.join(parts)}. {_sentence(_ranking(ordered, 'init_std'))}"
        found.append({"task": task, "rows": ordered, "text": text})
    return found


def _sentence(text: str) -> str:
    """`text` with its first letter upper case (str.capitalize would lower the rest)."""
    return text[:1].upper() + text[1:]
