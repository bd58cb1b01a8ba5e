"""Benchmark the report runner against plain nbclient execution, in the same process.

Measures (issues 2 and 15):
1. the runner's overhead over nbclient executing the same notebook (target under 20%);
2. the wall time of the whole demo after set-up (issue 15: under 20 s on 2 cores);
3. a ``--for-each team`` batch over all 32 sample teams (issue 15: under 40 s on 2 cores, about a
   second of CPU per report).

Items 2 and 3 run twice: as main ran them before issue 15 (``CSCS_EVAL_COLD_RUNS``: a new kernel per
report, every report reading, checking, scoring and pairing every team), then as now (one warm kernel
per worker, the every-team tables computed once per batch). Both runs use this version's code
otherwise (``read_demographics`` vectorised, jsonschema's ``rfc3987_syntax`` not imported), so the
baseline is faster than main itself. CPU is this process's and its children's (workers, kernels).

Run: ``python benchmarks/bench_runner.py`` (full) or ``--quick`` (fewer repeats, 4 teams, no demo).
Prints figures; never fails on time. On a machine shared with other work, wall times stretch; the CPU
times say what the work costs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path


def nbclient_seconds(notebook: Path, kernel: str) -> float:
    """Baseline: read, execute with nbclient in the same kernel, write. No parameters, no report."""
    import nbformat
    from nbclient import NotebookClient

    started = time.perf_counter()
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, kernel_name=kernel, resources={"metadata": {"path": "."}},
                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"]).execute()
    with tempfile.NamedTemporaryFile(suffix=".ipynb", delete=False) as fh:
        nbformat.write(nb, fh.name)
    return time.perf_counter() - started


def runner_seconds(notebook: Path, out: Path) -> float:
    from cscs_eval.reporting.runner import run_notebook

    started = time.perf_counter()
    run_notebook(notebook, out_dir=out, force=True)
    return time.perf_counter() - started


def cpu_seconds() -> float:
    """User and system CPU of this process and of its children that have ended (workers, kernels)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn, *, cold: bool):
    """(result, wall seconds, CPU seconds) of ``fn()``; ``cold`` runs it as main did before issue 15."""
    from cscs_eval.reporting.runner import COLD_RUNS_ENV

    if cold:
        os.environ[COLD_RUNS_ENV] = "1"  # spawned workers inherit it
    try:
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = fn()
        return result, time.perf_counter() - wall, cpu_seconds() - cpu
    finally:
        os.environ.pop(COLD_RUNS_ENV, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, 4 teams, skip the demo")
    parser.add_argument("--notebook", default="data_overview", help="notebook for the overhead comparison")
    args = parser.parse_args()

    from cscs_eval.reporting.demo import TEAM_BATCH, run_demo
    from cscs_eval.reporting.runner import default_kernel, find_notebook, for_each_values, run_for_each

    repeats = 3 if args.quick else 7
    notebook = find_notebook(args.notebook)
    kernel = default_kernel()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        nbclient_seconds(notebook, kernel)  # warm the file cache and imports once for both
        base, ours = [], []
        for i in range(repeats):  # interleaved, so drift in machine load hits both alike
            base.append(nbclient_seconds(notebook, kernel))
            ours.append(runner_seconds(notebook, tmp / "overhead"))
        b, o = statistics.median(base), statistics.median(ours)
        print(f"runner overhead on {notebook.name} ({repeats} runs, medians): nbclient {b:.2f} s, "
              f"cscs-eval run {o:.2f} s, overhead {100 * (o - b) / b:+.0f}% (target < 20%)")

        if not args.quick:
            figures = {}
            for cold in (True, False):
                (results, _), wall, cpu = timed(lambda: run_demo(tmp / f"demo-{cold}", progress=False), cold=cold)
                figures[cold] = (wall, cpu, len(results), sum(not r.ok for r in results))
            (bw, bc, n, _), (ow, oc, _, failed) = figures[True], figures[False]
            print(f"demo, {n} reports: before issue 15 (a kernel per report, each computing every team) {bw:.1f} s "
                  f"wall, {bc:.1f} s CPU; now {ow:.1f} s wall, {oc:.1f} s CPU ({bw / ow:.1f}x faster); "
                  f"target < 20 s on 2 cores; {failed} failed")

        name, column, _ = TEAM_BATCH
        try:
            batch_nb = find_notebook(name)
        except Exception:
            batch_nb = notebook
        values = for_each_values(batch_nb, column)
        if args.quick:
            values = values[:4]
        figures = {}
        for cold in (True, False):
            (results, _), wall, cpu = timed(lambda: run_for_each(batch_nb, column, out_dir=tmp / f"batch-{cold}",
                                                                 values=values, progress=False), cold=cold)
            figures[cold] = (wall, cpu, sum(not r.ok for r in results))
        (bw, bc, _), (ow, oc, failed) = figures[True], figures[False]
        n = len(values)
        print(f"--for-each {column} on {batch_nb.name}, {n} reports: before issue 15 {bw:.1f} s wall, {bc:.1f} s CPU "
              f"({bc / n:.2f} s CPU a report); now {ow:.1f} s wall, {oc:.1f} s CPU ({oc / n:.2f} s CPU a report; "
              f"{bw / ow:.1f}x faster); target for 32 teams < 40 s on 2 cores; {failed} failed")


if __name__ == "__main__":
    main()
