"""One job per distinct experiment: axis points with equal settings share one run file,
and a lab's aggregate reads each run file once."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_pipeline, snakemake
from test_config_validation import TINY

from backprop_lab import aggregate as aggregate_stage
from backprop_lab import labs
from backprop_lab.configuration import expand_variants, experiments
from backprop_lab.labs.hand_222 import run as hand_222_run
from backprop_lab.lab import experiment_of
from backprop_lab.runio import read_run, write_run


def _hand_222_only(axes: dict) -> dict:
    config = copy.deepcopy(TINY)
    for lab in labs.REGISTRY:
        if lab != "hand_222":
            config.pop(lab, None)
    config["hand_222"]["axes"] = axes
    return config


# `other/sigmoid` is the baseline again, as `base/numpy` is (the axes in alphabetical
# order: the test's config file is written with sorted keys)
AXES = {
    "base": {"numpy": {"engine": "numpy"}},
    "other": {"sigmoid": {}, "relu": {"hidden_activation": "relu"}},
}


def _train_jobs(work: Path) -> list[str]:
    done = snakemake(work, "-n", "--cores", "1", "-p")
    text = done.stdout + done.stderr
    return sorted(set(re.findall(r"--output (results/runs/\S+\.json)", text)))


def test_equal_settings_are_one_experiment_owned_by_the_first_point() -> None:
    runs = expand_variants(_hand_222_only(AXES))
    distinct, owner = experiments(runs)
    assert list(distinct) == ["hand_222/base/numpy", "hand_222/other/relu"]
    assert owner["hand_222/other/sigmoid"] == "hand_222/base/numpy"
    assert distinct["hand_222/base/numpy"] == experiment_of(runs["hand_222/other/sigmoid"])
    assert "axis" not in distinct["hand_222/base/numpy"]


def test_two_points_with_equal_settings_run_one_job_and_both_are_tabulated(
    tmp_path: Path,
) -> None:
    work = copy_pipeline(tmp_path / "w", _hand_222_only(AXES))
    assert _train_jobs(work) == [
        "results/runs/hand_222/base/numpy.json",
        "results/runs/hand_222/other/relu.json",
    ]
    snakemake(work, "--cores", "2", "reports/tables/hand_222_summary.csv")
    summary = pd.read_csv(work / "reports/tables/hand_222_summary.csv")
    by_run = summary.set_index("run_id")
    assert {"hand_222/base/numpy", "hand_222/other/sigmoid"} <= set(by_run.index)
    for column in ("final_loss", "min_loss", "round_within_1pct", "settings_key"):
        assert (
            by_run.loc["hand_222/base/numpy", column]
            == by_run.loc["hand_222/other/sigmoid", column]
        )
    assert by_run.loc["hand_222/other/sigmoid", "axis"] == "other"
    # a step change on one of them splits them: two jobs, and only the new one runs
    axes = copy.deepcopy(AXES)
    axes["other"]["sigmoid"] = {"step": 0.5}
    (work / "config" / "config.yaml").write_text(json.dumps(_hand_222_only(axes)))
    assert _train_jobs(work) == ["results/runs/hand_222/other/sigmoid.json"]


def test_the_aggregate_reads_each_run_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five axis points over two experiments: two reads, one per file."""
    runs = expand_variants(
        _hand_222_only(
            {
                **AXES,
                "again": {"base": {}, "relu": {"hidden_activation": "relu"}},
            }
        )
    )
    distinct, owner = experiments(runs)
    assert len(runs) == 5 and len(distinct) == 2
    files = {}
    for run_id, settings in distinct.items():
        files[run_id] = str(tmp_path / f"{run_id.replace('/', '_')}.json")
        write_run(files[run_id], settings, hand_222_run.run(settings))
    points = [{"settings": s, "run": files[owner[r]]} for r, s in runs.items()]
    (tmp_path / "points.json").write_text(json.dumps(points))
    (tmp_path / "section.json").write_text(json.dumps(TINY["hand_222"]))
    reads: list[str] = []

    def counting(path: str, *args: object, **kwargs: object) -> dict:
        reads.append(str(path))
        return read_run(path, *args, **kwargs)

    monkeypatch.setattr(aggregate_stage, "read_run", counting)
    aggregate_stage.aggregate(
        "hand_222",
        str(tmp_path / "section.json"),
        str(tmp_path / "points.json"),
        list(files.values()),
        str(tmp_path / "tables"),
        str(tmp_path / "large"),
    )
    assert sorted(reads) == sorted(files.values())
    summary = pd.read_csv(tmp_path / "tables" / "hand_222_summary.csv")
    assert list(summary["run_id"]) == list(runs)
    assert summary.groupby("settings_key")["final_loss"].nunique().max() == 1


def test_a_long_per_variant_table_is_cut_and_links_its_csv() -> None:
    """A sweep of hundreds of variants keeps the report readable: at most LONG_TABLE rows
    in the text, then how many are left out and the CSV that has them all."""
    from backprop_lab import report

    env = report._environment()
    template = env.from_string(
        "{% for r in rows[:long_table] %}| {{ r }} |\n{% endfor %}"
        '{{ more_rows(rows, "hand_222_summary") }}'
    )
    short = template.render(rows=list(range(report.LONG_TABLE)))
    assert short.count("|\n") == report.LONG_TABLE and "left out" not in short
    long = template.render(rows=list(range(report.LONG_TABLE + 7)))
    assert long.count("|\n") == report.LONG_TABLE
    assert "7 more rows are left out here" in long
    assert "[`tables/hand_222_summary.csv`](tables/hand_222_summary.csv)" in long


def test_a_loss_figure_of_many_variants_has_no_legend() -> None:
    import numpy as np

    from backprop_lab.labs.hand_222 import figures

    n = figures.MAX_LEGEND + 1
    summary = pd.DataFrame(
        {"run_id": [f"hand_222/sweep/v{i}" for i in range(n)], "axis": "sweep", "rounds": 10}
    )
    summary["variant"] = summary["run_id"].str.rsplit("/", n=1).str[-1]
    rounds = pd.DataFrame(
        [
            {"run_id": r, "seed_key": "-", "round": k, "loss": 1.0 / (k + i)}
            for i, r in enumerate(summary["run_id"])
            for k in range(1, 11)
        ]
    )
    fig = figures.loss_curves(rounds, summary, "sweep")
    ax = fig.axes[0]
    assert ax.get_legend() is None and len(ax.lines) == n
    assert len({tuple(np.round(line.get_color(), 6)) for line in ax.lines}) == n
    few = figures.loss_curves(rounds[rounds.run_id.isin(summary.run_id[:3])], summary[:3], "sweep")
    assert few.axes[0].get_legend() is not None
