"""Render the lab report: one jinja2 context, Markdown first, the HTML made from it.

The HTML is the Markdown converted by python-markdown and wrapped in a page whose
figures are inlined as data: URIs, so the two formats cannot disagree and the HTML
needs nothing beyond its own file.
"""

from __future__ import annotations

import base64
import datetime as dt
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
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from backprop_lab.atomic import write_text_atomic
from backprop_lab.observations import (
    hand_calculation,
    suite1_findings,
    suite2_findings,
    suite3_findings,
    timing_findings,
)
from backprop_lab.reproduce import changed_since_reference
from backprop_lab.tables import load_tables

PACKAGES = ("numpy", "pandas", "matplotlib", "jinja2", "markdown", "torch", "snakemake")
MARKDOWN_EXTENSIONS = ["tables", "toc", "attr_list", "sane_lists"]


def render_report(
    tables: str,
    figures: str,
    settings_path: str,
    markdown_path: str,
    html_path: str,
    benchmarks: list[str] | None = None,
) -> None:
    settings = json.loads(Path(settings_path).read_text())
    context = build_context(tables, figures, Path(markdown_path).parent, settings, benchmarks or [])
    md_text = render_markdown(context)
    write_text_atomic(markdown_path, md_text)
    write_text_atomic(html_path, render_html(md_text, context["title"], Path(markdown_path).parent))


def build_context(
    tables_dir: str,
    figures_dir: str,
    report_dir: Path,
    settings: dict[str, Any],
    benchmarks: list[str],
) -> dict[str, Any]:
    tables = load_tables(tables_dir)
    figures = Path(figures_dir)
    rel = Path(os.path.relpath(figures.resolve(), report_dir.resolve())).as_posix()
    summary = tables["suite1_summary"]
    labels = settings.get("labels", {})
    config = settings["config"]
    return {
        "title": settings["title"],
        "labels": labels,
        "fig": lambda name: f"{rel}/{name}.png",
        "suite1": {
            "config": config["suite1"],
            "axes": list(dict.fromkeys(summary["axis"])),
            "variants": _variant_rows(summary, labels),
            "hand": hand_calculation(tables["suite1_checkpoints"], summary),
            "findings": suite1_findings(tables),
            "seeds": config["seeds"],
        },
        "suite2": {
            "config": config["suite2"],
            "findings": suite2_findings(tables),
            "seeds": config["seeds"],
        },
        "suite3": {
            "config": config["suite3"],
            "findings": suite3_findings(tables, config["suite3"]["width_pool"]),
            "seeds": config["seeds"],
        },
        "timing": {"config": config["timing"], "findings": timing_findings(tables["timing"])},
        "provenance": provenance(settings, benchmarks, Path(tables_dir)),
        "benchmark": _benchmark_appendix(report_dir / "benchmark.md"),
    }


def _benchmark_appendix(path: Path) -> str | None:
    """`make bench`'s table, if it has been run, with its heading dropped."""
    if not path.exists():
        return None
    lines = path.read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("# ")).strip()


def _variant_rows(summary: Any, labels: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for _, r in summary.drop_duplicates("run_id").iterrows():
        rows.append(
            {
                "run_id": r["run_id"],
                "axis": r["axis"],
                "variant": r["variant"],
                "label": labels.get(r["run_id"], r["variant"]),
                "changed": r["changed"] if isinstance(r["changed"], str) else "",
                "engine": r["engine"],
                "activation": f"{r['hidden_activation']} / {r['output_activation']}",
                "loss": r["loss_function"],
                "step": r["step"],
                "rounds": r["rounds"],
                "init": r["init"],
                "seeds": int(summary.loc[summary.run_id == r["run_id"], "seed"].notna().sum()),
            }
        )
    return rows


# --- formatting filters ------------------------------------------------------------

# Backslash-escaped: Markdown syntax (and `{...}`, which the attr_list extension would
# otherwise turn into HTML attributes such as onclick=). `~` has no backslash escape in
# python-markdown, so it becomes a character reference, which every Markdown renders as ~.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|])")


def md_text(value: Any) -> str:
    """Text from the config, safe in Markdown and in the HTML made from it."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;")
    text = re.sub(r"[\r\n]+", " ", text)
    return _MD_SPECIAL.sub(r"\\\1", text).replace("~", "&#126;")


def code(value: Any) -> str:
    """A name or formula of ours as a Markdown code span (shown literally, escaped in HTML)."""
    text = re.sub(r"[\r\n]+", " ", str(value)).replace("`", "'")
    return f"`{text}`"


def num(value: Any, digits: int = 4) -> str:
    """A number for prose and tables: significant digits, scientific when tiny or huge."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (
        isinstance(value, float) and value.is_integer() and abs(value) < 1e6
    ):
        return str(int(value))
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.{digits}g}".replace("-", "−")
    mantissa, exponent = f"{value:.{max(digits - 2, 1)}e}".split("e")
    return f"{mantissa}e{int(exponent)}".replace("-", "−")


def pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("backprop_lab", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown: config text goes through the md filter instead
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=num, md=md_text, pct=pct, code=code)
    return env


def render_markdown(context: dict[str, Any]) -> str:
    text = _environment().get_template("report.md.j2").render(**context)
    return re.sub(r"\n{3,}", "\n\n", text)


def render_html(md_text_: str, title: str, report_dir: Path) -> str:
    body = markdown.markdown(md_text_, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    body = _inline_images(body, report_dir)
    env = Environment(
        loader=PackageLoader("backprop_lab", "templates"),
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


def provenance(settings: dict[str, Any], benchmarks: list[str], tables_dir: Path) -> dict[str, Any]:
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
        "jobs": _job_times(benchmarks),
        "changes": changed_since_reference(tables_dir),
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


def _job_times(benchmarks: list[str]) -> list[dict[str, Any]]:
    jobs = []
    for path in benchmarks:
        lines = Path(path).read_text().splitlines()
        if len(lines) < 2:
            continue
        header, values = lines[0].split("\t"), lines[1].split("\t")
        seconds = float(dict(zip(header, values))["s"])
        name = Path(path).with_suffix("").as_posix().split("benchmarks/train/", 1)[-1]
        jobs.append({"job": name, "seconds": seconds})
    return sorted(jobs, key=lambda j: -j["seconds"])
