"""The PROMs report objects: parameter checks and every threshold the notebooks used to hold."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cscs_eval import proms  # noqa: E402
from cscs_eval.errors import UsageError  # noqa: E402
from cscs_eval.governance import NOT_FOR_PUBLICATION, SECONDARY_NOTE, SUPPRESSED, SUPPRESSION_NOTE  # noqa: E402

TEAMS = {"North": 12, "South": 3}  # paired referrals per team; each team also has 2 unpaired referrals


def extract(teams=TEAMS, *, same_day=False):
    """ReQoL-10 totals: per team, ``n`` paired referrals (baseline 20, follow-up 20 + 0..8) and 2 unpaired."""
    rows = []
    for team, n in teams.items():
        for i in range(n + 2):
            ref = f"{team[0]}{i:02d}"
            rows.append({"patient_id": f"P{ref}", "referral_id": f"R{ref}", "team": team, "measure": "ReQoL-10",
                         "assessment_date": "2024-01-10", "score": "20"})
            if i < n:
                rows.append({"patient_id": f"P{ref}", "referral_id": f"R{ref}", "team": team, "measure": "ReQoL-10",
                             "assessment_date": "2024-01-10" if same_day and i == 0 else "2024-05-10",
                             "score": str(20 + i % 9)})
    df = pd.DataFrame(rows)
    if same_day:
        df["assessment_id"] = [f"A{k}" for k in range(len(df))]
    return df


def demographics(df, groups=("White", "Asian")):
    patients = sorted(set(df["patient_id"]))
    return pd.DataFrame({"patient_id": patients, "ethnicity": [groups[k % len(groups)] for k, _ in
                                                                enumerate(patients)]})


def report(df=None, **kw):
    df = extract() if df is None else df
    kw.setdefault("demographics", demographics(df))
    return proms.outcomes_report(df, **kw)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------------------------ parameters
def test_team_must_be_one_of_the_data_with_a_one_line_message():
    with pytest.raises(UsageError) as info:
        report(team="north")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("team must be one of North, South (or \"\" for all teams), got 'north'")
    assert "did you mean 'North'?" in message
    with pytest.raises(UsageError, match="got 'all'"):
        report(team="all")  # "" means every team, as in every notebook
    assert report(team="").scope == "all teams" and report(team="South").scope == "South"


def test_measure_and_dates_are_checked_first():
    with pytest.raises(UsageError, match="measure must be one of dialog, gad7, gbo, phq9, reqol10"):
        report(measure="core10")
    with pytest.raises(UsageError, match="measure 'gbo' has no assessments in the PROMs extract; it holds reqol10"):
        report(measure="gbo")
    with pytest.raises(UsageError, match="period_end must be a date such as 2024-03-31 or 31/03/2024, got 'soon'"):
        report(period_end="soon")


def test_equality_groups_are_a_list_of_demographic_columns():
    with pytest.raises(UsageError, match=r"equality_groups must be a list of columns such as \[\"ethnicity\"\]"):
        report(equality_groups="ethnicity")
    with pytest.raises(UsageError, match=r"demographic columns of the data \(ethnicity\), got 'gender'"):
        report(equality_groups=["gender"])
    with pytest.raises(UsageError, match="none: give demographics_path"):
        report(demographics=None, equality_groups=["ethnicity"])
    assert report(demographics=None, equality_groups=[]).equality_groups == ()
    assert list(report(equality_groups=["ethnicity"]).by_group) == ["ethnicity"]


# ------------------------------------------------------------------------------------------ thresholds
def test_drawable_mask_leaves_out_groups_of_one_to_four():
    r = report()
    rows = r.by_team[r.by_team["unit"] == "total"]
    # North: 14 referrals, 12 paired; South: 5 referrals, 3 paired (1 to 4: not drawn).
    assert r.drawable(rows).tolist() == [True, False]
    assert report(suppress=False).drawable(rows).tolist() == [True, True]
    none = report(extract({"North": 3, "South": 2}))
    assert not none.paired_rate_figure().figure
    assert "Too few referrals or paired referrals in each team" in none.paired_rate_figure().text
    assert report(extract({"North": 3, "South": 2}), suppress=False).paired_rate_figure().figure is not None


def test_figures_are_drawn_only_with_more_than_four_paired():
    four = report(extract({"North": 4}), demographics=None, equality_groups=[])
    assert four.jacobson_truax_figure().figure is None
    assert four.jacobson_truax_figure().text.startswith("Fewer than 5 paired referrals")
    assert four.change_by_team_figure().figure is None
    assert "No team has 5 or more paired referrals" in four.change_by_team_figure().text
    five = report(extract({"North": 5}), demographics=None, equality_groups=[])
    assert five.jacobson_truax_figure().figure is not None
    item = five.change_by_team_figure()
    assert item.figure is not None and "Teams with 1 to 4 paired referrals are left out" in item.caption
    unsuppressed = report(extract({"North": 4}), demographics=None, equality_groups=[], suppress=False)
    assert unsuppressed.jacobson_truax_figure().figure is not None
    assert "left out" not in unsuppressed.change_by_team_figure().caption


def test_tables_are_suppressed_with_the_note_once():
    r = report()
    item = r.team_table()
    table = item.table.set_index("Team")
    # South's 3 paired are suppressed; with the "All teams" row (15) shown, North (10) would give them
    # back as 15 - 10, so secondary suppression hides North too and the note says a * may be larger
    assert table.loc["South", "Paired"] == SUPPRESSED and table.loc["North", "Paired"] == SUPPRESSED
    assert table.loc["All teams", "Paired"] == "15"
    assert item.note == SECONDARY_NOTE
    raw = report(suppress=False).team_table()
    assert raw.table.set_index("Team").loc["South", "Paired"] == "3" and raw.note == NOT_FOR_PUBLICATION
    # Exclusions: counted rows are published under the same rule.
    assert report().exclusions_table().text == "No rows were excluded: every row passed validation and scoring."


def test_headline_quotes_published_counts():
    text = report().headline()
    # 19 referrals (published as 20), 15 paired (15); nothing excluded.
    assert text.startswith("For ReQoL-10 in all teams, 15 of 20 referrals with a baseline score had a paired score")
    assert text.endswith("No input rows were excluded.")
    # South: 5 referrals, 3 paired: the count of 3 reads "fewer than 5" and no rate or change is quoted.
    assert report(team="South").headline().startswith("For ReQoL-10 in South, fewer than 5 of 5 referrals")
    assert "Too few referrals are paired to report change." in report(team="South").headline()


def test_mixed_model_needs_ten_paired_referrals_and_patients():
    r = report()
    assert r.mixed is not None and r.multi_team
    assert r.mixed_model_text().startswith("Using every assessment of 20 patients")  # 19 patients, published
    assert r.mixed_model_table().table["Term"].tolist() == ["Score at first assessment", "Change per month"]
    assert r.variance_table().table["Component"].tolist()[0] == "Between teams"
    few = report(extract({"North": 9, "South": 0}))
    assert few.mixed is None
    assert few.mixed_model_text().startswith("Too few paired referrals for a mixed model")
    assert few.mixed_model_table().table is None and few.variance_table().table is None
    one_team = report(team="North")
    assert one_team.mixed is not None and not one_team.multi_team
    assert one_team.variance_table().table["Component"].tolist() == ["Between patients", "Within patients over time"]


def test_group_models_need_enough_events_and_groups():
    r = report(extract({"North": 12, "South": 12}))
    # 24 paired and 4 unpaired: 4 events of the rarer outcome, fewer than 10 per group.
    assert r.pairing_model_table("ethnicity").table is None
    assert "Too few referrals with and without a paired score" in r.pairing_model_table("ethnicity").text
    # Two ethnicities with 12 paired each: the ANCOVA is fitted; with one group large enough it is not.
    item = r.ancova_table("ethnicity")
    assert item.table is not None and "the difference from Asian at equal baseline" in item.caption
    lopsided = report(extract({"North": 12, "South": 12}), demographics=demographics(
        extract({"North": 12, "South": 12}), groups=("White",) * 7 + ("Asian",)))
    assert lopsided.ancova_table("ethnicity").table is None
    balanced = extract({"North": 25, "South": 25})
    unpaired = pd.DataFrame([{"patient_id": f"PX{i}", "referral_id": f"RX{i}", "team": "North",
                              "measure": "reqol10", "assessment_date": "2024-01-10", "score": "20"}
                             for i in range(40)])
    many = pd.concat([balanced, unpaired], ignore_index=True)
    fitted = report(many, demographics=demographics(many))
    item = fitted.pairing_model_table("ethnicity")
    assert item.table is not None and item.table["Term"].tolist() == ["White"]
    assert "logistic regression, 95 referrals" in item.caption  # 94 referrals, published as 95


def test_warnings_are_kept_as_data_not_shown():
    df = extract({"North": 6}, same_day=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing escapes the report builder
        r = report(df, demographics=None, equality_groups=[])
    assert [n.category for n in r.result.notes] == [proms.SameDayFollowUpWarning]
    text = r.exclusions_table().text
    assert text == ("No rows were excluded: every row passed validation and scoring. Notes from the analysis: "
                    "Follow-ups on the same day as their baseline (another assessment that day), counted as paired "
                    "as in NHS England's dashboard: fewer than 5.")


def test_exclusions_of_one_team():
    df = extract()
    df.loc[0, "score"] = "99"  # North's first baseline is out of range
    r = report(df, team="South")
    assert r.exclusions.empty and r.headline().endswith("No input rows were excluded.")
    north = report(df, team="North")
    assert north.exclusions["reason"].tolist() == ["score out of range"]
    assert "Fewer than 5 input rows or scores of this team could not be used, most often for 'score out of range'" \
        in north.headline()
    assert north.exclusions_table().caption.endswith("(North's rows only)")


def test_units_table_only_for_measures_with_several_units():
    assert report().units_table() == proms.ReportItem()


def test_write_tables(tmp_path):
    said = report().write_tables(tmp_path / "out")
    assert said == f"Summary tables written to {tmp_path / 'out'}."
    by_team = pd.read_csv(tmp_path / "out" / "proms_reqol10_by_team.csv")
    assert by_team.set_index("team").loc["South", "n_paired"] == "*"
    assert (tmp_path / "out" / "proms_reqol10_by_ethnicity.csv").exists()


# ------------------------------------------------------------------------------------------ overview
def item_extract():
    rows = []
    for team, n in (("North", 6), ("South", 2)):
        for i in range(n):
            for date in ("2024-01-05", "05/03/2024"):
                rows += [{"patient_id": f"P{team}{i}", "referral_id": f"R{team}{i}", "team": team,
                          "measure": "ReQoL-10", "assessment_date": date, "item": str(k), "response": "2"}
                         for k in range(1, 11)]
    return pd.DataFrame(rows)


def test_overview_team_in_the_wrong_case_is_a_usage_error():
    with pytest.raises(UsageError, match=r"team must be one of North, South .*did you mean 'North'"):
        proms.overview_report(item_extract(), team="NORTH")


def test_overview_sections():
    r = proms.overview_report(item_extract())
    assert r.headline().startswith("The extract holds **15 assessments** of 10 referrals (10 patients) in "
                                   "**2 teams**, from 05 January 2024 to 05 March 2024.")
    assert r.by_measure["measure"].tolist() == ["reqol10"]  # the measure named by its key
    table = r.completeness_table().table.set_index("Team")
    assert table.loc["South", "Referrals"] == SUPPRESSED
    item = r.follow_up_figure()
    assert item.figure is not None and "One team with 1 to 4 referrals in the rate is not shown" in item.caption
    assert r.checks_text() == "The checks found no problems." and r.problems_by_reason().table is None
    north = proms.overview_report(item_extract(), team="North", suppress=False)
    assert north.headline().startswith("The extract holds **12 assessments** of 6 referrals (6 patients) in **1 team**")


def test_overview_without_readable_dates_says_so():
    df = item_extract().assign(assessment_date="not a date")
    r = proms.overview_report(df)
    assert "with no date that can be read" in r.headline()
    assert r.problems["reason"].unique().tolist() == ["unreadable date"]
    assert r.first_problems().table["Row"].tolist()[:2] == ["2", "3"]
    assert r.facts["unreadable_dates"] == len(df) and pd.isna(r.facts["first_date"])
