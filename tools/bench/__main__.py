"""`python -m bench` (with tools/ and src/ on PYTHONPATH): the benchmark; see bench."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from bench import engines, pipeline, render, worked


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--source", default=".")
    parser.add_argument("--workdir", default="results/bench")
    parser.add_argument("--output", default="reports/benchmark.md")
    parser.add_argument(
        "--skip-pipeline",
        action="store_true",
        help="measure the engines only (seconds instead of minutes)",
    )
    parser.add_argument(
        "--extra",
        default="",
        help="the scale series' extra variants, comma-separated (default: 0,400,1600)",
    )
    parser.add_argument(
        "--cold",
        default="",
        help="the extra counts that run cold, comma-separated (default: all; the others "
        "only their dry run)",
    )
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as in the pipeline's jobs (threads: 1)
    source, workdir = Path(args.source).resolve(), Path(args.workdir).resolve()
    measured = engines.engine_times()
    measured["pinning"] = engines.pinning_cost()
    measured["worked"] = worked.measure(source)
    if args.skip_pipeline:
        print(yaml.safe_dump(measured))
        return
    extras = tuple(int(n) for n in args.extra.split(",")) if args.extra else pipeline.EXTRA_VARIANTS
    measured["worked"] |= worked.cold_pipeline(source, workdir / "worked")
    cold = tuple(int(n) for n in args.cold.split(",")) if args.cold else None
    times = pipeline.pipeline_times(source, workdir, extras, cold)
    text = render.markdown(times, measured)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
