"""Which package files each pipeline stage runs.

The Snakemake rules list these as inputs, so an edit to the engine reruns training and
what follows, while an edit to a template reruns only the report. Inputs under 1 MB are
checksummed by Snakemake, so only a change of content counts, not a touch.
"""

ENGINE = [
    "backprop_lab/functions.py",
    "backprop_lab/network.py",
    "backprop_lab/numpy_engine.py",
    "backprop_lab/torch_engine.py",
    "backprop_lab/training.py",
    "backprop_lab/engines.py",
    "backprop_lab/suite1.py",
    "backprop_lab/suite2.py",
    "backprop_lab/suite3.py",
    "backprop_lab/timing.py",
    "backprop_lab/data.py",
    "backprop_lab/gradcheck.py",
    "backprop_lab/runio.py",
    "backprop_lab/atomic.py",
]

STAGE_CODE = {
    "train": ENGINE,
    "aggregate": [
        "backprop_lab/aggregate.py",
        "backprop_lab/runio.py",
        "backprop_lab/tables.py",
        "backprop_lab/atomic.py",
    ],
    "figures": ["backprop_lab/figures.py", "backprop_lab/tables.py"],
    "report": [
        "backprop_lab/report.py",
        "backprop_lab/reproduce.py",
        "backprop_lab/observations.py",
        "backprop_lab/templates/report.md.j2",
        "backprop_lab/templates/report.html.j2",
    ],
}
