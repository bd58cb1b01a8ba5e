"""protect(): hand-worked small tables, with the arithmetic an attacker would do in the comments."""

import pandas as pd
import pytest

from cscs_eval.errors import InputError
from cscs_eval.governance import (NOT_FOR_PUBLICATION, PROTECTED_NOTE, SECONDARY_NOTE, SUPPRESSION_NOTE, GroupTotal,
                                  Parts, Rate, TableStructure, audit, primary_suppression, protect)

CATS = ("improved", "no_change", "deteriorated")
SHARES = TableStructure(
    "t", key=("team",), counts=("paired", *CATS), latent=CATS, parts=(Parts("paired", CATS),),
    rates=tuple(Rate(f"{c}_pct", c, "paired") for c in CATS))


def test_rounded_shares_that_narrow_their_total_get_a_complement():
    # 12 paired = 8 improved + 4 no change + 0 deteriorated. Published from rounded counts: paired 10
    # (8-12), improved 10/10 = 100.0% (so improved rounds to 10: 8-12), no change * (1-4), 0.0%.
    # paired = improved + no change >= 8 + 1 = 9 rules out 8; improved = paired - no change <= 11
    # rules out 12. Hiding improved's share (the smallest shown part, 8) leaves paired = improved +
    # no change with both hidden: anything from 8 to 12 again.
    truth = pd.DataFrame({"team": ["X"], "paired": [12], "improved": [8], "no_change": [4], "deteriorated": [0]})
    unlinked = protect(truth, SHARES.replace(parts=()))   # without the sum, nothing links them
    assert unlinked.table.iloc[0].tolist() == ["X", 10, 100.0, "*", 0.0]
    out = protect(truth, SHARES)
    assert out.table.iloc[0].tolist() == ["X", 10, "*", "*", 0.0]
    assert out.reasons.iloc[0].tolist() == ["", "", "secondary", "small", ""]
    assert out.structure.secondary and out.note == SECONDARY_NOTE
    assert audit(out).empty


def test_a_small_total_split_into_small_parts():
    # All teams 4 = A 2 + B 2 (+ C 0): all three are *. Read as 1 to 4 each, A = 4 - B <= 3 and
    # All = A + B >= 2: both narrower than 1-4. Hiding the zero as well says a * may be any number,
    # after which A = All - B - C can again be anything.
    s = TableStructure("g", key=("team",), counts=("paired",), group_total=GroupTotal("team", "All teams"))
    truth = pd.DataFrame({"team": ["A", "B", "C", "All teams"], "paired": [2, 2, 0, 4]})
    leaks = audit(primary_suppression(truth, s))
    assert sorted(leaks["row"]) == ["team=A", "team=All teams", "team=B"]
    assert leaks.set_index("row").loc["team=A", ["low", "high"]].tolist() == [1, 3]
    out = protect(truth, s)
    assert out.table["paired"].tolist() == ["*", "*", "*", "*"]
    assert out.reasons["paired"].tolist() == ["small", "small", "secondary", "small"]
    assert audit(out).empty


def test_nothing_to_hide_needs_no_complement():
    # 40 paired = 20 + 15 + 5: every share is shown from rounded counts (20/40 = 50.0%, 15/40 = 37.5%,
    # 5/40 = 12.5%); improved + no change + deteriorated = 40 fits every paired count 38-42.
    truth = pd.DataFrame({"team": ["Y"], "paired": [40], "improved": [20], "no_change": [15], "deteriorated": [5]})
    out = protect(truth, SHARES)
    assert out.table.iloc[0].tolist() == ["Y", 40, 50.0, 37.5, 12.5]
    assert not out.mask.to_numpy().any()
    assert out.note == PROTECTED_NOTE and not out.structure.secondary
    assert audit(out).empty


def test_suppress_false_returns_the_table_unchanged_and_says_so():
    truth = pd.DataFrame({"team": ["X"], "paired": [3], "improved": [1], "no_change": [2], "deteriorated": [0]})
    out = protect(truth, SHARES, suppress=False)
    pd.testing.assert_frame_equal(out.table, truth)
    assert out.note == NOT_FOR_PUBLICATION == "Not for publication: small numbers shown"
    assert not out.publishable and not out.structure.suppressed
    assert out.table is not truth
    leaks = audit(out)
    assert "not for publication" in " ".join(leaks["why"])


def test_inputs_are_never_modified_and_rates_never_come_from_exact_counts():
    truth = pd.DataFrame({"team": ["Z"], "paired": [23], "improved": [5], "no_change": [17], "deteriorated": [1],
                          "improved_pct": [100 * 5 / 23], "no_change_pct": [100 * 17 / 23],
                          "deteriorated_pct": [100 / 23]})
    before = truth.copy()
    out = protect(truth, SHARES)
    pd.testing.assert_frame_equal(truth, before)
    # 5 / 25 and 15 / 25, never 5 / 23 = 21.7 or 17 / 23 = 73.9
    assert out.table[["improved_pct", "no_change_pct"]].iloc[0].tolist() == [20.0, 60.0]


def test_a_count_that_is_not_a_count_is_a_clear_error():
    bad = pd.DataFrame({"team": ["X"], "paired": [2.5], "improved": [1], "no_change": [1], "deteriorated": [0]})
    with pytest.raises(InputError, match="whole number"):
        protect(bad, SHARES)
    with pytest.raises(InputError, match="count column 'improved' is missing"):
        protect(bad.assign(paired=[2]).drop(columns="improved"), SHARES)


def test_primary_suppression_is_the_old_rule():
    truth = pd.DataFrame({"team": ["X", "Y"], "paired": [3, 23], "improved": [1, 5], "no_change": [2, 17],
                          "deteriorated": [0, 1], "improved_pct": [100 / 3, 100 * 5 / 23],
                          "no_change_pct": [200 / 3, 100 * 17 / 23], "deteriorated_pct": [0.0, 100 / 23]})
    out = primary_suppression(truth, SHARES)
    assert out.table["paired"].tolist() == ["*", 25]
    assert out.table["improved_pct"].tolist() == ["*", 21.7]
    assert out.note == SUPPRESSION_NOTE
    assert all(r.basis == "exact" for r in out.structure.rates)


def test_total_rows_per_measure_and_a_breakdown_matched_by_measure():
    from cscs_eval.governance import Breakdown

    # Two measures, each with its own "All teams" row; a group table per measure breaks it down.
    teams = TableStructure("by_team", key=("measure", "team"), counts=("paired",),
                           group_total=GroupTotal("team", "All teams"))
    groups = TableStructure("by_group", key=("measure", "group"), counts=("paired",),
                            breakdowns=(Breakdown("by_team", row={"team": "All teams"}, counts=("paired",),
                                                  match=("measure",)),))
    t = pd.DataFrame({"measure": ["reqol10"] * 3 + ["dialog"] * 3, "team": ["A", "B", "All teams"] * 2,
                      "paired": [6, 3, 9, 20, 22, 42]})
    g = pd.DataFrame({"measure": ["reqol10"] * 2 + ["dialog"] * 2, "group": ["G1", "G2"] * 2,
                      "paired": [9, 0, 2, 40]})
    leaks = audit([primary_suppression(t, teams), primary_suppression(g, groups)])
    # reqol10: All = A + B <= 7 + 4 = 11 rules out 12, and G1 = All (G2 is 0) follows it.
    assert set(zip(leaks["table"], leaks["row"])) >= {("by_team", "measure=reqol10, team=All teams")}
    from cscs_eval.governance import protect_tables

    out = protect_tables([(t, teams), (g, groups)])
    assert audit(out).empty
    # dialog needs nothing: 20 + 20 = 40 fits; its G1 of 2 is * and G2 40 (38-42) keeps 1-4 open.
    assert out[0].table["paired"].tolist()[3:] == [20, 20, 40]


def test_missing_counts_and_empty_denominators():
    s = TableStructure("t", key=("team",), counts=("eligible", "paired"), rates=(Rate("paired_pct", "paired", "eligible"),))
    truth = pd.DataFrame({"team": ["A", "B", "C"], "eligible": [0, None, 30], "paired": [0, None, 12]})
    out = protect(truth, s)
    assert out.table["paired_pct"].tolist()[:2] == [None, None]      # nothing to divide by, or not known
    assert out.table["paired_pct"].tolist()[2] == 33.3                 # 10 / 30
    assert audit(out).empty


def test_docstring_examples():
    import doctest

    import cscs_eval.governance as governance
    from cscs_eval.governance import disclosure

    for module in (governance, disclosure):
        assert doctest.testmod(module).failed == 0
