"""Which files each pipeline stage runs, derived from the imports of its entry points.

A stage of a lab runs the command line (`backprop_lab.cli`), the stage's module and the
lab's module for that stage; each of them runs what it imports, at any depth, anywhere in
the file (imports deferred into functions count too). The Snakemake rules list these files
as inputs, so editing any of them reruns exactly that stage and what follows; Snakemake
checksums inputs under 1 MB, so only a change of content counts, not a touch. A test
imports each stage's entry points in a fresh interpreter and checks that every module
loaded is in the derived list.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

PACKAGE = "backprop_lab"
ROOT = Path(__file__).resolve().parent  # src/backprop_lab

# stage -> (its module, the module of a lab it runs, files besides Python it reads)
STAGES = {
    "train": ("backprop_lab.train", "run", ()),
    # a lab's ledger (the numbers its author printed, and its worked-example files) is read
    # by its aggregate job
    "aggregate": ("backprop_lab.aggregate", "tables", ("ledger.yaml", "examples/*.yaml")),
    "figures": ("backprop_lab.figures", "figures", ()),
    "report": ("backprop_lab.report", "findings", ("section.md.j2", "appendix.md.j2")),
}
# the report's frame and macros
REPORT_TEMPLATES = ("templates/report.md.j2", "templates/report.html.j2", "templates/macros.md.j2")


def entry_points(stage: str, lab_names: list[str]) -> list[str]:
    """The modules a stage's command imports first (for one lab, or for every lab reported)."""
    module, lab_module, _ = STAGES[stage]
    entries = [f"{PACKAGE}.cli", module]
    for name in lab_names:
        entries += [f"{PACKAGE}.labs.{name}", f"{PACKAGE}.labs.{name}.{lab_module}"]
    return entries


def stage_files(stage: str, lab_names: list[str]) -> list[str]:
    """The files (relative to src/) whose content a stage's output depends on."""
    files = {_module_file(m) for m in import_closure(tuple(entry_points(stage, lab_names)))}
    _, _, data = STAGES[stage]
    for name in lab_names:
        for pattern in data:  # a name, or a glob of names
            files |= set((ROOT / "labs" / name).glob(pattern))
    if stage == "report":
        files |= {ROOT / t for t in REPORT_TEMPLATES}
    return sorted(p.relative_to(ROOT.parent).as_posix() for p in files)


@cache
def import_closure(entries: tuple[str, ...]) -> frozenset[str]:
    """Every module of the package that the entry modules import, directly or not."""
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        name = todo.pop()
        if name in seen or _module_path(name) is None:
            continue
        seen.add(name)
        todo += _parents(name)
        todo += _imports(name)
    return frozenset(seen)


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


# An import statement at the start of a line (at any indent): `from X import ...`, its names
# in parentheses over several lines or to the end of the line, or `import ...`. Only these
# statements are parsed (every Snakemake start derives the stages' code: parsing whole
# files took a fifth of a no-op run); text that only looks like one is skipped.
IMPORT_LINE = re.compile(
    r"^[ \t]*(from[ \t]+[.\w]+[ \t]+import[ \t]*(?:\([^)]*\)|[^\n]*)|import[ \t]+[^\n]*)",
    re.MULTILINE,
)


@cache
def _imports(name: str) -> tuple[str, ...]:
    path = _module_path(name)
    assert path is not None
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for match in IMPORT_LINE.finditer(path.read_text()):
        try:
            tree = ast.parse(match.group(1))
        except SyntaxError:  # an import-like line of a docstring or comment
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.append(base)
                # `from backprop_lab import labs`: the name may be a module itself
                found += [f"{base}.{alias.name}" for alias in node.names]
    return tuple(m for m in found if m == PACKAGE or m.startswith(PACKAGE + "."))


@cache
def _module_path(name: str) -> Path | None:
    relative = Path(*name.split(".")[1:]) if name != PACKAGE else Path()
    package = ROOT / relative / "__init__.py"
    if package.exists():
        return package
    module = (ROOT / relative).with_suffix(".py")
    return module if name != PACKAGE and module.exists() else None


def _module_file(name: str) -> Path:
    path = _module_path(name)
    assert path is not None, name
    return path
