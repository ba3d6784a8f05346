"""What every lab's figures share: matplotlib set up for files, saving with fixed metadata,
a note in place of an empty plot, and curves with the spread over seeds."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# Fixed PNG metadata: the same tables give byte-identical figures.
PNG_METADATA = {"Software": None}
# Learning curves are drawn up to this loss; above it a run is diverging.
CURVE_CEILING = 1e8


def save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return path


def note(ax: plt.Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_axis_off()


def baseline_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of runs whose settings equal their baseline (nothing changed)."""
    return summary[summary["changed"].fillna("") == ""]


def baseline_run(summary: pd.DataFrame) -> str:
    """The run whose settings equal the baseline (the first such), else the first run."""
    plain = baseline_rows(summary)
    return (plain if len(plain) else summary)["run_id"].iloc[0]


def band(ax: plt.Axes, curves: pd.DataFrame, label: str, **style: object) -> None:
    """Median over seeds as a line, min..max as a band; a stopped seed keeps its last loss."""
    table = curves.pivot_table(index="epoch", columns="seed", values="loss", dropna=False)
    table = table.sort_index().ffill()
    values = table.to_numpy(dtype=float)
    if values.shape[1] > 1:
        label += f" ({values.shape[1]} seeds)"
        ax.fill_between(
            table.index,
            np.nanmin(values, axis=1),
            np.nanmax(values, axis=1),
            alpha=0.18,
            color=style.get("color"),
        )
    ax.plot(table.index, np.nanmedian(values, axis=1), label=label, **style)
