"""What one variant's job of this lab costs, estimated before any job runs (see
backprop_lab.budget). Read only when the config is checked: no job runs this code, so a
change of the estimate reruns nothing."""

from __future__ import annotations

from typing import Any

from backprop_lab.budget import Cost, n_params


# The lab's aggregate and figures jobs, after its last training job (the default config on
# this kind of machine: 5.9 s tables, 13.6 s figures); the pipeline's priorities start the
# training of a lab with a long tail earlier (common.smk: train_priority)
TABLES_AND_FIGURES_SECONDS = 19.5


def cost(settings: dict[str, Any]) -> Cost:
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
