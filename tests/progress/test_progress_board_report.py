"""What the checks find in the board report's published progress tables (data/public/README.md).

Source: Sheffield Health and Social Care NHS FT, Board of Directors (public), 27 November 2024,
item 20, Clinical and Social Care Strategy Annual review; tables copied to data/public/ exactly as printed.
"""

from pathlib import Path

import pytest

from cscs_eval.progress import summarise

PUBLIC = Path(__file__).resolve().parents[2] / "data" / "public"
TABLE = PUBLIC / "cscs_programme_progress_2024-11.csv"
HEADLINES = PUBLIC / "cscs_programme_headlines_2024-11.csv"


@pytest.fixture(scope="module")
def result():
    return summarise(TABLE, headlines=HEADLINES)


def row(table, name):
    return table[table["workstream"] == name].iloc[0]


def test_programme_headline_is_73_percent_and_green(result):
    # Cover report: "73% of tasks completed or on track"; "overall status of Green".
    total = row(result.table, "Programme total")
    assert total["complete_or_on_track"] == 78 + 41
    assert round(result.headline) == 73
    assert total["rag"] == "Green"


@pytest.mark.parametrize("name, column, published", [
    ("Outcomes and inequalities workstream", "complete_pct", 6.7),
    ("Outcomes and inequalities workstream", "not_started_pct", 60.0),
    ("Trauma Informed Workstream", "complete_pct", 55.3),
    ("Trauma Informed Workstream", "complete_or_on_track_pct", 76.3),  # text: "76.3% ... complete or on track"
    ("Complex Emotional Needs", "not_started_pct", 30.8),
    ("Person Centred Workstream", "not_needed_pct", 18.5),
    ("Priority 1; becoming evidence led", "on_track_pct", 61.5),
    ("Priority 4; building partnerships", "complete_pct", 71.4),
    ("Strengths based workstream", "complete_pct", 61.9),
])
def test_recomputed_percentages_match_published(result, name, column, published):
    assert row(result.table, name)[column] == pytest.approx(published)


def test_every_row_adds_up_to_its_total(result):
    checks = result.checks.set_index("check")
    assert checks.loc["counts add up to total", "n_checked"] == 10
    assert checks.loc["counts add up to total", "n_findings"] == 0


def test_only_strengths_based_delayed_percentage_is_off(result):
    pct = result.findings[result.findings["check"] == "reported percentage matches counts"]
    assert len(pct) == 1
    f = pct.iloc[0]
    assert (f["workstream"], f["column"], f["reported"], f["expected"]) == (
        "Strengths based workstream", "delayed_pct", "4.7", "4.8")
    assert "truncated" in f["message"]
    assert f["row"] == 11  # the line in the CSV a user opens
    # the 0-decimal cells (Trauma Informed not started "5", the programme row) pass at 0 decimals
    assert result.checks.set_index("check").loc["reported percentage matches counts", "n_checked"] == 50


def test_workstreams_do_not_add_up_to_programme_total(result):
    parts = result.findings[result.findings["check"] == "workstreams add up to programme total"]
    got = {f.column: (int(f.reported), int(f.expected)) for f in parts.itertuples()}
    # published total 163 (78, 41, 11, 20, 13); workstream tables sum to 144 (70, 41, 7, 14, 12)
    assert got == {"total": (163, 144), "complete": (78, 70), "delayed": (11, 7), "not_needed": (20, 14),
                   "not_started": (13, 12)}


def test_cen_headline_53_percent_is_truncated(result):
    hl = result.findings[result.findings["check"] == "headline percentage matches counts"]
    assert list(hl["workstream"]) == ["Complex Emotional Needs"]
    assert (hl.iloc[0]["reported"], hl.iloc[0]["expected"]) == ("53", "54")


def test_rag_by_default_rules(result):
    rag = dict(zip(result.table["workstream"], result.table["rag"]))
    assert rag["Outcomes and inequalities workstream"] == "Red"  # 40% complete or on track
    assert rag["Complex Emotional Needs"] == "Amber"  # 53.8%
    assert rag["Priority 1; becoming evidence led"] == "Amber"  # 15.4% delayed
    assert rag["Trauma Informed Workstream"] == "Green"


def test_proms_delivery_overview_as_published():
    import pandas as pd

    from cscs_eval.progress import percent

    df = pd.read_csv(PUBLIC / "proms_delivery_overview_2024-11.csv")
    assert df["total"].eq(32).all()
    assert list(df["n"]) == [29, 12, 11, 6, 7, 3]
    assert 12 + 11 + 6 == df["n"].iloc[0] and df["n"].iloc[0] + df["n"].iloc[5] == 32
    recomputed = [int(percent(n, 32, decimals=0)) for n in df["n"]]
    # only "approached and engaged" (29/32 = 90.6%) is printed as 90 instead of 91
    mismatched = [(n, p, r) for n, p, r in zip(df["n"], df["pct_of_total"], recomputed) if p != r]
    assert mismatched == [(29, 90, 91)]


def test_check_shares_on_proms_delivery_overview():
    from cscs_eval.progress import check_shares

    result = check_shares(PUBLIC / "proms_delivery_overview_2024-11.csv")
    assert result.n_checked == 6
    findings = result.table
    assert findings[["workstream", "row", "reported", "expected"]].values.tolist() == [["Teams approached and engaged with PROMS work", 2, "90", "91"]]
    assert "truncated" in findings["message"].iloc[0]
