"""A worked-example file: read, checked and turned into a named computational graph.

A worked example is one YAML file (format: ``schema.yaml`` beside this module, explained key
by key in ``docs/worked-examples.md``): a small fully connected network in its author's
names (layers of units, each weight on its edge, biases none / per unit / shared), its
samples, how it trains and every number its author printed.

``load(path)`` checks the file against the schema and then the rules a schema cannot state
(every edge between consecutive layers exactly once, names that exist, data widths, printed
texts that are numbers and name something on the graph) and raises
:class:`backprop_lab.lab.ConfigError` naming the file, the key path and the value. It uses
no numpy (Snakemake's own process reads example files while it builds the DAG).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from backprop_lab.lab import ConfigError

SCHEMA = Path(__file__).with_name("schema.yaml")
TRAINING_DEFAULTS = {"batch": "per_sample", "dtype": "float64", "order": "simultaneous"}


@dataclass(frozen=True)
class Graph:
    """The network of an example: units per layer, parameters in the file's order.

    ``weights[name] = (from unit, to unit)``; ``biases[name] = units it feeds``;
    ``initial[name]`` the initial value; ``trained[name]`` whether an update changes it;
    ``activations[layer][k]`` the activation of unit k of that layer (layer 0: inputs, "").
    """

    layers: tuple[tuple[str, ...], ...]
    weights: dict[str, tuple[str, str]]
    biases: dict[str, tuple[str, ...]]
    initial: dict[str, float]
    trained: dict[str, bool]
    activations: tuple[tuple[str, ...], ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return (*self.weights, *self.biases)

    def layer_of(self, unit: str) -> int:
        for i, layer in enumerate(self.layers):
            if unit in layer:
                return i
        raise KeyError(unit)

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(u for layer in self.layers for u in layer)

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.layers[-1]


def read(path: str | Path) -> dict[str, Any]:
    """The file's content, checked (ConfigError otherwise), with the training defaults."""
    from backprop_lab.configuration import load_yaml

    path = Path(path)
    try:
        data = load_yaml(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"worked example {path}: cannot be read as YAML: {err}") from None
    check(data, str(path))
    data["training"] = {**TRAINING_DEFAULTS, **data["training"]}
    return data


def check(data: Any, where: str) -> None:
    """Schema, then graph rules; ConfigError with `where`, the key path and the value."""
    import jsonschema

    from backprop_lab.configuration import _deepest, _describe

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: len(e.absolute_path), reverse=True)
    if errors:
        text = _describe(_deepest(errors[0]), _schema()).replace("config key", "key", 1)
        raise ConfigError(f"worked example {where}: {text}")
    graph_of(data, where)
    _check_data(data, where)
    _check_names(data, where)
    _check_printed(data, where)


@cache
def _schema() -> dict[str, Any]:
    from backprop_lab.configuration import load_yaml

    return load_yaml(SCHEMA.read_text())


def _fail(where: str, key: str, message: str) -> ConfigError:
    return ConfigError(f"worked example {where}: key {key}: {message}")


def graph_of(data: dict[str, Any], where: str = "(example)") -> Graph:
    """The example's graph; ConfigError for an unknown unit, an edge listed twice or
    missing, a bias on units of two layers."""
    net = data["network"]
    layers = tuple(tuple(layer) for layer in net["layers"])
    seen: dict[str, str] = {}
    for i, layer in enumerate(layers):
        for j, unit in enumerate(layer):
            if unit in seen:
                raise _fail(where, f"network.layers.{i}.{j}", f"{unit!r} names a second unit")
            seen[unit] = unit
    layer_of = {u: i for i, layer in enumerate(layers) for u in layer}
    weights, edges = {}, {}
    for name, w in net["weights"].items():
        key = f"network.weights.{name}"
        for end in ("from", "to"):
            if w[end] not in layer_of:
                raise _fail(where, f"{key}.{end}", f"{w[end]!r} is no unit of network.layers")
        if layer_of[w["to"]] != layer_of[w["from"]] + 1:
            raise _fail(where, key, f"{w['from']} -> {w['to']} joins no consecutive layers")
        edge = (w["from"], w["to"])
        if edge in edges:
            raise _fail(where, key, f"the edge {w['from']} -> {w['to']} is {edges[edge]}'s too")
        edges[edge] = name
        weights[name] = edge
    for a, b in zip(layers, layers[1:]):
        missing = [f"{u} -> {v}" for u in a for v in b if (u, v) not in edges]
        if missing:
            raise _fail(where, "network.weights", f"no weight on the edge(s) {', '.join(missing)}")
    biases = {}
    for name, b in (net.get("biases") or {}).items():
        key = f"network.biases.{name}"
        if name in weights:
            raise _fail(where, key, f"{name!r} is a weight's name too")
        for unit in b["units"]:
            if layer_of.get(unit, 0) == 0:
                raise _fail(where, f"{key}.units", f"{unit!r} is no hidden or output unit")
        if len({layer_of[u] for u in b["units"]}) > 1:
            raise _fail(where, f"{key}.units", f"{b['units']} lie in more than one layer")
        biases[name] = tuple(b["units"])
    fed = [u for units in biases.values() for u in units]
    twice = sorted({u for u in fed if fed.count(u) > 1})
    if twice:
        raise _fail(where, "network.biases", f"unit(s) {twice} have more than one bias")
    params = {**net["weights"], **(net.get("biases") or {})}
    return Graph(
        layers=layers,
        weights=weights,
        biases=biases,
        initial={k: float(v["value"]) for k, v in params.items()},
        trained={k: bool(v.get("trained", True)) for k, v in params.items()},
        activations=_activations(net, layers, where),
    )


def _activations(net: dict[str, Any], layers: tuple, where: str) -> tuple[tuple[str, ...], ...]:
    from backprop_lab.core.functions import ACTIVATIONS

    given = net.get("activation", "sigmoid")
    per_layer = [given] * (len(layers) - 1) if isinstance(given, str) else list(given)
    if len(per_layer) != len(layers) - 1:
        raise _fail(
            where,
            "network.activation",
            f"{len(per_layer)} activations for {len(layers) - 1} non-input layers",
        )
    overrides = dict(net.get("unit_activations") or {})
    units = {u for layer in layers[1:] for u in layer}
    for unit in overrides:
        if unit not in units:
            raise _fail(where, f"network.unit_activations.{unit}", "no hidden or output unit")
    for key, name in [
        *((f"activation.{i}", a) for i, a in enumerate(per_layer)),
        *((f"unit_activations.{u}", a) for u, a in overrides.items()),
    ]:
        if name not in ACTIVATIONS:
            raise _fail(
                where,
                f"network.{key}",
                f"{name!r} is no activation; allowed: {', '.join(ACTIVATIONS)}",
            )
    out = [("",) * len(layers[0])]
    for layer, act in zip(layers[1:], per_layer):
        out.append(tuple(overrides.get(u, act) for u in layer))
    return tuple(out)


def _check_data(data: dict[str, Any], where: str) -> None:
    from backprop_lab.core.functions import LOSSES

    layers = data["network"]["layers"]
    for i, sample in enumerate(data["data"]):
        for key, layer in (("x", layers[0]), ("y", layers[-1])):
            if len(sample[key]) != len(layer):
                raise _fail(
                    where,
                    f"data.{i}.{key}",
                    f"{sample[key]} has {len(sample[key])} value(s); the "
                    f"{'input' if key == 'x' else 'output'} layer has {len(layer)}",
                )
    loss = data["training"]["loss"]
    if loss not in LOSSES:
        raise _fail(where, "training.loss", f"{loss!r} is no loss; allowed: {', '.join(LOSSES)}")


def _check_names(data: dict[str, Any], where: str) -> None:
    from backprop_lab.worked.departures import DEPARTURES

    for i, name in enumerate(data.get("search") or []):
        if name not in DEPARTURES:
            raise _fail(
                where, f"search.{i}", f"{name!r} is no departure; allowed: {', '.join(DEPARTURES)}"
            )


NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*%?\s*$")


def _check_printed(data: dict[str, Any], where: str) -> None:
    from backprop_lab.worked.quantities import QuantityError, parse

    graph = graph_of(data, where)
    n = len(data["data"])
    for i, entry in enumerate(data["printed"]):
        key = f"printed.{i}"
        if not NUMBER.match(entry["text"]):
            raise _fail(where, f"{key}.text", f"{entry['text']!r} is not a number")
        try:
            parse(entry["of"], graph)
        except QuantityError as err:
            raise _fail(where, f"{key}.of", f"{entry['of']!r}: {err}") from None
        sample = entry.get("sample", 1)
        if sample != "all" and sample > n:
            raise _fail(where, f"{key}.sample", f"{sample} but the data has {n} sample(s)")
        for name in entry.get("parameters") or {}:
            if name not in graph.initial:
                raise _fail(where, f"{key}.parameters.{name}", "no weight or bias of the network")


def slug(path: str | Path) -> str:
    """A file name as a safe job name: letters, digits, '_', '.', '-' (at most 64)."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(path).stem).strip("-.") or "example"
    return text[:64] if text[0].isalnum() else f"x{text}"[:64]


# the pipeline's folder (the Snakefile's): where example paths are found when the working
# directory (`snakemake --directory`) does not hold them
PIPELINE_ROOT = Path(__file__).resolve().parents[3]


def shown(path: Path) -> str:
    """A file's path as the report shows it: relative to the working directory or to the
    pipeline's folder (no path of this machine)."""
    for base in (Path.cwd(), PIPELINE_ROOT):
        if path.resolve().is_relative_to(base.resolve()):
            return path.resolve().relative_to(base.resolve()).as_posix()
    return path.name


def files_in(paths: list[str], root: Path, key: str = "worked.examples") -> list[Path]:
    """The example files a config names: files, or folders of *.yaml (sorted), relative to
    `root` (the working directory), else to the pipeline's folder."""
    found: list[Path] = []
    for entry in paths:
        path = next(
            (b / entry for b in (root, PIPELINE_ROOT) if (b / entry).exists()), root / entry
        )
        if path.is_dir():
            found += sorted(path.glob("*.yaml"))
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigError(f"config key {key}: {entry!r} is no file or folder")
    return found
