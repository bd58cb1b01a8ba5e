"""Benchmark benefit analyses: SPC rules, funnel limits and the interrupted time series.

Run ``python benchmarks/bench_benefits.py [--quick]``. Each figure is printed beside a baseline
run in the same process: for SPC, the vectorised limits alone (numpy), so the figure shows what
the special-cause rules cost on top; for the funnel and ITS, the size of the data.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None) -> None:
    from cscs_eval.benefits import funnel, interrupted_time_series, spc, xmr_limits

    args = argparse.ArgumentParser(description=__doc__).parse_known_args(argv)[1]
    quick = "--quick" in args
    rng = np.random.default_rng(1)
    warnings.simplefilter("ignore")
    print("SPC (XmR) chart with every rule, against the limits alone")
    for n in ((100, 1_000) if quick else (100, 1_000, 10_000, 50_000)):
        y = rng.normal(size=n).cumsum() * 0.1 + rng.normal(size=n)
        full = timed(lambda: spc(y))
        base = timed(lambda: xmr_limits(y))
        print(f"  n={n:>6}: spc {1000 * full:8.1f} ms   limits only {1000 * base:6.2f} ms   ratio {full / base:7.0f}x")
    print("Funnel limits with over-dispersion")
    for k in ((30, 300) if quick else (30, 300, 3_000)):
        den = rng.integers(20, 500, size=k)
        df = pd.DataFrame({"group": [f"t{i}" for i in range(k)], "numerator": rng.binomial(den, 0.3),
                           "denominator": den})
        print(f"  groups={k:>5}: {1000 * timed(lambda: funnel(df)):8.1f} ms")
    print("Interrupted time series (Newey-West), monthly series")
    for n in ((48, 120) if quick else (48, 120, 600)):
        dates = pd.date_range("2000-01-01", periods=n, freq="MS")
        df = pd.DataFrame({"date": dates, "value": rng.normal(size=n)})
        print(f"  months={n:>4}: {1000 * timed(lambda: interrupted_time_series(df, changes=dates[n // 2])):8.1f} ms")


if __name__ == "__main__":
    main()
