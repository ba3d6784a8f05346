"""One variant of the 2-2-2 lab: one sample through the network, plain gradient descent."""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_lab.core.engines import make_engine
from backprop_lab.core.network import NetSpec, flatten_params, init_params, param_names
from backprop_lab.core.training import train_gd
from backprop_lab.labs.hand_222 import WIDTHS


def network_spec(settings: dict[str, Any]) -> NetSpec:
    return NetSpec(
        widths=WIDTHS,
        activations=(settings["hidden_activation"], settings["output_activation"]),
        bias=False,
        loss=settings["loss"],
    )


def init_spec(settings: dict[str, Any]) -> dict[str, Any]:
    kind = settings["init"]
    if kind == "specified":
        return {"kind": kind, "values": settings["weights"]}
    if kind == "normal":
        return {"kind": kind, "std": settings["init_std"]}
    if kind == "uniform":
        return {"kind": kind, "low": -settings["init_std"], "high": settings["init_std"]}
    return {"kind": kind}


def run(settings: dict[str, Any]) -> dict[str, Any]:
    """Train one variant (all its seeds stacked as replicas) and return plain data."""
    spec = network_spec(settings)
    seeds = settings["seeds"] or [0]
    params = init_params(spec, init_spec(settings), seeds)
    engine = make_engine(
        settings["engine"], spec, params, sigmoid_impl=settings.get("sigmoid_impl", "builtin")
    )
    n = len(seeds)
    x = np.broadcast_to(np.asarray(settings["x"], dtype=float), (n, 1, 2)).copy()
    y = np.broadcast_to(np.asarray(settings["y"], dtype=float), (n, 1, 2)).copy()
    result = train_gd(engine, x, y, settings["step"], settings["rounds"], settings["checkpoints"])
    result["weights_initial"] = flatten_params(params).tolist()
    result["param_names"] = param_names(spec)
    result["seeds"] = settings["seeds"]
    return result
