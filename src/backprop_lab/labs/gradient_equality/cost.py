"""What one variant's job of this lab costs, estimated before any job runs (see
backprop_lab.budget). Read only when the config is checked: no job runs this code, so a
change of the estimate reruns nothing."""

from __future__ import annotations

from typing import Any

from backprop_lab.budget import Cost, n_params


# The lab's aggregate and figures jobs, after its last training job (the default config on
# this kind of machine: 0.7 s tables, 1.8 s figures); the pipeline's priorities start the
# training of a lab with a long tail earlier (common.smk: train_priority)
TABLES_AND_FIGURES_SECONDS = 2.4


def cost(settings: dict[str, Any]) -> Cost:
    """Per-sample SGD for every epoch, all seeds stacked, after the gradient check (about
    fd_order forward passes per parameter in two dtypes); it always imports torch."""
    replicas = len(settings["seeds"])
    params = n_params((2, *settings["hidden"], settings["outputs"]), bias=True)
    steps = settings["epochs"] * settings["n_samples"]
    check = 2 * settings["fd_order"] * params
    sgd = Cost.of(
        settings["engine"],
        steps=steps,
        replicas=replicas,
        params=params,
        array_values=replicas * (settings["epochs"] + 3 * settings["n_samples"]),
        file_values=replicas * (settings["epochs"] + 60 * len(settings["hidden"])),
        keys=(
            f"epochs {settings['epochs']}",
            f"n_samples {settings['n_samples']}",
            f"hidden {settings['hidden']}",
            f"seeds {replicas}",
        ),
    )
    return sgd + Cost.of("torch", check, replicas, params, 0, 0)
