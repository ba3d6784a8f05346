# Helpers that turn the config into targets, and the one way a rule runs package code.
import functools
import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake_interface_executor_plugins.settings import DeploymentMethod

SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)

from backprop_lab import labs, stages  # noqa: E402
from backprop_lab.workspace import export_interpreter, remove_stale_locks  # noqa: E402
from backprop_lab.configuration import (  # noqa: E402
    ConfigError,
    expand_variants,
    experiments,
    report_params,
    type_overrides,
    validate_config,
)

# a run killed with SIGKILL leaves its lock: removed when no other Snakemake runs here, so
# that the next plain run goes on (a live run's lock is kept)
if remove_stale_locks(Path.cwd()):
    print(
        "backprop-lab: removed the lock a killed run left (no other run here)",
        file=sys.stderr,
    )

# nested `--config` values reach the config as text: give them their YAML types
type_overrides(config, workflow.config_settings.overwrite_config)
try:
    WORK = validate_config(
        config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
    )
except ConfigError as err:
    # A plain message and exit status 1, before any job runs: a WorkflowError would add
    # Snakemake's file-and-line trace, which points at this line and not at the config.
    raise SystemExit(f"Invalid configuration: {err}") from None
# the size of the work, before any job runs (the cores of a dry run default to 1)
print(WORK.summary(workflow._cores or 1), file=sys.stderr)

RUNS = expand_variants(config)
# one job per distinct experiment: points with equal settings share their owner's run file
EXPERIMENTS, OWNER = experiments(RUNS)
# the labs this config runs, in the registry's (the report's) order
LABS = labs.configured(config)


wildcard_constraints:
    lab="|".join(labs.REGISTRY),
    axis="[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",
    variant="[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",


def run_file(run_id):
    return f"results/runs/{run_id}.json"


def lab_runs(lab):
    """The run files of the lab's distinct experiments and of those it borrows (each read
    once)."""
    own = [run_file(r) for r in EXPERIMENTS if r.startswith(f"{lab}/")]
    return list(dict.fromkeys(own + [run_file(OWNER[r]) for r in BORROWED[lab]]))


def experiment(run_id):
    """The settings of the experiment this run id owns; a point that shares another's
    experiment has no run file of its own, and the error says whose file it uses."""
    if run_id in EXPERIMENTS:
        return EXPERIMENTS[run_id]
    if run_id in OWNER:
        raise WorkflowError(
            f"{run_id} has the same settings as {OWNER[run_id]}: both use the one run "
            f"file {run_file(OWNER[run_id])}"
        )
    raise WorkflowError(f"{run_id} is no variant of the config")


def settings_file(run_id):
    experiment(run_id)
    return SETTINGS_FILES[run_id]


def run_id_of(wildcards):
    return f"{wildcards.lab}/{wildcards.axis}/{wildcards.variant}"


def seed_runs(wildcards):
    """The run files of a variant's seeds when each trains in a job of its own
    (`seed_jobs: true`), in its seeds' order; none when its seeds train together."""
    run_id = run_id_of(wildcards)
    return [seed_run_file(run_id, seed) for seed in SEED_JOBS.get(run_id, [])]


def split_seeds(seed_jobs, cost):
    """Does `seed_jobs` (true, false or a number of CPU seconds) split a variant of this
    estimate (a budget Cost; None for a lab without an estimate) into one job per seed?
    """
    if isinstance(seed_jobs, bool):
        return seed_jobs
    return cost is not None and cost.cpu_seconds >= seed_jobs


def seed_run_file(run_id, seed):
    return f"results/seeds/{run_id}/seed-{seed}.json"


def train_inputs(wildcards):
    """A variant's job: its settings, its code stamp, and its seeds' run files when each
    seed trains alone (then it stacks them)."""
    return {
        "settings": settings_file(run_id_of(wildcards)),
        "code": code("train", [wildcards.lab]),
        "seed_runs": seed_runs(wildcards),
    }


def seed_inputs(wildcards):
    """A seed's job: that seed's settings and the lab's code stamp."""
    return {
        "settings": SEED_SETTINGS_FILES[(run_id_of(wildcards), int(wildcards.seed))],
        "code": code("train", [wildcards.lab]),
    }


def code(stage, lab_names):
    """The stage's code stamp for these labs (backprop_lab.stages.code_stamp): one file
    named by the digest of the normalised code the stage runs, its only code input. An
    edit that changes the code gives a new file (a new input: the job reruns); a comment,
    docstring or formatting edit gives the same file, untouched (nothing reruns)."""
    return _code(stage, tuple(lab_names))


@functools.cache
def _code(stage, lab_names):
    # once per stage and labs: every train job of a lab has the same stamp
    files = stages.code_stamp(stage, list(lab_names), CODE_CACHE)
    if len(CODE_CACHE) != CODE_CACHE_SIZE[0]:
        CODE_CACHE_SIZE[0] = len(CODE_CACHE)
        stages.save_cache(CODE_CACHE_FILE, CODE_CACHE)
    name = lab_names[0] if len(lab_names) == 1 else "labs"
    return content_file(
        f"results/code/{stage}.{name}",
        {"stage": stage, "labs": list(lab_names), "files": files},
    )


# a file's raw digest -> its normalised digest, kept between runs (see code_stamp)
CODE_CACHE_FILE = Path("results/code/normalised.json")
CODE_CACHE = stages.load_cache(CODE_CACHE_FILE)
CODE_CACHE_SIZE = [len(CODE_CACHE)]


# The order jobs start in (Snakemake runs the ready job of highest priority first): the
# training jobs by their upward rank, the estimate of the job plus that of its lab's
# tables and figures, which can only start after the lab's last training job (list
# scheduling's "longest path to the end first"): the last to start are short, no core
# idles long at the end, and a lab whose tables and figures take long trains early and
# tabulates while the others still train. A lab's tables and figures start as soon as
# they can run.
AFTER_TRAINING = 10**9
LAB_TAILS = {lab.name: lab.tail_seconds() for lab in LABS}


def train_priority(wildcards, share=1.0):
    """Milliseconds of the job's estimate (`share` of it: one seed's) and its lab's tail."""
    run_id = run_id_of(wildcards)
    if run_id not in WORK.costs:
        return 0
    seconds = WORK.costs[run_id].cpu_seconds * share + LAB_TAILS[wildcards.lab]
    return int(seconds * 1000)


def seed_priority(wildcards):
    """A seed's job: its share of the variant's estimate, and its lab's tail."""
    return train_priority(wildcards, 1 / len(SEED_JOBS[run_id_of(wildcards)]))


def summary_tables(lab):
    return [f"reports/tables/{name}.csv" for name in lab.summary_tables()]


def large_tables(lab):
    return [f"results/tables/{name}.csv" for name in lab.large_tables]


def figure_files(lab):
    return [f"reports/figures/{f.name}.png" for f in lab.figures(config[lab.name])]


def content_file(prefix, data):
    """A JSON file named by its content (`<prefix>.<digest>.json`), written once.

    Settings that change get a new file (a new input: the job reruns); settings that change
    back find their old file untouched, so a dry run with another config, or an edit that
    is undone, reruns nothing (a rewritten file's newer mtime would).
    """
    # compact: json's C encoder (with `indent` it encodes in Python: a +1,600 dry run
    # spent a quarter of a second on it)
    text = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = Path(f"{prefix}.{digest}.json")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return path.as_posix()


# Each job reads its settings from a file written here: no config text is ever put into a
# shell command. The file is named by its content, so that Snakemake reruns exactly the
# jobs whose settings changed (a new input); no `params:` repeats them (Snakemake would
# inspect and format them for every job).
SETTINGS_FILES = {
    run_id: content_file(f"results/settings/{run_id}", settings)
    for run_id, settings in EXPERIMENTS.items()
}
REPORT_SETTINGS = content_file("results/settings/report", report_params(config))

# `seed_jobs`: the variants whose seeds train one job each (those of a lab that says how
# its results stack, backprop_lab.stacking; true: every one, a number: those whose
# estimated training CPU is at least that many seconds), and each seed's settings
# (seeds: [k])
SEED_JOBS = {
    run_id: settings["seeds"]
    for run_id, settings in EXPERIMENTS.items()
    if split_seeds(config.get("seed_jobs", False), WORK.costs.get(run_id))
    and len(settings.get("seeds") or []) > 1
    and labs.get(settings["lab"]).replicas
}
SEED_SETTINGS_FILES = {
    (run_id, seed): content_file(
        f"results/settings/{run_id}.seed-{seed}",
        {**EXPERIMENTS[run_id], "seeds": [seed]},
    )
    for run_id, seeds in SEED_JOBS.items()
    for seed in seeds
}


def without_labels(section):
    """The section without the variants' labels: wording must not rerun a lab's tables."""
    axes = {
        axis: (
            {v: {k: x for k, x in p.items() if k != "label"} for v, p in points.items()}
            if "grid" not in points
            else points
        )
        for axis, points in section.get("axes", {}).items()
    }
    return {**section, "axes": axes} if "axes" in section else section


SECTION_FILES = {
    lab.name: content_file(
        f"results/settings/{lab.name}", without_labels(config[lab.name])
    )
    for lab in LABS
}


def section_file(lab):
    """The lab's config section, for its aggregate job (its ledger reads the baseline)."""
    return SECTION_FILES[lab.name]


# Per lab, the run ids of other labs' experiments its tables use too (Lab.borrows): a result
# two labs show is computed by one job.
BORROWED = {lab.name: lab.borrows(RUNS) if lab.borrows else [] for lab in LABS}


# Per lab, every axis point in the config's order (a list: the file's keys are sorted):
# its settings (axis, variant and what changed included) and the run file of its
# experiment, then the points it borrows. The aggregate job reads it.
POINTS_FILES = {
    lab.name: content_file(
        f"results/settings/{lab.name}.points",
        [
            {"settings": settings, "run": run_file(OWNER[run_id])}
            for run_id, settings in RUNS.items()
            if settings["lab"] == lab.name
        ]
        + [
            {"settings": RUNS[run_id], "run": run_file(OWNER[run_id])}
            for run_id in BORROWED[lab.name]
        ],
    )
    for lab in LABS
}


# Rules run the package's command line with this checkout's own source (whatever the
# caller's PYTHONPATH holds); the command holds paths only, never config text, and no path
# of this machine: the source path is relative, like the code inputs, and the interpreter
# reaches the jobs through the environment (this Snakemake's own), so that a moved or
# copied checkout, a second venv or another spelling of the interpreter changes no job's
# command (Snakemake reruns a job whose command changed). With `--sdm conda` it is left
# unset: a job runs its conda environment's `python`.
export_interpreter(
    DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
)
# Jobs keep the package's bytecode (src/**/__pycache__, ignored by git) and reuse it: with
# PYTHONDONTWRITEBYTECODE set, as on some CI hosts and sandboxes, every job would compile
# each of the package's modules it imports from source again (measured on this machine:
# 13 to 40 ms of a 2-2-2 job's 190 to 230 ms).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
CLI = (
    f"PYTHONPATH={shlex.quote(os.path.relpath(SRC))} "
    '"${{BACKPROP_LAB_PYTHON:-python}}" -m backprop_lab.cli'
)
# Snakemake itself exports OMP/MKL/OPENBLAS_NUM_THREADS from `threads:` to every shell
# job; PyTorch's own thread count reads this one (backprop_lab.train)
THREADS_ENV = "BACKPROP_LAB_THREADS={threads}"


def print_report_paths():
    """When a run ends well, say where the report is."""
    for path in REPORT_OUTPUTS:
        if Path(path).exists():
            print(f"backprop-lab: the report is {Path(path).resolve()}")
