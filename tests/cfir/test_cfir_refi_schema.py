"""Every REFI-QDA export validates against the REFI-QDA schemas and parses with pyrefiqda's strict models.

The schemas are in ``tests/reference/cfir/schemas/`` (see the README there): the official project schema
``Project-mrt2019.xsd`` and a codebook schema rebuilt from QualCoder's history.
"""

import warnings
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata_pydantic.bindings import XmlParser

from refi_helpers import assert_same_coding
from refi_helpers import awkward_coding as awkward
from refi_helpers import sample_coding as sample

from cscs_eval.cfir import export_qdc, export_qdpx

SCHEMAS = Path(__file__).resolve().parents[1] / "reference" / "cfir" / "schemas"
STRICT = ParserConfig(fail_on_unknown_properties=True, fail_on_unknown_attributes=True)


@pytest.fixture(scope="module")
def project_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Project-mrt2019.xsd")))


@pytest.fixture(scope="module")
def codebook_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))


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
    from cscs_eval.cfir import RefiWarning, import_qdpx

    coding = awkward()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RefiWarning)
        back = import_qdpx(export_qdpx(coding, tmp_path / "p.qdpx"))
    assert_same_coding(coding, back)  # with vertical tabs and NULs as spaces
    assert back.case_ratings[["case", "rating", "rationale"]].values.tolist() == [["Ward 7", "+1", "memo | with a bar"]]


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
