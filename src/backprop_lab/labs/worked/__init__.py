"""Worked examples: any hand-worked backprop example, one YAML file each.

Each file the config names (``worked.examples``: files, or folders of them) is one example
(format: ``backprop_lab/worked/schema.yaml``, ``docs/worked-examples.md``). It runs as
printed (its ledger: every printed number with its verdict and, where the stated setup does
not give it, the departure that does; its round-1 forward and chain-rule tables) and under
every variant of ``worked.variants``, each its own job, with the run id
``worked/<file's slug>/<variant>``. Example files are read and checked here, while
Snakemake builds its DAG, so a bad file stops the run before any job.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from backprop_lab.lab import ConfigError, Figure, Lab
from backprop_lab.stacking import ROWS
from backprop_lab.worked import AS_PRINTED

# the keys of a variant that need a seed each (drawn initial values)
SEEDED = ("hidden_units",)


@cache
def _read(path: str, mtime: float) -> dict[str, Any]:
    from backprop_lab.worked.example import read

    return read(path)


def examples(section: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], list[str]]]:
    """{slug: (file, checked content, the variants it runs)} of every example file the
    section names."""
    from backprop_lab.worked.example import files_in, shown, slug

    found: dict[str, tuple[str, dict[str, Any], list[str]]] = {}
    for i, entry in enumerate(section["examples"]):
        path_text = entry if isinstance(entry, str) else entry["path"]
        variants = list(section["variants"]) if isinstance(entry, str) else entry["variants"]
        unknown = [v for v in variants if v not in section["variants"]]
        if unknown:
            raise ConfigError(
                f"config key worked.examples.{i}.variants: {unknown} are no variants of "
                f"worked.variants; allowed: {', '.join(section['variants'])}"
            )
        for path in files_in([path_text], Path.cwd(), f"worked.examples.{i}"):
            name = slug(path)
            rel = shown(path)
            if name in found:
                raise ConfigError(
                    f"config key worked.examples: {rel} and {found[name][0]} have the same "
                    f"job name {name!r}; rename one"
                )
            found[name] = (rel, _read(str(path), path.stat().st_mtime), variants)
    return found


def _variants(section: dict[str, Any], config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    points = {}
    for name, (path, data, runs) in examples(section).items():
        points[f"{name}/{AS_PRINTED}"] = {
            "kind": AS_PRINTED,
            "example": data,
            "file": path,
            "changed": [],
            "seeds": None,
            "overrides": {},
        }
        shape = {k: v for k, v in data.items() if k not in ("printed", "search")}
        for variant in runs:
            overrides = {k: v for k, v in section["variants"][variant].items() if k != "label"}
            if overrides.get("hidden_units") and len(data["network"]["layers"]) < 3:
                continue  # no hidden layer to widen
            seeded = overrides.get("init", "stated") in ("normal", "uniform") or any(
                k in overrides for k in SEEDED
            )
            points[f"{name}/{variant}"] = {
                "kind": "variant",
                "example": shape,
                "file": path,
                "overrides": overrides,
                "changed": sorted(overrides),
                "seeds": list(config["seeds"]) if seeded else None,
            }
    return points


def _figures(section: dict[str, Any]) -> list[Figure]:
    out = []
    for name in examples(section):
        out += [
            Figure(f"worked_{name}_graph", "graph"),
            Figure(f"worked_{name}_variants", "variants"),
        ]
    return out


LAB = Lab(
    name="worked",
    title="Worked examples",
    tables={
        "worked_printed": ("example", "entry", "printed", "verdict", "kind", "departure"),
        "worked_marking": ("example", "printed", "reproduced", "departure", "not_reproducible"),
        "worked_forward": ("example", "sample", "unit", "net", "out", "out_autograd"),
        "worked_chain": ("example", "quantity", "formula", "hand", "autograd", "difference"),
        "worked_edges": ("example", "parameter", "from", "to", "initial", "gradient"),
        "worked_rounds": ("example", "after", "quantity", "sample", "value"),
        "worked_variants": (
            "example",
            "variant",
            "seed",
            "loss_function",
            "final_loss",
            "final_stated_loss",
            "diverged_round",
        ),
        "worked_setup": ("example", "key", "value"),
    },
    table_keys={
        "worked_printed": ("example", "entry"),
        "worked_marking": ("example",),
        "worked_forward": ("example", "sample", "unit"),
        "worked_chain": ("example", "quantity"),
        "worked_edges": ("example", "parameter"),
        "worked_rounds": ("example", "after", "quantity", "sample"),
        "worked_variants": ("example", "variant", "seed_key"),
        "worked_setup": ("example", "key"),
    },
    large_tables={
        "worked_curves": ("example", "variant", "seed_key", "round", "loss", "stated_loss")
    },
    # the hand-written backprop against autograd: round-off
    roundoff={"worked_forward": ("difference",), "worked_chain": ("difference",)},
    variants=_variants,
    figures=_figures,
    result_keys=("kind",),
    # a variant's runs, seed by seed (backprop_lab.stacking)
    replicas={"runs": ROWS},
    # as printed: its autograd columns; a variant: on the torch engine
    uses_torch=lambda s: s["kind"] == AS_PRINTED or s["overrides"].get("engine") == "torch",
)
