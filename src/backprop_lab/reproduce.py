"""The reproduction check: regenerate the metrics from scratch, compare with the reference.

The same comparison gives the report's "changed since the committed reference" list.
Rows are matched by their key columns (each lab's `table_keys`); wall times are never
compared. Two tiers, chosen by the kernels the reference records (backprop_lab.kernels):
the same kind compares every number within a bit-level tolerance that depends on the engine
that produced it; another kind judges each value by its class (backprop_lab.reference).
Claims' verdicts are compared in both.
"""

from __future__ import annotations

import math
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from backprop_lab.tables import is_wall_time_table, read_table, table_columns, table_keys


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
    # the value's class in the reference (backprop_lab.reference), "" in the same-kind tier
    cls: str = ""
    # False: a known-fragile value that moved; listed, but the check still passes
    fails: bool = True

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
        run = str(self.key.get("run_id") or self.key.get("run_a") or self.key.get("lab") or "")
        if "run_b" in self.key:
            run = f"{self.key['run_a']} vs {self.key['run_b']}"
        lab, _, variant = run.partition("/")
        if "block" in self.key:
            variant = f"{self.key['block']}: {self.key.get('quantity', '')}"
        if "claim" in self.key:
            variant = " / ".join(str(self.key[k]) for k in ("claim", "scope") if self.key[k])
        seed = self.key.get("seed_key", self.key.get("seed", "-"))
        return lab or self.table, variant or "-", str(seed)


def is_timing_column(name: str) -> bool:
    return (
        name.startswith("seconds")
        or name.endswith(("_seconds", "_us", "_time"))
        or name in {"wall_time", "time_per_step"}
    )


def compare_frames(
    name: str,
    expected: pd.DataFrame,
    got: pd.DataFrame,
    classes: dict[tuple[str, str, str], tuple[str, float]] | None = None,
) -> list[Mismatch]:
    """Every difference between two versions of one table.

    Without `classes`, the same-kind tier: every value within its engine's bit-level
    tolerance. With them (backprop_lab.reference), the another-kind tier: each value judged
    by its class, chaotic values as distributions over their seeds.
    """
    from backprop_lab import reference as ref

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
    group_of = [i for i, k in enumerate(keys) if k not in ref.DRAW_KEYS]
    dtypes = ref.dtype_of(expected)
    chaotic: dict[tuple[str, str], list[tuple[dict[str, Any], Any, Any]]] = {}
    for key in sorted(exp_rows.keys() & got_rows.keys()):
        e_row, g_row = expected.iloc[exp_rows[key]], got.iloc[got_rows[key]]
        named = dict(zip(keys, key))
        group = "|".join(key[i] for i in group_of)
        for column in columns:
            e, g = e_row[column], g_row[column]
            if classes is None:
                tolerance = TOLERANCES.get(str(e_row.get("engine")), LOOSEST)
                problem, cls = _differs(e, g, tolerance), ""
            else:
                cls, spread = classes.get((name, group, column), (ref.EXACT, 0.0))
                if cls == ref.CHAOTIC:
                    chaotic.setdefault((group, column), []).append((named, e, g))
                    continue
                problem = _judge(e, g, cls, spread, dtypes.iloc[exp_rows[key]])
            if problem:
                if column in DIVERGED_COLUMNS and _missing(e):
                    problem = "became diverged"
                found.append(
                    Mismatch(name, named, column, e, g, problem, cls, fails=cls != ref.FRAGILE)
                )
    for (_group, column), values in chaotic.items():
        found += _judge_distribution(name, column, values)
    return found


def _judge(expected: Any, got: Any, cls: str, spread: float, dtype: str) -> str | None:
    """The another-kind tier's verdict on one value of class `cls`."""
    from backprop_lab import reference as ref

    if cls == ref.FRAGILE:
        return None if str(expected) == str(got) else "value"
    pair = _as_numbers(expected, got)
    if not isinstance(pair, tuple):
        return pair
    e, g = pair
    if cls == ref.ROUNDOFF:
        return None if ref.roundoff_close(e, g, spread, dtype) else "order of magnitude"
    return None if ref.stable_close(e, g, spread, dtype) else "beyond tolerance"


def _judge_distribution(
    name: str, column: str, values: list[tuple[dict[str, Any], Any, Any]]
) -> list[Mismatch]:
    """A chaotic value compared over its seeds: one mismatch for the group, if any."""
    import numpy as np

    from backprop_lab import reference as ref

    e = np.array([float(v[1]) for v in values if not _missing(v[1])])
    g = np.array([float(v[2]) for v in values if not _missing(v[2])])
    key = {k: v for k, v in values[0][0].items() if k not in ref.DRAW_KEYS}
    key["seed_key"] = f"{len(values)} seeds"
    if len(e) != len(g):
        return [Mismatch(name, key, column, len(e), len(g), "diverged seeds", ref.CHAOTIC)]
    if len(e) == 0 or ref.distributions_agree(e, g):
        return []
    t, ratio = ref.welch(e, g)
    return [
        Mismatch(
            name,
            key,
            column,
            f"mean {e.mean():.6g} sd {e.std(ddof=1) if len(e) > 1 else 0:.3g}",
            f"mean {g.mean():.6g} sd {g.std(ddof=1) if len(g) > 1 else 0:.3g}",
            f"distribution (t {t:.2g}, sd ratio {ratio:.2g})",
            ref.CHAOTIC,
        )
    ]


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _as_numbers(expected: Any, got: Any) -> tuple[float, float] | str | None:
    """Two values as finite numbers to compare, or already the verdict where they are not
    (None: equal; "value": they differ): missing, text or infinite."""
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
    return e, g


def _differs(expected: Any, got: Any, tolerance: Tolerance) -> str | None:
    pair = _as_numbers(expected, got)
    if not isinstance(pair, tuple):
        return pair
    return None if tolerance.close(*pair) else "value"


def metric_tables() -> list[str]:
    """The summary tables of every registered lab that hold metrics (not wall times)."""
    return [name for name in table_columns() if not is_wall_time_table(name)]


def compare_dirs(
    reference: Path,
    candidate: Path,
    classes: dict[tuple[str, str, str], tuple[str, float]] | None = None,
) -> list[Mismatch]:
    """Every metric table of two folders compared (classes: the another-kind tier)."""
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
        found += compare_frames(name, read_table(ref), read_table(cand), classes)
    return found


def compare_claims(expected: pd.DataFrame, got: pd.DataFrame) -> list[Mismatch]:
    """Every claim's verdict, equal in both tiers; a claim the reference marks fragile may
    move (listed, not failing)."""
    from backprop_lab.reference import CLAIM_KEYS as keys

    exp = {tuple(r[k] for k in keys): r for r in expected.fillna("").to_dict("records")}
    got_rows = {tuple(r[k] for k in keys): r for r in got.fillna("").to_dict("records")}
    found = []
    for key in sorted(exp.keys() | got_rows.keys()):
        named = {"lab": key[0], "claim": key[1][:60], "scope": key[2], "occurrence": key[3]}
        e, g = exp.get(key), got_rows.get(key)
        if e is None or g is None:
            kind = "extra claim" if e is None else "missing claim"
            found.append(
                Mismatch("claims", named, "verdict", e and e["verdict"], g and g["verdict"], kind)
            )
        elif e["verdict"] != g["verdict"]:
            fragile = bool(e.get("fragile")) and str(e.get("fragile")).lower() == "true"
            cls = "fragile" if fragile else "exact"
            found.append(
                Mismatch(
                    "claims",
                    named,
                    "verdict",
                    e["verdict"],
                    g["verdict"],
                    "verdict",
                    cls,
                    not fragile,
                )
            )
    return found


def format_diff(mismatches: list[Mismatch], limit: int = 60) -> str:
    """A readable diff: lab, variant, seed, metric, expected, got, relative difference, and
    (in the another-kind tier) the value's class."""
    header = ("table", "lab", "variant", "seed", "metric", "expected", "got", "rel. diff", "what")
    with_class = any(m.cls for m in mismatches)
    if with_class:
        header = (*header, "class")
    rows = []
    for m in sorted(mismatches, key=lambda m: not m.fails)[:limit]:
        rel = m.rel_diff
        row = (
            m.table,
            *m.where(),
            m.metric,
            _short(m.expected),
            _short(m.got),
            "" if rel is None else f"{rel:.2e}",
            m.kind if m.fails else f"{m.kind} (known fragile: allowed)",
        )
        rows.append((*row, m.cls or "-") if with_class else row)
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


# --- the two tiers -------------------------------------------------------------------

SAME, ANOTHER = "same kind", "another kind"


@dataclass(frozen=True)
class Tier:
    name: str
    why: str


def choose_tier(
    recorded: dict[str, Any] | None, here: dict[str, Any], forced: str = "auto"
) -> Tier:
    """The same-kind tier where the kernels here are the reference's, else another kind."""
    from backprop_lab.kernels import kind_differences

    if forced != "auto":
        return Tier(
            SAME if forced == "same" else ANOTHER, f"chosen on the command line (--tier {forced})"
        )
    if recorded is None:
        return Tier(SAME, "the reference records no machine (a folder of tables only)")
    differences = kind_differences(recorded, here)
    if not differences:
        return Tier(SAME, "the kernels here are the reference's: " + kernel_summary(here))
    return Tier(ANOTHER, "the kernels differ from the reference's: " + "; ".join(differences))


def kernel_summary(fp: dict[str, Any]) -> str:
    return (
        f"{fp.get('machine')}, numpy {fp.get('numpy')} ({fp.get('numpy_simd')}), "
        f"{fp.get('blas')} ({fp.get('blas_core')}), torch {fp.get('torch')} "
        f"({fp.get('torch_capability')}), MKL {fp.get('mkl_instructions')}"
    )


def judge(reference: Path, tables: Path, claims: pd.DataFrame | None, tier: Tier) -> list[Mismatch]:
    """Every difference of a candidate's tables (and claims) from a reference folder."""
    from backprop_lab.reference import ReferenceFolder

    folder = ReferenceFolder(reference)
    classes = folder.classes() if tier.name == ANOTHER else None
    found = compare_dirs(folder.tables, tables, classes)
    expected = folder.claims()
    if expected is not None and claims is not None:
        found += compare_claims(expected, claims)
    return found


def reproduce(source: Path, reference: Path, workdir: Path, cores: int, tier: str = "auto") -> int:
    """Copy the pipeline into `workdir`, run it from scratch to the tables, compare with
    the reference in the tier its kernels call for."""
    from backprop_lab.reference import ReferenceFolder, regenerate

    start = time.perf_counter()
    folder = ReferenceFolder(reference)
    print(f"Regenerating the metrics from scratch in {workdir} ...", flush=True)
    run = regenerate(source, workdir, cores)
    if run is None:
        print(f"FAILED: the pipeline did not run to the tables; see {workdir / 'snakemake.log'}")
        return 2
    chosen = choose_tier(folder.provenance().get("kernels"), run.kernels, tier)
    mismatches = judge(reference, run.tables, run.claims, chosen)
    failing = [m for m in mismatches if m.fails]
    seconds = time.perf_counter() - start
    head = f"Tier: {chosen.name} ({chosen.why})."
    if not failing:
        text = (
            f"{head}\nOK: the regenerated metrics match the reference {reference} "
            f"({len(list(folder.tables.glob('*.csv')))} tables, {seconds:.0f} s)."
        )
        if mismatches:
            text += f"\n\n{format_diff(mismatches)}"
    else:
        runs = affected_runs(failing)
        text = (
            f"{head}\nMISMATCH: {len(failing)} difference(s) from the reference {reference}, "
            f"in {len(runs)} run(s): {', '.join(runs) or '-'}\n\n{format_diff(mismatches)}"
        )
    (workdir / "diff.txt").write_text(text + "\n")
    print(text)
    return 1 if failing else 0


# the lines of Snakemake's output that tell a person how far the run is
PROGRESS = re.compile(r"^\d+ of \d+ steps \(\d+%\) done|^Error in rule|^Job stats")


def _run_streaming(
    command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None
) -> int:
    """Run `command`, its whole output to `log`, its progress lines to stdout as they come."""
    with open(log, "w") as handle:
        process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        assert process.stdout is not None
        for line in process.stdout:
            handle.write(line)
            if PROGRESS.search(line):
                print(f"  {line.rstrip()}", flush=True)
        return process.wait()


def changed_since_reference(tables_dir: Path, reference: Path, limit: int = 40) -> dict[str, Any]:
    """The metrics that moved since the committed reference (`reports/reference/`), judged
    in the tier the reference's machine calls for; empty when nothing changed.

    Like a metrics diff. Without a reference folder, it says so instead.
    """
    from backprop_lab.kernels import fingerprint
    from backprop_lab.reference import ReferenceFolder

    folder = ReferenceFolder(reference)
    if not folder.tables.is_dir():
        return {"available": False, "count": 0, "runs": [], "rows": [], "tier": None}
    tier = choose_tier(folder.provenance().get("kernels"), fingerprint())
    rows = [
        m
        for m in compare_dirs(
            folder.tables, tables_dir, folder.classes() if tier.name == ANOTHER else None
        )
    ]
    failing = [m for m in rows if m.fails]
    return {
        "available": True,
        "tier": tier.name,
        "tier_why": tier.why,
        "count": len(failing),
        "runs": affected_runs(failing),
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
            for m in failing[:limit]
        ],
    }
