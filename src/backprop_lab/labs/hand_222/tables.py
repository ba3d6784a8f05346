"""The 2-2-2 lab's tables: one row per variant × seed, per checkpoint, per pair of runs,
every kept round (large; see ``core.training.kept_rounds``), and the round-1 hand
calculation of the baseline (forward, chain rule, every weight on its edge) by the
worked-example machinery."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from backprop_lab.labs.hand_222 import HIDDEN, INPUTS, OUTPUTS, TARGETS, WEIGHTS, WIDTHS, ledger
from backprop_lab.ledger import table as ledger_table
from backprop_lab.tidy import replicas, run_ident
from backprop_lab.worked import layout

Run = dict[str, Any]


SETTING_COLUMNS = [
    "engine",
    "hidden_activation",
    "output_activation",
    "loss",
    "step",
    "rounds",
    "init",
    "sigmoid_impl",
]
# A unit is dead when its pre-activation is at or below this at the end and its gradient is 0.
DEAD_TOLERANCE = 0.0


def build(runs: list[Run], section: dict[str, Any], borrowed: list[Run]) -> dict[str, pd.DataFrame]:
    """The lab's tables from its runs; `borrowed`: the worked lab's as-printed runs of the
    lab's example files (their ledgers; ``LAB.borrows``)."""
    summary, checkpoints, rounds = summary_tables(runs)
    return {
        "hand_222_summary": summary,
        "hand_222_checkpoints": checkpoints,
        "hand_222_pairs": pairs_table(summary, rounds),
        "hand_222_ledger": ledger_table(ledger.build(runs, section, borrowed)),
        "hand_222_rounds": rounds,
        **round1(section),
    }


def round1(section: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Round 1 of the baseline's setting (its activations, loss and step) from the
    specified weights, by hand and by autograd: the forward table, the chain-rule table and
    every weight on its edge (``backprop_lab.worked.chain``, on the network as a worked
    example, ``backprop_lab.worked.layout``)."""
    from backprop_lab.worked.chain import chain_rows, edges, forward_rows
    from backprop_lab.worked.model import Model

    base = section["baseline"]
    model = Model(
        layout.example(
            title="The 2-2-2 lab's baseline",
            widths=WIDTHS,
            weights=section["weights"],
            x=section["x"],
            y=section["y"],
            activations=(base["hidden_activation"], base["output_activation"]),
            training={"loss": base["loss"], "step": base["step"], "rounds": 1},
        )
    )
    return {
        "hand_222_forward": pd.DataFrame(forward_rows(model)),
        "hand_222_chain": pd.DataFrame(chain_rows(model)),
        "hand_222_edges": pd.DataFrame(edges(model)),
    }


def summary_tables(runs: list[Run]) -> tuple[pd.DataFrame, ...]:
    summary_rows, checkpoint_rows, round_frames = [], [], []
    for run in runs:
        settings, result = run["settings"], run["result"]
        ident = run_ident(settings, SETTING_COLUMNS)
        for s, seed in enumerate(replicas(settings)):
            seed_info = {"seed": seed, "seed_key": "-" if seed is None else str(seed)}
            kept = np.asarray(result["rounds_kept"], dtype=np.int64)
            loss = np.array(result["loss"][s], dtype=float)  # None (diverged) -> nan
            weights = np.array(result["weights"][s], dtype=float)
            initial = np.array(result["weights_initial"][s], dtype=float)
            frame = pd.DataFrame(weights, columns=WEIGHTS)
            frame.insert(0, "loss", loss)
            frame.insert(0, "round", kept)
            for key, value in reversed(list({**ident, **seed_info}.items())):
                frame.insert(0, key, value)
            round_frames.append(frame)
            summary_rows.append(
                {
                    **ident,
                    **seed_info,
                    **_summary_row(settings, result, s, weights, initial),
                }
            )
            at = {int(k): i for i, k in enumerate(kept)}
            for cp in result["checkpoints"]:
                before = initial if cp["round"] == 1 else weights[at[cp["round"] - 1]]
                checkpoint_rows.append(
                    {**ident, **seed_info, **_checkpoint_row(settings, cp, s, before)}
                )
    summary = pd.DataFrame(summary_rows)
    checkpoints = pd.DataFrame(checkpoint_rows)
    rounds = pd.concat(round_frames, ignore_index=True)
    for frame in (summary, checkpoints, rounds):
        frame["seed"] = frame["seed"].astype("Int64")
    return summary, checkpoints, rounds


def _checkpoint_row(
    settings: dict[str, Any], cp: dict[str, Any], s: int, before: np.ndarray
) -> dict[str, Any]:
    row = {"round": cp["round"], "loss": cp["loss"][s]}
    row.update(zip(INPUTS, settings["x"]))
    row.update(zip(TARGETS, settings["y"]))
    for units, z, a in zip((HIDDEN, OUTPUTS), cp["z"][s], cp["a"][s]):
        row.update({f"in_{u}": v for u, v in zip(units, np.ravel(z))})
        row.update(zip(units, np.ravel(a)))
    for i, w in enumerate(WEIGHTS):
        row[f"{w}_before"] = before[i]
    for i, w in enumerate(WEIGHTS):
        row[f"dL_d{w}"] = cp["grads"][s][i]
    for i, w in enumerate(WEIGHTS):
        row[w] = cp["weights"][s][i]
    return row


def _summary_row(
    settings: dict[str, Any],
    result: dict[str, Any],
    s: int,
    weights: np.ndarray,
    initial: np.ndarray,
) -> dict[str, Any]:
    """Loss summaries come from the run (it saw every round); the symmetry check uses the
    kept rounds (every round up to core.training.KEEP_EVERY_ROUND)."""
    last = result["checkpoints"][-1]
    return {
        **{key: _number(result[key][s]) for key in ("initial_loss", "final_loss", "min_loss")},
        "diverged_round": result["diverged"][s],
        "round_within_1pct": result["round_within_1pct"][s],
        "last_checkpoint": last["round"],
        **{f"final_{o}": v for o, v in zip(OUTPUTS, np.ravel(last["a"][s][-1]))},
        "dead_units": _dead_units(settings, last, s),
        "symmetric_hidden": _symmetric(np.vstack([initial, weights])),
    }


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _dead_units(settings: dict[str, Any], cp: dict[str, Any], s: int) -> str:
    """Units whose ReLU input is <= 0 at the last checkpoint: output 0, gradient 0, no learning."""
    dead = []
    for layer, (names, act) in enumerate(
        ((HIDDEN, settings["hidden_activation"]), (OUTPUTS, settings["output_activation"]))
    ):
        if act != "relu":
            continue
        z = np.ravel(cp["z"][s][layer])
        dead += [n for n, v in zip(names, z) if v <= DEAD_TOLERANCE]
    return ",".join(dead)


def _symmetric(weights: np.ndarray) -> bool:
    """The hidden units stay identical: at every recorded round (rows of `weights`, in the
    core's flattening order) each hidden unit's incoming and outgoing weights equal the
    first hidden unit's (in the 2-2-2 lab w1 = w2, w3 = w4, w5 = w7, w6 = w8)."""
    n_in, hidden, n_out = WIDTHS
    into = weights[:, : n_in * hidden].reshape(-1, n_in, hidden)
    out_of = weights[:, n_in * hidden :].reshape(-1, hidden, n_out)
    return bool(np.all(into == into[:, :, :1]) and np.all(out_of == out_of[:, :1, :]))


PAIR_COLUMNS = [
    "run_a",
    "run_b",
    "seed_key",
    "rounds_compared",
    "max_weight_diff",
    "max_loss_diff",
    "differs_in",
]


# The differences the report compares runs across, as the set of settings a pair differs
# in: the engine, the sigmoid implementation, the loss (at the same or at another step)
# and the number of rounds. Other pairs are left out: their number grows with the square
# of a sweep (a grid of 400 step sizes alone would make 80,000 pairs).
COMPARED = (
    frozenset({"engine"}),
    frozenset({"sigmoid_impl"}),
    frozenset({"loss_function"}),
    frozenset({"loss_function", "step"}),
    frozenset({"rounds"}),
)
# the summary's columns of SETTING_COLUMNS
_COLUMNS = ["loss_function" if k == "loss" else k for k in SETTING_COLUMNS]


def pairs_table(summary: pd.DataFrame, rounds: pd.DataFrame) -> pd.DataFrame:
    """The pairs of distinct runs that differ in one of COMPARED, per seed they share:
    largest differences over the rounds both runs kept (every round up to
    core.retention.KEEP_EVERY_ROUND). A run repeated in several axes is one run, named by
    its first axis point.

    The report finds the pairs it needs (numpy vs torch, MSELoss at step s vs the hand loss
    at step 2s, 10 rounds vs 1000 rounds...) by their settings in the summary table.
    """
    rows = []
    by_run = {key: frame for key, frame in rounds.groupby(["run_id", "seed_key"], sort=False)}
    runs = summary.drop_duplicates("settings_key").set_index("run_id")
    keys = summary.groupby("run_id", sort=False)["seed_key"].apply(set)
    for a, b in compared_pairs(runs[_COLUMNS]):
        for seed_key in sorted(keys[a] & keys[b]):
            ra, rb = by_run[(a, seed_key)], by_run[(b, seed_key)]
            common = np.intersect1d(ra["round"].to_numpy(), rb["round"].to_numpy())
            ra, rb = ra[ra["round"].isin(common)], rb[rb["round"].isin(common)]
            wa, wb = ra[list(WEIGHTS)].to_numpy(), rb[list(WEIGHTS)].to_numpy()
            la, lb = ra["loss"].to_numpy(), rb["loss"].to_numpy()
            rows.append(
                {
                    "run_a": a,
                    "run_b": b,
                    "seed_key": seed_key,
                    "rounds_compared": len(common),
                    "max_weight_diff": float(np.nanmax(np.abs(wa - wb))),
                    "max_loss_diff": float(np.nanmax(np.abs(la - lb))),
                    "differs_in": _differs(runs.loc[a], runs.loc[b]),
                }
            )
    # the columns are fixed, so a config with no comparable pair still gives a readable table
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def compared_pairs(settings: pd.DataFrame) -> list[tuple[str, str]]:
    """The pairs (a before b, in the table's order) whose settings differ in exactly one
    of COMPARED; found within groups that agree in every other setting."""
    position = {run: i for i, run in enumerate(settings.index)}
    found = set()
    for differ in COMPARED:
        rest = [c for c in settings.columns if c not in differ]
        for _, group in settings.groupby(rest, sort=False, dropna=False):
            for a, b in itertools.combinations(group.index, 2):
                if all(settings.at[a, c] != settings.at[b, c] for c in differ):
                    found.add((a, b))
    return sorted(found, key=lambda p: (position[p[0]], position[p[1]]))


def _differs(a: pd.Series, b: pd.Series) -> str:
    return "; ".join(f"{k}: {a[k]} → {b[k]}" for k in _COLUMNS if a[k] != b[k])
