"""What TensorFlow Playground and micrograd let students try, every variant over seeds:
Playground's data sets (circle, XOR, two Gaussians, spiral) and micrograd's moons, with
noise and a train/test split; the input features; hidden layers and units; activation;
learning rate and batch size of mini-batch SGD; L1/L2 regularisation; squared error,
cross-entropy and hinge loss; random or zero initialisation; both engines.
"""

from __future__ import annotations

from typing import Any

from backprop_lab.budget import Cost, n_params
from backprop_lab.lab import Figure, Lab

# keys of the lab's section that every variant takes as they are
WIDE = ("n_points", "test_fraction", "grid_points", "neuron_grid_points")


def _complete(
    settings: dict[str, Any], axis: str, variant: str, section: dict[str, Any], config: dict
) -> None:
    settings["seeds"] = list(config["seeds"])


def _cost(settings: dict[str, Any]) -> Cost:
    """epochs × (steps of one epoch + an evaluation of both sets), all seeds stacked; the run
    file holds five values per epoch and seed, the grid's outputs and the neurons' maps."""
    replicas = len(settings["seeds"])
    n = settings["n_points"]
    train = n - round(n * settings["test_fraction"])
    steps = settings["epochs"] * (-(-train // settings["batch_size"]) + 2)
    widths = (len(settings["features"]), *settings["hidden"], 1)
    units = sum(settings["hidden"])
    grid = settings["grid_points"] ** 2 + units * settings["neuron_grid_points"] ** 2
    values = replicas * (5 * settings["epochs"] + grid + n_params(widths, True)) + 4 * n
    return Cost.of(
        settings["engine"],
        steps=steps,
        replicas=replicas,
        params=n_params(widths, True) * max(1, min(settings["batch_size"], train)),
        array_values=replicas * (5 * settings["epochs"] + grid) + 4 * n,
        file_values=values,
        keys=(
            f"epochs {settings['epochs']}",
            f"{train} training points",
            f"batch_size {settings['batch_size']}",
            f"hidden {settings['hidden']}",
            f"seeds {replicas}",
        ),
    )


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
    complete=_complete,
    figures=_figures,
    result_keys=("train_loss", "test_data_loss", "train_accuracy", "grid", "neurons", "points"),
    cost=_cost,
)
