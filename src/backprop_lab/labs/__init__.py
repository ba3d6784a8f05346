"""The registry of labs: every stage of the pipeline loops over it.

A lab is a package beside this file that defines ``LAB`` (a :class:`backprop_lab.lab.Lab`)
in its ``__init__``. Adding a lab is adding its folder and one line here. The order is
the report's order.
"""

from __future__ import annotations

import importlib
from functools import cache

from backprop_lab.lab import Lab

REGISTRY = (
    "hand_222",
    "gradient_equality",
    "classification",
    "playground",
    "worked",
    "timing",
)


def labs() -> dict[str, Lab]:
    """Every registered lab by name (its config key), in report order."""
    return {name: get(name) for name in REGISTRY}


@cache
def get(name: str) -> Lab:
    """One lab; only its own package is imported (a job of one lab loads no other lab)."""
    if name not in REGISTRY:
        raise KeyError(f"no lab named {name!r}; registered: {', '.join(REGISTRY)}")
    lab = importlib.import_module(f"{__name__}.{name}").LAB
    if lab.name != name:
        raise ValueError(f"lab package {name!r} defines a lab named {lab.name!r}")
    return lab


def configured(config: dict) -> list[Lab]:
    """The labs the config runs (a lab left out of the config is not run or reported)."""
    return [lab for name, lab in labs().items() if name in config]
