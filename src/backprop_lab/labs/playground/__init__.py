"""What TensorFlow Playground and micrograd let students try, every variant over seeds:
Playground's data sets (circle, XOR, two Gaussians, spiral) and micrograd's moons, with
noise and a train/test split; the input features; hidden layers and units; activation;
learning rate and batch size of mini-batch SGD; L1/L2 regularisation; squared error,
cross-entropy and hinge loss; random or zero initialisation; both engines; update rules
and step schedules. micrograd's demo runs as it ran, and its 201 printed numbers are the
lab's ledger (ledger.yaml, ledger.py).
"""

from __future__ import annotations

from typing import Any

from backprop_lab.lab import LEDGER_KEYS, Figure, Lab
from backprop_lab.stacking import AXIS, FIRST

# keys of the lab's section that every variant takes as they are
WIDE = ("grid_points", "neuron_grid_points")


def _complete(
    settings: dict[str, Any], axis: str, variant: str, section: dict[str, Any], config: dict
) -> None:
    """A variant may set its own ``n_points`` and ``test_fraction`` (default: the
    section's) and its own ``seeds`` (default: the config's; micrograd's demo ran with
    1337)."""
    settings.setdefault("test_fraction", section["test_fraction"])
    settings.setdefault("n_points", section["n_points"])
    settings["seeds"] = list(settings.get("seeds") or config["seeds"])


def _figures(section: dict[str, Any]) -> list[Figure]:
    figures = []
    for axis in section["axes"]:
        figures.append(Figure(f"playground_boundary_{axis}", "boundary", axis))
        figures.append(Figure(f"playground_curves_{axis}", "curves", axis))
    figures.append(Figure("playground_neurons", "neurons"))
    figures.append(Figure("playground_network", "network"))
    return [*figures, Figure("playground_micrograd_demo", "micrograd_demo")]


LAB = Lab(
    name="playground",
    title="Playground and micrograd, with seeds",
    tables={
        "playground_summary": (
            "run_id",
            "axis",
            "variant",
            "changed",
            "dataset",
            "features",
            "hidden",
            "loss_function",
            "seed",
            "train_accuracy",
            "test_accuracy",
            "train_loss",
            "test_data_loss",
            "epochs_to_target",
            "weight_l2_norm",
            "diverged_epoch",
            "identical_hidden_units",
            "update_rule",
            "schedule",
            "penalty_on",
            "order",
        ),
        "playground_ledger": LEDGER_KEYS + ("printed", "verdict"),
        # micrograd's demo step by step: its printed values beside the run's (seed 1337)
        "playground_micrograd_steps": (
            "run_id",
            "seed",
            "step",
            "printed_loss",
            "loss",
            "relative_difference",
            "printed_accuracy",
            "accuracy",
        ),
    },
    table_keys={
        "playground_summary": ("run_id", "seed_key"),
        "playground_ledger": LEDGER_KEYS,
        # one seed per run (micrograd's): a row is named by its run and step
        "playground_micrograd_steps": ("run_id", "step"),
    },
    # how far our float64 loss lies from micrograd's printed one: round-off
    roundoff={"playground_micrograd_steps": ("relative_difference",)},
    large_tables={
        "playground_curves": ("run_id", "seed", "epoch", "train_loss", "test_data_loss"),
        "playground_grid": ("run_id", "x1", "x2", "share_class_1"),
        "playground_points": ("run_id", "point", "x1", "x2", "label", "part"),
        "playground_neurons": ("run_id", "layer", "unit", "x1", "x2", "value"),
        "playground_weights": ("run_id", "seed", "layer", "source", "target", "weight"),
    },
    wide=WIDE,
    # a variant's own split is named by its axis, not listed as "changed"
    unchanged=("n_points", "test_fraction"),
    complete=_complete,
    figures=_figures,
    result_keys=("train_loss", "test_data_loss", "train_accuracy", "grid", "neurons", "points"),
    # one entry per seed (backprop_lab.stacking); the neuron maps are the first seed's
    replicas={
        **dict.fromkeys(("train_loss", "train_data_loss", "test_data_loss"), AXIS),
        **dict.fromkeys(("train_accuracy", "test_accuracy", "diverged_epoch", "seeds"), AXIS),
        **dict.fromkeys(("weights", "biases", "grid.outputs"), AXIS),
        **{f"initial.{k}": AXIS for k in ("train_loss", "train_accuracy", "test_accuracy")},
        "neurons": FIRST,
    },
)
