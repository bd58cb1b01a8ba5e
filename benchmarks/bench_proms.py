"""Benchmark: validate, score, pair and classify ReQoL-10 at scale, against the same logic in DuckDB SQL.

    python benchmarks/bench_proms.py            # 1,000,000 assessments = 10 million item rows
    python benchmarks/bench_proms.py --quick    # 50,000 assessments

The synthetic extract (fixed seed, with a few defects: out-of-range answers, a missing item, exact
duplicates) is written to Parquet under benchmarks/output/. Each engine runs in its own fresh
process so its peak memory (max RSS) is its own; the results must be identical row for row.
The baseline is DuckDB (multi-threaded, in-process) running the SQL in ``duckdb_outcomes``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "output"
TODAY = "2026-01-01"
REVERSED = (1, 3, 6, 9)
COMPARE = ["referral_id", "patient_id", "team", "baseline_date", "follow_up_date", "n_assessments", "baseline",
           "follow_up", "change", "paired", "category", "clinical_baseline", "reliable_recovery"]


def generate(n_assessments: int, path: Path, seed: int = 20241127) -> dict:
    """Write ``n_assessments`` ReQoL-10 assessments (10 item rows each) to ``path`` as Parquet."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, size=n_assessments)  # assessments per referral, 1-4 (mean 2.5)
    sizes = sizes[np.cumsum(sizes) <= n_assessments]
    short = n_assessments - sizes.sum()
    if short:
        sizes = np.append(sizes, short)
    n_ref = len(sizes)
    ref_of = np.repeat(np.arange(n_ref), sizes)
    # Patients: most have one referral, some two.
    patient_of_ref = np.arange(n_ref) - (rng.random(n_ref) < 0.1) * 1
    patient_of_ref = np.maximum(patient_of_ref, 0)
    team_of_ref = rng.integers(0, 30, n_ref)
    start = rng.integers(0, 3 * 365, n_ref)
    order = np.arange(n_assessments) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    gaps = rng.integers(20, 200, n_assessments) * (order > 0)
    day = start[ref_of] + np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[np.cumsum(sizes) - sizes], sizes)
    dates = np.datetime64("2022-01-01") + day.astype("timedelta64[D]")
    latent = rng.normal(2.0, 0.7, n_ref)[ref_of] + 0.15 * order
    n_rows = n_assessments * 10
    a = np.repeat(np.arange(n_assessments), 10)
    item = np.tile(np.arange(1, 11), n_assessments)
    keyed = np.clip(np.rint(latent[a] + rng.normal(0, 0.8, n_rows)), 0, 4).astype(np.int64)
    response = np.where(np.isin(item, REVERSED), 4 - keyed, keyed)
    # Defects: 1 in 20,000 answers out of range; 1 in 50,000 rows missing; 1 in 100,000 duplicated.
    response[rng.random(n_rows) < 5e-5] = 9
    keep = rng.random(n_rows) >= 2e-5
    dup = np.flatnonzero(rng.random(n_rows) < 1e-5)
    idx = np.concatenate([np.flatnonzero(keep), dup])
    ref_names = pa.array([f"R{i:08d}" for i in range(n_ref)])
    pat_names = pa.array([f"P{i:08d}" for i in range(n_ref)])
    team_names = pa.array([f"Team {i:02d}" for i in range(30)])
    r = ref_of[a[idx]]
    table = pa.table({
        "patient_id": ref_names.take(pa.array(patient_of_ref[r])).cast(pa.string()).to_pylist() if False else
        pat_names.take(pa.array(patient_of_ref[r])),
        "referral_id": ref_names.take(pa.array(r)),
        "team": team_names.take(pa.array(team_of_ref[r])),
        "measure": pa.array(np.where(rng.random(len(idx)) < 0.5, "ReQoL-10", "reqol10")),
        "assessment_date": pa.array(dates[a[idx]].astype("datetime64[D]")),
        "item": pa.array(item[idx]),
        "response": pa.array(response[idx]),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return {"rows": table.num_rows, "referrals": n_ref, "assessments": n_assessments}


def duckdb_outcomes(path: Path, today: str = TODAY):
    """The pandas pipeline's logic for ReQoL-10, as DuckDB SQL: validate (known measure, item 1-11,
    whole answer 0-4, dates present and not in the future, duplicates: exact copies keep the first,
    conflicting copies drop all), score (reverse items 1, 3, 6, 9; total only with all 10 items),
    pair per referral (first and latest later assessment) and classify (NHS England: 5 points,
    clinical below 25, reliable recovery)."""
    import duckdb

    from cscs_eval.proms._measures import alias_map, bundled_measures

    aliases = [k for k, v in alias_map(bundled_measures()).items() if v == "reqol10"]
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    sql = f"""
    WITH raw AS (
        SELECT row_number() OVER () AS pos, * FROM read_parquet('{path}')
    ), checked AS (
        SELECT *, coalesce(referral_id, patient_id) AS pair_id,
               TRY_CAST(response AS DOUBLE) AS value, TRY_CAST(item AS DOUBLE) AS item_n,
               regexp_replace(lower(measure), '[^0-9a-z+]', '', 'g') IN ({", ".join(f"'{a}'" for a in aliases)})
                   AS known
        FROM raw
    ), flagged AS (
        SELECT *,
               (patient_id IS NULL OR team IS NULL OR NOT known OR assessment_date IS NULL
                OR assessment_date > DATE '{today}' OR item_n IS NULL OR item_n <> round(item_n)
                OR item_n < 1 OR item_n > 11 OR value IS NULL OR value < 0 OR value > 4
                OR value <> round(value)) AS bad
        FROM checked
    ), deduped AS (
        SELECT *,
               count(*) OVER w AS n_copies,
               count(DISTINCT value) OVER w AS n_values,
               min(pos) OVER w AS first_pos
        FROM flagged WHERE NOT bad
        WINDOW w AS (PARTITION BY patient_id, pair_id, assessment_date, item_n)
    ), valid AS (
        SELECT * FROM deduped WHERE n_copies = 1 OR (n_values = 1 AND pos = first_pos)
    ), scored AS (
        SELECT pair_id, assessment_date,
               arg_min(patient_id, pos) AS patient_id, arg_min(referral_id, pos) AS referral_id,
               arg_min(team, pos) AS team,
               sum(CASE WHEN item_n IN (1, 3, 6, 9) THEN 4 - value ELSE value END)
                   FILTER (WHERE item_n <= 10) AS total,
               count(*) FILTER (WHERE item_n <= 10) AS n_items
        FROM valid GROUP BY pair_id, assessment_date
    ), complete AS (
        SELECT * FROM scored WHERE n_items = 10
    ), paired AS (
        SELECT pair_id,
               arg_min(patient_id, assessment_date) AS patient_id,
               arg_min(referral_id, assessment_date) AS referral_id,
               arg_min(team, assessment_date) AS team,
               min(assessment_date) AS baseline_date, max(assessment_date) AS last_date,
               arg_min(total, assessment_date) AS baseline, arg_max(total, assessment_date) AS last_total,
               count(*) AS n_assessments
        FROM complete GROUP BY pair_id
    )
    SELECT referral_id, patient_id, team, baseline_date,
           CASE WHEN last_date > baseline_date THEN last_date END AS follow_up_date,
           n_assessments, baseline,
           CASE WHEN last_date > baseline_date THEN last_total END AS follow_up,
           CASE WHEN last_date > baseline_date THEN last_total - baseline END AS change,
           last_date > baseline_date AS paired,
           CASE WHEN last_date <= baseline_date THEN NULL
                WHEN last_total - baseline >= 5 THEN 'reliable improvement'
                WHEN last_total - baseline <= -5 THEN 'reliable deterioration'
                ELSE 'no reliable change' END AS category,
           baseline < 25 AS clinical_baseline,
           CASE WHEN last_date > baseline_date
                THEN baseline < 25 AND last_total >= 25 AND last_total - baseline >= 5 END AS reliable_recovery
    FROM paired
    """
    return con.execute(sql).df()


def _run(engine: str, path: str, result_path: str) -> dict:
    """One engine in a fresh process: time it, save its result, report its peak memory."""
    t0 = time.perf_counter()
    phases = {}
    if engine == "pandas":
        from cscs_eval.proms import classify, pair
        from cscs_eval.proms._data import prepare_proms
        from cscs_eval.proms._scoring import score_rows

        prep = prepare_proms(path, drop_invalid=True, today=TODAY)
        phases["read + validate"] = time.perf_counter() - t0
        t = time.perf_counter()
        scores = score_rows(prep.rows, prep.registry)
        phases["score"] = time.perf_counter() - t
        t = time.perf_counter()
        pairs = pair(scores, registry=prep.registry)
        phases["pair"] = time.perf_counter() - t
        t = time.perf_counter()
        out = classify(pairs, registry=prep.registry)
        phases["classify"] = time.perf_counter() - t
        excluded = int(prep.exclusions["n_rows"].sum())
    else:
        out = duckdb_outcomes(Path(path))
        excluded = None
    total = time.perf_counter() - t0
    out = out[COMPARE].copy()
    for c in ("referral_id", "patient_id", "team", "category"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out.to_parquet(result_path, index=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": engine, "seconds": total, "phases": phases, "peak_mb": peak_mb, "rows": len(out),
            "excluded_rows": excluded}


def compare(a_path, b_path) -> str:
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(a_path).sort_values("referral_id").reset_index(drop=True)
    b = pd.read_parquet(b_path).sort_values("referral_id").reset_index(drop=True)
    if len(a) != len(b):
        return f"DIFFERENT: {len(a)} vs {len(b)} rows"
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
    return "identical" if not diffs else "DIFFERENT in " + ", ".join(diffs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 assessments instead of 1,000,000")
    parser.add_argument("--assessments", type=int, help="number of ReQoL-10 assessments")
    args = parser.parse_args(argv)
    n = args.assessments or (50_000 if args.quick else 1_000_000)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    path = OUTPUT / f"proms_reqol10_{n}.parquet"
    t = time.perf_counter()
    if not path.exists():
        info = generate(n, path)
        print(f"generated {info['rows']:,} item rows ({n:,} assessments, {info['referrals']:,} referrals) "
              f"in {time.perf_counter() - t:.1f} s -> {path}")
    else:
        print(f"using {path}")
    ctx = mp.get_context("spawn")
    results = {}
    for engine in ("duckdb", "pandas"):
        with ctx.Pool(1) as pool:
            res = pool.apply(_run, (engine, str(path), str(OUTPUT / f"result_{engine}_{n}.parquet")))
        results[engine] = res
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in res["phases"].items())
        print(f"{engine:>7}: {res['seconds']:7.2f} s, peak memory {res['peak_mb']:,.0f} MB, {res['rows']:,} referrals"
              + (f" ({phases}; {res['excluded_rows']} rows excluded)" if phases else ""))
    ratio = results["pandas"]["seconds"] / results["duckdb"]["seconds"]
    print(f"pandas engine / DuckDB SQL baseline: {ratio:.2f}x (target <= 1.5x); peak memory target < 4,096 MB")
    print("results:", compare(OUTPUT / f"result_pandas_{n}.parquet", OUTPUT / f"result_duckdb_{n}.parquet"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
