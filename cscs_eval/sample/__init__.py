"""Synthetic sample data for the demo, the notebooks and the tests: never real patients.

Every file is made by code from a fixed seed, so ``cscs-eval sample-data`` writes the same
bytes every time. Each module writes one part (``write(out_dir, seed) -> list[Path]``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

SEED = 20241127
#: Modules that write a part of the sample; one missing from this install is skipped.
PARTS = ("cscs_eval.sample.proms", "cscs_eval.sample.programme", "cscs_eval.sample.benefits",
         "cscs_eval.sample.texts")


def generate(out_dir="data/sample", *, seed: int = SEED) -> list[Path]:
    """Write every synthetic sample file under ``out_dir`` and return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PARTS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        written += module.write(out_dir, seed)
    return written
