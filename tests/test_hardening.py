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


# --- the fast per-sample SGD loop, for every activation × loss -----------------------------

from backprop_lab.core.functions import LOSSES, PROBABILITY_LOSSES  # noqa: E402
from backprop_lab.core.network import NetSpec, flatten_params, init_params  # noqa: E402
from backprop_lab.core.numpy_engine import NumpyEngine  # noqa: E402
from backprop_lab.core.torch_engine import TorchEngine  # noqa: E402
from backprop_lab.core.training import apply_update  # noqa: E402


def _output(loss: str) -> tuple[str, int]:
    """An output activation and width that the loss accepts."""
    if loss in PROBABILITY_LOSSES:
        return "sigmoid", 1
    if loss in ("softmax_ce", "ce_soft_raw"):
        return "identity", 2
    return "identity", 1


CASES = [(a, loss) for a in sorted(ACTIVATIONS) for loss in sorted(LOSSES)]


@pytest.mark.parametrize("act, loss", CASES, ids=[f"{a}-{loss}" for a, loss in CASES])
def test_the_fast_sgd_loop_equals_the_slow_path_and_pytorch(act: str, loss: str) -> None:
    """Mutant: the fast loop skipping an activation's derivative (say ReLU's). One epoch of
    the fast loop equals sample-by-sample loss_and_grads + update, and PyTorch's epoch."""
    out_act, n_out = _output(loss)
    spec = NetSpec((2, 5, 4, n_out), (act, act, out_act), True, loss)
    params = init_params(spec, {"kind": "normal", "std": 1.0}, [0, 1])
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (2, 6, 2))
    Y = rng.uniform(0, 1, (2, 6, n_out))
    lr = np.array([0.01, 0.005])  # small enough that no activation diverges in one epoch
    fast = NumpyEngine(spec, params)
    fast.sgd_epoch(X, Y, lr)
    slow = NumpyEngine(spec, params)
    for n in range(X.shape[1]):
        _, grads, _ = slow.loss_and_grads(X[:, n : n + 1], Y[:, n : n + 1])
        apply_update(slow, grads, lr)
    twin = TorchEngine(spec, params)
    twin.sgd_epoch(X, Y, lr)
    a, b, c = (flatten_params(e.get_params()) for e in (fast, slow, twin))
    assert np.max(np.abs(a - flatten_params(params))) > 1e-6  # it learned something
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a, c, rtol=0, atol=1e-10)


# --- tolerances pinned from the failing side -------------------------------------------------

import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from conftest import ROOT  # noqa: E402

from backprop_lab.core.gradcheck import compare_grads  # noqa: E402
from backprop_lab.reproduce import TOLERANCES, compare_frames  # noqa: E402


def test_the_gradient_checks_noise_floor() -> None:
    """Mutant: the floor raised from 1e-10 to 1e-6. A difference just above the configured
    floor is an error; just below, it is not."""
    floor = yaml.safe_load((ROOT / "config/config.yaml").read_text())["gradient_equality"][
        "noise_floor"
    ]
    assert floor == 1e-10
    a = [(np.array([[1e-3, 2e-3]]), np.array([0.5]))]
    for factor, counted in ((1.01, True), (0.99, False)):
        b = [(a[0][0] + np.array([[floor * factor, 0.0]]), a[0][1])]
        rows = compare_grads(a, b, noise_floor=floor)
        assert (rows[0]["max_rel_error"] > 0) is counted, factor


@pytest.mark.parametrize("engine, rtol", [("numpy", 1e-9), ("torch", 1e-7)])
def test_the_reproduction_checks_tolerances(engine: str, rtol: float) -> None:
    """Mutant: the torch tolerance loosened from 1e-7 to 1e-2. A relative difference just
    above each engine's tolerance is a mismatch; just below, it is not."""
    assert TOLERANCES[engine].rtol == rtol
    expected = pd.DataFrame(
        {"run_id": ["l/a/x"], "seed_key": ["-"], "engine": [engine], "final_loss": [1.0]}
    )
    for factor, flagged in ((1.05, True), (0.95, False)):
        got = expected.assign(final_loss=1.0 + rtol * factor)
        found = compare_frames("hand_222_summary", expected, got)
        assert bool(found) is flagged, (engine, factor)


# --- `--config` overrides and dry runs -------------------------------------------------------

import shutil  # noqa: E402

from conftest import snakemake  # noqa: E402

from backprop_lab.configuration import type_overrides  # noqa: E402


def test_nested_config_overrides_get_their_yaml_types() -> None:
    """Snakemake hands `--config hand_222={baseline: {step: 2.0}}` over as text ('2.0')."""
    config = {"hand_222": {"baseline": {"step": "2.0", "engine": "torch", "rounds": "50"}}}
    config["hand_222"]["weights"] = ["0.1", "-2", "1e-3"]
    config["seeds"] = [0, 1]
    overrides = {"hand_222": {"baseline": {"step": "2.0", "engine": "torch", "rounds": "50"}}}
    overrides["hand_222"]["weights"] = ["0.1", "-2", "1e-3"]
    type_overrides(config, overrides)
    assert config["hand_222"]["baseline"] == {"step": 2.0, "engine": "torch", "rounds": 50}
    assert config["hand_222"]["weights"] == [0.1, -2, 0.001]


def test_an_override_and_a_dry_run_with_it_leave_the_next_run_alone(
    test_run: Path, tmp_path: Path
) -> None:
    work = tmp_path / "override"
    shutil.copytree(test_run, work, symlinks=True)
    done = snakemake(work, "-n", "--cores", "1", "--config", "hand_222={baseline: {step: 2.0}}")
    assert "Invalid configuration" not in done.stdout + done.stderr
    assert "rule train:" in done.stdout  # the overridden step reruns the variants using it
    # the dry run wrote the settings of the override: the plain config is still up to date
    again = snakemake(work, "-n", "--cores", "1")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_a_run_ends_by_saying_where_the_report_is(test_run: Path, tmp_path: Path) -> None:
    work = tmp_path / "again"
    shutil.copytree(test_run, work, symlinks=True)
    done = snakemake(work, "--cores", "1", "--forcerun", "report")
    said = done.stdout + done.stderr
    for name in ("report.md", "report.html"):
        assert f"backprop-lab: the report is {work.resolve() / 'reports' / name}" in said
    dry = snakemake(work, "-n", "--cores", "1")
    assert "the report is" not in dry.stdout + dry.stderr
