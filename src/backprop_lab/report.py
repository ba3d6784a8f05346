"""Render the lab report: one jinja2 context, Markdown first, the HTML made from it.

The HTML is the Markdown converted by python-markdown and wrapped in a page whose
figures are inlined as data: URIs, so the two formats cannot disagree and the HTML
needs nothing beyond its own file.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import math
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import markdown
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown.extensions.toc import slugify
from markupsafe import Markup

from backprop_lab import labs, ledger
from backprop_lab.atomic import write_text_atomic
from backprop_lab.findings import VERDICTS, Claim, collect_claims
from backprop_lab.formatting import code, md_text, num, pct
from backprop_lab.reproduce import changed_since_reference
from backprop_lab.tables import load_tables

TEMPLATES = Path(__file__).parent / "templates"

PACKAGES = ("numpy", "pandas", "matplotlib", "jinja2", "markdown", "torch", "snakemake")
MARKDOWN_EXTENSIONS = ["tables", "toc", "attr_list", "sane_lists"]


def render_report(
    tables: str,
    figures: str,
    settings_path: str,
    markdown_path: str,
    html_path: str,
    reference: str = "reports/reference",
) -> None:
    settings = json.loads(Path(settings_path).read_text())
    context = build_context(tables, figures, Path(markdown_path).parent, settings, Path(reference))
    md_text = render_markdown(context)
    write_text_atomic(markdown_path, md_text)
    write_text_atomic(html_path, render_html(md_text, context["title"], Path(markdown_path).parent))


def build_context(
    tables_dir: str,
    figures_dir: str,
    report_dir: Path,
    settings: dict[str, Any],
    reference: Path = Path("reports/reference"),
) -> dict[str, Any]:
    """The report's context: one entry per lab the config ran, in the registry's order."""
    figures = Path(figures_dir)
    rel = Path(os.path.relpath(figures.resolve(), report_dir.resolve())).as_posix()
    labels = settings.get("labels", {})
    config = settings["config"]
    sections, run_times = [], []
    for name in settings["labs"]:
        lab = labs.get(name)
        tables = load_tables(tables_dir, lab.summary_tables())
        run_times.append(tables[lab.run_times_table])
        findings = importlib.import_module(f"{lab.package}.findings")
        context = findings.context(tables, config[lab.name], config, labels)
        sections.append(
            {
                "name": lab.name,
                "title": lab.title,
                "anchor": slugify(lab.title, "-"),
                "template": f"{lab.name}/section.md.j2",
                # long per-variant tables, after the lab's findings and its ledger
                "appendix": f"{lab.name}/appendix.md.j2"
                if (lab.folder / "appendix.md.j2").exists()
                else None,
                **context,
                "claims_found": collect_claims(context),
                "ledger": _ledger(tables.get(f"{lab.name}_ledger"), f"{lab.name}_ledger"),
            }
        )
    return {
        "title": settings["title"],
        "labels": labels,
        "fig": lambda name: f"{rel}/{name}.png",
        "labs": sections,
        "provenance": provenance(settings, run_times, Path(tables_dir), reference),
        "benchmark": _benchmark_appendix(report_dir / "benchmark.md"),
    }


def claim_counts(claims: list[Claim]) -> dict[str, int]:
    counts = dict.fromkeys(VERDICTS, 0)
    for c in claims:
        counts[c.verdict] += 1
    return counts


# verdicts a reader should look at first: listed one by one even in a long ledger
ATTENTION = (ledger.INCONSISTENT, ledger.OUTSIDE_SPREAD, ledger.DEVIATION)
# a number in a reason's text, masked to group the reasons: not a digit of a name
# ("float32", "d_w5", "x[0]" stay as they are)
NUMBER_IN_TEXT = re.compile(r"(?<![\w\[.])[-−]?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w\]])")
# a ledger this long is summarised by block in the report, and given whole in its CSV
LEDGER_ROWS_SHOWN = 60


def _ledger(frame: Any, name: str) -> dict[str, Any] | None:
    """The lab's ledger for the report: counts per verdict, and its rows (a long ledger:
    a summary per block, verdict and reason, plus the rows to look at first)."""
    if frame is None:
        return None
    rows = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in frame.to_dict("records")
    ]
    complete = len(rows) <= LEDGER_ROWS_SHOWN
    groups: dict[tuple[str, str, str], int] = {}
    for r in rows:
        # the reason without its row's numbers: "the bias gradient … × the layer's input"
        reason = r["explanation"].split(";")[0]
        reason = NUMBER_IN_TEXT.sub("…", reason)
        key = (r["block"], r["verdict"], reason)
        groups[key] = groups.get(key, 0) + 1
    return {
        "table": name,
        "counts": ledger.summary(rows),
        "total": len(rows),
        "complete": complete,
        "rows": rows if complete else [r for r in rows if r["verdict"] in ATTENTION],
        "groups": [
            {"block": b, "verdict": v, "reason": reason, "count": n}
            for (b, v, reason), n in groups.items()
        ],
    }


def _benchmark_appendix(path: Path) -> str | None:
    """`make bench`'s table, if it has been run, with its heading dropped."""
    if not path.exists():
        return None
    lines = path.read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("# ")).strip()


# A per-variant table or list in the text shows at most this many rows; the rest are in
# the table's CSV, linked from the text (a sweep of hundreds of variants stays readable)
LONG_TABLE = 40


def _environment() -> Environment:
    env = Environment(
        # the report's frame, then each lab's folder (its section is <lab>/section.md.j2)
        loader=FileSystemLoader([TEMPLATES, labs.__path__[0]]),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown: config text goes through the md filter instead
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=num, md=md_text, pct=pct, code=code)
    # globals first: the macros' module sees the globals there are when it is made
    env.globals.update(
        claim_counts=claim_counts, ledger_verdicts=ledger.VERDICTS, long_table=LONG_TABLE
    )
    macros = env.get_template("macros.md.j2").module
    env.globals.update(
        claim=macros.claim,
        ledger_section=macros.ledger_section,
        more_rows=macros.more_rows,
        round1_tables=macros.round1_tables,
    )
    return env


def render_markdown(context: dict[str, Any]) -> str:
    text = _environment().get_template("report.md.j2").render(**context)
    return re.sub(r"\n{3,}", "\n\n", text)


def render_html(md_text_: str, title: str, report_dir: Path) -> str:
    body = markdown.markdown(md_text_, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    body = _inline_images(body, report_dir)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
    )
    return env.get_template("report.html.j2").render(title=title, body=Markup(body))


def _inline_images(html: str, report_dir: Path) -> str:
    def inline(match: re.Match[str]) -> str:
        path = report_dir / match.group(1)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'src="data:image/png;base64,{data}"'

    return re.sub(r'src="([^":]+\.png)"', inline, html)


# --- provenance --------------------------------------------------------------------


# the report lists this many of the slowest training jobs (all: the labs' run-times tables)
JOBS_SHOWN = 15


def provenance(
    settings: dict[str, Any], run_times: list[pd.DataFrame], tables_dir: Path, reference: Path
) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "config_digest": settings["config_digest"],
        "versions": versions,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": _git_state(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "jobs": _job_times(run_times),
        "changes": changed_since_reference(tables_dir, reference),
        "reference": reference_summary(reference),
    }


def reference_summary(reference: Path) -> dict[str, Any] | None:
    """Where the committed reference was made, its kernels, its ensemble, the number of
    values per class and its fragile claims (with the ensemble's verdicts: their margin)."""
    from backprop_lab import reference as ref
    from backprop_lab.reproduce import kernel_summary

    folder = ref.ReferenceFolder(reference)
    recorded = folder.provenance()
    if not recorded:
        return None
    claims = folder.claims()
    fragile = [] if claims is None else claims[claims["fragile"] == "true"].to_dict("records")
    classes = folder.classes()
    return {
        "made": recorded["made"],
        "commit": recorded["commit"],
        "cpu": recorded["kernels"].get("cpu"),
        "kernels": kernel_summary(recorded["kernels"]),
        "ensemble": recorded["ensemble"],
        "classes": recorded["values_per_class"],
        "fragile": fragile,
        # the values the ensemble itself changed (text: verdicts, stop reasons)
        "fragile_values": [
            {"table": t, "where": g, "column": c}
            for (t, g, c), (k, _) in classes.items()
            if k == ref.FRAGILE
        ],
        "rules": {
            "safety": ref.SAFETY,
            "floor64": ref.FLOOR["float64"],
            "floor32": ref.FLOOR["float32"],
            "t_max": ref.T_MAX,
            "sd_ratio": ref.SD_RATIO,
            "decades": ref.ROUNDOFF_DECADES,
            "ceiling": ref.ROUNDOFF_CEILING,
            "level64": ref.ROUNDOFF_LEVEL["float64"],
            "level32": ref.ROUNDOFF_LEVEL["float32"],
            "chaos_ratio": ref.CHAOS_RATIO,
        },
    }


def _git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise OSError(done.stderr.strip())
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(
            git(
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "src",
                "workflow",
                "Snakefile",
                "config",
            )
        )
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown (not a git checkout)", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def _job_times(run_times: list[pd.DataFrame], shown: int = JOBS_SHOWN) -> dict[str, Any]:
    """The training jobs' times from the labs' run-times tables (each run file's own
    ``seconds``: the training inside the job, without its start-up): their number and
    sum, and the `shown` slowest (the timing lab's job reports none: it is all timing)."""
    frame = pd.concat(run_times, ignore_index=True) if run_times else pd.DataFrame()
    if frame.empty:
        return {"count": 0, "total": 0.0, "slowest": [], "shown": shown}
    seconds = pd.to_numeric(frame["seconds"], errors="coerce")
    slowest = frame.assign(seconds=seconds).sort_values(
        "seconds", ascending=False, na_position="last", kind="stable"
    )
    return {
        "count": len(frame),
        "total": float(seconds.sum()),
        "slowest": [
            {"job": r["run_id"], "seconds": None if pd.isna(r["seconds"]) else r["seconds"]}
            for r in slowest.head(shown).to_dict("records")
        ],
        "shown": shown,
    }
