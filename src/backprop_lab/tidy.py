"""Helpers every lab's tables use: the columns that identify a run, tidy per-epoch rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.lab import experiment_of, settings_digest


def run_ident(settings: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """The columns that name a run: lab, axis, variant, run id, the given settings, what
    changed from the baseline and a digest of the complete settings."""
    row = {
        "lab": settings["lab"],
        "axis": settings["axis"],
        "variant": settings["variant"],
        "run_id": run_id(settings),
    }
    for key in columns:
        value = settings.get(key)
        if key == "hidden":
            row["hidden"] = "-".join(str(w) for w in value)
            row["hidden_layers"] = len(value)
        else:
            row["loss_function" if key == "loss" else key] = value
    row["changed"] = ",".join(settings.get("changed", []))
    row["settings_key"] = settings_digest(experiment_of(settings))
    return row


def run_id(settings: dict[str, Any]) -> str:
    return f"{settings['lab']}/{settings['axis']}/{settings['variant']}"


def curve_frame(
    ident: dict[str, Any], seed: int, epochs: list[int], loss: list[Any]
) -> pd.DataFrame:
    frame = pd.DataFrame({"epoch": epochs, "loss": np.array(loss, dtype=float)})
    frame.insert(0, "seed", seed)
    for key in ("engine", "run_id"):
        frame.insert(0, key, ident.get(key))
    return frame


def replicas(settings: dict[str, Any]) -> list[int | None]:
    """The seeds of a run's replicas; one replica of no seed for a run without randomness."""
    return list(settings["seeds"]) if settings.get("seeds") else [None]
