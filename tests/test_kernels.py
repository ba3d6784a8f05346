"""Pinned kernels: which variables a job sets on which CPU, and what the kernels then are."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from backprop_lab import kernels

V3 = frozenset(kernels.V3_FLAGS)


def test_an_avx512_host_is_pinned_down_to_avx2() -> None:
    pinned = kernels.pinned_environment("x86_64", V3 | {"avx512f", "avx512bw"})
    assert pinned["NPY_DISABLE_CPU_FEATURES"].split() == ["X86_V4", "AVX512_ICL", "AVX512_SPR"]
    assert pinned["OPENBLAS_CORETYPE"] == "Haswell"
    assert pinned["ATEN_CPU_CAPABILITY"] == "avx2"
    assert pinned["MKL_ENABLE_INSTRUCTIONS"] == pinned["MKL_CBWR"] == "AVX2"


def test_an_avx2_host_disables_nothing_it_lacks() -> None:
    # numpy refuses to disable a feature the CPU lacks on some versions: never ask it to
    pinned = kernels.pinned_environment("x86_64", V3)
    assert "NPY_DISABLE_CPU_FEATURES" not in pinned
    assert pinned["OPENBLAS_CORETYPE"] == "Haswell"


@pytest.mark.parametrize(
    ("machine", "flags"),
    [("x86_64", V3 - {"fma"}), ("x86_64", frozenset({"sse4_2"})), ("aarch64", V3)],
)
def test_no_pin_where_the_level_cannot_run(machine: str, flags: frozenset[str]) -> None:
    # OpenBLAS's Haswell kernels on a CPU without AVX2 + FMA would crash
    assert kernels.pinned_environment(machine, flags) == {}


def test_pin_keeps_what_the_environment_already_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernels, "cpu_flags", lambda: V3 | {"avx512f"})
    monkeypatch.setattr(kernels.platform, "machine", lambda: "x86_64")
    environ = {"OPENBLAS_CORETYPE": "Sandybridge"}
    chosen = kernels.pin(environ)
    assert environ["OPENBLAS_CORETYPE"] == "Sandybridge" and "OPENBLAS_CORETYPE" not in chosen
    assert environ["ATEN_CPU_CAPABILITY"] == "avx2"
    native = {"BACKPROP_LAB_KERNELS": "native"}
    assert kernels.pin(native) == {} and native == {"BACKPROP_LAB_KERNELS": "native"}


def test_cpu_flags_read_from_cpuinfo(tmp_path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx avx2 fma\n\nprocessor\t: 1\n")
    assert kernels.cpu_flags(info) == {"fpu", "avx", "avx2", "fma"}
    assert kernels.cpu_flags(tmp_path / "missing") == frozenset()


def _kernels(env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "backprop_lab.cli", "kernels"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(
    not kernels.pinned_environment(os.uname().machine, kernels.cpu_flags()),
    reason="this CPU cannot run the pinned level (no AVX2 + FMA, or not x86-64)",
)
def test_a_job_process_runs_the_pinned_kernels() -> None:
    """What numpy, OpenBLAS and PyTorch report in a job's process, not what we asked."""
    pinned = _kernels({})
    assert pinned["numpy_simd"] == "X86_V3"
    assert pinned["blas_core"] == "Haswell"
    assert pinned["torch_capability"] == "AVX2"
    assert pinned["mkl_instructions"] == "AVX2"
    # another kernel set is another kind; the same set is the same kind
    other = _kernels({"OPENBLAS_CORETYPE": "Sandybridge", "ATEN_CPU_CAPABILITY": "default"})
    assert other["blas_core"] == "Sandybridge" and other["torch_capability"] == "DEFAULT"
    assert kernels.kind_differences(pinned, other) == [
        "blas_core: Haswell -> Sandybridge",
        "torch_capability: AVX2 -> DEFAULT",
    ]
    assert kernels.same_kind(pinned, _kernels({}))


def test_the_check_and_the_reference_leave_the_kernels_to_their_jobs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`reproduce` and `reference` only start pipelines: pinning their own process would
    hand the pins to every job, an ensemble member's included."""
    from backprop_lab import cli

    for name in kernels.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(kernels.SWITCH, raising=False)
    with pytest.raises(SystemExit, match="unknown ensemble member"):
        cli.main(["reference", "--members", "no-such-member"])
    assert not [name for name in kernels.VARIABLES if name in os.environ]
