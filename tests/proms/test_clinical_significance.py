"""Reliable and clinically significant change: published results, hand-worked examples, properties.

Published values come from tests/reference/clinicalsignificance/ (its README gives the provenance);
each expected value below names its source beside it.
"""

from __future__ import annotations

import doctest
import importlib
import math
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cscs_eval.errors import CscsEvalWarning, InputError, UsageError  # noqa: E402
cs_module = importlib.import_module("cscs_eval.proms._reliable_change")
from cscs_eval.proms import (  # noqa: E402
    ClinicalSignificanceOptionError,
    IncompleteCasesWarning,
    clinical_significance,
    plot_jacobson_truax,
)
from cscs_eval.proms._reliable_change import CATEGORIES, DISTRIBUTION_CATEGORIES  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "reference" / "clinicalsignificance"


def _read(name):
    return pd.read_csv(REF / name)


@pytest.fixture(scope="module")
def claus():
    return _read("claus_2020.csv")


@pytest.fixture(scope="module")
def jacobson():
    return _read("jacobson_1989.csv")


def _run(data, **kw):
    """Run quietly: the incomplete-case warning has its own test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IncompleteCasesWarning)
        return clinical_significance(data, **kw)


def _counts(result):
    return dict(zip(*result.summary(suppress=False)[["category", "n"]].to_numpy().T))


def _hamd(claus, **kw):
    base = dict(id="id", time="time", outcome="hamd", pre=1, post=4, reliability=0.80, direction="lower")
    base.update(kw)
    return _run(claus, **base)


# ---------------------------------------------------------------------------------------------
# published results (tests/reference/clinicalsignificance/published_results.csv, source per row)
# ---------------------------------------------------------------------------------------------

PUBLISHED = _read("published_results.csv")
# HLM is tested once below with a module fixture (its model fits are the slow part).
_NOT_HLM = PUBLISHED[PUBLISHED["method"] != "hlm"]


def _opt(value):
    return None if pd.isna(value) else value


def _published_call(row):
    data = _read(f"{row['dataset']}.csv")
    pre, post = row["pre"], row["post"]
    if row["dataset"] == "claus_2020":
        pre, post = int(pre), int(post)
    return _run(
        data,
        id=row["id"],
        time="measurement" if row["dataset"] == "antidepressants" else "time",
        outcome=row["outcome"],
        pre=pre,
        post=post,
        reliability=_opt(row["reliability"]),
        direction=row["direction"],
        method=row["method"],
        reliability_post=_opt(row["reliability_post"]),
        cutoff=_opt(row["cutoff"]),
        m_functional=_opt(row["m_functional"]),
        sd_functional=_opt(row["sd_functional"]),
    )


def _expected(row):
    cats = DISTRIBUTION_CATEGORIES if pd.isna(row["cutoff"]) else CATEGORIES
    return {c: int(row[c]) for c in cats}


@pytest.mark.parametrize(
    "row", [r for _, r in _NOT_HLM.iterrows()], ids=[f"{r.dataset}-{r.outcome}-{r.method}-{r.cutoff}" for r in _NOT_HLM.itertuples()]
)
def test_published_counts(row):
    # Expected counts and their source: published_results.csv, columns recovered..harmed and `source`.
    result = _published_call(row)
    assert _counts(result) == _expected(row), row["source"]
    if not pd.isna(row["cutoff_value"]):
        # Rounded as published (19.887, 20.209, 19.72, 21.0166): compare to the printed precision.
        digits = len(str(row["cutoff_value"]).split(".")[1])
        assert round(result.details["cutoff"], digits) == pytest.approx(row["cutoff_value"]), row["source"]


@pytest.fixture(scope="module")
def hlm_results(claus):
    # Two REML fits on 40 people (about half a second each); shared by the HLM tests.
    kw = dict(method="hlm", reliability=None)
    return _hamd(claus, **kw), _hamd(claus, cutoff="c", m_functional=8, sd_functional=8, **kw)


def test_published_hlm(hlm_results):
    distribution, combined = hlm_results
    # cs_distribution.md (HLM, all four time points): improved 11, unchanged 20, deteriorated 9
    assert _counts(distribution) == {"improved": 11, "unchanged": 20, "deteriorated": 9}
    # cs_combined.md (HLM, cut-off c, functional mean 8, SD 8): 10 / 1 / 20 / 9 / 0
    assert _counts(combined) == {"recovered": 10, "improved": 1, "unchanged": 20, "deteriorated": 9, "harmed": 0}
    # Only people with at least 3 scores enter the model: 40 of 43 in claus_2020 (reference-data README: n = 40).
    assert distribution.details["n_used"] == 40 and distribution.details["n_dropped"] == 3
    assert (distribution.table["n_points"] >= 3).all()
    # The statistic is the empirical-Bayes slope deviation over its conditional SD.
    np.testing.assert_allclose(distribution.table["rci"], distribution.table["eb_slope"] / distribution.table["eb_sd"])
    # Average slope: HAMD falls over the four visits (lower is better), so the fixed slope is negative.
    assert distribution.details["fixed_slope"] < 0


def test_published_descriptives_and_cutoff_c(claus):
    result = _hamd(claus, cutoff="c", m_functional=8, sd_functional=8)
    # reference-data README: pre-treatment mean 24.85, SD 3.3401 (n - 1), n = 40 complete cases of 43
    assert result.details["m_pre"] == pytest.approx(24.85, abs=5e-3)
    assert result.details["sd_pre"] == pytest.approx(3.3401, abs=5e-5)
    assert result.details["n_used"] == 40 and result.details["n_original"] == 43
    # cs_combined.md (JT): cut-off c = 19.887
    assert result.details["cutoff"] == pytest.approx(19.887, abs=5e-4)
    assert result.details["cutoff_type"] == "c"


def test_published_hageman_arrindell_values(claus):
    result = _hamd(claus, method="ha", cutoff="c", m_functional=8, sd_functional=8)
    # reference-data README: r_functional = 0.9651, "true" cut-off 20.209
    assert result.details["reliability_functional"] == pytest.approx(0.9651, abs=5e-5)
    assert result.details["cutoff"] == pytest.approx(20.209, abs=5e-4)
    assert result.details["cutoff_type"] == "c_true"
    # proms-anchors.md 5.3 (package HA output): r_dd = 0.9283; group level changed 90.31 %, functional 75.55 %
    assert result.details["r_dd"] == pytest.approx(0.9283, abs=5e-5)
    assert result.details["ha_group_percent_changed"] == pytest.approx(90.31, abs=5e-3)
    assert result.details["ha_group_percent_functional"] == pytest.approx(75.55, abs=5e-3)
    # One-sided critical value qnorm(0.95) (cs_combined.R: qnorm(1 - significance_level) for HA)
    assert result.details["critical_value"] == pytest.approx(1.644854, abs=1e-6)


def test_published_antidepressant_descriptives():
    result = _run(
        _read("antidepressants.csv"), id="patient", time="measurement", outcome="mom_di", pre="Before",
        post="After", reliability=0.8, direction="lower", cutoff="c", m_functional=7, sd_functional=7,
    )
    # clinicalsignificance docs/articles: M_clinical 34.73, SD_clinical 8.26, cut-off 19.72, n = 555
    assert round(result.details["m_clinical"], 2) == 34.73
    assert round(result.details["sd_clinical"], 2) == 8.26
    assert result.details["n_used"] == 555


def test_published_grouped_counts(claus):
    # clinicalsignificance vignette docs/articles/distribution-based-approach.html (grouped JT, hamd):
    # TAU 9 / 9 / 1, PA 20 / 1 / 0; thresholds from the whole sample, as the package computes them.
    result = _hamd(claus, by="treatment")
    summary = result.summary(by="treatment", suppress=False)
    got = {(g, c): n for g, c, n in summary[["treatment", "category", "n"]].itertuples(index=False)}
    assert got == {
        ("PA", "improved"): 20, ("PA", "unchanged"): 1, ("PA", "deteriorated"): 0,
        ("TAU", "improved"): 9, ("TAU", "unchanged"): 9, ("TAU", "deteriorated"): 1,
    }
    assert summary.loc[summary["treatment"] == "TAU", "percent"].sum() == pytest.approx(100)
    # Same categories with or without the group column.
    assert result.table["category"].tolist() == _hamd(claus).table["category"].tolist()


def test_group_must_be_one_per_person(claus):
    mixed = claus.copy()
    mixed.loc[3, "treatment"] = "PA"  # person 1 is TAU on rows 0-2
    with pytest.raises(InputError, match=r"id 1.0 is in more than one treatment: 'TAU', 'PA'") as err:
        _hamd(mixed, by="treatment")
    assert (err.value.row, err.value.column) == (5, "treatment")


def test_summary_by_unknown_column(claus):
    with pytest.raises(ClinicalSignificanceOptionError, match="by must be a column of the result, got 'team'"):
        _hamd(claus).summary(by="team", suppress=False)


def test_hlm_pre_post_bound_the_time_points(claus):
    # pre=2, post=4 uses visits 2-4 only: at most 3 scores each, first score the visit-2 value.
    result = _hamd(claus, method="hlm", reliability=None, pre=2, post=4)
    assert result.table["n_points"].max() == 3
    visit2 = claus[claus["time"] == 2].set_index("id")["hamd"]
    np.testing.assert_allclose(result.table["pre"], visit2.reindex(result.table["id"]).to_numpy())
    assert set(result.table["category"].astype(str)) <= set(DISTRIBUTION_CATEGORIES)


# ---------------------------------------------------------------------------------------------
# hand-worked examples: Jacobson & Truax (1991) Table 2 data (jacobson_1989.csv)
# ---------------------------------------------------------------------------------------------


def _das(jacobson, **kw):
    # Reliability 0.96 is chosen for this example (not a published DAS value).
    base = dict(id="subject", time="time", outcome="das", pre="pre", post="post", reliability=0.96,
                direction="higher")
    base.update(kw)
    return _run(jacobson, **base)


def _by_subject(result):
    return dict(zip(result.table["subject"].astype(int), result.table["category"].astype(str)))


def test_hand_worked_das_cutoff_a(jacobson):
    # By hand: the 30 DAS pre scores sum to 2447.5, mean 2447.5 / 30 = 81.5833; sample SD 11.8257.
    # SE = 11.8257 * sqrt(1 - 0.96) = 11.8257 * 0.2 = 2.36513; S_diff = sqrt(2) * 2.36513 = 3.34480;
    # reliable change = 1.959964 * 3.34480 = 6.5557 points. Cut-off a = 81.5833 + 2 * 11.8257 = 105.2347.
    result = _das(jacobson, cutoff="a")
    a = result.details
    assert a["m_pre"] == pytest.approx(2447.5 / 30)
    assert a["sd_pre"] == pytest.approx(11.8257, abs=5e-5)
    assert a["se_measurement"] == pytest.approx(2.36513, abs=5e-6)
    assert a["s_diff"] == pytest.approx(3.34480, abs=5e-6)
    assert a["reliable_change"] == pytest.approx(6.5557, abs=5e-5)
    assert a["cutoff"] == pytest.approx(105.2347, abs=5e-5)
    got = _by_subject(result)
    # couple 2: 74 -> 124, +50 > 6.56 improved; 74 < 105.23 clinical, 124 > 105.23 functional: recovered
    assert got[2] == "recovered"
    # couple 8: 86.5 -> 103.5, +17 improved, but 103.5 < 105.23 still clinical: improved
    assert got[8] == "improved"
    # couple 11: 98 -> 105, +7 > 6.5557 improved; 105 < 105.2347 not functional: improved (both edges near)
    assert got[11] == "improved"
    # couple 3: 97 -> 97.5, +0.5: unchanged; couple 6: 66.5 -> 62.5, -4 (|4| < 6.56): unchanged
    assert got[3] == "unchanged" and got[6] == "unchanged"
    # couple 28: 61 -> 52, -9 deteriorated; clinical at pre, so deteriorated (not harmed)
    assert got[28] == "deteriorated"
    # couple 29: 80 -> 60.5, -19.5 deteriorated; clinical at pre (80 < 105.23): deteriorated
    assert got[29] == "deteriorated"
    # JT: improved exactly when change > reliable change (higher is better)
    np.testing.assert_array_equal(
        result.table["category"].isin(["improved", "recovered"]).to_numpy(), (result.table["change"] > a["reliable_change"]).to_numpy()
    )


def test_hand_worked_das_cutoff_b_paper_and_package(jacobson):
    # Functional mean 114.8 and SD 17.8 are chosen for this example (of the order of married-couple DAS norms).
    # Jacobson & Truax (1991): b = M_functional - 2 * SD_functional = 114.8 - 35.6 = 79.2
    paper = _das(jacobson, cutoff="b", m_functional=114.8, sd_functional=17.8)
    assert paper.details["cutoff"] == pytest.approx(79.2)
    assert paper.details["cutoff_b_sd"] == "functional"
    got = _by_subject(paper)
    # couple 5: 61 -> 96.5, +35.5 improved; 61 < 79.2 clinical, 96.5 > 79.2 functional: recovered
    assert got[5] == "recovered"
    # couple 8: 86.5 -> 103.5 improved, but 86.5 > 79.2 was not clinical at pre: improved
    assert got[8] == "improved"
    # couple 29: 80 -> 60.5, -19.5 deteriorated; not clinical at pre (80 > 79.2) and not functional at post: harmed
    assert got[29] == "harmed"
    # couple 28: 61 -> 52 deteriorated, clinical at pre: deteriorated
    assert got[28] == "deteriorated"

    # clinicalsignificance (R/calc_cutoff.R): b = 114.8 - 2 * SD_clinical = 114.8 - 2 * 11.8257 = 91.1487
    package = _das(jacobson, cutoff="b", m_functional=114.8, sd_functional=17.8, cutoff_b_sd="clinical")
    assert package.details["cutoff"] == pytest.approx(91.1487, abs=5e-5)
    got = _by_subject(package)
    assert got[29] == "deteriorated"  # 80 < 91.15: clinical at pre, so not harmed
    assert got[8] == "recovered"  # 86.5 < 91.15 clinical, 103.5 > 91.15 functional


def test_hand_worked_gds_lower_is_better(jacobson):
    # GDS: lower is better; 4 couples have no post score. Reliability 0.90 is chosen for this example.
    with pytest.warns(IncompleteCasesWarning, match="4 of 30"):
        result = clinical_significance(
            jacobson, id="subject", time="time", outcome="gds", pre="pre", post="post", reliability=0.90,
            direction="lower", cutoff="a",
        )
    a = result.details
    # By hand: 26 pre scores sum to 1798, mean 69.1538; SD 6.10208; SE = 6.10208 * sqrt(0.1) = 1.92965;
    # S_diff = 2.72893; reliable change = 1.959964 * 2.72893 = 5.3486; cut-off a = 69.1538 - 2 * 6.10208 = 56.9497.
    assert (a["n_used"], a["n_dropped"], sorted(a["dropped_ids"])) == (26, 4, [27.0, 28.0, 29.0, 30.0])
    assert a["m_pre"] == pytest.approx(1798 / 26)
    assert a["sd_pre"] == pytest.approx(6.10208, abs=5e-6)
    assert a["reliable_change"] == pytest.approx(5.3486, abs=5e-5)
    assert a["cutoff"] == pytest.approx(56.9497, abs=5e-5)
    got = _by_subject(result)
    assert got[22] == "recovered"  # 67.5 -> 44: -23.5 improved; 67.5 > 56.95 clinical; 44 < 56.95 functional
    assert got[5] == "improved"  # 78.5 -> 60.5: -18 improved; 60.5 > 56.95 not functional
    assert got[15] == "recovered"  # 57 -> 50: -7 improved; 57 > 56.9497 clinical (just); 50 functional
    assert got[16] == "unchanged"  # 75 -> 78: +3 < 5.35
    assert got[1] == "improved"  # 68 -> 62.5: -5.5, just past 5.3486
    # b (lower is better) = M_functional + 2 * SD_functional = 50 + 2 * 5 = 60 (values chosen for the example)
    b = _run(jacobson, id="subject", time="time", outcome="gds", pre="pre", post="post", reliability=0.90,
             direction="lower", cutoff="b", m_functional=50, sd_functional=5)
    assert b.details["cutoff"] == pytest.approx(60)
    got = _by_subject(b)
    assert got[5] == "improved"  # post 60.5 > 60: not functional
    assert got[12] == "recovered"  # 73.5 -> 55.5: -18 improved; clinical at pre; 55.5 < 60 functional


def test_hand_worked_distribution_methods_tiny():
    # Four people, reliability 0.5, higher is better; pre 10, 12, 14, 16 (mean 13, SD sqrt(20/3) = 2.58199).
    df = pd.DataFrame({"p": [1, 2, 3, 4] * 2, "t": [0] * 4 + [1] * 4, "y": [10, 12, 14, 16, 20, 12, 10, 16]})
    sd = math.sqrt(20 / 3)
    kw = dict(id="p", time="t", outcome="y", pre=0, post=1, reliability=0.5, direction="higher")
    # JT: SE = sd * sqrt(0.5); S_diff = sd; person 1: (20 - 10) / 2.58199 = 3.87298
    jt = clinical_significance(df, method="jt", **kw)
    assert jt.table["rci"].iloc[0] == pytest.approx(10 / sd)
    # GLN: ((20 - 13) - 0.5 * (10 - 13)) / (sd * sqrt(0.75)) = 8.5 / 2.23607 = 3.80132
    gln = clinical_significance(df, method="gln", **kw)
    assert gln.table["rci"].iloc[0] == pytest.approx(8.5 / (sd * math.sqrt(0.75)))
    # HLL: post mean 14.5; ((20 - 14.5) - 0.5 * (10 - 13)) / 2.23607 = 7 / 2.23607
    hll = clinical_significance(df, method="hll", **kw)
    assert hll.table["rci"].iloc[0] == pytest.approx(7 / (sd * math.sqrt(0.75)))
    # EN: pre_true = 0.5 * (10 - 13) + 13 = 11.5; (20 - 11.5) / (sd * sqrt(0.5)) = 8.5 / 1.82574
    en = clinical_significance(df, method="en", **kw)
    assert en.table["pre_true"].iloc[0] == pytest.approx(11.5)
    assert en.table["rci"].iloc[0] == pytest.approx(8.5 / (sd * math.sqrt(0.5)))
    # NK with post reliability 0.75: denominator sqrt(0.25 * sd^2 * 0.5 + sd^2 * 0.25) = sd * sqrt(0.375)
    nk = clinical_significance(df, method="nk", reliability_post=0.75, **kw)
    assert nk.table["rci"].iloc[0] == pytest.approx(8.5 / (sd * math.sqrt(0.375)))


# ---------------------------------------------------------------------------------------------
# options, errors and warnings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("method", "rci", "method must be one of 'jt', 'gln', 'en', 'hll', 'nk', 'ha', 'hlm', got 'rci'"),
        ("direction", "up", "direction must be one of 'higher', 'lower', got 'up'"),
        ("cutoff", "d", "cutoff must be one of 'a', 'b', 'c', got 'd'"),
        ("cutoff_b_sd", "pooled", "cutoff_b_sd must be one of 'functional', 'clinical', got 'pooled'"),
        ("reliability", 1.2, "reliability must be > 0 and < 1, got 1.2"),
        ("reliability", "high", "reliability must be a number, got 'high'"),
        ("critical_value", -1, "critical_value must be > 0, got -1.0"),
    ],
)
def test_unknown_option_names_allowed_values(claus, option, value, message):
    kw = {option: value}
    with pytest.raises(ClinicalSignificanceOptionError) as err:
        _hamd(claus, **kw)
    assert str(err.value) == message
    # Both a usage error (CLI exit 2) and a ValueError for Python callers.
    assert isinstance(err.value, UsageError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("kw", "missing"),
    [
        ({"cutoff": "c"}, "m_functional and sd_functional"),
        ({"cutoff": "c", "m_functional": 8}, "sd_functional"),
        ({"cutoff": "b", "sd_functional": 8}, "m_functional"),
        ({"cutoff": "b", "m_functional": 8}, "sd_functional"),
    ],
)
def test_cutoff_b_and_c_need_functional_values(claus, kw, missing):
    with pytest.raises(ClinicalSignificanceOptionError, match=f"needs the functional population's mean and SD: give {missing}$"):
        _hamd(claus, **kw)


def test_cutoff_b_with_package_rule_needs_only_functional_mean(claus):
    # With the clinical SD (package rule) only the functional mean is needed: 8 + 2 * 3.3401 = 14.680 (lower is better)
    result = _hamd(claus, cutoff="b", m_functional=8, cutoff_b_sd="clinical")
    assert result.details["cutoff"] == pytest.approx(8 + 2 * 3.3401212936673805)


def test_cutoff_a_needs_no_functional_values(claus):
    result = _hamd(claus, cutoff="a")
    # a (lower is better) = 24.85 - 2 * 3.3401 = 18.1698
    assert result.details["cutoff"] == pytest.approx(24.85 - 2 * 3.3401212936673805)


def test_reliability_post_only_for_nk(claus):
    with pytest.raises(ClinicalSignificanceOptionError, match="reliability_post is used only by method 'nk'"):
        _hamd(claus, reliability_post=0.5)


def test_reliability_required_except_hlm(claus):
    with pytest.raises(ClinicalSignificanceOptionError, match="reliability is needed for method 'jt'"):
        _hamd(claus, reliability=None)


@pytest.mark.parametrize(("which", "value"), [("pre", 0), ("post", 5)])
def test_pre_post_not_in_time_column(claus, which, value):
    with pytest.raises(InputError, match=rf"{which}={value} not found in time column 'time'; it holds") as err:
        _hamd(claus, **{which: value})
    assert err.value.column == "time"


def test_pre_equal_to_post(claus):
    with pytest.raises(ClinicalSignificanceOptionError, match="pre and post must differ"):
        _hamd(claus, post=1)


def test_missing_column(claus):
    with pytest.raises(InputError, match="outcome column 'phq9' not found"):
        _hamd(claus, outcome="phq9")


def test_non_numeric_outcome_names_row_and_value(jacobson):
    bad = jacobson.astype({"das": "object"})
    bad.loc[5, "das"] = "ninety"
    with pytest.raises(InputError) as err:
        _das(bad)
    # DataFrame position 5 is line 7 of the CSV (header is line 1)
    assert err.value.row == 7 and err.value.column == "das"
    assert "1 value(s) are not: row 7 ('ninety')" in str(err.value)


def test_duplicate_person_and_time(jacobson):
    doubled = pd.concat([jacobson, jacobson.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=r"1 duplicate row\(s\): subject 1.0 has more than one row at time 'pre'") as err:
        _das(doubled)
    assert (err.value.row, err.value.column) == (62, "time")  # the appended copy: position 60, CSV line 62


def test_too_few_complete_cases():
    df = pd.DataFrame({"p": [1, 1, 2], "t": [1, 2, 1], "y": [3.0, 4.0, 5.0]})
    with pytest.raises(InputError, match="needs at least 2 people with both scores; 1 of 2"):
        _run(df, id="p", time="t", outcome="y", pre=1, post=2, reliability=0.8, direction="higher")


def test_incomplete_cases_warned_and_counted(claus):
    with pytest.warns(IncompleteCasesWarning, match=r"3 of 43 people left out as incomplete .*: 4.0, 17.0, 27.0") as rec:
        result = clinical_significance(
            claus, id="id", time="time", outcome="hamd", pre=1, post=4, reliability=0.8, direction="lower"
        )
    assert issubclass(rec[0].category, CscsEvalWarning)
    assert (result.details["n_original"], result.details["n_used"], result.details["n_dropped"]) == (43, 40, 3)
    assert sorted(result.details["dropped_ids"]) == [4.0, 17.0, 27.0]
    assert not result.table["id"].isin([4.0, 17.0, 27.0]).any()


def test_complete_data_gives_no_warning(jacobson):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _das(jacobson)


def test_text_columns_as_read_from_a_file(claus):
    # cscs_eval.io.read_table reads every column as text: "1.0" must match pre=1, " 25.0 " must be a score,
    # and an empty cell is a missing score.
    text = claus.astype(str).replace({"nan": ""})
    text["hamd"] = " " + text["hamd"] + " "
    as_text = _hamd(text, cutoff="c", m_functional=8, sd_functional=8)
    as_numbers = _hamd(claus, cutoff="c", m_functional=8, sd_functional=8)
    assert as_text.table["category"].astype(str).tolist() == as_numbers.table["category"].astype(str).tolist()
    assert as_text.details["cutoff"] == pytest.approx(as_numbers.details["cutoff"])


def test_hlm_needs_numeric_time(jacobson):
    with pytest.raises(InputError, match="method 'hlm' needs a numeric time column"):
        _run(jacobson, id="subject", time="time", outcome="das", pre="pre", post="post", reliability=None,
             direction="higher", method="hlm")


def test_result_columns_and_details(claus):
    result = _hamd(claus, cutoff="c", m_functional=8, sd_functional=8)
    assert list(result.table.columns) == [
        "id", "pre", "post", "change", "rci", "critical_value", "cutoff", "clinical_pre", "functional_post", "category",
    ]
    assert list(result.table["category"].cat.categories) == list(CATEGORIES)
    assert result.table["category"].cat.ordered
    np.testing.assert_allclose(result.table["change"], result.table["post"] - result.table["pre"])
    # Thresholds in .details: JT 1.959964 two-sided, reliable change in points, the cut-off and its inputs.
    a = result.details
    assert a["critical_value"] == pytest.approx(1.959964, abs=1e-6)
    assert a["reliable_change"] == pytest.approx(1.959964 * math.sqrt(2) * 3.3401212936673805 * math.sqrt(0.2))
    assert (a["m_functional"], a["sd_functional"], a["method_name"]) == (8.0, 8.0, "Jacobson-Truax")


def test_critical_value_option(claus):
    # A stricter critical value can only move people into "unchanged".
    default = _hamd(claus)
    strict = _hamd(claus, critical_value=3.0)
    assert strict.details["critical_value"] == 3.0
    assert _counts(strict)["unchanged"] >= _counts(default)["unchanged"]
    assert set(strict.table.index[strict.table["category"] != "unchanged"]) <= \
        set(default.table.index[default.table["category"] != "unchanged"])


def test_summary_counts_and_percentages(claus):
    summary = (_hamd(claus, cutoff="c", m_functional=8, sd_functional=8)).summary(suppress=False)
    assert summary["category"].tolist() == list(CATEGORIES)
    assert summary["n"].tolist() == [26, 3, 10, 1, 0]  # cs_combined.md (JT)
    np.testing.assert_allclose(summary["percent"], [65.0, 7.5, 25.0, 2.5, 0.0])


def test_module_doctests():
    failures, tried = doctest.testmod(cs_module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------

scores = st.integers(min_value=0, max_value=60)
pairs = st.lists(st.tuples(scores, scores), min_size=3, max_size=30)


def _frame(rows, sign=1.0):
    n = len(rows)
    return pd.DataFrame(
        {
            "p": list(range(n)) * 2,
            "t": ["pre"] * n + ["post"] * n,
            "y": [sign * float(a) for a, _ in rows] + [sign * float(b) for _, b in rows],
        }
    )


def _usable(rows):
    pre = [a for a, _ in rows]
    post = [b for _, b in rows]
    return len(set(pre)) > 1 and len(set(post)) > 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=pairs,
    method=st.sampled_from(["jt", "gln", "en", "hll", "nk", "ha"]),
    cutoff=st.sampled_from([None, "a", "b", "c"]),
    reliability=st.floats(min_value=0.5, max_value=0.95),
    m_functional=st.integers(min_value=0, max_value=60),
)
def test_negating_outcome_and_swapping_direction_mirrors(rows, method, cutoff, reliability, m_functional):
    assume(_usable(rows))
    kw = dict(id="p", time="t", outcome="y", pre="pre", post="post", reliability=reliability, method=method,
              cutoff=cutoff)
    if cutoff in ("b", "c"):
        kw["sd_functional"] = 40.0  # wide enough that HA's functional reliability stays positive
    try:
        higher = clinical_significance(_frame(rows), direction="higher",
                                       m_functional=None if cutoff in (None, "a") else float(m_functional), **kw)
    except InputError:
        assume(False)  # e.g. HA's change-score reliability not above 0 for this sample
    lower = clinical_significance(_frame(rows, -1.0), direction="lower",
                                  m_functional=None if cutoff in (None, "a") else -float(m_functional), **kw)
    assert higher.table["category"].astype(str).tolist() == lower.table["category"].astype(str).tolist()
    np.testing.assert_allclose(higher.table["rci"], -lower.table["rci"], atol=1e-9)
    if cutoff is not None:
        assert higher.details["cutoff"] == pytest.approx(-lower.details["cutoff"])


@settings(max_examples=60, deadline=None)
@given(
    rows=pairs,
    method=st.sampled_from(["jt", "gln", "en", "hll", "nk", "ha"]),
    cutoff=st.sampled_from([None, "a", "b", "c"]),
    direction=st.sampled_from(["higher", "lower"]),
)
def test_categories_are_exhaustive_and_consistent(rows, method, cutoff, direction):
    assume(_usable(rows))
    kw = dict(id="p", time="t", outcome="y", pre="pre", post="post", reliability=0.8, method=method,
              cutoff=cutoff, direction=direction)
    if cutoff in ("b", "c"):
        kw.update(m_functional=30.0, sd_functional=40.0)
    try:
        result = clinical_significance(_frame(rows), **kw)
    except InputError:
        assume(False)
    levels = DISTRIBUTION_CATEGORIES if cutoff is None else CATEGORIES
    assert result.table["category"].notna().all()
    assert set(result.table["category"].astype(str)) <= set(levels)
    summary = result.summary(suppress=False)
    assert summary["n"].sum() == len(rows) == result.details["n_used"]
    assert summary["percent"].sum() == pytest.approx(100)
    # The index decides the distribution part: improved (or recovered) iff beyond the critical value.
    sign = 1 if direction == "higher" else -1
    better = (sign * result.table["rci"] > result.details["critical_value"]).to_numpy()
    assert (result.table["category"].isin(["improved", "recovered"]).to_numpy() == better).all()
    if cutoff is not None and method != "ha":
        recovered = (result.table["category"] == "recovered").to_numpy()
        assert (recovered == (better & result.table["clinical_pre"] & result.table["functional_post"]).to_numpy()).all()


@settings(max_examples=40, deadline=None)
@given(rows=pairs, reliability=st.floats(min_value=0.5, max_value=0.95))
def test_jacobson_truax_band_matches_categories(rows, reliability):
    # A point outside the plotted band is exactly a reliable change (JT): the band is pre +/- 1.96 S_diff.
    assume(_usable(rows))
    result = clinical_significance(_frame(rows), id="p", time="t", outcome="y", pre="pre", post="post",
                                   reliability=reliability, direction="higher")
    band = result.details["band"]
    centre = band["intercept"] + band["slope"] * result.table["pre"]
    outside_up = (result.table["post"] - centre > band["half_width"]).to_numpy()
    # Allow a rounding tie at the band's edge (rci and band computed in different orders).
    edge = np.isclose(np.abs(result.table["post"] - centre), band["half_width"])
    assert ((result.table["category"] == "improved").to_numpy() == outside_up)[~edge].all()


# ---------------------------------------------------------------------------------------------
# the Jacobson-Truax plot
# ---------------------------------------------------------------------------------------------


def test_plot_draws_band_cutoff_and_categories(claus):
    result = _hamd(claus, cutoff="c", m_functional=8, sd_functional=8)
    fig, ax = plt.subplots()
    try:
        returned = plot_jacobson_truax(result, ax=ax)
        assert returned is ax
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        # Counts from cs_combined.md (JT) appear in the legend, one entry per category.
        for text in ["recovered (26)", "improved (3)", "unchanged (10)", "deteriorated (1)", "harmed (0)",
                     "no change", "no reliable change", "cut-off c = 19.9"]:
            assert text in labels
        # Cut-off drawn on both axes at 19.887.
        xs = [line.get_xdata() for line in ax.get_lines()]
        ys = [line.get_ydata() for line in ax.get_lines()]
        assert any(np.allclose(y, 19.887, atol=1e-3) for y in ys)
        assert any(np.allclose(x, 19.887, atol=1e-3) for x in xs)
        # Shape and fill differ between categories (readable in black and white).
        styles = set()
        for coll in ax.collections[1:]:
            path = coll.get_paths()[0]
            styles.add((tuple(np.round(path.vertices.ravel(), 3)), tuple(np.round(coll.get_facecolor()[0], 3))))
        assert len(styles) == 5
        assert ax.get_xlabel().startswith("Baseline hamd") and "lower is better" in ax.get_ylabel()
    finally:
        plt.close(fig)


def test_plot_without_cutoff_or_band(hlm_results):
    distribution, _ = hlm_results
    ax = plot_jacobson_truax(distribution)
    try:
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "no reliable change" not in labels  # HLM rests on all time points: no pre/post band
        assert {"improved (11)", "unchanged (20)", "deteriorated (9)"} <= set(labels)
    finally:
        plt.close(ax.figure)


def test_plot_rejects_other_frames():
    with pytest.raises(UsageError, match=r"clinical_significance\(\) returns"):
        plot_jacobson_truax(pd.DataFrame({"x": [1]}))


def test_result_text_and_suppressed_summary(claus):
    # The sentence a report prints, with the counts of cs_combined.md (JT, cut-off c).
    result = _hamd(claus, cutoff="c", m_functional=8, sd_functional=8)
    assert result.text(suppress=False) == (
        "Jacobson-Truax: of 40 people with both scores, 26 recovered, 3 improved, 10 unchanged, 1 deteriorated and "
        "0 harmed (cut-off c = 19.9; 3 left out as incomplete).")
    # Published, counts of 1 to 4 read "fewer than 5" and the summary shows * with no percentage.
    assert "fewer than 5 improved" in result.text()
    shown = result.summary().set_index("category")
    assert shown.loc["improved", "n"] == "*" and shown.loc["improved", "percent"] == "*"
    assert shown.loc["recovered", "n"] == 25 and shown.loc["harmed", "n"] == 0
