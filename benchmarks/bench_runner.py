"""Benchmark the report runner against plain nbclient execution, in the same process.

Measures (issue 2):
1. the runner's overhead over nbclient executing the same notebook (target under 20%);
2. the wall time of the whole demo after set-up (target under 60 s on 2 cores);
3. a ``--for-each team`` batch over all 32 sample teams (target under 2 minutes).

Run: ``python benchmarks/bench_runner.py`` (full) or ``--quick`` (fewer repeats, 4 teams, no demo).
Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
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
    run_notebook(notebook, out, force=True)
    return time.perf_counter() - started


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
            started = time.perf_counter()
            results, _ = run_demo(tmp / "demo", progress=False)
            print(f"demo: {len(results)} reports in {time.perf_counter() - started:.1f} s (target < 60 s), "
                  f"{sum(not r.ok for r in results)} failed")

        name, column, _ = TEAM_BATCH
        try:
            batch_nb = find_notebook(name)
        except Exception:
            batch_nb = notebook
        values = for_each_values(batch_nb, column)
        if args.quick:
            values = values[:4]
        started = time.perf_counter()
        results, _ = run_for_each(batch_nb, column, tmp / "batch", values=values, progress=False)
        seconds = time.perf_counter() - started
        print(f"--for-each {column} on {batch_nb.name}: {len(results)} reports in {seconds:.1f} s "
              f"({seconds / len(results):.2f} s each; target for 32 teams < 120 s), "
              f"{sum(not r.ok for r in results)} failed")


if __name__ == "__main__":
    main()
