"""Which files each pipeline stage runs, derived from the imports of its entry points, and
the stage's code stamp.

A stage of a lab runs the command line (`backprop_lab.cli`), the stage's module and the
lab's module for that stage; each of them runs what it imports, at any depth, anywhere in
the file (imports deferred into functions count too). A test imports each stage's entry
points in a fresh interpreter and checks that every module loaded is in the derived list.

The stage's **code stamp** (`code_stamp`) is a digest of each of these files' normalised
content: a module's syntax tree without its docstrings (so comments, docstrings and
formatting leave it as it was), a template or YAML file as it is. The Snakemake rules take
one file named by the stamp as the job's only code input (`workflow/rules/common.smk`): an
edit that changes what the code does reruns exactly the stages that run the file and what
follows, and a comment, docstring or formatting edit reruns nothing.
"""

from __future__ import annotations

import ast
import hashlib
import json
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


def code_stamp(stage: str, lab_names: list[str], cache: dict[str, str]) -> dict[str, str]:
    """{file relative to src/: the sha256 of its normalised content} for the files a stage
    of these labs runs. `cache` maps a file's raw sha256 (with its suffix) to that digest
    and is filled here: normalising parses the module, and parsing all of them on every
    Snakemake start cost about a quarter of a no-op run, hashing them about 1 ms."""
    stamp = {}
    for rel in stage_files(stage, lab_names):
        path = ROOT.parent / rel
        raw = path.read_bytes()
        key = f"{path.suffix}:{hashlib.sha256(raw).hexdigest()}"
        if key not in cache:
            cache[key] = normalised_digest(raw, path.suffix)
        stamp[rel] = cache[key]
    return stamp


def normalised_digest(raw: bytes, suffix: str) -> str:
    """sha256 of a Python module's syntax tree without docstrings (comments and layout are
    not in the tree), or of any other file's bytes. SyntaxError for a module that does not
    parse (it would not run either)."""
    if suffix == ".py":
        tree = ast.parse(raw)
        for node in ast.walk(tree):
            if _has_docstring(node):
                node.body = node.body[1:] or [ast.Pass()]
        raw = ast.dump(tree).encode()  # no line or column numbers
    return hashlib.sha256(raw).hexdigest()


def _has_docstring(node: ast.AST) -> bool:
    kinds = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
    if not isinstance(node, kinds) or not node.body:
        return False
    first = node.body[0]
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def load_cache(path: Path) -> dict[str, str]:
    """The normalised digests kept by an earlier run; empty when there are none or the file
    is unreadable (it is only a cache)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_cache(path: Path, cache: dict[str, str]) -> None:
    from backprop_lab.atomic import write_text_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(cache, sort_keys=True, indent=0) + "\n")
