"""What TensorFlow Playground and micrograd let students try, every variant over seeds:
Playground's data sets (circle, XOR, two Gaussians, spiral) and micrograd's moons, with
noise and a train/test split; the input features; hidden layers and units; activation;
learning rate and batch size of mini-batch SGD; L1/L2 regularisation; squared error,
cross-entropy and hinge loss; random or zero initialisation; both engines.
"""

from __future__ import annotations

from typing import Any

from backprop_lab.lab import Figure, Lab

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
    return [*figures, Figure("playground_network", "network")]


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
        ),
    },
    table_keys={"playground_summary": ("run_id", "seed_key")},
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
)
