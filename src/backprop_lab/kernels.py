"""Which numerical kernels a job runs, pinned to a level almost every x86-64 host has.

numpy, OpenBLAS, PyTorch and the MKL inside PyTorch each pick their SIMD kernels from the
CPU at start-up, and kernels of different width round the last bits differently (an
AVX-512 `exp`, a Sapphire Rapids GEMM). Per-sample SGD amplifies those bits. Pinning every
job to the AVX2 + FMA level (x86-64-v3, Intel Haswell, 2013) makes hosts of different
generations compute the same bits, so the reproduction check's bit-level tier holds across
them. Everything here is stdlib: `pin()` must run before numpy or torch is imported, since
each library reads its variable once, when it loads.

- `pin()`: set the variables of `pinned_environment()` in this process, each only where
  the environment does not already set it (a user, or a test emulating another CPU, may
  choose other kernels; `BACKPROP_LAB_KERNELS=native` leaves every library to choose).
- `fingerprint()`: what the kernels in this process are (after numpy and torch load).
- `same_kind(a, b)`: whether two fingerprints compute the same bits.

Sources: numpy's "CPU build options" (NPY_DISABLE_CPU_FEATURES, the X86_V3/V4 groups of
numpy 2.4), OpenBLAS's README (OPENBLAS_CORETYPE), PyTorch's ATen dispatch
(ATEN_CPU_CAPABILITY), Intel's MKL conditional numerical reproducibility
(MKL_ENABLE_INSTRUCTIONS, MKL_CBWR) and oneDNN's ONEDNN_MAX_CPU_ISA.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# the level jobs are pinned to, by library
PINNED_LEVEL = "x86-64-v3 (AVX2 + FMA)"
# numpy 2.4's dispatch groups above x86-64-v3: switched off where the CPU has AVX-512
NUMPY_ABOVE_V3 = "X86_V4 AVX512_ICL AVX512_SPR"
PIN = {
    "OPENBLAS_CORETYPE": "Haswell",
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "MKL_CBWR": "AVX2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
}
# the CPU flags (as /proc/cpuinfo names them) the pinned level needs
V3_FLAGS = frozenset({"avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"})
SWITCH = "BACKPROP_LAB_KERNELS"
VARIABLES = ("NPY_DISABLE_CPU_FEATURES", *PIN)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags as the kernel reports them (empty where it does not: macOS,
    Windows), from the first processor's `flags` line."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def pinned_environment(machine: str, flags: frozenset[str]) -> dict[str, str]:
    """The variables that pin the kernels on this CPU; empty where the pinned level cannot
    run (not x86-64, or no AVX2 + FMA: OpenBLAS's Haswell kernels would crash there)."""
    if machine.lower() not in {"x86_64", "amd64"} or not flags >= V3_FLAGS:
        return {}
    pinned = dict(PIN)
    if "avx512f" in flags:
        pinned["NPY_DISABLE_CPU_FEATURES"] = NUMPY_ABOVE_V3
    return pinned


def pin(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, str]:
    """Set the pinning variables in `environ` where they are unset; return what was set.

    Call before numpy or torch is imported. Does nothing when `BACKPROP_LAB_KERNELS` is
    `native`.
    """
    if environ.get(SWITCH, "pinned") == "native":
        return {}
    wanted = pinned_environment(platform.machine(), cpu_flags())
    chosen = {k: v for k, v in wanted.items() if k not in environ}
    environ.update(chosen)
    return chosen


# --- what the kernels are ---------------------------------------------------------------

# the fingerprint's keys that decide the bits; the rest (CPU model, flags) is for people
KIND_KEYS = (
    "machine",
    "libc",
    "numpy",
    "numpy_simd",
    "blas",
    "blas_core",
    "torch",
    "torch_capability",
    "mkl_instructions",
)


def fingerprint() -> dict[str, Any]:
    """Where and with which kernels this process computes: imports numpy and torch.

    Keys: `machine` (platform.machine()), `libc` (name and version: numpy's scalar
    fallbacks call it), `numpy` and `torch` (versions), `numpy_simd` (the dispatch groups
    in use), `blas` and `blas_core` (the BLAS numpy loaded and the kernel it runs, through
    threadpoolctl), `torch_capability` (ATen's CPU capability), `mkl_instructions` (the
    MKL limit in force), `pinned` (the variables set, by name), `cpu` (model) and
    `cpu_flags` (the SIMD flags).
    """
    import numpy as np
    import threadpoolctl
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    blas = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    info: dict[str, Any] = {
        "machine": platform.machine(),
        "libc": " ".join(platform.libc_ver()).strip() or platform.system(),
        "numpy": np.__version__,
        "numpy_simd": " ".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f)),
        "blas": " ".join(f"{b['internal_api']} {b['version']}" for b in blas) or "unknown",
        "blas_core": " ".join(str(b.get("architecture")) for b in blas) or "unknown",
    }
    try:
        import torch

        info["torch"] = torch.__version__.split("+")[0]
        info["torch_capability"] = torch.backends.cpu.get_cpu_capability()
    except ImportError:
        info["torch"] = info["torch_capability"] = "not installed"
    info["mkl_instructions"] = os.environ.get("MKL_ENABLE_INSTRUCTIONS", "native")
    info["pinned"] = {v: os.environ[v] for v in VARIABLES if v in os.environ}
    info["cpu"] = _cpu_model()
    simd = ("avx", "avx2", "fma", "avx512f", "avx512_fp16", "amx_tile", "neon", "asimd")
    info["cpu_flags"] = " ".join(f for f in simd if f in cpu_flags())
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def kind_differences(reference: Mapping[str, Any], here: Mapping[str, Any]) -> list[str]:
    """The keys of KIND_KEYS on which two fingerprints differ, as `key: a -> b`."""
    return [
        f"{key}: {reference.get(key)} -> {here.get(key)}"
        for key in KIND_KEYS
        if reference.get(key) != here.get(key)
    ]


def same_kind(reference: Mapping[str, Any], here: Mapping[str, Any]) -> bool:
    return not kind_differences(reference, here)
