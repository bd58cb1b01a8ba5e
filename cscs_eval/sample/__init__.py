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
    """Write every synthetic sample file under ``out_dir`` and return their paths.

    The files are made in a hidden folder beside ``out_dir`` and moved into it only when all are
    written, so a folder that cannot be written, or a full disk, leaves nothing behind (an
    :class:`~cscs_eval.errors.OutputError` naming the folder).
    """
    import os
    import shutil
    import tempfile

    from cscs_eval.errors import OutputError

    out_dir = Path(out_dir)
    staging = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name or 'sample'}-", dir=out_dir.parent))
        made = []
        for name in PARTS:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name == name:
                    continue
                raise
            made += module.write(staging, seed)
        written = []
        for path in made:
            target = out_dir / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            written.append(target)
        return written
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write the sample data there ({exc.strerror or exc}); "
                          "give a folder you can write with --out") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
