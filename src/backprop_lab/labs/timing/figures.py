"""The timing lab's figure: time per training step of both engines on each network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backprop_lab.plotting import save, plt


def draw(tables: dict[str, pd.DataFrame], outdir: Path) -> list[Path]:
    return [save(timing_bars(tables["timing"]), outdir / "timing.png")]


def timing_bars(timing: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7.5, 4.0), layout="constrained")
    networks = list(dict.fromkeys(timing["network"]))
    for i, engine in enumerate(dict.fromkeys(timing["engine"])):
        rows = timing[timing["engine"] == engine].set_index("network").reindex(networks)
        x = np.arange(len(networks)) + (i - 0.5) * 0.38
        us = rows["median_seconds_per_step"].to_numpy(dtype=float) * 1e6
        ax.bar(x, us, width=0.38, label=engine)
        for xi, v in zip(x, us):
            ax.text(xi, v, f"{v:.0f} µs", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(range(len(networks)), networks)
    ax.set_ylabel("median time per training step (µs)")
    ax.set_title("Time per per-sample SGD step, numpy vs PyTorch (one process, interleaved)")
    ax.legend()
    ax.grid(True, axis="y", alpha=0.3)
    return fig
