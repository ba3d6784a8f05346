"""The timing lab's findings: which engine is faster per network, by what factor."""

from __future__ import annotations

from typing import Any

import pandas as pd


def context(
    tables: dict[str, pd.DataFrame], section: dict[str, Any], config: dict[str, Any], labels: dict
) -> dict[str, Any]:
    found = timing_findings(tables["timing"])
    return {
        "config": section,
        "findings": found,
        "numpy_always_faster": bool(found) and all(t["faster"] == "numpy" for t in found),
    }


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
