"""REFI-QDA export and import: round trip, schema models, QualCoder's requirements, untrusted files."""

import csv
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata_pydantic.bindings import XmlParser

from cscs_eval.cfir import (CaseAssignmentWarning, Coding, RefiWarning, export_qdc, export_qdpx, import_qdpx,
                            load_coding, read_qdc)
from cscs_eval.cfir._refiqda import _guid as cscs_guid
from cscs_eval.errors import InputError, UsageError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "cfir"
REF = Path(__file__).resolve().parents[1] / "reference" / "cfir"
COLS = ["excerpt_id", "case", "source", "excerpt", "construct_id", "rating", "coder", "memo", "theme"]
STRICT = ParserConfig(fail_on_unknown_properties=True, fail_on_unknown_attributes=True)


@pytest.fixture(scope="module")
def sample():
    return load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml")


def sort(coding):
    df = coding.table if isinstance(coding, Coding) else coding
    return df[COLS].sort_values(["excerpt_id", "construct_id", "coder"]).reset_index(drop=True)


def test_qdpx_round_trip_gives_the_same_table(sample, tmp_path):
    path = export_qdpx(sample, tmp_path / "p.qdpx")
    back = import_qdpx(path)
    pd.testing.assert_frame_equal(sort(sample), sort(back))


def test_two_coders_and_unicode_round_trip(tmp_path):
    sheet = pd.DataFrame({
        "case": ["Équipe A", "Équipe A", "B"], "source": ["s1", "s1", "s2"],
        "excerpt": ["Über-friendly staff 😀 helped\r\nwith forms", "Über-friendly staff 😀 helped\nwith forms",
                    "A third"],
        "construct": ["III.B", "III.B", "I.H"], "rating": ["+1", "+2", "M"], "coder": ["ann", "bob", "ann"],
        "memo": ["a; b | c", None, None]})
    coding = load_coding(sheet).table
    back = import_qdpx(export_qdpx(coding, tmp_path / "u.qdpx")).table
    cols = ["case", "source", "excerpt", "construct_id", "rating", "coder", "memo"]
    key = ["coder", "construct_id"]
    pd.testing.assert_frame_equal(coding[cols].sort_values(key).reset_index(drop=True),
                                  back[cols].sort_values(key).reset_index(drop=True))
    assert sorted(back["rating"]) == ["+1", "+2", "M"] and set(back["coder"]) == {"ann", "bob"}
    assert set(back["excerpt"]) == {"Über-friendly staff 😀 helped\nwith forms", "A third"}


def test_export_meets_qualcoder_requirements(sample, tmp_path):
    path = export_qdpx(sample, tmp_path / "p.qdpx")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert [n for n in names if n.endswith(".qde")] == ["project.qde"]
        xml = zf.read("project.qde")
        texts = {n: zf.read(n) for n in names if n.startswith("Sources/")}
    assert not xml.startswith(b"\xef\xbb\xbf")
    assert all(not t.startswith(b"\xef\xbb\xbf") and b"\r" not in t for t in texts.values())
    from defusedxml.ElementTree import fromstring

    root = fromstring(xml)
    ns = "{urn:QDA-XML:project:1.0}"
    assert root.tag == f"{ns}Project" and root.get("origin", "").startswith("cscs-eval")
    assert [c.tag for c in root][:2] == [f"{ns}Users", f"{ns}CodeBook"]
    assert root.find(f"{ns}CodeBook")[0].tag == f"{ns}Codes"
    codes = list(root.iter(f"{ns}Code"))
    # 72 CFIR nodes (5 domains not codable) and one 'Case: <name>' code per case, the link QualCoder reads
    assert len(codes) == 72 + 4 and all(c.get("isCodable") in ("true", "false") for c in codes)
    assert sum(c.get("isCodable") == "false" for c in codes) == 5
    assert len({c.get("name") for c in codes}) == len(codes)
    case_guids = {c.get("guid") for c in root.iter(f"{ns}Case")}
    assert {c.get("name") for c in codes if c.get("guid") in case_guids} == {
        "Case: CMHT North", "Case: CMHT South", "Case: CMHT West", "Case: Forensic and Rehab"}
    user_guids = {u.get("guid") for u in root.iter(f"{ns}User")}
    sources = list(root.iter(f"{ns}TextSource"))
    assert len({s.get("name") for s in sources}) == len(sources)
    n_codings = 0
    for src in sources:
        assert src.get("path") is None
        text = texts["Sources/" + src.get("plainTextPath").removeprefix("internal://")].decode("utf-8")
        for sel in src.iter(f"{ns}PlainTextSelection"):
            assert sel.get("creatingUser") in user_guids
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert text[start:end].startswith(sel.get("name")[:20])
            codings = sel.findall(f"{ns}Coding")
            assert len(codings) == 1 and codings[0][0].tag == f"{ns}CodeRef"  # one coding per selection
            if codings[0][0].get("targetGUID") in case_guids:
                assert (start, end) == (0, 0)
                continue
            n_codings += 1
            assert sel.find(f"{ns}Description").text.startswith("cscs-eval: rating=")
    assert n_codings == 80
    # QualCoder's import fails on a Note without a date: every element that has a creationDateTime gets one
    for tag in ("TextSource", "PlainTextSelection", "Coding", "Note"):
        found = list(root.iter(f"{ns}{tag}"))
        assert found and all(e.get("creationDateTime") for e in found), tag
    assert root.get("creationDateTime")


def test_export_parses_with_pyrefiqda_models(sample, tmp_path):
    from pyrefiqda.models import CodeBook, Project

    path = export_qdpx(sample, tmp_path / "p.qdpx")
    with zipfile.ZipFile(path) as zf:
        project = XmlParser(config=STRICT).from_bytes(zf.read("project.qde"), Project)
    assert project.origin.startswith("cscs-eval")
    assert len(project.code_book.codes.code) == 5 + 4  # the domains and one 'Case: <name>' code per case
    # one selection per coding, and one empty selection per source that links it to its case
    assert sum(len(s.plain_text_selection) for s in project.sources.text_source) == len(sample.table) + 10
    assert len(project.notes.note) == len(sample.table)
    qdc = export_qdc(tmp_path / "c.qdc")
    book = XmlParser(config=STRICT).from_bytes(qdc.read_bytes(), CodeBook)
    assert [c.name for c in book.codes.code] == ["I. Innovation", "II. Outer Setting", "III. Inner Setting",
                                                 "IV. Individuals", "V. Implementation Process"]
    assert all(c.is_codable is False for c in book.codes.code)
    rows = read_qdc(qdc)
    assert len(rows) == 72 and rows["is_codable"].sum() == 67


def test_qualcoder_export_imports_with_aliases():
    aliases = {"Isolation": "Need", "Coping": "Capability", "Community": "Partnerships & Connections"}
    with pytest.warns(CaseAssignmentWarning, match="'interview_anna.txt' -> 'interview_anna'"), \
            pytest.warns(RefiWarning, match="5 of 5 coding.s. carry no rating"):
        got = import_qdpx(REF / "qualcoder_sample_export.qdpx", aliases=aliases).table
    assert sorted(set(got["case"])) == ["interview_anna", "interview_ben"]  # no cases: each source is one
    with open(REF / "qualcoder_codings.csv", encoding="utf-8", newline="") as fh:
        ref = list(csv.DictReader(fh))
    assert len(got) == len(ref) == 5
    ids = {"Isolation": "IV.C.A", "Coping": "IV.C.B", "Community": "II.D"}
    expected = sorted((r["source"], ids[r["code"]], r["text"]) for r in ref)
    assert sorted(zip(got["source"], got["construct_id"], got["excerpt"])) == expected
    assert set(got["rating"]) == {"M"} and set(got["coder"]) == {"tester"}


def test_qualcoder_export_without_aliases_names_the_codes():
    with pytest.raises(InputError) as err:
        import_qdpx(REF / "qualcoder_sample_export.qdpx")
    msg = str(err.value)
    assert "'Isolation' (2 codings)" in msg and "'Coping' (1 coding)" in msg and "'Community' (2 codings)" in msg
    assert "alias" in msg


def make_qdpx(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


MINIMAL = b"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="test"><Sources/></Project>"""


def test_zip_member_leaving_the_folder_is_refused(tmp_path):
    path = make_qdpx(tmp_path / "evil.qdpx", {"project.qde": MINIMAL, "../x": b"boom"})
    with pytest.raises(InputError, match="leaves the archive folder"):
        import_qdpx(path)
    assert not (tmp_path.parent / "x").exists()


def test_absolute_member_is_refused(tmp_path):
    path = make_qdpx(tmp_path / "abs.qdpx", {"project.qde": MINIMAL, "/etc/passwd": b"x"})
    with pytest.raises(InputError, match="leaves the archive folder"):
        import_qdpx(path)


def test_entity_bomb_is_refused(tmp_path):
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;" origin="x"/>"""
    path = make_qdpx(tmp_path / "bomb.qdpx", {"project.qde": bomb})
    with pytest.raises(InputError, match="entities"):
        import_qdpx(path)




def test_not_a_zip_and_no_qde(tmp_path):
    bad = tmp_path / "bad.qdpx"
    bad.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="ZIP"):
        import_qdpx(bad)
    with pytest.raises(InputError, match="exactly one .qde"):
        import_qdpx(make_qdpx(tmp_path / "empty.qdpx", {"Sources/a.txt": b"x"}))


def test_selection_outside_the_text_is_an_error(tmp_path):
    xml = b"""<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="t">
<CodeBook><Codes><Code guid="11111111-1111-1111-1111-111111111111" name="Cost" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="22222222-2222-2222-2222-222222222222" name="s" plainTextPath="internal://s.txt">
<PlainTextSelection guid="33333333-3333-3333-3333-333333333333" startPosition="2" endPosition="99">
<Coding guid="44444444-4444-4444-4444-444444444444"><CodeRef targetGUID="11111111-1111-1111-1111-111111111111"/>
</Coding></PlainTextSelection></TextSource></Sources></Project>"""
    path = make_qdpx(tmp_path / "off.qdpx", {"project.qde": xml, "Sources/s.txt": b"short"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed import says only why it failed
        with pytest.raises(InputError, match="outside"):
            import_qdpx(path)


def test_failed_export_writes_nothing(sample, tmp_path):
    with pytest.raises(UsageError, match="must end in .qdpx"):
        export_qdpx(sample, tmp_path / "p.zip")
    assert list(tmp_path.iterdir()) == []


def test_two_excerpts_with_the_same_text_stay_apart(tmp_path):
    # given ids: two different excerpts of one interview that read the same, both coded to Cost
    sheet = pd.DataFrame({"excerpt_id": ["E1", "E2", "E2"], "case": ["A"] * 3, "source": ["s"] * 3,
                          "excerpt": ["Agreed.", "Agreed.", "Agreed."], "construct": ["Cost", "Cost", "Planning"],
                          "rating": ["-1", "+2", "+1"], "coder": ["c"] * 3})
    coding = load_coding(sheet)
    path = export_qdpx(coding, tmp_path / "same.qdpx")
    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde").decode("utf-8")
    guids = [part.split('"')[0] for part in qde.split(' guid="')[1:]]
    # unique, except that the case's code shares the case's guid: that is how QualCoder links a case to text
    assert sorted(g for g in set(guids) if guids.count(g) > 1) == [cscs_guid("case", "A")]
    assert guids.count(cscs_guid("case", "A")) == 2
    pd.testing.assert_frame_equal(sort(coding), sort(import_qdpx(path)))


def test_foreign_crlf_bom_source_is_sliced_in_code_points(tmp_path):
    # ATLAS.ti and QualCoder's MAXQDA option write CRLF text whose positions count a line end as one
    # character (anchors section 5.4); positions are Unicode code points, so the emoji is one
    text = "Line one 😀\r\nStaff said the forms were slow.\r\nEnd"
    lf = text.replace("\r\n", "\n")
    start = lf.index("Staff")
    end = start + len("Staff said the forms were slow.")
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="ATLAS.ti">
 <Users><User guid="u1" name="Ann"/></Users>
 <CodeBook><Codes><Code guid="c1" name="Cost" isCodable="true"/></Codes></CodeBook>
 <Sources><TextSource guid="s1" name="Interview 1" plainTextPath="internal://s1.txt">
  <PlainTextSelection guid="p1" startPosition="{start}" endPosition="{end}" creatingUser="u1">
   <Coding guid="k1" creatingUser="u1"><CodeRef targetGUID="c1"/></Coding>
  </PlainTextSelection></TextSource></Sources>
</Project>""".encode("utf-8")
    path = make_qdpx(tmp_path / "atlas.qdpx", {"project.qde": qde, "Sources/s1.txt": b"\xef\xbb\xbf" + text.encode()})
    with pytest.warns(RefiWarning) as caught:
        got = import_qdpx(path)
    assert [type(w.message) for w in caught] == [CaseAssignmentWarning, RefiWarning]
    assert "each is its own case" in str(caught[0].message) and "carry no rating" in str(caught[1].message)
    assert got.case_ratings is None
    got = got.table
    assert got["excerpt"].tolist() == ["Staff said the forms were slow."]
    assert got["construct_id"].tolist() == ["I.H"] and got["coder"].tolist() == ["Ann"]
    assert got["rating"].tolist() == ["M"] and got["case"].tolist() == ["Interview 1"]


def test_case_ratings_survive_the_round_trip(tmp_path):
    from cscs_eval.cfir import matrix, summarise

    coding = load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml", case_ratings=SAMPLE / "case_ratings.csv")
    back = import_qdpx(export_qdpx(coding, tmp_path / "p.qdpx"))
    # the memo rated CMHT South's Relative Advantage X (its excerpts alone give another rating) and rated
    # Forensic and Rehab's Mission Alignment with no excerpt; CMHT North's -2 is what its excerpts give anyway,
    # but it carries the memo's rationale, which only a memo rating has, so it comes back too
    ratings = back.case_ratings.sort_values("case")
    assert ratings[["case", "construct_id", "rating"]].values.tolist() == [
        ["CMHT North", "III.J", "-2"], ["CMHT South", "I.C", "X"], ["Forensic and Rehab", "III.I", "+1"]]
    pd.testing.assert_frame_equal(ratings.reset_index(drop=True),
                                  coding.case_ratings.sort_values("case").reset_index(drop=True))
    assert ratings.columns.tolist() == coding.case_ratings.columns.tolist()
    rationale = dict(zip(ratings["construct_id"], ratings["rationale"]))
    assert rationale["III.I"].startswith("The ward's recovery plan names outcome measures")
    pd.testing.assert_frame_equal(summarise(coding), summarise(back))
    pd.testing.assert_frame_equal(matrix(coding), matrix(back))
