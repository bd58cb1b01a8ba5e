"""The sample evaluation: every notebook on the bundled synthetic data, plus a per-team batch.

``cscs-eval demo`` replaces the previous demo output (it is a demo): the new reports are
built in a hidden folder beside the target and swapped in only when all have run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cscs_eval.reporting.runner import RunResult, find_notebook, run_many, unique_slugs, write_index

DEFAULT_OUT = Path("reports") / "demo"
#: Written into every demo folder: a new demo replaces only a folder that holds it (or an empty
#: one), never a folder of the user's.
MARKER = ".cscs-eval-demo"
#: The centrepiece comes first in the index; other notebooks follow by name.
LEAD_NOTEBOOK = "implementation_evaluation"
#: The per-team batch: notebook, column, how many teams.
TEAM_BATCH = ("proms_outcomes", "team", 4)


def demo_notebooks() -> list[Path]:
    from cscs_eval.io import resource_dir

    found = sorted(p for p in resource_dir("notebooks").glob("*.ipynb") if not p.name.startswith("_"))
    return sorted(found, key=lambda p: (p.stem != LEAD_NOTEBOOK, p.stem))


def _title_and_intro(path: Path) -> tuple[str, str]:
    """A notebook's title (its first '# ' heading) and the first sentence of the text under it."""
    from cscs_eval.reporting.runner import notebook_title_and_intro

    return notebook_title_and_intro(path)


def run_demo(out_dir=DEFAULT_OUT, *, max_workers: int | None = None, progress: bool = True):
    """Run the sample evaluation into ``out_dir`` and return ``(results, index_path)``."""
    from cscs_eval.reporting.runner import for_each_values

    from cscs_eval.errors import UsageError
    from cscs_eval.reporting.runner import check_out_dir

    out_dir = check_out_dir(Path(out_dir))
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise UsageError(f"{out_dir} holds files that a demo did not write; a demo replaces only its own folder: "
                         "give a new or empty folder with --out")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    except OSError as exc:
        raise UsageError(f"{out_dir}: cannot write the demo there ({exc.strerror})") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes 0700; a demo folder gets the usual permissions
        (staging / MARKER).write_text("made by cscs-eval demo; the next demo may replace this folder\n")
        about = {nb: _title_and_intro(nb) for nb in demo_notebooks()}
        jobs = [dict(notebook=str(nb), out_dir=str(staging / nb.stem), to=("html", "docx"), label=title)
                for nb, (title, _) in about.items()]
        name, column, n = TEAM_BATCH
        batch_nb = find_notebook(name)
        values = for_each_values(batch_nb, column)[:n]
        batch_title, batch_intro = _title_and_intro(batch_nb)
        batch = [dict(notebook=str(batch_nb), out_dir=str(staging / f"{name}-by-{column}" / slug),
                      parameters={column: value}, to=("html", "docx") if k == 0 else ("html",),
                      label=f"{batch_title}: {value}")
                 for k, (value, slug) in enumerate(zip(values, unique_slugs(values)))]
        results: list[RunResult] = run_many(jobs + batch, max_workers=max_workers, progress=progress,
                                            description="demo reports")
        # Paths in the index are relative, so they stay right after the folder is moved.
        write_index(staging, results, title="cscs-eval sample evaluation",
                    intro="Every report of the sample evaluation, made from synthetic data "
                          "(no real patients) bundled with cscs-eval.",
                    descriptions={title: intro for title, intro in about.values()}
                    | {job["label"]: f"{batch_intro} This one is for {job['parameters'][column]} alone."
                       for job in batch})
        if out_dir.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
            os.replace(out_dir, trash / out_dir.name)
            shutil.rmtree(trash, ignore_errors=True)
        os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for r in results:
        for attr in ("notebook", "html", "docx"):
            path = getattr(r, attr)
            if path is not None:
                setattr(r, attr, out_dir / Path(path).relative_to(staging))
        r.out_dir = out_dir / Path(r.out_dir).relative_to(staging)
    return results, out_dir / "index.html"
