"""The train stage: run one variant of a lab (all its seeds) and write its run file; or,
when each of its seeds trained in a job of its own, stack their results into that file
(``backprop_lab.stacking``)."""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path

from backprop_lab import labs
from backprop_lab.runio import write_run

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BACKPROP_LAB_THREADS",
)


def train_variant(
    settings_path: str | Path, output: str | Path, seed_runs: list[str] | None = None
) -> None:
    """Train the variant of `settings_path` into `output`, or, given `seed_runs` (the run
    files of its seeds, in its seeds' order), stack them instead of training."""
    settings = json.loads(Path(settings_path).read_text())
    lab = labs.get(settings["lab"])
    if seed_runs:
        stack_seed_runs(settings, seed_runs, output)
        return
    # the threads this job runs with (its log shows them; Snakemake sets them from `threads:`)
    pinned = " ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARIABLES)
    print(f"threads: {pinned}", flush=True)
    if lab.uses_torch(settings):
        import torch

        torch.set_num_threads(int(os.environ.get("BACKPROP_LAB_THREADS", "1")))
    run = importlib.import_module(f"{lab.package}.run").run
    start = time.perf_counter()
    result = run(settings)
    # the job's own work, for the benchmark's start-up (its wall time minus this)
    print(f"{lab.name}: ran in {time.perf_counter() - start:.6f} s", flush=True)
    # provenance: the Slurm job this training ran in (None outside Slurm); never tabulated
    result["slurm_job_id"] = os.environ.get("SLURM_JOB_ID")
    write_run(output, settings, result)
    print(f"{lab.name}: wrote {output}")


def stack_seed_runs(settings: dict, seed_runs: list[str], output: str | Path) -> None:
    """The variant's run file from its seeds' run files: each must be this variant's run
    of one seed, in the order of its seeds (RunFileError otherwise)."""
    from backprop_lab.runio import RunFileError, read_run
    from backprop_lab.stacking import stack

    lab = labs.get(settings["lab"])
    runs = [read_run(path, lab.result_keys) for path in seed_runs]
    for path, seed, run in zip(seed_runs, settings["seeds"], runs, strict=True):
        if run["settings"] != {**settings, "seeds": [seed]}:
            raise RunFileError(f"{path}: not the run of seed {seed} of {settings['lab']}")
    result = stack([run["result"] for run in runs], lab.replicas)
    write_run(output, settings, result)
    print(f"{lab.name}: stacked {len(runs)} seeds' runs into {output}")
