"""End to end: the real Snakemake pipeline on the small test config."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import distinct_runs, load_test_config, snakemake

from backprop_lab import labs
from backprop_lab.configuration import expand_variants


def test_every_distinct_experiment_is_one_job(test_run: Path) -> None:
    runs = distinct_runs(load_test_config())
    assert len(runs) < len(expand_variants(load_test_config()))  # the test config repeats some
    files = sorted(
        p.relative_to(test_run / "results/runs").with_suffix("").as_posix()
        for p in (test_run / "results/runs").rglob("*.json")
    )
    assert files == sorted(runs)
    logs = list((test_run / "logs/train").rglob("*.log"))
    assert len(logs) == len(runs)


def test_report_has_every_section(test_run: Path) -> None:
    md = (test_run / "reports/report.md").read_text()
    html = (test_run / "reports/report.html").read_text()
    for heading in (
        "The 2-2-2 network by hand",
        "Setup",
        "The hand calculation (round 1)",
        "Results",
        "Engine",
        "Activation",
        "Loss implementation",
        "Loss function",
        "Step size × rounds",
        "Initialisation",
        "Gradient equality on a 2-10-10-1 network",
        "Classification of toy 2-D data",
        "Observation",
        "Timing",
        "Provenance",
    ):
        assert re.search(rf"^#+ {re.escape(heading)}", md, re.M), heading
        assert heading.replace("×", "&times;") in html or heading in html, heading
    assert "{{" not in md and "{%" not in md
    # every figure the Markdown links exists, and the HTML carries it inline
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links and all((test_run / "reports" / link).is_file() for link in links)
    assert html.count('src="data:image/png;base64,') == len(links)
    assert 'src="figures/' not in html


def test_tables_are_tidy(test_run: Path) -> None:
    summary = pd.read_csv(test_run / "reports/tables/hand_222_summary.csv")
    checkpoints = pd.read_csv(test_run / "reports/tables/hand_222_checkpoints.csv")
    runs = {
        r: s for r, s in expand_variants(load_test_config()).items() if r.startswith("hand_222/")
    }
    seeds = {r: (len(s["seeds"]) if s["seeds"] else 1) for r, s in runs.items()}
    assert len(summary) == sum(seeds.values())
    # one row per variant × seed × checkpoint (round 1 and the configured ones up to rounds)
    expected = sum(
        n * len([c for c in runs[r]["checkpoints"] if c <= runs[r]["rounds"]])
        for r, n in seeds.items()
    )
    assert len(checkpoints) == expected
    assert not summary.duplicated(["run_id", "seed"]).any()


def test_hand_calculation_matches_autograd(test_run: Path) -> None:
    """The 2-2-2 lab's round 1 by the worked machinery: every unit and every weight's
    gradient by hand beside autograd, in the lab's names, and the report says how close."""
    chain = pd.read_csv(test_run / "reports/tables/hand_222_chain.csv")
    forward = pd.read_csv(test_run / "reports/tables/hand_222_forward.csv")
    edges = pd.read_csv(test_run / "reports/tables/hand_222_edges.csv")
    assert list(edges["parameter"]) == [f"w{k}" for k in range(1, 9)]
    assert edges.loc[edges["parameter"] == "w6", ["from", "to"]].values.tolist() == [["h1", "o2"]]
    assert {f"dE/dw{k}" for k in range(1, 9)} <= set(chain["quantity"])
    assert list(forward["unit"]) == ["x1", "x2", "h1", "h2", "o1", "o2"]
    worst = max(chain["difference"].max(), forward["difference"].max())
    assert worst < 1e-15
    md = (test_run / "reports/report.md").read_text()
    said = re.search(r"The hand-written backprop and autograd differ by at most\s+(\S+)", md)
    assert said, "the hand calculation states its agreement with autograd"
    # the round-1 update the section quotes: one sample, so w ← w − step · dE/dw
    step = load_test_config()["hand_222"]["baseline"]["step"]
    expected = edges["initial"] - step * edges["gradient"]
    assert np.allclose(edges["after_round_1"], expected, rtol=0, atol=1e-15)


def test_second_run_does_nothing(test_run: Path) -> None:
    done = snakemake(test_run, "--cores", "2", "-n")
    assert "Nothing to be done" in done.stdout + done.stderr


def test_run_files_are_plain_json(test_run: Path) -> None:
    path = test_run / "results/runs/hand_222/engine/numpy.json"
    data = json.loads(path.read_text())
    assert data["settings"]["engine"] == "numpy"
    assert len(data["result"]["loss"][0]) == data["settings"]["rounds"]


def test_gradient_equality_and_classification_tables_and_prose(test_run: Path) -> None:
    runs = expand_variants(load_test_config())
    summary3 = pd.read_csv(test_run / "reports/tables/classification_summary.csv")
    classification = {r: s for r, s in runs.items() if r.startswith("classification/")}
    # every seed of every variant is a row
    assert len(summary3) == sum(len(s["seeds"]) for s in classification.values())
    assert set(summary3["stop_reason"]) <= {"converged", "plateau", "diverged", "max_epochs"}
    diverged = summary3[summary3["stop_reason"] == "diverged"]
    assert len(diverged) and diverged["diverged_epoch"].notna().all()
    gradients = pd.read_csv(test_run / "reports/tables/gradient_equality_gradients.csv")
    assert gradients["passed"].all() and set(gradients["dtype"]) == {"float64", "float32"}
    timing = pd.read_csv(test_run / "reports/tables/timing.csv")
    assert set(timing["engine"]) == {"numpy", "torch"}
    md = (test_run / "reports/report.md").read_text()
    assert re.search(r"seed \d+ at epoch \d+", md), "divergence is stated per seed"
    assert re.search(r"is faster by a factor \d", md)
    for claim in (
        "deeper networks reach lower loss",
        "lr 1 fails",
        "no activation cannot solve XOR",
        "results are unstable across random initialisations",
    ):
        assert f'Claim checked: "{claim}"' in md, claim


def test_snakemake_report_has_every_figure(test_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "snakemake-report.html"
    snakemake(test_run, "--report", str(out))
    html = out.read_text()
    figures = sorted(p.name for p in (test_run / "reports/figures").glob("*.png"))
    assert figures and all(name in html for name in figures)
    for lab in labs.configured(load_test_config()):
        assert lab.title in html, lab.title


def test_the_report_lists_the_slowest_training_jobs_from_the_run_times_tables(
    test_run: Path,
) -> None:
    """One run-times row per distinct experiment (points that share one are not counted
    twice), and the report's count, sum and slowest job are theirs."""
    frames = [
        pd.read_csv(test_run / f"reports/tables/{lab.run_times_table}.csv")
        for lab in labs.configured(load_test_config())
    ]
    times = pd.concat(frames, ignore_index=True)
    assert sorted(times["run_id"]) == sorted(distinct_runs(load_test_config()))
    md = (test_run / "reports/report.md").read_text()
    section = md.split("### Run time of the training jobs", 1)[1]
    assert f"{len(times)} training jobs trained for" in section
    slowest = times.sort_values("seconds", ascending=False).iloc[0]["run_id"]
    assert re.search(rf"^\| `{re.escape(slowest)}` \|", section, re.M)
