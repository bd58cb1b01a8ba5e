"""Every REFI-QDA export validates against the REFI-QDA schemas and parses with pyrefiqda's strict models.

The schemas are in ``tests/reference/cfir/schemas/`` (see the README there): the official project schema
``Project-mrt2019.xsd`` and a codebook schema rebuilt from QualCoder's history.
"""

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata_pydantic.bindings import XmlParser

from cscs_eval.cfir import export_qdc, export_qdpx, load_coding

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "cfir"
SCHEMAS = Path(__file__).resolve().parents[1] / "reference" / "cfir" / "schemas"
STRICT = ParserConfig(fail_on_unknown_properties=True, fail_on_unknown_attributes=True)


@pytest.fixture(scope="module")
def project_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Project-mrt2019.xsd")))


@pytest.fixture(scope="module")
def codebook_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))


def sample():
    return load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml", case_ratings=SAMPLE / "case_ratings.csv")


def awkward():
    """Two coders, text from Word and phones, memos and themes that need quoting, a case rating with a bar."""
    sheet = pd.DataFrame({
        "excerpt_id": ["E1", "E1", "E2", "E3"], "case": ["Équipe A & B", "Équipe A & B", "Ward\x0b7", "Ward\x0b7"],
        "source": ["baseline", "baseline", "notes", "notes"],
        "excerpt": ["Über-friendly 😀 “it’s fine”\r\n<really>", "Über-friendly 😀 “it’s fine”\r\n<really>",
                    "Nobody asked\x0b what\x00 we needed.", "Agreed."],
        "construct": ["III.B", "III.B", "V.B.1", "I.H"], "rating": ["+1", "X", "-2", "M"],
        "coder": ["Zoë", "Sam O'Neil", "Zoë", None],
        "memo": ['Two lines;\nwith "quotes" & <tags>', None, "  padded  ", "cscs-eval: not a header"],
        "theme": ["Early; days", "a=b", None, '"quoted"']})
    ratings = pd.DataFrame({"case": ["Ward\x0b7"], "construct": ["III.B"], "rating": ["+1"],
                            "rationale": ["memo | with a bar\x0c"]})
    return load_coding(sheet, case_ratings=ratings)


EXPORTS = {
    "the sample": (sample, {}),
    "the sample, dated": (sample, {"created": "2025-01-31T09:00:00+01:00"}),
    "without case codes": (sample, {"case_codes": False}),
    "without case variables": (sample, {"case_variables": False}),
    "awkward text": (awkward, {}),
}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_every_export_validates_and_parses(name, tmp_path, project_schema):
    from pyrefiqda.models import Project

    make, options = EXPORTS[name]
    path = export_qdpx(make(), tmp_path / "p.qdpx", **options)
    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde")
    doc = etree.fromstring(qde)
    assert project_schema.validate(doc), project_schema.error_log.filter_from_errors()[:3]
    project = XmlParser(config=STRICT).from_bytes(qde, Project)
    assert project.origin.startswith("cscs-eval")


def test_awkward_text_comes_back_with_only_the_characters_xml_cannot_hold_changed(tmp_path):
    from cscs_eval.cfir import import_qdpx, rate_cases

    coding = awkward()
    back = import_qdpx(export_qdpx(coding, tmp_path / "p.qdpx"))
    cols = ["excerpt_id", "case", "source", "excerpt", "construct_id", "rating", "coder", "memo", "theme"]
    clean = coding.table[cols].replace({"\x0b": " ", "\x00": " "}, regex=True)
    key = ["excerpt_id", "coder"]
    pd.testing.assert_frame_equal(clean.sort_values(key).reset_index(drop=True),
                                  back.table[cols].sort_values(key).reset_index(drop=True))
    assert back.case_ratings[["case", "rating", "rationale"]].values.tolist() == [["Ward 7", "+1", "memo | with a bar"]]
    assert len(rate_cases(back)) == len(rate_cases(coding))


def test_dates_are_utc_and_given_one_for_the_whole_export(tmp_path):
    path = export_qdpx(sample(), tmp_path / "p.qdpx", created="2025-01-31T09:00:00+01:00")
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("project.qde"))
    dates = {el.get("creationDateTime") for el in root.iter() if el.get("creationDateTime")}
    assert dates == {"2025-01-31T08:00:00Z"}


def test_source_date_epoch_makes_exports_reproducible(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1738314000")  # 2025-01-31T09:00:00Z
    first = export_qdpx(sample(), tmp_path / "a.qdpx")
    second = export_qdpx(sample(), tmp_path / "b.qdpx")
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.read("project.qde") == b.read("project.qde")
        assert b'creationDateTime="2025-01-31T09:00:00Z"' in a.read("project.qde")


def test_the_codebook_validates(tmp_path, codebook_schema):
    path = export_qdc(tmp_path / "c.qdc")
    assert codebook_schema.validate(etree.parse(str(path))), codebook_schema.error_log.filter_from_errors()[:3]
