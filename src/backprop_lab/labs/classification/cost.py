"""What one variant's job of this lab costs, estimated before any job runs (see
backprop_lab.budget). Read only when the config is checked: no job runs this code, so a
change of the estimate reruns nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

from backprop_lab.budget import Cost, n_params


# The lab's aggregate and figures jobs, after its last training job (the default config on
# this kind of machine: 6.6 s tables, 15.4 s figures); the pipeline's priorities start the
# training of a lab with a long tail earlier (common.smk: train_priority)
TABLES_AND_FIGURES_SECONDS = 22


# CPU per sample of an update rule other than plain SGD against the fused per-sample SGD
# epoch (measured on this kind of machine, xor, 2-256-64-1, 5 seeds: SGD 4.7 s, momentum
# 20 s, Adam 42 s for 1000 epochs): the general loop and the rule's state cost this many times
RULE_FACTOR = {"sgd": 1.0, "momentum": 4.3, "nesterov": 4.5, "adam": 9.0}


def cost(settings: dict[str, Any]) -> Cost:
    """At most max_epochs epochs over the training points (per sample or in batches), all
    seeds stacked; the run file holds each seed's loss per epoch and its output at every
    point and grid point."""
    replicas = len(settings["seeds"])
    linear = settings["task"] == "linear"
    points = settings["n_points"] if linear else 2 * settings["xor_points"] - 1
    train = points - round(points * settings["test_fraction"])
    outputs = points * 4 + settings["grid_points"] ** 2
    job = Cost.of(
        settings["engine"],
        steps=settings["max_epochs"] * train,
        replicas=replicas,
        params=n_params((2, *settings["hidden"], 1), bias=True),
        array_values=replicas * (settings["max_epochs"] + outputs),
        file_values=replicas * (settings["max_epochs"] + outputs),
        keys=(
            f"max_epochs {settings['max_epochs']}",
            f"{train} training points",
            f"hidden {settings['hidden']}",
            f"seeds {replicas}",
        ),
    )
    factor = RULE_FACTOR.get(settings.get("update_rule", "sgd"), max(RULE_FACTOR.values()))
    return dataclasses.replace(job, cpu_seconds=job.cpu_seconds * factor)
