"""Files the real QualCoder wrote, kept in tests/reference/cfir/qualcoder/, read without QualCoder (so on CI).

Two were made in QualCoder (4.0 Beta, commit c3204641) by the project's QualCoder helper:

* ``qualcoder_case_manager_export.qdpx`` has cases from QualCoder's case manager, local codes, emoji, curly quotes
  and a span over a line break;
* ``qualcoder_reexport_of_cscs_sample.qdpx`` is the sample as the old export wrote it, after QualCoder's import
  and export.

The rest are today's export of each project in ``refi_helpers.PROJECTS`` (``*_export.qdpx``), what QualCoder
wrote after importing it (``*_qualcoder_roundtrip.qdpx``), and its summary of the run (``*.json``). These files back
the README's table of what survives a round trip through QualCoder; ``test_cfir_qualcoder_live.py`` runs the round
trip again where QualCoder is set up.
"""

import json
import re
import warnings
import zipfile

import pytest
from lxml import etree

from refi_helpers import CREATED, EXPERIMENTAL, PROJECTS, QUALCODER_FILES, assert_same_coding, export_project, qde

from cscs_eval.cfir import CASE_VARIABLE, CaseAssignmentWarning, RefiWarning, import_qdpx

NS = "{urn:QDA-XML:project:1.0}"
SCHEMA = QUALCODER_FILES.parent / "schemas" / "Project-mrt2019.xsd"


def summary(name):
    return json.loads((QUALCODER_FILES / f"{name}_qualcoder_roundtrip.json").read_text(encoding="utf-8"))


def root_of(path):
    return etree.fromstring(qde(path))


def quiet_import(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RefiWarning)
        return import_qdpx(path, **kw)


# --------------------------------------------------------------------------------------------
# cscs-eval -> QualCoder -> cscs-eval
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PROJECTS))
def test_the_committed_exports_are_what_cscs_eval_writes_today(name, tmp_path):
    today = re.sub(rb'origin="[^"]*"', b"", qde(export_project(name, tmp_path)))
    committed = re.sub(rb'origin="[^"]*"', b"", qde(QUALCODER_FILES / f"{name}_export.qdpx"))
    assert today == committed, (
        "the REFI-QDA export has changed since QualCoder last read it: where QualCoder is set up, run "
        "'python tests/cfir/refi_helpers.py' to send it through QualCoder again, then commit the files it rewrites")


@pytest.mark.parametrize("name", list(PROJECTS))
def test_qualcoder_imported_and_exported_our_project_without_an_error(name):
    run = summary(name)
    assert run["error"] is None and run["export_error"] is None
    # the only dialog is the warning box QualCoder shows on every REFI import
    assert [m["title"] for m in run["messages"]] == ["REFI-QDA Project import"]
    assert EXPERIMENTAL in run["messages"][0]["text"]
    check = run["check_against_file"]
    assert check["text_mismatches"] == [] and check["file_code_refs_unresolved"] == 0
    # what QualCoder did not load as codings are exactly the empty selections that link a source to its case,
    # which became its case links
    assert {(m["start"], m["end"]) for m in check["missing_in_qualcoder"]} == {(0, 0)}
    assert all(m["code"].startswith("Case: ") for m in check["missing_in_qualcoder"])
    assert len(check["missing_in_qualcoder"]) == len(run["case_text"])


def test_in_qualcoder_the_sample_has_its_codes_codings_memos_cases_links_and_case_ratings():
    run = summary("cscs_sample")
    assert (run["codes"], run["categories"], run["sources"], run["text_codings"]) == (67, 5, 10, 80)
    assert run["coding_memos"] == [[80, 80]]  # every coding memo holds its cscs-eval: line
    assert [c[1] for c in run["cases"]] == ["CMHT North", "CMHT South", "CMHT West", "Forensic and Rehab"]
    assert len(run["case_text"]) == 10 and all(link[2:] == [0, 0] for link in run["case_text"])
    assert all(link[1].startswith(link[0] + " - ") for link in run["case_text"])  # each source to its own case
    kinds = {name: kind for name, kind, _ in run["attribute_types"]}
    assert kinds.pop(CASE_VARIABLE) == "file" and set(kinds.values()) == {"case"} and len(kinds) == 39


@pytest.mark.parametrize("name", list(PROJECTS))
def test_qualcoders_export_of_our_project_comes_back_identical(name):
    make, _ = PROJECTS[name]
    back = quiet_import(QUALCODER_FILES / f"{name}_qualcoder_roundtrip.qdpx")
    assert_same_coding(make(), back)


@pytest.mark.parametrize("name", list(PROJECTS))
def test_what_qualcoder_keeps_and_what_it_replaces(name):
    # the claims of the README's table "What survives a round trip through QualCoder"
    ours = root_of(QUALCODER_FILES / f"{name}_export.qdpx")
    theirs = root_of(QUALCODER_FILES / f"{name}_qualcoder_roundtrip.qdpx")

    def texts(root, path):
        return sorted(e.text or "" for e in root.iterfind(path))

    def names(root, tag):
        return sorted(e.get("name") for e in root.iter(f"{NS}{tag}"))

    # kept: every selection's Description byte for byte, the sources, users, cases and case variable values
    selections = f".//{NS}PlainTextSelection/{NS}Description"
    assert texts(ours, selections) == texts(theirs, selections)
    assert names(ours, "TextSource") == names(theirs, "TextSource")
    assert names(ours, "User") == names(theirs, "User")
    assert names(ours, "Case") == names(theirs, "Case")
    values = f".//{NS}Case/{NS}VariableValue/{NS}TextValue"
    assert texts(ours, values) == texts(theirs, values)
    source_values = f".//{NS}TextSource/{NS}VariableValue/{NS}TextValue"
    assert texts(ours, source_values) == texts(theirs, source_values) != []
    # kept: the construct definitions (as code memos) and the subconstructs nested under their constructs
    cfir_codes = f".//{NS}Code[@isCodable='true']"
    definitions = sorted(c.findtext(f"{NS}Description") for c in ours.iterfind(cfir_codes)
                         if not c.get("name").startswith("Case: "))
    assert definitions == sorted(c.findtext(f"{NS}Description") for c in theirs.iterfind(cfir_codes))
    nested = f".//{NS}Code[@isCodable='true']/{NS}Code"
    assert len(list(ours.iterfind(nested))) == len(list(theirs.iterfind(nested))) == 19
    # kept: our dates
    assert {e.get("creationDateTime") for e in theirs.iter(f"{NS}PlainTextSelection")} == {CREATED}
    # changed: the case codes became QualCoder's case links, and its SourceRefs name copies of the texts
    assert not [n for n in names(theirs, "Code") if n.startswith("Case: ")]
    source_guids = {e.get("guid") for e in theirs.iter(f"{NS}TextSource")}
    refs = [e.get("targetGUID") for e in theirs.iter(f"{NS}SourceRef")]
    assert len(refs) == len(source_guids) and not source_guids & set(refs)
    with zipfile.ZipFile(QUALCODER_FILES / f"{name}_qualcoder_roundtrip.qdpx") as zf:
        assert all(f"sources/{ref}.txt" in zf.namelist() for ref in refs)
        texts_in = [zf.read(n) for n in zf.namelist() if n.endswith(".txt")]
    assert all(t.startswith(b"\xef\xbb\xbf") for t in texts_in)  # QualCoder adds a BOM
    # dropped: the rating notes and every guid
    assert list(theirs.iter(f"{NS}Note")) == [] and list(theirs.iter(f"{NS}NoteRef")) == []
    assert not {e.get("guid") for e in ours.iter()} & {e.get("guid") for e in theirs.iter()} - {None}
    # replaced: the project's name, and codes get colours
    assert theirs.get("name") == "import_check.qda" and theirs.get("origin") == "QualCoder 4.0 Beta"
    assert all(c.get("color") for c in theirs.iter(f"{NS}Code") if c.get("isCodable") == "true")


@pytest.mark.parametrize("path", sorted(QUALCODER_FILES.glob("*.qdpx")), ids=lambda p: p.name)
def test_every_committed_project_is_valid_refi(path):
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(root_of(path)), schema.error_log.filter_from_errors()[:3]


# --------------------------------------------------------------------------------------------
# Projects made in QualCoder
# --------------------------------------------------------------------------------------------

ALIASES = {"Workload": "Available Resources", "NHS policy": "Policies & Laws"}


def test_a_qualcoder_project_with_case_manager_cases_imports_and_says_how_cases_were_assigned():
    with pytest.warns(RefiWarning) as caught:
        got = import_qdpx(QUALCODER_FILES / "qualcoder_case_manager_export.qdpx", aliases=ALIASES).table
    said = [str(w.message) for w in caught]
    assert any(isinstance(w.message, CaseAssignmentWarning) and "'CMHT East baseline.txt' -> 'CMHT East', "
               "'CMHT East end-point.txt' -> 'CMHT East'" in str(w.message) for w in caught), said
    assert any("QualCoder does not export the links its case manager makes" in s for s in said)
    assert any("9 of 9 coding(s) carry no rating" in s for s in said)
    assert set(got["case"]) == {"CMHT East"} and set(got["coder"]) == {"Priya Shah"}
    assert sorted(set(got["source"])) == ["CMHT East baseline.txt", "CMHT East end-point.txt"]
    # emoji, curly quotes, an em dash and a span over a line break come back as QualCoder showed them
    excerpts = set(got["excerpt"])
    assert "Our champion, Zoë, ran drop-in sessions every Tuesday 🙂 and that helped a lot." in excerpts
    assert "Service users told us the “goals” section felt like theirs." in excerpts
    assert "so there isn't the time.\nThe national deadline for reporting outcomes" in excerpts
    assert any("—" in e for e in excerpts)


def test_two_local_codes_mapped_to_one_construct_on_one_excerpt_become_one_coding():
    # 245-315 is coded 'Available Resources' and 'Workload' (two selections); the alias maps Workload to it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)
        got = import_qdpx(QUALCODER_FILES / "qualcoder_case_manager_export.qdpx", aliases=ALIASES).table
    span = got[got["excerpt"] == "We have two vacancies and caseloads are huge, so there isn't the time."]
    assert span["construct_id"].tolist() == ["III.J"] and len(got) == 9


def test_the_old_export_after_qualcoder_gets_its_cases_by_name_and_says_the_ratings_are_missing():
    with pytest.warns(RefiWarning) as caught:
        got = import_qdpx(QUALCODER_FILES / "qualcoder_reexport_of_cscs_sample.qdpx")
    said = " | ".join(str(w.message) for w in caught)
    assert "10 source(s) have no case link" in said and "'CMHT North - baseline interview' -> 'CMHT North'" in said
    assert "80 of 80 coding(s) carry no rating" in said
    table = got.table
    assert sorted(set(table["case"])) == ["CMHT North", "CMHT South", "CMHT West", "Forensic and Rehab"]
    assert "baseline interview" in set(table["source"]) and set(table["rating"]) == {"M"}
    assert len(got.case_ratings) == 70  # the case variables arrive; every one now differs from M excerpts
