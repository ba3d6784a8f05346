"""The 2-2-2 network worked by hand: one sample, eight weights, plain gradient descent.

The lab's specified weights and sample, every catalogued axis (engine, sigmoid
implementation, activation, loss implementation and function, step × rounds,
initialisation), the round-1 hand calculation (by the worked-example machinery) and the
lab's claims.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backprop_lab.lab import LEDGER_KEYS, ConfigError, Figure, Lab
from backprop_lab.worked import layout
from backprop_lab.stacking import AXIS

# the lab's network: 2 inputs, 2 hidden units, 2 outputs, no biases (its schema fixes x, y
# and the 8 weights); the unit and weight names are backprop_lab.worked.layout's
WIDTHS = (2, 2, 2)
INPUTS, HIDDEN, OUTPUTS = layout.layer_names(WIDTHS)
TARGETS = [f"y{k}" for k in range(1, WIDTHS[-1] + 1)]
WEIGHTS = list(layout.weight_edges(WIDTHS))
# the lab's printed blocks, one worked-example file each (backprop_lab.labs.hand_222.ledger)
EXAMPLES = Path(__file__).with_name("examples")


def _complete(
    settings: dict[str, Any], axis: str, variant: str, section: dict[str, Any], config: dict
) -> None:
    random_init = settings["init"] in ("normal", "uniform")
    settings.update(
        x=list(section["x"]),
        y=list(section["y"]),
        weights=list(section["weights"]),
        checkpoints=sorted(set(section["checkpoints"]) | {1}),
        seeds=list(config["seeds"]) if random_init else None,
    )


def _check_section(section: dict[str, Any], runs: dict[str, dict[str, Any]]) -> None:
    """A reported round beyond every run's rounds would be reported by no run."""
    longest = max((s["rounds"] for s in runs.values()), default=0)
    beyond = sorted(c for c in section["checkpoints"] if c > longest)
    if beyond:
        raise ConfigError(
            f"config key hand_222.checkpoints: {beyond} is beyond every variant's rounds "
            f"(the longest has {longest}); allowed: rounds up to {longest}"
        )


def _borrows(runs: dict[str, dict[str, Any]]) -> list[str]:
    """The worked lab's as-printed runs of this lab's example files, where the config runs
    them (``worked.examples`` names this lab's folder, as the default does): their ledgers
    are this lab's ledger rows, computed once. A file the config does not run is checked
    by this lab's aggregate itself."""
    from backprop_lab.worked import AS_PRINTED
    from backprop_lab.worked.example import shown

    files = {shown(path) for path in EXAMPLES.glob("*.yaml")}
    return [
        run_id
        for run_id, s in runs.items()
        if s["lab"] == "worked" and s["kind"] == AS_PRINTED and s["file"] in files
    ]


def _figures(section: dict[str, Any]) -> list[Figure]:
    figures = [Figure(f"hand_222_loss_{axis}", "loss", axis) for axis in section["axes"]]
    figures += [Figure(f"hand_222_{kind}", kind) for kind in ("weights", "step_rounds", "seeds")]
    return [*figures, Figure("hand_222_graph", "graph")]


LAB = Lab(
    name="hand_222",
    title="The 2-2-2 network by hand",
    tables={
        "hand_222_summary": ("run_id", "axis", "variant", "seed", "final_loss", "diverged_round"),
        "hand_222_checkpoints": ("run_id", "round", "loss", "o1", "o2"),
        "hand_222_pairs": ("run_a", "run_b", "seed_key", "max_weight_diff", "max_loss_diff"),
        "hand_222_ledger": LEDGER_KEYS + ("printed", "verdict"),
        "hand_222_forward": ("sample", "unit", "net", "out", "out_autograd", "difference"),
        "hand_222_chain": ("quantity", "formula", "substituted", "hand", "autograd", "difference"),
        "hand_222_edges": ("parameter", "from", "to", "initial", "gradient", "after_round_1"),
    },
    table_keys={
        "hand_222_summary": ("run_id", "seed_key"),
        "hand_222_checkpoints": ("run_id", "seed_key", "round"),
        "hand_222_pairs": ("run_a", "run_b", "seed_key"),
        "hand_222_ledger": LEDGER_KEYS,
        "hand_222_forward": ("sample", "unit"),
        "hand_222_chain": ("quantity",),
        "hand_222_edges": ("parameter",),
    },
    large_tables={"hand_222_rounds": ("run_id", "seed_key", "round", "loss")},
    # two runs that differ only in engine or implementation differ by round-off
    # and the hand-written backprop against autograd in round 1
    roundoff={
        "hand_222_pairs": ("max_weight_diff", "max_loss_diff"),
        "hand_222_forward": ("difference",),
        "hand_222_chain": ("difference",),
    },
    unchanged=("x", "y", "weights", "checkpoints"),
    complete=_complete,
    check_section=_check_section,
    borrows=_borrows,
    figures=_figures,
    result_keys=("rounds_kept", "loss", "weights", "weights_initial", "checkpoints", "diverged"),
    # one entry per seed (backprop_lab.stacking), per round and per checkpoint
    replicas={
        **dict.fromkeys(
            ("loss", "weights", "diverged", "initial_loss", "final_loss", "min_loss"), AXIS
        ),
        **dict.fromkeys(("round_within_1pct", "weights_initial", "seeds"), AXIS),
        **{f"checkpoints[].{k}": AXIS for k in ("loss", "z", "a", "grads", "weights")},
    },
)
