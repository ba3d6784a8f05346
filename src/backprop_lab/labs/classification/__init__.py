"""Classification of toy 2-D data (a linear task and the lab's easy XOR) by per-sample SGD,
every variant over the configured seeds."""

from __future__ import annotations

from typing import Any

from backprop_lab.lab import LEDGER_KEYS, ConfigError, Figure, Lab
from backprop_lab.stacking import AXIS


def _complete(
    settings: dict[str, Any], axis: str, variant: str, section: dict[str, Any], config: dict
) -> None:
    """``layers: k`` means the first k widths of ``width_pool``; ``units: n`` one hidden layer
    of n units; both become ``hidden``. Each task has its own baseline, so ``changed`` never
    lists ``task``: the XOR run with lr 0.1 and the linear run with lr 0.1 changed ``lr``."""
    layers, units = settings.pop("layers", None), settings.pop("units", None)
    pool = section["width_pool"]
    if layers is not None:
        if int(layers) > len(pool):
            raise ConfigError(
                f"config key classification.axes.{axis}.{variant}.layers: {layers} layers need "
                f"{layers} widths, but classification.width_pool has {len(pool)}"
            )
        settings["hidden"] = list(pool[: int(layers)])
    if units is not None:
        settings["hidden"] = [int(units)]
    settings.update(grid_points=section["grid_points"], seeds=list(config["seeds"]))


def _check(settings: dict[str, Any], key: str) -> None:
    n = settings["n_points"] if settings["task"] == "linear" else None
    if n is not None and round(n * settings["test_fraction"]) >= n:
        raise ConfigError(
            f"config key {key}.test_fraction: {settings['test_fraction']} leaves no "
            f"training point of the {n}"
        )


def _figures(section: dict[str, Any]) -> list[Figure]:
    figures = [
        Figure("classification_truth_vs_prediction", "truth_vs_prediction"),
        Figure("classification_boundary", "boundary"),
    ]
    for axis in section["axes"]:
        figures.append(Figure(f"classification_sweep_{axis}", "sweep", axis))
        figures.append(Figure(f"classification_curves_{axis}", "curves", axis))
    return figures


LAB = Lab(
    name="classification",
    title="Classification of toy 2-D data",
    tables={
        "classification_summary": (
            "run_id",
            "axis",
            "variant",
            "changed",
            "task",
            "engine",
            "hidden",
            "activation",
            "lr",
            "test_fraction",
            "seed",
            "epochs_run",
            "stop_reason",
            "diverged_epoch",
            "final_loss",
            "train_accuracy",
            "test_accuracy",
        ),
        "classification_ledger": LEDGER_KEYS + ("printed", "verdict"),
    },
    table_keys={
        "classification_summary": ("run_id", "seed_key"),
        "classification_ledger": LEDGER_KEYS,
    },
    large_tables={
        "classification_curves": ("run_id", "seed", "epoch", "loss"),
        "classification_predictions": (
            "run_id",
            "seed",
            "point",
            "x1",
            "x2",
            "label",
            "part",
            "output",
            "predicted",
            "correct",
        ),
        "classification_grid": ("run_id", "seed", "x1", "x2", "output"),
    },
    unchanged=("task", "grid_points"),
    complete=_complete,
    check=_check,
    figures=_figures,
    result_keys=("loss", "loss_epochs", "epochs_run", "stop_reason", "outputs", "points", "grid"),
    # one entry per seed (backprop_lab.stacking): its curves, stop, data, outputs and grid
    replicas={
        **dict.fromkeys(("loss", "loss_epochs", "epochs_run", "stop_reason"), AXIS),
        **dict.fromkeys(("diverged_epoch", "final_loss", "seeds", "points", "outputs"), AXIS),
        "grid.outputs": AXIS,
    },
)
