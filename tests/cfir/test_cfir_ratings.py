"""Case ratings, classification, matrix, domain counts, distinguishing constructs and themes."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from cscs_eval.cfir import (CLASSIFICATIONS, RATING_VALUES, counts_by_domain, coverage, distinguishing_constructs,
                            matrix, rate_cases, summarise, themes_table)
from cscs_eval.errors import InputError, UsageError

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "cfir"


def coding(rows):
    """rows: (case, construct_id, rating) -> minimal tidy table."""
    df = pd.DataFrame(rows, columns=["case", "construct_id", "rating"])
    df["rating_value"] = df["rating"].map(RATING_VALUES).astype("float64")
    df["excerpt"] = "text"
    df["theme"] = pd.NA
    return df


@pytest.mark.parametrize("ratings,expected", [
    # hand-worked with the rule in ratings.py / rules.yaml
    (["+2", "+2"], "+2"),            # mean 2 -> strong
    (["+2", "+1"], "+2"),            # mean 1.5 -> strong (>= 1.5)
    (["+1", "+1", "+2"], "+1"),      # mean 1.33 -> weak
    (["-1", "-2"], "-2"),            # mean -1.5 -> strong barrier
    (["+2", "-2"], "X"),             # both ways, mean 0 -> mixed
    (["+2", "+2", "-1"], "+1"),      # both ways, mean 1 -> net weak facilitator
    (["0", "0"], "0"),               # neutral
    (["X", "X", "+2"], "X"),         # two thirds mixed -> X
    (["X", "+2", "+2"], "+2"),       # one third mixed -> rating of the rest
    (["M", "M"], "M"),               # nothing rated
    (["M", "-1"], "-1"),             # M ignored
])
def test_case_rule(ratings, expected):
    c = coding([("A", "I.F", r) for r in ratings])
    assert rate_cases(c)["rating"].tolist() == [expected]


def test_case_ratings_file_overrides_and_adds():
    c = coding([("A", "I.F", "+2"), ("B", "I.F", "-1")])
    cr = pd.DataFrame({"case": ["A", "B"], "construct": ["Complexity", "Cost"], "rating": ["X", "-2"],
                       "rationale": ["memo says mixed", "memo only"]})
    out = rate_cases(c, case_ratings=cr).set_index(["case", "construct_id"])
    assert out.loc[("A", "I.F"), "rating"] == "X" and out.loc[("A", "I.F"), "basis"] == "case rating"
    assert out.loc[("B", "I.F"), "rating"] == "-1" and out.loc[("B", "I.F"), "basis"] == "excerpts"
    assert out.loc[("B", "I.H"), "rating"] == "-2" and out.loc[("B", "I.H"), "n_excerpts"] == 0


@pytest.mark.parametrize("case_values,expected", [
    (["+2", "+2"], "strong facilitator"), (["+2", "+1"], "strong facilitator"),   # mean 1.5
    (["+1", "+1"], "weak facilitator"), (["+1", "0"], "weak facilitator"),        # mean 0.5
    (["+1", "-1"], "mixed"), (["0"], "mixed"), (["X"], "mixed"), (["X", "+2"], "strong facilitator"),
    (["-1", "0"], "weak barrier"), (["-2", "-1"], "strong barrier"), (["M"], "insufficient data"),
])
def test_classification_thresholds(case_values, expected):
    c = coding([(f"case{i}", "III.J", r) for i, r in enumerate(case_values)])
    s = summarise(c)
    assert s.loc[0, "classification"] == expected
    assert s.loc[0, "n_cases"] == len(case_values)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["+2", "+1", "0", "-1", "-2", "X", "M"]), min_size=1, max_size=30),
       st.integers(1, 6))
def test_summary_invariants(ratings, n_cases):
    rows = [(f"c{i % n_cases}", "V.F", r) for i, r in enumerate(ratings)]
    c = coding(rows)
    s = summarise(c).iloc[0]
    assert s["classification"] in CLASSIFICATIONS
    assert s["n_excerpts"] == len(ratings)
    m = s["mean_rating"]
    if not np.isnan(m):
        assert -2 <= m <= 2
        expect = ("strong facilitator" if m >= 1.5 else "weak facilitator" if m >= 0.5 else
                  "strong barrier" if m <= -1.5 else "weak barrier" if m <= -0.5 else "mixed")
        assert s["classification"] == expect
    else:
        assert s["classification"] in ("mixed", "insufficient data")


def test_matrix_and_domain_counts():
    c = coding([("A", "I.F", "-2"), ("B", "I.F", "+1"), ("A", "III.J", "X"), ("B", "V.G", "+2")])
    c["domain"] = c["construct_id"].map({"I.F": "Innovation", "III.J": "Inner Setting", "V.G": "Implementation Process"})
    m = matrix(c)
    assert m.columns.tolist() == ["construct_id", "construct", "domain", "A", "B"]
    assert m.set_index("construct_id").loc["I.F", ["A", "B"]].tolist() == ["-2", "+1"]
    assert m.set_index("construct_id").loc["V.G", "A"] == "M"
    d = counts_by_domain(summarise(c)).set_index("domain")
    assert d.equals(counts_by_domain(c).set_index("domain"))  # a coding is summarised first
    assert d.index.tolist() == ["Innovation", "Outer Setting", "Inner Setting", "Individuals",
                                "Implementation Process"]
    assert d.loc["Innovation", "n_excerpts"] == 2 and d.loc["Inner Setting", "mixed"] == 1
    assert d.loc["Implementation Process", "strong facilitator"] == 1 and d.loc["Outer Setting"].sum() == 0
    cov = coverage(c).set_index("case")
    assert cov.loc["A", "total"] == 2 and cov.loc["B", "Implementation Process"] == 1


def test_distinguishing_constructs_hand_worked():
    c = coding([
        ("H1", "V.F", "+2"), ("H2", "V.F", "+2"), ("L1", "V.F", "-1"), ("L2", "V.F", "0"),   # diff 2.5, no overlap
        ("H1", "I.F", "+1"), ("H2", "I.F", "0"), ("L1", "I.F", "-1"), ("L2", "I.F", "0"),    # diff 1.0
        ("H1", "I.H", "-1"), ("L1", "I.H", "-1"),                                            # diff 0
        ("H1", "II.E", "+2"),                                                                # low group unrated
    ])
    groups = {"H1": "high", "H2": "high", "L1": "low", "L2": "low"}
    d = distinguishing_constructs(c, groups=groups).set_index("construct_id")
    assert d.loc["V.F", "distinguishing"] == "strongly distinguishing" and d.loc["V.F", "difference"] == 2.5
    assert d.loc["I.F", "distinguishing"] == "weakly distinguishing"
    assert d.loc["I.H", "distinguishing"] == "not distinguishing"
    assert d.loc["II.E", "distinguishing"] == "insufficient data"
    assert d.index[0] == "V.F"


def test_distinguishing_needs_every_case_grouped():
    c = coding([("H1", "V.F", "+2"), ("X1", "V.F", "+1")])
    with pytest.raises(InputError, match="without a group"):
        distinguishing_constructs(c, groups={"H1": "high"})
    with pytest.raises(UsageError, match="groups must be a mapping of case to group.*got list"):
        distinguishing_constructs(c, groups=["H1"])


def test_themes_from_column_and_from_mapping():
    c = coding([("A", "I.C", "+2"), ("A", "II.E", "+2"), ("B", "V.F.1", "+1")])
    c["theme"] = ["Characteristics", "Support", "Drivers"]
    t = themes_table(c).set_index("theme")
    assert t.loc["Support", "domains"] == "Outer Setting" and t.loc["Support", "constructs"] == "Policies & Laws"
    t2 = themes_table(c, themes={"Drivers": ["Engaging", "Relative Advantage"], "Support": ["NHS policy"]},
                      aliases={"NHS policy": "II.E"}).set_index("theme")
    assert t2.loc["Drivers", "domains"] == "Innovation; Implementation Process"
    assert t2.loc["Drivers", "constructs"] == "Innovation Relative Advantage; Engaging"
    assert t2.loc["Drivers", "n_excerpts"] == 2  # Engaging covers its subconstruct V.F.1


def test_distinguishing_reproduces_a_published_cfir_matrix():
    # J Med Internet Res 2015;17(11):e262 Table 2 (tests/reference/cfir/README.md): units 1-4 high, unit 5 low,
    # each construct labelled Strong, Weak or blank by the authors. The construct ids are placeholders (the
    # rule reads only the ratings); the table uses CFIR 1.0 names.
    from cscs_eval.cfir import codebook

    ref = pd.read_csv(REFERENCE / "jmir2015_table2.csv", dtype=str, keep_default_na=False)
    slots = codebook(levels=("construct", "subconstruct"))["id"].tolist()[:len(ref)]
    ref["construct_id"] = slots
    rows = [(f"unit{u}", cid, rating) for cid, *ratings in
            ref[["construct_id", "unit1", "unit2", "unit3", "unit4", "unit5"]].itertuples(index=False)
            for u, rating in enumerate(ratings, start=1)]
    groups = {"unit1": "high", "unit2": "high", "unit3": "high", "unit4": "high", "unit5": "low"}
    got = distinguishing_constructs(coding(rows), groups=groups).set_index("construct_id")["distinguishing"]
    got = got.reindex(slots, fill_value="insufficient data")  # a construct rated M everywhere has no row
    expected = ref.set_index("construct_id")["published"].map(
        {"Strong": "strongly distinguishing", "Weak": "weakly distinguishing"})
    for cid, name in zip(slots, ref["construct"]):
        if pd.isna(expected[cid]):
            assert got[cid] in ("not distinguishing", "insufficient data"), name
        else:
            assert got[cid] == expected[cid], name
    # the row that separates 'every high case 2 above every low case' from a mean difference of 2:
    # Knowledge and beliefs +2 +2 0 +2 vs -1 (means differ by 2.5, but unit 3 sits only 1 above) is Weak
    kb = slots[ref.index[ref["construct"].str.startswith("Knowledge")][0]]
    assert got[kb] == "weakly distinguishing"


def test_themes_from_a_table_file_and_a_bad_construct(tmp_path):
    c = coding([("A", "I.C", "+2"), ("A", "III.A.2", "-2"), ("B", "III.A.2", "-1")])
    table = tmp_path / "themes.csv"
    table.write_text("theme,construct\nContextual challenges,IT\nContextual challenges,Relative Advantage\n",
                     encoding="utf-8")
    t = themes_table(c, themes=table, aliases={"IT": "III.A.2"})
    assert t.to_dict("records") == [{"theme": "Contextual challenges", "domains": "Innovation; Inner Setting",
                                     "constructs": "Innovation Relative Advantage; Information Technology "
                                     "Infrastructure", "n_excerpts": 3}]
    table.write_text("theme,construct\nDrivers,Relatve Advantage\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        themes_table(c, themes=table)
    assert "theme 'Drivers'" in str(err.value) and "themes.csv" in str(err.value)


def test_pooling_two_coders_warns_and_one_coder_does_not():
    import warnings

    from cscs_eval.cfir import PooledCodersWarning
    from cscs_eval.errors import SuspiciousDataWarning

    c = coding([("A", "I.F", "+2"), ("A", "I.F", "+1"), ("B", "I.H", "-1")])
    c["excerpt_id"] = ["e1", "e1", "e2"]
    c["coder"] = ["ann", "bob", "ann"]
    with pytest.warns(PooledCodersWarning, match=r"1 excerpt\(s\) were coded by more than one coder \(ann, bob\)"):
        summarise(c)
    assert issubclass(PooledCodersWarning, SuspiciousDataWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summarise(c[c["coder"] == "ann"])
        matrix(c[c["coder"] == "ann"])


def test_bad_options_name_the_parameter_and_what_is_allowed():
    c = coding([("A", "I.F", "+2")])
    with pytest.raises(UsageError, match="by must be a column of the coding table such as 'case', got 'team'"):
        summarise(c, by="team")
    with pytest.raises(UsageError, match="values must be 'rating' or 'rating_value', got 'mean'"):
        matrix(c, values="mean")
    with pytest.raises(UsageError, match="coding must be a Coding .* or a coding table .*; got str"):
        summarise("notes.md")
    with pytest.raises(UsageError, match="case_ratings apply to a coding, not to a construct summary"):
        counts_by_domain(summarise(c), case_ratings=pd.DataFrame())
