"""The train stage: run one variant of a lab (all its seeds) and write its run file."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

from backprop_lab import labs
from backprop_lab.runio import write_run

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BACKPROP_LAB_THREADS",
)


def train_variant(settings_path: str | Path, output: str | Path) -> None:
    settings = json.loads(Path(settings_path).read_text())
    lab = labs.get(settings["lab"])
    # the threads this job runs with (its log shows them; Snakemake sets them from `threads:`)
    pinned = " ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARIABLES)
    print(f"threads: {pinned}", flush=True)
    if lab.uses_torch(settings):
        import torch

        torch.set_num_threads(int(os.environ.get("BACKPROP_LAB_THREADS", "1")))
    result = importlib.import_module(f"{lab.package}.run").run(settings)
    # provenance: the Slurm job this training ran in (None outside Slurm); never tabulated
    result["slurm_job_id"] = os.environ.get("SLURM_JOB_ID")
    write_run(output, settings, result)
    print(f"{lab.name}: wrote {output}")
