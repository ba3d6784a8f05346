"""Gaps that mutation testing found: each test here fails on the named mutant."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from backprop_lab.atomic import atomic_path, write_text_atomic
from backprop_lab.core.functions import ACTIVATIONS


def test_relu_derivative_at_exactly_zero_is_zero() -> None:
    """Mutant: `z >= 0` instead of `z > 0`. PyTorch's autograd takes 0 there too."""
    z = np.array([[-1.0, 0.0, 2.0]])
    relu = ACTIVATIONS["relu"]
    assert relu.derivative(z, relu.forward(z)).tolist() == [[0.0, 0.0, 1.0]]
    t = torch.tensor(z, requires_grad=True)
    torch.relu(t).sum().backward()
    assert t.grad.tolist() == [[0.0, 0.0, 1.0]]


def test_an_interrupted_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """Mutant: writing the target in place. An exception in the middle of the write must
    leave the old content whole and no temporary file beside it."""
    target = tmp_path / "run.json"
    write_text_atomic(target, "old content\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp, open(tmp, "w") as handle:
        handle.write("half of the new")
        handle.flush()
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old content\n"
    assert sorted(os.listdir(tmp_path)) == ["run.json"]
    # and a finished write replaces it whole
    write_text_atomic(target, "new content\n")
    assert target.read_text() == "new content\n"
    assert sorted(os.listdir(tmp_path)) == ["run.json"]
