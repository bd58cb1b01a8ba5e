"""ERIC strategies, outcome vocabularies and the drafter's suggestions, against published lists."""

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscs_eval.logic_model import eric_strategies, match_eric, outcome_definitions, outcome_names
from cscs_eval.logic_model._catalogue import DATA_DIR, close_eric_names, draft_suggestions, match_outcome, name_key

REF = Path(__file__).resolve().parents[1] / "reference" / "logic_model"


def _ref(name):
    with open(REF / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_73_strategies_in_9_clusters_with_published_sizes():
    df = eric_strategies()
    assert len(df) == 73
    assert df["strategy"].is_unique
    expected = {r["cluster"]: int(r["n_strategies"]) for r in _ref("eric_cluster_sizes.csv")}
    assert df.groupby("cluster").size().to_dict() == expected


def test_eric_ids_follow_alphabetical_order():
    df = eric_strategies()
    assert df["eric_id"].tolist() == list(range(1, 74))
    assert df["strategy"].tolist() == sorted(df["strategy"], key=str.lower)
    assert df.loc[df["eric_id"] == 1, "strategy"].item() == "Access new funding"


def test_csv_names_its_source():
    head = (DATA_DIR / "eric_strategies.csv").read_text(encoding="utf-8").splitlines()[:7]
    text = "\n".join(head)
    assert "Powell" in text and "10.1186/s13012-015-0209-1" in text
    assert any("Waltz" in line for line in head)


@pytest.mark.parametrize("typed, expected", [
    ("identify and prepare champions", "Identify and prepare champions"),
    ("Conduct Educational Meetings.", "Conduct educational meetings"),
    ("Develop and organise quality-monitoring systems", "Develop and organize quality monitoring systems"),
    ("recruit designate and train for leadership", "Recruit, designate, and train for leadership"),
    ("Involve patients / consumers & family members", "Involve patients/consumers and family members"),
    ("Purposely re-examine the implementation", "Purposely reexamine the implementation"),
])
def test_match_eric_ignores_case_punctuation_and_spelling(typed, expected):
    assert match_eric(typed)["strategy"] == expected


def test_match_eric_returns_cluster_and_rejects_others():
    m = match_eric("Conduct educational meetings")
    assert m == {"eric_id": 15, "strategy": "Conduct educational meetings", "cluster_id": 5,
                 "cluster": "Train and educate stakeholders"}
    assert match_eric("Weekly team huddles") is None
    assert match_eric("") is None
    assert close_eric_names("Conduct education meetings")[0] == "Conduct educational meetings"


@given(st.sampled_from(eric_strategies()["strategy"].tolist()), st.sampled_from([str.upper, str.lower, str.title]),
       st.sampled_from(["", ".", " ", "!"]))
def test_every_strategy_matches_itself_in_any_case(name, case, suffix):
    assert match_eric(case(name) + suffix)["strategy"] == name


def test_proctor_eight_and_iom_six():
    ref = _ref("proctor_outcomes.csv")
    assert outcome_names("implementation") == [r["name"] for r in ref if r["type"] == "implementation"]
    assert outcome_names("service") == [r["name"] for r in ref if r["type"] == "service"]
    assert len(outcome_names("implementation")) == 8 and len(outcome_names("service")) == 6
    defs = outcome_definitions()
    assert defs["definition"].str.len().gt(10).all()


def test_outcome_names_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of implementation, service, clinical, got 'other'"):
        outcome_names("other")


def test_match_outcome_aliases():
    assert match_outcome("Patient-centredness") == ("Patient-centeredness", "service")
    assert match_outcome("ADOPTION") == ("Adoption", "implementation")
    assert match_outcome("Adoption", "service") is None
    assert match_outcome("Quality of life") is None


def test_name_key():
    assert name_key("Organise, centralise!") == "organizecentralize"


def test_draft_suggestions_are_eric_strategies_and_cfir_ids():
    from cscs_eval.cfir import construct_info

    table = draft_suggestions()
    assert "default" in table
    for key, entry in table.items():
        if key != "default" and key not in ("I", "II", "III", "IV", "V"):
            construct_info(key)  # raises for an unknown CFIR 2.0 id
        for valence, suggestion in entry.items():
            assert valence in ("barrier", "facilitator")
            assert match_eric(suggestion["strategy"]) is not None, suggestion["strategy"]
            assert suggestion["mechanism"].strip()
    for domain in ("I", "II", "III", "IV", "V", "default"):
        assert set(table[domain]) == {"barrier", "facilitator"}
