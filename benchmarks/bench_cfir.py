"""Benchmark CFIR coding: summarise 100,000 coded excerpts over 200 cases; validate 1,000 note files;
at scale (issue 15), summarise 1,000,000 excerpts end to end and export 10,000 codings as a .qdpx.

Run ``python benchmarks/bench_cfir.py [--quick]``. Each figure is printed beside a plain-pandas (or plain
Python) baseline run in the same process, which does the least work that could give the same numbers:
a groupby mean for the summary, reading the files and finding the code blocks for validation; at scale,
a plain ``pandas.read_csv`` of the sheet and a group-by (of ratings by construct and case for the summary;
of codings by case and source, each source's text written into a ZIP, for the export).
Targets: summarise in under 2 s, validate in under 5 s (issue 3); ``cfir summarise`` of 1M excerpts end to
end under 3 s, ``cfir export`` of 10k codings under 2 s (issue 15). "End to end" is the command run as a
user runs it (start-up included); CPU is user + system of that process.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import zipfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cscs_eval.cfir import codebook, load_coding, summarise, validate


def timed(fn, repeat=3):
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def make_sheet(n_rows, n_cases, seed=20241127):
    rng = np.random.default_rng(seed)
    ids = codebook(levels=("construct", "subconstruct"))["id"].to_numpy()
    ratings = np.array(["+2", "+1", "0", "-1", "-2", "X", "M"])
    return pd.DataFrame({
        "case": np.char.add("case ", rng.integers(0, n_cases, n_rows).astype(str)),
        "source": np.char.add("interview ", rng.integers(0, 5, n_rows).astype(str)),
        "excerpt": np.char.add("excerpt text number ", np.arange(n_rows).astype(str)),
        "construct": rng.choice(ids, n_rows),
        "rating": rng.choice(ratings, n_rows, p=[.15, .2, .1, .2, .15, .1, .1]),
    })


def baseline_summary(df):
    values = df["rating"].map({"+2": 2, "+1": 1, "0": 0, "-1": -1, "-2": -2}).astype("float64")
    return df.assign(v=values).groupby(["construct", "case"])["v"].mean().groupby("construct").agg(["mean", "size"])


def make_notes(folder, n_files, seed=7):
    rng = np.random.default_rng(seed)
    names = codebook(levels=("construct",))["name"].to_numpy()
    ratings = ["+2", "+1", "0", "-1", "-2", "X", "++", "-", "+-"]
    for i in range(n_files):
        body = [f"---\ncase: Team {i % 40}\nsource: contact {i}\ncoder: A\n---\n", "## Theme: Drivers\n"]
        for j in range(6):
            picked = rng.choice(names, rng.integers(1, 4), replace=False)
            codes = "; ".join(f"{name} {rng.choice(ratings)}" for name in picked)
            body.append(f"Paragraph {j} of note {i}: staff described what happened. [[{codes}]]\n")
        (folder / f"note_{i:04d}.md").write_text("\n".join(body), encoding="utf-8")


def baseline_validate(folder):
    block = re.compile(r"\[\[(.*?)\]\]")
    return sum(len(block.findall(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.md")))


def command(*args, cwd):
    """Run ``cscs-eval ARGS`` as a user does; (wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cscs_eval", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def baseline_read_group(path):
    """Plain pandas: read the sheet, group the ratings by construct and case."""
    return baseline_summary(pd.read_csv(path))


def baseline_export(path, out):
    """Plain pandas and zipfile: read the sheet, group the codings by case and source, write each text."""
    df = pd.read_csv(path)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for (case, source), grp in df.groupby(["case", "source"], sort=False):
            zf.writestr(f"Sources/{case}-{source}.txt", "\n\n".join(grp["excerpt"]))


def wall_and_cpu(fn):
    """(wall seconds, CPU seconds of this process) of one call: on a shared machine the CPU says what it costs."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def at_scale(tmp, quick):
    """Issue 15: ``cfir summarise`` of 1M excerpts and ``cfir export`` of 10k one-coding sources."""
    from cscs_eval.cfir import export_qdpx

    n_big, n_codings = (100_000, 2_000) if quick else (1_000_000, 10_000)
    big = tmp / "big.csv"
    make_sheet(n_big, 200).to_csv(big, index=False)
    base_wall, base_cpu = wall_and_cpu(lambda: baseline_read_group(big))
    in_wall, in_cpu = wall_and_cpu(lambda: summarise(load_coding(big)))
    wall, cpu = command("cfir", "summarise", str(big), cwd=tmp)
    print(f"cfir summarise {n_big:,} excerpts end to end: {wall:.2f} s wall, {cpu:.2f} s CPU (in process, without "
          f"start-up: {in_wall:.2f} s wall, {in_cpu:.2f} s CPU); plain pandas read + group-by {base_wall:.2f} s wall, "
          f"{base_cpu:.2f} s CPU; ratio {wall / base_wall:.1f}x wall, {cpu / base_cpu:.1f}x CPU; target < 3 s")

    # every coding its own source: the case that made export slow (one-row groups)
    sheet = make_sheet(n_codings, 50).assign(source=[f"interview {i}" for i in range(n_codings)])
    small = tmp / "codings.csv"
    sheet.to_csv(small, index=False)
    coding = load_coding(small)
    base_wall, base_cpu = wall_and_cpu(lambda: baseline_export(small, tmp / "baseline.zip"))
    in_wall, in_cpu = wall_and_cpu(lambda: export_qdpx(coding, tmp / "in_process.qdpx"))
    wall, cpu = command("cfir", "export", str(small), "--to", "qdpx", "--out", str(tmp / "p.qdpx"), cwd=tmp)
    print(f"cfir export of {n_codings:,} codings ({n_codings:,} sources) end to end: {wall:.2f} s wall, {cpu:.2f} s "
          f"CPU (in process, coding already read: {in_wall:.2f} s wall, {in_cpu:.2f} s CPU); plain pandas read + "
          f"group-by + zip {base_wall:.2f} s wall, {base_cpu:.2f} s CPU; ratio {wall / base_wall:.1f}x wall, "
          f"{cpu / base_cpu:.1f}x CPU; target < 2 s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    n_rows, n_cases, n_files = (10_000, 50, 100) if args.quick else (100_000, 200, 1_000)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sheet = make_sheet(n_rows, n_cases)
        path = tmp / "sheet.csv"
        sheet.to_csv(path, index=False)
        t_load, coding = timed(lambda: load_coding(path), repeat=1)
        t_sum, summary = timed(lambda: summarise(coding))
        t_base, base = timed(lambda: baseline_summary(sheet))
        assert len(summary) == len(base) and summary["n_excerpts"].sum() == n_rows
        print(f"summarise {n_rows:,} coded excerpts over {n_cases} cases: {t_sum:.3f} s "
              f"(plain pandas groupby baseline {t_base:.3f} s; ratio {t_sum / t_base:.1f}x); target < 2 s")
        print(f"load and check a {n_rows:,}-row coding sheet: {t_load:.3f} s; "
              f"load + summarise {t_load + t_sum:.3f} s")

        notes = tmp / "notes"
        notes.mkdir()
        make_notes(notes, n_files)
        t_val, problems = timed(lambda: validate(notes), repeat=1)
        t_vbase, n_blocks = timed(lambda: baseline_validate(notes), repeat=1)
        print(f"validate {n_files:,} note files ({n_blocks:,} code blocks, {len(problems)} problems): {t_val:.3f} s "
              f"(plain read + regex baseline {t_vbase:.3f} s; ratio {t_val / max(t_vbase, 1e-9):.1f}x); "
              "target < 5 s")

        at_scale(tmp, args.quick)


if __name__ == "__main__":
    main()
