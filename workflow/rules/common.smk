# Helpers that turn the config into targets, and the one way a rule runs package code.
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)

from backprop_lab import labs, stages  # noqa: E402
from backprop_lab.configuration import (  # noqa: E402
    ConfigError,
    expand_variants,
    report_params,
    validate_config,
)

try:
    validate_config(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
except ConfigError as err:
    # A plain message and exit status 1, before any job runs: a WorkflowError would add
    # Snakemake's file-and-line trace, which points at this line and not at the config.
    raise SystemExit(f"Invalid configuration: {err}") from None

RUNS = expand_variants(config)
# the labs this config runs, in the registry's (the report's) order
LABS = labs.configured(config)


wildcard_constraints:
    lab="|".join(labs.REGISTRY),
    axis="[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",
    variant="[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",


def run_file(run_id):
    return f"results/runs/{run_id}.json"


def lab_runs(lab):
    return [run_file(r) for r in RUNS if r.startswith(f"{lab}/")]


def settings_file(run_id):
    return f"results/settings/{run_id}.json"


def settings_of(wildcards):
    return RUNS[f"{wildcards.lab}/{wildcards.axis}/{wildcards.variant}"]


def code(stage, lab_names):
    """The package files a stage of these labs runs (derived from their imports): an edit
    to any of them reruns that stage (content, not mtime)."""
    # relative to the working directory, so that a moved or copied checkout keeps its records
    return [os.path.relpath(Path(SRC) / path) for path in stages.stage_files(stage, lab_names)]


def summary_tables(lab):
    return [f"reports/tables/{name}.csv" for name in lab.summary_tables()]


def large_tables(lab):
    return [f"results/tables/{name}.csv" for name in lab.large_tables]


def figure_files(lab):
    return [f"reports/figures/{f.name}.png" for f in lab.figures(config[lab.name])]


def write_if_changed(path, data):
    """Write JSON only when its content changes, so unchanged settings keep their file."""
    text = json.dumps(data, sort_keys=True, indent=1) + "\n"
    path = Path(path)
    if path.exists() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# Each job reads its settings from a file written here (only when changed): no config
# text is ever put into a shell command. `params:` carries the same settings, so that
# Snakemake reruns exactly the jobs whose settings changed.
for _run_id, _settings in RUNS.items():
    write_if_changed(settings_file(_run_id), _settings)
REPORT_SETTINGS = "results/settings/report.json"
write_if_changed(REPORT_SETTINGS, report_params(config))


def section_file(lab):
    """The lab's config section, for its aggregate job (its ledger reads the baseline)."""
    return f"results/settings/{lab.name}.json"


def without_labels(section):
    """The section without the variants' labels: wording must not rerun a lab's tables."""
    axes = {
        axis: {v: {k: x for k, x in p.items() if k != "label"} for v, p in points.items()}
        if "grid" not in points
        else points
        for axis, points in section.get("axes", {}).items()
    }
    return {**section, "axes": axes} if "axes" in section else section


for _lab in LABS:
    write_if_changed(section_file(_lab), without_labels(config[_lab.name]))

# Rules run the package's command line with this checkout's own source (whatever the
# caller's PYTHONPATH holds); the command holds paths only, never config text. The source
# path is relative, like the code inputs: a moved or copied checkout reruns nothing.
CLI = (
    f"PYTHONPATH={shlex.quote(os.path.relpath(SRC))} "
    f"{shlex.quote(sys.executable)} -m backprop_lab.cli"
)
THREADS_ENV = (
    "OMP_NUM_THREADS={threads} MKL_NUM_THREADS={threads} OPENBLAS_NUM_THREADS={threads} "
    "BACKPROP_LAB_THREADS={threads}"
)
