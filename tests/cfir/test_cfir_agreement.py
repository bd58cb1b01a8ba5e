"""Coder agreement, checked against statsmodels, the krippendorff package and hand-worked values."""

from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from statsmodels.stats.inter_rater import cohens_kappa

from cscs_eval.cfir import (agreement, case_agreement, cohen_kappa, disagreements, krippendorff_alpha_ordinal,
                            load_coding, weighted_kappa)
from cscs_eval.errors import InputError, UsageError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "cfir"
LEVELS = [-2, -1, 0, 1, 2]


def test_kappa_hand_worked():
    # table [[20, 5], [10, 15]]: po 0.70, pe 0.50 -> kappa 0.40 (tests/reference/cfir/README.md)
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.40)


def table5(a, b):
    t = np.zeros((5, 5))
    for x, y in zip(a, b):
        t[int(x) + 2, int(y) + 2] += 1
    return t


ratings = st.lists(st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), min_size=3, max_size=60)


@settings(max_examples=80, deadline=None)
@given(ratings)
def test_kappas_match_statsmodels(pairs):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    t = table5(a, b)
    ours_w = weighted_kappa(a, b)
    ours = cohen_kappa(a, b, levels=LEVELS)
    with np.errstate(all="ignore"):
        sm_w = cohens_kappa(t, wt="linear").kappa
        sm = cohens_kappa(t).kappa
    if np.isnan(sm_w) or np.isinf(sm_w):
        assert np.isnan(ours_w)
    else:
        assert ours_w == pytest.approx(sm_w, abs=1e-9)
    if np.isnan(sm) or np.isinf(sm):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(sm, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(ratings)
def test_alpha_matches_krippendorff_package(pairs):
    a = [float(p[0]) for p in pairs]
    b = [float(p[1]) for p in pairs]
    ours = krippendorff_alpha_ordinal(list(zip(a, b)))
    if len(set(a) | set(b)) < 2:
        assert np.isnan(ours)
        return
    ref = krippendorff.alpha(reliability_data=[a, b], level_of_measurement="ordinal", value_domain=LEVELS)
    assert ours == pytest.approx(ref, abs=1e-9)


def test_alpha_with_missing_values_and_three_coders_matches_package():
    rng = np.random.default_rng(7)
    data = rng.choice(LEVELS, size=(3, 40)).astype(float)
    data[rng.random((3, 40)) < 0.2] = np.nan
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal", value_domain=LEVELS)
    assert krippendorff_alpha_ordinal(data.T.tolist()) == pytest.approx(ref, abs=1e-9)


def sheet(rows, coder):
    df = pd.DataFrame(rows, columns=["excerpt_id", "construct", "rating"])
    df["case"] = df["excerpt_id"].str[0]
    df["source"] = "s"
    df["excerpt"] = "text " + df["excerpt_id"]
    df["coder"] = coder
    return df


def test_agreement_table_hand_worked(tmp_path):
    a = sheet([("A1", "I.F", "+1"), ("A2", "I.F", "-1"), ("A3", "I.H", "-2"), ("B1", "I.F", "+2"),
               ("B9", "I.H", "+1")], "a")
    b = sheet([("A1", "I.F", "+1"), ("A2", "I.F", "-2"), ("A3", "I.F", "0"), ("B1", "I.H", "+2")], "b")
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    t = agreement(tmp_path / "a.csv", tmp_path / "b.csv").set_index("construct_id")
    assert list(t.columns[:5]) == ["n_excerpts", "percent_agreement", "kappa", "weighted_kappa", "krippendorff_alpha"]
    assert t.index[-1] == "overall"
    # shared excerpts: A1, A2, A3, B1 (B9 only in A's file is not compared)
    # I.F presence A: 1,1,0,1  B: 1,1,1,0 -> agree 2/4
    assert t.loc["I.F", "n_excerpts"] == 4 and t.loc["I.F", "percent_agreement"] == 0.5
    # I.F kappa: table [[0,1],[1,2]] -> po .5, pe (1*1+3*3)/16 = .625 -> (.5-.625)/.375 = -1/3
    assert t.loc["I.F", "kappa"] == pytest.approx(-1 / 3)
    # I.H presence A: 0,0,1,0  B: 0,0,0,1 -> agree 2/4
    assert t.loc["I.H", "percent_agreement"] == 0.5
    assert t.loc["overall", "n_excerpts"] == 4 and t.loc["overall", "percent_agreement"] == 0.5
    # pooled kappa (De Vries et al. 2008, Field Methods 20:272): I.F po .5, pe .75*.75 + .25*.25 = .625;
    # I.H po .5, pe .25*.25 + .75*.75 = .625 -> (.5 - .625) / (1 - .625) = -1/3. (A kappa of the pooled
    # 2 x 2 table would give 0 here: its margins are 4/8 for both coders.)
    assert t.loc["overall", "kappa"] == pytest.approx(-1 / 3)
    # ratings both coded: I.F on A1 (+1,+1), A2 (-1,-2) -> n_rated 2
    assert t.loc["I.F", "n_rated"] == 2 and t.loc["overall", "n_rated"] == 2
    d = disagreements(tmp_path / "a.csv", tmp_path / "b.csv")
    assert sorted(d["difference"].tolist()) == ["only coder A", "only coder A", "only coder B", "only coder B",
                                                "rating"]


def test_sample_agreement_matches_statsmodels_overall():
    al = SAMPLE / "aliases.yaml"
    a = load_coding(SAMPLE / "notes", aliases=al).table
    b = load_coding(SAMPLE / "second_coder.csv", aliases=al).table
    t = agreement(a, b).set_index("construct_id")
    shared = sorted(set(a["excerpt_id"]) & set(b["excerpt_id"]))
    assert t.loc["overall", "n_excerpts"] == len(shared) == 21
    m = a[a["excerpt_id"].isin(shared)].merge(b, on=["excerpt_id", "construct_id"], suffixes=("_a", "_b"))
    m = m.dropna(subset=["rating_value_a", "rating_value_b"])
    with np.errstate(all="ignore"):
        ref = cohens_kappa(table5(m["rating_value_a"], m["rating_value_b"]), wt="linear").kappa
    assert t.loc["overall", "weighted_kappa"] == pytest.approx(ref)
    ref_alpha = krippendorff.alpha(reliability_data=[m["rating_value_a"].tolist(), m["rating_value_b"].tolist()],
                                   level_of_measurement="ordinal", value_domain=LEVELS)
    assert t.loc["overall", "krippendorff_alpha"] == pytest.approx(ref_alpha)
    c = case_agreement(a, b)
    assert c["construct_id"].iloc[-1] == "overall" and 0 <= c["percent_agreement"].iloc[-1] <= 1


def test_no_shared_excerpts_is_an_error():
    a = sheet([("A1", "I.F", "+1")], "a")
    b = sheet([("B1", "I.F", "+1")], "b")
    with pytest.raises(InputError, match="share no excerpt"):
        agreement(load_coding(a), load_coding(b))


def test_case_agreement_uses_only_the_shared_excerpts():
    # coder A also coded A9, which coder B never saw. On all of A's excerpts A's case rating of I.F in case A
    # would be mean(+2, +1, -2) = 0.33 with both signs -> X (no numeric pair with B); on the shared excerpts
    # A1, A2 it is mean(+2, +1) = 1.5 -> +2, the same as B's.
    a = load_coding(sheet([("A1", "I.F", "+2"), ("A2", "I.F", "+1"), ("A9", "I.F", "-2"),
                                 ("B1", "I.H", "+1")], "a"))
    b = load_coding(sheet([("A1", "I.F", "+2"), ("A2", "I.F", "+1"), ("B1", "I.H", "-1")], "b"))
    c = case_agreement(a, b).set_index("construct_id")
    assert c.loc["I.F", "n_cases"] == 1 and c.loc["I.F", "percent_agreement"] == 1.0
    assert c.loc["I.H", "n_cases"] == 1 and c.loc["I.H", "percent_agreement"] == 0.0
    assert c.loc["overall", "n_cases"] == 2 and c.loc["overall", "percent_agreement"] == 0.5


def test_agreement_cli_columns_are_designs(tmp_path, capsys):
    from cscs_eval.cli import main

    out = tmp_path / "agreement.csv"
    code = main(["cfir", "agreement", str(SAMPLE / "notes"), str(SAMPLE / "second_coder.csv"), "--aliases",
                 str(SAMPLE / "aliases.yaml"), "--out", str(out)])
    assert code == 0
    df = pd.read_csv(out)
    assert list(df.columns[:6]) == ["construct_id", "n_excerpts", "percent_agreement", "kappa", "weighted_kappa",
                                    "krippendorff_alpha"]
    assert df["construct_id"].iloc[-1] == "overall" and (df["construct_id"] == "overall").sum() == 1
    stats = df[["percent_agreement", "kappa", "weighted_kappa", "krippendorff_alpha"]].to_numpy(dtype=float).ravel()
    stats = stats[~np.isnan(stats)]
    assert ((stats >= -1) & (stats <= 1)).all()  # 0-1 scale, not percent (chance-corrected may go below 0)
    assert df.set_index("construct_id").loc["overall", "percent_agreement"] <= 1


def test_excerpts_without_ids_match_by_case_source_and_text():
    # DESIGN.md: matched by excerpt_id, or by case, source and excerpt text where there is no id
    a = load_coding(sheet([("A1", "I.F", "+1"), ("A2", "I.H", "-1")], "a"))
    b_sheet = sheet([("A1", "I.F", "+1"), ("A2", "I.H", "-2")], "b").drop(columns="excerpt_id")
    b_sheet["excerpt"] = ["Text  A1", "text a2"]  # spacing and case do not matter
    t = agreement(a, load_coding(b_sheet)).set_index("construct_id")
    assert t.loc["overall", "n_excerpts"] == 2 and t.loc["overall", "percent_agreement"] == 1.0
    d = disagreements(a, load_coding(b_sheet))
    assert d["difference"].tolist() == ["rating"] and d["rating_b"].tolist() == ["-2"]


codes = st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3", "B1", "B2"]), st.sampled_from(["I.F", "I.H", "V.D"]),
                           st.sampled_from(["+2", "+1", "0", "-1", "-2", "X"])),
                 min_size=1, max_size=12, unique_by=lambda t: (t[0], t[1]))


@settings(max_examples=40, deadline=None)
@given(codes, codes)
def test_agreement_is_symmetric_and_perfect_with_itself(rows_a, rows_b):
    a = load_coding(sheet(rows_a, "a")).table
    b = load_coding(sheet(rows_b, "b")).table
    same = agreement(a, a)
    assert (same["percent_agreement"] == 1.0).all()
    assert ((same["kappa"] == 1.0) | same["kappa"].isna()).all()
    assert ((same["weighted_kappa"] == 1.0) | same["weighted_kappa"].isna()).all()
    if not set(a["excerpt_id"]) & set(b["excerpt_id"]):
        return
    ab = agreement(a, b).set_index("construct_id")
    ba = agreement(b, a).set_index("construct_id")
    cols = ["n_excerpts", "percent_agreement", "kappa", "weighted_kappa", "krippendorff_alpha", "n_rated"]
    pd.testing.assert_frame_equal(ab[cols], ba.loc[ab.index, cols])
    values = ab[["percent_agreement", "kappa", "weighted_kappa", "krippendorff_alpha"]].to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    assert ((values >= -1 - 1e-9) & (values <= 1 + 1e-9)).all()


def test_kappa_inputs_that_cannot_work_are_usage_errors():
    with pytest.raises(UsageError, match="the same number; got 3 and 2"):
        cohen_kappa([1, 0, 1], [1, 0])
    with pytest.raises(UsageError, match="ratings must be among levels -2.0, -1.0, 0.0, 1.0, 2.0; got 3"):
        weighted_kappa([2, 3], [2, 2])
    with pytest.raises(UsageError, match="ratings must be among levels"):
        krippendorff_alpha_ordinal([(2, 3)])
    with pytest.raises(UsageError, match="coder_b must be a Coding, a coding table or the path"):
        agreement(pd.DataFrame(), 42)


def test_one_rated_pair_gives_no_weighted_kappa_or_alpha():
    # One pair: chance agreement from its own margins equals the observed table, so weighted kappa is
    # 1 - 2/2 = 0 and alpha 1 - (2 - 1) * 1 / 1 = 0 whatever the two ratings: blank, not 0.000.
    assert np.isnan(weighted_kappa([1], [-1])) and np.isnan(krippendorff_alpha_ordinal([(1, -1)]))
    # from two pairs on it is a statistic again, as statsmodels and the krippendorff package compute it
    a, b = [1, 2], [1, -1]
    with np.errstate(all="ignore"):
        ref = cohens_kappa(table5(a, b), wt="linear").kappa
    assert weighted_kappa(a, b) == pytest.approx(ref)
    ref = krippendorff.alpha(reliability_data=[[1.0, 2.0], [1.0, -1.0]], level_of_measurement="ordinal",
                             value_domain=LEVELS)
    assert krippendorff_alpha_ordinal([(1.0, 1.0), (2.0, -1.0)]) == pytest.approx(ref)


ONE_PAIR_A = ("case,source,excerpt,construct,rating\nA,s1,Forms are slow.,Innovation Complexity,-1\n"
              "A,s1,Staff like it.,Engaging,+2\nA,s1,Money is short.,Available Resources,-2\n")
ONE_PAIR_B = ONE_PAIR_A.replace("Complexity,-1", "Complexity,+1").replace("Resources,-2", "Resources,-1")


def test_one_rated_pair_prints_blank_with_the_reason(tmp_path, capsys):
    from cscs_eval.cli import main

    (tmp_path / "a.csv").write_text(ONE_PAIR_A)
    (tmp_path / "b.csv").write_text(ONE_PAIR_B)
    t = agreement(load_coding(tmp_path / "a.csv"), load_coding(tmp_path / "b.csv")).set_index("construct_id")
    assert t.loc[["I.F", "III.J", "V.F"], ["weighted_kappa", "krippendorff_alpha"]].isna().all().all()
    assert t.loc["overall", "n_rated"] == 3 and t.loc["overall", "weighted_kappa"] == pytest.approx(0.471, abs=5e-4)
    assert main(["cfir", "agreement", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]) == 0
    out, err = capsys.readouterr()
    assert "0.000" not in out and "NaN" not in out
    assert err.strip() == ("Weighted kappa and alpha are blank for I.F, III.J, V.F (only one "
                                            "rating was compared, and chance agreement from a single pair makes the "
                                            "statistic 0 whatever the ratings).")


def test_report_sentence_says_why_rating_agreement_is_missing():
    from cscs_eval.cfir import CodingReport

    said = CodingReport._rating_agreement(1, float("nan"), float("nan"))
    assert said == ("On the 1 rating both gave, weighted kappa and Krippendorff's alpha are not reported: only one "
                    "rating was compared, and chance agreement from a single pair makes the statistic 0 whatever the "
                    "ratings.")
    assert CodingReport._rating_agreement(12, 0.4567, 0.5).startswith("On the 12 ratings both gave, weighted kappa "
                                                                      "was **0.46**")
