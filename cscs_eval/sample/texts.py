"""The sample's hand-written texts: coded interview notes, Lightning Reports and the logic model.

They were written in the project's own words (no real interviews) and are committed, not
generated; this part copies them beside the generated files when the sample is written to
another folder, so a sample folder is always complete.
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: Files and folders of data/sample that are written by hand.
TEXTS = ("cfir", "lightning", "logic_model.yaml")


def write(out_dir, seed: int) -> list[Path]:
    from cscs_eval.io import resource_dir

    del seed  # hand-written: nothing random
    source = resource_dir("data") / "sample"
    out_dir = Path(out_dir)
    if out_dir.resolve() == source.resolve():
        return []
    written = []
    for name in TEXTS:
        src, dst = source / name, out_dir / name
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
            written += sorted(p for p in dst.rglob("*") if p.is_file())
        elif src.is_file():
            shutil.copy2(src, dst)
            written.append(dst)
    return written
