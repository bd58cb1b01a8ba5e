"""Run a parameterised notebook with papermill and turn it into a report.

One run writes, into its output folder, the executed notebook and a self-contained HTML
report (and a Word version on request). Parameters are checked before anything executes;
files appear only when complete (written in a hidden folder, then moved into place); an
earlier report is never replaced without ``force``. A failing cell keeps the executed
notebook, names the cell and the error, and writes no report.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cscs_eval import __version__
from cscs_eval.errors import CscsEvalError, InputError, NotebookExecutionError, UsageError
from cscs_eval.reporting import params as _params

KERNEL_NAME = "cscs-eval"
REPORTS_ROOT = Path("reports")


@dataclass
class RunResult:
    """What one notebook run wrote, and whether it succeeded."""

    label: str
    out_dir: Path
    notebook: Path | None = None
    html: Path | None = None
    docx: Path | None = None
    parameters: dict = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def find_notebook(name) -> Path:
    """A notebook by path, or by name among the project's notebooks (``proms_outcomes``)."""
    path = Path(name)
    if path.exists():
        return path
    from cscs_eval.io import resource_dir

    folder = resource_dir("notebooks")
    for candidate in (folder / path.name, folder / f"{path.name}.ipynb"):
        if candidate.exists():
            return candidate
    known = ", ".join(sorted(p.stem for p in folder.glob("*.ipynb")))
    raise UsageError(f"{name}: notebook not found; give a path or one of: {known}")


def default_kernel() -> str:
    """The project's kernel when registered (``make demo`` does), else this Python's ``python3``."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL_NAME if KERNEL_NAME in KernelSpecManager().find_kernel_specs() else "python3"


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def checksums(values: dict) -> list[tuple[str, str, str]]:
    """(parameter, file, SHA-256) for every file a parameter names (files of a named folder too)."""
    from cscs_eval.io import sha256_file

    return [(name, _display_path(p), sha256_file(p))
            for name, paths in _params.file_parameters(values).items() for p in paths]


def _prepare_out_dir(out_dir: Path, stem: str, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: the output folder is a file; give a folder name with --out")
    if out_dir.is_dir() and not force:
        earlier = [p.name for p in out_dir.iterdir() if p.stem == stem and p.suffix in (".html", ".ipynb", ".docx")]
        if earlier:
            raise UsageError(f"{out_dir} already holds a report ({', '.join(sorted(earlier))}); "
                             "pass --force to replace it or choose another --out folder")
    out_dir.mkdir(parents=True, exist_ok=True)


def _failed_cell(exc, original_cells) -> str:
    source = getattr(exc, "source", "") or ""
    code_cells = [c for c in original_cells if c.get("cell_type") == "code"]
    for i, cell in enumerate(original_cells, start=1):
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell.get("cell_type") == "code" and text.strip() == source.strip():
            return f"cell {i} (code cell {code_cells.index(cell) + 1})"
    return f"cell {getattr(exc, 'cell_index', '?')}"


def run_notebook(notebook, out_dir=None, *, parameters=None, given=(), params_file=None, to=("html",),
                 force: bool = False, kernel_name: str | None = None, label: str | None = None) -> RunResult:
    """Execute ``notebook`` with checked parameters and write its report.

    Parameters
    ----------
    notebook
        Path of a notebook, or the name of one of the project's notebooks.
    out_dir
        Folder for the executed notebook and the report; default ``reports/<name>/<time>``.
    parameters
        Parameter values as Python objects (checked against the notebook's parameters cell).
    given, params_file
        ``(name, text)`` pairs as from ``-p`` and a YAML file as from ``-f``; text is
        converted to the declared type.
    to
        Report formats: ``"html"`` always, ``"docx"`` adds a Word version.
    force
        Replace a report already in ``out_dir``.

    Returns
    -------
    RunResult

    Raises
    ------
    UsageError
        Unknown notebook, parameter name or type; an output folder that is a file or holds a report.
    InputError
        A ``*_path``/``*_file`` parameter naming a file that does not exist.
    NotebookExecutionError
        A cell failed; the executed notebook is kept in ``out_dir``.
    """
    import nbformat
    import papermill as pm

    started = time.perf_counter()
    nb_path = find_notebook(notebook)
    stem = nb_path.stem
    declared = _params.notebook_parameters(nb_path)
    values = _params.resolve_parameters(nb_path, given=given, params_file=params_file)
    for name, value in (parameters or {}).items():
        if name not in declared:
            raise UsageError(f"{nb_path}: unknown parameter '{name}'; the notebook's parameters are: "
                             f"{', '.join(declared)}")
        values[name] = _params.coerce(declared[name], value, from_text=False)
    merged = {name: p.default for name, p in declared.items()} | values
    _params.check_input_files(merged)
    to = tuple(to)
    unknown = set(to) - {"html", "docx"}
    if unknown:
        raise UsageError(f"--to must be html or docx, got {', '.join(sorted(unknown))}")
    run_time = dt.datetime.now().astimezone()
    out_dir = Path(out_dir) if out_dir is not None else _new_run_folder(REPORTS_ROOT / stem, run_time)
    _prepare_out_dir(out_dir, stem, force)
    result = RunResult(label=label or stem, out_dir=out_dir, parameters=merged)
    sums = checksums(merged)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=out_dir))
    try:
        executed = staging / f"{stem}.ipynb"
        original = nbformat.read(nb_path, as_version=4)
        try:
            nb = pm.execute_notebook(str(nb_path), str(executed), parameters=values,
                                     kernel_name=kernel_name or default_kernel(), progress_bar=False,
                                     cwd=os.getcwd(), start_timeout=180, request_save_on_cell_execute=False,
                                     # Keep the kernel's start-up log (a TCP transport notice) out of the user's terminal.
                                     extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        except pm.PapermillExecutionError as exc:
            kept = out_dir / f"{stem}.ipynb"
            os.replace(executed, kept)
            result.notebook = kept
            where = _failed_cell(exc, original.cells)
            raise NotebookExecutionError(f"{nb_path}: {where} failed with {exc.ename}: {exc.evalue}; "
                                         f"the executed notebook is kept at {kept}",
                                         notebook=kept, cell=getattr(exc, "cell_index", None)) from None
        meta = {
            "title": merged.get("title") or None,
            "parameters": merged,
            "checksums": sums,
            "version": __version__,
            "run_time": run_time.strftime("%d %B %Y %H:%M %Z").strip(),
            "notebook": nb_path.name,
        }
        nb.metadata["cscs_eval"] = {**meta, "checksums": [list(c) for c in sums]}
        nbformat.write(nb, executed)
        from cscs_eval.reporting.document import render_docx, render_html

        (staging / f"{stem}.html").write_text(render_html(nb, meta=meta), encoding="utf-8")
        if "docx" in to:
            render_docx(nb, staging / f"{stem}.docx", meta=meta)
        for produced in sorted(staging.iterdir()):
            os.replace(produced, out_dir / produced.name)
        result.notebook = out_dir / f"{stem}.ipynb"
        result.html = out_dir / f"{stem}.html"
        result.docx = out_dir / f"{stem}.docx" if "docx" in to else None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def _new_run_folder(parent: Path, when) -> Path:
    """``parent/<date-time>``, with a suffix when two runs start in the same second."""
    base = parent / when.strftime("%Y%m%d-%H%M%S")
    folder, n = base, 2
    while folder.exists():
        folder, n = base.with_name(f"{base.name}-{n}"), n + 1
    return folder


def _slug(value) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(value)).strip("-") or "blank"


def for_each_values(notebook, column: str, *, parameters=None, given=(), params_file=None) -> list[str]:
    """The values of ``column`` in the file the notebook's ``data_path`` parameter names."""
    from cscs_eval.io import read_table, resolve_path

    nb_path = find_notebook(notebook)
    declared = _params.notebook_parameters(nb_path)
    if column not in declared:
        raise UsageError(f"--for-each {column}: the notebook has no parameter '{column}' to receive each value; "
                         f"its parameters are: {', '.join(declared)}")
    if "data_path" not in declared:
        raise UsageError(f"--for-each needs a 'data_path' parameter in {nb_path.name} naming the data file")
    values = _params.resolve_parameters(nb_path, given=given, params_file=params_file)
    values |= parameters or {}
    data_path = values.get("data_path", declared["data_path"].default)
    table = read_table(resolve_path(data_path))
    if column not in table.columns:
        raise InputError(f"no column '{column}' to run --for-each over; columns are {', '.join(table.columns)}",
                         file=data_path, column=column)
    found = sorted({str(v).strip() for v in table[column].dropna() if str(v).strip()})
    if not found:
        raise InputError(f"column '{column}' has no values", file=data_path, column=column)
    return found


def _run_one(job: dict) -> RunResult:
    try:
        return run_notebook(**job)
    except CscsEvalError as exc:
        return RunResult(label=job.get("label", ""), out_dir=Path(job["out_dir"]), error=str(exc),
                         notebook=getattr(exc, "notebook", None))


def run_many(jobs: list[dict], *, max_workers: int | None = None, progress: bool = True,
             description: str = "reports") -> list[RunResult]:
    """Run several notebook jobs (keyword dicts for :func:`run_notebook`) across the cores."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm.auto import tqdm

    workers = max(1, min(max_workers or os.cpu_count() or 1, len(jobs)))
    results = [None] * len(jobs)
    bar = tqdm(total=len(jobs), desc=description, unit="report", disable=not progress)
    # spawn: each worker starts clean, without the parent's open ZeroMQ sockets or threads.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run_one, job): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            bar.update(1)
    bar.close()
    return results


def run_for_each(notebook, column: str, out_dir=None, *, given=(), params_file=None, parameters=None,
                 to=("html",), force: bool = False, values=None, max_workers: int | None = None,
                 progress: bool = True) -> tuple[list[RunResult], Path]:
    """Run ``notebook`` once per value of ``column`` (``--for-each``), in parallel, and write an index page.

    Each value goes to the notebook's parameter of the same name; each report is written
    to ``out_dir/<value>/``; ``out_dir/index.html`` links them all.
    """
    nb_path = find_notebook(notebook)
    declared = _params.notebook_parameters(nb_path)
    base = _params.resolve_parameters(nb_path, given=given, params_file=params_file)
    for name, value in (parameters or {}).items():
        base[name] = _params.coerce(declared[name], value, from_text=False) if name in declared else value
    found = list(values) if values is not None else for_each_values(nb_path, column, parameters=base)
    _params.check_input_files({n: p.default for n, p in declared.items()} | base)
    out_dir = (Path(out_dir) if out_dir is not None
               else _new_run_folder(REPORTS_ROOT / f"{nb_path.stem}-by-{column}", dt.datetime.now()))
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: the output folder is a file; give a folder name with --out")
    if (out_dir / "index.html").exists() and not force:
        raise UsageError(f"{out_dir} already holds a batch of reports; pass --force to replace it "
                         "or choose another --out folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [dict(notebook=str(nb_path), out_dir=str(out_dir / _slug(v)), parameters=base | {column: v},
                 to=tuple(to), force=force, label=str(v)) for v in found]
    results = run_many(jobs, max_workers=max_workers, progress=progress, description=f"{nb_path.stem} by {column}")
    index = write_index(out_dir, results, title=f"{nb_path.stem.replace('_', ' ').capitalize()}: one report per {column}")
    return results, index


def write_index(out_dir, results: list[RunResult], *, title: str, intro: str | None = None,
                descriptions: dict | None = None) -> Path:
    """An ``index.html`` in ``out_dir`` linking each result's report, Word file and notebook.

    ``descriptions`` maps a result's label to a sentence saying what that report shows.
    """
    from cscs_eval.io import write_text
    from cscs_eval.reporting.templates import environment

    out_dir = Path(out_dir)

    def rel(path):
        return None if path is None else os.path.relpath(path, out_dir)

    descriptions = descriptions or {}
    items = [dict(label=r.label, html=rel(r.html), docx=rel(r.docx), notebook=rel(r.notebook),
                  description=descriptions.get(r.label, ""), status="ok" if r.ok else f"failed: {r.error}")
             for r in results]
    page = environment().get_template("report/index.html.j2").render(
        title=title, items=items, intro=intro, version=__version__,
        run_time=dt.datetime.now().astimezone().strftime("%d %B %Y %H:%M %Z").strip())
    return write_text(page, out_dir / "index.html")
