"""The five attacks of issue 10 as fixed regression cases, on tables built here (not on the demo).

Each case: the table as the old primary rule published it, where the audit must find the attack, and
the same true counts through protect(), where it must find nothing.
"""

import pandas as pd

from cscs_eval.governance import (Breakdown, GroupTotal, Parts, Rate, TableStructure, audit, primary_suppression,
                                  protect, protect_tables)

CATS = ("improved", "no_change", "deteriorated")
SHARES = TableStructure(
    "proms_by_team", key=("team",), counts=("paired", *CATS), latent=CATS,
    parts=(Parts("paired", CATS),), rates=tuple(Rate(f"{c}_pct", c, "paired") for c in CATS))


def leak(leaks, row, column):
    """The leak listed for one cell (a Series), failing when there is none."""
    hit = leaks[(leaks["row"] == row) & (leaks["column"] == column)]
    assert len(hit), f"no leak found for {row} {column}:\n{leaks.to_string()}"
    return hit.iloc[0]


def test_attack_1_shares_summing_to_100_percent_give_the_hidden_share_back():
    # Birchfield ReQoL-10: 5 improved, 17 no change, 1 deteriorated of 23 paired.
    truth = pd.DataFrame({"team": ["Birchfield"], "paired": [23], "improved": [5], "no_change": [17],
                          "deteriorated": [1]})
    published = primary_suppression(truth.assign(improved_pct=100 * 5 / 23, no_change_pct=100 * 17 / 23,
                                                 deteriorated_pct=100 * 1 / 23), SHARES)
    assert published.table.iloc[0].tolist() == ["Birchfield", 25, 21.7, 73.9, "*"]
    leaks = audit(published)
    # paired is 23-27. 21.7% of n must be a whole number within 0.05 points: n=23 gives 4.99..5.00 -> 5;
    # n=24..27 give 5.20..5.86 with no whole number in reach. So n = 23, improved = 5, and 73.9% of 23
    # = 17.0 -> no change = 17; deteriorated = 23 - 5 - 17 = 1.
    d = leak(leaks, "team=Birchfield", "deteriorated")
    assert (d["low"], d["high"]) == (1, 1)
    p = leak(leaks, "team=Birchfield", "paired")
    assert (p["low"], p["high"]) == (23, 23)

    # The literal table of the issue, with paired shown as 23: the same recovery, and 23 unrounded.
    literal = pd.DataFrame({"team": ["Birchfield"], "paired": [23], "improved_pct": [21.7], "no_change_pct": [73.9],
                            "deteriorated_pct": ["*"]})
    exact_shares = SHARES.replace(rates=tuple(Rate(r.column, r.numerator, r.denominator, basis="exact")
                                              for r in SHARES.rates))
    leaks = audit((literal, exact_shares))
    assert leak(leaks, "team=Birchfield", "deteriorated")[["low", "high"]].tolist() == [1, 1]
    assert "not rounded" in leak(leaks, "team=Birchfield", "paired")["why"]

    protected = protect(truth, SHARES)
    # Shares from the rounded counts: 5/25 = 20.0%, 15/25 = 60.0%; deteriorated (1) withheld.
    assert protected.table.iloc[0].tolist() == ["Birchfield", 25, 20.0, 60.0, "*"]
    assert audit(protected).empty


def test_attack_2_a_rate_from_exact_counts_undoes_rounding():
    # Abbeydale: 98 eligible, 18 paired, shown as 100, 20 and 18.4%.
    s = TableStructure("paired_rate", key=("team",), counts=("eligible", "paired"),
                       rates=(Rate("paired_pct", "paired", "eligible"),))
    truth = pd.DataFrame({"team": ["Abbeydale"], "eligible": [98], "paired": [18]})
    published = primary_suppression(truth.assign(paired_pct=100 * 18 / 98), s)
    assert published.table.iloc[0].tolist() == ["Abbeydale", 100, 20, 18.4]
    leaks = audit(published)
    # 18.35 <= 100 p / e <= 18.45 with e in 98-102 and p in 18-22: p=18 needs e in 97.6-98.1 -> 98;
    # p=19 needs e in 103.0-103.5 (too big); p >= 20 needs e >= 108. Only 18/98 fits.
    assert leak(leaks, "team=Abbeydale", "eligible")[["low", "high"]].tolist() == [98, 98]
    assert leak(leaks, "team=Abbeydale", "paired")[["low", "high"]].tolist() == [18, 18]

    protected = protect(truth, s)
    assert protected.table.iloc[0].tolist() == ["Abbeydale", 100, 20, 20.0]   # 20 / 100
    assert protected.structure.rates[0].basis == "published"
    assert audit(protected).empty


def test_attack_3_a_group_table_beside_a_total_that_hides_it():
    # Queensway's report hides its paired count (3), but its ethnicity table shows 0 in every group
    # except one: all 3 paired referrals are in that group.
    teams = TableStructure("proms_by_team", key=("team",), counts=("eligible", "paired"),
                           rates=(Rate("paired_pct", "paired", "eligible"),))
    groups = TableStructure("queensway_by_ethnicity", key=("ethnicity",), counts=("paired",),
                            breakdowns=(Breakdown("proms_by_team", row={"team": "Queensway"},
                                                  counts={"paired": "paired"}),))
    team_truth = pd.DataFrame({"team": ["Queensway", "Abbeydale"], "eligible": [41, 98], "paired": [3, 18]})
    group_truth = pd.DataFrame({"ethnicity": ["White", "Asian", "Black", "Mixed", "Other"],
                                "paired": [3, 0, 0, 0, 0]})
    published = [primary_suppression(team_truth, teams), primary_suppression(group_truth, groups)]
    assert published[0].table["paired"].tolist() == ["*", 20]
    assert published[1].table["paired"].tolist() == ["*", 0, 0, 0, 0]
    leaks = audit(published)
    hit = leak(leaks, "ethnicity=White", "paired")
    assert hit["table"] == "queensway_by_ethnicity" and "wholly in this part" in hit["why"]

    protected = protect_tables([(team_truth, teams), (group_truth, groups)])
    # Another (zero) group is hidden too, so the 1 to 4 could be in either; the tables now say that
    # a * may hide other numbers.
    assert protected[1].table["paired"].tolist().count("*") >= 2
    assert protected[1].structure.secondary
    assert audit(protected).empty


def test_attack_4_a_count_of_4_shown_unsuppressed():
    # `proms summary` printed "validation: response not a whole number: 4" on stderr and the data
    # overview's "problems by reason" table showed 4: the same table, read from those lines.
    stderr = "validation: response not a whole number: 4\nvalidation: duplicate assessment: 12\n"
    rows = [line.removeprefix("validation: ").rsplit(": ", 1) for line in stderr.splitlines()]
    shown = pd.DataFrame(rows, columns=["reason", "rows"]).assign(rows=lambda d: d["rows"].astype(int))
    s = TableStructure("problems_by_reason", key=("reason",), counts=("rows",))
    leaks = audit((shown, s))
    assert "1 to 4 is shown" in leak(leaks, "reason=response not a whole number", "rows")["why"]
    assert "not rounded" in leak(leaks, "reason=duplicate assessment", "rows")["why"]

    protected = protect(shown, s)
    assert protected.table["rows"].tolist() == ["*", 10]
    assert audit(protected).empty


def test_attack_5_a_funnel_rate_at_full_precision_beside_its_rounded_counts():
    # `benefits funnel --suppress` printed 20 and 100 beside 0.18367... = 18/98.
    s = TableStructure("funnel", key=("group",), counts=("numerator", "denominator"),
                       rates=(Rate("rate", "numerator", "denominator", scale="fraction", decimals=5),))
    truth = pd.DataFrame({"group": ["Abbeydale"], "numerator": [18], "denominator": [98]})
    published = primary_suppression(truth.assign(rate=18 / 98), s)
    assert published.table.iloc[0].tolist() == ["Abbeydale", 20, 100, 0.18367]
    leaks = audit(published)
    assert leak(leaks, "group=Abbeydale", "numerator")[["low", "high"]].tolist() == [18, 18]
    assert leak(leaks, "group=Abbeydale", "denominator")[["low", "high"]].tolist() == [98, 98]
    # Full precision in a file (0.183673469...) is read at the precision it shows, and leaks the same way.
    full = published.table.assign(rate=[18 / 98])
    assert len(audit((full, published.structure))) == 2

    protected = protect(truth, s)
    assert protected.table.iloc[0].tolist() == ["Abbeydale", 20, 100, 0.2]
    assert audit(protected).empty


def test_a_total_row_is_protected_with_its_teams():
    # Two teams and their total: A 6 -> 5 (5-7), B 3 -> *, All 9 -> 10 (8-12). All = A + B is at most
    # 7 + 4 = 11, so 12 is ruled out: the rounded total is narrowed.
    s = TableStructure("by_team", key=("team",), counts=("paired",), group_total=GroupTotal("team", "All teams"))
    truth = pd.DataFrame({"team": ["A", "B", "All teams"], "paired": [6, 3, 9]})
    leaks = audit(primary_suppression(truth, s))
    assert leak(leaks, "team=All teams", "paired")[["low", "high"]].tolist() == [8, 11]
    protected = protect(truth, s)
    # The cheapest inner cell, A (6), is hidden as well: A + B can then be anything from 8 to 12.
    assert protected.table["paired"].tolist() == ["*", "*", 10]
    assert protected.reasons["paired"].tolist() == ["secondary", "small", ""]
    assert audit(protected).empty
