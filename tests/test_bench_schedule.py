"""The benchmark's schedule simulation (tools/bench/schedule.py): Snakemake's DAG text
parsed, list scheduling with the pipeline's priorities, the critical path, and seeds split
into jobs. Speed itself is never asserted here; these check the arithmetic."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))

from bench import schedule  # noqa: E402
from bench.schedule import Job  # noqa: E402

# the shape of `snakemake --dag -F`: two training jobs of one lab, its tables, the report
DOT = r"""digraph snakemake_dag {
    graph[bgcolor=white, margin=0];
	0[label = "all", color = "0.24 0.6 0.85", style="rounded"];
	1[label = "report", color = "0.51 0.6 0.85", style="rounded"];
	2[label = "aggregate_hand_222", color = "0.08 0.6 0.85", style="rounded"];
	3[label = "train\naxis: engine\nlab: hand_222\nvariant: numpy", color = "0.6", style="rounded"];
	4[label = "train\naxis: init\nlab: hand_222\nvariant: normal", color = "0.6", style="rounded"];
	2 -> 0
	1 -> 0
	3 -> 2
	4 -> 2
	2 -> 1
	3 -> 1
	4 -> 1
}
"""
SECONDS = {"numpy": 2.0, "normal": 10.0, "aggregate_hand_222": 1.0, "report": 3.0}


def _jobs() -> dict[str, Job]:
    def seconds_of(rule: str, wildcards: dict[str, str]) -> float:
        return SECONDS.get(wildcards.get("variant", rule), 0.0)

    return schedule.jobs_of(DOT, seconds_of)


def test_the_dag_text_gives_each_job_its_rule_wildcards_and_inputs() -> None:
    jobs = _jobs()
    train = "train axis=init lab=hand_222 variant=normal"
    assert jobs[train].seconds == 10.0 and jobs[train].needs == set()
    assert jobs["report"].needs == {
        "aggregate_hand_222",
        train,
        "train axis=engine lab=hand_222 variant=numpy",
    }
    assert jobs["all"].seconds == 0.0
    assert schedule.benchmark_file(
        "train", {"lab": "a", "axis": "b", "variant": "c"}
    ).as_posix() == ("benchmarks/train/a/b/c.tsv")
    assert (
        schedule.benchmark_file("figures_worked", {}).as_posix() == "benchmarks/figures/worked.tsv"
    )


@pytest.mark.parametrize("cores, wall", [(1, 16.0), (2, 14.0), (64, 14.0)])
def test_list_scheduling_wall(cores: int, wall: float) -> None:
    """1 core: every job in turn (16 s); 2 or more: the two trainings side by side, then
    the tables and the report (10 + 1 + 3 s)."""
    assert schedule.simulate(_jobs(), cores) == pytest.approx(wall)


def test_the_critical_path_is_the_longest_chain() -> None:
    seconds, path = schedule.critical_path(_jobs())
    assert seconds == pytest.approx(14.0)
    assert path == [
        "train axis=init lab=hand_222 variant=normal",
        "aggregate_hand_222",
        "report",
        "all",
    ]


def test_longest_first_beats_a_bad_order() -> None:
    """Three jobs of 3, 3 and 6 s on 2 cores: longest first ends at 6 s (6 | 3 + 3); the
    priorities decide, not the order of the DAG text."""
    jobs = {n: Job(n, s, priority=s) for n, s in (("a", 3.0), ("b", 3.0), ("c", 6.0))}
    assert schedule.simulate(jobs, 2) == pytest.approx(6.0)


def test_splitting_seeds_divides_the_work_and_stacks_after_it() -> None:
    jobs = _jobs()
    train = "train axis=init lab=hand_222 variant=normal"
    split = schedule.split_seeds(jobs, {train: 5}, startup=0.5)
    parts = [n for n in split if n.startswith(train + " seed=")]
    assert len(parts) == 5
    assert all(split[p].seconds == pytest.approx((10.0 - 0.5) / 5 + 0.5) for p in parts)
    # the variant's own job stacks: one start-up, after every seed's job
    assert split[train].seconds == 0.5 and split[train].needs == set(parts)
    assert train in split["aggregate_hand_222"].needs and train in split["report"].needs
    # the critical path: a seed's 2.4 s, the stacking, the tables, the report
    assert schedule.critical_path(split)[0] == pytest.approx(2.4 + 0.5 + 1.0 + 3.0)
    assert schedule.simulate(split, 64) < schedule.simulate(jobs, 64)
    # on one core the split only adds start-ups: 5 × 0.5 s more
    assert schedule.simulate(split, 1) == pytest.approx(schedule.simulate(jobs, 1) + 2.5)
