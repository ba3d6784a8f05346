"""Pick an engine by name; torch is imported only when the torch engine is asked for."""

from __future__ import annotations

from typing import Any

from backprop_lab.core.network import NetSpec, Params

ENGINES = ("numpy", "torch")


def make_engine(
    name: str, spec: NetSpec, params: Params, dtype: str = "float64", sigmoid_impl: str = "builtin"
) -> Any:
    if name == "numpy":
        from backprop_lab.core.numpy_engine import NumpyEngine

        return NumpyEngine(spec, params, dtype=dtype)
    if name == "torch":
        from backprop_lab.core.torch_engine import TorchEngine

        return TorchEngine(spec, params, dtype=dtype, sigmoid_impl=sigmoid_impl)
    raise ValueError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
