"""Disclosure control in every output (issue 10): the real commands and reports publish nothing the audit can
work out, files carry their structure, and text that a spreadsheet would run as a formula is neutralised.

The five attacks of the issue, each through the code that publishes it: the fixed regression cases on
hand-built tables are in test_governance_attacks.py; here the same attacks are tried on what the commands
and reports write from the sample (synthetic, fixed seed), with the old primary rule as the baseline that
shows the audit bites on the same data.
"""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest

from cscs_eval.cli import main
from cscs_eval.governance import (NOT_FOR_PUBLICATION, SUPPRESSED, audit, audit_path, primary_suppression,
                                  read_structured_table)

from conftest import ROOT

SAMPLE = ROOT / "data" / "sample"
PROMS = [str(SAMPLE / "proms.csv"), "--referrals", str(SAMPLE / "referrals.csv"), "--drop-invalid"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def report():
    from cscs_eval import proms

    return proms.outcomes_report(SAMPLE / "proms.csv", referrals=SAMPLE / "referrals.csv",
                                 demographics=SAMPLE / "demographics.csv", equality_groups=["ethnicity"])


# ---------------------------------------------------------------- attack 1: shares that sum to 100%
def test_proms_summary_out_files_carry_their_structure_and_leak_nothing(tmp_path, capsys):
    from cscs_eval.io import write_table
    from cscs_eval.proms._summary import publish_summary

    (tmp_path / "xlsx").mkdir()
    code, _, err = run(capsys, "proms", "summarise", *PROMS, "--out", tmp_path / "xlsx" / "summary.xlsx")
    assert code == 0, err
    table, _ = read_structured_table(tmp_path / "xlsx" / "summary.xlsx")
    # the other formats from the same code (the command's --out calls write_table on this table)
    from cscs_eval import proms

    summary = proms.summarise(proms.outcomes(SAMPLE / "proms.csv", referrals=SAMPLE / "referrals.csv",
                                             drop_invalid=True), by="team")
    published = publish_summary(summary, table_id="proms_by_team")
    for ext in ("csv", "parquet"):
        (tmp_path / ext).mkdir()
        write_table(published, tmp_path / ext / f"summary.{ext}")
    for ext in ("csv", "xlsx", "parquet"):
        out = tmp_path / ext / f"summary.{ext}"
        assert (out.parent / "summary.structure.json").is_file()
        result = audit_path(out)
        assert result.n_tables == 1 and result.table.empty, result.table.to_string()
    table, structure = read_structured_table(tmp_path / "csv" / "summary.csv")
    # every published rate is its published counts' ratio, to the 4 decimals shown (no 0.21739... = 5/23)
    shown = table[(table["n_paired"] != SUPPRESSED) & (table["n_improved"] != SUPPRESSED)
                  & table["improved_rate"].notna() & (table["n_paired"].astype(str) != "0")]
    assert len(shown) > 20
    for r in shown.itertuples():
        assert float(r.improved_rate) == round(int(r.n_improved) / int(r.n_paired), 4)
    assert all(r.basis == "published" for r in structure.rates)
    # Parquet: a suppressed cell is null with <column>_suppressed beside it, numbers stay numbers
    raw = pd.read_parquet(tmp_path / "parquet" / "summary.parquet")
    assert str(raw["n_paired"].dtype) == "Int64" and raw["n_paired_suppressed"].any()
    assert raw.loc[raw["n_paired_suppressed"], "n_paired"].isna().all()
    # Excel: * in the cell
    ws = openpyxl.load_workbook(tmp_path / "xlsx" / "summary.xlsx")["Summary by team"]
    assert SUPPRESSED in {c.value for row in ws.iter_rows(min_row=2) for c in row}


def test_the_report_team_table_does_not_give_a_hidden_share_back(report):
    from cscs_eval.proms._summary import summary_structure

    published = report.published
    assert audit(list(published.values())).empty
    # the same true counts under the old primary rule alone: the audit recovers hidden shares from them
    teams = report.by_team[report.by_team["unit"] == report.table_unit]
    structure = summary_structure(teams, "proms_by_team", short=True, keys=("team",))
    from cscs_eval.proms._summary import SHORT_COUNTS, SHORT_RATES

    truth = teams.rename(columns={**SHORT_COUNTS, **SHORT_RATES})
    truth = truth.assign(**{r.column: truth[r.column] * 100 for r in structure.rates})
    leaks = audit(primary_suppression(truth, structure.replace(
        rates=tuple(r.__class__(r.column, r.numerator, r.denominator, basis="exact") for r in structure.rates))))
    assert len(leaks) > 0


# ---------------------------------------------------------------- attack 2: rates from exact counts
def test_benefits_funnel_publishes_rates_from_its_published_counts(tmp_path, capsys):
    counts = tmp_path / "paired.csv"
    code, _, err = run(capsys, "benefits", "paired", SAMPLE / "proms.csv", "--referrals", SAMPLE / "referrals.csv",
                       "--no-suppress", "--out", counts)
    assert code == 0, err
    out = tmp_path / "funnel.csv"
    code, printed, err = run(capsys, "benefits", "funnel", counts, "--by", "team", "--numerator", "paired",
                             "--denominator", "eligible", "--out", out)
    assert code == 0, err
    result = audit_path(out)
    assert result.n_tables == 1 and result.table.empty, result.table.to_string()
    table = pd.read_csv(out, dtype=str)
    for r in table[table["numerator"] != SUPPRESSED].itertuples():
        assert float(r.rate) == round(int(r.numerator) / int(r.denominator), 4)  # never 0.18367... = 18/98
    hidden = table[(table["numerator"] == SUPPRESSED) | (table["denominator"] == SUPPRESSED)]
    assert len(hidden) and (hidden[["rate", "lower95", "upper998", "outlier"]] == SUPPRESSED).all().all()
    # unsuppressed, the file and the output say it is not for publication
    code, printed, err = run(capsys, "benefits", "funnel", counts, "--by", "team", "--numerator", "paired",
                             "--denominator", "eligible", "--no-suppress", "--out", tmp_path / "raw.csv")
    assert "Not for publication" in printed + err
    assert not audit_path(tmp_path / "raw.csv").table.empty  # the audit says so too


def test_the_funnel_figure_leaves_out_what_its_table_hides(report):
    from cscs_eval.benefits import funnel
    from cscs_eval.benefits._plots import plot_funnel

    import matplotlib

    matplotlib.use("Agg")
    teams = report.by_team[report.by_team["unit"] == report.table_unit]
    f = funnel(teams.rename(columns={"team": "group", "n_paired": "numerator", "n_eligible": "denominator"}))
    hidden = f.hidden()
    assert hidden.sum() >= f.small().sum() > 0
    ax = plot_funnel(f)
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == len(f.table) - int(hidden.sum())


# ---------------------------------------------------------------- attack 3: a group table beside its total
@pytest.mark.parametrize("team", ["Queensway CMHT", "Northcliffe CMHT"])
def test_one_teams_group_table_does_not_give_its_hidden_total_back(team):
    from cscs_eval import proms
    from cscs_eval.governance import Breakdown

    r = proms.outcomes_report(SAMPLE / "proms.csv", referrals=SAMPLE / "referrals.csv",
                              demographics=SAMPLE / "demographics.csv", equality_groups=["ethnicity"], team=team)
    published = r.published
    assert published["ethnicity"].structure.breakdowns == (
        Breakdown("proms_by_team", row={"team": team}, counts=published["ethnicity"].structure.breakdowns[0].counts),)
    assert audit(list(published.values())).empty
    if team == "Queensway CMHT":  # the case: paired is 1 to 4, hidden in the team table
        assert published["team"].table["paired"].tolist() == [SUPPRESSED]
        # the primary rule alone on the same counts: every group but one shows 0 paired, so the hidden count
        # sits wholly in that group (the audit's "100% group")
        baseline = [primary_suppression(truth[[*p.structure.key, *p.structure.counts]],
                                        p.structure.replace(rates=(), secondary=False))
                    for p, truth in _truths(r)]
        assert not audit(baseline).empty


def _truths(r):
    """Each published table of a report with its true counts (short names), for the primary-rule baseline."""
    from cscs_eval.proms._summary import SHORT_COUNTS

    unit = r.table_unit
    teams = r.by_team[r.by_team["unit"] == unit].rename(columns=SHORT_COUNTS)
    group = r.by_group["ethnicity"]
    group = group[group["unit"] == unit].rename(columns=SHORT_COUNTS)
    p = r.published
    return [(p["team"], teams.reset_index(drop=True)), (p["ethnicity"], group.reset_index(drop=True))]


# ---------------------------------------------------------------- attack 4: unsuppressed counts
def test_no_output_prints_a_count_of_1_to_4(capsys):
    code, out, err = run(capsys, "proms", "summarise", *PROMS)
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("  ")]
    assert lines
    for line in lines:
        n = line.rsplit(": ", 1)[1]
        assert n == SUPPRESSED or int(n) == 0 or int(n) % 5 == 0, line
    assert "validation: response not a whole number: *" in err  # 4 in the sample, as the issue found
    code, out, err = run(capsys, "proms", "summarise", *PROMS, "--no-suppress")
    assert "validation: response not a whole number: 4" in err and "Not for publication" in err


def test_the_overview_tables_are_published_alike():
    from cscs_eval import proms

    r = proms.overview_report(SAMPLE / "proms.csv", referrals=SAMPLE / "referrals.csv")
    item = r.problems_by_reason()
    assert item.table is not None and "4" not in item.table["Rows"].tolist()
    tables = [r.published_measures, r.published_teams]
    assert audit(tables).empty
    assert "**" in r.checks_text() and not re.search(r"\*\*[1-4] problem", r.checks_text())


# ---------------------------------------------------------------- the report page and its audit
def test_a_report_page_embeds_each_tables_structure_and_the_audit_reads_it(report, tmp_path):
    from cscs_eval.reporting.display import table_html
    from cscs_eval.reporting.document import not_for_publication

    item = report.team_table()
    page = table_html(list(item.table.columns), item.table.astype(str).values.tolist(), caption="t",
                      structure=item.structure.to_dict())
    (tmp_path / "page.html").write_text(f"<html><body>{page}</body></html>")
    result = audit_path(tmp_path / "page.html")
    assert result.n_tables == 1 and result.table.empty
    assert not_for_publication({"parameters": {"suppress": False}})
    assert not not_for_publication({"parameters": {"suppress": True}})


def test_a_table_shown_unsuppressed_says_it_is_not_for_publication():
    from cscs_eval import proms

    r = proms.outcomes_report(SAMPLE / "proms.csv", referrals=SAMPLE / "referrals.csv", equality_groups=[],
                              suppress=False)
    assert r.team_table().note == NOT_FOR_PUBLICATION


@pytest.mark.slow
def test_every_team_report_publishes_nothing_the_audit_can_work_out():
    """All 32 teams' outcomes reports: their team, group and exclusions tables, audited together."""
    from cscs_eval import proms

    teams = pd.read_csv(SAMPLE / "teams.csv")["team"].tolist()
    assert len(teams) == 32
    for team in teams:
        r = proms.outcomes_report(SAMPLE / "proms.csv", referrals=SAMPLE / "referrals.csv",
                                  demographics=SAMPLE / "demographics.csv", equality_groups=["ethnicity"], team=team)
        leaks = audit(list(r.published.values()))
        assert leaks.empty, (team, leaks.to_string())


# ---------------------------------------------------------------- attack 5: live formulas
AWKWARD = pd.DataFrame({
    "excerpt_id": ["E1", "E2", "E3", "E4"],
    "case": ['=HYPERLINK("http://example.org","Ward A")', "@Ward B", "Ward C", "-Ward D"],
    "source": ["interview", "+interview", "\tinterview", "interview"],
    "excerpt": ["=1+1 staff said so", "-- we never saw the forms", "@everyone agreed", "plain text"],
    "construct": ["III.B", "I.C", "V.B.1", "II.A"],
    "rating": ["+2", "-1", "++", "+-"],
    "coder": ["=cmd|' /C calc'!A0", "Sam", "Sam", "Sam"],
    "memo": ["\rcarriage return first", None, "+44 20 7946 0000", "'=already quoted"],
})


def test_coding_sheets_round_trip_through_csv_and_excel_with_formulas_neutralised(tmp_path, capsys):
    from cscs_eval.cfir import load_coding, summarise

    start = tmp_path / "start.csv"
    from cscs_eval.io import write_table

    write_table(AWKWARD, start)
    with open(start, newline="", encoding="utf-8") as fh:
        text = fh.read()
    assert "'=HYPERLINK" in text and "'@Ward B" in text and "'=cmd" in text and "'\rcarriage" in text
    # no cell starts a formula (every cell is quoted here, as the carriage return needs)
    assert not re.search(r'(^|,)"?[=@+\-](?![0-9,"]|[+\-]")', text, re.M), text
    assert '"+2"' in text and '"-1"' in text and '"++"' in text and '"+-"' in text  # ratings keep their notation
    expected = load_coding(start)
    assert expected.table["case"].iloc[0] == AWKWARD["case"].iloc[0]  # read back without the quote
    assert expected.table["memo"].iloc[3] == "'=already quoted"
    sheet = tmp_path / "sheet.xlsx"
    code, _, err = run(capsys, "cfir", "convert", start, "--out", sheet)
    assert code == 0, err
    cells = [c for row in openpyxl.load_workbook(sheet).worksheets[0].iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)  # never a formula
    assert any(c.value == '\'=HYPERLINK("http://example.org","Ward A")' and c.data_type == "s" for c in cells)
    back = tmp_path / "back.csv"
    code, _, err = run(capsys, "cfir", "convert", sheet, "--out", back)
    assert code == 0, err
    got = load_coding(back)
    columns = ["excerpt_id", "case", "source", "excerpt", "construct_id", "rating", "coder", "memo"]
    pd.testing.assert_frame_equal(expected.table[columns].reset_index(drop=True),
                                  got.table[columns].reset_index(drop=True))
    pd.testing.assert_frame_equal(summarise(expected), summarise(got))
    assert got.table["rating"].tolist() == expected.table["rating"].tolist()


def test_a_qdpx_import_round_trips_formula_like_text(tmp_path, capsys):
    from cscs_eval.cfir import export_qdpx, load_coding

    coding = load_coding(AWKWARD.drop(columns=["memo"]))
    project = export_qdpx(coding, tmp_path / "p.qdpx", name="formulas")
    for ext in ("csv", "xlsx"):
        out = tmp_path / f"imported.{ext}"
        code, _, err = run(capsys, "cfir", "import", project, "--out", out)
        assert code == 0, err
        got = load_coding(out)
        columns = ["excerpt_id", "case", "excerpt", "construct_id", "rating", "coder"]
        pd.testing.assert_frame_equal(
            coding.table[columns].sort_values("excerpt_id").reset_index(drop=True).astype("string"),
            got.table[columns].sort_values("excerpt_id").reset_index(drop=True).astype("string"))
