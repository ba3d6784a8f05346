"""The gradient-equality lab's printed numbers (ledger.yaml), checked against each other.

The lab ran PyTorch's default initialisation unseeded and printed neither the weights nor
the sample its gradients belong to, so no run can give its numbers. What its printed
numbers do allow is a check of the lab against itself:
- each printed label y[i] against (x1² + x2²) / 2 of its printed x[i];
- the printed loss against the printed output-bias gradient (L = (pred − y)², so
  dL/db3 = 2 (pred − y) and L = (dL/db3)² / 4), and the printed prediction against
  y[0], the label of the sample the text says it used;
- the structure backprop gives one sample's gradients: a layer's weight gradient is the
  outer product of its bias gradient and its input, so dW[i][j] / db[i] is the same for
  every row i: the input of the layer (for the first layer, the sample x itself; for
  the second, a sigmoid's output, within (0, 1));
- the second printed copy (the "from scratch" numpy run) against the first, entry by
  entry, as the transpose it is printed as;
- the lab's own equality check, recomputed from the printed copies: it sums signed
  differences of a matrix and its transpose, which is 0 for any square matrix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from backprop_lab import ledger
from backprop_lab.ledger import Printed

LEDGER = Path(__file__).with_name("ledger.yaml")
UNSEEDED = (
    "PyTorch's default initialisation, unseeded, and the weights were not printed: "
    "no run can give this value"
)

Run = dict[str, Any]


def _index(name: str) -> tuple[str, tuple[int, ...]]:
    """ "grad_hidden1_w[2][9]" -> ("grad_hidden1_w", (2, 9))."""
    base = name.split("[", 1)[0]
    return base, tuple(int(i) for i in re.findall(r"\[(\d+)\]", name))


def _arrays(entries: list[Printed]) -> dict[str, dict[tuple[int, ...], float]]:
    arrays: dict[str, dict[tuple[int, ...], float]] = {}
    for e in entries:
        base, idx = _index(e.name)
        arrays.setdefault(base, {})[idx] = e.value
    return arrays


def _matrix(values: dict[tuple[int, ...], float]) -> np.ndarray:
    rows = 1 + max(i for i, *_ in values)
    cols = 1 + max((j[0] if j else 0) for _, *j in values)
    out = np.full((rows, cols), np.nan)
    for key, v in values.items():
        out[key[0], key[1] if len(key) > 1 else 0] = v
    return out


def build(runs: list[Run], section: dict[str, Any]) -> list[dict[str, Any]]:
    entries = ledger.load(LEDGER)
    blocks: dict[str, list[Printed]] = {}
    for e in entries:
        blocks.setdefault(e.block, []).append(e)
    data = _arrays(blocks.get("data", []))
    auto = _arrays(blocks.get("autograd_gradients", []))
    numpy_copy = _arrays(blocks.get("numpy_gradients", []))
    implied = _implied(auto)
    rows = []
    for e in entries:
        if e.block == "data":
            rows.append(_data_row(e, data))
        elif e.block == "autograd_gradients":
            rows.append(_gradient_row(e, auto, implied, data))
        elif e.block == "numpy_gradients":
            rows.append(_copy_row(e, auto))
        elif e.block.startswith("deviation"):
            rows.append(_deviation_row(e, auto, numpy_copy))
        else:
            rows.append(_other_row(e, data))
    return rows


def _implied(auto: dict[str, dict]) -> dict[str, Any]:
    """What the first copy's gradients say about the sample and the network's activations."""
    out: dict[str, Any] = {}
    w1, b1 = auto.get("grad_input_w"), auto.get("grad_input_b")
    if w1 and b1:
        W, b = _matrix(w1), _matrix(b1)[:, 0]
        out["x"] = np.median(W / b[:, None], axis=0)  # each row: b[i] · x
    w2, b2 = auto.get("grad_hidden1_w"), auto.get("grad_hidden1_b")
    if w2 and b2:
        W, b = _matrix(w2), _matrix(b2)[:, 0]
        out["h1"] = np.median(W / b[:, None], axis=0)  # torch layout: W[i][j] = b[i] · h1[j]
    pred, db3 = auto.get("prediction"), auto.get("grad_hidden2_b")
    if pred and db3:
        out["y"] = next(iter(pred.values())) - next(iter(db3.values())) / 2
    return out


def _data_row(e: Printed, data: dict[str, dict]) -> dict[str, Any]:
    base, idx = _index(e.name)
    x = data.get("x", {})
    if base == "y" and (idx[0], 0) in x and (idx[0], 1) in x:
        x1, x2 = x[(idx[0], 0)], x[(idx[0], 1)]
        slack = (abs(x1) + abs(x2)) * 0.5e-4  # x was printed to 4 decimals
        return ledger.consistency(
            e, (x1**2 + x2**2) / 2, f"(x1² + x2²) / 2 of the printed x[{idx[0]}]", slack
        )
    return ledger.not_reproducible(
        e,
        "drawn by torch.distributions.Uniform, unseeded"
        + ("" if base == "x" else "; its x is not printed"),
    )


def _gradient_row(
    e: Printed, auto: dict[str, dict], implied: dict[str, Any], data: dict[str, dict]
) -> dict[str, Any]:
    base, idx = _index(e.name)
    db3 = next(iter(auto.get("grad_hidden2_b", {0: None}).values()))
    if base == "loss" and db3 is not None:
        return ledger.consistency(e, db3**2 / 4, "(dL/db3)² / 4, from the printed bias gradient")
    if base == "prediction" and "y" in implied:
        y0 = data.get("y", {}).get((0,))
        x = implied.get("x")
        where = (
            f" and the first layer's gradients give x ≈ ({x[0]:.4f}, {x[1]:.4f})"
            if x is not None
            else ""
        )
        row = ledger.consistency(
            e,
            (y0 if y0 is not None else implied["y"]) + db3 / 2,
            f"with y[0] = {y0}, the sample the text says it used, the printed loss and dL/db3 "
            f"give a prediction of {(y0 or 0) + db3 / 2:.5f}; they fit a sample with "
            f"y = {implied['y']:.5f}{where}, which is not x[0]",
        )
        return row
    if base == "grad_hidden2_b":
        return ledger.consistency(e, -2 * np.sqrt(_loss(auto)), "−2 √L, from the printed loss")
    if base == "grad_hidden2_w" and db3:
        h2 = e.value / db3
        inside = 0 < h2 < 1
        row = ledger.consistency(
            e,
            e.value if inside else np.nan,
            f"dL/dw3[{idx[0]}] / dL/db3 = {h2:.4f} is the second layer's sigmoid output"
            + (", within (0, 1)" if inside else ", outside (0, 1): impossible"),
        )
        return row
    if base in ("grad_hidden1_w", "grad_input_w"):
        bias = "grad_hidden1_b" if base == "grad_hidden1_w" else "grad_input_b"
        layer_input = implied.get("h1" if base == "grad_hidden1_w" else "x")
        b = auto.get(bias, {}).get((idx[0],))
        if b is None or layer_input is None:
            return ledger.not_reproducible(e, UNSEEDED)
        value = b * layer_input[idx[1]]
        slack = abs(layer_input[idx[1]]) * 0.5e-5 + abs(b) * 1e-3
        name = "h1" if base == "grad_hidden1_w" else "x"
        return ledger.consistency(
            e,
            value,
            f"the bias gradient {b:g} × the layer's input {name}[{idx[1]}] ≈ "
            f"{layer_input[idx[1]]:.4f} (the median over the rows)",
            slack,
        )
    return ledger.not_reproducible(e, UNSEEDED)


def _loss(auto: dict[str, dict]) -> float:
    return float(next(iter(auto.get("loss", {0: float("nan")}).values())))


def _copy_row(e: Printed, auto: dict[str, dict]) -> dict[str, Any]:
    base, idx = _index(e.name)
    first = auto.get(base, {})
    if base == "grad_hidden1_w" and len(idx) == 2:
        twin = first.get((idx[1], idx[0]))
        how = f"the first copy's [{idx[1]}][{idx[0]}]: the second copy is its transpose"
    else:
        twin = first.get(idx)
        how = "the first copy's same entry"
    if twin is None:
        return ledger.not_reproducible(e, "no entry of the first copy to compare with")
    return ledger.consistency(e, twin, how)


def _deviation_row(
    e: Printed, auto: dict[str, dict], numpy_copy: dict[str, dict]
) -> dict[str, Any]:
    """The lab's check: (np.round(torch_grad, 4) − np.round(numpy_grad, 4)).sum()."""
    names = {
        "input_layer w": "grad_input_w",
        "input_layer b": "grad_input_b",
        "hidden_layer_1 w": "grad_hidden1_w",
        "hidden_layer_1 b": "grad_hidden1_b",
        "hidden_layer_2 w": "grad_hidden2_w",
        "hidden_layer_2 b": "grad_hidden2_b",
    }
    if e.name in ("loss_deviation", "prediction_deviation"):
        key = e.name.removesuffix("_deviation")
        a, b = next(iter(auto[key].values())), next(iter(numpy_copy[key].values()))
        how = f"np.round of the two copies' {key} to 5 decimals, subtracted"
        return ledger.consistency(e, round(a, 5) - round(b, 5), how)
    key = next((v for k, v in names.items() if k.replace(" ", "_") in e.name), None)
    if key is None or key not in auto or key not in numpy_copy:
        return ledger.not_reproducible(e, "recomputed from the printed values of its inputs only")
    a, b = _matrix(auto[key]), _matrix(numpy_copy[key])
    signed = float((np.round(a, 4) - np.round(b, 4)).sum())
    largest = float(np.abs(np.round(a, 4) - np.round(b, 4)).max())
    how = "the signed sum of the rounded differences of the printed copies, as the lab's check does"
    if key == "grad_hidden1_w":
        how += (
            f"; it compares a 10 × 10 matrix with its transpose (largest entry difference "
            f"{largest:.4f}), and such a sum is 0 for any matrix, so the check could not fail; "
            "here it is not 0 because the copies differ in one printed entry"
        )
    return ledger.consistency(e, round(signed, 10), how)


def _other_row(e: Printed, data: dict[str, dict]) -> dict[str, Any]:
    base, idx = _index(e.name)
    if base in data and idx in data[base]:
        return ledger.consistency(e, data[base][idx], f"the data printout's {e.name}")
    return ledger.not_reproducible(e, UNSEEDED)
