"""Check the configuration and turn it into experiment variants: one job each.

Loaded by the Snakemake process itself. The schema is composed here: the top level
(`workflow/schemas/config.schema.yaml`) plus each registered lab's `schema.yaml`, with the
activation, loss and engine names taken from the core's registries.
A variant's *settings* are everything its job depends on; they reach the job in a file
named by their content (``workflow/rules/common.smk``), so changing one value reruns
exactly the jobs it reaches.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import yaml

from backprop_lab import budget, labs
from backprop_lab.core.functions import PROBABILITY_LOSSES
from backprop_lab.lab import SAFE_NAME, ConfigError, experiment_of, settings_digest

__all__ = [
    "ConfigError",
    "type_overrides",
    "compose_schema",
    "expand_variants",
    "load_yaml",
    "settings_digest",
    "validate_config",
]


def load_yaml(text: str) -> Any:
    """YAML (safe) with libyaml's parser when it is there: Snakemake's start parses the
    schemas and every worked-example file, and the pure-Python parser takes several times
    as long."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def compose_schema(schema_path: str | Path) -> dict[str, Any]:
    """The whole schema: the top level, one section per registered lab, and the names of
    the core's registries (so that adding an activation is one registry entry)."""
    from backprop_lab.core.engines import ENGINES
    from backprop_lab.core.functions import ACTIVATIONS, LOSSES
    from backprop_lab.core.optim import SCHEDULES, UPDATE_RULES

    schema = load_yaml(Path(schema_path).read_text())
    defs = schema["$defs"]
    defs["activation"] = {"enum": list(ACTIVATIONS)}
    defs["loss"] = {"enum": list(LOSSES)}
    defs["engine"] = {"enum": list(ENGINES)}
    defs["update_rule"] = {"enum": list(UPDATE_RULES)}
    defs["schedule"] = {"enum": list(SCHEDULES)}
    for lab in labs.labs().values():
        fragment = load_yaml((lab.folder / "schema.yaml").read_text())
        schema["properties"][lab.name] = _lab_section(lab.name, fragment, defs)
    return schema


def _lab_section(name: str, fragment: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A lab's section: its own keys, and (for a lab with variants) `baseline` and `axes`
    whose points obey the lab's `settings` schema; a grid may name any of those keys."""
    section = {
        "type": "object",
        "additionalProperties": False,
        "required": list(fragment.get("required", [])),
        "properties": copy.deepcopy(fragment.get("properties", {})),
    }
    settings = fragment.get("settings")
    if settings is None:
        return section
    ref = f"{name}_settings"
    defs[ref] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "label": {
                "description": "the variant's name in the report (wording only: reruns nothing)",
                "type": "string",
                "maxLength": 200,
            },
            **settings,
        },
    }
    baseline = [{"$ref": f"#/$defs/{ref}"}, {"required": list(fragment["baseline_required"])}]
    baseline += fragment.get("baseline_rules", [])
    grid = copy.deepcopy(defs["grid"])
    grid["properties"]["grid"]["propertyNames"] = {"enum": list(settings)}
    section["required"] += ["baseline", "axes"]
    section["properties"]["baseline"] = {"allOf": baseline}
    section["properties"]["axes"] = {
        "allOf": [
            {"$ref": "#/$defs/variants"},
            {
                "additionalProperties": {
                    "oneOf": [
                        grid,
                        {
                            "type": "object",
                            "minProperties": 1,
                            "not": {"required": ["grid"]},
                            "propertyNames": {"$ref": "#/$defs/name"},
                            "additionalProperties": {"$ref": f"#/$defs/{ref}"},
                        },
                    ]
                }
            },
        ]
    }
    return section


def type_overrides(config: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Give `--config` overrides their YAML types, in place.

    Snakemake parses a nested `--config` value (`hand_222={baseline: {step: 2.0}}`) with
    YAML's base loader, which keeps every scalar as text, and merges it into the config; a
    top-level one (`seed_jobs=true`) it keeps as text unless it is a number.
    Each text leaf that came from an override is read again as YAML (2.0, 1e-3, true, 7),
    so that an override means what the same text means in the config file.
    """

    def walk(target: Any, given: Any) -> Any:
        if isinstance(given, dict) and isinstance(target, dict):
            for key, value in given.items():
                if key in target:
                    target[key] = walk(target[key], value)
            return target
        if isinstance(given, list) and isinstance(target, list) and len(given) == len(target):
            return [walk(t, g) for t, g in zip(target, given)]
        if isinstance(given, str) and isinstance(target, str):
            return _scalar(target)
        return target

    for key, value in overrides.items():
        if key in config:  # nested or top-level (`seed_jobs=true`)
            config[key] = walk(config[key], value)


def _scalar(text: str) -> Any:
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(text)  # YAML 1.1 reads 1e-3 as text; the config means a number
        except ValueError:
            return text
    return value if isinstance(value, (int, float, bool)) or value is None else text


def validate_config(config: dict[str, Any], schema_path: str | Path) -> budget.Estimate:
    """Check the config against the JSON schema, the rules a schema cannot say and the
    budget; return the estimated size of its work.

    Raises ConfigError naming the key path, the bad value and what is allowed.
    """
    import jsonschema

    _check_finite(config, ())
    schema = compose_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=_error_depth, reverse=True)
    if errors:
        raise ConfigError(_describe(_deepest(errors[0]), schema))
    _check_grid_values(config, schema)
    runs = expand_variants(config)
    for run_id, settings in runs.items():
        _check_settings(run_id, settings)
    for lab in labs.configured(config):
        if lab.check_section is not None:
            lab_runs = {r: s for r, s in runs.items() if s["lab"] == lab.name}
            lab.check_section(config[lab.name], lab_runs)
    found = estimate_work(experiments(runs)[0])
    budget.check(found, config)
    return found


def estimate_work(runs: dict[str, dict[str, Any]]) -> budget.Estimate:
    """The estimated cost of every job of these runs (see backprop_lab.budget)."""

    def cost_of(run_id: str, settings: dict[str, Any]) -> budget.Cost:
        found = labs.get(settings["lab"]).cost(settings)
        return budget.Cost.of("numpy", 0, 1, 0, 0, 0) if found is None else found

    return budget.estimate(runs, cost_of)


def _check_finite(value: Any, path: tuple[Any, ...]) -> None:
    """Every number in the config is finite: YAML's .nan and .inf pass a schema's bounds."""
    if isinstance(value, float) and not math.isfinite(value):
        key = ".".join(str(p) for p in path) or "(top level)"
        raise ConfigError(f"config key {key}: {value} is not allowed; allowed: a finite number")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, (*path, i))


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

    for name, section in config.items():
        settings_schema = schema.get("$defs", {}).get(f"{name}_settings")
        if not settings_schema or not isinstance(section, dict):
            continue
        validator = jsonschema.Draft202012Validator({**settings_schema, "$defs": schema["$defs"]})
        for axis, points in section.get("axes", {}).items():
            for key, values in points.get("grid", {}).items():
                for i, value in enumerate(values):
                    for error in validator.iter_errors({key: value}):
                        raise ConfigError(
                            _describe(_deepest(error), schema, (name, "axes", axis, "grid", key, i))
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
    """All variants of all configured labs, keyed by run id ``lab/axis/variant``.

    Settings come with sorted keys: reordering keys in the config file must not look like
    a change of settings to Snakemake (its params trigger compares them as text).
    """
    runs: dict[str, dict[str, Any]] = {}
    for lab in labs.configured(config):
        runs.update(lab.expand(config))
    return runs


def experiments(
    runs: dict[str, dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The distinct experiments among the variants: ({owner: experiment settings},
    {run id: its owner}). Variants whose settings are equal but for the keys that name
    their point (lab.POINT_KEYS) share one experiment, owned by the first of them in the
    config's order: one job, whose run file is named by the owner's run id."""
    owners: dict[str, str] = {}  # experiment digest -> owner
    distinct: dict[str, dict[str, Any]] = {}
    owner_of: dict[str, str] = {}
    for run_id, settings in runs.items():
        experiment = experiment_of(settings)
        owner = owners.setdefault(settings_digest(experiment), run_id)
        if owner == run_id:
            distinct[run_id] = experiment
        owner_of[run_id] = owner
    return distinct, owner_of


def _check_settings(run_id: str, settings: dict[str, Any]) -> None:
    """Rules that depend on more than one key, which the schema cannot express."""
    key = f"{settings['lab']}.axes.{settings['axis']}.{settings['variant']}"
    if not re.fullmatch(SAFE_NAME, settings["variant"]):
        raise ConfigError(
            f"config key {key}: the grid makes the variant name {settings['variant']!r}, "
            "which is not a safe file name; use plainer grid values"
        )
    check_network_settings(settings, key)
    lab = labs.get(settings["lab"])
    if lab.check is not None:
        lab.check(settings, key)


def check_network_settings(settings: dict[str, Any], key: str) -> None:
    """Rules of the core's activations, losses and engines, for any lab's settings."""
    loss = settings.get("loss")
    if loss in PROBABILITY_LOSSES and settings.get("output_activation") not in ("sigmoid",):
        raise ConfigError(
            f"config key {key}.loss: {loss!r} needs outputs in (0, 1), so "
            f"output_activation must be 'sigmoid', not {settings.get('output_activation')!r}"
        )
    if settings.get("sigmoid_impl") == "hand" and settings.get("engine") != "torch":
        raise ConfigError(
            f"config key {key}.sigmoid_impl: 'hand' selects the hand-written sigmoid "
            "of the torch engine; set engine: torch (the numpy engine is always hand-written)"
        )
    if settings.get("loss") in ("softmax_ce", "ce_soft_raw") and settings.get("outputs", 2) < 2:
        raise ConfigError(
            f"config key {key}.loss: {settings['loss']!r} is a softmax over the outputs; "
            "with one output its gradient is always 0: set outputs: 2"
        )


def variant_labels(config: dict[str, Any]) -> dict[str, str]:
    """The label each variant shows in the report (its name unless the config gives one)."""
    found: dict[str, str] = {}
    for lab in labs.configured(config):
        found.update(lab.labels(config))
    return found


def report_params(config: dict[str, Any]) -> dict[str, Any]:
    """What the report job reads from the config: title, labels, the labs it reports, and
    the config for provenance."""
    return {
        "title": config["report"]["title"],
        "labs": [lab.name for lab in labs.configured(config)],
        "labels": variant_labels(config),
        "config": config,
        "config_digest": settings_digest(config),
    }
