"""The 2-2-2 lab's printed numbers (ledger.yaml) against its own programs and the runs.

Candidates for each printed block:
- the lab's program as its listing has it (``listing.py``): the numpy program in float64,
  the PyTorch programs in float32 as the lab ran them on torch.Tensor;
- the pipeline's run of the same setup (float64, its correct engines);
- named departures, where the stated setup does not give the printed numbers: the numpy
  listing's own back_propagate (its d_w1..d_w4 are not the chain rule's), another step,
  another placement of the ReLU.
The random-initialisation block was unseeded and printed an output of a sigmoid unit
beyond (0, 1), which no run can give.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from backprop_lab import ledger
from backprop_lab.labs.hand_222 import listing
from backprop_lab.labs.hand_222.network import HIDDEN, OUTPUTS, WEIGHTS
from backprop_lab.ledger import Candidate, Printed

LEDGER = Path(__file__).with_name("ledger.yaml")
LISTED_BACKWARD = (
    "the listing's back_propagate: d_w1..d_w4 from (d_w5 + d_w6) and (d_w7 + d_w8) "
    "instead of the chain rule"
)

Run = dict[str, Any]

# block -> the PyTorch program's settings (as listed), and the pipeline run's settings
TORCH_BLOCKS = {
    "torch_baseline": ({}, {"engine": "torch", "loss": "half_sse"}),
    "torch_sigmoid_builtin": ({}, {"engine": "torch", "loss": "half_sse"}),
    "torch_relu": (
        {"activation": "relu"},
        {"hidden_activation": "relu", "output_activation": "relu", "loss": "half_sse"},
    ),
    # §3.4-§3.8 show only the changed loss function, or (§3.7, §3.8) a whole program with
    # the hand-written sigmoid 1 / (1 + exp(−z)): the programs from §3.4 on use that one
    "torch_mseloss": (
        {"activation": "hand_sigmoid", "loss": "mse_per_output"},
        {"loss": "mse_per_output_sum"},
    ),
    "torch_crossentropy": (
        {"activation": "hand_sigmoid", "loss": "cross_entropy"},
        {"loss": "ce_soft_raw"},
    ),
    "torch_zero_init": (
        {"activation": "hand_sigmoid", "loss": "cross_entropy", "init": "zeros"},
        {"loss": "ce_soft_raw", "init": "zeros"},
    ),
}
# departures tried where the stated setup does not give a block's numbers
TORCH_DEVIATIONS = {
    "torch_baseline": [({"activation": "hand_sigmoid"}, "the hand-written sigmoid instead")],
    "torch_relu": [
        ({"activation": "torch_sigmoid", "output_activation": "relu"}, "ReLU on the outputs only"),
        (
            {"activation": "relu", "output_activation": "torch_sigmoid"},
            "ReLU on the hidden units only",
        ),
    ],
}
ROUNDS = 1000


@cache
def _torch_program(**kw: Any) -> dict[int, dict[str, float]]:
    return listing.run_torch(ROUNDS, **kw)


@cache
def _numpy_program(step: float, correct: bool) -> list[dict[str, float]]:
    return listing.run(step, ROUNDS, correct_backward=correct)


def build(runs: list[Run], section: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in ledger.load(LEDGER):
        rnd = int(entry.extra["round"])
        if entry.block == "numpy_baseline":
            rows.append(ledger.reproduce(entry, _numpy_candidates(entry.name, rnd)))
        elif entry.block in TORCH_BLOCKS:
            rows.append(ledger.reproduce(entry, _torch_candidates(entry, rnd, runs)))
        elif entry.block == "torch_random_init":
            rows.append(_random_init(entry))
        else:
            rows.append(ledger.not_reproducible(entry, f"no candidates for block {entry.block}"))
    return rows


def _numpy_candidates(name: str, rnd: int) -> list[Candidate]:
    """Round r is the program's r-th forward pass (index r − 1)."""
    out = []
    for step, correct, deviation in (
        (10, True, None),
        (10, False, f"{LISTED_BACKWARD} (step 10, as listed)"),
        (5, False, f"{LISTED_BACKWARD}, and step 5 instead of the listing's 10"),
        (1, False, f"{LISTED_BACKWARD}, and step 1 instead of the listing's 10"),
        (5, True, "step 5 instead of the listing's 10"),
        (1, True, "step 1 instead of the listing's 10"),
    ):
        backward = "the chain rule" if correct else "the listing's back_propagate"
        value = _numpy_program(step, correct)[rnd - 1][name]
        label = f"the numpy program, step {step}, {backward} (float64)"
        out.append(Candidate(label, float(value), deviation))
    return out


def _torch_candidates(entry: Printed, rnd: int, runs: list[Run]) -> list[Candidate]:
    program, pipeline = TORCH_BLOCKS[entry.block]
    out = [
        Candidate(
            "the lab's PyTorch program as listed (float32)",
            _torch_program(**program)[rnd].get(entry.name),
        )
    ]
    run = _find(runs, pipeline)
    if run is not None:
        out.append(Candidate(f"run {_label(run)} (float64)", _pipeline_value(run, entry.name, rnd)))
    for changes, deviation in TORCH_DEVIATIONS.get(entry.block, []):
        value = _torch_program(**{**program, **changes})[rnd].get(entry.name)
        out.append(Candidate(f"the PyTorch program, {deviation} (float32)", value, deviation))
    return out


def _find(runs: list[Run], want: dict[str, Any]) -> Run | None:
    """The first run of the specified weights, step 1, sigmoid (unless `want` says
    otherwise), torch's built-in sigmoid where the engine is torch."""
    base = {
        "init": "specified",
        "step": 1.0,
        "hidden_activation": "sigmoid",
        "output_activation": "sigmoid",
        "sigmoid_impl": "builtin",
        "loss": "half_sse",
    }
    target = {**base, **want}
    for run in runs:
        if all(run["settings"].get(k) == v for k, v in target.items()):
            return run
    return None


def _label(run: Run) -> str:
    s = run["settings"]
    return f"{s['lab']}/{s['axis']}/{s['variant']}"


def _pipeline_value(run: Run, name: str, rnd: int) -> float | None:
    cps = {cp["round"]: cp for cp in run["result"]["checkpoints"]}
    cp = cps.get(rnd)
    if cp is None:
        return None
    a_hidden, a_out = cp["a"][0]
    units = dict(zip(HIDDEN, a_hidden[0])) | dict(zip(OUTPUTS, a_out[0]))
    if name in units:
        return float(units[name])
    if name == "loss":
        return float(cp["loss"][0])
    if name.startswith("grad_"):
        return float(cp["grads"][0][WEIGHTS.index(name.removeprefix("grad_"))])
    if name.endswith("_after"):
        return float(cp["weights"][0][WEIGHTS.index(name.removesuffix("_after"))])
    return None


def _random_init(entry: Printed) -> dict[str, Any]:
    if entry.name in OUTPUTS and not 0 < entry.value < 1:
        return ledger.not_reproducible(
            entry,
            f"{entry.name} = {entry.printed} is printed as the output of a sigmoid unit, "
            "whose outputs lie in (0, 1)",
        )
    return ledger.not_reproducible(
        entry, "torch.randn(1, 1) initial weights, unseeded and not printed"
    )
