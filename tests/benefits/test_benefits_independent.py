"""Benefit statistics checked against published numbers and other packages' output.

Each expected value names its source beside it (also listed in tests/reference/benefits/README.md).
The module's own tests work examples by hand; these compare with code written by others
(statsmodels, scipy) or with numbers printed in papers, so that a shared misreading of a
formula cannot pass both.
"""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cscs_eval.benefits.funnel_plot import Z95, Z998, funnel
from cscs_eval.benefits.inequalities import group_estimates, inequality_gaps, sii_from_groups
from cscs_eval.stats import wilson_interval
from cscs_eval.benefits.its import interrupted_time_series


def rows(counts):
    """Row-level 0/1 data from {group: (events, n)}."""
    out = []
    for g, (x, n) in counts.items():
        out += [{"group": g, "y": 1}] * x + [{"group": g, "y": 0}] * (n - x)
    return pd.DataFrame(out)


# --- Wilson, Newcombe and Katz intervals --------------------------------------------------------

# Newcombe RG (1998) Two-sided confidence intervals for the single proportion, Stat Med 17:857-872,
# Table I, method 3 (Wilson score): 81/263 -> 0.2553 to 0.3662.
def test_wilson_matches_newcombe_1998_table():
    lo, hi = wilson_interval(81, 263)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.2553, 0.3662)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from([0.05, 0.01, 0.002]))
def test_wilson_matches_statsmodels(xn, alpha):
    x, n = xn
    exp = proportion_confint(x, n, alpha=alpha, method="wilson")  # statsmodels 0.15
    z = stats.norm.ppf(1 - alpha / 2)
    assert [float(v) for v in wilson_interval(x, n, z=z)] == pytest.approx(exp, abs=1e-12)


# Newcombe RG (1998) Interval estimation for the difference between independent proportions,
# Stat Med 17:873-890, Table II, method 10 (hybrid score): (a) 56/70 - 48/80 -> 0.0524 to 0.3339;
# (b) 9/10 - 3/10 -> 0.1705 to 0.8090.
@pytest.mark.parametrize("x1,n1,x0,n0,lower,upper", [(56, 70, 48, 80, 0.0524, 0.3339),
                                                      (9, 10, 3, 10, 0.1705, 0.8090)])
def test_newcombe_difference_matches_published_table(x1, n1, x0, n0, lower, upper):
    g = inequality_gaps(rows({"a": (x1, n1), "b": (x0, n0)}), group="group", outcome="y", reference="b",
                        suppress=False).set_index("group")
    assert round(g.loc["a", "abs_gap_lower"], 4) == lower
    assert round(g.loc["a", "abs_gap_upper"], 4) == upper


@settings(max_examples=60, deadline=None)
@given(st.integers(5, 300), st.integers(5, 300), st.floats(0.05, 0.95), st.floats(0.05, 0.95))
def test_difference_and_ratio_match_statsmodels(n1, n0, f1, f0):
    x1, x0 = max(1, round(n1 * f1)), max(1, round(n0 * f0))
    x1, x0 = min(x1, n1), min(x0, n0)
    g = inequality_gaps(rows({"a": (x1, n1), "b": (x0, n0)}), group="group", outcome="y", reference="b",
                        suppress=False).set_index("group")
    # statsmodels: method="newcomb" is Newcombe's method 10; method="log" for a ratio is Katz (1978)
    d = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
    r = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio")
    assert (g.loc["a", "abs_gap_lower"], g.loc["a", "abs_gap_upper"]) == pytest.approx(d, abs=1e-10)
    assert (g.loc["a", "rel_gap_lower"], g.loc["a", "rel_gap_upper"]) == pytest.approx(r, rel=1e-10)


def test_mean_gap_matches_scipy_welch_and_t_interval():
    rng = np.random.default_rng(7)
    a, b = rng.normal(3, 2, 40), rng.normal(4, 3, 65)
    data = pd.DataFrame({"group": ["a"] * 40 + ["b"] * 65, "y": np.concatenate([a, b])})
    g = inequality_gaps(data, group="group", outcome="y", kind="mean", reference="b",
                        suppress=False).set_index("group")
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)  # scipy 1.17
    assert (g.loc["a", "abs_gap_lower"], g.loc["a", "abs_gap_upper"]) == pytest.approx(tuple(welch), rel=1e-10)
    one = stats.ttest_1samp(a, 0).confidence_interval(0.95)
    assert (g.loc["a", "lower"], g.loc["a", "upper"]) == pytest.approx(tuple(one), rel=1e-10)


# --- slope and relative index of inequality -----------------------------------------------------

def test_sii_matches_statsmodels_wls_on_ridits():
    # Five IMD quintiles, most deprived first; the slope of a size-weighted regression on the ridit
    sizes = np.array([895, 770, 660, 460, 330])
    rates = np.array([0.171, 0.216, 0.231, 0.253, 0.290])
    r = sii_from_groups([1, 2, 3, 4, 5], rates, sizes)  # no variances: interval from the residuals
    share = sizes / sizes.sum()
    ridit = np.cumsum(share) - share / 2
    wls = sm.WLS(rates, sm.add_constant(ridit), weights=sizes).fit()  # statsmodels 0.15
    t = r.table.set_index("term")
    assert r.sii == pytest.approx(wls.params[1], rel=1e-12)
    assert (t.loc["sii", "lower"], t.loc["sii", "upper"]) == pytest.approx(tuple(wls.conf_int()[1]), rel=1e-10)
    assert r.mean == pytest.approx(np.average(rates, weights=sizes), rel=1e-12)
    assert r.rii == pytest.approx(wls.params[1] / np.average(rates, weights=sizes), rel=1e-12)


def test_sii_variance_interval_matches_weighted_least_squares_sandwich():
    # with known group variances, var(SII) = sum c_i^2 v_i, the WLS slope's exact variance when the
    # estimates are independent: check it against the matrix form (X'WX)^-1 X'W V W X (X'WX)^-1
    sizes = np.array([120.0, 300.0, 80.0, 200.0])
    y = np.array([0.12, 0.18, 0.25, 0.21])
    v = y * (1 - y) / sizes
    r = sii_from_groups(list("abcd"), y, sizes, v)
    share = sizes / sizes.sum()
    X = np.column_stack([np.ones(4), np.cumsum(share) - share / 2])
    W = np.diag(sizes)
    bread = np.linalg.inv(X.T @ W @ X)
    cov = bread @ X.T @ W @ np.diag(v) @ W @ X @ bread
    se = math.sqrt(cov[1, 1])
    t = r.table.set_index("term")
    z = stats.norm.ppf(0.975)
    assert (t.loc["sii", "lower"], t.loc["sii", "upper"]) == pytest.approx((r.sii - z * se, r.sii + z * se),
                                                                            rel=1e-10)


def test_group_rates_match_statsmodels_wilson():
    est = group_estimates(rows({"x": (12, 40), "y": (3, 9)}), group="group", outcome="y").set_index("group")
    assert (est.loc["x", "lower"], est.loc["x", "upper"]) == pytest.approx(
        proportion_confint(12, 40, method="wilson"), abs=1e-12)


# --- funnel limits ------------------------------------------------------------------------------

def test_funnel_z_values_are_the_normal_quantiles():
    # FunnelPlotR hard-codes 1.959964 and 3.090232: the 97.5% and 99.9% standard normal quantiles
    assert Z95 == pytest.approx(stats.norm.ppf(0.975), abs=5e-7)
    assert Z998 == pytest.approx(stats.norm.ppf(0.999), abs=5e-7)


def test_funnel_limits_from_the_formulas_with_scipy_and_statsmodels_dl():
    teams = pd.DataFrame({"group": list("ABCDEFGH"), "numerator": [12, 30, 45, 20, 70, 5, 33, 18],
                          "denominator": [100, 150, 200, 80, 250, 60, 120, 95]})
    r = funnel(teams)
    x, n = teams["numerator"].to_numpy(float), teams["denominator"].to_numpy(float)
    p = x.sum() / n.sum()
    s = 1 / (2 * np.sqrt(n))
    z = (np.arcsin(np.sqrt(x / n)) - np.arcsin(np.sqrt(p))) / s
    # winsorise at R's type-7 10% and 90% quantiles (scipy.stats.mstats.winsorize cuts whole points, so
    # clip at the quantiles instead), phi = mean square, tau^2 DerSimonian-Laird (Spiegelhalter 2005)
    lo, hi = np.quantile(z, [0.1, 0.9])
    phi = np.mean(np.clip(z, lo, hi) ** 2)
    w = 1 / s ** 2
    k = len(z)
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    assert r.phi == pytest.approx(phi, rel=1e-12) and r.tau2 == pytest.approx(tau2, rel=1e-12)
    for col, q, sign in (("lower95", 0.975, -1), ("upper95", 0.975, 1), ("lower998", 0.999, -1),
                         ("upper998", 0.999, 1)):
        angle = np.arcsin(np.sqrt(p)) + sign * stats.norm.ppf(q) * np.sqrt(s ** 2 + tau2)
        expected = np.sin(np.clip(angle, 0, np.pi / 2)) ** 2
        np.testing.assert_allclose(r.table[col], expected, atol=2e-7)


def test_funnel_without_overdispersion_agrees_with_the_arcsine_z_test():
    # A group is outside the plain 95% limits exactly when its arcsine z-score exceeds 1.96
    teams = pd.DataFrame({"group": list("ABCDEF"), "numerator": [12, 30, 45, 20, 70, 5],
                          "denominator": [100, 150, 200, 80, 250, 60]})
    t = funnel(teams, overdispersion=False).table
    outside = t["outlier"] != "within"
    assert outside.tolist() == (t["z"].abs() > Z95).tolist()


# --- interrupted time series --------------------------------------------------------------------

def its_data(seed=3, n=42, c=18):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    e = np.zeros(n)
    for i in range(n):
        e[i] = (0.4 * e[i - 1] if i else 0) + rng.normal(0, 1)
    y = 20 + 0.1 * t + 4 * (t >= c) - 0.2 * np.where(t >= c, t - c, 0) + e
    return pd.DataFrame({"date": pd.date_range("2021-01-01", periods=n, freq="MS"), "value": y}), c


def test_its_matches_a_plain_statsmodels_formula_fit():
    df, c = its_data()
    r = interrupted_time_series(df, changes=df["date"].iloc[c])
    design = pd.DataFrame({"y": df["value"], "time": np.arange(len(df)), "after": (np.arange(len(df)) >= c) * 1.0})
    design["since"] = np.where(design["after"] == 1, design["time"] - c, 0.0)
    # Wagner et al. (2002) segmented regression, fitted independently with the formula interface
    ref = smf.ols("y ~ time + after + since", data=design).fit(
        cov_type="HAC", cov_kwds={"maxlags": r.maxlags, "use_correction": True}, use_t=True)
    got = r.coefficients.set_index("term")
    for mine, theirs in (("intercept", "Intercept"), ("baseline_slope", "time"), ("level_change", "after"),
                         ("slope_change", "since")):
        assert got.loc[mine, "estimate"] == pytest.approx(ref.params[theirs], rel=1e-10)
        assert (got.loc[mine, "lower"], got.loc[mine, "upper"]) == pytest.approx(tuple(ref.conf_int().loc[theirs]),
                                                                                  rel=1e-9)
        assert got.loc[mine, "p_value"] == pytest.approx(ref.pvalues[theirs], rel=1e-8, abs=1e-15)


def test_its_newey_west_errors_by_hand():
    # Newey & West (1987): S = G0 + sum_l (1 - l/(L+1)) (G_l + G_l'), G_l = sum_t e_t e_(t-l) x_t x_(t-l)';
    # cov = n/(n-k) (X'X)^-1 S (X'X)^-1 with t on n - k df, as Stata's newey reports it
    df, c = its_data(seed=8)
    r = interrupted_time_series(df, changes=df["date"].iloc[c], maxlags=4)
    n = len(df)
    t = np.arange(n, dtype=float)
    X = np.column_stack([np.ones(n), t, (t >= c) * 1.0, np.where(t >= c, t - c, 0.0)])
    y = df["value"].to_numpy()
    b = np.linalg.solve(X.T @ X, X.T @ y)
    u = X * (y - X @ b)[:, None]
    S = u.T @ u
    for lag in range(1, 5):
        g = u[lag:].T @ u[:-lag]
        S += (1 - lag / 5) * (g + g.T)
    bread = np.linalg.inv(X.T @ X)
    k = X.shape[1]
    se = np.sqrt(n / (n - k) * np.diag(bread @ S @ bread))
    got = r.coefficients.set_index("term")
    tq = stats.t.ppf(0.975, n - k)
    np.testing.assert_allclose(got["estimate"].to_numpy(), b, rtol=1e-10)
    np.testing.assert_allclose(got["upper"].to_numpy() - got["estimate"].to_numpy(), tq * se, rtol=1e-9)
    np.testing.assert_allclose(got["p_value"].to_numpy(), 2 * stats.t.sf(np.abs(b / se), n - k), rtol=1e-8)


def test_rii_interval_agrees_with_simulation_as_phe_computes_it():
    # PHE's SII tool (Public Health England, "Slope index of inequality" technical guide) simulates each
    # group's value from its sampling distribution and takes the 2.5% and 97.5% points of the simulated
    # SII and RII; the delta-method intervals must agree with such a simulation.
    sizes = np.array([895.0, 770, 660, 460, 330])
    rates = np.array([0.171, 0.216, 0.231, 0.253, 0.290])
    v = rates * (1 - rates) / sizes
    r = sii_from_groups([1, 2, 3, 4, 5], rates, sizes, v)
    rng = np.random.default_rng(2024)
    draws = rng.normal(rates, np.sqrt(v), size=(200_000, 5))
    share = sizes / sizes.sum()
    ridit = np.cumsum(share) - share / 2
    xbar = np.sum(share * ridit)
    c = sizes * (ridit - xbar) / np.sum(sizes * (ridit - xbar) ** 2)
    sii = draws @ c
    rii = sii / (draws @ share)
    t = r.table.set_index("term")
    assert (t.loc["sii", "lower"], t.loc["sii", "upper"]) == pytest.approx(tuple(np.quantile(sii, [0.025, 0.975])),
                                                                            abs=0.003)
    assert (t.loc["rii", "lower"], t.loc["rii", "upper"]) == pytest.approx(tuple(np.quantile(rii, [0.025, 0.975])),
                                                                            abs=0.003)


def cochrane_orcutt(y, X, tol=1e-12):
    """Iterated Cochrane-Orcutt written out: rho from the Yule-Walker equations on the residuals
    (autocovariances over n - k and n, demeaned, as statsmodels' yule_walker 'adjusted'), then OLS
    on the quasi-differenced data without the first point."""
    rho = 0.0
    for _ in range(500):
        ys, Xs = (y, X) if rho == 0.0 else (y[1:] - rho * y[:-1], X[1:] - rho * X[:-1])
        b = np.linalg.lstsq(Xs, ys, rcond=None)[0]
        e = y - X @ b
        e = e - e.mean()
        new = (np.sum(e[1:] * e[:-1]) / (len(e) - 1)) / (np.sum(e * e) / len(e))
        if abs(new - rho) < tol:
            break
        rho = new
    ys, Xs = y[1:] - rho * y[:-1], X[1:] - rho * X[:-1]
    b = np.linalg.lstsq(Xs, ys, rcond=None)[0]
    r = ys - Xs @ b
    s2 = r @ r / (len(ys) - X.shape[1])
    return b, np.sqrt(np.diag(s2 * np.linalg.inv(Xs.T @ Xs))), rho, len(ys) - X.shape[1]


def test_its_ar1_errors_match_cochrane_orcutt_by_hand():
    df, c = its_data(seed=21)
    r = interrupted_time_series(df, changes=df["date"].iloc[c], errors="ar1")
    n = len(df)
    t = np.arange(n, dtype=float)
    X = np.column_stack([np.ones(n), t, (t >= c) * 1.0, np.where(t >= c, t - c, 0.0)])
    b, se, rho, dof = cochrane_orcutt(df["value"].to_numpy(), X)
    got = r.coefficients.set_index("term")
    assert r.rho == pytest.approx(rho, abs=1e-6)
    np.testing.assert_allclose(got["estimate"].to_numpy(), b, rtol=1e-5)
    np.testing.assert_allclose(got["upper"].to_numpy() - got["estimate"].to_numpy(),
                               stats.t.ppf(0.975, dof) * se, rtol=1e-4)
    assert "AR(1)" in r.describe()


def test_its_ar1_intervals_cover_better_than_newey_west_in_short_series():
    # 48 months, AR(1) errors with rho 0.6: Newey-West intervals are known to be too narrow here
    hits = {"newey-west": 0, "ar1": 0}
    runs = 150
    for seed in range(runs):
        rng = np.random.default_rng(3000 + seed)
        n, c = 48, 24
        e = np.zeros(n)
        for i in range(n):
            e[i] = (0.6 * e[i - 1] if i else 0) + rng.normal()
        tt = np.arange(n)
        y = 20 + 0.1 * tt + 4 * (tt >= c) + e
        df = pd.DataFrame({"date": pd.date_range("2021-01-01", periods=n, freq="MS"), "value": y})
        for how in hits:
            row = interrupted_time_series(df, changes=df["date"].iloc[c], errors=how).term("level_change")
            hits[how] += row["lower"] <= 4 <= row["upper"]
    assert hits["ar1"] / runs >= 0.82
    assert hits["ar1"] > hits["newey-west"] + 0.05 * runs
