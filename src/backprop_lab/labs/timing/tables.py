"""The timing lab's table: the median time per step of each engine on each network."""

from __future__ import annotations

from typing import Any

import pandas as pd

Run = dict[str, Any]


def build(runs: list[Run], section: dict[str, Any]) -> dict[str, pd.DataFrame]:
    return {"timing": pd.DataFrame([row for run in runs for row in run["result"]["timing"]])}
