"""Run a parameterised notebook with papermill and turn it into a report.

One run writes, into its output folder, the executed notebook and a self-contained HTML
report (and a Word version on request). Parameters are checked before anything executes;
files appear only when complete (written in a hidden folder, then moved into place); an
earlier report is never replaced without ``force``. A failing cell keeps the executed
notebook, names the cell and the error, and writes no report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cscs_eval import __version__
from cscs_eval.errors import CscsEvalError, InputError, NotebookExecutionError, UsageError
from cscs_eval.reporting import params as _params

KERNEL_NAME = "cscs-eval"
REPORTS_ROOT = Path("reports")
#: Set (to anything) in the environment, a batch runs as before issue 15: a new kernel per report and
#: nothing computed once for the batch. The benchmark's baseline (benchmarks/bench_runner.py).
COLD_RUNS_ENV = "CSCS_EVAL_COLD_RUNS"


@dataclass
class RunResult:
    """What one notebook run wrote, and whether it succeeded."""

    label: str
    out_dir: Path
    title: str = ""  # the report's own title, as its page shows it
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


#: A run claims its output folder with this file (created exclusively), so a second run to the
#: same folder fails instead of one report silently replacing the other.
CLAIM_FILE = ".cscs-eval-run"
#: Staging folders of a run; one left by a killed run is removed by the next run to that folder.
PARTIAL_PREFIX = ".partial-"


def check_out_dir(out_dir: Path) -> Path:
    """Refuse output folders that can only be mistakes: a file, the file-system root, the home folder."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: the output folder is a file; give a folder name with --out")
    resolved = out_dir.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise UsageError(f"{out_dir}: refusing to write reports into {resolved}; give a folder of their own "
                         "with --out (e.g. reports/mine)")
    return out_dir


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def claim(out_dir: Path):
    """Hold ``out_dir`` for one run: a second run (another process) is refused while this one writes.

    A claim left by a run that was killed (its process is gone) is taken over, and that run's
    hidden staging folders are removed.
    """
    path = out_dir / CLAIM_FILE
    for attempt in (1, 2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            try:
                pid = int(path.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if attempt == 2 or (pid and _pid_alive(pid)):
                raise UsageError(f"{out_dir}: another cscs-eval run (process {pid or 'unknown'}) is writing here; "
                                 f"wait for it, or choose another --out folder") from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    with os.fdopen(fd, "w") as fh:
        fh.write(str(os.getpid()))
    for stale in out_dir.glob(f"{PARTIAL_PREFIX}*"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _prepare_out_dir(out_dir: Path, stem: str, force: bool) -> bool:
    """Make the output folder if needed; True if this run made it (so a failed run can remove it)."""
    check_out_dir(out_dir)
    if out_dir.is_dir() and not force:
        earlier = [p.name for p in out_dir.iterdir() if p.stem == stem and p.suffix in (".html", ".ipynb", ".docx")]
        if earlier:
            raise UsageError(f"{out_dir} already holds a report ({', '.join(sorted(earlier))}); "
                             "pass --force to replace it or choose another --out folder")
    made = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{out_dir}: cannot make the output folder ({exc.strerror})") from None
    return made


def _failed_cell(exc) -> str:
    """The failed cell as Jupyter and papermill number it: by its execution count, ``In [3]``."""
    count = getattr(exc, "exec_count", None)
    return f"cell In [{count}]" if count else f"cell {getattr(exc, 'cell_index', '?')}"


def _package_error(exc):
    """A cscs-eval error raised inside the notebook (a bad parameter value, a bad file), rebuilt so the
    runner reports it as the package reports it anywhere else: one line, its own exit code."""
    from cscs_eval import errors

    cls = getattr(errors, str(getattr(exc, "ename", "")), None)
    if not (isinstance(cls, type) and issubclass(cls, CscsEvalError)) or cls is NotebookExecutionError:
        return None
    return UsageError(exc.evalue) if issubclass(cls, UsageError) else InputError(exc.evalue)


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        print(f"cscs-eval: {message}", file=sys.stderr, flush=True)


def run_notebook(notebook, *, out_dir=None, parameters=None, given=(), params_file=None, to=("html",),
                 force: bool = False, kernel_name: str | None = None, label: str | None = None,
                 reference_docx=None, quiet: bool = True) -> RunResult:
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
    reference_docx
        A trust's Word template (.docx) whose styles and page set-up the Word version uses
        (any notebook; implies a Word version).
    quiet
        ``False`` says on stderr what the run is doing (the command line's sign of life).

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
    if reference_docx:
        reference_docx = _check_reference(reference_docx)
        to = tuple(dict.fromkeys((*to, "docx")))
    run_time = dt.datetime.now().astimezone()
    out_dir = Path(out_dir) if out_dir is not None else _new_run_folder(REPORTS_ROOT / stem, run_time)
    made = _prepare_out_dir(out_dir, stem, force)
    result = RunResult(label=label or stem, out_dir=out_dir, parameters=merged)
    try:
        with claim(out_dir):
            _say(f"checksumming the input files of {nb_path.name}", quiet)
            sums = checksums(merged)
            help_text = {name: p.help for name, p in declared.items()}
            _execute(nb_path, out_dir, stem, values, merged, sums, run_time, to, kernel_name, result, quiet,
                     extra={"parameter_help": help_text, "reference_docx": reference_docx}, warm=_IN_WORKER)
    except BaseException:
        if made:  # leave nothing behind but what the user needs: an executed notebook kept for a failed cell
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        raise
    result.seconds = time.perf_counter() - started
    return result


def _check_reference(path) -> Path:
    """A trust's Word template must be an existing .docx file (checked before anything runs)."""
    path = Path(path)
    if path.suffix.lower() != ".docx":
        raise UsageError(f"--reference-docx must be a Word .docx file, got {path}")
    if not path.is_file():
        raise InputError("reference Word template not found", file=path)
    import zipfile

    try:  # a .docx is a ZIP holding word/document.xml; anything else would fail only after the notebook ran
        with zipfile.ZipFile(path) as zf:
            is_docx = "word/document.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        is_docx = False
    if not is_docx:
        raise InputError("not a Word document (.docx) that can be used as a template; save it from Word as "
                         "'Word Document (.docx)'", file=path)
    return path


def _skip_unused_imports() -> None:
    """Keep out of this process what papermill's imports pull in and a run never uses.

    nbformat imports jsonschema, whose optional URI/IRI format checker ``rfc3987_syntax`` builds a
    grammar on import (1.2 s, in the parent and in every ``--for-each`` worker); nbformat validates
    notebooks without format checks. A ``None`` entry in ``sys.modules`` makes that optional import
    fail as if the package were absent, which jsonschema allows for.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


#: The kernel this worker process keeps warm across the reports of a batch, by kernel name.
_WARM_KERNELS: dict = {}
#: Run in a warm kernel before each report: nothing of the previous report survives in the notebook's
#: namespace (modules stay imported, which is the point); figures closed, cells numbered from 1 again,
#: the working folder the run's, and every warning shown again as in a new kernel ("once" warnings
#: are remembered per module).
_FRESH_NAMESPACE = (
    "import os as _o, sys as _s\n"
    "_s.modules['matplotlib.pyplot'].close('all') if 'matplotlib.pyplot' in _s.modules else None\n"
    "[getattr(_m, '__warningregistry__', {{}}).clear() for _m in list(_s.modules.values())]\n"
    "_o.chdir({cwd!r})\n"
    "get_ipython().reset(new_session=True)\n"
)


def _warm_kernel(kernel_name: str):
    """This worker's kernel for ``kernel_name``, started on first use and cleared for the next report.

    A batch of reports pays the kernel's start and the notebook's imports (pandas, matplotlib,
    statsmodels: about 3 s of CPU) once per worker rather than once per report. A kernel that died
    is replaced. The kernels are shut down when the worker process exits.
    """
    from jupyter_client import BlockingKernelClient
    from jupyter_core.utils import run_sync

    km = _WARM_KERNELS.get(kernel_name)
    if km is not None and not run_sync(km.is_alive)():
        with contextlib.suppress(Exception):
            run_sync(km.shutdown_kernel)(now=True)
        km = None
    if km is None:
        if not _WARM_KERNELS:
            import multiprocessing.util

            multiprocessing.util.Finalize(None, _stop_warm_kernels, exitpriority=10)
        km = _warm_manager_class()(kernel_name=kernel_name)
        run_sync(km.start_kernel)(cwd=os.getcwd(), extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        _WARM_KERNELS[kernel_name] = km
        return km
    kc = BlockingKernelClient()
    kc.load_connection_info(km.get_connection_info())
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(_FRESH_NAMESPACE.format(cwd=os.getcwd()), silent=True, store_history=False,
                                       timeout=60)
    finally:
        kc.stop_channels()
    if reply["content"]["status"] != "ok":
        raise NotebookExecutionError(f"could not clear the kernel between reports: {reply['content']}")
    return km


@functools.lru_cache(maxsize=1)
def _warm_manager_class():
    """A kernel manager that remembers the clients it hands out, so that the channels (about 16 file
    descriptors) nbclient opens for each report are closed after it: nbclient leaves them open on a
    kernel it does not own, and a worker would run out of file descriptors in a long batch."""
    from jupyter_client import AsyncKernelManager

    class WarmKernelManager(AsyncKernelManager):
        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self.__dict__.setdefault("_handed_out", []).append(kc)
            return kc

        def close_clients(self) -> None:
            for kc in self.__dict__.pop("_handed_out", []):
                with contextlib.suppress(Exception):
                    kc.stop_channels()

    return WarmKernelManager


def _stop_warm_kernels() -> None:
    from jupyter_core.utils import run_sync

    while _WARM_KERNELS:
        _, km = _WARM_KERNELS.popitem()
        with contextlib.suppress(Exception):
            run_sync(km.shutdown_kernel)(now=True)


def _execute(nb_path, out_dir, stem, values, merged, sums, run_time, to, kernel_name, result, quiet,
             extra=None, warm=False) -> None:
    _skip_unused_imports()
    import nbformat
    import papermill as pm

    staging = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=out_dir))
    try:
        executed = staging / f"{stem}.ipynb"
        original = nbformat.read(nb_path, as_version=4)
        n_code = sum(c.cell_type == "code" for c in original.cells)
        kernel_name = kernel_name or default_kernel()
        _say(f"running {nb_path.name} ({n_code} code cells) in the {kernel_name} kernel", quiet)
        warm_km = {"km": _warm_kernel(kernel_name)} if warm else {}
        try:
            nb = pm.execute_notebook(str(nb_path), str(executed), parameters=values, **warm_km,
                                     kernel_name=kernel_name, progress_bar=False,
                                     cwd=os.getcwd(), start_timeout=180, request_save_on_cell_execute=False,
                                     # Keep the kernel's start-up log (a TCP transport notice) out of the user's terminal.
                                     extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        except pm.PapermillExecutionError as exc:
            known = _package_error(exc)
            if known is not None:
                raise known from None
            kept = out_dir / f"{stem}.ipynb"
            os.replace(executed, kept)
            result.notebook = kept
            raise NotebookExecutionError(f"{nb_path}: {_failed_cell(exc)} failed with {exc.ename}: {exc.evalue}; "
                                         f"the executed notebook is kept at {kept}",
                                         notebook=kept, cell=getattr(exc, "cell_index", None)) from None
        finally:
            if warm:
                warm_km["km"].close_clients()
        _say("writing the report", quiet)
        meta = {
            "title": merged.get("title") or None,
            "parameters": merged,
            "checksums": sums,
            "version": __version__,
            "run_time": run_time.strftime("%d %B %Y %H:%M %Z").strip(),
            "notebook": nb_path.name,
        }
        nb.metadata["cscs_eval"] = {**meta, "checksums": [list(c) for c in sums]}
        meta |= {k: v for k, v in (extra or {}).items() if v}
        nbformat.write(nb, executed)
        from cscs_eval.reporting.document import render_docx, render_html, report_blocks, report_title

        title = meta["title"] or report_title(report_blocks(nb), stem.replace("_", " ").capitalize())
        team = str(merged.get("team") or "").strip()
        if team and team not in title:  # one team's report says so in its title ("PROMs outcomes: Abbeydale CMHT")
            title = f"{title}: {team}"
        meta["title"] = result.title = title
        (staging / f"{stem}.html").write_text(render_html(nb, meta=meta), encoding="utf-8")
        if merged.get("suppress") is not False:  # a published report: nothing leaves staging if a count leaks
            from cscs_eval.governance.files import check_published

            check_published(staging / f"{stem}.html", shown_as=out_dir / f"{stem}.html")
        if "docx" in to:
            render_docx(nb, staging / f"{stem}.docx", meta=meta)
        for produced in sorted(staging.iterdir()):
            os.replace(produced, out_dir / produced.name)
        result.notebook = out_dir / f"{stem}.ipynb"
        result.html = out_dir / f"{stem}.html"
        result.docx = out_dir / f"{stem}.docx" if "docx" in to else None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _new_run_folder(parent: Path, when) -> Path:
    """``parent/<date-time>``, with a suffix when two runs start in the same second."""
    base = parent / when.strftime("%Y%m%d-%H%M%S")
    folder, n = base, 2
    while folder.exists():
        folder, n = base.with_name(f"{base.name}-{n}"), n + 1
    return folder


def _slug(value) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(value)).strip("-.") or "blank"


def unique_slugs(values) -> list[str]:
    """A folder name per value, never the same for two values (``North/South`` and ``North South``
    would both be ``North-South``; the second becomes ``North-South-2``), case-insensitively unique.

    Examples
    --------
    >>> unique_slugs(["North/South", "North South", "east"])
    ['North-South', 'North-South-2', 'east']
    """
    seen, out = set(), []
    for value in values:
        base = _slug(value)
        slug, n = base, 2
        while slug.lower() in seen:
            slug, n = f"{base}-{n}", n + 1
        seen.add(slug.lower())
        out.append(slug)
    return out


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

    def value(name):
        return values.get(name, declared[name].default if name in declared else None)

    # the notebook's own sheet and header row say where the table is in a workbook
    table = read_table(resolve_path(data_path), sheet=value("sheet"), header_row=value("header_row"))
    if column not in table.columns:
        raise InputError(f"no column '{column}' to run --for-each over; columns are {', '.join(table.columns)}",
                         file=data_path, column=column)
    found = sorted({str(v).strip() for v in table[column].dropna() if str(v).strip()})
    if not found:
        raise InputError(f"column '{column}' has no values", file=data_path, column=column)
    return found


#: True in a worker process of :func:`run_many`: its reports share one warm kernel (see _warm_kernel).
_IN_WORKER = False


def _run_one(job: dict) -> RunResult:
    global _IN_WORKER
    _IN_WORKER = not os.environ.get(COLD_RUNS_ENV)
    try:
        return run_notebook(**job)
    except CscsEvalError as exc:
        return RunResult(label=job.get("label", ""), out_dir=Path(job["out_dir"]), error=str(exc),
                         notebook=getattr(exc, "notebook", None))


def run_many(jobs: list[dict], *, max_workers: int | None = None, progress: bool = True,
             description: str = "reports") -> list[RunResult]:
    """Run several notebook jobs (keyword dicts for :func:`run_notebook`) across the cores.

    Each worker process keeps one kernel warm for all its reports (cleared between them), and the
    jobs share a private batch folder (:mod:`cscs_eval._batch`) for what they compute once, such as
    the scored PROMs table every team's report slices; it is removed when the jobs end.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm.auto import tqdm

    from cscs_eval._batch import batch_folder

    workers = max(1, min(max_workers or os.cpu_count() or 1, len(jobs)))
    results = [None] * len(jobs)
    bar = tqdm(total=len(jobs), desc=description, unit="report", disable=not progress)
    shared = contextlib.nullcontext() if os.environ.get(COLD_RUNS_ENV) else batch_folder()
    # spawn: each worker starts clean, without the parent's open ZeroMQ sockets or threads; it
    # inherits the batch folder's name from the environment.
    with shared, ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run_one, job): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            bar.update(1)
    bar.close()
    return results


def run_for_each(notebook, column: str, *, out_dir=None, given=(), params_file=None, parameters=None,
                 to=("html",), force: bool = False, values=None, max_workers: int | None = None,
                 reference_docx=None, progress: bool = True) -> tuple[list[RunResult], Path]:
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
    if reference_docx:
        reference_docx = str(_check_reference(reference_docx).resolve())
    _params.check_input_files({n: p.default for n, p in declared.items()} | base)
    out_dir = check_out_dir(Path(out_dir) if out_dir is not None
                            else _new_run_folder(REPORTS_ROOT / f"{nb_path.stem}-by-{column}", dt.datetime.now()))
    if (out_dir / "index.html").exists() and not force:
        raise UsageError(f"{out_dir} already holds a batch of reports; pass --force to replace it "
                         "or choose another --out folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{out_dir}: cannot make the output folder ({exc.strerror})") from None
    with claim(out_dir):
        jobs = [dict(notebook=str(nb_path), out_dir=str(out_dir / slug), parameters=base | {column: v},
                     to=tuple(to), force=force, label=str(v), reference_docx=reference_docx)
                for v, slug in zip(found, unique_slugs(found))]
        results = run_many(jobs, max_workers=max_workers, progress=progress,
                           description=f"{nb_path.stem} by {column}")
        title, intro = notebook_title_and_intro(nb_path)
        index = write_index(out_dir, results, title=f"{title}: one report per {column.replace('_', ' ')}",
                            intro=f"One report per {column.replace('_', ' ')}, each made by the same notebook "
                                  f"({nb_path.name}) with the same parameters.",
                            descriptions={r.label: intro for r in results})
    return results, index


def notebook_title_and_intro(path) -> tuple[str, str]:
    """A notebook's title (its first '# ' heading) and the first sentence of the text under it: what
    its report shows."""
    _skip_unused_imports()
    import nbformat

    path = Path(path)
    title, intro = path.stem.replace("_", " ").capitalize(), ""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        lines = [line.strip() for line in cell.source.splitlines()]
        heading = next((line[2:].strip() for line in lines if line.startswith("# ")), None)
        if heading:
            title = heading
            text = " ".join(line for line in lines if line and not line.startswith("#"))
            intro = text.split(". ")[0].rstrip(".") + "." if text else ""
            break
    return title, intro


def write_index(out_dir, results: list[RunResult], *, title: str, intro: str | None = None,
                descriptions: dict | None = None) -> Path:
    """An ``index.html`` in ``out_dir`` linking each result's report, Word file and notebook.

    Each report is named by its own title (falling back to its label); ``descriptions`` maps a
    result's label to a sentence saying what that report shows.
    """
    from cscs_eval.io import write_text
    from cscs_eval.reporting.templates import environment

    out_dir = Path(out_dir)

    def rel(path):
        return None if path is None else os.path.relpath(path, out_dir)

    descriptions = descriptions or {}
    items = [dict(label=r.title or r.label, html=rel(r.html), docx=rel(r.docx), notebook=rel(r.notebook),
                  description=descriptions.get(r.label, ""), status="ok" if r.ok else f"failed: {r.error}")
             for r in results]
    page = environment().get_template("report/index.html.j2").render(
        title=title, items=items, intro=intro, version=__version__,
        run_time=dt.datetime.now().astimezone().strftime("%d %B %Y %H:%M %Z").strip())
    return write_text(page, out_dir / "index.html")


def copy_resources(folder, *, force: bool = False) -> dict:
    """Copy the report notebooks, templates and the sample and public data into ``folder`` (made if
    missing) for editing; returns ``{folder name: files copied}``.

    Each of ``notebooks``, ``templates`` and ``data`` is copied beside itself and moved into place
    whole, so a failed copy leaves nothing half-written; one already in ``folder`` is a
    :class:`~cscs_eval.errors.UsageError` unless ``force`` (then it is replaced).
    """
    import shutil
    import tempfile

    from cscs_eval.io import check_writable, package_dir, project_dir

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file; give a folder to copy the notebooks into")
    sources = {}
    root = project_dir()
    for name in ("notebooks", "templates"):
        sources[name] = (root / name) if root is not None and (root / name).is_dir() else package_dir() / f"_{name}"
    data = (root / "data") if root is not None and (root / "data").is_dir() else package_dir() / "_data"
    sources["data"] = data
    missing = [n for n, p in sources.items() if not p.is_dir()]
    if missing:
        raise UsageError(f"cannot find the {', '.join(missing)} folder(s) of cscs-eval to copy")
    there = [n for n in sources if (folder / n).exists()]
    if there and not force:
        raise UsageError(f"{folder} already holds {', '.join(there)}; give another folder, or --force to "
                         "replace them (edits in them are lost)")
    folder.mkdir(parents=True, exist_ok=True)
    check_writable(folder / ".copy")  # never into data/raw
    ignore = shutil.ignore_patterns(".*", "__pycache__", "raw", "*.pyc")
    written = {}
    for name, source in sources.items():
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=folder))
        try:
            shutil.copytree(source, staging / name, ignore=ignore)
            if (folder / name).exists():
                shutil.rmtree(folder / name)
            (staging / name).rename(folder / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        written[name] = sum(1 for p in (folder / name).rglob("*") if p.is_file())
    return written
