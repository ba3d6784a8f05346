"""The registry of labs: adding a lab is adding its folder and one registry line; a config
runs and reports exactly the labs it names; each stage's code inputs are derived."""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, copy_pipeline, load_test_config, snakemake

from backprop_lab import labs, stages
from backprop_lab.configuration import expand_variants

FIXTURE_LAB = Path(__file__).parent / "fixtures" / "toy_lab"
LAB_FILES = ("__init__.py", "schema.yaml", "run.py", "tables.py", "figures.py", "findings.py")


def test_every_lab_folder_is_registered_and_complete() -> None:
    folders = sorted(
        p.name for p in (ROOT / "src/backprop_lab/labs").iterdir() if (p / "__init__.py").exists()
    )
    assert folders == sorted(labs.REGISTRY)
    for name, lab in labs.labs().items():
        assert lab.name == name
        for file in (*LAB_FILES, "section.md.j2"):
            assert (lab.folder / file).is_file(), f"{name}: {file} missing"
        # a lab's tables and figures carry its name, so two labs can never collide
        for table in [*lab.summary_tables(), *lab.large_tables]:
            assert table == name or table.startswith(f"{name}_"), table
        section = load_test_config()[name]
        for figure in lab.figures(section):
            assert figure.name == name or figure.name.startswith(f"{name}_"), figure
            assert (lab.folder / "captions" / f"{figure.kind}.rst").is_file(), figure


def _with_fixture_lab(dest: Path) -> Path:
    """A copy of the pipeline with the fixture lab added: its folder, its registry line and
    its config section; nothing else."""
    work = copy_pipeline(dest)
    shutil.copytree(FIXTURE_LAB, work / "src/backprop_lab/labs/toy")
    registry = work / "src/backprop_lab/labs/__init__.py"
    text = registry.read_text()
    assert '    "timing",\n)' in text
    registry.write_text(text.replace('    "timing",\n)', '    "timing",\n    "toy",\n)'))
    config = {
        "report": {"title": "Toy report"},
        "seeds": [0, 1],
        "toy": {"baseline": {"scale": 1.0}, "axes": {"scale": {"one": {}, "two": {"scale": 2.0}}}},
    }
    (work / "config/config.yaml").write_text(yaml.safe_dump(config))
    return work


def _changed_files(copy: Path) -> set[str]:
    """Files of the copy that differ from (or are missing in) this checkout's pipeline."""
    changed = set()
    for path in copy.rglob("*"):
        relative = path.relative_to(copy)
        if path.is_dir() or relative.parts[0] not in ("Snakefile", "workflow", "src", "config"):
            continue
        if "__pycache__" in relative.parts:
            continue
        original = ROOT / relative
        if not original.exists() or not filecmp.cmp(path, original, shallow=False):
            changed.add(relative.as_posix())
    return changed


def test_a_new_lab_is_its_folder_plus_one_registry_line(tmp_path: Path) -> None:
    work = _with_fixture_lab(tmp_path / "toy")
    changed = _changed_files(work)
    lab_files = {f for f in changed if f.startswith("src/backprop_lab/labs/toy/")}
    assert lab_files and changed - lab_files == {
        "src/backprop_lab/labs/__init__.py",
        "config/config.yaml",
    }
    snakemake(work, "--cores", "2")
    md = (work / "reports/report.md").read_text()
    # its section, its table, its figure and its finding, and no other lab
    assert re.findall(r"^## (.+)$", md, re.M) == ["Findings at a glance", "A toy lab", "Provenance"]
    assert "| [A toy lab](#a-toy-lab) | 1 | 0 | 0 | 0 | — |" in md  # its claim, no ledger
    assert "[A toy lab](#a-toy-lab)" in md
    assert "![Toy values](figures/toy_values.png)" in md
    assert (
        'Claim checked: "the value grows with the scale"** — holds: the sum of values grows by '
        "a factor 2 when the scale grows by 2"
    ) in md
    table = pd.read_csv(work / "reports/tables/toy_summary.csv")
    assert sorted(table["value"]) == [1.0, 2.0, 2.0, 4.0]
    assert sorted(p.name for p in (work / "reports/tables").glob("*.csv")) == [
        "toy_run_times.csv",
        "toy_summary.csv",
    ]
    assert [p.name for p in (work / "reports/figures").glob("*.png")] == ["toy_values.png"]
    assert "toy_values.png" in snakemake_report(work, tmp_path)


def snakemake_report(work: Path, tmp_path: Path) -> str:
    out = tmp_path / "snakemake-report.html"
    snakemake(work, "--report", str(out))
    return out.read_text()


def _one_lab_config() -> dict:
    """The 2-2-2 lab alone, cut down to three short numpy runs."""
    config = load_test_config()
    section = config["hand_222"]
    section["checkpoints"] = [10]
    section["baseline"]["rounds"] = 20
    section["axes"] = {"step": {"small": {"step": 0.1}, "large": {"step": 2.0}}}
    return {"report": config["report"], "seeds": [0], "hand_222": section}


def test_a_config_with_one_lab_runs_and_reports_that_lab_alone(tmp_path: Path) -> None:
    work = copy_pipeline(tmp_path / "one", _one_lab_config())
    done = snakemake(work, "--cores", "2")
    jobs = set(re.findall(r"^(?:local)?rule (\w+):", done.stdout + done.stderr, re.M))
    assert jobs == {"train", "aggregate_hand_222", "figures_hand_222", "report", "all"}
    runs = sorted(p.stem for p in (work / "results/runs/hand_222/step").glob("*.json"))
    assert runs == ["large", "small"]
    assert not [p for p in (work / "results/runs").iterdir() if p.name != "hand_222"]
    md = (work / "reports/report.md").read_text()
    assert re.findall(r"^## (.+)$", md, re.M) == [
        "Findings at a glance",
        "The 2-2-2 network by hand",
        "Provenance",
    ]
    tables = {p.name for p in (work / "reports/tables").glob("*.csv")}
    assert tables and all(name.startswith("hand_222_") for name in tables)


def test_a_key_that_names_no_lab_is_rejected_before_any_job(tmp_path: Path) -> None:
    config = _one_lab_config()
    config["suite4"] = {"baseline": {}, "axes": {}}
    work = copy_pipeline(tmp_path / "unknown", config)
    done = snakemake(work, "--cores", "2", "-n", check=False)
    assert done.returncode != 0
    message = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.startswith("Invalid configuration")
    ]
    assert message == [
        "Invalid configuration: config key (top level): unknown key(s) 'suite4'; allowed keys: "
        "budget, classification, gradient_equality, hand_222, playground, report, seed_jobs, "
        "seeds, timing, worked"
    ]
    assert not (work / "results").exists() and not (work / "logs").exists()


def test_every_figure_drawn_is_in_the_report(test_run: Path) -> None:
    md = (test_run / "reports/report.md").read_text()
    linked = set(re.findall(r"!\[[^\]]*\]\(figures/([^)]+\.png)\)", md))
    drawn = {p.name for p in (test_run / "reports/figures").glob("*.png")}
    assert drawn and drawn == linked
    # and every figure a lab declares for this config was drawn
    config = load_test_config()
    declared = {
        f"{f.name}.png" for lab in labs.configured(config) for f in lab.figures(config[lab.name])
    }
    assert declared == drawn


# --- derived code inputs -------------------------------------------------------------

CASES = [(stage, lab) for stage in stages.STAGES for lab in labs.REGISTRY]


@pytest.mark.parametrize("stage, lab", CASES, ids=[f"{s}-{lab}" for s, lab in CASES])
def test_a_stage_imports_only_its_derived_code(stage: str, lab: str) -> None:
    """In a fresh interpreter, importing a stage's entry points loads no module of the
    package outside the stage's derived code inputs."""
    entries = stages.entry_points(stage, [lab])
    code = (
        "import importlib, json, sys\n"
        f"for name in {entries!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('backprop_lab'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    loaded = set(json.loads(done.stdout))
    derived = stages.import_closure(tuple(entries))
    assert loaded <= derived, loaded - derived
    files = stages.stage_files(stage, [lab])
    assert "backprop_lab/cli.py" in files
    # no stage depends on another stage's module, nor on another lab
    others = {"train", "aggregate", "figures", "report"} - {stage}
    assert not [f for f in files if Path(f).stem in others and f.count("/") == 1], files
    assert not [
        f
        for f in files
        if "/labs/" in f and f"/labs/{lab}/" not in f and not f.endswith("labs/__init__.py")
    ]


def test_the_report_depends_on_every_lab_section_template() -> None:
    names = list(labs.REGISTRY)
    files = stages.stage_files("report", names)
    for name in names:
        assert f"backprop_lab/labs/{name}/section.md.j2" in files
        assert f"backprop_lab/labs/{name}/findings.py" in files
    assert "backprop_lab/templates/macros.md.j2" in files


MODULE = '''"""A module."""

import math


def area(r):
    """The area of a circle of radius r."""
    # pi r squared
    return math.pi * r**2
'''


@pytest.mark.parametrize(
    "edited, same",
    [
        (MODULE.replace("# pi r squared", "# π r², a comment"), True),
        (MODULE.replace("The area of a circle", "A circle's area"), True),
        (MODULE.replace('"""A module."""', '"""Another module docstring."""'), True),
        (MODULE.replace("return math.pi * r**2", "return (math.pi * (r**2))"), True),
        (MODULE.replace("\n\n\ndef", "\n\n\n\n\ndef"), True),
        (MODULE.replace("r**2", "r**3"), False),
        (MODULE + 'LABEL = "a string that is not a docstring"\n', False),
        (MODULE.replace('    """The area of a circle of radius r."""\n', ""), True),
    ],
)
def test_the_code_stamp_ignores_comments_docstrings_and_layout(edited: str, same: bool) -> None:
    """backprop_lab.stages.normalised_digest: a comment, docstring or layout edit leaves a
    module's digest as it was; an edit of what it computes (a constant, a string that
    is not a docstring) changes it."""
    before = stages.normalised_digest(MODULE.encode(), ".py")
    assert (stages.normalised_digest(edited.encode(), ".py") == before) is same
    # other files (templates, YAML) count as they are
    assert stages.normalised_digest(b"a: 1\n", ".yaml") != stages.normalised_digest(
        b"a: 1  # note\n", ".yaml"
    )


def test_settings_name_their_lab_and_every_run_is_distinct() -> None:
    runs = expand_variants(load_test_config())
    for run_id, settings in runs.items():
        lab, axis, variant = run_id.split("/")
        assert (settings["lab"], settings["axis"], settings["variant"]) == (lab, axis, variant)
