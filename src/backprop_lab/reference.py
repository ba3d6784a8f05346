"""The committed reference and how another machine is judged against it.

The reference (`reports/reference/`, which no pipeline job writes) holds the metric tables
of a run from scratch, where it was made (`provenance.json`: the kernel fingerprint of
`backprop_lab.kernels`), the claims' verdicts (`claims.csv`) and the class of every value
(`classes.csv`), measured by a perturbation ensemble: the same run under other kernel sets
(`ENSEMBLE`), each of which rounds the last bits differently.

A value's class says how another machine may differ from it, after the ensemble consistency
tests climate models use to accept a port (CESM's ECT, ICON's probtest: perturb, take each
variable's spread as its tolerance, check):

- `exact`: text, flags, verdicts, labels (and numbers the ensemble never moved are held to
  `FLOOR`): equal.
- `stable`: a number whose ensemble spread is small against its seeds' spread: within
  `SAFETY` × that spread, and never tighter than `FLOOR` relative.
- `chaotic`: a number whose ensemble spread is at least `CHAOS_RATIO` × the spread of its
  seeds (per-sample SGD at large steps amplifies last bits into another trajectory):
  compared as a distribution over the seeds, never value by value: Welch's t of the
  seeds' means at most `T_MAX` (about p = 0.01 for 5 seeds against 5), and the ratio of
  their standard deviations at most `SD_RATIO` (a loose bound: one seed on another
  trajectory moves a 5-seed sd by a factor 7; it catches a spread that collapsed).
- `roundoff`: a round-off measure (the lab declares them: gradient-check errors, the
  difference of two engines' runs): equal when both values are at round-off level
  (`ROUNDOFF_LEVEL` of their dtype: two engines that happen to round alike give 0, others
  a few ulps); else within `ROUNDOFF_DECADES` orders of magnitude while both are below
  `ROUNDOFF_CEILING` (above it, as `stable`). Its pass/fail against a threshold is `exact`.
- `fragile`: a text value (a verdict, a stop reason) that the ensemble itself changed: a
  finding too fragile to state on another machine, listed in the reference.

Units: spreads and tolerances are in the value's own unit (absolute).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.tables import read_table, table_keys, write_table

# the ensemble: kernel sets other than the pinned one (kernels.PIN), as environment variables
ENSEMBLE: dict[str, dict[str, str]] = {
    # every library picks for this CPU (AVX-512 and SkylakeX kernels on such a host)
    "native": {"BACKPROP_LAB_KERNELS": "native"},
    # one generation below: AVX without FMA (Sandy Bridge), numpy at its x86-64-v2 baseline
    "sandybridge": {
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
        "OPENBLAS_CORETYPE": "Sandybridge",
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_ENABLE_INSTRUCTIONS": "AVX",
        "MKL_CBWR": "AVX",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
    },
    # AVX-512 numpy and ATen over Sandy Bridge's BLAS (libraries of different generations)
    "mixed": {
        "NPY_DISABLE_CPU_FEATURES": "AVX512_SPR",
        "OPENBLAS_CORETYPE": "Sandybridge",
        "ATEN_CPU_CAPABILITY": "avx512",
        "MKL_ENABLE_INSTRUCTIONS": "AVX512",
        "MKL_CBWR": "AUTO",
        "ONEDNN_MAX_CPU_ISA": "ALL",
    },
    # SSE only in the BLAS, AVX2 numpy, scalar ATen
    "nehalem": {
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
        "OPENBLAS_CORETYPE": "Nehalem",
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "MKL_CBWR": "SSE4_2",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
    },
}

EXACT, STABLE, CHAOTIC, ROUNDOFF, FRAGILE = "exact", "stable", "chaotic", "roundoff", "fragile"
CLASSES = (EXACT, STABLE, CHAOTIC, ROUNDOFF, FRAGILE)
SAFETY = 10.0
FLOOR = {"float64": 1e-9, "float32": 1e-5}
CHAOS_RATIO = 0.1
T_MAX = 4.6
SD_RATIO = 10.0
ROUNDOFF_DECADES = 1.5
ROUNDOFF_CEILING = 1e-4
# a round-off measure this small is at round-off level: some thousand ulps of 1 in its
# dtype (float64: 4,500; float32: 840)
ROUNDOFF_LEVEL = {"float64": 1e-12, "float32": 1e-4}
# round-off measures smaller than this are all "zero" (below float64 resolution at 1)
ROUNDOFF_ZERO = 1e-18
# the key columns that are draws of one distribution (seeds), not different values
DRAW_KEYS = ("seed", "seed_key")


# --- the values of a table, one row per (row, column) ---------------------------------


def compared_columns(frame: pd.DataFrame, keys: Iterable[str]) -> list[str]:
    from backprop_lab.reproduce import is_timing_column

    keys = set(keys)
    return [c for c in frame.columns if c not in keys and not is_timing_column(c)]


def group_keys(name: str) -> tuple[str, ...]:
    """The key columns that name a value up to its seed."""
    return tuple(k for k in table_keys(name) if k not in DRAW_KEYS)


def row_label(frame: pd.DataFrame, keys: Iterable[str]) -> pd.Series:
    keys = list(keys)
    if not keys:
        return pd.Series([str(i) for i in range(len(frame))], index=frame.index)
    return frame[keys].astype(object).fillna("").astype(str).agg("|".join, axis=1)


def dtype_of(frame: pd.DataFrame) -> pd.Series:
    """float32 for rows a float32 run produced, else float64."""
    if "dtype" in frame.columns:
        return frame["dtype"].where(frame["dtype"] == "float32", "float64").astype(str)
    return pd.Series("float64", index=frame.index)


def is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


# --- classes, from the ensemble ----------------------------------------------------------


@dataclass(frozen=True)
class GroupClass:
    table: str
    group: str
    column: str
    cls: str
    spread: float  # the ensemble's largest deviation from the reference, absolute
    seed_sd: float  # the seeds' standard deviation in the reference (nan: one value)
    n: int  # values in the group


def classify(
    name: str, reference: pd.DataFrame, members: list[pd.DataFrame], roundoff: Iterable[str]
) -> list[GroupClass]:
    """The class of every (group, column) of one table, from the ensemble's deviations."""
    keys = [k for k in table_keys(name) if k in reference.columns]
    groups = [k for k in group_keys(name) if k in reference.columns]
    ref = reference.assign(_row=row_label(reference, keys), _group=row_label(reference, groups))
    ref_index = ref.set_index("_row")
    roundoff = set(roundoff)
    found: list[GroupClass] = []
    for column in compared_columns(reference, keys):
        numeric = is_number(reference[column])
        values = ref_index[column]
        deviation = pd.Series(0.0, index=values.index)
        moved = pd.Series(False, index=values.index)
        for member in members:
            if column not in member.columns:
                continue
            other = member.assign(_row=row_label(member, keys)).set_index("_row")[column]
            other = other.reindex(values.index)
            if numeric and is_number(other):
                diff = (other.astype(float) - values.astype(float)).abs()
                both_missing = other.isna() & values.isna()
                one_missing = other.isna() ^ values.isna()
                diff = diff.where(~both_missing, 0.0).where(~one_missing, np.inf)
                same_inf = np.isinf(other.astype(float)) & (other == values)
                deviation = np.fmax(deviation, diff.where(~same_inf, 0.0).fillna(0.0))
            else:
                moved |= other.astype(object).fillna("<NA>").astype(str) != values.astype(
                    object
                ).fillna("<NA>").astype(str)
        for group, rows in ref.groupby("_group", sort=False):
            row_ids = rows["_row"]
            n = len(rows)
            if not numeric:
                cls = FRAGILE if bool(moved.loc[row_ids].any()) else EXACT
                found.append(GroupClass(name, group, column, cls, 0.0, math.nan, n))
                continue
            spread = float(deviation.loc[row_ids].max())
            draws = rows[column].astype(float)
            with np.errstate(over="ignore", invalid="ignore"):  # a diverged run's huge values
                finite = n >= 3 and bool(np.isfinite(draws).all())
                sd = float(draws.std(ddof=1)) if finite else math.nan
            if column in roundoff:
                cls = ROUNDOFF
            elif spread == 0:
                cls = EXACT
            elif math.isfinite(sd) and sd > 0 and spread >= CHAOS_RATIO * sd:
                cls = CHAOTIC
            else:
                cls = STABLE
            found.append(GroupClass(name, group, column, cls, spread, sd, n))
    return found


def classes_frame(classes: list[GroupClass]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "table": c.table,
                "group": c.group,
                "column": c.column,
                "class": c.cls,
                "spread": c.spread,
                "seed_sd": c.seed_sd,
                "n": c.n,
            }
            for c in classes
        ],
        columns=["table", "group", "column", "class", "spread", "seed_sd", "n"],
    )


def write_classes(classes: list[GroupClass], path: Path) -> None:
    write_table(classes_frame(classes), path)


def read_classes(path: Path) -> dict[tuple[str, str, str], tuple[str, float]]:
    """(table, group, column) -> (class, spread)."""
    if not path.exists():
        return {}
    frame = pd.read_csv(path, dtype={"group": str}, keep_default_na=False, na_values=[""])
    frame["group"] = frame["group"].fillna("")
    return {
        (t, g, c): (k, float(s))
        for t, g, c, k, s in frame[["table", "group", "column", "class", "spread"]].itertuples(
            index=False
        )
    }


# --- judging another machine's values ------------------------------------------------


def stable_close(expected: float, got: float, spread: float, dtype: str) -> bool:
    tolerance = max(SAFETY * spread, FLOOR[dtype] * max(abs(expected), abs(got)))
    return abs(got - expected) <= tolerance


def roundoff_close(expected: float, got: float, spread: float, dtype: str) -> bool:
    if max(abs(expected), abs(got)) <= ROUNDOFF_LEVEL[dtype]:
        return True
    if max(abs(expected), abs(got)) > ROUNDOFF_CEILING:
        return stable_close(expected, got, spread, dtype)
    e, g = max(abs(expected), ROUNDOFF_ZERO), max(abs(got), ROUNDOFF_ZERO)
    return abs(math.log10(g) - math.log10(e)) <= ROUNDOFF_DECADES


def welch(expected: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    """Welch's t of the two samples' means, and the ratio of their standard deviations
    (larger over smaller; 1 when both are 0)."""
    se = expected.std(ddof=1) if len(expected) > 1 else 0.0
    sg = got.std(ddof=1) if len(got) > 1 else 0.0
    scale = math.sqrt(se**2 / len(expected) + sg**2 / len(got))
    diff = abs(float(got.mean()) - float(expected.mean()))
    t = 0.0 if diff == 0 else (math.inf if scale == 0 else diff / scale)
    low, high = sorted((se, sg))
    ratio = 1.0 if high == 0 else (math.inf if low == 0 else high / low)
    return t, ratio


def distributions_agree(expected: np.ndarray, got: np.ndarray) -> bool:
    t, ratio = welch(expected, got)
    return t <= T_MAX and ratio <= SD_RATIO


@dataclass(frozen=True)
class ClassCounts:
    counts: dict[str, int]

    def text(self) -> str:
        return ", ".join(f"{self.counts.get(c, 0):,} {c}" for c in CLASSES)


def count_values(classes_path: Path) -> ClassCounts:
    """How many values of the reference fall in each class."""
    if not classes_path.exists():
        return ClassCounts({})
    frame = pd.read_csv(classes_path, usecols=["class", "n"])
    return ClassCounts({str(k): int(v) for k, v in frame.groupby("class")["n"].sum().items()})


def tables_in(folder: Path) -> dict[str, pd.DataFrame]:
    from backprop_lab.reproduce import metric_tables

    return {
        n: read_table(folder / f"{n}.csv")
        for n in metric_tables()
        if (folder / f"{n}.csv").exists()
    }


# --- the claims' verdicts ------------------------------------------------------------------


# what names a claim: its lab, its words, where it was checked, and which time there
CLAIM_KEYS = ["lab", "statement", "scope", "occurrence"]


def claims_frame(tables_dir: Path, settings: dict[str, Any]) -> pd.DataFrame:
    """Every claim every lab checks on these tables: lab, statement, scope, verdict and its
    deciding numbers (JSON). `settings` is the report job's (configuration.report_params)."""
    from backprop_lab import labs
    from backprop_lab.findings import collect_claims
    from backprop_lab.tables import load_tables

    rows = []
    for name in settings["labs"]:
        lab = labs.get(name)
        tables = load_tables(tables_dir, lab.summary_tables())
        findings = importlib.import_module(f"{lab.package}.findings")
        context = findings.context(
            tables, settings["config"][name], settings["config"], settings.get("labels", {})
        )
        for claim in collect_claims(context):
            if claim.wall_time:
                continue  # a claim on wall times is no science a machine must reproduce
            rows.append(
                {
                    "lab": name,
                    "statement": claim.statement,
                    "scope": claim.scope,
                    "verdict": claim.verdict,
                    "numbers": json.dumps(claim.numbers, sort_keys=True, default=str),
                }
            )
    frame = pd.DataFrame(rows, columns=["lab", "statement", "scope", "verdict", "numbers"])
    # a claim checked twice in one scope (say, once per engine) is told apart by its order
    frame.insert(3, "occurrence", frame.groupby(CLAIM_KEYS[:3]).cumcount().astype(str))
    return frame


def write_claims(tables_dir: Path, settings_path: Path, output: Path) -> None:
    settings = json.loads(Path(settings_path).read_text())
    write_table(claims_frame(Path(tables_dir), settings), output)


def read_claims(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --- the reference folder ------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceFolder:
    """`reports/reference/`: tables/, provenance.json, classes.csv, claims.csv. A folder of
    CSV tables only (an older reference) is read as its tables, with no machine recorded."""

    root: Path

    @property
    def tables(self) -> Path:
        inner = self.root / "tables"
        return inner if inner.is_dir() else self.root

    def provenance(self) -> dict[str, Any]:
        path = self.root / "provenance.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def classes(self) -> dict[tuple[str, str, str], tuple[str, float]]:
        return read_classes(self.root / "classes.csv")

    def claims(self) -> pd.DataFrame | None:
        return read_claims(self.root / "claims.csv")


# --- one run from scratch ------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A pipeline run from scratch to the tables, in its own folder."""

    folder: Path
    tables: Path
    kernels: dict[str, Any]
    claims: pd.DataFrame | None


def regenerate(
    source: Path,
    workdir: Path,
    cores: int,
    env: dict[str, str] | None = None,
    targets: tuple[str, ...] = ("tables",),
) -> Run | None:
    """Copy the pipeline at `source` into `workdir` (emptied first), run it to the tables
    with `env` added to the environment (another kernel set), and read what it made: the
    tables, the kernels its jobs ran (`backprop-lab kernels`, pinned as the jobs are) and
    the claims' verdicts. None if the pipeline failed (its log: workdir/snakemake.log)."""
    from backprop_lab.reproduce import _run_streaming
    from backprop_lab.workspace import copy_pipeline

    workdir = workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    copy_pipeline(source, workdir)
    environ = {**os.environ, **(env or {})}
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores), *targets]
    if _run_streaming(command, workdir, workdir / "snakemake.log", environ) != 0:
        return None
    return read_run(workdir, env, claims=targets == ("tables",))


# written last into a run's folder: the run reached its tables, kernels and claims
RUN_DONE = "run-done.json"


def read_run(workdir: Path, env: dict[str, str] | None = None, claims: bool = True) -> Run:
    """What a finished run in `workdir` made: its tables, its jobs' kernels and its claims
    (both computed here, with the run's own code and environment; no claims for a run of
    one lab's tables)."""
    workdir = workdir.resolve()
    environ = {**os.environ, **(env or {}), "PYTHONPATH": str(workdir / "src")}
    cli = [sys.executable, "-m", "backprop_lab.cli"]
    kernels = json.loads(
        subprocess.run(
            [*cli, "kernels"], cwd=workdir, env=environ, capture_output=True, text=True, check=True
        ).stdout
    )
    settings = sorted((workdir / "results/settings").glob("report.*.json"), key=os.path.getmtime)
    verdicts = None
    if settings and claims:
        subprocess.run(
            [
                *cli,
                "claims",
                "--tables",
                "reports/tables",
                "--settings",
                str(settings[-1]),
                "--output",
                "claims.csv",
            ],
            cwd=workdir,
            env=environ,
            check=True,
        )
        verdicts = read_claims(workdir / "claims.csv")
    (workdir / RUN_DONE).write_text(json.dumps({"kernels": kernels, "env": env or {}}) + "\n")
    return Run(workdir, workdir / "reports" / "tables", kernels, verdicts)


def finished_run(workdir: Path, env: dict[str, str] | None) -> Run | None:
    """The run already in `workdir`, if it finished with this environment (a `make
    reference` that was interrupted goes on from there)."""
    marker = workdir / RUN_DONE
    if not marker.exists():
        return None
    done = json.loads(marker.read_text())
    if done["env"] != (env or {}):
        return None
    return Run(
        workdir,
        workdir / "reports" / "tables",
        done["kernels"],
        read_claims(workdir / "claims.csv"),
    )


# --- making the reference ----------------------------------------------------------------


def make_reference(
    source: Path, dest: Path, workdir: Path, cores: int, members: list[str], resume: bool = False
) -> int:
    """Regenerate the metrics pinned, then under each ensemble member's kernels; classify
    every value; write the reference folder `dest` (replaced whole, only when all ran).
    With `resume`, a run that already finished in `workdir` with the same environment is
    taken as it is (the source must not have changed since)."""
    from backprop_lab.kernels import kind_differences
    from backprop_lab.labs import labs as registry
    from backprop_lab.reproduce import metric_tables

    unknown = [m for m in members if m not in ENSEMBLE]
    if unknown:
        raise SystemExit(f"unknown ensemble member(s) {unknown}; known: {sorted(ENSEMBLE)}")
    runs: dict[str, Run] = {}
    for name, env in {"pinned": {}, **{m: ENSEMBLE[m] for m in members}}.items():
        print(f"Reference: the run '{name}' ({env or 'the pinned kernels'}) ...", flush=True)
        run = finished_run(workdir / name, env) if resume else None
        run = run or regenerate(source, workdir / name, cores, env)
        if run is None:
            print(f"FAILED: the run '{name}' did not reach the tables; see {workdir / name}")
            return 2
        runs[name] = run
    base = runs.pop("pinned")
    roundoff = {t: cols for lab in registry().values() for t, cols in lab.roundoff.items()}
    classes: list[GroupClass] = []
    for name in metric_tables():
        path = base.tables / f"{name}.csv"
        if not path.exists():
            continue
        others = [read_table(r.tables / f"{name}.csv") for r in runs.values()]
        classes += classify(name, read_table(path), others, roundoff.get(name, ()))
    staging = dest.with_name(f".{dest.name}.new")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(base.tables, staging / "tables")
    for name in list((staging / "tables").glob("*.csv")):
        if name.stem not in metric_tables():
            name.unlink()  # wall times are never compared
    write_classes(classes, staging / "classes.csv")
    claims = _claims_with_fragility(base.claims, {m: r.claims for m, r in runs.items()})
    if claims is not None:
        write_table(claims, staging / "claims.csv")
    counts = classes_frame(classes).groupby("class")["n"].sum()
    provenance = {
        "made": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(source),
        "kernels": base.kernels,
        "ensemble": {
            m: {
                "environment": ENSEMBLE[m],
                "kernels_differ": kind_differences(base.kernels, r.kernels),
            }
            for m, r in runs.items()
        },
        "values_per_class": {c: int(counts.get(c, 0)) for c in CLASSES},
        "fragile_claims": 0 if claims is None else int((claims["fragile"] == "true").sum()),
    }
    (staging / "provenance.json").write_text(
        json.dumps(provenance, indent=1, sort_keys=True) + "\n"
    )
    if dest.exists():
        shutil.rmtree(dest)
    staging.rename(dest)
    print(f"Wrote the reference {dest}: {provenance['values_per_class']}")
    return 0


def _claims_with_fragility(
    base: pd.DataFrame | None, members: dict[str, pd.DataFrame | None]
) -> pd.DataFrame | None:
    """The reference's claims, each marked fragile where a member's verdict differs, with
    the members' verdicts and deciding numbers (the margin it has)."""
    if base is None:
        return None
    frame = base.copy()
    keys = CLAIM_KEYS
    moved = pd.Series(False, index=frame.index)
    others = []
    for name, claims in members.items():
        if claims is None:
            continue
        joined = frame[keys].merge(claims, on=keys, how="left")
        differs = joined["verdict"].fillna("(missing)").to_numpy() != frame["verdict"].to_numpy()
        moved |= differs
        others.append(
            pd.Series(
                [
                    f"{name}: {v} {n}" if d else ""
                    for v, n, d in zip(joined["verdict"], joined["numbers"], differs)
                ],
                index=frame.index,
            )
        )
    frame["fragile"] = np.where(moved, "true", "false")
    frame["ensemble"] = (
        pd.concat(others, axis=1).apply(lambda r: "; ".join(x for x in r if x), axis=1)
        if others
        else ""
    )
    return frame


def _commit(source: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else "unknown (not a git checkout)"


def update_reference(
    source: Path,
    dest: Path,
    workdir: Path,
    cores: int,
    members: list[str],
    lab_name: str,
    resume: bool = False,
) -> int:
    """Remake one lab's part of the committed reference `dest`: its tables from a pinned
    run and the ensemble's runs of that lab alone, its values' classes; every other lab's
    tables, classes and the claims stay as they are (a lab added, or a lab whose code
    alone changed, needs no run of the others)."""
    from backprop_lab.labs import get

    lab = get(lab_name)
    names = [t for t in lab.tables if t not in lab.wall_time_tables()]
    targets = tuple(f"reports/tables/{t}.csv" for t in lab.tables)
    runs: dict[str, Run] = {}
    for name, env in {"pinned": {}, **{m: ENSEMBLE[m] for m in members}}.items():
        print(f"Reference ({lab_name}): the run '{name}' ...", flush=True)
        run = finished_run(workdir / name, env) if resume else None
        run = run or regenerate(source, workdir / name, cores, env, targets)
        if run is None:
            print(f"FAILED: the run '{name}' did not reach the tables; see {workdir / name}")
            return 2
        runs[name] = run
    base = runs.pop("pinned")
    classes: list[GroupClass] = []
    for name in names:
        others = [read_table(r.tables / f"{name}.csv") for r in runs.values()]
        classes += classify(
            name, read_table(base.tables / f"{name}.csv"), others, lab.roundoff.get(name, ())
        )
    kept = pd.read_csv(
        dest / "classes.csv", dtype={"group": str}, keep_default_na=False, na_values=[""]
    )
    merged = pd.concat([kept[~kept["table"].isin(names)], classes_frame(classes)])
    write_table(merged, dest / "classes.csv")
    for name in names:
        shutil.copyfile(base.tables / f"{name}.csv", dest / "tables" / f"{name}.csv")
    provenance = json.loads((dest / "provenance.json").read_text())
    counts = merged.groupby("class")["n"].sum()
    provenance["values_per_class"] = {c: int(counts.get(c, 0)) for c in CLASSES}
    provenance.setdefault("labs_remade", {})[lab_name] = {
        "made": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(source),
        "members": members,
    }
    (dest / "provenance.json").write_text(json.dumps(provenance, indent=1, sort_keys=True) + "\n")
    print(f"Updated the reference {dest} for {lab_name}: {provenance['values_per_class']}")
    return 0
