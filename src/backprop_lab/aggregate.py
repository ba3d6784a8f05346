"""The aggregate stage of one lab: read each of its run files once, build its tables."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from backprop_lab import labs
from backprop_lab.runio import read_run
from backprop_lab.tables import TableError, write_table
from backprop_lab.tidy import run_id

Run = dict[str, Any]


def aggregate(
    lab_name: str,
    settings_path: str,
    points_path: str,
    run_files: list[str],
    tables_dir: str,
    large_dir: str,
) -> None:
    """Write the lab's summary tables to `tables_dir` and its large ones to `large_dir`.
    `settings_path` holds the lab's config section, `points_path` the list of every axis
    point, in the config's order, with its settings and the run file of its experiment
    (JSON files), then the points of other labs it borrows (``Lab.borrows``); `run_files`
    are the distinct run files, each read once."""
    lab = labs.get(lab_name)
    section = json.loads(Path(settings_path).read_text())
    points = json.loads(Path(points_path).read_text())
    owner = {p["run"]: labs.get(p["settings"]["lab"]) for p in points}
    results = {
        path: read_run(path, required=owner[path].result_keys if path in owner else ())["result"]
        for path in dict.fromkeys(run_files)
    }
    unread = sorted(set(owner) - set(results))
    if unread:
        raise TableError(f"lab {lab.name}: no run file given for {', '.join(unread)}")
    # the points' order (the config's order) is the order of the tables
    runs = [{"settings": p["settings"], "result": results[p["run"]]} for p in points]
    own = [r for r in runs if r["settings"]["lab"] == lab.name]
    build = importlib.import_module(f"{lab.package}.tables").build
    if lab.borrows is None:
        frames = build(own, section)
    else:
        borrowed = [r for r in runs if r["settings"]["lab"] != lab.name]
        frames = build(own, section, borrowed=borrowed)
    expected = set(lab.tables) | set(lab.large_tables)
    if set(frames) != expected:
        raise TableError(
            f"lab {lab.name}: its tables.build made {sorted(frames)}, "
            f"but the lab declares {sorted(expected)}"
        )
    for name, frame in frames.items():
        folder = tables_dir if name in lab.tables else large_dir
        write_table(frame, Path(folder) / f"{name}.csv")
    # one row per experiment (its run file), under its owner's run id: the first of its
    # points in the config's order
    first: dict[str, Run] = {}
    for point, run in zip(points, runs):
        if run["settings"]["lab"] == lab.name:
            first.setdefault(point["run"], run)
    write_table(run_times(list(first.values())), Path(tables_dir) / f"{lab.run_times_table}.csv")


def run_times(runs: list[Run]) -> pd.DataFrame:
    """Wall times, kept apart from the metric tables: they differ from run to run."""
    rows = []
    for run in runs:
        settings, result = run["settings"], run["result"]
        rows.append(
            {
                "run_id": run_id(settings),
                "engine": settings.get("engine"),
                "seconds": result.get("seconds"),
                "seconds_per_step": result.get("seconds_per_round", result.get("seconds_per_step")),
            }
        )
    return pd.DataFrame(rows)
