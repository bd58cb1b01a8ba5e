"""Excel out and in, as analysts use it (issue 14).

Out: every .xlsx the command line writes opens in openpyxl with named sheets, labelled and frozen
headers, dates as dates, numbers as numbers, percent formats and a "columns" sheet, and reads back
as an input. In: an NHS-style workbook (a cover sheet, a title row, a team merged down its rows,
the data on sheet 2) works through the command line, the API and a notebook with --sheet and
--header-row, and every failure names the sheet and the row.
"""

import datetime as dt
import shutil
import warnings

import openpyxl
import pandas as pd
import pytest

from cscs_eval import proms
from cscs_eval._excel import COLUMNS_SHEET, PCT, PERCENT
from cscs_eval.cli import main
from cscs_eval.errors import InputError, MergedCellsWarning, UsageError, ValidationError
from cscs_eval.io import column_key, read_table, table_path, write_table, write_tables

from conftest import ROOT

SAMPLE = ROOT / "data" / "sample"
KEY = "excel-test-key-" + "7" * 40


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("CSCS_EVAL_PSEUDONYM_KEY", KEY)


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------------------------------- Excel out
def _columns(wb):
    """{sheet: {machine name: (label, what it holds)}} from the workbook's columns sheet."""
    rows = list(wb[COLUMNS_SHEET].iter_rows(values_only=True))
    assert rows[0] == ("Sheet", "Column", "Name", "Holds")
    out = {}
    for sheet, label, name, holds in rows[1:]:
        out.setdefault(sheet, {})[name] = (label, holds)
    return out


def check_workbook(path):
    """What every workbook the package writes must be; returns {sheet: DataFrame of cells by name}."""
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[-1] == COLUMNS_SHEET and len(wb.sheetnames) >= 2
    columns = _columns(wb)
    assert list(columns) == wb.sheetnames[:-1]
    cells = {}
    for name in wb.sheetnames[:-1]:
        ws = wb[name]
        assert name != "Sheet1" and ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        header = [c.value for c in ws[1]]
        assert header == [label for label, _ in columns[name].values()]
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1])
        assert all(c.font.bold for c in ws[1])
        by_name = {}
        for j, (machine, (_, holds)) in enumerate(columns[name].items(), 1):
            col = [ws.cell(i, j) for i in range(2, ws.max_row + 1)]
            filled = [c for c in col if c.value is not None]
            by_name[machine] = col
            if holds == "date":
                assert all(c.is_date for c in filled if c.value != "*"), (name, machine)
            elif holds in ("number", "percent"):
                assert all(c.data_type == "n" or c.value == "*" for c in filled), (name, machine)
                if holds == "percent":
                    assert all("%" in c.number_format for c in filled if c.data_type == "n"), (name, machine)
            elif holds == "text":
                assert all(c.data_type == "s" for c in filled), (name, machine)
        cells[name] = by_name
    return cells


def _commands(small=SAMPLE / "proms.csv"):
    """Each command that writes a table, with its inputs; ``small`` is a PROMs extract of a few teams
    (openpyxl writes some 25,000 cells a second: the whole sample's scores would take a minute)."""
    s, c = SAMPLE, SAMPLE / "cfir"
    extract = [s / "proms.csv", "--referrals", s / "referrals.csv", "--drop-invalid"]
    return {
        "proms measures": ["proms", "measures"],
        "proms validate": ["proms", "validate", small],
        "proms score": ["proms", "score", small, "--drop-invalid"],
        "proms outcomes": ["proms", "outcomes", small, "--drop-invalid"],
        "proms summarise": ["proms", "summarise", *extract],
        "benefits spc": ["benefits", "spc", s / "benefits" / "indicators.csv", "--indicator", "paired_proms_pct"],
        "benefits its": ["benefits", "its", s / "benefits" / "indicators.csv", "--indicator", "paired_proms_pct",
                         "--change", "2023-10-01"],
        "benefits register": ["benefits", "register", s / "benefits" / "register.csv", "--indicators",
                              s / "benefits" / "indicators.csv"],
        "benefits paired": ["benefits", "paired", s / "proms.csv", "--referrals", s / "referrals.csv",
                            "--no-suppress"],
        "progress summarise": ["progress", "summarise", s / "programme_register.csv"],
        "cfir codebook": ["cfir", "codebook"],
        "cfir summarise": ["cfir", "summarise", c / "notes", "--aliases", c / "aliases.yaml"],
        "cfir matrix": ["cfir", "matrix", c / "notes", "--aliases", c / "aliases.yaml"],
        "cfir agreement": ["cfir", "agreement", c / "notes", c / "second_coder.csv", "--aliases", c / "aliases.yaml"],
        "lightning series": ["lightning", "series", s / "lightning"],
        "logic-model strategies": ["logic-model", "strategies"],
    }


COMMANDS = list(_commands())


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    df = pd.read_csv(SAMPLE / "proms.csv", dtype=str)
    path = tmp_path_factory.mktemp("small") / "proms.csv"
    df[df["team"].isin(sorted(df["team"].unique())[:3])].to_csv(path, index=False)
    return path


@pytest.mark.parametrize("name", COMMANDS)
def test_every_workbook_the_command_line_writes_behaves_like_excel(name, tmp_path, capsys, keyed, small):
    out = tmp_path / f"{name.replace(' ', '_')}.xlsx"
    code, _, err = _run(capsys, *_commands(small)[name], "--out", out)
    assert code in (0, 1) and out.exists(), err  # validate exits 1: the sample has problems to list
    check_workbook(out)
    wb = openpyxl.load_workbook(out, read_only=True)
    names = list(_columns(wb)[wb.sheetnames[0]])
    assert read_table(out).columns.tolist() == names  # and it reads back as an input, with its machine names


def test_the_outcomes_workbook_holds_real_dates_rates_and_its_exclusions(tmp_path, capsys, keyed, small):
    out = tmp_path / "outcomes.xlsx"
    assert _run(capsys, *_commands(small)["proms outcomes"], "--out", out)[0] == 0
    cells = check_workbook(out)
    assert list(cells) == ["Outcomes", "Exclusions"]
    dates = [c.value for c in cells["Outcomes"]["baseline_date"] if c.value is not None]
    assert dates and all(isinstance(d, dt.datetime) for d in dates)
    assert cells["Outcomes"]["baseline_date"][0].number_format == "dd/mm/yyyy"
    csv = tmp_path / "outcomes.csv"
    assert _run(capsys, *_commands(small)["proms outcomes"], "--out", csv)[0] == 0
    iso = pd.read_csv(csv, dtype=str)["baseline_date"].dropna()
    assert iso.str.fullmatch(r"\d{4}-\d\d-\d\d").all()  # ISO in CSV, not a locale's text


def test_the_summary_workbook_formats_rates_as_percentages(tmp_path, capsys):
    out = tmp_path / "summary.xlsx"
    assert _run(capsys, *_commands()["proms summarise"], "--out", out)[0] == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary by team", "Exclusions", "columns"]
    cells = check_workbook(out)["Summary by team"]
    rates = [c for c in cells["paired_rate"] if c.data_type == "n"]
    assert rates and all(c.number_format == PERCENT and 0 <= c.value <= 1 for c in rates)
    header = [c.value for c in wb["Summary by team"][1]]
    assert "Paired %" in header and "paired_rate" not in header  # the label the reports print
    assert isinstance(cells["n_paired"][0].value, int) or cells["n_paired"][0].value == "*"


def test_write_table_types_every_cell(tmp_path):
    df = pd.DataFrame({"team": ["A", "=HYPERLINK(\"x\")"], "n_paired": [12, "*"], "paired_rate": [0.25, None],
                       "follow_up_pct": [45.5, 3.0], "date": pd.to_datetime(["2024-03-05", None]),
                       "ok": [True, False], "code": ["007", "12"]})
    path = write_table(df, tmp_path / "t.xlsx", sheet="Teams: by site")
    wb = openpyxl.load_workbook(path)
    ws = wb["Teams by site"]  # ':' is not allowed in a sheet name
    row2 = {c.column_letter: c for c in ws[2]}
    row3 = {c.column_letter: c for c in ws[3]}
    # text, never a formula, and neutralised as OWASP advises (a leading quote) should a user edit the cell
    assert row3["A"].data_type == "s" and row3["A"].value == "'=HYPERLINK(\"x\")"
    assert read_table(path)["team"].tolist() == ["A", "=HYPERLINK(\"x\")"]  # and read back as it was
    assert row2["B"].value == 12 and row3["B"].value == "*" and row3["B"].alignment.horizontal == "right"
    assert row2["C"].number_format == PERCENT and row3["C"].value is None
    assert row2["D"].number_format == PCT and row2["D"].value == 45.5  # 0-100 kept as written
    assert row2["E"].is_date and row2["E"].value == dt.datetime(2024, 3, 5)
    assert row2["F"].value is True and row2["G"].value == "007"  # text that looks like a number stays text
    back = read_table(path)
    assert back.columns.tolist() == list(df.columns)
    assert back["code"].tolist() == ["007", "12"] and back["date"].tolist()[0] == "2024-03-05"


def test_several_tables_are_several_sheets(tmp_path):
    a, b = pd.DataFrame({"team": ["A"]}), pd.DataFrame({"reason": ["x"], "n_rows": [3]})
    path = write_tables({"Summary": a, "Exclusions": b}, tmp_path / "two.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == ["Summary", "Exclusions", "columns"]
    assert read_table(path, sheet="Exclusions").columns.tolist() == ["reason", "n_rows"]
    with pytest.raises(UsageError, match="one Excel workbook"):
        write_tables({"Summary": a}, tmp_path / "two.csv")


def test_an_output_feeds_the_next_command(tmp_path, capsys, keyed):
    # paired PROMs by team (a labelled workbook) -> funnel, naming columns by their labels
    teams = tmp_path / "teams.xlsx"
    assert _run(capsys, *_commands()["benefits paired"], "--out", teams)[0] == 0
    assert [c.value for c in openpyxl.load_workbook(teams)["Paired by team"][1]] == ["Team", "Paired", "Eligible"]
    code, out, err = _run(capsys, "benefits", "funnel", teams, "--by", "Team", "--numerator", "Paired",
                          "--denominator", "eligible")
    assert code == 0 and "Across 32 groups" in out, err
    # a CFIR summary workbook -> a drafted logic model
    summary = tmp_path / "summary.xlsx"
    assert _run(capsys, *_commands()["cfir summarise"], "--out", summary)[0] == 0
    assert "Mean rating" in [c.value for c in openpyxl.load_workbook(summary).worksheets[0][1]]
    code, out, err = _run(capsys, "logic-model", "draft", summary, "--out", tmp_path / "model.yaml")
    assert code == 0, err
    # suppressed counts cannot feed a funnel: said plainly
    published = tmp_path / "published.csv"
    assert _run(capsys, "benefits", "paired", SAMPLE / "proms.csv", "--referrals", SAMPLE / "referrals.csv",
                "--out", published)[0] == 0
    code, _, err = _run(capsys, "benefits", "funnel", published, "--by", "team", "--numerator", "paired",
                        "--denominator", "eligible")
    assert code == 1 and "suppressed count ('*')" in err and "--no-suppress" in err


def test_labels_name_columns():
    assert column_key("Paired referrals") == "n_paired" and column_key("Paired %") == "paired_rate"
    assert column_key(" Patient ID ") == "patient_id"


def test_a_required_column_keeps_its_name_though_it_is_a_label(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("team,referrals\nA,3\n")  # 'Referrals' labels n_referrals, but this file means referrals
    assert read_table(path, required=["referrals"]).columns.tolist() == ["team", "referrals"]


# -------------------------------------------------------------------------------------------- Excel in
def nhs_workbook(path, *, teams=3):
    """A workbook as an NHS extract arrives: a cover sheet, then 'Data' with a merged title on row 1, a
    blank row 2, the header on row 3, and each team's name merged down its block of rows."""
    df = pd.read_csv(SAMPLE / "proms.csv", dtype=str)
    keep = sorted(df["team"].unique())[:teams]
    df = df[df["team"].isin(keep) & df["measure"].eq("reqol10")].sort_values("team", kind="stable")
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = "PROMs extract - OFFICIAL SENSITIVE"
    cover["A3"] = "Produced by Business Intelligence for the evaluation"
    ws = wb.create_sheet("Data")
    ws["A1"] = "ReQoL-10 responses, all teams"
    ws.merge_cells("A1:G1")
    ws.append([])
    ws.append(["Patient ID", "Referral ID", "Team", "Measure", "Assessment date", "Item", "Response"])
    first = 4
    for team, block in df.groupby("team", sort=True):
        start = ws.max_row + 1
        for i, r in enumerate(block.itertuples(index=False)):
            date = dt.datetime.strptime(r.assessment_date, "%Y-%m-%d") if "-" in r.assessment_date else \
                dt.datetime.strptime(r.assessment_date, "%d/%m/%Y")
            ws.append([r.patient_id, r.referral_id, team if i == 0 else None, r.measure, date, int(r.item),
                       int(r.response) if str(r.response).isdigit() else r.response])
        ws.merge_cells(start_row=start, start_column=3, end_row=ws.max_row, end_column=3)
    wb.save(path)
    return path, df, first


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    return nhs_workbook(tmp_path_factory.mktemp("nhs") / "extract.xlsx")


def test_the_first_sheet_fails_naming_the_sheets_and_where_the_header_is(workbook, capsys, keyed):
    path, _, _ = workbook
    code, _, err = _run(capsys, "proms", "outcomes", path, "--drop-invalid")
    assert code == 1
    assert "sheet 'Cover', row 1: missing column(s) patient_id" in err
    assert "the header seems to be on sheet 'Data', row 3: choose it with --sheet 'Data' --header-row 3" in err
    assert "the workbook's sheets are 'Cover', 'Data'" in err
    code, _, err = _run(capsys, "proms", "outcomes", path, "--sheet", "Data", "--drop-invalid")
    assert code == 1 and "sheet 'Data', row 1: the header row has merged cells A1:G1" in err
    assert "--header-row 3" in err
    code, _, err = _run(capsys, "proms", "outcomes", path, "--sheet", "Results")
    assert code == 1 and "has no sheet 'Results'; its sheets are 'Cover', 'Data'" in err
    code, _, err = _run(capsys, "proms", "outcomes", path, "--header-row", "0")
    assert code == 2 and "--header-row must be a row number" in err


def test_sheet_and_header_row_on_the_command_line(workbook, capsys, keyed, tmp_path):
    path, df, _ = workbook
    out = tmp_path / "o.csv"
    code, _, err = _run(capsys, "proms", "outcomes", path, "--sheet", "2", "--header-row", "3", "--drop-invalid",
                        "--out", out)
    assert code == 0, err
    assert "merged cell ranges filled down" in err and "column 'Team': C4:" in err and "sheet 'Data'" in err
    got = pd.read_csv(out)
    assert set(got["team"]) == set(df["team"])  # every row got its team from the merged cell
    code, out_text, _ = _run(capsys, "proms", "validate", path, "--sheet", "Data", "--header-row", "3")
    assert code == 1 and f"{path}, sheet 'Data', row " in out_text


def test_sheet_and_header_row_through_the_api(workbook):
    path, df, first = workbook
    with pytest.warns(MergedCellsWarning, match="filled down"):
        table = read_table(path, sheet="Data", header_row=3)
    assert len(table) == len(df) and table["team"].notna().all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_api = proms.outcomes(table_path(path, sheet="Data", header_row=3), drop_invalid=True)
        from_csv = proms.outcomes(df, drop_invalid=True)
        assert with_api.table["referral_id"].nunique() == from_csv.table["referral_id"].nunique()
        report = proms.outcomes_report(path, sheet="Data", header_row=3, equality_groups=[])
    assert report.source == "extract.xlsx, sheet 'Data'"


def test_a_problem_in_the_data_names_the_sheet_and_the_row_the_user_sees(tmp_path):
    path, df, first = nhs_workbook(tmp_path / "bad.xlsx", teams=1)
    wb = openpyxl.load_workbook(path)
    wb["Data"].cell(first + 4, 7).value = 9  # a ReQoL-10 response out of range, on Excel row 8
    wb.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MergedCellsWarning)
        with pytest.raises(ValidationError, match=r"row 8, column 'response': out of range"):
            proms.outcomes(table_path(path, sheet="Data", header_row=3))
        with pytest.raises(InputError, match=r"bad.xlsx, sheet 'Data', row 8, column 'x'"):
            read_table(path, sheet="Data", header_row=3)
            # a reader counts from a header on row 1: its row 6 is the 4th data row, on Excel row 8
            raise InputError("a reader's error", file=path, row=6, column="x")


def test_merged_cells_that_span_columns_are_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["team", "n"])
    ws.append(["A", 1])
    ws.merge_cells("A2:B2")
    wb.save(tmp_path / "m.xlsx")
    with pytest.raises(InputError, match=r"row 2: merged cells A2:B2 span several columns"):
        read_table(tmp_path / "m.xlsx")


def test_header_row_and_sheet_for_other_formats(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Extract of 5 March\n\nteam,n\nA,1\n")
    assert read_table(path, header_row=3).to_dict("list") == {"team": ["A"], "n": ["1"]}
    with pytest.raises(InputError, match="header seems to be on row 3: choose it with --header-row 3"):
        read_table(path, required=["team"])
    with pytest.raises(UsageError, match="a sheet is chosen only in an Excel workbook"):
        read_table(path, sheet="Data")
    with pytest.raises(UsageError, match="row number counting from 1"):
        read_table(path, header_row=-2)


@pytest.mark.slow
def test_sheet_and_header_row_as_notebook_parameters(workbook, tmp_path):
    from cscs_eval.reporting.runner import run_notebook

    path, _, _ = workbook
    local = tmp_path / "extract.xlsx"
    shutil.copy(path, local)
    result = run_notebook("data_overview", out_dir=tmp_path / "report", quiet=True,
                          given=[("data_path", str(local)), ("referrals_path", ""), ("sheet", "Data"),
                                 ("header_row", "3")])
    html = result.html.read_text()
    assert "extract.xlsx, sheet &#x27;Data&#x27;" in html or "extract.xlsx, sheet 'Data'" in html
