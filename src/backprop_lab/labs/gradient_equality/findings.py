"""The gradient-equality lab's findings: the gradient table of the baseline, the check of
every architecture, both engines' training, and the lab's claim."""

from __future__ import annotations

from typing import Any

import pandas as pd

from backprop_lab.findings import FAILS, HOLDS, Claim, baseline, find_twin_by, unique_runs
from backprop_lab.formatting import num


def context(
    tables: dict[str, pd.DataFrame], section: dict[str, Any], config: dict[str, Any], labels: dict
) -> dict[str, Any]:
    found = findings(tables)
    found["claims"] = {"equal": _equality_claim(found)}
    return {"config": section, "seeds": config["seeds"], "findings": found}


def _equality_claim(found: dict[str, Any]) -> Claim:
    statement = "the hand-derived gradients equal autograd's"
    if found["baseline_passed"]:
        evidence = (
            f"the lab compared to 4 decimals; here they agree to a relative error of "
            f"{num(found['f64_autograd'], 2)} in float64, and finite differences confirm both"
        )
    else:
        evidence = "the lab compared to 4 decimals; here a check fails: see the failed rows above"
    return Claim(
        statement,
        HOLDS if found["baseline_passed"] else FAILS,
        evidence,
        {"f64_autograd": found["f64_autograd"]},
    )


METHOD_PAIRS = ("numpy vs autograd", "numpy vs finite_diff", "autograd vs finite_diff")


def findings(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    grads, summary, curves = (
        tables[f"gradient_equality_{k}"] for k in ("gradients", "summary", "curves")
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
