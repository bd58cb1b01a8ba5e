"""Drafting a logic model from a CFIR summary, and adoption and penetration from team data."""

import csv
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cscs_eval.errors import InputError, SuspiciousDataWarning, UsageError
from cscs_eval.io import resolve_path
from cscs_eval.logic_model import (
    LogicModel,
    draft_from_summary,
    implementation_outcomes,
    read_logic_model,
    to_yaml,
    write_logic_model,
)

REF = Path(__file__).resolve().parents[1] / "reference" / "logic_model"


def summary_frame():
    return pd.DataFrame({
        "construct_id": ["III.A.2", "III.J", "I.H", "V.F", "I.C", "IV.R.A", "I.F", "II.E"],
        "construct": ["Information Technology Infrastructure", "Available Resources", "Innovation Cost", "Engaging",
                      "Innovation Relative Advantage", "High-level Leaders", "Innovation Complexity",
                      "Policies & Laws"],
        "domain": ["Inner Setting", "Inner Setting", "Innovation", "Implementation Process", "Innovation",
                   "Individuals", "Innovation", "Outer Setting"],
        "n_excerpts": [9, 4, 3, 12, 5, 2, 3, 1],
        "n_cases": [4, 2, 3, 4, 3, 1, 2, 1],
        "mean_rating": [-2.0, -1.0, -1.5, 1.8, 2.0, 1.0, 0.0, None],
        "classification": ["strong barrier", "weak barrier", "strong barrier", "strong facilitator",
                           "strong facilitator", "weak facilitator", "mixed", "insufficient data"],
    })


def board_teams():
    """32 eligible teams at the stages of the board report's PROMs delivery overview, plus one ineligible."""
    ref = {r["stage"]: int(r["n"]) for r in csv.DictReader(open(REF / "proms_delivery_overview.csv"))}
    rows = []
    def add(n, stages):
        for _ in range(n):
            dates = {s: f"2024-0{k + 1}-1{k}" if s in stages else "" for k, s in enumerate(
                ("approached_date", "engaged_date", "pathway_mapped_date", "trained_date"))}
            rows.append({"team": f"Team {len(rows) + 1}", "eligible": "yes", **dates})
    add(ref["mapped_and_trained"], ("approached_date", "engaged_date", "pathway_mapped_date", "trained_date"))
    add(ref["mapped_only"], ("approached_date", "engaged_date", "pathway_mapped_date"))
    add(ref["approached_mapping"], ("approached_date", "engaged_date"))
    add(ref["not_yet_approached"], ())
    rows.append({"team": "Ward X", "eligible": "no", "approached_date": "2024-01-10", "engaged_date": "2024-02-11",
                 "pathway_mapped_date": "", "trained_date": ""})
    assert len(rows) - 1 == ref["eligible"]
    return pd.DataFrame(rows).replace("", None)


def test_board_report_adoption_and_penetration():
    out = implementation_outcomes(board_teams())
    adoption, penetration = out.to_dict("records")
    # Board report: 29 of 32 teams engaged (printed 90%), 12 of 32 mapped and trained (printed 38%).
    assert (adoption["numerator"], adoption["denominator"], adoption["value"]) == (29, 32, 90.6)
    assert (penetration["numerator"], penetration["denominator"], penetration["value"]) == (12, 32, 37.5)
    assert penetration["measure"] == "12 of 32 teams (38%)"


def test_sample_team_data_matches_the_board_report():
    out = implementation_outcomes(resolve_path("data/sample/teams.csv"))
    assert out["numerator"].tolist() == [29, 12] and out["denominator"].tolist() == [32, 32]


@pytest.mark.parametrize("column, value, message", [
    ("eligible", "maybe", "eligible must be yes or no, got 'maybe'"),
    ("engaged_date", "31/02/2024", "'31/02/2024' is not a date"),
    ("team", "Team 1", "team 'Team 1' appears twice"),
])
def test_bad_team_data(tmp_path, column, value, message):
    df = board_teams()
    df.loc[1, column] = value
    path = tmp_path / "teams.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        implementation_outcomes(path)
    assert message in str(info.value)
    assert info.value.row == 3 and info.value.column == column and str(path) in str(info.value)


def test_team_data_missing_column_and_no_eligible(tmp_path):
    with pytest.raises(InputError, match="lacks column"):
        implementation_outcomes(board_teams().drop(columns="trained_date"))
    with pytest.raises(InputError, match="no team is marked eligible"):
        implementation_outcomes(board_teams().assign(eligible="no"))


def test_uk_dates_and_suspicious_order():
    df = board_teams()
    df.loc[0, ["approached_date", "engaged_date"]] = ["20/03/2024", "01/03/2024"]
    df.loc[1, ["approached_date", "engaged_date"]] = [None, None]
    with pytest.warns(SuspiciousDataWarning) as record:
        out = implementation_outcomes(df)
    messages = " | ".join(str(w.message) for w in record)
    assert "engaged_date 2024-03-01 is before approached_date 2024-03-20" in messages
    assert "'Team 2' has pathway_mapped_date but no approached_date, engaged_date" in messages
    assert out["numerator"].tolist() == [28, 12]


def test_draft_picks_strongest_barriers_and_facilitators():
    model = draft_from_summary(summary_frame(), n_barriers=2, n_facilitators=2)
    assert [(d.construct, d.valence_text) for d in model.determinants] == [
        ("III.A.2", "strong barrier"), ("I.H", "strong barrier"),
        ("I.C", "strong facilitator"), ("V.F", "strong facilitator")]
    assert [s.label for s in model.strategies] == ["Change record systems", "Access new funding",
                                                   "Identify and prepare champions"]
    assert all(not s.is_local for s in model.strategies)
    # Without measured outcomes, adoption and penetration are there, unmeasured.
    assert [(o.name, o.measure) for o in model.outcomes] == [("Adoption", "not yet measured"),
                                                             ("Penetration", "not yet measured")]
    assert [link.number for link in model.links] == [1, 2, 3, 4]
    assert model.links[0].steps == (("D1",), ("S1",), ("M1",), ("O1", "O2"))


def test_draft_fills_with_weak_ones_and_ignores_mixed():
    model = draft_from_summary(summary_frame(), n_barriers=5, n_facilitators=5)
    assert [d.construct for d in model.determinants] == ["III.A.2", "I.H", "III.J", "I.C", "V.F", "IV.R.A"]


def test_draft_with_measured_outcomes_dict_and_frame():
    outcomes = {"Adoption": 90.6, "Penetration": {"value": 37.5, "label": "teams trained"},
                "Patient-centredness": "care plans quote goals", "Quality of life (ReQoL-10)": "mean change +4.1"}
    model = draft_from_summary(summary_frame(), outcomes=outcomes)
    assert [(o.type, o.name, o.measure) for o in model.outcomes] == [
        ("implementation", "Adoption", "91%"), ("implementation", "Penetration", "38%"),
        ("service", "Patient-centeredness", "care plans quote goals"),
        ("clinical", "Quality of life (ReQoL-10)", "mean change +4.1")]
    frame = implementation_outcomes(board_teams())
    model2 = draft_from_summary(summary_frame(), outcomes=frame)
    assert model2.outcomes[0].measure == "29 of 32 teams (91%)"


def test_draft_round_trips_through_yaml(tmp_path):
    model = draft_from_summary(summary_frame(), outcomes=implementation_outcomes(board_teams()))
    path = write_logic_model(model, tmp_path / "draft.yaml")
    assert read_logic_model(path) == model
    assert "Drafted by cscs-eval" in path.read_text(encoding="utf-8")


def test_draft_from_sample_cfir_summary():
    from cscs_eval.cfir import load_coding

    folder = resolve_path("data/sample/cfir")
    coding = load_coding(sorted((folder / "notes").glob("*")), aliases=folder / "aliases.yaml",
                         case_ratings=folder / "case_ratings.csv")
    model = draft_from_summary(coding.summary())
    barriers = [d for d in model.determinants if d.valence == "barrier"]
    assert len(barriers) == 3 and "III.A.2" in {d.construct for d in barriers}


@pytest.mark.parametrize("change, message", [
    ({"classification": "very strong"}, "classification 'very strong' is not one of strong facilitator"),
    ({"construct_id": "III.A.2"}, "construct_id 'III.A.2' appears twice"),
])
def test_bad_summary(tmp_path, change, message):
    df = summary_frame()
    for column, value in change.items():
        df.loc[2, column] = value
    path = tmp_path / "summary.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        draft_from_summary(path)
    assert message in str(info.value) and info.value.row == 4


def test_summary_without_barriers_or_facilitators_and_bad_options():
    only_mixed = summary_frame().assign(classification="mixed")
    with pytest.raises(InputError, match="no construct classified as a barrier or a facilitator"):
        draft_from_summary(only_mixed)
    with pytest.raises(InputError, match="lacks column"):
        draft_from_summary(summary_frame().drop(columns="classification"))
    with pytest.raises(UsageError, match="n_barriers must be a whole number from 0, got -1"):
        draft_from_summary(summary_frame(), n_barriers=-1)
    with pytest.raises(InputError, match="not one of the service outcomes"):
        draft_from_summary(summary_frame(), outcomes=pd.DataFrame({"outcome": ["Speed"], "type": ["service"],
                                                                   "value": [1.0]}))


def test_draft_yaml_is_editable_text():
    text = to_yaml(draft_from_summary(summary_frame()))
    data = yaml.safe_load(text)
    assert set(data) == {"title", "description", "determinants", "strategies", "mechanisms", "outcomes", "links"}
    assert data["determinants"][0] == {"id": "D1", "construct": "III.A.2",
                                       "label": "Information Technology Infrastructure",
                                       "valence": "strong barrier",
                                       "note": "From the CFIR summary: 4 case(s), 9 excerpt(s), mean rating -2.0"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogicModel.from_dict(data)


def test_a_frame_read_elsewhere_names_its_file_and_rows():
    df = board_teams()
    df.loc[1, "engaged_date"] = "31/02/2024"
    with pytest.raises(InputError) as info:
        implementation_outcomes(df, file="teams.xlsx")
    # the file a user opens has its header on row 1: the second team is row 3
    assert (info.value.file, info.value.row, info.value.column) == ("teams.xlsx", 3, "engaged_date")
    with pytest.raises(InputError) as info:
        implementation_outcomes(df)
    assert (info.value.file, info.value.row) == (None, 2)  # no file: the frame's own 1-based position
    bad = summary_frame()
    bad.loc[2, "classification"] = "very strong"
    with pytest.raises(InputError) as info:
        draft_from_summary(bad, file="summary.csv")
    assert (info.value.file, info.value.row) == ("summary.csv", 4)


def test_bad_options_are_usage_errors():
    with pytest.raises(UsageError, match="outcomes must be a DataFrame or a dict, got list"):
        draft_from_summary(summary_frame(), outcomes=["Adoption"])
