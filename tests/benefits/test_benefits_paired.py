"""Paired PROMs as benefit data: IMD quintiles, per-referral paired flags, per-team counts."""

import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval import proms
from cscs_eval.benefits import (funnel, imd_quintile, imd_quintiles, paired_changes, paired_counts,
                                paired_referrals, slope_index)
from cscs_eval.errors import InputError, UsageError
from cscs_eval.io import resolve_path


@pytest.fixture(scope="module")
def outcomes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return proms.outcomes(resolve_path("data/sample/proms.csv"),
                              referrals=resolve_path("data/sample/referrals.csv"),
                              demographics=resolve_path("data/sample/demographics.csv"), drop_invalid=True)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.integers(1, 10), st.none()), max_size=30), st.booleans())
def test_imd_quintiles_match_the_scalar_rule(deciles, as_text):
    values = [None if d is None else (str(d) if as_text else d) for d in deciles]
    got = imd_quintiles(values)
    assert str(got.dtype) == "Int64" and len(got) == len(values)
    for d, q in zip(deciles, got):
        assert (pd.isna(q) if d is None else q == imd_quintile(d))


def test_imd_quintiles_keep_the_index_and_treat_blank_as_missing():
    got = imd_quintiles(pd.Series(["3", " ", "10"], index=[7, 8, 9], name="imd_decile"))
    assert got.index.tolist() == [7, 8, 9] and got.isna().tolist() == [False, True, False]
    assert got.name == "imd_decile" and got.iloc[2] == 5


@pytest.mark.parametrize("bad", ["11", "0", "2.5", "ten", -1])
def test_imd_quintiles_reject_what_is_not_a_decile(bad):
    with pytest.raises(InputError, match=r"an IMD decile runs from 1 to 10; got .* \(1 such value"):
        imd_quintiles(["1", bad])


def test_paired_referrals_on_the_sample(outcomes):
    ref = paired_referrals(outcomes)
    table = outcomes.referrals
    eligible = table[table["eligible"].astype(bool)]
    assert len(ref) == len(eligible) and ref["referral_id"].is_unique
    paired_ids = set(outcomes.table.loc[outcomes.table["paired"].fillna(False).astype(bool), "referral_id"])
    # the numerator: eligible referrals with any paired unit of change, counted by hand
    assert ref["paired"].sum() == len(set(eligible["referral_id"]) & paired_ids)
    assert ref["paired"].isin([0, 1]).all()
    assert (ref["imd_quintile"] == (ref["imd_decile"].astype(int) + 1) // 2).all()
    everyone = paired_referrals(outcomes, eligible_only=False)
    assert len(everyone) == len(table) > len(ref)


def test_paired_referrals_need_the_referral_table(outcomes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare = proms.outcomes(resolve_path("data/sample/proms.csv"), drop_invalid=True)
    with pytest.raises(InputError, match="no referral table: run cscs_eval.proms.outcomes with referrals="):
        paired_referrals(bare)


def test_paired_counts_feed_the_funnel(outcomes):
    ref = paired_referrals(outcomes)
    counts = paired_counts(ref, by="team")
    assert counts.columns.tolist() == ["team", "numerator", "denominator"]
    assert counts["numerator"].sum() == ref["paired"].sum() and counts["denominator"].sum() == len(ref)
    north = counts.set_index("team").loc["Northcliffe CMHT"]
    assert (north["numerator"], north["denominator"]) == (1, 80)  # the sample's team with one paired referral
    r = funnel(counts, by="team")
    assert round(100 * r.target, 1) == 22.0 and len(r.table) == 32


def test_paired_counts_bad_input():
    df = pd.DataFrame({"team": ["A", "B"], "paired": [1, 2]})
    with pytest.raises(InputError, match="'paired' must be 0 or 1"):
        paired_counts(df)
    with pytest.raises(UsageError, match="by column 'ward' not found"):
        paired_counts(df, by="ward")


def test_paired_changes(outcomes):
    reqol = paired_changes(outcomes.table, measure="reqol10", unit="total")
    assert (reqol["measure"] == "reqol10").all() and (reqol["unit"] == "total").all() and reqol["paired"].all()
    assert reqol["improved"].sum() == (reqol["category"] == "reliable improvement").sum()
    placed = paired_changes(outcomes.table, require_imd=True)
    assert placed["imd_quintile"].notna().all() and len(placed) <= len(reqol)
    with pytest.raises(InputError, match="no imd_decile"):
        paired_changes(outcomes.table.drop(columns=["imd_decile"]), require_imd=True)


def test_slope_index_drop_missing_counts_what_it_leaves_out():
    df = pd.DataFrame({"q": [1] * 10 + [2] * 10 + [None] * 3, "y": [1] * 2 + [0] * 8 + [1] * 4 + [0] * 6 + [1] * 3})
    with pytest.raises(InputError, match="3 row\\(s\\) have no q"):
        slope_index(df, by="q", outcome="y")
    r = slope_index(df, by="q", outcome="y", drop_missing=True)
    assert r.n_dropped == 3 and round(r.sii, 6) == 0.4  # the same as the hand-worked two-group example
    assert slope_index(df.dropna(), by="q", outcome="y").n_dropped == 0
