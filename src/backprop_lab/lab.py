"""What every lab provides: the small protocol the pipeline loops over.

A lab is one package under ``backprop_lab/labs/<name>/`` holding everything of that lab:

- ``__init__.py``: ``LAB = Lab(...)``: names, tables, figures, how variants are completed.
  Snakemake itself loads it, so it stays light (no numpy).
- ``schema.yaml``: the config schema of the lab's section (config validation).
- ``run.py``: ``run(settings) -> result``, one variant with all its seeds (the train job).
- ``tables.py``: ``build(runs, section) -> {table name: DataFrame}`` (the lab's aggregate
  job; a lab that ``borrows`` other labs' results gets them as ``borrowed=``).
- ``figures.py``: ``draw(tables, outdir) -> [paths]`` (the lab's figures job).
- ``findings.py``: ``context(tables, section, config, labels) -> dict``, its claims
  included (the report job).
- ``section.md.j2``: the lab's report section, wording and layout only (the report job).
- ``captions/<kind>.rst``: the captions of its figures in ``snakemake --report``.

The config key of the lab's section, the first part of its run ids and the prefix of its
tables and figures are all the lab's ``name``.
"""

from __future__ import annotations

import importlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Settings = dict[str, Any]
SAFE_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
# the columns that name a row of a lab's ledger table (see backprop_lab.ledger)
LEDGER_KEYS = ("block", "quantity")
# the keys of a variant's settings that name its axis point, not its experiment: points
# whose settings are equal without them share one experiment (one job, one run file)
POINT_KEYS = ("axis", "variant", "changed")


class ConfigError(ValueError):
    """A configuration value that cannot be run, with the key path that holds it."""


@dataclass(frozen=True)
class Figure:
    """One PNG a lab draws: its file name (without .png), the caption it uses in
    Snakemake's report (``captions/<kind>.rst``) and the axis it shows ("-" for none)."""

    name: str
    kind: str
    axis: str = "-"


@dataclass(frozen=True)
class Lab:
    name: str
    title: str
    # summary tables (reports/tables/, the committed reference): name -> required columns
    tables: dict[str, tuple[str, ...]]
    # the columns that name a row of each summary table (the reproduction check matches by them)
    table_keys: dict[str, tuple[str, ...]]
    # tables too large for the reference (results/tables/): name -> required columns
    large_tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # summary tables of wall times: never compared, never byte-identical
    timing_tables: frozenset[str] = frozenset()
    # round-off measures (table -> columns): another machine is held to their order of
    # magnitude, not their value (backprop_lab.reference)
    roundoff: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # keys of the lab section copied into every variant (not "changed from the baseline")
    wide: tuple[str, ...] = ()
    # more keys that never count as "changed" (for example a task with its own baseline)
    unchanged: tuple[str, ...] = ()
    # complete(settings, axis, variant, section, config): what a variant needs besides
    complete: Callable[[Settings, str, str, dict[str, Any], dict[str, Any]], None] | None = None
    # variants(section, config) -> {"axis/variant": settings}; default: baseline × axes
    variants: Callable[[dict[str, Any], dict[str, Any]], dict[str, Settings]] | None = None
    # check(settings, key): rules across keys that a schema cannot state (raise ConfigError)
    check: Callable[[Settings, str], None] | None = None
    # check_section(section, runs): rules across the lab's variants (raise ConfigError)
    check_section: Callable[[dict[str, Any], dict[str, Settings]], None] | None = None
    # figures(section) -> the figures the lab draws for this config
    figures: Callable[[dict[str, Any]], list[Figure]] = lambda section: []
    # result keys a run file of this lab must hold
    result_keys: tuple[str, ...] = ()
    # how its result stacks the seeds' results when each seed trains in a job of its own
    # (backprop_lab.stacking; path -> AXIS, ROWS, FIRST, SUM); empty: seeds always train
    # stacked in one job
    replicas: dict[str, Any] = field(default_factory=dict)
    # borrows(runs) -> run ids of other labs' experiments whose results this lab's tables
    # use too (its aggregate reads their run files; ``tables.build`` gets them as
    # ``borrowed``), so that a result two labs show is computed once; None: none
    borrows: Callable[[dict[str, Settings]], list[str]] | None = None
    # does a job of these settings import torch (pins its threads)?
    uses_torch: Callable[[Settings], bool] = lambda settings: settings.get("engine") == "torch"

    @property
    def package(self) -> str:
        return f"backprop_lab.labs.{self.name}"

    @property
    def folder(self) -> Path:
        return Path(__file__).parent / "labs" / self.name

    @property
    def run_times_table(self) -> str:
        return f"{self.name}_run_times"

    def cost(self, settings: Settings) -> Any:
        """What one variant's job costs (a backprop_lab.budget.Cost), from the lab's
        ``cost.py``; None for a lab without one. Kept out of the lab's ``__init__.py``,
        which every stage imports: the estimate is no input of any job, so changing it
        reruns nothing."""
        try:
            module = importlib.import_module(f"{self.package}.cost")
        except ModuleNotFoundError as err:
            if err.name != f"{self.package}.cost":
                raise
            return None
        return module.cost(settings)

    def tail_seconds(self) -> float:
        """Estimated seconds of the lab's aggregate and figures jobs, which start after its
        last training job (its ``cost.py``'s ``TABLES_AND_FIGURES_SECONDS``, 0 without):
        the pipeline starts the training of a lab with a long tail earlier."""
        try:
            module = importlib.import_module(f"{self.package}.cost")
        except ModuleNotFoundError as err:
            if err.name != f"{self.package}.cost":
                raise
            return 0.0
        return float(getattr(module, "TABLES_AND_FIGURES_SECONDS", 0.0))

    def summary_tables(self) -> dict[str, tuple[str, ...]]:
        """Every table of reports/tables/ this lab writes (its run times included)."""
        return {
            **self.tables,
            self.run_times_table: ("run_id", "engine", "seconds", "seconds_per_step"),
        }

    def keys_of(self, table: str) -> tuple[str, ...]:
        return ("run_id",) if table == self.run_times_table else self.table_keys[table]

    def wall_time_tables(self) -> frozenset[str]:
        return self.timing_tables | {self.run_times_table}

    def expand(self, config: dict[str, Any]) -> dict[str, Settings]:
        """Every variant of this lab, keyed by run id ``lab/axis/variant``."""
        section = config[self.name]
        if self.variants is not None:
            points = self.variants(section, config)
        else:
            points = self._axes(section, config)
        runs = {}
        for point, settings in points.items():
            axis, variant = point.split("/")
            settings.update(lab=self.name, axis=axis, variant=variant)
            runs[f"{self.name}/{point}"] = dict(sorted(settings.items()))
        return runs

    def _axes(self, section: dict[str, Any], config: dict[str, Any]) -> dict[str, Settings]:
        base = section["baseline"]
        ignore = set(self.wide) | set(self.unchanged) | {"seeds"}
        points = {}
        for axis, spec in section["axes"].items():
            for variant, overrides in axis_points(spec).items():
                settings = {**base, **overrides}
                settings.pop("label", None)  # wording only: it must not rerun training
                settings.update({k: section[k] for k in self.wide})
                if self.complete is not None:
                    self.complete(settings, axis, variant, section, config)
                changed = (k for k in settings if k not in ignore and settings[k] != base.get(k))
                settings["changed"] = sorted(changed)
                points[f"{axis}/{variant}"] = settings
        return points

    def labels(self, config: dict[str, Any]) -> dict[str, str]:
        """The label each variant shows in the report (its name unless the config gives one)."""
        labels = {}
        for axis, spec in config[self.name].get("axes", {}).items():
            for variant, overrides in axis_points(spec).items():
                labels[f"{self.name}/{axis}/{variant}"] = str(overrides.get("label", variant))
        return labels


def axis_points(axis: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """An axis as {variant name: overrides}: as written, or the product of its grid."""
    if "grid" not in axis:
        return axis
    keys = list(axis["grid"])
    points = {}
    for values in itertools.product(*(axis["grid"][k] for k in keys)):
        name = "_".join(f"{k}-{_value_name(v)}" for k, v in zip(keys, values))
        points[name] = dict(zip(keys, values))
    return points


def _value_name(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", str(value))


def seeds_of(config: dict[str, Any]) -> list[int]:
    return list(config["seeds"])


def experiment_of(settings: Settings) -> Settings:
    """What a variant's job trains: its settings without the keys that name its point."""
    return {k: v for k, v in settings.items() if k not in POINT_KEYS}


def settings_digest(settings: dict[str, Any]) -> str:
    """A short stable digest of a variant's settings (for provenance)."""
    import hashlib  # here: a training job that never asks does not load OpenSSL

    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
