"""SPC (XmR) charts against NHSRplotthedots' published fixtures (tests/reference/benefits/spc_fixtures.yaml)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval.benefits import ShortSeriesWarning, UnevenSeriesWarning, spc, xmr_limits
from cscs_eval.benefits import _xmr as spc_mod  # the rule helpers, tested one by one
from cscs_eval.errors import InputError, UsageError
from cscs_eval.io import read_yaml

FIXTURES = read_yaml(Path(__file__).parents[1] / "reference" / "benefits" / "spc_fixtures.yaml")

pytestmark = pytest.mark.filterwarnings("ignore::cscs_eval.benefits.ShortSeriesWarning")


def monthly(values, start="2022-04-01"):
    return pd.DataFrame({"date": pd.date_range(start, periods=len(values), freq="MS"), "value": values})


@pytest.mark.parametrize("screen", [False, True])
def test_rnorm20_limits_and_all_common_cause(screen):
    f = FIXTURES["rnorm20"]
    r = spc(monthly(f["values"]), screen_outliers=screen)
    d = r.table
    assert d["mean"].iloc[0] == pytest.approx(f["mean"], abs=1e-7)
    assert d["lpl"].iloc[0] == pytest.approx(f["lpl"], abs=1e-5)
    assert d["upl"].iloc[0] == pytest.approx(f["upl"], abs=1e-6)
    assert set(d["point_type"]) == {f["point_type"]}


@pytest.mark.parametrize("screen,key", [(True, "screened"), (False, "unscreened")])
def test_rnorm20_with_outlier_screened_and_not(screen, key):
    f = FIXTURES["rnorm20_y15_10"]
    values = list(FIXTURES["rnorm20"]["values"])
    values[f["position"] - 1] = f["replacement"]
    d = spc(monthly(values), screen_outliers=screen).table
    exp = f[key]
    assert d["mean"].iloc[0] == pytest.approx(exp["mean"], abs=1e-7)
    assert d["lpl"].iloc[0] == pytest.approx(exp["lpl"], abs=1e-6)
    assert d["upl"].iloc[0] == pytest.approx(exp["upl"], abs=1e-6)
    # the 10 is far above either set of limits
    assert d["special_cause_type"].iloc[f["position"] - 1] == "Above UCL"


@pytest.mark.parametrize("screen,key", [(True, "screened"), (False, "unscreened")])
def test_deviations_vignette(screen, key):
    f = FIXTURES["deviations"]
    d = spc(f["values"], screen_outliers=screen).table
    for col in ("mean", "lpl", "upl"):
        assert round(d[col].iloc[0], 2) == pytest.approx(f[key][col])
    assert d["point_type"].iloc[f["special_position"] - 1] == "special_cause_improvement"


def test_screening_is_off_by_default_to_match_excel():
    f = FIXTURES["deviations"]
    assert round(spc(f["values"]).table["upl"].iloc[0], 2) == f["unscreened"]["upl"]


def test_alternating_with_large_last_two_is_common_cause():
    values = [1, -1] * 8
    values[-2:] = [5.5, -5.5]
    d = spc(values).table
    assert d["point_type"].tolist()[-2:] == [FIXTURES["alternating"]["last_two"]] * 2


def test_one_to_ten_limits_python_port():
    f = FIXTURES["one_to_ten"]
    lim = xmr_limits(f["values"])
    for key in ("mean", "lpl", "upl", "near_lpl", "near_upl"):
        assert lim[key] == pytest.approx(f[key], abs=5e-5)


@pytest.mark.parametrize("helper", ["seven_point_one_side_mean", "seven_point_trend", "two_in_three"])
def test_rule_helpers_match_package_unit_tests(helper):
    fn = getattr(spc_mod, helper)
    for case in FIXTURES["rule_helpers"][helper]:
        assert fn(case["input"]).tolist() == case["expected"], case


def test_part_of_two_in_three_matches_package_unit_tests():
    for case in FIXTURES["rule_helpers"]["part_of_two_in_three"]:
        v = case["input"]
        got = spc_mod.part_of_two_in_three(spc_mod.two_in_three(v), v)
        assert got.tolist() == case["expected"], case


def test_two_in_three_needs_all_three_on_one_side():
    # issue #143 of NHSRplotthedots: 2 of 3 near the limits, but the middle point on the other side
    assert spc_mod.two_in_three([1, 0, 1], [1, -1, 1]).tolist() == [0, 0, 0]
    assert spc_mod.two_in_three([1, 0, 1], [1, 1, 1]).tolist() == [1, 1, 1]


def test_decreasing_trend_is_flagged():
    # NHSRplotthedots issue #167: a decreasing trend of 7 was not flagged before 0.2
    y = [5, 9, 5, 9, 5, 9, 5, 8.5, 8, 7.5, 7, 6.5, 6, 5.5, 9, 5, 9, 5]
    d = spc(y, improvement="decrease").table
    assert d["special_cause_type"].iloc[7:14].tolist() == ["7 Point Trend (Decreasing)"] * 7
    assert set(d["point_type"].iloc[7:14]) == {"special_cause_improvement"}


def test_trend_is_coloured_by_its_direction_not_its_side_of_the_mean():
    # NHSRplotthedots PR #180: a falling trend above the mean is a concern when increase is better
    y = [5, 9] * 5 + [12, 11.5, 11, 10.5, 10, 9.5, 9.2] + [5, 9] * 4
    d = spc(y, improvement="increase").table
    trend = d[d["special_cause_type"].str.startswith("7 Point Trend")]
    assert len(trend) >= 7
    assert (trend["relative_to_mean"].iloc[:7] == 1).all()  # above the mean ...
    assert set(trend["point_type"]) == {"special_cause_concern"}  # ... yet falling: a concern


def test_precedence_outside_limits_over_trend():
    d = spc(list(range(1, 11))).table
    assert d["special_cause_type"].tolist() == (["Below LCL"] * 2 + ["7 Point Trend (Increasing)"] * 6
                                                + ["Above UCL"] * 2)
    assert d["point_type"].tolist() == ["special_cause_concern"] * 2 + ["special_cause_improvement"] * 8


def test_shift_of_seven_flags_all_points_in_run():
    y = [5, 6, 5, 6, 5, 6, 5, 6, 5, 6] + [6.5] * 7 + [4, 6, 4]
    d = spc(y).table
    # the 7 points above the mean form a shift (they are not a trend: ties)
    assert d["special_cause_type"].iloc[10:17].tolist()[-1] in ("7 Points Above CL", "2 in 3 Above CL")
    assert d["special_cause_flag"].iloc[10:17].all()


def test_neutral_direction_names():
    d = spc([1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1], improvement="neutral").table
    assert d["point_type"].iloc[4] == "special_cause_neutral_high"


def test_assurance_from_latest_limits():
    base = FIXTURES["rnorm20"]["values"]
    assert spc(base, target=10).assurance == "consistent_fail"
    assert spc(base, target=10, improvement="decrease").assurance == "consistent_pass"
    assert spc(base, target=-10).assurance == "consistent_pass"
    assert spc(base, target=0).assurance == "inconsistent"
    assert spc(base, target=0, improvement="neutral").assurance is None
    assert spc(base).assurance is None


def test_rebase_gives_separate_limits_and_summary_rows():
    y = [10 + (i % 3) for i in range(15)] + [20 + (i % 3) for i in range(15)]
    df = monthly(y)
    r = spc(df, rebase=[df["date"].iloc[15].strftime("%d/%m/%Y")], target=25)
    s = r.summary()
    assert s["rebase_group"].tolist() == [0, 1]
    assert s["mean"].tolist() == pytest.approx([11, 21])
    assert s["n"].tolist() == [15, 15]
    assert pd.isna(s["assurance_type"].iloc[0]) and s["assurance_type"].iloc[1] == r.assurance
    # moving ranges do not cross the rebase: the jump of 10 does not widen the limits
    # 14 moving ranges in each group of 15 (10, 11, 12, 10, ...): 1, 1, 2 repeated, summing to 18
    assert (s["upl"] - s["mean"]).tolist() == pytest.approx([2.66 * 18 / 14] * 2, rel=1e-12)


def test_rebase_date_not_in_series_is_an_error():
    with pytest.raises(UsageError, match="rebase date 2030-01-01 is not a date of the series"):
        spc(monthly(range(20)), rebase=["2030-01-01"])


def test_short_series_warns_under_13_and_errors_under_2():
    with pytest.warns(ShortSeriesWarning, match="12 points, fewer than 13"):
        spc(list(range(12)))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spc(FIXTURES["rnorm20"]["values"][:13])  # 13 points: no warning
    with pytest.raises(InputError, match="at least 2 points"):
        spc([1.0])


def test_short_rebase_group_of_one_point_is_an_error():
    df = monthly(range(20))
    with pytest.raises(InputError, match="has 1 point"):
        spc(df, rebase=[df["date"].iloc[19]])


def test_duplicated_dates_are_an_error_naming_rows():
    df = pd.DataFrame({"date": ["2024-01-01", "2024-02-01", "2024-02-01"], "value": ["1", "2", "3"]})
    with pytest.raises(InputError, match=r"date 2024-02-01 appears 2 times \(rows 3, 4\)"):
        spc(df)


def test_missing_and_non_numeric_values_are_errors_not_dropped():
    df = pd.DataFrame({"date": ["2024-01-01", "2024-02-01", "2024-03-01"], "value": ["1", "", "3"]})
    with pytest.raises(InputError, match="row 3.*value is missing"):
        spc(df)
    df = pd.DataFrame({"date": ["2024-01-01", "2024-02-01", "2024-03-01"], "value": ["1", "two", "3"]})
    with pytest.raises(InputError, match="'two' is not a number"):
        spc(df)
    df = pd.DataFrame({"date": ["2024-01-01", "31/02/2024", "2024-03-01"], "value": ["1", "2", "3"]})
    with pytest.raises(InputError, match="'31/02/2024' is not a date"):
        spc(df)


def test_uneven_dates_warn():
    df = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"] +
                                              [f"2024-{m:02d}-01" for m in range(5, 13)]),
                       "value": range(11)})
    with pytest.warns(UnevenSeriesWarning, match="1 month\\(s\\) missing after 2024-02-01"):
        spc(df)


def test_unsorted_input_is_sorted_by_date_and_uk_dates_read():
    df = pd.DataFrame({"date": ["01/03/2024", "01/01/2024", "01/02/2024"], "value": [3, 1, 2]})
    d = spc(df).table
    assert d["value"].tolist() == [1, 2, 3]
    assert d["date"].dt.month.tolist() == [1, 2, 3]


def test_bad_options():
    with pytest.raises(UsageError, match="improvement must be one of increase, neutral, decrease; got 'up'"):
        spc([1, 2, 3], improvement="up")
    with pytest.raises(UsageError, match="value column 'y' not found"):
        spc(pd.DataFrame({"date": [1], "value": [1]}), value="y")


def test_fix_after_n_points_uses_first_points_only():
    y = [1, 2] * 10 + [50] * 5
    d = spc(y, fix_after_n_points=20).table
    assert d["mean"].iloc[0] == pytest.approx(1.5)
    assert (d["special_cause_type"].iloc[20:] == "Above UCL").all()


def test_chart_table_and_text():
    r = spc(monthly(FIXTURES["rnorm20"]["values"]), target=0, label="demo")
    assert r.chart_table().columns.tolist() == ["date", "value", "mean", "lpl", "upl", "point_type"]
    text = r.text()
    assert text.startswith("demo: common cause variation") and "inconsistent" in text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32), min_size=2, max_size=40))
def test_properties_limits_and_direction_symmetry(values):
    up = spc(values).table
    down = spc(values, improvement="decrease").table
    assert (up["lpl"] <= up["mean"] + 1e-9).all() and (up["mean"] <= up["upl"] + 1e-9).all()
    np.testing.assert_allclose(up["upl"] - up["mean"], up["mean"] - up["lpl"], rtol=1e-9, atol=1e-6)
    swap = {"special_cause_improvement": "special_cause_concern", "special_cause_concern": "special_cause_improvement",
            "common_cause": "common_cause"}
    assert down["point_type"].tolist() == [swap[p] for p in up["point_type"]]


def test_text_numbers_read_as_typed():
    r = spc(monthly([30 + (i % 4) for i in range(24)]), target=40, label="Paired (%)")
    text = r.text()
    assert "target 40:" in text and "target 40.0" not in text
    assert "mean 31.5, process limits" in text


def test_england_spc_tool_demo_as_the_python_port_checks_it():
    f = FIXTURES["england_tool_demo"]
    d = spc(f["values"]).table
    assert round(d["mean"].iloc[-1], 2) == f["mean"]
    assert round(d["lpl"].iloc[-1]) == f["lpl"] and round(d["upl"].iloc[-1]) == f["upl"]
    expected = [i + 1 == f["outside_limits_position"] for i in range(len(f["values"]))]
    assert d["outside_limits"].tolist() == expected
    assert not d["close_to_limits"].any()
    assert [i + 1 for i, flag in enumerate(d["special_cause_flag"]) if flag] == f["special_cause_positions"]


def test_fix_after_n_points_as_the_python_port_checks_it():
    f = FIXTURES["fix_after_five"]
    assert spc(f["values"], fix_after_n_points=f["fix_after_n_points"]).table["mean"].iloc[-1] == f["mean"]


def test_summaries_as_nhsrplotthedots_prints_them():
    f = FIXTURES["rnorm20_facets"]
    values = FIXTURES["rnorm20"]["values"]
    sig3 = lambda x: float(f"{x:.3g}")  # noqa: E731 - the tibble prints 3 significant figures
    for facet in f["facets"]:
        s = spc(values[facet["from"] - 1:facet["to"]], screen_outliers=True).summary().iloc[0]
        assert (sig3(s["mean"]), sig3(s["lpl"]), sig3(s["upl"])) == (facet["mean"], facet["lpl"], facet["upl"])
        assert (s["n"], s["common_cause"], s["variation_type"]) == (facet["n"], facet["common_cause"], "common_cause")
    t = f["target_summary"]
    s = spc(values, screen_outliers=True, target=t["target"]).summary().iloc[0]
    assert (sig3(s["mean"]), sig3(s["lpl"]), sig3(s["upl"]), s["n"]) == (t["mean"], t["lpl"], t["upl"], t["n"])
    assert (s["common_cause"], s["special_cause_improvement"]) == (t["common_cause"], t["special_cause_improvement"])
    assert s["assurance_type"] == "inconsistent"  # target 0.5 lies between the limits


# --- points on the mean (issue 11) -----------------------------------------------------------
# NHSRplotthedots (commit 050b07d7) sets relative_to_mean = sign(y - mean_col) (R/ptd_spc_standard.R),
# so a point on the mean is 0, and ptd_seven_point_one_side_mean (R/ptd_calculate_point_type.R) needs all
# 7 signs equal and non-zero: a point on the mean breaks a run and is never part of one. R's mean() sums in
# long double with a correcting second pass (real_mean, src/main/summary.c), so it returns the float
# nearest the mean; numpy's pairwise sum was an ulp or two off, which put the point on one side.

def test_issue_series_point_on_mean_makes_no_shift():
    # sum 162.4 / 14 = 11.6 exactly; numpy gave 11.600000000000003, so 11.6 read as below and
    # points 1-8 made a false "7 Points Below CL". NHSRplotthedots flags no shift: only 14.9 is special,
    # above the UCL: moving ranges 0.7+0.6+1.7+0.9+0.6+0.8+1.9+3.7+0.8+0.1+0.3+0.2+1.6 = 13.9, mean
    # 13.9 / 13 = 1.069231, UCL 11.6 + 2.66 * 1.069231 = 14.444154 < 14.9.
    y = [10.0, 9.3, 9.9, 11.6, 10.7, 10.1, 10.9, 9.0, 12.7, 13.5, 13.4, 13.1, 13.3, 14.9]
    d = spc(y).table
    assert d["mean"].iloc[0] == 11.6
    assert d["upl"].iloc[0] == pytest.approx(11.6 + 2.66 * 13.9 / 13, abs=1e-12)
    assert d["relative_to_mean"].tolist() == [-1, -1, -1, 0, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1]
    assert d["special_cause_type"].tolist() == ["Common Cause"] * 13 + ["Above UCL"]


@pytest.mark.parametrize("y", [
    # 1.3*3 + 1.6*3 + 1.7*2 + 2.1*3 + 1.8*3 = 23.8, / 14 = 1.7 (numpy: 1.7000000000000004, so 1.7 read
    # as below and points 0-6 made a shift)
    [1.3, 1.6, 1.3, 1.7, 1.6, 1.3, 1.6, 2.1, 1.8, 2.1, 1.8, 2.1, 1.8, 1.7],
    # the same pattern one lower: 15.4 / 14 = 1.1 (numpy: 1.0999999999999999, so the last 1.1 read as
    # above and points 7-13 made a shift)
    [0.7, 1.0, 0.7, 1.1, 1.0, 0.7, 1.0, 1.5, 1.2, 1.5, 1.2, 1.5, 1.2, 1.1],
    # in whole numbers, where every float sum is exact: 140 / 14 = 10
    [6, 9, 6, 10, 9, 6, 9, 14, 11, 14, 11, 14, 11, 10],
])
def test_a_point_on_the_mean_breaks_a_run_of_seven(y):
    # 3 below, one on the mean, 3 below; then 6 above and one on the mean: no run of 7 on one side.
    # Mean moving range (hand): 3.8/13, 3.8/13 and 38/13; the near limits (mean +/- 1.7733 * mR) are
    # beyond every point, so no other rule fires.
    d = spc(y).table
    assert d["mean"].iloc[0] == y[3] == y[-1]
    assert d["relative_to_mean"].tolist() == [-1] * 3 + [0] + [-1] * 3 + [1] * 6 + [0]
    assert d["special_cause_type"].tolist() == ["Common Cause"] * 14


def test_a_point_on_the_mean_before_runs_is_not_part_of_them():
    # 1.2 + 0.8*4 + 1.1*3 + 1.6*4 + 1.3*3 = 18.0, / 15 = 1.2 (numpy: 1.2000000000000002, so the first 1.2
    # read as below and joined the 7 points below it). Points 1-7 are below, 8-14 above: two shifts of 7,
    # and the first point, on the mean, in neither. Mean mR 4.8/14 = 0.3429, near limits 1.2 +/- 0.608.
    y = [1.2, 0.8, 1.1, 0.8, 1.1, 0.8, 1.1, 0.8, 1.6, 1.3, 1.6, 1.3, 1.6, 1.3, 1.6]
    d = spc(y).table
    assert d["mean"].iloc[0] == 1.2
    assert d["special_cause_type"].tolist() == (["Common Cause"] + ["7 Points Below CL"] * 7
                                                + ["7 Points Above CL"] * 7)


def test_a_point_on_a_limit_is_inside_it():
    # Limits from the first 2 points: mean 5.05, mR 0.1, UCL 5.05 + 2.66 * 0.1 = 5.316 exactly, near UCL
    # 5.05 + 1.7733 * 0.1 = 5.2273. In floats 5.05 + 2.66 * 0.1 is 5.315999999999999, which put 5.316
    # outside; written as decimals it is on the limit, so close to it but not beyond (R's y > upl).
    d = spc([5.0, 5.1, 5.316], fix_after_n_points=2).table
    assert d["upl"].iloc[0] == 5.316
    assert d["outside_limits"].tolist() == [False, False, False]
    assert d["close_to_limits"].tolist() == [False, False, True]
