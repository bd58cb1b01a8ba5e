"""Summaries: Wilson intervals (vs statsmodels), effect sizes and paired tests (vs scipy, hand-worked)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cscs_eval.governance import SUPPRESSED, is_small
from cscs_eval.proms import classify, paired_statistics, publishable, summarise
from cscs_eval.stats import wilson_interval


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_statsmodels(kn):
    k, n = kn
    lo, hi = wilson_interval(k, n)
    ref = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert float(lo) == pytest.approx(ref[0], abs=1e-12)
    assert float(hi) == pytest.approx(ref[1], abs=1e-12)


@pytest.mark.parametrize("n", [1, 7, 23, 100, 333])
def test_wilson_bounds_exact_at_0_and_n(n):
    # Floating point gave 2.8e-17 for 0 of 23, a lower bound above the estimate 0 (and a crash
    # drawing the error bar); the interval must contain its estimate.
    lo, hi = wilson_interval(np.array([0, n]), np.array([n, n]))
    assert lo[0] == 0.0 and hi[1] == 1.0
    assert lo[1] <= 1.0 and hi[0] >= 0.0


def test_wilson_published_value():
    # Newcombe (1998) Stat Med 17:857, Table I example 81/263: Wilson 95% interval 0.2553 to 0.3662.
    lo, hi = wilson_interval(81, 263)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.2553, 0.3662)
    assert np.isnan(wilson_interval(0, 0)[0])


def test_paired_statistics_hand_worked():
    # baseline 10,12,14,16; follow-up 13,14,18,17; differences 3,2,4,1: mean 2.5, SD sqrt(5/3) = 1.2910;
    # baseline SD sqrt(20/3) = 2.5820. NHSE effect size 2.5/2.5820 = 0.9682; d_z 2.5/1.2910 = 1.9365;
    # t = d_z * sqrt(4) = 3.8730.
    r = paired_statistics([10, 12, 14, 16], [13, 14, 18, 17])
    assert r["effect_size"] == pytest.approx(2.5 / np.sqrt(20 / 3))
    assert r["d_z"] == pytest.approx(2.5 / np.sqrt(5 / 3))
    assert r["t_statistic"] == pytest.approx(3.872983346207417)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=3, max_size=40))
def test_paired_tests_match_scipy(pairs):
    b = np.array([p[0] for p in pairs], float)
    f = np.array([p[1] for p in pairs], float)
    r = paired_statistics(b, f)
    d = f - b
    if d.std(ddof=1) > 0:
        t = stats.ttest_rel(f, b)
        assert r["t_statistic"] == pytest.approx(t.statistic)
        assert r["t_p_value"] == pytest.approx(t.pvalue)
        assert r["d_z"] == pytest.approx(t.statistic / np.sqrt(len(d)))
    if np.any(d != 0):
        w = stats.wilcoxon(d)
        assert r["wilcoxon_statistic"] == pytest.approx(w.statistic)
        assert r["wilcoxon_p_value"] == pytest.approx(w.pvalue)


def outcome_rows():
    # Team North: 5 paired ReQoL-10 referrals, 1 unpaired. Team South: 2 paired.
    rows = []
    north = [(20, 26), (15, 15), (24, 30), (30, 22), (10, 16)]
    for i, (b, f) in enumerate(north):
        rows.append({"patient_id": f"N{i}", "referral_id": f"RN{i}", "team": "North", "baseline": b, "follow_up": f})
    rows.append({"patient_id": "N9", "referral_id": "RN9", "team": "North", "baseline": 12, "follow_up": np.nan})
    rows += [{"patient_id": f"S{i}", "referral_id": f"RS{i}", "team": "South", "baseline": b, "follow_up": f}
             for i, (b, f) in enumerate([(20, 20), (22, 28)])]
    df = pd.DataFrame(rows).assign(measure="reqol10", unit="total")
    df["paired"] = df["follow_up"].notna()
    return classify(df)


def test_summary_by_team_hand_worked():
    s = summarise(outcome_rows(), by="team").set_index("team")
    north = s.loc["North"]
    # Changes +6, 0, +6, -8, +6: 3 improved, 1 no change, 1 deteriorated of 5 paired; 6 referrals.
    assert north[["n_referrals", "n_paired", "n_improved", "n_no_change", "n_deteriorated"]].tolist() == [6, 5, 3, 1, 1]
    assert north["paired_rate"] == pytest.approx(5 / 6)
    lo, hi = proportion_confint(5, 6, method="wilson")
    assert (north["paired_rate_low"], north["paired_rate_high"]) == pytest.approx((lo, hi))
    lo, hi = proportion_confint(3, 5, method="wilson")
    assert (north["improved_rate_low"], north["improved_rate_high"]) == pytest.approx((lo, hi))
    # Clinical at baseline (< 25): 20, 15, 24, 10 -> 4; recovered (>= 25 and +5): 20->26, 24->30 -> 2.
    assert (north["n_clinical_baseline"], north["n_reliable_recovery"]) == (4, 2)
    assert north["reliable_recovery_rate"] == pytest.approx(0.5)
    base = np.array([20, 15, 24, 30, 10.0])
    change = np.array([6, 0, 6, -8, 6.0])
    assert north["mean_change"] == pytest.approx(2.0)
    assert north["effect_size"] == pytest.approx(2.0 / base.std(ddof=1))
    assert north["d_z"] == pytest.approx(2.0 / change.std(ddof=1))
    assert north["t_p_value"] == pytest.approx(stats.ttest_rel(base + change, base).pvalue)


def test_summary_overall_and_all_units_row():
    df = outcome_rows()
    s = summarise(df, by=None)
    assert s["n_paired"].tolist() == [7]
    g = df.assign(measure="gbo", unit=np.where(np.arange(len(df)) % 2, "goal 1", "goal 2"))
    g.loc[:, ["clinical_baseline", "reliable_recovery"]] = pd.NA
    s2 = summarise(g, by=None)
    assert s2["unit"].tolist() == ["all units", "goal 1", "goal 2"]


def test_summary_with_referral_denominators():
    df = outcome_rows()
    df["eligible"] = [True, True, True, True, False, True, True, True]
    ref = pd.DataFrame({"referral_id": [f"E{i}" for i in range(10)],
                        "team": ["North"] * 8 + ["South"] * 2, "eligible": [True] * 7 + [False] * 3})
    s = summarise(df, by="team", referrals=ref).set_index("team")
    # North: 7 eligible referrals; 4 eligible paired -> 4/7.
    assert s.loc["North", "n_eligible"] == 7 and s.loc["North", "n_paired"] == 4
    assert s.loc["North", "paired_rate"] == pytest.approx(4 / 7)


def test_publishable_suppresses_small_numbers():
    s = summarise(outcome_rows(), by="team")
    p = publishable(s).set_index("team")
    assert p.loc["South", "n_paired"] == SUPPRESSED
    assert p.loc["South", "paired_rate"] == SUPPRESSED
    assert p.loc["South", "mean_change"] == SUPPRESSED
    assert p.loc["North", "n_paired"] == 5 and p.loc["North", "n_improved"] == SUPPRESSED
    assert p.loc["North", "improved_rate"] == SUPPRESSED
    # 6 referrals would round to 5, but with 5 paired shown beside it and the three outcome counts of
    # 1 to 4 summing to paired, secondary suppression hides it too: the audit then finds nothing
    assert p.loc["North", "n_referrals"] == SUPPRESSED
    from cscs_eval.governance import audit
    from cscs_eval.proms._summary import publish_summary

    assert audit(publish_summary(s)).empty
    assert publishable(s, suppress=False).loc[1, "n_paired"] == 2


def test_bad_by_column():
    from cscs_eval.errors import UsageError

    with pytest.raises(UsageError, match="by must name columns.*ethnicity"):
        summarise(outcome_rows(), by="ethnicity")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-4, 4), min_size=1, max_size=16))
def test_fast_wilcoxon_equals_scipy_with_ties_and_zeros(diffs):
    from cscs_eval.proms._stats import wilcoxon

    d = np.array(diffs, float)
    if not np.any(d != 0):
        return
    w = stats.wilcoxon(d)
    got = wilcoxon(d)
    assert got[0] == pytest.approx(w.statistic)
    assert got[1] == pytest.approx(w.pvalue, rel=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.booleans(), st.integers(0, 40), st.integers(0, 40)),
                min_size=1, max_size=60))
# One team of three paired referrals, one improved, one unchanged, one worse: every cell that could cover the
# hidden total is hidden already; protection warns instead of raising "no cell is left to hide".
@example([("A", True, 0, 0), ("A", True, 0, 25), ("A", True, 5, 0)])
def test_publishable_never_reveals_small_counts(rows):
    from cscs_eval.proms._summary import COUNT_COLUMNS

    df = pd.DataFrame({"patient_id": [f"P{i}" for i in range(len(rows))],
                       "referral_id": [f"R{i}" for i in range(len(rows))], "team": [r[0] for r in rows],
                       "paired": [r[1] for r in rows], "baseline": [float(r[2]) for r in rows],
                       "follow_up": [float(r[3]) if r[1] else np.nan for r in rows],
                       "measure": "reqol10", "unit": "total"})
    p = publishable(summarise(classify(df), by="team"))
    for c in COUNT_COLUMNS:
        for v in p[c]:
            assert v is None or v == SUPPRESSED or v == 0 or (int(v) >= 5 and int(v) % 5 == 0)
    small = is_small(summarise(classify(df), by="team")["n_paired"])
    assert all(p.loc[small.to_numpy(), "paired_rate"] == SUPPRESSED)


def test_headline_withholds_small_percentages():
    from cscs_eval.proms._summary import headline

    s = summarise(outcome_rows(), by=None)
    text = headline(s, measure="reqol10", scope="the trust")
    # 8 referrals, 7 paired (shown as 10 and 5 after rounding); 4 improved of 7 (57.1%) is withheld.
    assert text.startswith("For ReQoL-10 in the trust, 5 of 10 referrals with a baseline score had a paired score")
    assert "fewer than 5 referrals improved reliably" in text
    assert "mean change was +2.29 points" in text
    raw = headline(s, measure="reqol10", scope="the trust", suppress=False)
    assert "7 of 8 referrals" in raw and "57.1% improved reliably" in raw


def test_effect_size_over_all_baselines():
    s = summarise(outcome_rows(), by="team", effect_size_sd="all").set_index("team")
    # North: mean change 2.0 over the SD of all six baselines (20, 15, 24, 30, 10, 12), paired or not.
    assert s.loc["North", "effect_size"] == pytest.approx(2.0 / np.std([20, 15, 24, 30, 10, 12], ddof=1))
    from cscs_eval.errors import UsageError

    with pytest.raises(UsageError, match="effect_size_sd must be 'paired' or 'all'"):
        summarise(outcome_rows(), effect_size_sd="some")


def test_headline_says_fewer_than_5_in_words():
    from cscs_eval.proms._summary import headline

    df = outcome_rows()
    s = summarise(df[df["team"] == "South"], by=None)
    text = headline(s, measure="reqol10", scope="South")
    # South: 2 referrals, both paired: both counts are suppressed, in words, and no rate is quoted.
    assert text == ("For ReQoL-10 in South there were fewer than 5 referrals with a baseline score: too few to "
                    "report a paired rate or change.")
    # North: 6 referrals (published as 5), 5 paired.
    north = headline(summarise(df[df["team"] == "North"], by=None), measure="reqol10", scope="North")
    assert north.startswith("For ReQoL-10 in North, 5 of 5 referrals")
    df.loc[df["referral_id"] == "RN0", ["follow_up", "paired"]] = [np.nan, False]
    four = headline(summarise(df[df["team"] == "North"], by=None), measure="reqol10", scope="North")
    assert four.startswith("For ReQoL-10 in North, fewer than 5 of 5 referrals with a baseline score had a paired")
    assert "*" not in four and "%" not in four


def test_report_table_leaves_out_a_single_unit():
    from cscs_eval.proms._summary import report_table

    t = report_table(summarise(outcome_rows(), by="team"))
    assert list(t.columns[:4]) == ["team", "referrals", "paired", "paired_pct"]
    assert t.loc[t["team"] == "South", "paired"].tolist() == [SUPPRESSED]


def test_paired_statistics_on_students_sleep_data():
    # Student (1908) "The probable error of a mean", Biometrika 6:1-25: extra hours of sleep of
    # 10 patients under two drugs (R's `sleep` data set). Published: means 0.75 and 2.33, SDs (n
    # denominator) 1.70 and 1.90 (Student 1908); R's example `t.test(extra ~ group, data = sleep,
    # paired = TRUE)` prints t = -4.0621, df = 9, p-value = 0.002833, mean difference -1.58.
    first = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    second = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    r = paired_statistics(first, second)
    assert (round(r["mean_baseline"], 2), round(r["mean_follow_up"], 2)) == (0.75, 2.33)
    assert round(r["sd_baseline"] * np.sqrt(9 / 10), 2) == 1.70  # Student's SD divides by n
    assert round(r["t_statistic"], 4) == 4.0621 and round(r["t_p_value"], 6) == 0.002833
    # d_z = t / sqrt(n) = 4.0621 / sqrt(10) = 1.2845 (the effectsize R package prints 1.28 for these
    # data as a paired Cohen's d); NHS England's effect size = 1.58 / 1.789010 (n - 1 SD of the
    # first column) = 0.8832.
    assert round(r["d_z"], 4) == round(4.062128 / np.sqrt(10), 4) == 1.2846
    assert round(r["effect_size"], 4) == 0.8832
    # Wilcoxon, hand-worked: 9 non-zero differences, all positive, so the smaller rank sum is 0;
    # of the 2^9 equally likely sign patterns only "all positive" reaches the largest sum, so the
    # exact two-sided p is 2 / 512 = 0.00390625 (ties do not change that extreme).
    assert r["wilcoxon_statistic"] == 0 and r["wilcoxon_p_value"] == pytest.approx(2 / 512)


def test_group_with_eligible_referrals_but_no_baseline_is_kept():
    # Two eligible referrals in team East have no PROMs at all: East must appear with 0 paired of
    # 2 (a paired rate of 0), not vanish from the table.
    df = outcome_rows()
    df["eligible"] = True
    ref = pd.DataFrame({"referral_id": list(df["referral_id"]) + ["RE1", "RE2"],
                        "team": list(df["team"]) + ["East", "East"], "eligible": True})
    s = summarise(df, by="team", referrals=ref).set_index("team")
    assert list(s.index) == ["East", "North", "South"]
    assert (s.loc["East", "n_eligible"], s.loc["East", "n_referrals"], s.loc["East", "n_paired"]) == (2, 0, 0)
    assert s.loc["East", "paired_rate"] == 0.0
    assert pd.isna(s.loc["East", "mean_change"])
    assert s.loc["North", "n_eligible"] == 6 and s.loc["North", "n_paired"] == 5


def test_groups_in_natural_order():
    df = outcome_rows().assign(imd_decile=["10", "2", "1", "2", "10", "1", None, "9"])
    s = summarise(df, by="imd_decile")
    assert s["imd_decile"].tolist() == ["1", "2", "9", "10", "not known"]


def test_headline_names_the_unit_of_a_per_goal_measure():
    from cscs_eval.proms._summary import headline

    g = outcome_rows().assign(measure="gbo", unit="goal 1")
    g.loc[:, ["clinical_baseline", "reliable_recovery"]] = pd.NA
    g = pd.concat([g, g.assign(unit="goal 2")], ignore_index=True)
    text = headline(summarise(g, by=None), measure="gbo", suppress=False)
    assert "(GBO is classified per goal; shown for goal 1)" in text


def test_report_table_of_all_units_shows_pairing_only():
    from cscs_eval.proms._summary import report_table

    g = outcome_rows().assign(measure="gbo", unit=np.where(np.arange(8) % 2, "goal 1", "goal 2"))
    g.loc[:, ["clinical_baseline", "reliable_recovery"]] = pd.NA
    s = summarise(g, by="team")
    t = report_table(s[s["unit"] == "all units"], suppress=False)
    assert list(t.columns) == ["team", "referrals", "paired", "paired_pct"]


def test_publishable_hides_that_exactly_one_referral_is_paired():
    # With one paired referral the SDs, effect sizes and tests cannot be computed; showing them as
    # missing (while other small groups show *) would reveal the count of 1.
    df = outcome_rows()
    df.loc[df["referral_id"] == "RS1", ["follow_up", "paired"]] = [np.nan, False]
    s = summarise(df, by="team")
    south = publishable(s).set_index("team").loc["South"]
    assert pd.isna(s.set_index("team").loc["South", "effect_size"])
    assert south["effect_size"] == SUPPRESSED and south["d_z"] == SUPPRESSED and south["mean_change"] == SUPPRESSED


def test_wilcoxon_exact_as_r_help_example():
    # R's ?wilcox.test example (Hollander & Wolfe 1973, p. 29, depression scores):
    # wilcox.test(x, y, paired = TRUE, alternative = "greater") prints V = 40, p-value = 0.01953.
    # 9 differences, no ties or zeros: exact. Our statistic is the smaller rank sum, 45 - 40 = 5,
    # and the two-sided p twice the one-sided: 2 * 10 / 512 (10 subsets of 1..9 sum to 5 or less).
    from cscs_eval.proms._stats import wilcoxon

    x = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
    y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])
    assert wilcoxon(x - y) == (5.0, 20 / 512)
    assert round(20 / 512 / 2, 5) == 0.01953


def test_wilcoxon_normal_branch_has_no_continuity_correction():
    # 14 differences with 7 pairs of tied |d|, so the normal approximation (n > 13). Worked as R's
    # wilcox.test computes it (src/library/stats/R/wilcox.test.R): midranks 1.5, 3.5, ..., 13.5; the
    # negative ranks 11.5 + 13.5 = 25; mean n(n+1)/4 = 52.5; variance n(n+1)(2n+1)/24 - sum(t^3 - t)/48
    # = 253.75 - 7 * 6 / 48 = 252.875. wilcox.test(..., exact = FALSE, correct = FALSE): z = -27.5 /
    # sqrt(252.875) = -1.72934, p = 0.08375; the default correct = TRUE: z = -27.0 / 15.902, p = 0.08953.
    from scipy.stats import norm

    from cscs_eval.proms._stats import wilcoxon

    w, p = wilcoxon([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, -6, 7, -7])
    assert w == 25
    assert p == pytest.approx(2 * norm.cdf(-27.5 / np.sqrt(252.875)), rel=1e-12)
    assert round(p, 5) == 0.08375 and round(2 * norm.cdf(-27.0 / np.sqrt(252.875)), 5) == 0.08953
