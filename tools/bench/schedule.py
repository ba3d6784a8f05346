"""The pipeline's wall at many cores, simulated from measured job times and the DAG.

The DAG is Snakemake's own (`snakemake --dag -F`, Graphviz text: a node per job labelled
with its rule and wildcards, an edge ``a -> b`` when a job's output is an input of b); each
job's time is its benchmark file's wall seconds from a cold run. The simulation is list
scheduling as Snakemake runs the jobs: whenever a core is free, the ready job of highest
priority starts (``tail_first``: a training job's time plus the longest chain after it,
its lab's tables and figures and the report, as ``train_priority`` orders them by their
estimates; tables, figures and the report before any training job). Its lower bounds are
the critical path (the longest chain of dependent jobs) and the summed job time ÷ cores.

Splitting a variant's seeds into separate jobs (`seed_jobs: true`) is simulated the same
way: a seeded training job of S seeds becomes S jobs of (wall − start-up) ÷ S + start-up
each, and a job of one start-up that stacks their results.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from pathlib import Path

NODE = re.compile(r'^\s*(\d+)\[label = "([^"]*)"', re.MULTILINE)
EDGE = re.compile(r"^\s*(\d+) -> (\d+)\s*$", re.MULTILINE)
# tables, figures and report run before any ready training job (common.smk's AFTER_TRAINING)
AFTER_TRAINING = float("inf")


@dataclass
class Job:
    name: str  # the rule, then its wildcards: "train lab=hand_222 axis=engine variant=numpy"
    seconds: float
    needs: set[str] = field(default_factory=set)
    priority: float = 0.0


def parse_dag(dot: str) -> tuple[dict[str, tuple[str, dict[str, str]]], list[tuple[str, str]]]:
    """Graphviz text of `snakemake --dag` -> ({node: (rule, wildcards)}, [(input, job)])."""
    nodes = {}
    for node, label in NODE.findall(dot):
        rule, *pairs = label.split("\\n")
        nodes[node] = (rule, dict(p.split(": ", 1) for p in pairs))
    return nodes, EDGE.findall(dot)


def job_name(rule: str, wildcards: dict[str, str]) -> str:
    return " ".join([rule, *(f"{k}={v}" for k, v in sorted(wildcards.items()))])


def benchmark_file(rule: str, wildcards: dict[str, str]) -> Path | None:
    """Where the rule's benchmark file lies (workflow/rules: benchmark:), None for a rule
    without one (``all``, which does no work)."""
    if rule == "train":
        return (
            Path("benchmarks/train")
            / wildcards["lab"]
            / wildcards["axis"]
            / (wildcards["variant"] + ".tsv")
        )
    for stage in ("aggregate", "figures"):
        if rule.startswith(stage + "_"):
            return Path("benchmarks") / stage / (rule.removeprefix(stage + "_") + ".tsv")
    if rule == "report":
        return Path("benchmarks/report.tsv")
    return None


def jobs_of(dot: str, seconds_of) -> dict[str, Job]:
    """The DAG's jobs with their measured seconds (`seconds_of(rule, wildcards)`); a rule
    without a benchmark takes 0 s."""
    nodes, edges = parse_dag(dot)
    jobs = {}
    for rule, wildcards in nodes.values():
        name = job_name(rule, wildcards)
        seconds = seconds_of(rule, wildcards)
        jobs[name] = Job(name, seconds, priority=seconds if rule == "train" else AFTER_TRAINING)
    for a, b in edges:
        jobs[job_name(*nodes[b])].needs.add(job_name(*nodes[a]))
    return jobs


def simulate(jobs: dict[str, Job], cores: int) -> float:
    """The wall of list scheduling on `cores` (see the module's docstring)."""
    waiting = {name: set(job.needs) for name, job in jobs.items()}
    users: dict[str, list[str]] = {name: [] for name in jobs}
    for name, job in jobs.items():
        for need in job.needs:
            users[need].append(name)
    ready = [(-jobs[n].priority, n) for n, w in waiting.items() if not w]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now = 0.0
    while ready or running:
        while ready and len(running) < cores:
            _, name = heapq.heappop(ready)
            heapq.heappush(running, (now + jobs[name].seconds, name))
        now, done = heapq.heappop(running)
        for user in users[done]:
            waiting[user].discard(done)
            if not waiting[user]:
                heapq.heappush(ready, (-jobs[user].priority, user))
    return now


def tails(jobs: dict[str, Job]) -> dict[str, float]:
    """Per job, the longest chain of jobs that must run after it (seconds; its upward
    rank without its own time)."""
    users: dict[str, list[str]] = {name: [] for name in jobs}
    for name, job in jobs.items():
        for need in job.needs:
            users[need].append(name)
    after: dict[str, float] = {}

    def longest(name: str) -> float:
        if name not in after:
            after[name] = max((jobs[u].seconds + longest(u) for u in users[name]), default=0.0)
        return after[name]

    for name in jobs:
        longest(name)
    return after


def tail_first(jobs: dict[str, Job]) -> dict[str, Job]:
    """The jobs with each training job's priority raised by the chain after it (its
    lab's tables, figures and the report): list scheduling by upward rank, so that a lab
    whose tables take long finishes its training early and tabulates while the others
    train."""
    after = tails(jobs)
    return {
        name: Job(
            name,
            job.seconds,
            set(job.needs),
            job.priority if job.priority == AFTER_TRAINING else job.priority + after[name],
        )
        for name, job in jobs.items()
    }


def critical_path(jobs: dict[str, Job]) -> tuple[float, list[str]]:
    """The longest chain of dependent jobs: its seconds and its jobs, first to last."""
    best: dict[str, tuple[float, list[str]]] = {}

    def longest(name: str) -> tuple[float, list[str]]:
        if name not in best:
            before = max((longest(n) for n in jobs[name].needs), default=(0.0, []))
            best[name] = (before[0] + jobs[name].seconds, [*before[1], name])
        return best[name]

    return max((longest(n) for n in jobs), key=lambda t: t[0])


def split_seeds(jobs: dict[str, Job], seeds: dict[str, int], startup: float) -> dict[str, Job]:
    """The jobs as `seed_jobs: true` runs them: each training job of S > 1 seeds (`seeds`:
    job name -> S) becomes S seed jobs of (seconds − startup) ÷ S + startup, and the job
    itself only stacks their results (one start-up) once they are done."""
    out: dict[str, Job] = {}
    for name, job in jobs.items():
        n = seeds.get(name, 1)
        if n <= 1:
            out[name] = Job(name, job.seconds, set(job.needs), job.priority)
            continue
        each = max(job.seconds - startup, 0.0) / n + startup
        parts = {f"{name} seed={k}" for k in range(n)}
        for part in parts:
            out[part] = Job(part, each, set(job.needs), each)
        out[name] = Job(name, startup, set(job.needs) | parts, job.priority)
    return out
