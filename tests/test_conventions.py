"""What a user of a Snakemake workflow expects to find: declared dependencies that match
the imports, a license, the workflow catalog's file, no link out of the repository."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import yaml
from conftest import ROOT

# import name -> distribution name, where they differ
DISTRIBUTIONS = {"yaml": "pyyaml", "sklearn": "scikit-learn"}


def _imports(folder: Path) -> set[str]:
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    local = {"backprop_lab", "conftest", "lab_listings", "bench"} | {
        p.stem for p in folder.glob("test_*.py")
    }
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def _declared(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_every_third_party_import_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _declared(project["dependencies"])
    test = runtime | _declared(project["optional-dependencies"]["test"])
    missing = {DISTRIBUTIONS.get(n, n) for n in _imports(ROOT / "src")} - runtime
    assert not missing, f"imported by src/ but not in [project] dependencies: {missing}"
    missing = {DISTRIBUTIONS.get(n, n) for n in _imports(ROOT / "tests")} - test
    assert not missing, f"imported by tests/ but not declared: {missing}"
    # the tools (the benchmark, the config README) run in the same environment
    missing = {DISTRIBUTIONS.get(n, n) for n in _imports(ROOT / "tools")} - runtime
    assert not missing, f"imported by tools/ but not in [project] dependencies: {missing}"


def test_declared_dependencies_are_pinned_in_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _declared(project["dependencies"] + project["optional-dependencies"]["test"])
    lock = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line
    }
    assert declared <= lock, declared - lock


def test_license_and_workflow_catalog_file() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    catalog = yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text())
    assert catalog["usage"]["software-stack-deployment"]["conda"] is True
    assert "report" in catalog["usage"]


def test_docs_link_only_inside_the_repository() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        links = re.findall(r"\]\(([^)#]+)\)", path.read_text())
        for link in links:
            if link.startswith(("http://", "https://")):
                continue
            target = (path.parent / link).resolve()
            assert target.is_relative_to(ROOT), f"{path.name} links outside the repo: {link}"
            assert target.exists(), f"{path.name} links to a missing file: {link}"


def test_the_readme_commands_name_real_targets() -> None:
    """The variant the README shows how to regenerate is a run of the default config."""
    from backprop_lab.configuration import expand_variants

    readme = (ROOT / "README.md").read_text()
    for flag in ("--directory .test", "--replace-workflow-config", "reports/report.md"):
        assert flag in readme, flag
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    runs = expand_variants(config)
    targets = re.findall(r"results/runs/([A-Za-z0-9_./-]+)\.json", readme)
    assert targets and all(t in runs for t in targets), targets


def test_the_small_config_runs_with_directory(tmp_path: Path) -> None:
    """`snakemake --directory .test`, as the README says, plans the test configuration."""
    from conftest import copy_pipeline, snakemake

    work = copy_pipeline(tmp_path / "repo")
    (work / ".test" / "config").mkdir(parents=True)
    (work / ".test" / "config" / "config.yaml").write_text(
        (ROOT / ".test" / "config" / "config.yaml").read_text()
    )
    done = snakemake(work, "-n", "--cores", "1", "--directory", ".test")
    assert "train" in done.stdout and "Invalid configuration" not in done.stdout


def test_config_readme_is_current() -> None:
    """config/README.md describes every key of the schema, and is regenerated from it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "config_readme.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = (ROOT / "config" / "README.md").read_text()
    assert "| `hand_222.weights` |" in text and "| `loss_gradient` |" in text
    # every key has a description (no empty last column)
    assert not re.findall(r"\|\s*\|\s*$", text, re.MULTILINE)


def test_no_core_function_exceeds_sixty_lines() -> None:
    """The core stays small pieces: a function over 60 lines (its docstring included) is
    named here with its file and length."""
    long = []
    for path in sorted((ROOT / "src" / "backprop_lab" / "core").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    long.append(f"{path.name}:{node.name} ({length} lines)")
    assert not long, long
