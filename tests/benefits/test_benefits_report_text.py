"""Report sentences and tables of the benefit analysis, checked word for word on hand-made results."""

import warnings

import pandas as pd
import pytest

from cscs_eval.benefits import (RegisterResult, benefit_titles, collect_warnings, deprivation_text, gap_table,
                                group_label, improvement_text, indicator_labels, interrupted_time_series, its_sentence,
                                its_table, methods_text, record_warnings, reference_group, register_table,
                                sii_from_groups, summary_text)

REPORT = RegisterResult(pd.DataFrame({
    "benefit": ["Shorter waits", "Fewer missed", "Better lives"], "owner": ["Ops", "Ops", "Clinical"],
    "status": ["on track", "delayed", "on track"], "baseline": [8.0, 12.0, 3.0], "target": [4.0, 9.0, 5.0],
    "latest": [6.1, 9.9, 4.6], "mean": [5.9, 11.4, 3.4],
    "variation": ["special_cause_improvement", "special_cause_concern", "special_cause_improvement"],
    "assurance": ["consistent_fail", "inconsistent", None]}))


def _its():
    dates = pd.date_range("2022-01-01", periods=24, freq="MS")
    y = [10 + 0.1 * t + (5 if t >= 12 else 0) + 0.3 * (-1) ** t for t in range(24)]
    return interrupted_time_series(pd.DataFrame({"date": dates, "value": y}), changes="2023-01-01",
                                   label="Paired PROMs (%)")


def _sii(n_dropped=0):
    r = sii_from_groups([1, 2, 3], [0.1, 0.2, 0.3], [100, 100, 100], variances=[0.0009, 0.0016, 0.0021])
    r.n_dropped = n_dropped
    return r


def test_record_warnings_keeps_each_message_once_sorted():
    with record_warnings() as notes:
        warnings.warn("zebra")
        warnings.warn("apple", UserWarning)
        warnings.warn("zebra")
        assert notes == []  # filled when the block ends
    assert notes == ["apple", "zebra"]
    with pytest.raises(RuntimeError), record_warnings() as notes:
        warnings.warn("before the error")
        raise RuntimeError
    assert notes == ["before the error"]


def test_collect_warnings_returns_result_and_messages():
    def f(a, *, b):
        warnings.warn(f"{a} and {b}")
        return a + b
    assert collect_warnings(f, 1, b=2) == (3, ["1 and 2"])
    assert collect_warnings(len, [1, 2]) == (2, [])


def test_summary_text_word_for_word():
    its = _its()
    step = its.term("level_change")
    text = summary_text(REPORT, its=its, sii=_sii())
    assert text == (
        "The register holds three benefits. At the latest month the indicators show special cause improvement for "
        "'Shorter waits' and 'Better lives'. Special cause concern shows for 'Fewer missed'. Against their targets, "
        "none will consistently meet the target, one will consistently miss it unless the process changes, and one "
        "may meet or miss it by chance. "
        f"Paired PROMs (%) stepped by {step['estimate']:.1f} at the service change of 2023-01-01 "
        f"(95% CI {step['lower']:.1f} to {step['upper']:.1f}). "
        "From the most to the least deprived IMD quintile the paired rate rises by 30.0 percentage points "
        f"(slope index of inequality 30.0, 95% CI {100 * _sii().table['lower'][0]:.1f} to "
        f"{100 * _sii().table['upper'][0]:.1f}).")


def test_summary_without_signals_and_a_falling_gradient():
    quiet = RegisterResult(REPORT.table.assign(variation="common_cause", assurance="consistent_pass"))
    falling = sii_from_groups([1, 2], [0.4, 0.2], [100, 100], variances=[0.0024, 0.0016])
    text = summary_text(quiet, sii=falling)
    assert "no indicator shows special cause improvement. No indicator shows special cause concern." in text
    assert "all will consistently meet the target" in text
    assert "the paired rate falls by 40.0 percentage points (slope index of inequality -40.0," in text
    assert "stepped" not in text and "teams" not in text


def test_its_sentence_names_the_series_and_change():
    assert its_sentence(_its()).startswith("Paired PROMs (%) stepped by 5.2 at the service change of 2023-01-01 "
                                           "(95% CI")


def test_deprivation_text_suppresses_the_count_left_out():
    assert deprivation_text(_sii()).endswith("Quintile 1 is the most deprived; every eligible referral has an IMD "
                                             "decile.")
    assert deprivation_text(_sii(3)).endswith("; * referrals without an IMD decile are left out of the index.")
    assert deprivation_text(_sii(12)).endswith("; 10 referrals without an IMD decile are left out of the index.")
    assert deprivation_text(_sii(3), suppress=False).endswith("; 3 referrals without an IMD decile are left out "
                                                              "of the index.")
    assert deprivation_text(_sii()).startswith("From IMD quintile 1 to 3, the slope index of inequality is 30.0 "
                                               "percentage points")


def test_improvement_text_rounds_the_count_when_suppressed():
    r = sii_from_groups([1, 2], [0.2, 0.4], [341, 342], variances=[0.0005, 0.0007])
    # the share from the published counts (issue 10): 205 improved of 683 are published as 205 of 685, 29.9%
    # (the exact share 30.0% beside rounded counts would undo the rounding)
    assert improvement_text(r).startswith("Of about 685 eligible referrals with a paired ReQoL-10 total and an IMD "
                                          "decile, 29.9% show a reliable improvement. For that share, from IMD "
                                          "quintile 1 to 2,")
    assert improvement_text(r, suppress=False, measure="DIALOG means").startswith("Of 683 eligible referrals with a paired DIALOG means")


def test_methods_text_options():
    plain = methods_text()
    assert "Newey-West standard errors" in plain and "Points to note" not in plain
    assert "Published tables suppress counts of 1 to 4" in plain and "funnel plot leaves out" in plain
    ar1 = methods_text(its_errors="ar1", notes=["x was odd", "y was late"], suppress=False)
    assert "AR(1) errors (generalised least squares)." in ar1 and "Newey-West" not in ar1
    assert "Small-number suppression is off" in ar1 and "Published tables suppress" not in ar1
    assert ar1.endswith(" Points to note in the data: x was odd; y was late.")


def test_register_table_headings_and_words():
    t = register_table(REPORT)
    assert t.columns.tolist() == ["Benefit", "Owner", "Status", "Baseline", "Target", "Latest value", "Mean",
                                  "Variation", "Assurance"]
    assert t["Variation"].tolist() == ["Improvement", "Concern", "Improvement"]
    assert t["Assurance"].tolist() == ["Target consistently missed", "Target hit and miss", "no target"]


def test_its_table():
    its = _its()
    t = its_table(its)
    assert t["Term"].tolist()[:4] == ["Level at the start (2022-01-01)", "Trend before the change (per month)",
                                      "Step at 2023-01-01", "Change in trend from 2023-01-01 (per month)"]
    assert t["Estimate"].tolist() == its.table["estimate"].tolist()
    p = its.table["p_value"]
    assert t["p value"].tolist() == ["< 0.001" if v < 0.001 else f"{v:.3f}" for v in p]


def test_gap_table_scales_numbers_and_keeps_suppressed_cells():
    g = pd.DataFrame({"group": ["a", "b"], "n": [100, "*"], "events": [20, "*"], "estimate": [0.2, "*"],
                      "lower": [0.13, "*"], "upper": [0.29, "*"], "abs_gap": [0.05, "*"],
                      "abs_gap_lower": [-0.01, "*"], "abs_gap_upper": [0.1, "*"], "reference": [False, True]})
    t = gap_table(g, group_label="Age band", n_label="Eligible", events_label="Paired")
    assert t.columns.tolist() == ["Age band", "Eligible", "Paired", "Rate (%)", "Lower 95%", "Upper 95%", "Gap",
                                  "Gap lower", "Gap upper"]
    assert t.iloc[0, 3:].tolist() == pytest.approx([20, 13, 29, 5, -1, 10])
    assert t.iloc[1].tolist()[1:] == ["*"] * 8
    means = gap_table(g.drop(columns=["events"]), n_label="Paired", estimate_label="Mean change", scale=1)
    assert "Paired" in means.columns and means["Mean change"].iloc[0] == 0.2
    assert reference_group(g) == "b"


def test_labels_and_titles():
    reg = pd.DataFrame({"indicator": ["dna_rate_pct", "waiting_weeks"], "benefit": ["Fewer missed", "Shorter"]})
    labels = indicator_labels(reg, labels={"waiting_weeks": "Wait (weeks)"})
    assert labels == {"dna_rate_pct": "dna rate pct", "waiting_weeks": "Wait (weeks)"}
    assert indicator_labels(reg, names=["extra_one"]) == {"extra_one": "extra one"}
    titles = benefit_titles(reg, labels=indicator_labels(reg, names=["dna_rate_pct", "extra_one"]))
    assert titles == {"dna_rate_pct": "Fewer missed", "extra_one": "extra one", "waiting_weeks": "Shorter"}
    assert group_label("imd_quintile", capital=True) == "IMD quintile" and group_label("ethnicity") == "ethnicity"
