"""Small statistics used by the PROMs summaries: rates with Wilson intervals, effect sizes, paired tests.

The Wilson interval itself is :func:`cscs_eval.stats.wilson_interval`, shared with the other capabilities.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cscs_eval.stats import wilson_interval


def paired_statistics(baseline, follow_up) -> dict:
    """Paired change statistics for one group.

    Returns n, mean_baseline, mean_follow_up, mean_change, sd_baseline, sd_change,
    effect_size (NHS England: mean change / SD of baseline scores), d_z (mean change / SD of
    change = t/sqrt(n)), the paired t-test (``scipy.stats.ttest_rel``) and the Wilcoxon
    signed-rank test (:func:`wilcoxon`, equal to ``scipy.stats.wilcoxon`` with its defaults, without a
    continuity correction).
    SDs are sample SDs (n - 1), as SQL Server's STDEV in the NHS England dashboard.

    Examples
    --------
    >>> r = paired_statistics([10, 12, 14, 16], [13, 14, 18, 17])
    >>> float(r["mean_change"]), round(float(r["d_z"]), 4), round(float(r["effect_size"]), 4)
    (2.5, 1.9365, 0.9682)
    """
    from scipy import stats

    b = np.asarray(baseline, dtype=float)
    f = np.asarray(follow_up, dtype=float)
    keep = ~np.isnan(b) & ~np.isnan(f)
    b, f = b[keep], f[keep]
    d = f - b
    n = len(d)
    out = {"n": n, "mean_baseline": np.nan, "mean_follow_up": np.nan, "mean_change": np.nan,
           "sd_baseline": np.nan, "sd_change": np.nan, "effect_size": np.nan, "d_z": np.nan,
           "t_statistic": np.nan, "t_p_value": np.nan, "wilcoxon_statistic": np.nan, "wilcoxon_p_value": np.nan}
    if n == 0:
        return out
    out.update(mean_baseline=b.mean(), mean_follow_up=f.mean(), mean_change=d.mean())
    if n < 2:
        return out
    sd_b = b.std(ddof=1)
    sd_d = d.std(ddof=1)
    out.update(sd_baseline=sd_b, sd_change=sd_d,
               effect_size=d.mean() / sd_b if sd_b > 0 else np.nan,
               d_z=d.mean() / sd_d if sd_d > 0 else np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if sd_d > 0:
            t = stats.ttest_rel(f, b)
            out.update(t_statistic=float(t.statistic), t_p_value=float(t.pvalue))
        if np.any(d != 0):
            out.update(zip(("wilcoxon_statistic", "wilcoxon_p_value"), wilcoxon(d)))
    return out


def wilcoxon(d) -> tuple:
    """Two-sided Wilcoxon signed-rank test of differences ``d``, as ``scipy.stats.wilcoxon(d)``.

    Same statistic (the smaller rank sum, zeros dropped) and the same p-value as scipy's defaults
    (``method="auto"``, ``correction=False``): exact without ties or zeros for n <= 50; the normal
    approximation with the tie correction and **no** continuity correction for larger samples, and for
    n > 13 with ties or zeros; and for n <= 13 with ties or zeros the exact sign-flip permutation
    distribution, enumerated here directly (scipy reaches the same numbers through
    ``permutation_test``, about a thousand times slower).

    In R, with ``d = follow_up - baseline``: the exact branch is
    ``wilcox.test(follow_up, baseline, paired = TRUE, exact = TRUE)``, the normal branch
    ``wilcox.test(follow_up, baseline, paired = TRUE, exact = FALSE, correct = FALSE)``. R's default
    (``correct = TRUE``) subtracts 0.5 from the distance of the rank sum from its mean, so its p-values
    are a little larger there; for small samples with ties or zeros R has no exact test (it warns
    "cannot compute exact p-value with ties" and uses the normal approximation).

    Examples
    --------
    >>> w, p = wilcoxon([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, -6, 7, -7])  # normal branch: z = -27.5 / 15.902
    >>> w, round(p, 4)
    (25.0, 0.0837)
    """
    from scipy import stats

    d = np.asarray(d, dtype=float)
    n = len(d)
    nz = d[d != 0]
    has_ties = len(np.unique(np.abs(nz))) < len(nz)
    if n > 13 or not (has_ties or len(nz) < n) or len(nz) == 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                w = stats.wilcoxon(d)
            except ValueError:
                return np.nan, np.nan
        return float(w.statistic), float(w.pvalue)
    ranks = stats.rankdata(np.abs(nz))
    r_plus = ranks[nz > 0].sum()
    r_minus = ranks[nz < 0].sum()
    m = len(nz)
    signs = (np.arange(2 ** m)[:, None] >> np.arange(m)) & 1
    null = signs @ ranks
    gamma = abs(np.finfo(float).eps * 100 * r_plus)
    p_less = np.count_nonzero(null <= r_plus + gamma) / len(null)
    p_greater = np.count_nonzero(null >= r_plus - gamma) / len(null)
    return float(min(r_plus, r_minus)), float(min(1.0, 2 * min(p_less, p_greater)))


def rate_columns(df: pd.DataFrame, name: str, count: str, nobs: str) -> pd.DataFrame:
    """Add ``name``, ``name_low`` and ``name_high`` (a rate with its 95% Wilson interval)."""
    k = df[count].to_numpy(dtype=float)
    n = df[nobs].to_numpy(dtype=float)
    lo, hi = wilson_interval(k, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
    return df.assign(**{name: rate, f"{name}_low": lo, f"{name}_high": hi})
