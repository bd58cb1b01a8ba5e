"""Coding sheets and coded notes into one tidy table, back again, and every bad input reported."""

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cscs_eval.cfir import (COLUMNS, Coding, load_coding, summarise, to_coding_sheet, to_coded_notes, validate,
                            write_coded_notes)
from cscs_eval.errors import InputError, ValidationError
from cscs_eval.io import table_path

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "cfir"

NOTE = """---
case: Team A
source: baseline interview
coder: AB
---

# Baseline

## Theme: Fit

Staff found the forms slow at first.
They got quicker. [[Complexity -1; Available Resources -2 | said by two staff]]

A paragraph without codes is context, not an excerpt.

- Leaders backed it [[High-level Leaders ++]]
- Nothing coded here
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_notes_become_tidy_rows_with_lines_and_theme(tmp_path):
    path = write(tmp_path, "a.md", NOTE)
    c = load_coding(path).table
    assert list(c.columns) == COLUMNS
    assert len(c) == 3
    first = c.iloc[0]
    assert (first["case"], first["source"], first["coder"], first["theme"]) == ("Team A", "baseline interview", "AB",
                                                                                "Fit")
    assert first["line"] == 11  # the paragraph starts on line 11 of the file
    assert first["excerpt"] == "Staff found the forms slow at first.\nThey got quicker."
    assert c["construct_id"].tolist() == ["I.F", "III.J", "IV.R.A"]
    assert c["rating"].tolist() == ["-1", "-2", "+2"]
    assert c["rating_value"].tolist() == [-1.0, -2.0, 2.0]
    assert c["memo"].iloc[:2].tolist() == ["said by two staff"] * 2 and pd.isna(c["memo"].iloc[2])
    assert c.loc[2, "line"] == 16
    assert c["excerpt_id"].iloc[0] == c["excerpt_id"].iloc[1] != c["excerpt_id"].iloc[2]


def test_sheet_and_notes_give_the_same_table(tmp_path):
    notes = load_coding(write(tmp_path, "a.md", NOTE)).table
    sheet_path = tmp_path / "sheet.csv"
    to_coding_sheet(notes, path=sheet_path)
    sheet = load_coding(sheet_path).table
    cols = ["excerpt_id", "case", "source", "excerpt", "construct_id", "rating", "coder", "memo", "theme"]
    pd.testing.assert_frame_equal(notes[cols], sheet[cols])


def test_sheet_to_notes_and_back_round_trip(tmp_path):
    coding = load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml")
    written = write_coded_notes(coding, tmp_path / "out")
    assert len(written) == 10
    coding, back = coding.table, load_coding(tmp_path / "out").table
    cols = ["excerpt_id", "case", "source", "construct_id", "rating", "coder", "memo", "theme"]
    key = ["excerpt_id", "construct_id"]
    pd.testing.assert_frame_equal(coding[cols].sort_values(key).reset_index(drop=True),
                                  back[cols].sort_values(key).reset_index(drop=True))
    assert "[[" in next(iter(to_coded_notes(coding).values()))


def test_mixed_ids_cfir1_names_and_aliases_summarise_correctly(tmp_path):
    # the "done when": one sheet mixing CFIR 2.0 ids, CFIR 1.0 names and local aliases
    sheet = pd.DataFrame({
        "case": ["A", "A", "B", "B", "A", "B"],
        "source": ["i1"] * 6,
        "excerpt": ["e1", "e2", "e3", "e4", "e5", "e6"],
        "construct": ["II.D", "Cosmopolitanism", "partnerships and connections", "our networks", "I.H", "Cost"],
        "rating": ["+2", "++", "+1", "+", "--", "-1"],
    })
    path = tmp_path / "mixed.csv"
    sheet.to_csv(path, index=False)
    c = load_coding(path, aliases={"our networks": "Partnerships & Connections"})
    assert c.table["construct_id"].tolist() == ["II.D", "II.D", "II.D", "II.D", "I.H", "I.H"]
    s = summarise(c).set_index("construct_id")
    # II.D: case A mean +2 -> +2, case B mean +1 -> +1; across cases 1.5 -> strong facilitator
    assert s.loc["II.D", ["n_excerpts", "n_cases", "mean_rating", "classification"]].tolist() == [
        4, 2, 1.5, "strong facilitator"]
    # I.H: A -2, B -1 -> mean -1.5 -> strong barrier
    assert s.loc["I.H", "classification"] == "strong barrier"


def test_sample_loads_with_aliases_and_has_several_cases():
    c = load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml", case_ratings=SAMPLE / "case_ratings.csv")
    assert isinstance(c, Coding)
    assert c.table["case"].nunique() == 4 and c.table["source"].nunique() >= 3
    assert c.case_ratings.columns.tolist() == ["case", "construct_id", "rating", "rating_value", "rationale"]
    assert len(c.case_ratings) == 3
    assert c.text() == ("80 codes on 49 excerpts from 4 cases, touching 39 CFIR constructs; 3 case ratings from "
                        "the case memo.")
    pd.testing.assert_frame_equal(c.summary(), summarise(c))
    # without them the coding carries none, and the summary differs where the memo overrides
    plain = load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml")
    assert plain.case_ratings is None and not plain.summary().equals(c.summary())


def test_sample_needs_its_alias_file():
    problems = validate(SAMPLE / "notes")
    assert len(problems) > 0
    assert problems["problem"].str.contains("'NHS policy'").any()
    assert validate(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml").empty


# ----------------------------------------------------------------------------------------------
# bad input: every problem listed, with file, line and a fix
# ----------------------------------------------------------------------------------------------

def test_validate_lists_every_problem_in_a_sheet(tmp_path):
    path = write(tmp_path, "bad.csv",
                 "excerpt_id,case,source,excerpt,construct,rating\n"
                 "E1,A,s,text one,Complexity,+3\n"       # off-scale rating (row 2)
                 "E2,,s,text two,Cost,-1\n"               # no case (row 3)
                 "E3,A,s,text three,Compexity,0\n"        # unknown construct (row 4)
                 "E3,A,s,another text,Cost,+1\n"          # duplicate excerpt id (row 5)
                 "E4,A,s,text four,,+1\n")                # no construct (row 6)
    problems = validate(path)
    by_line = {int(r.line): (r.column, r.problem, r.fix) for r in problems.itertuples()}
    assert set(by_line) == {2, 3, 4, 5, 6}
    assert by_line[2][0] == "rating" and "'+3'" in by_line[2][1] and "+2 +1 0 -1 -2" in by_line[2][1]
    assert by_line[3][0] == "case"
    assert by_line[4][0] == "construct" and "Innovation Complexity" in by_line[4][1]
    assert by_line[5][0] == "excerpt_id" and "duplicate excerpt id 'E3'" in by_line[5][1]
    assert by_line[6][0] == "construct"
    assert problems["fix"].str.len().gt(5).all()
    with pytest.raises(ValidationError) as err:
        load_coding(path)
    assert "5 problem(s)" in str(err.value) and len(err.value.problems) == 5


def test_notes_problems(tmp_path):
    no_case = write(tmp_path, "nocase.md", "---\nsource: x\n---\n\nText [[Cost -1]]\n")
    unclosed = write(tmp_path, "unclosed.md", "---\ncase: A\n---\n\nText [[Cost -1\n\nMore [[Cost +1]]\n")
    off_scale = write(tmp_path, "off.md", "---\ncase: A\n---\n\nText [[Cost +3]]\n")
    empty_block = write(tmp_path, "emptyblock.md", "---\ncase: A\n---\n\nText [[ ]]\n\nMore [[Cost +1]]\n")
    problems = validate([no_case, unclosed, off_scale, empty_block])
    assert problems.loc[problems["file"] == str(empty_block), "line"].tolist() == [5]
    files = problems.groupby("file")["problem"].apply(list).to_dict()
    assert any("no case" in p for p in files[str(no_case)])
    assert any("not closed" in p for p in files[str(unclosed)])
    # '+3' looks like a rating, so it is reported as off the scale rather than as an unknown construct
    assert any("'+3' is not on the CFIR scale" in p for p in files[str(off_scale)])
    assert problems.loc[problems["file"] == str(unclosed), "line"].tolist() == [5]


def test_empty_file_and_empty_notes(tmp_path):
    empty_csv = write(tmp_path, "empty.csv", "")
    empty_md = write(tmp_path, "empty.md", "")
    problems = validate([empty_csv, empty_md])
    assert len(problems) == 2 and problems["problem"].str.contains("empty").all()


def test_windows_1252_text_is_named(tmp_path):
    path = write(tmp_path, "cp.csv", "case,source,excerpt,construct,rating\nA,s,caf\u00e9 staff,Cost,-1\n", "cp1252")
    problems = validate(path)
    assert len(problems) == 1
    assert "Windows-1252" in problems.loc[0, "problem"] and "UTF-8" in problems.loc[0, "fix"]


def test_excel_header_not_on_first_row(tmp_path):
    path = tmp_path / "sheet.xlsx"
    df = pd.DataFrame([["Coding sheet, team A", None, None, None, None], [None] * 5,
                       ["case", "source", "excerpt", "construct", "rating"], ["A", "s", "text", "Cost", "-1"]])
    df.to_excel(path, header=False, index=False)
    problems = validate(path)
    assert len(problems) == 1 and "row 3" in problems.loc[0, "problem"]
    assert "--header-row" in problems.loc[0, "fix"]
    # read where it is, the sheet's rows are counted as Excel numbers them: the code is on row 4
    df.iloc[3, 4] = "+7"
    df.to_excel(path, header=False, index=False)
    problems = validate(table_path(path, header_row=3))
    assert len(problems) == 1 and problems.loc[0, "line"] == 4 and "+7" in problems.loc[0, "problem"]


def test_same_construct_twice_on_one_excerpt(tmp_path):
    path = write(tmp_path, "twice.md", "---\ncase: A\n---\n\nText [[Cost -1; Innovation Cost -2]]\n")
    problems = validate(path)
    assert len(problems) == 1 and "coded twice" in problems.loc[0, "problem"]


def test_case_ratings_file_errors(tmp_path):
    good = write(tmp_path, "notes.md", "---\ncase: A\n---\n\nText [[Cost -1]]\n")
    bad = write(tmp_path, "cr.csv", "case,construct,rating,rationale\nA,Cost,+5,why\n")
    with pytest.raises(InputError) as err:
        load_coding(good, case_ratings=bad)
    assert err.value.row == 2 and err.value.column == "rating"
    assert "rating '+5' is not on the CFIR scale" in str(err.value)
    dup = write(tmp_path, "cr2.csv", "case,construct,rating\nA,Cost,+1\nA,I.H,-1\n")
    with pytest.raises(InputError, match="twice"):
        load_coding(good, case_ratings=dup)


def test_reverse_rated_complexity(tmp_path):
    path = write(tmp_path, "n.md", "---\ncase: A\n---\n\nVery complex. [[Complexity +2; Cost -1]]\n")
    c = load_coding(path, reverse_rated=True)
    assert c.table["rating"].tolist() == ["-2", "-1"]


def test_a_bare_table_carries_no_case_ratings_and_a_case_ratings_argument_adds_them():
    # the case ratings live on the Coding, not in DataFrame.attrs: a table taken out of it has none
    c = load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml", case_ratings=SAMPLE / "case_ratings.csv")
    merged = c.table.merge(c.table[["excerpt_id"]].drop_duplicates(), on="excerpt_id")
    assert len(merged) == len(c.table) and not merged.attrs
    assert summarise(merged).equals(summarise(c.table))
    assert summarise(merged, case_ratings=SAMPLE / "case_ratings.csv").equals(summarise(c))


def test_a_coding_sheet_given_as_a_dataframe():
    sheet = pd.DataFrame({"Case": ["A"], "source": ["s"], "excerpt": ["Slow."], "construct": ["Cost"],
                          "rating": ["-1"]})
    assert load_coding(sheet).table["construct_id"].tolist() == ["I.H"]
    with pytest.raises(ValidationError) as err:
        load_coding(sheet.assign(rating="+7"))
    assert "<table>, row 2, column 'rating'" in str(err.value)
    with pytest.raises(InputError, match="needs the column"):
        load_coding(sheet.drop(columns="excerpt"))


def test_front_matter_problems_are_collected(tmp_path):
    unclosed = write(tmp_path, "unclosed.md", "---\ncase: A\n\nText [[Cost -1]]\n")
    twice = write(tmp_path, "twice.md", "---\ncase: A\ncase: B\n---\n\nText [[Cost -1]]\n")
    bad_date = write(tmp_path, "date.md", "---\ncase: A\ndate: 31/02/2024\n---\n\nText [[Cost -1]]\n")
    problems = validate([unclosed, twice, bad_date])
    said = problems.groupby("file")["problem"].apply(" / ".join)
    assert "front matter is not closed" in said[str(unclosed)]
    assert "key 'case' appears twice" in said[str(twice)]  # io.load_yaml refuses duplicate keys
    date = problems[problems["file"] == str(bad_date)]
    assert date[["line", "column"]].values.tolist() == [[3, "date"]]
    assert "'31/02/2024' is not a date" in date["problem"].iloc[0]


_text = st.text(alphabet=st.sampled_from(list("abc XYZ,.:;-#*+1)é")), min_size=1, max_size=30).filter(
    lambda t: t.strip() and "[[" not in t and "]]" not in t)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), _text,
                          st.sampled_from(["I.F", "III.J", "V.F.2", "IV.R.H"]),
                          st.sampled_from(["+2", "+1", "0", "-1", "-2", "X", "M"]),
                          st.one_of(st.none(), st.sampled_from(["Fit", "Support"]))), min_size=1, max_size=8,
                unique_by=lambda r: (r[0], " ".join(r[1].split()).lower(), r[2])))
def test_notes_round_trip_property(tmp_path_factory, rows):
    sheet = pd.DataFrame(rows, columns=["case", "excerpt", "construct", "rating", "theme"]).assign(source="s")
    # a theme belongs to an excerpt in coded notes, so give every code of an excerpt the same theme
    same = [sheet["case"], sheet["excerpt"].str.split().str.join(" ").str.lower()]
    sheet["theme"] = sheet.groupby(same)["theme"].transform("first")
    coding = load_coding(sheet).table
    folder = tmp_path_factory.mktemp("notes")
    write_coded_notes(coding, folder)
    back = load_coding(folder).table
    cols = ["excerpt_id", "case", "construct_id", "rating", "theme"]
    key = ["excerpt_id", "construct_id"]
    pd.testing.assert_frame_equal(coding[cols].sort_values(key).reset_index(drop=True),
                                  back[cols].sort_values(key).reset_index(drop=True))
    squashed = coding["excerpt"].str.split().str.join(" ")
    assert set(back["excerpt"]) == set(squashed)


def test_misplaced_code_brackets_are_problems_on_their_line(tmp_path):
    # issue 11: the counts of '[[' and ']]' matched here, so ']] ... [[' passed the old check
    swapped = write(tmp_path, "swapped.md", "---\ncase: A\n---\n\nFirst line\nslow ]] and [[Cost -1\n")
    stray = write(tmp_path, "stray.md", "---\ncase: A\n---\n\nSlow. [[Cost -1]] ]]\n\nFine. [[Cost -1]]\n")
    problems = validate([swapped, stray])
    brackets = problems[problems["problem"].str.contains("'[[", regex=False)]
    got = sorted(brackets[["file", "line", "problem"]].astype(object).values.tolist())
    assert got == [[str(stray), 5, "a ']]' with no '[[' before it"],
                   [str(swapped), 6, "a ']]' with no '[[' before it"]]
