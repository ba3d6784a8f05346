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


def test_a_lab_with_a_long_tail_trains_first() -> None:
    """Two labs on 2 cores: lab a's two 4 s jobs then 10 s of tables; lab b's two 5 s jobs
    then 1 s. Longest first trains b first (0-5 s), b's tables and a1 (5-6, 5-9), a2 (6-10),
    then a's tables: 20 s; by the chain after each job (upward rank) a trains first (0-4),
    its tables run beside b's training (4-14 | 4-9, 9-14), then b's tables: 15 s."""
    jobs = {
        "a1": Job("a1", 4.0, priority=4.0),
        "a2": Job("a2", 4.0, priority=4.0),
        "b1": Job("b1", 5.0, priority=5.0),
        "b2": Job("b2", 5.0, priority=5.0),
        "tables_a": Job("tables_a", 10.0, {"a1", "a2"}, schedule.AFTER_TRAINING),
        "tables_b": Job("tables_b", 1.0, {"b1", "b2"}, schedule.AFTER_TRAINING),
    }
    assert schedule.tails(jobs)["a1"] == 10.0 and schedule.tails(jobs)["b2"] == 1.0
    assert schedule.simulate(jobs, 2) == pytest.approx(20.0)
    ranked = schedule.tail_first(jobs)
    assert ranked["a1"].priority == 14.0 and ranked["b1"].priority == 6.0
    assert ranked["tables_a"].priority == schedule.AFTER_TRAINING
    assert schedule.simulate(ranked, 2) == pytest.approx(15.0)
