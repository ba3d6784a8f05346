"""Write config/README.md: every config key, from the composed schema's descriptions.

python tools/config_readme.py          # rewrite config/README.md
python tools/config_readme.py --check  # exit 1 if config/README.md is not current
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from backprop_lab import labs  # noqa: E402
from backprop_lab.configuration import compose_schema  # noqa: E402

TARGET = ROOT / "config" / "README.md"


def describe(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[str, str]:
    """(what values it takes, its description) of one schema property."""
    while "$ref" in prop:
        ref = prop["$ref"].rsplit("/", 1)[-1]
        prop = {**defs[ref], **{k: v for k, v in prop.items() if k != "$ref"}}
    if "allOf" in prop:
        merged: dict[str, Any] = {}
        for part in prop["allOf"]:
            merged.update(part)
        prop = merged
    kind = prop.get("type", "")
    for key in ("oneOf", "anyOf"):  # one of several kinds: each with its own bounds
        if key in prop:
            kind = " or ".join(describe(part, defs)[0] for part in prop[key])
    if "const" in prop:
        kind = f"`{prop['const']}`"
    if "enum" in prop:
        kind = " / ".join(f"`{v}`" for v in prop["enum"])
    bounds = []
    for key, word in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in prop:
            bounds.append(f"{word} {prop[key]}")
    if kind == "array" and "items" in prop:
        inner, _ = describe(prop["items"], defs)
        kind = f"list of {inner}"
    text = ", ".join([kind, *bounds]) if bounds else kind
    return text, str(prop.get("description", "")).replace("\n", " ").strip()


def render() -> str:
    schema = compose_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    defs = schema["$defs"]
    lines = [
        "# The configuration, key by key",
        "",
        "Generated from the config schema by `tools/config_readme.py` (a test checks that it",
        "is current). `config/config.yaml` is the default run; each lab's section is optional",
        "(a lab left out is not run). In every lab with variants, `baseline` gives every",
        "setting and each axis under `axes` is either a mapping of variant names to the",
        "settings they change, or a `grid` (the product of its lists); any axis point may add",
        "a `label` for the report. Every number must be finite.",
        "",
        "## Top level",
        "",
        "| key | values | what it is |",
        "|---|---|---|",
    ]
    for key, prop in schema["properties"].items():
        if key in labs.REGISTRY:
            continue
        kind, about = describe(prop, defs)
        lines.append(f"| `{key}` | {kind} | {about} |")
        for sub, inner in prop.get("properties", {}).items():
            kind, about = describe(inner, defs)
            lines.append(f"| `{key}.{sub}` | {kind} | {about} |")
    for name in labs.REGISTRY:
        section = schema["properties"][name]
        lines += ["", f"## `{name}`: {labs.get(name).title}", ""]
        lines += ["| key | values | what it is |", "|---|---|---|"]
        for key, prop in section["properties"].items():
            if key in ("baseline", "axes"):
                continue
            kind, about = describe(prop, defs)
            lines.append(f"| `{name}.{key}` | {kind} | {about} |")
        settings = defs.get(f"{name}_settings")
        if settings:
            lines += ["", "Settings of a variant (`baseline`, an axis point, a grid key):", ""]
            lines += ["| setting | values | what it is |", "|---|---|---|"]
            for key, prop in settings["properties"].items():
                kind, about = describe(prop, defs)
                lines.append(f"| `{key}` | {kind} | {about} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        current = TARGET.read_text() if TARGET.exists() else ""
        sys.exit(
            0 if current == text else "config/README.md is not current: run tools/config_readme.py"
        )
    TARGET.write_text(text)
