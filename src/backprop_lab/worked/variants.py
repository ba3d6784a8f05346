"""A worked example changed along one of the mission's axes: still an example (a dict of the
file's format), so that the one Model trains it.

Overrides (a variant of the config's ``worked.variants``): ``activation`` (every hidden and
output unit), ``loss``, ``step_factor``, ``rounds``, ``batch``, ``dtype``, ``order``,
``init`` (``stated``, ``zeros``, ``normal`` or ``uniform`` with ``init_std``, drawn per
seed in the file's parameter order) and ``hidden_units`` (k units added to the last
hidden layer, named ``added1``..; each new weight drawn uniform in [−r, r], r the largest
|initial weight| of the example, per seed; a bias shared by that layer feeds them too, and
where the layer's units have a bias each, a new unit gets one, starting at 0).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

TRAINING_KEYS = ("loss", "batch", "dtype", "order", "rounds")


def changed(example: dict[str, Any], overrides: dict[str, Any], seed: int | None) -> dict[str, Any]:
    """The example with the variant's overrides applied (a new dict)."""
    data = copy.deepcopy(example)
    net, training = data["network"], data["training"]
    if "activation" in overrides:
        net["activation"] = overrides["activation"]
        net.pop("unit_activations", None)
    for key in TRAINING_KEYS:
        if key in overrides:
            training[key] = overrides[key]
    if "step_factor" in overrides:
        training["step"] = float(training["step"]) * float(overrides["step_factor"])
    rng = np.random.default_rng(seed if seed is not None else 0)
    if overrides.get("hidden_units"):
        _add_hidden_units(data, int(overrides["hidden_units"]), rng)
    init = overrides.get("init", "stated")
    if init != "stated":
        _initialise(data, init, float(overrides.get("init_std", 1.0)), rng)
    return data


def _initialise(data: dict[str, Any], init: str, std: float, rng: np.random.Generator) -> None:
    params = [*data["network"]["weights"].values(), *(data["network"].get("biases") or {}).values()]
    draws = {
        "zeros": lambda: np.zeros(len(params)),
        "normal": lambda: rng.normal(0.0, std, len(params)),
        "uniform": lambda: rng.uniform(-std, std, len(params)),
    }[init]()
    for p, value in zip(params, draws):
        p["value"] = float(value)


def _add_hidden_units(data: dict[str, Any], k: int, rng: np.random.Generator) -> None:
    net = data["network"]
    layers = net["layers"]
    if len(layers) < 3:
        raise ValueError("hidden_units: the example has no hidden layer to widen")
    below, hidden, above = layers[-3], layers[-2], layers[-1]
    names = (
        set(u for layer in layers for u in layer)
        | set(net["weights"])
        | set(net.get("biases") or {})
    )
    r = max(abs(float(w["value"])) for w in net["weights"].values()) or 1.0
    added = [_fresh(f"added{i}", names) for i in range(1, k + 1)]
    for unit in added:
        names.add(unit)
        for a in below:
            net["weights"][_fresh(f"w_{a}_{unit}", names)] = {"from": a, "to": unit, "value": 0.0}
        for b in above:
            net["weights"][_fresh(f"w_{unit}_{b}", names)] = {"from": unit, "to": b, "value": 0.0}
    for w in net["weights"].values():
        if w["from"] in added or w["to"] in added:
            w["value"] = float(rng.uniform(-r, r))
    biases = net.get("biases") or {}
    for bias in list(biases.values()):
        if set(bias["units"]) == set(hidden) and len(hidden) > 1:
            bias["units"] = [*bias["units"], *added]
        elif len(bias["units"]) == 1 and bias["units"][0] in hidden:
            for unit in added:
                biases[_fresh(f"b_{unit}", names)] = {
                    "units": [unit],
                    "value": 0.0,
                    "trained": bias.get("trained", True),
                }
            break
    hidden.extend(added)


def _fresh(name: str, taken: set[str]) -> str:
    candidate, i = name, 1
    while candidate in taken:
        i += 1
        candidate = f"{name}_{i}"
    taken.add(candidate)
    return candidate
