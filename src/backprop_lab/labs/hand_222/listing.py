"""The 2-2-2 lab's numpy program, transcribed from its listing (lab-2-2-2-by-hand.txt,
§3.1), for the ledger's candidate explanations of the numbers it printed.

Unchanged in substance: the forward pass, the loss, the lab's back_propagate (whose
d_w1..d_w4 use (d_w5 + d_w6) and (d_w7 + d_w8), which already carry out_h1 and out_h2,
instead of the output deltas times w5..w8) and the update. Only the globals became
arguments, and a `correct_backward` switch puts the chain rule's d_w1..d_w4 in their place.
"""

from __future__ import annotations

import numpy as np

X = (0.5, 0.3)
Y = (0.23, -0.07)
WEIGHTS = (0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8)


def sigmoid(z):
    a = 1 / (1 + np.exp(-z))
    return a


def forward_propagate(x1, x2, y1, y2, w1, w2, w3, w4, w5, w6, w7, w8):
    in_h1 = w1 * x1 + w3 * x2
    out_h1 = sigmoid(in_h1)
    in_h2 = w2 * x1 + w4 * x2
    out_h2 = sigmoid(in_h2)
    in_o1 = w5 * out_h1 + w7 * out_h2
    out_o1 = sigmoid(in_o1)
    in_o2 = w6 * out_h1 + w8 * out_h2
    out_o2 = sigmoid(in_o2)
    error = (1 / 2) * (out_o1 - y1) ** 2 + (1 / 2) * (out_o2 - y2) ** 2
    return out_o1, out_o2, out_h1, out_h2, error


def back_propagate(x1, x2, y1, y2, w, out_o1, out_o2, out_h1, out_h2, correct_backward=False):
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    d_o1 = out_o1 - y1
    d_o2 = out_o2 - y2
    d_w5 = d_o1 * out_o1 * (1 - out_o1) * out_h1
    d_w7 = d_o1 * out_o1 * (1 - out_o1) * out_h2
    d_w6 = d_o2 * out_o2 * (1 - out_o2) * out_h1
    d_w8 = d_o2 * out_o2 * (1 - out_o2) * out_h2
    if correct_backward:
        delta_o1 = d_o1 * out_o1 * (1 - out_o1)
        delta_o2 = d_o2 * out_o2 * (1 - out_o2)
        back_h1 = delta_o1 * w5 + delta_o2 * w6
        back_h2 = delta_o1 * w7 + delta_o2 * w8
    else:  # as listed
        back_h1 = d_w5 + d_w6
        back_h2 = d_w7 + d_w8
    d_w1 = back_h1 * out_h1 * (1 - out_h1) * x1
    d_w3 = back_h1 * out_h1 * (1 - out_h1) * x2
    d_w2 = back_h2 * out_h2 * (1 - out_h2) * x1
    d_w4 = back_h2 * out_h2 * (1 - out_h2) * x2
    return d_w1, d_w2, d_w3, d_w4, d_w5, d_w6, d_w7, d_w8


def run(step, n, correct_backward=False):
    """The program's loop for `n` rounds: for each i = 0..n−1, what it prints at i
    (o1, o2 and the loss, before that round's update)."""
    w = list(WEIGHTS)
    x1, x2 = X
    y1, y2 = Y
    printed = []
    for _i in range(n):
        out_o1, out_o2, out_h1, out_h2, error = forward_propagate(x1, x2, y1, y2, *w)
        printed.append({"o1": out_o1, "o2": out_o2, "loss": error})
        grads = back_propagate(x1, x2, y1, y2, w, out_o1, out_o2, out_h1, out_h2, correct_backward)
        w = [wi - step * g for wi, g in zip(w, grads)]
    return printed


# --- the PyTorch programs (§3.1-§3.8), float32 as the lab ran them on torch.Tensor ---------


def run_torch(
    rounds,
    activation="torch_sigmoid",
    output_activation=None,
    loss="half_sse",
    init="specified",
    step=1.0,
    checkpoints=(10, 100, 1000),
):
    """The lab's PyTorch program for `rounds` rounds; at each checkpoint round k (counted
    from 1, as its "=====the first k wheel=====") what it prints: h1, h2, o1, o2 and the
    loss (before the update), the gradients and the updated weights."""
    import torch

    x = [0.5, 0.3]
    y1, y2 = torch.Tensor([0.23]), torch.Tensor([-0.07])
    values = WEIGHTS if init == "specified" else (0.0,) * 8
    w = [torch.Tensor([v]) for v in values]
    for wi in w:
        wi.requires_grad = True
    functions = {
        "hand_sigmoid": lambda z: 1 / (1 + torch.exp(-z)),
        "torch_sigmoid": torch.sigmoid,
        "relu": torch.relu,
    }
    act = functions[activation]
    act_out = functions[output_activation or activation]
    printed = {}
    for k in range(1, rounds + 1):
        in_h1 = w[0] * x[0] + w[2] * x[1]
        out_h1 = act(in_h1)
        in_h2 = w[1] * x[0] + w[3] * x[1]
        out_h2 = act(in_h2)
        in_o1 = w[4] * out_h1 + w[6] * out_h2
        out_o1 = act_out(in_o1)
        in_o2 = w[5] * out_h1 + w[7] * out_h2
        out_o2 = act_out(in_o2)
        if loss == "half_sse":
            value = (1 / 2) * (out_o1 - y1) ** 2 + (1 / 2) * (out_o2 - y2) ** 2
        elif loss == "mse_per_output":
            mse = torch.nn.MSELoss()
            value = mse(out_o1, y1) + mse(out_o2, y2)
        elif loss == "cross_entropy":
            ce = torch.nn.CrossEntropyLoss()
            value = ce(torch.stack([out_o1, out_o2], dim=1), torch.stack([y1, y2], dim=1))
        else:
            raise ValueError(f"unknown loss {loss!r}")
        value.backward()
        grads = [float(wi.grad.item()) for wi in w]
        for wi in w:
            wi.data = wi.data - step * wi.grad.data
            wi.grad.data.zero_()
        if k in checkpoints:
            printed[k] = {
                "h1": float(out_h1.item()),
                "h2": float(out_h2.item()),
                "o1": float(out_o1.item()),
                "o2": float(out_o2.item()),
                "loss": float(value.item()),
                **{f"grad_w{i + 1}": g for i, g in enumerate(grads)},
                **{f"w{i + 1}_after": float(wi.item()) for i, wi in enumerate(w)},
            }
    return printed
