"""Turn the configuration into experiment variants: one job each.

Loaded by the Snakemake process itself, so it imports nothing heavy (no numpy).
A variant's *settings* are everything its job depends on; they reach the job through
Snakemake `params:`, so changing one value reruns exactly the jobs it reaches.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Any

SAFE_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
SUITE_KEYS = ("suite1", "suite2", "suite3")


class ConfigError(ValueError):
    """A configuration value that cannot be run, with the key path that holds it."""


def validate_config(config: dict[str, Any], schema_path: str | Path) -> None:
    """Check the config against the JSON schema and the rules a schema cannot say.

    Raises ConfigError naming the key path, the bad value and what is allowed.
    """
    import jsonschema
    import yaml

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=_error_depth, reverse=True)
    if errors:
        raise ConfigError(_describe(_deepest(errors[0]), schema))
    _check_grid_values(config, schema)
    for run_id, settings in expand_variants(config).items():
        _check_settings(run_id, settings)


def _error_depth(error: Any) -> int:
    return len(error.absolute_path)


def _deepest(error: Any) -> Any:
    # oneOf/anyOf errors hide the useful message in their context
    while error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        # A branch whose marker key is missing (`required`) or forbidden (`not`) right at
        # this level is not the one the user meant: an axis without `grid` is a mapping
        # of variants, so report what is wrong with those, not that `grid` is missing.
        meant = [
            errs
            for errs in branches.values()
            if not any(
                e.validator in ("required", "not")
                and len(e.absolute_path) == len(error.absolute_path)
                for e in errs
            )
        ]
        candidates = [e for errs in (meant or branches.values()) for e in errs]
        error = max(candidates, key=lambda e: (len(e.absolute_path), -len(e.message)))
    return error


def _check_grid_values(config: dict[str, Any], schema: dict[str, Any]) -> None:
    """Each value of a grid list obeys the same rule as that key in a variant."""
    import jsonschema

    for suite, section in config.items():
        settings_schema = schema.get("$defs", {}).get(f"{suite}_settings")
        if not settings_schema or not isinstance(section, dict):
            continue
        validator = jsonschema.Draft202012Validator({**settings_schema, "$defs": schema["$defs"]})
        for axis, points in section.get("axes", {}).items():
            for key, values in points.get("grid", {}).items():
                for i, value in enumerate(values):
                    for error in validator.iter_errors({key: value}):
                        raise ConfigError(
                            _describe(
                                _deepest(error), schema, (suite, "axes", axis, "grid", key, i)
                            )
                        )


def _describe(error: Any, schema: dict[str, Any], at: tuple[Any, ...] | None = None) -> str:
    """One sentence: the key path, the bad value and what is allowed."""
    path = ".".join(str(p) for p in (at if at is not None else error.absolute_path))
    path = path or "(top level)"
    validator, value, bad = error.validator, error.validator_value, error.instance
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"config key {path}: unknown key(s) {', '.join(map(repr, unknown))}{hint}"
    if validator == "enum":
        return (
            f"config key {path}: {error.instance!r} is not allowed; "
            f"allowed values: {', '.join(map(str, error.validator_value))}"
        )
    if validator == "required":
        return f"config key {path}: {error.message}"
    if validator in ("pattern", "propertyNames"):
        return (
            f"config key {path}: {error.instance!r} is not a safe name "
            f"(letters, digits, '_', '.', '-', starting with a letter or digit, at most 64)"
        )
    allowed = _allowed(validator, value, error.schema)
    if allowed:
        return f"config key {path}: {bad!r} is not allowed; allowed: {allowed}"
    return f"config key {path}: {bad!r} is invalid: {error.message}"


_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string (text)",
    "object": "a mapping of keys to values",
    "array": "a list",
    "boolean": "true or false",
}


def _allowed(validator: str, value: Any, schema: dict[str, Any]) -> str:
    """What the schema allows, in words, for the common kinds of rule."""
    about = f" ({schema['description']})" if "description" in schema else ""
    exact = schema.get("minItems") == schema.get("maxItems")
    if validator == "type":
        types = [value] if isinstance(value, str) else value
        return " or ".join(_TYPE_NAMES.get(t, t) for t in types)
    if validator in ("minItems", "maxItems"):
        bound = "at least" if validator == "minItems" else "at most"
        return f"{'exactly' if exact else bound} {value} item(s){about}"
    words = {
        "minimum": "a value of at least {}",
        "exclusiveMinimum": "a value greater than {}",
        "maximum": "a value of at most {}",
        "exclusiveMaximum": "a value less than {}",
        "uniqueItems": "each value at most once",
        "minLength": "a text of at least {} character(s)",
        "maxLength": "a text of at most {} characters",
        "minProperties": "at least {} entry (an empty mapping does nothing)",
    }
    return words[validator].format(value) if validator in words else ""


def expand_variants(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """All variants of all suites, keyed by run id ``suite/axis/variant``.

    Settings come with sorted keys: reordering keys in the config file must not look like
    a change of settings to Snakemake (its params trigger compares them as text).
    """
    runs: dict[str, dict[str, Any]] = {}
    if "suite1" in config:
        runs.update(_suite1_variants(config))
    if "suite2" in config:
        runs.update(_suite2_variants(config))
    if "suite3" in config:
        runs.update(_suite3_variants(config))
    if "timing" in config:
        runs.update(_timing_variants(config))
    return {run_id: dict(sorted(s.items())) for run_id, s in runs.items()}


def _axis_points(axis: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if "grid" not in axis:
        return axis
    keys = list(axis["grid"])
    points = {}
    for values in itertools.product(*(axis["grid"][k] for k in keys)):
        name = "_".join(f"{k}-{_value_name(v)}" for k, v in zip(keys, values))
        points[name] = dict(zip(keys, values))
    return points


def _value_name(value: Any) -> str:
    text = str(value)
    return re.sub(r"[^A-Za-z0-9_.-]", "", text)


def _suite_variants(
    config: dict[str, Any], name: str, complete: Any, ignore: tuple[str, ...] = ()
) -> dict[str, dict[str, Any]]:
    """Every point of every axis of one suite: the baseline, the point's overrides, then
    `complete(settings, axis, variant)` adds what the suite's jobs need besides."""
    suite = config[name]
    base = suite["baseline"]
    runs = {}
    for axis, points in suite["axes"].items():
        for variant, overrides in _axis_points(points).items():
            settings = {**base, **overrides}
            settings.pop("label", None)  # wording only: it must not rerun training
            complete(settings, axis, variant)
            changed = (k for k in settings if k not in ignore and settings[k] != base.get(k))
            settings.update(suite=name, axis=axis, variant=variant, changed=sorted(changed))
            runs[f"{name}/{axis}/{variant}"] = settings
    return runs


def _suite1_variants(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    suite = config["suite1"]

    def complete(settings: dict[str, Any], axis: str, variant: str) -> None:
        random_init = settings["init"] in ("normal", "uniform")
        settings.update(
            x=list(suite["x"]),
            y=list(suite["y"]),
            weights=list(suite["weights"]),
            checkpoints=sorted(set(suite["checkpoints"]) | {1}),
            seeds=list(config["seeds"]) if random_init else None,
        )

    return _suite_variants(config, "suite1", complete, ignore=SUITE1_WIDE)


SUITE1_WIDE = ("x", "y", "weights", "checkpoints", "seeds")
SUITE2_WIDE = (
    "n_samples",
    "data_seed",
    "check_sample",
    "fd_eps",
    "fd_order",
    "noise_floor",
    "threshold",
)


def _suite2_variants(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Suite 2: every variant checks its gradients and trains, over the configured seeds
    (the initialisation is random); the data set and the check's settings are suite-wide."""
    suite = config["suite2"]

    def complete(settings: dict[str, Any], axis: str, variant: str) -> None:
        settings.update(seeds=list(config["seeds"]), **{k: suite[k] for k in SUITE2_WIDE})

    return _suite_variants(config, "suite2", complete, ignore=("seeds", *SUITE2_WIDE))


def _suite3_variants(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Suite 3. A variant may give ``layers: k`` (hidden widths = the first k of
    ``width_pool``) or ``units: n`` (one hidden layer of n units); both become ``hidden``.
    Each task has its own baseline, so ``changed`` never lists ``task``: the XOR run
    with lr 0.1 and the linear run with lr 0.1 both changed ``lr`` only."""
    suite = config["suite3"]

    def complete(settings: dict[str, Any], axis: str, variant: str) -> None:
        layers, units = settings.pop("layers", None), settings.pop("units", None)
        if layers is not None:
            if int(layers) > len(suite["width_pool"]):
                raise ConfigError(
                    f"config key suite3.axes.{axis}.{variant}.layers: {layers} layers need "
                    f"{layers} widths, but suite3.width_pool has {len(suite['width_pool'])}"
                )
            settings["hidden"] = list(suite["width_pool"][: int(layers)])
        if units is not None:
            settings["hidden"] = [int(units)]
        settings.update(
            grid_points=suite["grid_points"],
            seeds=list(config["seeds"]),  # the initialisation is always random
        )

    return _suite_variants(config, "suite3", complete, ignore=("task", "grid_points", "seeds"))


def _timing_variants(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One job times both engines on every configured network, side by side."""
    timing = config["timing"]
    settings = {
        **timing,
        "suite": "timing",
        "axis": "engines",
        "variant": "numpy_vs_torch",
        "changed": [],
        "seeds": None,
    }
    return {"timing/engines/numpy_vs_torch": settings}


def _check_settings(run_id: str, settings: dict[str, Any]) -> None:
    """Rules that depend on more than one key, which the schema cannot express."""
    axis_key = f"{settings['suite']}.axes.{settings['axis']}.{settings['variant']}"
    if not re.fullmatch(SAFE_NAME, settings["variant"]):
        raise ConfigError(
            f"config key {axis_key}: the grid makes the variant name {settings['variant']!r}, "
            "which is not a safe file name; use plainer grid values"
        )
    if settings.get("loss") == "bce" and settings.get("output_activation") not in ("sigmoid",):
        raise ConfigError(
            f"config key {axis_key}.loss: 'bce' needs outputs in (0, 1), so "
            f"output_activation must be 'sigmoid', not {settings.get('output_activation')!r}"
        )
    if settings.get("sigmoid_impl") == "hand" and settings.get("engine") != "torch":
        raise ConfigError(
            f"config key {axis_key}.sigmoid_impl: 'hand' selects the hand-written sigmoid "
            "of the torch engine; set engine: torch (the numpy engine is always hand-written)"
        )
    if settings.get("loss") in ("softmax_ce", "ce_soft_raw") and settings.get("outputs", 2) < 2:
        raise ConfigError(
            f"config key {axis_key}.loss: {settings['loss']!r} is a softmax over the outputs; "
            "with one output its gradient is always 0: set outputs: 2"
        )
    if settings["suite"] == "suite3":
        n = settings["n_points"] if settings["task"] == "linear" else None
        if n is not None and round(n * settings["test_fraction"]) >= n:
            raise ConfigError(
                f"config key {axis_key}.test_fraction: {settings['test_fraction']} leaves no "
                f"training point of the {n}"
            )


def settings_digest(settings: dict[str, Any]) -> str:
    """A short stable digest of a variant's settings (for provenance)."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def variant_labels(config: dict[str, Any]) -> dict[str, str]:
    """The label each variant shows in the report (its name unless the config gives one)."""
    labels = {}
    for suite in SUITE_KEYS:
        for axis, points in config.get(suite, {}).get("axes", {}).items():
            for variant, overrides in _axis_points(points).items():
                labels[f"{suite}/{axis}/{variant}"] = str(overrides.get("label", variant))
    return labels


def figure_names(config: dict[str, Any]) -> list[str]:
    """The figures the figures stage draws (their names only; no matplotlib here)."""
    names = [f"suite1_loss_{axis}" for axis in config["suite1"]["axes"]]
    names += ["suite1_weights", "suite1_step_rounds", "suite1_seeds", "suite1_graph"]
    names += ["suite2_curves", "suite2_gradcheck"]
    names += ["suite3_truth_vs_prediction", "suite3_boundary"]
    for axis in config["suite3"]["axes"]:
        names += [f"suite3_curves_{axis}", f"suite3_sweep_{axis}"]
    names += ["timing"]
    return names


# figure name prefix -> (Snakemake report category, caption/kind); the rest is the axis
_FIGURE_KINDS = (
    ("suite1_loss_", "Suite 1", "loss"),
    ("suite1_weights", "Suite 1", "weights"),
    ("suite1_step_rounds", "Suite 1", "step_rounds"),
    ("suite1_seeds", "Suite 1", "seeds"),
    ("suite1_graph", "Suite 1", "graph"),
    ("suite2_curves", "Suite 2", "suite2_curves"),
    ("suite2_gradcheck", "Suite 2", "gradcheck"),
    ("suite3_truth_vs_prediction", "Suite 3", "truth_vs_prediction"),
    ("suite3_boundary", "Suite 3", "boundary"),
    ("suite3_curves_", "Suite 3", "curves"),
    ("suite3_sweep_", "Suite 3", "sweep"),
    ("timing", "Timing", "timing"),
)


def figure_labels(name: str) -> dict[str, str]:
    """Category, kind (its caption file) and axis of a figure, for Snakemake's report."""
    for prefix, category, kind in _FIGURE_KINDS:
        if name.startswith(prefix):
            axis = name[len(prefix) :] if prefix.endswith("_") else "-"
            return {"category": category, "kind": kind, "axis": axis}
    raise ValueError(f"figure {name!r} has no kind in _FIGURE_KINDS")


def report_params(config: dict[str, Any]) -> dict[str, Any]:
    """What the report job reads from the config: title, labels and the config for provenance."""
    return {
        "title": config["report"]["title"],
        "labels": variant_labels(config),
        "config": config,
        "config_digest": settings_digest(config),
    }
