"""`backprop-lab`: the console entry point the Snakemake rules call.

Imports are deferred to each command so that a numpy training job never pays for
pandas, matplotlib or torch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _train(args: argparse.Namespace) -> None:
    settings = json.loads(Path(args.settings).read_text())
    from backprop_lab.runio import write_run

    suite = settings["suite"]
    # suite 2 checks against autograd and the timing job times torch: both always use it
    if settings.get("engine") == "torch" or suite in ("suite2", "timing"):
        import torch

        torch.set_num_threads(int(os.environ.get("BACKPROP_LAB_THREADS", "1")))
    if suite == "suite1":
        from backprop_lab import suite1 as module
    elif suite == "suite2":
        from backprop_lab import suite2 as module
    elif suite == "suite3":
        from backprop_lab import suite3 as module
    elif suite == "timing":
        from backprop_lab import timing as module
    else:
        raise SystemExit(f"unknown suite {suite!r}")
    result = module.run(settings)
    # provenance: the Slurm job this training ran in (None outside Slurm); never tabulated
    result["slurm_job_id"] = os.environ.get("SLURM_JOB_ID")
    write_run(args.output, settings, result)
    print(f"{suite}/{settings['axis']}/{settings['variant']}: wrote {args.output}")


def _aggregate(args: argparse.Namespace) -> None:
    from backprop_lab.aggregate import aggregate

    aggregate(args.runs, args.tables, args.rounds_table)


def _figures(args: argparse.Namespace) -> None:
    from backprop_lab.figures import make_figures

    make_figures(args.tables, args.rounds_table, args.outdir)


def _report(args: argparse.Namespace) -> None:
    from backprop_lab.report import render_report

    render_report(
        tables=args.tables,
        figures=args.figures,
        settings_path=args.settings,
        markdown_path=args.markdown,
        html_path=args.html,
        benchmarks=args.benchmarks,
    )


def _reproduce(args: argparse.Namespace) -> None:
    from backprop_lab.reproduce import reproduce

    status = reproduce(Path(args.source), Path(args.reference), Path(args.workdir), args.cores)
    raise SystemExit(status)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="backprop-lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train one variant and write its run file")
    train.add_argument("--settings", required=True, help="JSON file of the variant's settings")
    train.add_argument("--output", required=True)
    train.set_defaults(func=_train)

    agg = sub.add_parser("aggregate", help="collect run files into tables")
    agg.add_argument("--tables", required=True, help="folder for the summary tables")
    agg.add_argument("--rounds-table", required=True, help="CSV of every round (large)")
    agg.add_argument("runs", nargs="+")
    agg.set_defaults(func=_aggregate)

    fig = sub.add_parser("figures", help="draw the figures from the tables")
    fig.add_argument("--tables", required=True)
    fig.add_argument("--rounds-table", required=True)
    fig.add_argument("--outdir", required=True)
    fig.set_defaults(func=_figures)

    rep = sub.add_parser("report", help="render the Markdown and HTML report")
    rep.add_argument("--tables", required=True)
    rep.add_argument("--figures", required=True)
    rep.add_argument("--settings", required=True, help="JSON file: title, labels, config")
    rep.add_argument("--benchmarks", nargs="*", default=[])
    rep.add_argument("--markdown", required=True)
    rep.add_argument("--html", required=True)
    rep.set_defaults(func=_report)

    check = sub.add_parser(
        "reproduce", help="regenerate the metrics from scratch and compare with the reference"
    )
    check.add_argument("--source", default=".", help="the pipeline to copy (Snakefile's folder)")
    check.add_argument("--reference", default="reports/tables")
    check.add_argument("--workdir", default="results/reproduce")
    check.add_argument("--cores", type=int, default=2)
    check.set_defaults(func=_reproduce)

    args = parser.parse_args(argv)
    # A damaged or foreign input file is the user's to fix, not a bug: one clear line
    # naming the file (it lands in the job's log, which Snakemake prints), no traceback.
    from backprop_lab.runio import RunFileError
    from backprop_lab.tables import TableError

    try:
        args.func(args)
    except (RunFileError, TableError) as err:
        raise SystemExit(f"backprop-lab {args.command}: error: {err}") from None


if __name__ == "__main__":
    sys.exit(main())
