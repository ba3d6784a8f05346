"""The benchmark's Markdown (reports/benchmark.md), rendered from a template as the report
is: its rows are data here, the words around them in benchmark.md.j2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bench import worked


def ms(s: float) -> str:
    """Seconds as ms or s; "—" for a measurement the run did not complete (NaN)."""
    if s != s:
        return "—"
    return f"{s * 1e3:.0f} ms" if s < 10 else f"{s:.1f} s"


def us(s: float) -> str:
    return f"{s * 1e6:.1f} µs"


def markdown(p: dict[str, Any], e: dict[str, Any]) -> str:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(ms=ms)
    scale = [{"name": _config_name(n), **x} for n, x in sorted(p["scale"].items())]
    schedule = p.get("schedule")
    return env.get_template("benchmark.md.j2").render(
        rows=rows(p, e), scale=scale, schedule=schedule
    )


def rows(p: dict[str, Any], e: dict[str, Any]) -> list[dict[str, str]]:
    """The benchmark table: measure, time, compared with, target and its verdict."""
    out: list[dict[str, str]] = []

    def add(measure: str, time: str, compared: str, target: str = "", ok: bool | None = None):
        """One row; a target with its verdict (met / not met) when there is one."""
        verdict = "" if ok is None else ("met" if ok else "**not met**")
        out.append(
            {
                "measure": measure,
                "time": time,
                "compared": compared,
                "target": target,
                "verdict": verdict,
            }
        )

    scale = p["scale"]
    version = p["snakemake_version"]
    for n, limit in ((0, 1.2), (400, 1.3)):
        if n not in scale:
            continue
        x = scale[n]
        ratio = x["cold"] / (x["training_cpu"] / 2)
        add(
            f"cold pipeline, {_config_name(n)}, `--cores 2`",
            ms(x["cold"]),
            f"{ratio:.2f}× (training CPU {ms(x['training_cpu'])} ÷ 2)",
            f"≤ {limit}×",
            ratio <= limit,
        )
    if 0 in scale:
        x = scale[0]
        share = x["tail"] / x["cold"]
        add(
            "tail after the last training job, default config",
            ms(x["tail"]),
            f"{100 * share:.1f} % of the cold wall",
            "≤ 10 %",
            share <= 0.10,
        )
        noop = x["noop"] / version
        add(
            "no-op rerun, default config",
            ms(x["noop"]),
            f"{noop:.2f}× `snakemake --version` ({ms(version)})",
            "≤ 1.3×",
            noop <= 1.3,
        )
    if 0 in scale and 400 in scale:
        ratio = scale[400]["tail"] / scale[0]["tail"]
        add(
            "tail after the last training job, default + 400",
            ms(scale[400]["tail"]),
            f"{ratio:.2f}× the default config's tail",
            "≤ 3×",
            ratio <= 3,
        )
    biggest = max(scale)
    dry = scale[biggest]["dry_run"] / version
    large = biggest >= 1600
    add(
        f"dry run, {_config_name(biggest)}",
        ms(scale[biggest]["dry_run"]),
        f"{dry:.2f}× `snakemake --version`",
        "≤ 2.5×" if large else "",
        dry <= 2.5 if large else None,
    )
    if "floor" in p:
        add(
            f"dry run of a minimal Snakefile of as many jobs ({scale[biggest]['jobs']}): "
            "Snakemake's own floor",
            ms(p["floor"]),
            f"{p['floor'] / version:.2f}× `snakemake --version`; the pipeline's dry run is "
            f"{scale[biggest]['dry_run'] / p['floor']:.2f}× it",
        )
    add(
        f"rerun after one step change ({p['step_variant']}, {p['step_rerun_note']})",
        ms(p["step_rerun"]),
        f"{p['step_rerun_jobs']} jobs rerun",
    )
    for engine, o in sorted(p["overhead"].items()):
        ratio = o["median"] / p["import_numpy"]
        add(
            f"per-job start-up (wall − the lab's run), {engine} training jobs ({o['jobs']})",
            f"median {ms(o['median'])}, max {ms(o['max'])}",
            f'median {ratio:.2f}× `python -c "import numpy"` ({ms(p["import_numpy"])}); '
            f"wall − the training loop alone: median {ms(o['beyond_training'])}",
            *(("≤ 1.5×", ratio <= 1.5) if engine == "numpy" else ()),
        )
    for size, label in (
        ("small", "2-2-2 net, one GD round"),
        ("large", "[2, 256, 64, 1] net, one SGD step"),
    ):
        t = e[size]
        floor = t["numpy"] / t["inline"]
        add(
            f"numpy engine, {label}",
            us(t["numpy"]),
            f"{floor:.2f}× the inline floor ({us(t['inline'])})",
            *(("≤ 1.5×", floor <= 1.5) if size == "large" else ()),
        )
        vs_torch = t["torch"] / t["numpy"]
        add(
            f"PyTorch engine, {label}",
            us(t["torch"]),
            f"numpy is {vs_torch:.2f}× faster",
            "numpy faster",
            vs_torch > 1,
        )
    if "pinning" in e:
        cost = e["pinning"]["pinned"] / e["pinning"]["native"]
        add(
            "pinned kernels (x86-64-v3) vs each library's own, [2, 256, 64, 1] SGD step",
            us(e["pinning"]["pinned"]),
            f"{cost:.2f}× the unpinned step ({us(e['pinning']['native'])})",
            "≤ 1.1×",
            cost <= 1.1,
        )
    if "worked" in e:
        for row in worked.rows(e["worked"]):
            add(*row)
    if "schedule" in p:
        for row in schedule_rows(p["schedule"]):
            add(*row)
    seeds = e["large"]["numpy_5_seeds"] / e["large"]["numpy"]
    add(
        "5 seeds stacked vs 1 seed, [2, 256, 64, 1] SGD step",
        us(e["large"]["numpy_5_seeds"]),
        f"{seeds:.2f}× one seed",
        "≤ 2×",
        seeds <= 2,
    )
    return out


# the simulated walls: at 16 cores the wall is held to this multiple of the ideal (the
# summed job time ÷ 16)
WALL_LIMIT = 1.2


def schedule_rows(s: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """Rows of the simulated walls (bench.schedule) of the default config's cold run: per
    core count the shortest of seeds stacked, one job per seed of every seeded variant
    (`seed_jobs: true`) and of the long ones only (`seed_jobs: 20`)."""
    out = []
    names = {
        "stacked": "seeds stacked",
        "split": "one job per seed",
        "split_long": f"one job per seed of the {s['long_variants']} variants of "
        f"{s['long_variant']} s or more",
    }
    for cores, w in sorted(s["cores"].items()):
        ideal = s["total"] / cores
        chosen = min(names, key=lambda k: w[k])
        ratio = w[chosen] / ideal
        others = "; ".join(
            f"{names[k]} {ms(w[k])} ({abs(100 * (1 - w[k] / w['stacked'])):.0f} % "
            f"{'shorter' if w[k] <= w['stacked'] else 'longer'})"
            for k in ("split", "split_long")
        )
        out.append(
            (
                f"simulated wall, default config, `--cores {cores}` ({names[chosen]})",
                ms(w[chosen]),
                f"{ratio:.2f}× the summed job time ÷ {cores} ({ms(ideal)}); seeds stacked "
                f"{ms(w['stacked'])}; {others}",
                f"≤ {WALL_LIMIT}×" if cores == 16 else "",
                ratio <= WALL_LIMIT if cores == 16 else None,
            )
        )
    seconds, path = s["critical"]
    name, longest = s["longest"]
    out.append(
        (
            "critical path, default config (seeds stacked)",
            ms(seconds),
            f"{len(path)} jobs; its longest `{name}` ({ms(longest)})",
        )
    )
    return out


def _config_name(extra: int) -> str:
    return "default config" if extra == 0 else f"default + {extra} variants"
