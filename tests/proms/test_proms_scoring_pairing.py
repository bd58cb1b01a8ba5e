"""Scoring, pairing and change against hand-worked examples (tests/reference/proms/README.md)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval import proms
from cscs_eval.proms import classify, eligible_referrals


def score(data, **kw):
    return proms.score(data, **kw).table


def outcomes(data, **kw):
    return proms.outcomes(data, **kw).table

TODAY = "2025-06-01"


def item_rows(pid, measure, date, responses, *, referral="same", team="North"):
    ref = f"R-{pid}" if referral == "same" else referral
    return [{"patient_id": pid, "referral_id": ref, "team": team, "measure": measure,
             "assessment_date": date, "item": str(i), "response": None if r is None else str(r)}
            for i, r in enumerate(responses, 1)]


def frame(*parts):
    return pd.DataFrame([r for p in parts for r in p])


def test_reqol_total_reverses_negative_items():
    # Hand-worked: responses 1,2,3,4,0,1,2,3,4,0 (item 11 = 2, not in the total); items 1, 3, 6, 9 are
    # reversed (4 - r): 3 + 2 + 1 + 4 + 0 + 3 + 2 + 3 + 0 + 0 = 18.
    s = score(frame(item_rows("P1", "ReQoL-10", "2024-01-05", [1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 2])), today=TODAY)
    assert s[["unit", "score", "n_items"]].values.tolist() == [["total", 18.0, 10]]


def test_reqol_incomplete_is_not_scored_with_reason():
    s = score(frame(item_rows("P1", "reqol10", "2024-01-05", [1] * 9)), today=TODAY)
    assert np.isnan(s.loc[0, "score"])
    assert s.loc[0, "excluded_reason"] == "incomplete: 9 of 10 items answered (all required)"


def test_dialog_items_means_and_8():
    # Items 1-8: 4,5,6,7,1,2,3,4 -> SQoL mean 32/8 = 4.0; items 9-11: 5,6,7 -> treatment 6.0.
    s = score(frame(item_rows("P1", "dialog", "2024-01-05", [4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7]),
                    item_rows("P2", "dialog", "2024-01-05", [8, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7])), today=TODAY)
    p1 = s[s.patient_id == "P1"].set_index("unit")["score"]
    assert p1["sqol"] == 4.0 and p1["treatment satisfaction"] == 6.0 and p1["item 3"] == 6.0
    p2 = s[s.patient_id == "P2"].set_index("unit")
    assert np.isnan(p2.loc["item 1", "score"])
    assert p2.loc["item 1", "excluded_reason"].startswith("DIALOG value 8 is not valid for change")
    assert np.isnan(p2.loc["sqol", "score"])


def test_gbo_goal_mean_of_rated_goals():
    s = score(frame(item_rows("P1", "gbo", "2024-01-05", [2, 7])), today=TODAY).set_index("unit")["score"]
    assert s.to_dict() == {"goal 1": 2.0, "goal 2": 7.0, "goal mean": 4.5}


def test_score_rows_accepted():
    df = pd.DataFrame({"patient_id": "P1", "referral_id": "R1", "team": "A", "measure": "ReQoL-10",
                       "assessment_date": ["01/02/2024", "01/06/2024"], "score": ["18", "26"]})
    o = outcomes(df, today=TODAY)
    assert o[["unit", "baseline", "follow_up", "change", "category", "clinical_baseline", "reliable_recovery"]] \
        .values.tolist() == [["total", 18.0, 26.0, 8.0, "reliable improvement", True, True]]


CASES = [
    # measure, unit, baseline, follow-up, category, clinical_baseline, reliable_recovery  (NHSE CMH dashboard)
    ("reqol10", "total", 20, 25, "reliable improvement", True, True),
    ("reqol10", "total", 20, 24, "no reliable change", True, False),
    ("reqol10", "total", 24, 29, "reliable improvement", True, True),
    ("reqol10", "total", 25, 30, "reliable improvement", False, False),
    ("reqol10", "total", 30, 25, "reliable deterioration", False, False),
    ("reqol10", "total", 10, 16, "reliable improvement", True, False),
    ("dialog", "item 1", 3, 4, "reliable improvement", None, None),
    ("dialog", "item 1", 3, 2, "reliable deterioration", None, None),
    ("dialog", "item 1", 3, 3, "no reliable change", None, None),
    ("gbo", "goal 2", 2, 5, "reliable improvement", None, None),
    ("gbo", "goal 2", 5, 3, "no reliable change", None, None),
    ("gbo", "goal 2", 5, 2, "reliable deterioration", None, None),
    # Talking Therapies: PHQ-9 fall >= 6 and caseness >= 10; GAD-7 fall >= 4 and caseness >= 8.
    ("phq9", "total", 15, 9, "reliable improvement", True, True),
    ("phq9", "total", 15, 10, "no reliable change", True, False),
    ("phq9", "total", 9, 15, "reliable deterioration", False, False),
    ("gad7", "total", 10, 6, "reliable improvement", True, True),
    ("gad7", "total", 10, 7, "no reliable change", True, False),
    ("gad7", "total", 12, 8, "reliable improvement", True, False),
]


@pytest.mark.parametrize("measure,unit,base,follow,category,clinical,recovery", CASES)
def test_classification_hand_worked(measure, unit, base, follow, category, clinical, recovery):
    p = pd.DataFrame({"measure": [measure], "unit": [unit], "baseline": [float(base)],
                      "follow_up": [float(follow)], "paired": [True]})
    got = classify(p).iloc[0]
    assert got["change"] == follow - base
    assert got["category"] == category
    assert (pd.isna(got["clinical_baseline"]) if clinical is None else got["clinical_baseline"] == clinical)
    assert (pd.isna(got["reliable_recovery"]) if recovery is None else got["reliable_recovery"] == recovery)


def test_research_threshold_not_missed_by_float_noise():
    # DIALOG SQoL threshold 1.64: 4.64 - 3.0 must count as reliable improvement despite binary floats.
    p = pd.DataFrame({"measure": ["dialog"], "unit": ["sqol"], "baseline": [3.0], "follow_up": [4.64],
                      "paired": [True]})
    assert classify(p).loc[0, "category"] == "reliable improvement"


def reqol(pid, date, total, **kw):
    # Ten items whose keyed scores sum to ``total`` (reversed items coded back to responses).
    keyed = [4] * (total // 4) + ([total % 4] if total % 4 else [])
    keyed += [0] * (10 - len(keyed))
    resp = [4 - k if i in (1, 3, 6, 9) else k for i, k in enumerate(keyed, 1)]
    return item_rows(pid, "reqol10", date, resp, **kw)


def test_reqol_fixture_helper():
    assert score(frame(reqol("P1", "2024-01-01", 23)), today=TODAY)["score"].tolist() == [23.0]


def test_pairing_first_and_latest_per_referral():
    df = frame(reqol("P1", "2024-01-01", 10), reqol("P1", "2024-03-01", 30), reqol("P1", "2024-06-01", 18),
               reqol("P2", "2024-02-01", 20), reqol("P3", "2024-02-01", 20, referral=None),
               reqol("P3", "2024-04-01", 27, referral=None))
    o = outcomes(df, today=TODAY).set_index("patient_id")
    assert o.loc["P1", ["baseline", "follow_up", "n_assessments", "days_between"]].tolist() == [10.0, 18.0, 3, 152]
    assert o.loc["P1", "category"] == "reliable improvement"
    assert not o.loc["P2", "paired"] and pd.isna(o.loc["P2", "category"])
    # No referral id: the patient is the pairing unit.
    assert o.loc["P3", "paired"] and o.loc["P3", "change"] == 7


def test_pairing_per_referral_not_patient():
    df = frame(reqol("P1", "2024-01-01", 10, referral="R1"), reqol("P1", "2024-03-01", 30, referral="R2"))
    o = outcomes(df, today=TODAY)
    assert o["paired"].tolist() == [False, False]


def test_min_interval_and_period_end():
    df = frame(reqol("P1", "2024-01-01", 10), reqol("P1", "2024-02-01", 20), reqol("P1", "2024-09-01", 30))
    assert outcomes(df, today=TODAY)["follow_up"].tolist() == [30.0]
    assert outcomes(df, today=TODAY, period_end="31/03/2024")["follow_up"].tolist() == [20.0]
    o = outcomes(df, today=TODAY, period_end="2024-03-31", min_interval_days=60)
    assert o["paired"].tolist() == [False]
    assert outcomes(df, today=TODAY, period_start="2024-10-01").empty


def test_dialog_items_paired_separately_and_8_skipped():
    df = frame(item_rows("P1", "dialog", "2024-01-01", [3, 8, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
               item_rows("P1", "dialog", "2024-02-01", [4, 3, 3, 3, 3, 3, 3, 2, 7, 7, 7]),
               item_rows("P1", "dialog", "2024-03-01", [5, 5, 3, 3, 3, 3, 3, 2, 7, 7, 7]))
    result = proms.outcomes(df, today=TODAY)
    o = result.table.set_index("unit")
    assert list(o.index) == [f"item {i}" for i in range(1, 9)]  # items 9-11 are not units of change
    assert o.loc["item 1", ["baseline", "follow_up", "category"]].tolist() == [3.0, 5.0, "reliable improvement"]
    # Item 2: the 8 is not valid, so the baseline is the second assessment.
    assert o.loc["item 2", ["baseline", "follow_up"]].tolist() == [3.0, 5.0]
    assert o.loc["item 8", "category"] == "reliable deterioration"
    excl = result.exclusions
    assert excl.loc[excl.stage == "scoring", "n_rows"].tolist() == [1]


def test_research_units():
    df = frame(item_rows("P1", "gbo", "2024-01-01", [1, 2, 3]), item_rows("P1", "gbo", "2024-05-01", [4, 6, 5]))
    o = outcomes(df, today=TODAY, units="research")
    assert o[["unit", "baseline", "follow_up", "category"]].values.tolist() == [
        ["goal mean", 2.0, 5.0, "reliable improvement"]]


def test_eligible_referrals_hand_worked():
    ref = pd.DataFrame({
        "referral_id": ["A", "B", "C", "D", "E", "F"], "patient_id": list("123456"), "team": "North",
        "referral_date": ["2024-01-01", "2024-01-01", "2024-06-01", "2024-06-01", "2024-01-01", "2025-01-01"],
        "discharge_date": ["", "2024-02-01", "", "2024-07-01", "", ""],
        "n_contacts": ["2", "2", "5", "1", "1", "9"]})
    got = eligible_referrals(ref, period_end="2024-12-31").set_index("referral_id")
    # A open 365 days, 2 contacts: yes. B closed, 2 contacts: yes. C open 213 days: yes.
    # D closed, 1 contact: no. E open, 1 contact: no. F referred after the period end: not in the cohort.
    assert got["eligible"].to_dict() == {"A": True, "B": True, "C": True, "D": False, "E": False}
    assert got.loc["C", "length_days"] == 213
    assert eligible_referrals(ref, period_end="2024-10-31").set_index("referral_id")["eligible"]["C"] == False  # noqa: E712


def test_outcomes_with_referrals_and_demographics():
    df = frame(reqol("P1", "2024-01-01", 10, referral="A"), reqol("P1", "2024-06-01", 30, referral="A"),
               reqol("P2", "2024-01-01", 10, referral="X"))
    ref = pd.DataFrame({"referral_id": ["A", "B"], "patient_id": ["P1", "P9"], "team": "North",
                        "referral_date": "2023-01-01", "discharge_date": "", "n_contacts": "3"})
    demo = pd.DataFrame({"patient_id": ["P1", "P2"], "ethnicity": ["White", "Asian"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = proms.outcomes(df, referrals=ref, demographics=demo, today=TODAY)
    o = result.table
    assert any("not in the referrals file" in str(w.message) for w in caught)
    # The warning is kept as data too, for a report to publish (its count suppressed).
    assert [(n.category.__name__, n.n) for n in result.notes] == [("SuspiciousDataWarning", 1)]
    eligible = o.set_index("referral_id")["eligible"]
    assert eligible["A"] is True or eligible["A"] == True  # noqa: E712
    assert pd.isna(eligible["X"])
    assert o.set_index("patient_id")["ethnicity"].to_dict() == {"P1": "White", "P2": "Asian"}
    assert result.referrals["eligible"].tolist() == [True, True]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 40)), min_size=1, max_size=8))
def test_pairing_properties(visits):
    # Baseline is the earliest dated total, follow-up the latest later one; change stays within -40..40.
    dates = {}
    for day, total in visits:
        dates.setdefault(day, total)
    parts = [reqol("P1", (pd.Timestamp("2023-01-01") + pd.Timedelta(days=d)).strftime("%d/%m/%Y"), t)
             for d, t in dates.items()]
    o = outcomes(frame(*parts), today=TODAY).iloc[0]
    first, last = min(dates), max(dates)
    assert o["baseline"] == dates[first]
    assert o["paired"] == (last > first)
    if o["paired"]:
        assert o["follow_up"] == dates[last]
        assert -40 <= o["change"] <= 40
        assert o["days_between"] == last - first


def test_module_exports_categories():
    from cscs_eval.proms._results import CATEGORIES

    assert CATEGORIES == ("reliable improvement", "no reliable change", "reliable deterioration")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=10, max_size=10))
def test_reqol_total_property(responses):
    # The total stays in 0..40 and equals the keyed sum (items 1, 3, 6, 9 reversed).
    got = score(frame(item_rows("P1", "reqol10", "2024-01-05", responses)), today=TODAY)["score"].iloc[0]
    keyed = [4 - r if i in (1, 3, 6, 9) else r for i, r in enumerate(responses, 1)]
    assert got == sum(keyed) and 0 <= got <= 40


def test_referrals_file_problems_listed():
    from cscs_eval.errors import ValidationError
    from cscs_eval.proms import read_referrals

    ref = pd.DataFrame({"referral_id": ["A", "A", "B"], "patient_id": ["1", "2", "3"], "team": "North",
                        "referral_date": ["2024-01-01", "2024-01-01", "01/02/2024"],
                        "discharge_date": ["", "2023-01-01", ""], "n_contacts": ["2", "x", "1"]})
    with pytest.raises(ValidationError) as info:
        read_referrals(ref)
    assert info.value.problems[["row", "column", "reason"]].values.tolist() == [
        [3, "discharge_date", "impossible date"], [3, "n_contacts", "bad n_contacts"],
        [3, "referral_id", "duplicate referral"]]
    read = read_referrals(ref, drop_invalid=True)
    assert read.table["referral_id"].tolist() == ["A", "B"]
    assert read.problems["row"].tolist() == [3, 3, 3]
    assert read.summary(suppress=False).values.tolist() == [["impossible date", 1]]  # each row under its first


def test_parquet_input_with_typed_columns(tmp_path):
    df = frame(reqol("P1", "2024-01-01", 10), reqol("P1", "2024-06-01", 30))
    typed = df.assign(assessment_date=pd.to_datetime(df["assessment_date"]), item=df["item"].astype(int),
                      response=df["response"].astype(int))
    path = tmp_path / "proms.parquet"
    typed.to_parquet(path)
    o = outcomes(str(path), today=TODAY)
    assert o[["baseline", "follow_up", "category"]].values.tolist() == [[10.0, 30.0, "reliable improvement"]]


def test_public_chain_score_pair_classify_equals_outcomes():
    from cscs_eval.proms import pair

    df = frame(reqol("P1", "2024-01-01", 10), reqol("P1", "2024-06-01", 30), reqol("P2", "2024-02-01", 20),
               reqol("P2", "2024-03-01", 17), reqol("P3", "2024-02-01", 20, referral=None),
               reqol("P3", "2024-04-01", 27, referral=None))
    chained = classify(pair(proms.score(df, today=TODAY)))
    direct = outcomes(df, today=TODAY)
    cols = ["patient_id", "baseline", "follow_up", "category"]
    assert chained.sort_values("patient_id")[cols].values.tolist() == \
        direct.sort_values("patient_id")[cols].values.tolist()


def test_same_day_follow_up_with_assessment_ids_warns():
    import warnings

    from cscs_eval.errors import SuspiciousDataWarning
    from cscs_eval.proms import SameDayFollowUpWarning

    assert issubclass(SameDayFollowUpWarning, SuspiciousDataWarning)
    df = frame(reqol("P1", "2024-01-01", 10), reqol("P1", "2024-01-01", 18))
    df["assessment_id"] = ["A1"] * 10 + ["A2"] * 10
    with pytest.warns(SameDayFollowUpWarning, match="1 follow-up is on the same day as the baseline"):
        result = proms.outcomes(df, today=TODAY)
    o = result.table
    assert [(n.category, n.n) for n in result.notes] == [(SameDayFollowUpWarning, 1)]
    # Its own class, so a user can silence it alone.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=SameDayFollowUpWarning)
        outcomes(df, today=TODAY)
    assert o[["baseline", "follow_up", "days_between", "paired"]].values.tolist() == [[10.0, 18.0, 0, True]]
    assert outcomes(df, today=TODAY, min_interval_days=1)["paired"].tolist() == [False]
    # Without assessment ids the same day and item twice is a duplicate (an input problem).
    from cscs_eval.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        outcomes(df.drop(columns="assessment_id"), today=TODAY)
    assert "conflicting duplicate assessment" in set(info.value.problems["reason"])


def test_exclusions_by_team():
    df = frame(item_rows("P1", "reqol10", "2024-01-05", [2] * 10, team="North"),
               item_rows("P1", "reqol10", "2024-03-05", [2] * 9 + [9], team="North"),      # 1 out of range
               item_rows("P2", "reqol10", "2024-01-05", [2] * 9 + [None], team="South"),   # incomplete
               item_rows("P3", "reqol10", "2024-01-05", [2] * 10, team="South"),
               item_rows("P3", "reqol10", "2024-05-05", [3] * 10, team="South"))            # after the period end
    o = proms.outcomes(df, drop_invalid=True, today=TODAY, period_end="2024-04-30")
    north = o.exclusions_for("North")
    south = o.exclusions_for("South")
    assert north[["stage", "reason", "n_rows"]].values.tolist() == [["validation", "response out of range", 1],
                                                                    ["scoring", "incomplete: some items answered "
                                                                     "(all required)", 1]]
    assert south[["stage", "reason", "n_rows"]].values.tolist() == [
        ["scoring", "incomplete: some items answered (all required)", 1],
        ["pairing", "assessment after the period end", 1]]
    everyone = o.exclusions
    assert everyone["n_rows"].sum() == north["n_rows"].sum() + south["n_rows"].sum() == 4
    assert o.exclusions_for("East").empty
    assert o.exclusions_for(["North", "South"])["n_rows"].sum() == 4


def test_referral_and_demographic_rows_left_out_are_counted():
    from cscs_eval.errors import ValidationError

    df = frame(reqol("P1", "2024-01-01", 10, referral="A"), reqol("P1", "2024-06-01", 30, referral="A"),
               reqol("P2", "2024-01-01", 10, referral="X"))
    ref = pd.DataFrame({"referral_id": ["A", "B", "C"], "patient_id": ["P1", "P9", "P8"], "team": "North",
                        "referral_date": ["2023-01-01", "31/02/2023", "2023-01-01"], "discharge_date": "",
                        "n_contacts": ["3", "3", "two"]})
    demo = pd.DataFrame({"patient_id": ["P1", "P2", "P2"], "ethnicity": ["White", "Asian", "Mixed"]})
    with pytest.raises(ValidationError):
        outcomes(df, referrals=ref, today=TODAY)  # without drop_invalid the referral problems stop the run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = proms.outcomes(df, referrals=ref, demographics=demo, drop_invalid=True, today=TODAY)
    o = result.table
    ex = result.exclusions
    got = ex[ex["stage"].isin(["referrals", "demographics"])][["stage", "reason", "n_rows"]].values.tolist()
    assert got == [["referrals", "bad n_contacts", 1], ["referrals", "unreadable date", 1],
                   ["referrals", "referral_id not in the referrals file (outside the eligible cohort)", 1],
                   ["demographics", "conflicting demographics (those fields set to not known)", 2]]
    assert pd.isna(o.set_index("patient_id").loc["P2", "ethnicity"])
