"""The reproduction check: regenerate the metrics from scratch, compare with the reference.

The same comparison gives the report's "changed since the committed reference" list.
Rows are matched by their key columns (each lab's `table_keys`); numbers are compared within
a tolerance that depends on the engine that produced them; wall times never.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from backprop_lab.tables import is_wall_time_table, read_table, table_columns, table_keys
from backprop_lab.workspace import copy_pipeline


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float

    def close(self, expected: float, got: float) -> bool:
        return abs(got - expected) <= self.atol + self.rtol * abs(expected)


# numpy float64 runs are deterministic: the same pinned versions on the same kind of CPU
# give the same bits; the tolerance only allows last-bit differences of another BLAS
# build. PyTorch may pick other kernels (vectorised vs scalar tails), so a little looser.
TOLERANCES = {
    "numpy": Tolerance(rtol=1e-9, atol=1e-12),
    "torch": Tolerance(rtol=1e-7, atol=1e-10),
}
LOOSEST = TOLERANCES["torch"]
# Columns that say a run diverged: a change from empty to a number is "became diverged".
DIVERGED_COLUMNS = {"diverged_round", "diverged_epoch"}


@dataclass(frozen=True)
class Mismatch:
    table: str
    key: dict[str, Any]
    metric: str
    expected: Any
    got: Any
    kind: str = "value"

    @property
    def rel_diff(self) -> float | None:
        try:
            e, g = float(self.expected), float(self.got)
        except (TypeError, ValueError):
            return None
        if math.isnan(e) or math.isnan(g):
            return None
        scale = max(abs(e), abs(g))
        return 0.0 if scale == 0 else abs(e - g) / scale

    def where(self) -> tuple[str, str, str]:
        """(lab, variant, seed) for the diff table."""
        run = str(self.key.get("run_id") or self.key.get("run_a") or "")
        if "run_b" in self.key:
            run = f"{self.key['run_a']} vs {self.key['run_b']}"
        lab, _, variant = run.partition("/")
        seed = self.key.get("seed_key", self.key.get("seed", "-"))
        return lab or self.table, variant or "-", str(seed)


def is_timing_column(name: str) -> bool:
    return (
        name.startswith("seconds")
        or name.endswith(("_seconds", "_us", "_time"))
        or name in {"wall_time", "time_per_step"}
    )


def compare_frames(name: str, expected: pd.DataFrame, got: pd.DataFrame) -> list[Mismatch]:
    """Every difference between two versions of one table, beyond tolerance."""
    keys = [k for k in table_keys(name) if k in expected.columns and k in got.columns]
    found: list[Mismatch] = []
    for column in sorted(set(expected.columns) ^ set(got.columns)):
        kind = "missing column" if column in expected.columns else "extra column"
        found.append(Mismatch(name, {}, column, None, None, kind))
    if not keys:
        expected = expected.assign(_row=range(len(expected)))
        got = got.assign(_row=range(len(got)))
        keys = ["_row"]
    exp_rows = {tuple(r): i for i, r in enumerate(expected[keys].astype(str).itertuples(False))}
    got_rows = {tuple(r): i for i, r in enumerate(got[keys].astype(str).itertuples(False))}
    for key in exp_rows.keys() - got_rows.keys():
        found.append(
            Mismatch(name, dict(zip(keys, key)), "(row)", "present", "missing", "missing row")
        )
    for key in got_rows.keys() - exp_rows.keys():
        found.append(
            Mismatch(name, dict(zip(keys, key)), "(row)", "absent", "present", "extra row")
        )
    columns = [
        c
        for c in expected.columns
        if c in got.columns and c not in keys and not is_timing_column(c)
    ]
    for key in sorted(exp_rows.keys() & got_rows.keys()):
        e_row, g_row = expected.iloc[exp_rows[key]], got.iloc[got_rows[key]]
        tolerance = TOLERANCES.get(str(e_row.get("engine")), LOOSEST)
        for column in columns:
            problem = _differs(e_row[column], g_row[column], tolerance)
            if problem:
                kind = problem
                if column in DIVERGED_COLUMNS and _missing(e_row[column]):
                    kind = "became diverged"
                found.append(
                    Mismatch(name, dict(zip(keys, key)), column, e_row[column], g_row[column], kind)
                )
    return found


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _differs(expected: Any, got: Any, tolerance: Tolerance) -> str | None:
    if _missing(expected) and _missing(got):
        return None
    if _missing(expected) != _missing(got):
        return "value"
    try:
        e, g = float(expected), float(got)
    except (TypeError, ValueError):
        return None if str(expected) == str(got) else "value"
    if math.isinf(e) or math.isinf(g):
        return None if e == g else "value"
    return None if tolerance.close(e, g) else "value"


def metric_tables() -> list[str]:
    """The summary tables of every registered lab that hold metrics (not wall times)."""
    return [name for name in table_columns() if not is_wall_time_table(name)]


def compare_dirs(reference: Path, candidate: Path) -> list[Mismatch]:
    found: list[Mismatch] = []
    for name in metric_tables():
        ref, cand = reference / f"{name}.csv", candidate / f"{name}.csv"
        if not ref.exists() and not cand.exists():
            continue  # a lab neither run had in its config
        if not ref.exists():
            found.append(Mismatch(name, {}, "(table)", "absent", "present", "extra table"))
            continue
        if not cand.exists():
            found.append(Mismatch(name, {}, "(table)", "present", "missing", "missing table"))
            continue
        found += compare_frames(name, read_table(ref), read_table(cand))
    return found


def format_diff(mismatches: list[Mismatch], limit: int = 60) -> str:
    """A readable diff: lab, variant, seed, metric, expected, got, relative difference."""
    header = ("table", "lab", "variant", "seed", "metric", "expected", "got", "rel. diff", "what")
    rows = []
    for m in mismatches[:limit]:
        rel = m.rel_diff
        rows.append(
            (
                m.table,
                *m.where(),
                m.metric,
                _short(m.expected),
                _short(m.got),
                "" if rel is None else f"{rel:.2e}",
                m.kind,
            )
        )
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in (header, *rows)
    ]
    if len(mismatches) > limit:
        lines.append(f"... and {len(mismatches) - limit} more")
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def affected_runs(mismatches: list[Mismatch]) -> list[str]:
    """The runs whose own rows moved (derived tables, like pairs of runs, name no run)."""
    return sorted({str(m.key["run_id"]) for m in mismatches if m.key.get("run_id")})


def reproduce(source: Path, reference: Path, workdir: Path, cores: int) -> int:
    """Copy the pipeline into `workdir`, run it from scratch to the tables, compare."""
    start = time.perf_counter()
    if workdir.exists():
        shutil.rmtree(workdir)
    copy_pipeline(source, workdir)
    log = workdir / "snakemake.log"
    print(f"Regenerating the metrics from scratch in {workdir} (log: {log}) ...", flush=True)
    returncode = _run_streaming(
        [sys.executable, "-m", "snakemake", "--cores", str(cores), "tables"], workdir, log
    )
    if returncode != 0:
        print(f"FAILED: the pipeline did not run to the tables; see {log}")
        return 2
    mismatches = compare_dirs(reference, workdir / "reports" / "tables")
    seconds = time.perf_counter() - start
    report = workdir / "diff.txt"
    if not mismatches:
        text = (
            f"OK: the regenerated metrics match the reference {reference} "
            f"({sum((reference / f'{n}.csv').exists() for n in metric_tables())} tables, "
            f"{seconds:.0f} s)."
        )
    else:
        runs = affected_runs(mismatches)
        text = (
            f"MISMATCH: {len(mismatches)} difference(s) from the reference {reference}, "
            f"in {len(runs)} run(s): {', '.join(runs) or '-'}\n\n{format_diff(mismatches)}"
        )
    report.write_text(text + "\n")
    print(text)
    return 1 if mismatches else 0


# the lines of Snakemake's output that tell a person how far the run is
PROGRESS = re.compile(r"^\d+ of \d+ steps \(\d+%\) done|^Error in rule|^Job stats")


def _run_streaming(command: list[str], cwd: Path, log: Path) -> int:
    """Run `command`, its whole output to `log`, its progress lines to stdout as they come."""
    with open(log, "w") as handle:
        process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            handle.write(line)
            if PROGRESS.search(line):
                print(f"  {line.rstrip()}", flush=True)
        return process.wait()


def changed_since_reference(tables_dir: Path, limit: int = 40) -> dict[str, Any]:
    """The metrics that moved since the committed reference (`git show HEAD:<table>`).

    Like a metrics diff: empty when nothing changed. Outside a git checkout, or for a
    table that was never committed, it says so instead.
    """
    import io

    rows: list[Mismatch] = []
    missing = []
    names = [name for name in metric_tables() if (tables_dir / f"{name}.csv").exists()]
    for name in names:
        path = tables_dir / f"{name}.csv"
        committed = _git_show(path)
        if committed is None:
            missing.append(name)
            continue
        reference = pd.read_csv(io.StringIO(committed), dtype={"seed_key": str})
        if "seed" in reference.columns:
            reference["seed"] = reference["seed"].astype("Int64")
        rows += compare_frames(name, reference, read_table(path))
    return {
        "available": len(missing) < len(names),
        "not_committed": missing,
        "count": len(rows),
        "runs": affected_runs(rows),
        "rows": [
            {
                "table": m.table,
                "where": " / ".join(m.where()),
                "metric": m.metric,
                "expected": _short(m.expected),
                "got": _short(m.got),
                "rel_diff": m.rel_diff,
                "kind": m.kind,
            }
            for m in rows[:limit]
        ],
    }


def _git_show(path: Path) -> str | None:
    """The committed (HEAD) text of a file, or None outside git or if never committed."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if top.returncode != 0:
            return None
        relative = path.resolve().relative_to(Path(top.stdout.strip()).resolve())
        shown = subprocess.run(
            ["git", "show", f"HEAD:{relative.as_posix()}"],
            cwd=top.stdout.strip(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return shown.stdout if shown.returncode == 0 else None
