"""Write environment.yml from requirements.lock, so conda users get the same pins.

Run by `make lock`; a test checks that the two files agree on every version.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# The same environment as requirements.lock, for conda users:
#   conda env create -f environment.yml && conda activate backprop-lab
#   pip install --no-deps -e .
# Generated from requirements.lock by `make lock` (tools/sync_environment.py); do not edit.
name: backprop-lab
channels:
  - conda-forge
dependencies:
  - python={python}
  - pip
  - pip:
"""


def main() -> None:
    pins = [
        line.strip()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    text = HEADER.format(python=python) + "".join(f"      - {pin}\n" for pin in pins)
    (ROOT / "environment.yml").write_text(text)


if __name__ == "__main__":
    main()
