"""`make bench`: where the pipeline's time goes, measured side by side in one run.

Everything is a ratio of two things measured in this same run on this same machine (a
shared, noisy one): the pipeline against its floors (`snakemake --version`, `python -c
"import numpy"`), its cold wall time against the training inside its jobs over a scale
series (the default config, and it plus 400 and 1,600 cheap variants), its wall at many
cores simulated from the measured job times and the DAG, the numpy engine against PyTorch
and against the same arithmetic written inline, and the worked examples' speed targets.
Writes `reports/benchmark.md`.

A tool, not the product: ``PYTHONPATH=tools python -m bench`` (the Makefile's `bench`).

- ``pipeline``: the scale series, a rerun after one change, each job's start-up;
- ``schedule``: the DAG and the list-scheduling simulation, the critical path;
- ``engines``: the engines against each other and against the inline floors;
- ``worked``: the worked examples' speed targets;
- ``render``: the rows, and ``benchmark.md.j2`` the words around them.
"""
