"""Reading and writing run results: atomic JSON files, checked on the way in."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from backprop_lab.atomic import write_text_atomic

FORMAT = "backprop-lab/run/1"


class RunFileError(ValueError):
    """A result file that is missing, truncated or not one of ours."""


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write JSON atomically, so no reader sees half a file."""
    write_text_atomic(path, json.dumps(_clean(data), allow_nan=False, separators=(",", ":")))


def _clean(value: Any) -> Any:
    """Plain JSON: non-finite floats become null (a diverged value is recorded as missing)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _clean(value.tolist())
    return value


def write_run(path: str | Path, settings: dict[str, Any], result: dict[str, Any]) -> None:
    write_json_atomic(path, {"format": FORMAT, "settings": settings, "result": result})


def read_run(path: str | Path, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Load one run file; a clear RunFileError names the file and what is wrong."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise RunFileError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RunFileError(
            f"{path}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno}); "
            "the file is truncated or was edited by hand. Delete it and rerun snakemake."
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RunFileError(f"{path}: not a backprop-lab run file (expected format {FORMAT!r})")
    for key in ("settings", "result"):
        if not isinstance(data.get(key), dict):
            raise RunFileError(f"{path}: the {key!r} section is missing")
    missing = [k for k in required if k not in data["result"]]
    if missing:
        raise RunFileError(f"{path}: result lacks {', '.join(missing)}")
    return data
