"""`backprop-lab`: the console entry point the Snakemake rules call.

Imports are deferred to each command so that a numpy training job never pays for
pandas, matplotlib or torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

# stdlib only; a real import, so that every stage's derived code includes it (it decides
# the kernels every job computes with)
from backprop_lab.kernels import pin


# commands that run pipelines rather than compute
ORCHESTRATION = ("reproduce", "reference")


def _stage(module: str) -> ModuleType:
    """The module of a stage, imported only when its command runs. By name, so that a
    stage's derived code inputs (backprop_lab.stages) do not include every other stage."""
    return importlib.import_module(f"backprop_lab.{module}")


def _train(args: argparse.Namespace) -> None:
    _stage("train").train_variant(args.settings, args.output, args.seed_runs)


def _aggregate(args: argparse.Namespace) -> None:
    _stage("aggregate").aggregate(
        args.lab, args.settings, args.points, args.runs, args.tables, args.large
    )


def _figures(args: argparse.Namespace) -> None:
    _stage("figures").make_figures(args.lab, args.tables, args.large, args.outdir)


def _report(args: argparse.Namespace) -> None:
    _stage("report").render_report(
        tables=args.tables,
        figures=args.figures,
        settings_path=args.settings,
        markdown_path=args.markdown,
        html_path=args.html,
        reference=args.reference,
    )


def _reproduce(args: argparse.Namespace) -> None:
    reproduce = _stage("reproduce").reproduce
    raise SystemExit(
        reproduce(
            Path(args.source), Path(args.reference), Path(args.workdir), args.cores, args.tier
        )
    )


def _reference(args: argparse.Namespace) -> None:
    make = _stage("reference").make_reference
    members = [m for m in args.members.split(",") if m]
    if args.lab:
        update = _stage("reference").update_reference
        raise SystemExit(
            update(
                Path(args.source),
                Path(args.dest),
                Path(args.workdir),
                args.cores,
                members,
                args.lab,
                args.resume,
            )
        )
    raise SystemExit(
        make(
            Path(args.source),
            Path(args.dest),
            Path(args.workdir),
            args.cores,
            members,
            args.resume,
        )
    )


def _claims(args: argparse.Namespace) -> None:
    _stage("reference").write_claims(Path(args.tables), Path(args.settings), Path(args.output))


def _kernels(args: argparse.Namespace) -> None:
    import json

    print(json.dumps(_stage("kernels").fingerprint(), indent=1, sort_keys=True))


def _pipeline_copy(parser: argparse.ArgumentParser, workdir: str) -> None:
    """The options of a command that runs a copy of the pipeline from scratch."""
    parser.add_argument("--source", default=".", help="the pipeline to copy (Snakefile's folder)")
    parser.add_argument("--workdir", default=workdir, help="where the copy runs (emptied first)")
    parser.add_argument("--cores", type=int, default=2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="backprop-lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train one variant and write its run file")
    train.add_argument("--settings", required=True, help="JSON file of the variant's settings")
    train.add_argument("--output", required=True)
    train.add_argument(
        "--seed-runs",
        nargs="*",
        default=[],
        help="the run files of the variant's seeds, each trained alone: stacked, not trained",
    )
    train.set_defaults(func=_train)

    agg = sub.add_parser("aggregate", help="collect one lab's run files into its tables")
    agg.add_argument("--lab", required=True, help="the lab (its name in the registry)")
    agg.add_argument("--settings", required=True, help="JSON file: the lab's config section")
    agg.add_argument(
        "--points", required=True, help="JSON file: every axis point and its experiment's run file"
    )
    agg.add_argument("--tables", required=True, help="folder for the summary tables")
    agg.add_argument("--large", required=True, help="folder for the large tables")
    agg.add_argument("runs", nargs="+")
    agg.set_defaults(func=_aggregate)

    fig = sub.add_parser("figures", help="draw one lab's figures from its tables")
    fig.add_argument("--lab", required=True, help="the lab (its name in the registry)")
    fig.add_argument("--tables", required=True)
    fig.add_argument("--large", required=True)
    fig.add_argument("--outdir", required=True)
    fig.set_defaults(func=_figures)

    rep = sub.add_parser("report", help="render the Markdown and HTML report")
    rep.add_argument("--tables", required=True)
    rep.add_argument("--figures", required=True)
    rep.add_argument("--settings", required=True, help="JSON file: title, labels, config")
    rep.add_argument("--markdown", required=True)
    rep.add_argument("--html", required=True)
    rep.add_argument(
        "--reference", default="reports/reference", help="the committed reference's folder"
    )
    rep.set_defaults(func=_report)

    check = sub.add_parser(
        "reproduce", help="regenerate the metrics from scratch and compare with the reference"
    )
    _pipeline_copy(check, "results/reproduce")
    check.add_argument("--reference", default="reports/reference")
    check.add_argument(
        "--tier",
        choices=("auto", "same", "another"),
        default="auto",
        help="auto: the same-kind tier where the kernels are the reference's",
    )
    check.set_defaults(func=_reproduce)

    ref = sub.add_parser(
        "reference",
        help="make the committed reference: a pinned run and its perturbation ensemble",
    )
    _pipeline_copy(ref, "results/reference")
    ref.add_argument("--dest", default="reports/reference")
    ref.add_argument(
        "--members",
        default="native,sandybridge,mixed,nehalem",
        help="the ensemble's kernel sets (backprop_lab.reference.ENSEMBLE), comma-separated",
    )
    ref.add_argument(
        "--resume",
        action="store_true",
        help="take the runs that already finished in --workdir (after an interruption)",
    )
    ref.add_argument(
        "--lab",
        help="remake only this lab's tables and classes in --dest (the others stay as they are)",
    )
    ref.set_defaults(func=_reference)

    claims = sub.add_parser("claims", help="write every claim's verdict on a folder of tables")
    claims.add_argument("--tables", required=True)
    claims.add_argument("--settings", required=True, help="JSON file: the report job's settings")
    claims.add_argument("--output", required=True)
    claims.set_defaults(func=_claims)

    kern = sub.add_parser(
        "kernels", help="print (JSON) the numerical kernels this process runs, pinned as jobs"
    )
    kern.set_defaults(func=_kernels)

    args = parser.parse_args(argv)
    # before any stage imports numpy or torch: every job computes with the pinned kernels;
    # the check and the reference only start pipelines, whose jobs pin themselves (and an
    # ensemble member's kernels must not inherit the pins)
    if args.command not in ORCHESTRATION:
        pin()
    # A damaged or foreign input file is the user's to fix, not a bug: one clear line
    # naming the file (it lands in the job's log, which Snakemake prints), no traceback.
    try:
        args.func(args)
    except ValueError as err:
        from backprop_lab.runio import RunFileError
        from backprop_lab.tables import TableError  # only now: a training job never loads it

        if isinstance(err, RunFileError | TableError):
            raise SystemExit(f"backprop-lab {args.command}: error: {err}") from None
        raise


if __name__ == "__main__":
    sys.exit(main())
