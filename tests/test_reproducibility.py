"""Reproducibility: the reproduction check, minimal regeneration, determinism, pinned versions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import (
    ANOTHER_CPU,
    ROOT,
    TEST_CONFIG,
    copy_pipeline,
    distinct_runs,
    edit_config,
    load_test_config,
    planned_jobs,
    snakemake,
)

from backprop_lab.reproduce import ANOTHER, Mismatch, compare_frames, format_diff
from backprop_lab import labs, stages
from backprop_lab.configuration import expand_variants
from backprop_lab.reproduce import metric_tables


def reproduce(
    work: Path, reference: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "backprop_lab.cli",
            "reproduce",
            "--source",
            str(work),
            "--reference",
            str(reference),
            "--workdir",
            str(work / "results/reproduce"),
            "--cores",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(work / "src"), **(env or {})},
    )


@pytest.fixture(scope="module")
def perturbed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy whose numpy sigmoid derivative is off by 0.1 %."""
    work = copy_pipeline(tmp_path_factory.mktemp("perturbed"), TEST_CONFIG)
    functions = work / "src/backprop_lab/core/functions.py"
    text = functions.read_text()
    assert "    return a * (1.0 - a)\n" in text
    functions.write_text(
        text.replace("    return a * (1.0 - a)\n", "    return a * (1.0 - a) * 1.001\n", 1)
    )
    return work


def test_the_reference_records_where_it_was_made(test_reference: Path, test_run: Path) -> None:
    from backprop_lab.reference import CLASSES, ReferenceFolder

    folder = ReferenceFolder(test_reference)
    recorded = folder.provenance()
    assert recorded["kernels"]["numpy"] and recorded["kernels"]["blas_core"]
    assert set(recorded["ensemble"]) == {"native", "sandybridge"}
    from backprop_lab.kernels import cpu_flags

    if "avx512f" in cpu_flags():  # the CPU's own choice is AVX-512: another kind of kernels
        assert recorded["ensemble"]["native"]["kernels_differ"]
    sandy = recorded["ensemble"]["sandybridge"]["kernels_differ"]
    assert any(d.startswith("blas_core:") and d.endswith("-> Sandybridge") for d in sandy)
    counts = recorded["values_per_class"]
    assert set(counts) == set(CLASSES) and counts["exact"] > 0 and counts["roundoff"] > 0
    # the pipeline's metric tables, and no wall times
    made = {n for n in metric_tables() if (test_run / f"reports/tables/{n}.csv").exists()}
    assert {p.stem for p in folder.tables.glob("*.csv")} == made
    assert not list(folder.tables.glob("*_run_times.csv"))
    claims = folder.claims()
    assert claims is not None and len(claims) > 0 and set(claims["fragile"]) <= {"true", "false"}


def test_reproduction_check_passes_on_the_same_code(test_reference: Path, tmp_path: Path) -> None:
    work = copy_pipeline(tmp_path / "same", TEST_CONFIG)
    done = reproduce(work, test_reference)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Tier: same kind (the kernels here are the reference's" in done.stdout
    assert "OK: the regenerated metrics match the reference" in done.stdout
    # it streams its progress instead of minutes of silence
    assert re.search(r"^  \d+ of \d+ steps \(100%\) done$", done.stdout, re.MULTILINE)


def test_reproduction_check_passes_on_another_kind_of_cpu(
    test_reference: Path, tmp_path: Path
) -> None:
    """Other OpenBLAS, ATen and MKL kernels (as another CPU generation has): the another-
    kind tier, and the science is the same."""
    work = copy_pipeline(tmp_path / "other-cpu", TEST_CONFIG)
    done = reproduce(work, test_reference, ANOTHER_CPU)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Tier: another kind (the kernels differ from the reference's: " in done.stdout
    assert "blas_core: Haswell -> Nehalem" in done.stdout or "blas_core" in done.stdout
    assert "OK: the regenerated metrics match the reference" in done.stdout


def test_reproduction_check_fails_on_a_wrong_derivative(
    perturbed: Path, test_reference: Path
) -> None:
    done = reproduce(perturbed, test_reference)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MISMATCH" in done.stdout
    headline = next(line for line in done.stdout.splitlines() if line.startswith("MISMATCH"))
    named = set(re.search(r"in \d+ run\(s\): (.*)", headline).group(1).split(", "))
    runs = expand_variants(load_test_config())

    # numpy runs with a sigmoid anywhere move; torch runs (autograd) and ReLU-only runs do
    # not, except in the gradient-equality lab, whose gradient check runs the numpy
    # backprop for every engine;
    # the timing table holds wall times only and is never compared
    def sigmoid_in(s: dict) -> bool:
        # the clipped sigmoid (sigmoid_clip) shares the sigmoid's derivative
        acts = (s.get("hidden_activation"), s.get("activation"), s.get("output_activation"))
        # the playground lab's cross-entropy is on a sigmoid output
        return any(str(a).startswith("sigmoid") for a in acts) or s.get("loss") == "cross_entropy"

    uses_numpy_sigmoid = {
        r
        for r, s in runs.items()
        if s["lab"] != "timing"
        and sigmoid_in(s)
        and (s["engine"] == "numpy" or s["lab"] == "gradient_equality")
    }
    assert named == uses_numpy_sigmoid
    # the diff is readable: a header and rows naming lab, variant, seed and metric
    assert re.search(
        r"table\s+lab\s+variant\s+seed\s+metric\s+expected\s+got\s+rel\. diff", done.stdout
    )
    assert re.search(
        r"^hand_222_summary\s+hand_222\s+engine/numpy\s+-\s+final_loss\s", done.stdout, re.MULTILINE
    )
    # the another-kind tier catches it too, and names the class of each value it judged
    failing = _failing(test_reference, perturbed / "results/reproduce/reports/tables", ANOTHER)
    assert {m.key.get("run_id") for m in failing} & uses_numpy_sigmoid
    assert {m.cls for m in failing} <= {"exact", "stable", "chaotic", "roundoff"}


def _failing(reference: Path, tables: Path, tier: str, claims=None) -> list:
    from backprop_lab.reproduce import Tier, judge

    return [m for m in judge(reference, tables, claims, Tier(tier, "test")) if m.fails]


# --- mutants: each fails the check in both tiers --------------------------------------

HAND_222_MUTANTS = {
    # one initial weight changed by 1e-6
    "weight": (
        '        return {"kind": kind, "values": settings["weights"]}\n',
        '        return {"kind": kind, "values": [settings["weights"][0] + 1e-6,'
        ' *settings["weights"][1:]]}\n',
    ),
    # a learning rate off by 1 %
    "learning_rate": (
        'train_gd(engine, x, y, settings["step"], ',
        'train_gd(engine, x, y, settings["step"] * 1.01, ',
    ),
}


@pytest.fixture(scope="module")
def hand_222_mutants(
    tmp_path_factory: pytest.TempPathFactory, test_reference: Path
) -> dict[str, Path]:
    """Each mutant's tables: the reference's, with the 2-2-2 lab's regenerated by the
    mutated code (only that lab runs: it is the lab the mutation is in)."""
    config = {k: v for k, v in load_test_config().items() if k not in labs.REGISTRY}
    config["hand_222"] = load_test_config()["hand_222"]
    tables = {}
    for name, (old, new) in HAND_222_MUTANTS.items():
        work = copy_pipeline(tmp_path_factory.mktemp(f"mutant-{name}"), config)
        run = work / "src/backprop_lab/labs/hand_222/run.py"
        assert old in run.read_text()
        run.write_text(run.read_text().replace(old, new, 1))
        snakemake(work, "--cores", "2", "tables")
        merged = tmp_path_factory.mktemp(f"tables-{name}")
        for table in (test_reference / "tables").glob("*.csv"):
            shutil.copy(table, merged / table.name)
        for table in (work / "reports/tables").glob("hand_222_*.csv"):
            shutil.copy(table, merged / table.name)
        tables[name] = merged
    return tables


@pytest.mark.parametrize("tier", ["same kind", "another kind"])
@pytest.mark.parametrize("mutant", sorted(HAND_222_MUTANTS))
def test_mutants_fail_in_both_tiers(
    hand_222_mutants: dict[str, Path], test_reference: Path, mutant: str, tier: str
) -> None:
    failing = _failing(test_reference, hand_222_mutants[mutant], tier)
    runs = {m.key.get("run_id") for m in failing}
    # the specified-init baseline moves (and nothing outside the 2-2-2 lab)
    assert "hand_222/engine/numpy" in runs, format_diff(failing)
    assert all(m.table.startswith("hand_222") for m in failing)


@pytest.mark.parametrize("tier", ["same kind", "another kind"])
def test_a_flipped_ledger_verdict_fails_in_both_tiers(
    test_reference: Path, tmp_path: Path, tier: str
) -> None:
    tables = tmp_path / "tables"
    shutil.copytree(test_reference / "tables", tables)
    ledger = pd.read_csv(tables / "hand_222_ledger.csv", dtype=str, keep_default_na=False)
    first = ledger.index[ledger["verdict"] == "reproduced"][0]
    ledger.loc[first, "verdict"] = "not reproducible"
    ledger.to_csv(tables / "hand_222_ledger.csv", index=False)
    (m,) = _failing(test_reference, tables, tier)
    assert (m.table, m.metric, m.got) == ("hand_222_ledger", "verdict", "not reproducible")


@pytest.mark.parametrize("tier", ["same kind", "another kind"])
def test_a_moved_finding_threshold_fails_in_both_tiers(
    test_reference: Path, test_run: Path, tmp_path: Path, tier: str
) -> None:
    """The engines' agreement threshold moved below their real difference: the claim
    'numpy and PyTorch agree' flips, on the very same tables."""
    from backprop_lab.reference import read_claims

    work = copy_pipeline(tmp_path / "threshold", TEST_CONFIG)
    findings = work / "src/backprop_lab/labs/hand_222/findings.py"
    text = findings.read_text()
    assert "ENGINE_AGREEMENT = 1e-10\n" in text
    findings.write_text(text.replace("ENGINE_AGREEMENT = 1e-10\n", "ENGINE_AGREEMENT = 1e-17\n"))
    settings = sorted((test_run / "results/settings").glob("report.*.json"))[-1]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "backprop_lab.cli",
            "claims",
            "--tables",
            str(test_run / "reports/tables"),  # the reference's values, and wall times
            "--settings",
            str(settings),
            "--output",
            "claims.csv",
        ],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(work / "src")},
        check=True,
    )
    failing = _failing(
        test_reference, test_reference / "tables", tier, read_claims(work / "claims.csv")
    )
    assert [(m.table, m.key["lab"], m.expected, m.got) for m in failing] == [
        ("claims", "hand_222", "holds", "does not hold")
    ]


def test_make_report_then_check_still_compares_with_the_reference(
    perturbed: Path, test_reference: Path
) -> None:
    """The pipeline's own run writes reports/tables, never the reference: after a run of
    changed code, the check in that same folder still fails."""
    reference = perturbed / "reports/reference"
    if not reference.exists():
        shutil.copytree(test_reference, reference)
    before = {p: p.read_bytes() for p in reference.rglob("*") if p.is_file()}
    snakemake(perturbed, "--cores", "2", "tables")
    assert {p: p.read_bytes() for p in reference.rglob("*") if p.is_file()} == before
    done = snakemake(perturbed, "--cores", "2", "reproduce", check=False)
    assert done.returncode != 0 and "MISMATCH" in done.stdout + done.stderr


def test_compare_flags_missing_extra_and_diverged() -> None:
    expected = pd.DataFrame(
        {
            "run_id": ["s/a/x", "s/a/y"],
            "seed_key": ["-", "-"],
            "engine": ["numpy", "numpy"],
            "final_loss": [1.0, 2.0],
            "diverged_round": [float("nan"), float("nan")],
            "seconds": [1.0, 1.0],
        }
    )
    got = pd.DataFrame(
        {
            "run_id": ["s/a/x", "s/a/z"],
            "seed_key": ["-", "-"],
            "engine": ["numpy", "numpy"],
            "final_loss": [1.0 + 1e-13, 2.0],
            "diverged_round": [7.0, float("nan")],
            "seconds": [9.0, 9.0],
        }
    )
    found = compare_frames("hand_222_summary", expected, got)
    kinds = {(m.key.get("run_id"), m.kind) for m in found}
    assert kinds == {("s/a/y", "missing row"), ("s/a/z", "extra row"), ("s/a/x", "became diverged")}
    # within tolerance (1e-13 relative) and wall times are not differences
    assert not any(m.metric in ("final_loss", "seconds") for m in found)
    text = format_diff(found)
    assert "became diverged" in text and "s/a/x" not in text.split("\n")[0]


def test_compare_tolerance_depends_on_engine() -> None:
    base = {"run_id": ["s/a/x"], "seed_key": ["-"], "final_loss": [1.0]}
    for engine, moved in (("numpy", 1e-8), ("torch", 1e-8)):
        expected = pd.DataFrame({**base, "engine": [engine]})
        got = expected.assign(final_loss=1.0 + moved)
        found = compare_frames("hand_222_summary", expected, got)
        assert bool(found) == (engine == "numpy"), engine
    assert Mismatch("t", {}, "m", 1.0, 1.5).rel_diff == pytest.approx(1 / 3)


# --- minimal regeneration ------------------------------------------------------------


def test_nothing_changed_nothing_runs(rerun_copy: Path) -> None:
    assert planned_jobs(rerun_copy) == {}


def test_one_step_size_reruns_one_training_job(rerun_copy: Path) -> None:
    def change(config: dict) -> None:
        config["hand_222"]["axes"]["loss_impl"]["hand_half_sse_step2"]["step"] = 3.0

    edit_config(rerun_copy, change)
    jobs = planned_jobs(rerun_copy)
    assert jobs.pop("train") == {"results/runs/hand_222/loss_impl/hand_half_sse_step2.json"}
    # only that lab aggregates and draws again
    assert set(jobs) == {"aggregate_hand_222", "figures_hand_222", "report"}


def test_adding_a_seed_reruns_the_random_variants(rerun_copy: Path) -> None:
    edit_config(rerun_copy, lambda c: c["seeds"].append(7))
    config = yaml.safe_load((rerun_copy / "config/config.yaml").read_text())
    random = {r for r, s in distinct_runs(config).items() if s["seeds"]}
    jobs = planned_jobs(rerun_copy)
    assert random and jobs.pop("train") == {f"results/runs/{r}.json" for r in random}
    affected = {r.split("/")[0] for r in random}
    assert set(jobs) == {f"{stage}_{lab}" for lab in affected for stage in STAGES} | {"report"}


def test_report_title_reruns_only_the_report(rerun_copy: Path) -> None:
    edit_config(rerun_copy, lambda c: c["report"].update(title="Another title"))
    assert set(planned_jobs(rerun_copy)) == {"report"}


def test_template_edit_reruns_only_the_report(rerun_copy: Path) -> None:
    template = rerun_copy / "src/backprop_lab/templates/report.md.j2"
    template.write_text(template.read_text() + "\nAn added closing line.\n")
    assert set(planned_jobs(rerun_copy)) == {"report"}


STAGES = ("aggregate", "figures")


# an edit that changes what a module does (a comment, docstring or layout edit does not:
# backprop_lab.stages.code_stamp)
BEHAVIOUR_EDIT = "\n_EDITED = True\n"


def _assert_everything_reruns(work: Path, edited: str) -> None:
    """After an edit of `edited` (a file under src/), every job reruns."""
    path = work / "src" / edited
    path.write_text(path.read_text() + BEHAVIOUR_EDIT)
    jobs = planned_jobs(work)
    assert len(jobs.pop("train")) == len(distinct_runs(load_test_config()))
    everything = {f"{stage}_{lab}" for lab in load_test_config() if lab in LABS for stage in STAGES}
    assert set(jobs) == everything | {"report"}


def test_engine_edit_reruns_training_and_what_follows(rerun_copy: Path) -> None:
    _assert_everything_reruns(rerun_copy, "backprop_lab/core/numpy_engine.py")


LABS = labs.REGISTRY


def _rules_after(stage: str, lab: str) -> set[str]:
    """The rules a code edit of `lab`'s `stage` must rerun: that stage and what follows."""
    order = ["train", "aggregate", "figures", "report"]
    rules = set()
    for later in order[order.index(stage) :]:
        rules.add(later if later in ("train", "report") else f"{later}_{lab}")
    if stage == "aggregate":
        rules.add(f"figures_{lab}")  # figures read the tables
    return rules


@pytest.mark.parametrize("stage", ["train", "aggregate", "figures", "report"])
def test_editing_any_module_a_stage_imports_reruns_it(rerun_copy: Path, stage: str) -> None:
    """Every module of a stage's derived code (the CLI included) is an input of that stage:
    an edit of the stage's own lab module reruns that stage of that lab and what follows."""
    lab = "hand_222"
    files = stages.stage_files(stage, [lab])
    assert "backprop_lab/cli.py" in files
    module = {"train": "run", "aggregate": "tables", "figures": "figures", "report": "findings"}
    path = rerun_copy / "src" / f"backprop_lab/labs/{lab}/{module[stage]}.py"
    path.write_text(path.read_text() + BEHAVIOUR_EDIT)
    jobs = planned_jobs(rerun_copy)
    expected = _rules_after(stage, lab)
    assert set(jobs) == expected, (stage, jobs)
    if stage == "train":
        runs = {r for r in distinct_runs(load_test_config()) if r.startswith(f"{lab}/")}
        assert jobs["train"] == {f"results/runs/{r}.json" for r in runs}


def test_editing_the_cli_reruns_every_stage(rerun_copy: Path) -> None:
    _assert_everything_reruns(rerun_copy, "backprop_lab/cli.py")


FUNCTIONS = "backprop_lab/core/functions.py"


def test_a_comment_docstring_or_layout_edit_reruns_nothing(rerun_copy: Path) -> None:
    """One code stamp per stage × lab, of the normalised code: a comment, a docstring and
    a reformatted line in the core registry every stage runs change no stamp. Fails when
    a job lists the raw source files as inputs again, or the stamp hashes raw text."""
    path = rerun_copy / "src" / FUNCTIONS
    text = path.read_text()
    first_docstring = re.search(r'"""(.+?)"""', text, re.DOTALL)
    assert first_docstring
    edited = text.replace(first_docstring.group(1), "A docstring, reworded.", 1)
    edited = "# a comment at the top\n" + edited.replace("\n\n\n", "\n\n\n# and one more\n", 1)
    # layout only: redundant parentheses around the first return value, blank lines
    edited = re.sub(r"^(\s+)return (.+)$", r"\1return (\2)", edited, count=1, flags=re.M)
    edited = edited.replace("\n\n\n", "\n\n\n\n")
    assert edited != text
    path.write_text(edited)
    assert planned_jobs(rerun_copy) == {}


def test_a_behaviour_edit_reruns_the_stages_that_run_the_file(rerun_copy: Path) -> None:
    """A behaviour edit of the core registry reruns exactly the jobs of every stage × lab
    whose derived code holds it (the same jobs as when each file was an input)."""
    path = rerun_copy / "src" / FUNCTIONS
    path.write_text(path.read_text() + BEHAVIOUR_EDIT)
    jobs = planned_jobs(rerun_copy)
    config = load_test_config()
    names = [lab for lab in LABS if lab in config]
    expected = {"report"} if FUNCTIONS in stages.stage_files("report", names) else set()
    for lab in names:
        for stage in ("aggregate", "figures"):
            if FUNCTIONS in stages.stage_files(stage, [lab]):
                expected |= _rules_after(stage, lab)
        if FUNCTIONS in stages.stage_files("train", [lab]):
            expected |= _rules_after("train", lab)
    assert set(jobs) == expected
    runs = distinct_runs(config)
    trained = {r for r in runs if FUNCTIONS in stages.stage_files("train", [r.split("/")[0]])}
    assert jobs.get("train", set()) == {f"results/runs/{r}.json" for r in trained}


# --- determinism and pins ------------------------------------------------------------


def test_two_cold_runs_give_byte_identical_metric_tables(test_run: Path, tmp_path: Path) -> None:
    again = copy_pipeline(tmp_path / "again", TEST_CONFIG)
    snakemake(again, "--cores", "2", "tables")
    for name in metric_tables():
        first = (test_run / f"reports/tables/{name}.csv").read_bytes()
        second = (again / f"reports/tables/{name}.csv").read_bytes()
        assert first == second, name


def test_one_job_per_seed_gives_the_stacked_runs_tables(test_run: Path, tmp_path: Path) -> None:
    """`seed_jobs: true`: every seed of a seeded variant trains in a job of its own and the
    variant's job stacks their results; every metric table is byte-identical to the one of
    the stacked jobs (the engines' slice equality, through the pipeline)."""
    split = copy_pipeline(tmp_path / "split", TEST_CONFIG)
    edit_config(split, lambda c: c.update(seed_jobs=True))
    done = snakemake(split, "--cores", "2", "tables")
    assert "rule train_seed:" in done.stdout + done.stderr
    seeded = [
        r
        for r, s in distinct_runs(load_test_config()).items()
        if len(s.get("seeds") or []) > 1 and labs.get(s["lab"]).replicas
    ]
    assert {r.split("/")[0] for r in seeded} >= {"hand_222", "classification", "worked"}
    for run_id in seeded:
        assert (split / f"results/seeds/{run_id}/seed-0.json").is_file(), run_id
    for name in metric_tables():
        first = (test_run / f"reports/tables/{name}.csv").read_bytes()
        assert first == (split / f"reports/tables/{name}.csv").read_bytes(), name


def test_a_seed_jobs_threshold_splits_only_the_variants_estimated_above_it(
    tmp_path: Path,
) -> None:
    """`seed_jobs: <seconds>`: the seeds of exactly the seeded variants whose estimate is
    at least that many CPU seconds train one job each (a dry run's train_seed jobs)."""
    from backprop_lab.configuration import estimate_work

    config = load_test_config()
    runs = distinct_runs(config)
    costs = estimate_work(runs).costs
    seeded = {
        r: s["seeds"]
        for r, s in runs.items()
        if len(s.get("seeds") or []) > 1 and labs.get(s["lab"]).replicas and r in costs
    }
    threshold = sorted(costs[r].cpu_seconds for r in seeded)[len(seeded) // 2]
    above = {r for r in seeded if costs[r].cpu_seconds >= threshold}
    assert 0 < len(above) < len(seeded)
    work = copy_pipeline(tmp_path / "threshold", TEST_CONFIG)
    edit_config(work, lambda c: c.update(seed_jobs=threshold))
    planned = planned_jobs(work).get("train_seed", set())
    assert planned == {f"results/seeds/{r}/seed-{k}.json" for r in above for k in seeded[r]}


def test_metric_tables_hold_no_wall_times(test_run: Path) -> None:
    from backprop_lab.reproduce import is_timing_column

    for name in metric_tables():
        columns = pd.read_csv(test_run / f"reports/tables/{name}.csv", nrows=1).columns
        assert not [c for c in columns if is_timing_column(c)], name


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.match(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_environment_yml_and_lock_agree() -> None:
    lock = _pins((ROOT / "requirements.lock").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == lock
    assert lock["torch"] == "2.13.0"  # the CPU wheel; an unpinned torch pulls CUDA builds
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == f"python={sys.version_info.major}.{sys.version_info.minor}"
