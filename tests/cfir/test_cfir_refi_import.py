"""REFI-QDA import: ratings from Descriptions or notes, cases from every kind of link, merged aliases, clean text.

Each test exports the sample (or a small coding), reshapes the project the way a client would, and imports it.
"""

import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest

from cscs_eval.cfir import (CASE_VARIABLE, CaseAssignmentWarning, DescriptionConflictWarning, RefiWarning,
                            export_qdpx, import_qdpx, load_coding, rate_cases)
from cscs_eval.errors import InputError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "cfir"
NS = "{urn:QDA-XML:project:1.0}"
COLS = ["excerpt_id", "case", "source", "excerpt", "construct_id", "rating", "coder", "memo", "theme"]
ET.register_namespace("", NS[1:-1])


@pytest.fixture(scope="module")
def sample():
    return load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml", case_ratings=SAMPLE / "case_ratings.csv")


@pytest.fixture()
def exported(sample, tmp_path):
    return export_qdpx(sample, tmp_path / "sample.qdpx", created="2025-01-31T09:00:00Z")


def sort(table):
    return table[COLS].sort_values(["excerpt_id", "construct_id", "coder"]).reset_index(drop=True)


def reshape(path, edit, out=None, extra=None):
    """Rewrite project.qde of ``path`` with ``edit(root)``; ``extra`` adds members."""
    out = out or path.with_name("edited.qdpx")
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    root = ET.fromstring(members["project.qde"])
    edit(root)
    members["project.qde"] = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    members.update(extra or {})
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def drop(root, tag, *, where=None):
    """Remove every ``tag`` element (for which ``where(el)`` holds) from wherever it stands."""
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{NS}{tag}" and (where is None or where(child)):
                parent.remove(child)


def case_guids(root):
    return {c.get("guid") for c in root.iter(f"{NS}Case")}


def import_quietly(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RefiWarning)  # no RefiWarning expected
        return import_qdpx(path, **kw)


# --------------------------------------------------------------------------------------------
# Ratings, memos, themes and excerpt ids
# --------------------------------------------------------------------------------------------

def test_the_description_alone_carries_every_rating_memo_theme_and_id(sample, exported):
    # what QualCoder keeps: no notes, no NoteRef
    def strip_notes(root):
        drop(root, "Notes")
        drop(root, "NoteRef")

    back = import_quietly(reshape(exported, strip_notes))
    pd.testing.assert_frame_equal(sort(sample.table), sort(back.table))
    pd.testing.assert_frame_equal(rate_cases(sample), rate_cases(back))


def test_the_notes_alone_carry_them_too(sample, exported):
    # what a client that keeps notes but rewrites Descriptions sends back (and what cscs-eval wrote before)
    back = import_quietly(reshape(exported, lambda root: drop(root, "Description", where=lambda d: (d.text or "")
                                                                  .startswith("cscs-eval:"))))
    pd.testing.assert_frame_equal(sort(sample.table), sort(back.table))


def test_when_description_and_note_disagree_the_note_wins_and_the_excerpt_is_named(sample, exported):
    row = sample.table.query("construct_id == 'III.I' and case == 'CMHT North'").iloc[0]
    assert row["rating"] == "+1"

    def edit(root):
        for sel in root.iter(f"{NS}PlainTextSelection"):
            d = sel.find(f"{NS}Description")
            if d is not None and f"excerpt={row['excerpt_id']}" in d.text and "rating=+1" in d.text:
                d.text = d.text.replace("rating=+1", "rating=-2")

    with pytest.warns(DescriptionConflictWarning) as caught:
        back = import_qdpx(reshape(exported, edit))
    message = str(caught[0].message)
    assert f"excerpt {row['excerpt_id']}" in message and "'CMHT North - baseline interview'" in message
    assert "rating '-2' in the Description, '+1' in the note" in message and "III.I Mission Alignment" in message
    pd.testing.assert_frame_equal(sort(sample.table), sort(back.table))


def test_a_memo_on_several_lines_is_kept_from_the_description(tmp_path):
    # the note holds the memo on one line; the Description keeps its line breaks, and they agree
    sheet = pd.DataFrame({"case": ["A"], "source": ["s"], "excerpt": ["Slow forms."], "construct": ["I.F"],
                          "rating": ["-1"], "memo": ["first line\nsecond line"]})
    coding = load_coding(sheet)
    back = import_quietly(export_qdpx(coding, tmp_path / "m.qdpx"))
    assert back.table["memo"].tolist() == ["first line\nsecond line"]


def test_a_description_without_the_line_is_the_memo(exported):
    # a person deleted the cscs-eval: line in QualCoder and the project went on without notes: the memo stays,
    # the rating is missing and a warning says so
    def edit(root):
        drop(root, "Notes")
        drop(root, "NoteRef")
        for d in root.iter(f"{NS}Description"):
            if (d.text or "").startswith("cscs-eval:"):
                d.text = "Re-read in QualCoder."

    with pytest.warns(RefiWarning, match=r"80 of 80 coding\(s\) carry no rating"):
        back = import_qdpx(reshape(exported, edit))
    assert set(back.table["rating"]) == {"M"} and set(back.table["memo"]) == {"Re-read in QualCoder."}


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

def only_link(kind):
    """Keep one kind of case link and remove the others."""
    def edit(root):
        guids = case_guids(root)
        if kind != "source ref":
            drop(root, "SourceRef")
        if kind != "case code":
            drop(root, "Code", where=lambda c: c.get("guid") in guids)
            drop(root, "PlainTextSelection", where=lambda s: s.get("endPosition") == "0")
        if kind != "variable":
            drop(root, "VariableValue", where=lambda v: v.find(f"{NS}TextValue") is not None
                 and v.find(f"{NS}VariableRef").get("targetGUID") == variable_guid(root))
    return edit


def variable_guid(root):
    return next(v.get("guid") for v in root.iter(f"{NS}Variable") if v.get("name") == CASE_VARIABLE)


@pytest.mark.parametrize("kind", ["source ref", "case code", "variable"])
def test_each_kind_of_case_link_gives_the_cases(sample, exported, kind):
    back = import_quietly(reshape(exported, only_link(kind)))
    pd.testing.assert_frame_equal(sort(sample.table), sort(back.table))


def test_qualcoders_dangling_source_refs_are_read_through_the_copy_of_the_text(sample, exported):
    # QualCoder's export points a case's SourceRef at sources/<guid>.txt, a BOM'd copy of the source's text,
    # not at the TextSource
    with zipfile.ZipFile(exported) as zf:
        texts = {n: zf.read(n) for n in zf.namelist() if n.startswith("Sources/")}
    extra = {}

    def edit(root):
        only_link("source ref")(root)
        for k, ref in enumerate(root.iter(f"{NS}SourceRef")):
            new = f"00000000-0000-4000-8000-{k:012d}"
            extra[f"sources/{new}.txt"] = b"\xef\xbb\xbf" + texts[f"Sources/{ref.get('targetGUID')}.txt"]
            ref.set("targetGUID", new)

    back = import_quietly(reshape(exported, edit, extra=extra))
    pd.testing.assert_frame_equal(sort(sample.table), sort(back.table))


def test_without_links_a_case_whose_name_starts_the_source_name_takes_it_with_a_warning(sample, exported):
    def edit(root):
        only_link("source ref")(root)
        drop(root, "SourceRef")

    with pytest.warns(CaseAssignmentWarning, match="10 source.s. have no case link") as caught:
        back = import_qdpx(reshape(exported, edit))
    assert "'CMHT North - baseline interview' -> 'CMHT North'" in str(caught[0].message)
    pd.testing.assert_frame_equal(sort(sample.table), sort(back.table))


def test_without_links_or_matching_cases_each_source_is_its_own_case(exported):
    def edit(root):
        only_link("source ref")(root)
        drop(root, "Cases")

    with pytest.warns(CaseAssignmentWarning, match="each is its own case"):
        back = import_qdpx(reshape(exported, edit))
    assert back.table["case"].nunique() == 10 and "CMHT North - baseline interview" in set(back.table["case"])


def test_links_that_disagree_are_named_and_the_first_is_used(sample, exported):
    def edit(root):
        guid = variable_guid(root)
        for ts in root.iter(f"{NS}TextSource"):
            if ts.get("name") == "CMHT West - short contact 1":
                for vv in ts.iter(f"{NS}VariableValue"):
                    if vv.find(f"{NS}VariableRef").get("targetGUID") == guid:
                        vv.find(f"{NS}TextValue").text = "CMHT South"

    with pytest.warns(CaseAssignmentWarning) as caught:
        back = import_qdpx(reshape(exported, edit))
    message = str(caught[0].message)
    assert "'CMHT West - short contact 1': its case's source link says 'CMHT West'" in message
    assert "its 'cscs-eval case' variable says 'CMHT South'" in message
    pd.testing.assert_frame_equal(sort(sample.table), sort(back.table))


# --------------------------------------------------------------------------------------------
# Codes an alias file maps to one construct
# --------------------------------------------------------------------------------------------

TWO_CODES = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="QualCoder 4.0 Beta">
 <Users><User guid="00000000-0000-4000-8000-000000000001" name="Priya"/></Users>
 <CodeBook><Codes>
  <Code guid="00000000-0000-4000-8000-0000000000c1" name="Available Resources" isCodable="true"/>
  <Code guid="00000000-0000-4000-8000-0000000000c2" name="Workload" isCodable="true"/>
 </Codes></CodeBook>
 <Sources><TextSource guid="00000000-0000-4000-8000-0000000000s1" name="CMHT East baseline.txt"
   plainTextPath="internal://s1.txt">{selections}</TextSource></Sources>
</Project>""".replace("0000000000s1", "0000000000a1")

SELECTION = """<PlainTextSelection guid="00000000-0000-4000-8000-00000000{n:04d}" startPosition="{start}"
 endPosition="{end}" creatingUser="00000000-0000-4000-8000-000000000001">{description}{codings}</PlainTextSelection>"""
CODING = """<Coding guid="00000000-0000-4000-8000-0000000{n:05d}"><CodeRef
 targetGUID="00000000-0000-4000-8000-0000000000{code}"/></Coding>"""
TEXT = "Intro line.\nWe have two vacancies and caseloads are huge, so there isn't the time.\nEnd."
SPAN = (12, 12 + len("We have two vacancies and caseloads are huge, so there isn't the time."))
ALIASES = {"Workload": "Available Resources"}


def two_code_project(tmp_path, selections):
    xml = TWO_CODES.format(selections="".join(selections))
    path = tmp_path / "two.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml)
        zf.writestr("sources/s1.txt", b"\xef\xbb\xbf" + TEXT.encode())
    return path


def selection(n, codes, description=""):
    codings = "".join(CODING.format(n=n * 10 + k, code=code) for k, code in enumerate(codes))
    desc = f"<Description>{description}</Description>" if description else ""
    return SELECTION.format(n=n, start=SPAN[0], end=SPAN[1], description=desc, codings=codings)


@pytest.mark.parametrize("shape", ["two selections (QualCoder)", "two codings in one selection"])
def test_two_codes_mapped_to_one_construct_on_one_excerpt_merge(tmp_path, shape):
    if shape.startswith("two selections"):
        sels = [selection(1, ["c1"], "cscs-eval: rating=-2\nvacancies"), selection(2, ["c2"], "caseloads")]
    else:
        sels = [selection(1, ["c1", "c2"], "cscs-eval: rating=-2\nvacancies")]
    with pytest.warns(CaseAssignmentWarning):
        got = import_qdpx(two_code_project(tmp_path, sels), aliases=ALIASES).table
    assert len(got) == 1
    row = got.iloc[0]
    assert (row["construct_id"], row["rating"], row["case"]) == ("III.J", "-2", "CMHT East baseline")
    assert row["excerpt"] == "We have two vacancies and caseloads are huge, so there isn't the time."
    assert row["memo"] == ("vacancies; caseloads" if shape.startswith("two selections") else "vacancies")


def test_two_codes_mapped_to_one_construct_with_different_ratings_name_the_source_and_excerpt(tmp_path):
    sels = [selection(1, ["c1"], "cscs-eval: rating=-2"), selection(2, ["c2"], "cscs-eval: rating=+1")]
    with pytest.raises(InputError) as err:
        import_qdpx(two_code_project(tmp_path, sels), aliases=ALIASES)
    assert str(err.value) == (
        f"{tmp_path / 'two.qdpx'}: source 'CMHT East baseline.txt', excerpt 12-82 ('We have two vacancies and "
        "caseloads are...'): 'Available Resources' rated -2 and 'Workload' rated +1 all map to Available Resources "
        "(III.J); give the excerpt one rating of it, or map the codes to different constructs")


def test_the_same_words_at_two_places_stay_two_excerpts(tmp_path):
    # no excerpt ids (a foreign project): 'Agreed.' said twice in one interview, coded with one construct
    text = "Agreed.\nSomething else.\nAgreed."
    xml = TWO_CODES.format(selections="".join(
        SELECTION.format(n=n, start=start, end=start + 7, description="", codings=CODING.format(n=n, code="c1"))
        for n, start in ((1, 0), (2, len(text) - 7))))
    path = tmp_path / "agreed.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml)
        zf.writestr("sources/s1.txt", text)
    with pytest.warns(RefiWarning):
        got = import_qdpx(path).table
    assert got["excerpt"].tolist() == ["Agreed.", "Agreed."] and got["excerpt_id"].nunique() == 2


def test_an_empty_selection_with_a_code_is_skipped_with_a_warning(tmp_path):
    sels = [selection(1, ["c1"], "cscs-eval: rating=+1"),
            SELECTION.format(n=2, start=3, end=3, description="", codings=CODING.format(n=2, code="c1"))]
    with pytest.warns(RefiWarning) as caught:
        got = import_qdpx(two_code_project(tmp_path, sels)).table
    assert any("1 coding(s) of empty or blank selections were skipped" in str(w.message) for w in caught)
    assert got["rating"].tolist() == ["+1"]


# --------------------------------------------------------------------------------------------
# Characters XML cannot hold
# --------------------------------------------------------------------------------------------

def test_control_characters_are_replaced_so_the_file_is_well_formed(tmp_path):
    # a vertical tab pasted from Word, a form feed and a NUL in every text field
    sheet = pd.DataFrame({"case": ["Team\x0bA"], "source": ["s\x0c1"], "excerpt": ["Forms\x0bwere slow.\x00"],
                          "construct": ["I.F"], "rating": ["-1"], "coder": ["Ann\x01"],
                          "memo": ["said\x0btwice"], "theme": ["Early\x0bdays"]})
    coding = load_coding(sheet, case_ratings=pd.DataFrame({"case": ["Team\x0bA"], "construct": ["I.H"],
                                                           "rating": ["-2"], "rationale": ["cost\x0bly"]}))
    path = export_qdpx(coding, tmp_path / "ctrl.qdpx")
    with zipfile.ZipFile(path) as zf:
        from defusedxml.ElementTree import fromstring

        fromstring(zf.read("project.qde"))  # well formed
    back = import_quietly(path)
    row = back.table.iloc[0]
    assert (row["case"], row["source"], row["excerpt"], row["coder"], row["memo"], row["theme"]) == (
        "Team A", "s 1", "Forms were slow.", "Ann", "said twice", "Early days")
    assert back.case_ratings["rationale"].tolist() == ["cost ly"]


def test_an_excerpt_line_copied_to_another_selection_names_both_places(exported):
    # a person copied a whole memo, cscs-eval: line and all, onto another passage in QualCoder
    def edit(root):
        selections = [s for s in root.iter(f"{NS}PlainTextSelection") if s.get("endPosition") != "0"]
        first, other = selections[0], next(s for s in selections
                                          if s.get("startPosition") != selections[0].get("startPosition"))
        other.find(f"{NS}Description").text = first.find(f"{NS}Description").text
        drop(root, "NoteRef")

    with pytest.raises(InputError) as err:
        import_qdpx(reshape(exported, edit))
    message = err.value.message
    assert message.startswith("excerpt id 'x") and "is given to two selections: source 'Forensic and Rehab - short "
    assert "contact 1', excerpt 0-90, and source 'Forensic and Rehab - short contact 1', excerpt 92-204" in message
