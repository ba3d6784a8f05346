"""Time per training step, numpy vs PyTorch, measured side by side in one process.

A step is one per-sample SGD update (forward, backward, update) of one replica. For each
network the engines take turns, repeat by repeat, so that a slower moment of a shared
machine hits both alike; the median over repeats is reported.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from backprop_lab.core.engines import make_engine
from backprop_lab.core.network import NetSpec, init_params

ENGINE_ORDER = ("numpy", "torch")


def network_spec(net: dict[str, Any]) -> NetSpec:
    widths = tuple(int(w) for w in net["widths"])
    n_layers = len(widths) - 1
    return NetSpec(
        widths=widths,
        activations=(net["hidden_activation"],) * (n_layers - 1) + (net["output_activation"],),
        bias=bool(net["bias"]),
        loss=net["loss"],
    )


def run(settings: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for name, net in settings["networks"].items():
        spec = network_spec(net)
        params = init_params(spec, {"kind": "normal", "std": 1.0}, [settings["seed"]])
        rng = np.random.default_rng(settings["seed"])
        n = settings["steps_per_repeat"]
        X = rng.uniform(0.0, 1.0, (1, n, spec.widths[0]))
        Y = rng.uniform(0.0, 1.0, (1, n, spec.widths[-1]))
        engines = {e: make_engine(e, spec, params) for e in ENGINE_ORDER}
        lr = np.array([settings["lr"]])
        for engine in engines.values():  # warm-up: first calls allocate and compile paths
            engine.sgd_epoch(X, Y, lr)
        times: dict[str, list[float]] = {e: [] for e in ENGINE_ORDER}
        for _ in range(settings["repeats"]):
            for e, engine in engines.items():
                start = time.perf_counter()
                engine.sgd_epoch(X, Y, lr)
                times[e].append((time.perf_counter() - start) / n)
        for e in ENGINE_ORDER:
            t = np.array(times[e])
            rows.append(
                {
                    "network": name,
                    "widths": "-".join(str(w) for w in spec.widths),
                    "n_params": spec.n_params,
                    "engine": e,
                    "repeats": len(t),
                    "steps_per_repeat": n,
                    "median_seconds_per_step": float(np.median(t)),
                    "min_seconds_per_step": float(t.min()),
                    "max_seconds_per_step": float(t.max()),
                }
            )
    return {"timing": rows}
