"""Benchmark: `cscs-eval proms outcomes` on ReQoL-10 at scale, against DuckDB SQL floors in the same run.

    python benchmarks/bench_proms.py --quick                  # 20,000 assessments (make bench)
    python benchmarks/bench_proms.py                          # 1M and 2M assessments
    python benchmarks/bench_proms.py --sizes 2M,10M,50M       # the national sizes (disk: ~1.3 GB per 10M)

Three programs run on one synthetic extract (fixed seed; 10 item rows per assessment, with defects:
answers out of range, missing rows, exact duplicates), each in its own fresh process so that its
wall time, CPU time and peak memory (max RSS, from ``os.wait4``) are its own; Parquet in, Parquet out:

* ``lean``: the floor, the smallest DuckDB query of the logic (score with items 1, 3, 6, 9 reversed,
  keep complete valid assessments, first and last per referral, classify change >= 5 / <= -5,
  clinical below 25, reliable recovery). It does not resolve duplicate rows, so it may differ from
  the package on the few assessments that hold one; the difference is counted, not hidden;
* ``reference``: the same in DuckDB SQL applying every validation rule the package applies to this
  extract (known measure spellings, dates present and not in the future, item 1-11 whole, answer 0-4
  whole, exact duplicates kept once and conflicting ones dropped): its result must equal the CLI's;
* ``cli``: ``python -m cscs_eval proms outcomes FILE --drop-invalid --out OUT.parquet`` end to end
  (validation with row-level problem reports, scoring, pairing, pseudonymised export).

Start-up (an empty Python with duckdb imported; ``cscs-eval --version``) is measured and taken off
both sides for the ratio, as the issue measured. Targets (issue 15): 2M assessments within 1.5x of
the lean query with peak memory under 4 GB; 10M and 50M under 8 GB, time linear in size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = Path(__file__).resolve().parent / "output"
REVERSED = (1, 3, 6, 9)
KEY = "bench-key-0123456789abcdef"  # a pseudonymisation key for the run, so the CLI may export
COMPARE = ["referral_id", "patient_id", "team", "baseline_date", "follow_up_date", "n_assessments", "baseline",
           "follow_up", "change", "paired", "category", "clinical_baseline", "reliable_recovery"]
CHUNK = 1_000_000  # assessments generated and written at a time, so that 50M fits in memory


def _size(text: str) -> int:
    text = text.strip().upper().replace(",", "").replace("_", "")
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * mult)


def generate(n_assessments: int, path: Path, seed: int = 20241127) -> dict:
    """Write ``n_assessments`` ReQoL-10 assessments (10 item rows each) to ``path`` as Parquet, in chunks."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    n_rows = n_refs = 0
    team_names = pa.array([f"Team {i:02d}" for i in range(30)])
    for c, start_a in enumerate(range(0, n_assessments, CHUNK)):
        n = min(CHUNK, n_assessments - start_a)
        rng = np.random.default_rng([seed, c])
        sizes = rng.integers(1, 5, size=n)  # assessments per referral, 1-4 (mean 2.5)
        sizes = sizes[np.cumsum(sizes) <= n]
        if n - sizes.sum():
            sizes = np.append(sizes, n - sizes.sum())
        n_ref = len(sizes)
        ref_of = np.repeat(np.arange(n_ref), sizes)
        # Patients: most have one referral, one in ten a second (the previous referral's patient).
        patient_of_ref = np.maximum(np.arange(n_ref) - (rng.random(n_ref) < 0.1), 0)
        team_of_ref = rng.integers(0, 30, n_ref)
        begin = rng.integers(0, 3 * 365, n_ref)
        first = np.cumsum(sizes) - sizes
        order = np.arange(n) - np.repeat(first, sizes)
        gaps = rng.integers(20, 200, n) * (order > 0)
        cum = np.cumsum(gaps)
        day = begin[ref_of] + cum - np.repeat(cum[first], sizes)
        dates = np.datetime64("2022-01-01") + day.astype("timedelta64[D]")
        latent = rng.normal(2.0, 0.7, n_ref)[ref_of] + 0.15 * order
        rows = n * 10
        a = np.repeat(np.arange(n), 10)
        item = np.tile(np.arange(1, 11, dtype=np.int64), n)
        keyed = np.clip(np.rint(latent[a] + rng.normal(0, 0.8, rows)), 0, 4).astype(np.int64)
        response = np.where(np.isin(item, REVERSED), 4 - keyed, keyed)
        # Defects: 1 in 20,000 answers out of range; 1 in 50,000 rows missing; 1 in 100,000 duplicated.
        response[rng.random(rows) < 5e-5] = 9
        idx = np.concatenate([np.flatnonzero(rng.random(rows) >= 2e-5), np.flatnonzero(rng.random(rows) < 1e-5)])
        r = ref_of[a[idx]]
        ids = np.arange(n_refs, n_refs + n_ref)
        table = pa.table({
            "patient_id": pa.array([f"P{i:09d}" for i in ids])
            .take(pa.array(patient_of_ref[r])),
            "referral_id": pa.array([f"R{i:09d}" for i in ids]).take(pa.array(r)),
            "team": team_names.take(pa.array(team_of_ref[r])),
            "measure": pa.array(np.where(rng.random(len(idx)) < 0.5, "ReQoL-10", "reqol10")),
            "assessment_date": pa.array(dates[a[idx]].astype("datetime64[D]")),
            "item": pa.array(item[idx]),
            "response": pa.array(response[idx]),
        })
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
        n_rows += table.num_rows
        n_refs += n_ref
    writer.close()
    tmp.replace(path)
    return {"rows": n_rows, "referrals": n_refs, "assessments": n_assessments}


def lean_sql(path: Path, out: Path) -> str:
    """The floor: the logic in the fewest steps, no row-level checks beyond the answer range."""
    rev = ", ".join(map(str, REVERSED))
    return f"""
    COPY (
    WITH a AS (
        SELECT referral_id, assessment_date,
               arg_min(patient_id, file_row_number) AS patient_id, arg_min(team, file_row_number) AS team,
               sum(CASE WHEN item IN ({rev}) THEN 4 - response ELSE response END) AS total, count(*) AS n
        FROM read_parquet('{path}', file_row_number = true)
        WHERE item BETWEEN 1 AND 10 AND response BETWEEN 0 AND 4
        GROUP BY referral_id, assessment_date
    ), p AS (
        SELECT referral_id, arg_min(patient_id, assessment_date) AS patient_id, arg_min(team, assessment_date) AS team,
               min(assessment_date) AS baseline_date, max(assessment_date) AS last_date,
               arg_min(total, assessment_date) AS baseline, arg_max(total, assessment_date) AS last_total,
               count(*) AS n_assessments
        FROM a WHERE n = 10 GROUP BY referral_id
    )
    {_classify_sql()}
    ) TO '{out}' (FORMAT parquet)"""


def _classify_sql() -> str:
    return """
    SELECT referral_id, patient_id, team, baseline_date,
           CASE WHEN last_date > baseline_date THEN last_date END AS follow_up_date, n_assessments,
           CAST(baseline AS DOUBLE) AS baseline,
           CAST(CASE WHEN last_date > baseline_date THEN last_total END AS DOUBLE) AS follow_up,
           CAST(CASE WHEN last_date > baseline_date THEN last_total - baseline END AS DOUBLE) AS change,
           last_date > baseline_date AS paired,
           CASE WHEN last_date <= baseline_date THEN NULL
                WHEN last_total - baseline >= 5 THEN 'reliable improvement'
                WHEN last_total - baseline <= -5 THEN 'reliable deterioration'
                ELSE 'no reliable change' END AS category,
           baseline < 25 AS clinical_baseline,
           CASE WHEN last_date > baseline_date
                THEN baseline < 25 AND last_total >= 25 AND last_total - baseline >= 5 END AS reliable_recovery
    FROM p"""


def reference_sql(path: Path, out: Path, aliases) -> str:
    """Every validation rule the package applies to this extract, as plain DuckDB SQL (a date after
    today is in the future, as the CLI judges it)."""
    import datetime as dt

    today = dt.date.today().isoformat()
    known = ", ".join(f"'{a}'" for a in aliases)
    return f"""
    COPY (
    WITH raw AS (
        SELECT file_row_number AS pos, nullif(trim(patient_id), '') AS patient_id,
               nullif(trim(referral_id), '') AS referral_id, nullif(trim(team), '') AS team,
               regexp_replace(lower(measure), '[^0-9a-z+]', '', 'g') IN ({known}) AS known,
               CAST(assessment_date AS DATE) AS d, CAST(item AS DOUBLE) AS item, CAST(response AS DOUBLE) AS value
        FROM read_parquet('{path}', file_row_number = true)
    ), ok AS (
        SELECT * FROM raw
        WHERE patient_id IS NOT NULL AND team IS NOT NULL AND known AND d IS NOT NULL AND d <= DATE '{today}'
          AND item = round(item) AND item BETWEEN 1 AND 11 AND value = round(value) AND value BETWEEN 0 AND 4
    ), dup AS (
        SELECT patient_id, referral_id, d, item, count(DISTINCT value) AS n_values, min(pos) AS first
        FROM ok GROUP BY ALL HAVING count(*) > 1
    ), valid AS (
        SELECT ok.* FROM ok LEFT JOIN dup ON dup.patient_id = ok.patient_id
            AND dup.referral_id IS NOT DISTINCT FROM ok.referral_id AND dup.d = ok.d AND dup.item = ok.item
        WHERE dup.first IS NULL OR (dup.n_values = 1 AND ok.pos = dup.first)
    ), a AS (
        SELECT referral_id, coalesce(referral_id, patient_id) AS pair, d AS assessment_date,
               arg_min(patient_id, pos) AS patient_id, arg_min(team, pos) AS team,
               sum(CASE WHEN item IN ({", ".join(map(str, REVERSED))}) THEN 4 - value ELSE value END)
                   FILTER (WHERE item <= 10) AS total,
               count(*) FILTER (WHERE item <= 10) AS n
        FROM valid GROUP BY ALL
    ), p AS (
        SELECT any_value(referral_id) AS referral_id, arg_min(patient_id, assessment_date) AS patient_id,
               arg_min(team, assessment_date) AS team,
               min(assessment_date) AS baseline_date, max(assessment_date) AS last_date,
               arg_min(total, assessment_date) AS baseline, arg_max(total, assessment_date) AS last_total,
               count(*) AS n_assessments
        FROM a WHERE n = 10 GROUP BY pair
    )
    {_classify_sql()}
    ) TO '{out}' (FORMAT parquet)"""


def measure(cmd: list, env=None) -> dict:
    """Run ``cmd`` as a child process: wall time, CPU time (user + system) and peak memory (max RSS)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def _duckdb_cmd(sql: str) -> list:
    return [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(); "
            "con.execute('SET preserve_insertion_order = false'); con.execute(sys.argv[1])", sql]


def compare(cli_path: Path, other_path: Path) -> str:
    """Row-for-row comparison; the other side's ids are pseudonymised with the run's key first."""
    import numpy as np
    import pandas as pd

    from cscs_eval.governance import pseudonymise

    a = pd.read_parquet(cli_path, columns=COMPARE)
    b = pd.read_parquet(other_path, columns=COMPARE)
    for c in ("referral_id", "patient_id"):
        b[c] = pseudonymise(b[c], KEY.encode()).to_numpy(dtype=object)
    a = a.sort_values("referral_id").reset_index(drop=True)
    b = b.sort_values("referral_id").reset_index(drop=True)
    if len(a) != len(b):
        common = len(set(a["referral_id"]) & set(b["referral_id"]))
        return f"{len(a):,} vs {len(b):,} referrals ({common:,} in both)"
    diffs = []
    for c in COMPARE:
        x, y = a[c], b[c]
        if c.endswith("_date"):
            x, y = pd.to_datetime(x), pd.to_datetime(y)
            same = (x == y) | (x.isna() & y.isna())
        elif c in ("baseline", "follow_up", "change", "n_assessments"):
            xv, yv = x.astype(float).to_numpy(), y.astype(float).to_numpy()
            same = pd.Series((xv == yv) | (np.isnan(xv) & np.isnan(yv)))
        else:
            xo, yo = x.astype(object), y.astype(object)
            same = (xo == yo) | (xo.isna() & yo.isna())
        if not bool(same.all()):
            diffs.append(f"{c} ({int((~same).sum())} rows)")
    return f"identical ({len(a):,} referrals)" if not diffs else "DIFFERENT in " + ", ".join(diffs)


def run_size(n: int, startup: dict, with_reference: bool = True) -> dict:
    from cscs_eval.proms._measures import alias_map, bundled_measures

    path = OUTPUT / f"proms_reqol10_{n}.parquet"
    if not path.exists():
        t = time.perf_counter()
        info = generate(n, path)
        print(f"generated {info['rows']:,} item rows ({n:,} assessments, {info['referrals']:,} referrals) "
              f"in {time.perf_counter() - t:.1f} s -> {path}", flush=True)
    rows = _rows(path)
    outs = {k: OUTPUT / f"result_{k}_{n}.parquet" for k in ("lean", "reference", "cli")}
    aliases = [k for k, v in alias_map(bundled_measures()).items() if v == "reqol10"]
    env = dict(os.environ, CSCS_EVAL_PSEUDONYM_KEY=KEY, PYTHONPATH=str(ROOT))
    res = {"n": n, "rows": rows}
    res["lean"] = measure(_duckdb_cmd(lean_sql(path, outs["lean"])))
    res["reference"] = measure(_duckdb_cmd(reference_sql(path, outs["reference"], aliases))) \
        if with_reference else None
    res["cli"] = measure([sys.executable, "-m", "cscs_eval", "proms", "outcomes", str(path), "--drop-invalid",
                          "--out", str(outs["cli"])], env=env)
    res["vs_reference"] = compare(outs["cli"], outs["reference"]) if with_reference else "not run"
    res["vs_lean"] = compare(outs["cli"], outs["lean"])
    lean = res["lean"]["wall"] - startup["duckdb"]
    cli = res["cli"]["wall"] - startup["cli"]
    res["ratio"] = cli / lean if lean > 0 else float("nan")
    for k in [k for k in ("lean", "reference", "cli") if res[k]]:
        print(f"  {k:>9}: {res[k]['wall']:7.2f} s wall, {res[k]['cpu']:7.2f} s CPU, "
              f"peak {res[k]['peak_mb']:,.0f} MB, {rows / res[k]['wall'] / 1e6:5.2f} M item rows/s", flush=True)
    print(f"  CLI / lean (start-up taken off both): {res['ratio']:.2f}x; CLI vs reference: {res['vs_reference']}; "
          f"CLI vs lean: {res['vs_lean']}", flush=True)
    return res


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 assessments only (for make bench)")
    parser.add_argument("--sizes", default="1M,2M", help="assessments per run, e.g. 2M,10M,50M (default 1M,2M)")
    parser.add_argument("--reference-up-to", default="2M",
                        help="run the every-rule reference query only up to this size (it is the slowest program; "
                             "above it the CLI is compared with the lean query)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sizes = [20_000] if args.quick else [_size(s) for s in args.sizes.split(",") if s.strip()]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    startup = {"duckdb": min(measure([sys.executable, "-c", "import duckdb"])["wall"] for _ in range(3)),
               "cli": min(measure([sys.executable, "-m", "cscs_eval", "--version"], env=env)["wall"]
                          for _ in range(3))}
    print(f"start-up: python + duckdb {startup['duckdb']:.2f} s, cscs-eval {startup['cli']:.2f} s; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} (a shared machine slows every side alike)")
    results = []
    for n in sizes:
        print(f"{n:,} assessments:", flush=True)
        results.append(run_size(n, startup, with_reference=n <= _size(args.reference_up_to)))
    print("\n| assessments | item rows | lean query: wall, CPU, peak | reference (every rule): wall, CPU, peak | "
          "CLI end to end: wall, CPU, peak | CLI item rows/s | CLI / lean (wall, start-up off) | CLI vs reference |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")

    def cell(m):
        return f"{m['wall']:.1f} s, {m['cpu']:.1f} s, {m['peak_mb'] / 1024:.2f} GB" if m else "not run"

    for r in results:
        print(f"| {r['n']:,} | {r['rows']:,} | {cell(r['lean'])} | {cell(r['reference'])} | {cell(r['cli'])} | "
              f"{r['rows'] / r['cli']['wall'] / 1e6:.2f} M | {r['ratio']:.2f}x | {r['vs_reference'].split(' (')[0]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
