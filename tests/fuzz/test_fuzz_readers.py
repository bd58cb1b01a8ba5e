"""Fuzzing every reader of user files: whatever the bytes, the only exceptions are cscs-eval's own.

Each test hands a reader files built from the tokens that break parsers (impossible dates, aliases, tags, quotes,
control characters, duplicate and case-folded column names, ZIP headers that lie) mixed with random text, and
fails on any exception that is not a :class:`cscs_eval.errors.CscsEvalError`. Warnings are allowed.

The number of examples comes from the Hypothesis profile (tests/conftest.py): ``ci`` (the default) keeps the
whole module to about a minute; ``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``) runs many more.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscs_eval.errors import CscsEvalError

pytestmark = pytest.mark.fuzz

SLOW_OK = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.filter_too_much])

#: A folder for the files of the examples (each example overwrites its file), removed after the module.
FOLDER = Path(tempfile.mkdtemp(prefix="cscs-eval-fuzz-"))


@pytest.fixture(scope="module", autouse=True)
def _remove_folder():
    yield
    shutil.rmtree(FOLDER, ignore_errors=True)


def write(name: str, content) -> Path:
    path = FOLDER / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8", "surrogatepass"))
    return path


def survives(reader, *args, **kwargs):
    """Call ``reader``; a CscsEvalError is the expected refusal, any other exception fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return reader(*args, **kwargs)
        except CscsEvalError:
            return None


# --- building blocks ---------------------------------------------------------------------------------------------

#: Scalars that make YAML loaders and date parsers raise (8 of the 10 crash signatures of issue 11).
AWKWARD = ["2024-02-30", "0000-01-01", "2024-01-01T25:00:00", "2024-13-01", "9999-12-31 23:59:60", "1e400",
           "-.inf", ".nan", "0x1G", "0o9", "0b2", "1_000", "!!binary x=", "!!timestamp 2024-02-30", "!!int abc",
           "!!float x", "!!bool maybe", "!!set {a}", "!!omap [a]", "!!pairs [a]", "!!python/name:os.system",
           "!!str", "!!null x", "<<: 1", "<<: *a", "&a x", "*a", "*b", "~", "null", "yes", "No", "''", '""',
           "'unclosed", '"\\x00"', '"\\v"', '"\\ud800"', "|", ">-", "[", "]", "{", "}", "? ", "- ", ": ", "#",
           "%YAML 1.1",
           "---", "...", "\t", "\x0b", "\x00", "\ufeff", "\u2028", "é", "+2", "-2", "X", "++", "--", "M"]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
TOKEN = st.one_of(st.sampled_from(AWKWARD), TEXT, st.sampled_from(["\n", "\n  ", "\n- ", ": ", " ", ","]))


def yamlish(keys=()):
    """YAML-like text: lines of 'key: value' and list items, from the given keys and awkward tokens."""
    key = st.one_of(st.sampled_from(list(keys) or ["a"]), TEXT, st.sampled_from(AWKWARD))
    line = st.one_of(
        st.tuples(st.sampled_from(["", "  ", "    ", "- ", "  - "]), key, st.just(": "),
                  st.lists(TOKEN, max_size=4).map("".join)).map("".join),
        st.lists(TOKEN, max_size=6).map("".join))
    return st.lists(line, max_size=14).map("\n".join)


def csvish(headers):
    """CSV-like text: a header of known, case-folded, duplicated and random names, then rows of awkward cells."""
    name = st.one_of(st.sampled_from(headers), st.sampled_from(headers).map(str.upper),
                     st.sampled_from(headers).map(lambda h: h.replace("_", " ").title()), TEXT)
    cell = st.one_of(st.sampled_from(AWKWARD), TEXT, st.sampled_from(['"a,b"', '"x\ny"', '"', "=1+1", ""]))
    # Half the time every expected column, in any order, so the examples reach the checks past the header.
    header = st.one_of(st.permutations(headers).map(",".join),
                       st.lists(name, min_size=1, max_size=len(headers) + 2).map(",".join))
    rows = st.lists(st.lists(cell, max_size=len(headers) + 2).map(",".join), max_size=8)
    return st.tuples(header, rows).map(lambda hr: "\n".join([hr[0], *hr[1]]) + "\n")


def mutated(data: bytes):
    """``data`` with a few bytes changed, cut short, or both."""
    flips = st.lists(st.tuples(st.integers(0, max(len(data) - 1, 0)), st.integers(0, 255)), max_size=6)
    cut = st.one_of(st.none(), st.integers(0, len(data)))

    def apply(args):
        changes, end = args
        out = bytearray(data)
        for at, value in changes:
            out[at] = value
        return bytes(out if end is None else out[:end])
    return st.tuples(flips, cut).map(apply)


# --- YAML: the shared loader and every YAML file the package reads ---------------------------------------------

@SLOW_OK
@given(yamlish())
def test_load_yaml(text):
    from cscs_eval.io import compose_yaml, load_yaml

    survives(load_yaml, text, file="x.yaml")
    survives(compose_yaml, text, file="x.yaml")


@SLOW_OK
@given(yamlish(["title", "intervention", "determinants", "strategies", "mechanisms", "outcomes", "links", "id",
                "construct", "label", "valence", "name", "kind", "from", "to", "local", "description"]))
def test_logic_model(text):
    from cscs_eval.logic_model import read_logic_model

    survives(read_logic_model, write("model.yaml", text))


@SLOW_OK
@given(yamlish(["key", "name", "items", "direction", "scores", "units", "min", "max", "reliable_change",
                "clinical_cutoff", "aliases", "total", "higher_is"]))
def test_measure_definition(text):
    from cscs_eval.proms import load_measure

    survives(load_measure, write("measure.yaml", text))


@SLOW_OK
@given(yamlish(["Cost", "Champions", "IT infrastructure", "I.H", "IV.R.E"]))
def test_alias_file(text):
    from cscs_eval.cfir import load_aliases

    survives(load_aliases, write("aliases.yaml", text))


@SLOW_OK
@given(yamlish(["green", "amber", "red", "complete", "min_pct", "rules", "status"]))
def test_rag_rules(text):
    from cscs_eval.progress import load_rag_rules

    survives(load_rag_rules, rules=write("rules.yaml", text))


@SLOW_OK
@given(yamlish(["team", "n", "when", "flag", "ratio", "items", "data_path"]))
def test_run_parameters(text):
    from cscs_eval.reporting.params import resolve_parameters

    survives(resolve_parameters, NOTEBOOK, params_file=write("params.yaml", text))


def _notebook() -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('team: str = "North"  # a team\nn: int = 3  # how many\nwhen: str = '
                                     '"2024-01-01"  # a date\nflag: bool = False  # a switch\nratio: float = 0.5  # a '
                                     'share\nitems: list = []  # a list\n')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = FOLDER / "report.ipynb"
    nbformat.write(nb, path)
    return path


NOTEBOOK = _notebook()


# --- Markdown with front matter: Lightning Reports and coded notes -------------------------------------------

def markdown(keys, sections):
    heading = st.sampled_from([f"## {s}" for s in sections] + ["#", "## ", "### x"])
    code = st.lists(st.one_of(st.sampled_from(["[[", "]]", "[[Cost -1]]", "[[Cost +2; Champions X]]", "[[ ]]",
                                               "[[Cost +7]]", "[[Weather -1]]", "[[Cost -1 | memo]]", "|", ";"]),
                              TOKEN), max_size=5).map("".join)
    body = st.lists(st.one_of(heading, code.map(lambda c: f"- {c}"), code), max_size=10).map("\n".join)
    front = st.one_of(yamlish(keys).map(lambda y: f"---\n{y}\n---\n"), st.just(""), st.just("---\n"))
    return st.tuples(front, body).map("".join)


@SLOW_OK
@given(markdown(["title", "project", "period", "date", "contacts", "data_collection_status"],
                ["Summary", "Plus", "Delta", "Insights"]))
def test_lightning_report(text):
    from cscs_eval.lightning import parse_report, read_report

    survives(parse_report, text, file="r.md")
    survives(read_report, write("r.md", text))


@SLOW_OK
@given(markdown(["case", "source", "date", "role", "contact_type", "coder"], ["Theme: Costs", "Theme: x"]))
def test_coded_notes(text):
    from cscs_eval.cfir import load_coding, validate

    path = write("note.md", text)
    survives(load_coding, path)
    survives(validate, path)


# --- tables --------------------------------------------------------------------------------------------------

CODING_COLUMNS = ["case", "source", "excerpt", "construct", "rating", "coder", "memo", "theme", "excerpt_id"]


@SLOW_OK
@given(csvish(CODING_COLUMNS))
def test_coding_sheet(text):
    from cscs_eval.cfir import load_coding, read_case_ratings, validate

    path = write("sheet.csv", text)
    survives(load_coding, path)
    survives(validate, path)
    survives(read_case_ratings, write("ratings.csv", text.replace("excerpt", "rationale", 1)))


@SLOW_OK
@given(csvish(["patient_id", "referral_id", "team", "measure", "assessment_date", "item", "response"]))
def test_proms_extract(text):
    from cscs_eval.proms import read_proms, score, validate_proms

    path = write("proms.csv", text)
    survives(lambda p: validate_proms(read_proms(p)), path)
    survives(score, path)  # the PROMs engine reads and checks the extract its own way
    survives(lambda p: score(p, drop_invalid=True), path)  # every row may be dropped: an empty table, not a crash


@SLOW_OK
@given(csvish(["workstream", "task", "status", "team", "date", "value", "indicator"]))
def test_programme_register_and_indicators(text):
    from cscs_eval.progress import read_progress

    survives(read_progress, write("register.csv", text))


@SLOW_OK
@given(st.one_of(csvish(["team", "value", "date"]), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))),
       st.sampled_from(["csv", "tsv", "txt"]), st.one_of(st.none(), st.integers(1, 4)),
       st.lists(st.sampled_from(["team", "value", "date"]), max_size=2))
def test_read_table_text(text, ext, header_row, required):
    from cscs_eval.io import read_table

    survives(read_table, write(f"t.{ext}", text), header_row=header_row, required=required)


def _workbook() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["team", "Team", "value"])
    ws.append(["North", "n", 3])
    ws.merge_cells("A3:A4")
    wb.create_sheet("Other").append(["a"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _parquet() -> bytes:
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame({"team": ["North"], "value": [3]}).to_parquet(buf)
    return buf.getvalue()


WORKBOOK, PARQUET = _workbook(), _parquet()


@SLOW_OK
@given(st.one_of(mutated(WORKBOOK), st.binary(max_size=300)), st.one_of(st.none(), st.integers(1, 3), TEXT),
       st.one_of(st.none(), st.integers(1, 3)))
def test_read_table_excel(data, sheet, header_row):
    from cscs_eval.io import read_table

    survives(read_table, write("t.xlsx", data), sheet=sheet, header_row=header_row, required=["team"])


@SLOW_OK
@given(st.one_of(mutated(PARQUET), st.binary(max_size=300)))
def test_read_table_parquet(data):
    from cscs_eval.io import read_table

    survives(read_table, write("t.parquet", data))


# --- REFI-QDA projects -----------------------------------------------------------------------------------------

def _project(qde: bytes, text: bytes = b"Forms were slow, said the team. " * 4) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("Sources/s.txt", text)
    return buf.getvalue()


QDE = ('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="t">'
       '<Users><User guid="55555555-5555-5555-5555-555555555555" name="coder A"/></Users>'
       '<CodeBook><Codes><Code guid="11111111-1111-1111-1111-111111111111" name="Cost" isCodable="true"/></Codes>'
       '</CodeBook><Sources><TextSource guid="22222222-2222-2222-2222-222222222222" name="s" '
       'plainTextPath="internal://s.txt"><PlainTextSelection guid="33333333-3333-3333-3333-333333333333" '
       'startPosition="0" endPosition="5"><Description>cscs-eval: rating=-1</Description>'
       '<Coding guid="44444444-4444-4444-4444-444444444444" creatingUser="55555555-5555-5555-5555-555555555555">'
       '<CodeRef targetGUID="11111111-1111-1111-1111-111111111111"/></Coding></PlainTextSelection></TextSource>'
       '</Sources></Project>')
QDE_SWAPS = {"0": ["-1", "99999", "x", "", "5"], "5": ["-5", "1e9", "0", "4294967296"], "Cost": ["", "\x0b", "&amp;"],
             "internal://s.txt": ["internal://../../etc/passwd", "file:///etc/passwd", "internal://", "s.txt",
                                  "relative://s.txt"],
             "rating=-1": ["rating=+9", "rating=", "rating=X; x=1", "\x01"],
             "11111111-1111-1111-1111-111111111111": ["", "not-a-guid", "33333333-3333-3333-3333-333333333333"]}


@st.composite
def qde_text(draw):
    """project.qde with some attribute values swapped for awkward ones."""
    text = QDE
    for old, news in QDE_SWAPS.items():
        if draw(st.booleans()):
            text = text.replace(f'"{old}"', f'"{draw(st.sampled_from(news))}"', 1).replace(
                f">{old}<", f">{draw(st.sampled_from(news))}<", 1)
    return text.encode("utf-8")


PROJECT = _project(QDE.encode())


@SLOW_OK
@given(st.one_of(qde_text().map(_project), mutated(PROJECT), qde_text().flatmap(mutated).map(_project),
                 st.binary(max_size=200)))
def test_qdpx_import(data):
    from cscs_eval.cfir import import_qdpx, read_qdc

    survives(import_qdpx, write("p.qdpx", data))
    if data[:2] != b"PK":
        survives(read_qdc, write("c.qdc", data))


@SLOW_OK
@given(csvish(["referral_id", "patient_id", "team", "referral_date", "discharge_date", "n_contacts", "ethnicity",
               "imd_decile", "age_band", "gender", "eligible", "approached_date", "engaged_date", "trained_date"]))
def test_referrals_demographics_and_teams(text):
    from cscs_eval.logic_model import implementation_outcomes
    from cscs_eval.proms import read_demographics, read_referrals

    path = write("people.csv", text)
    survives(read_referrals, path)
    survives(read_demographics, path)
    survives(implementation_outcomes, path)


@SLOW_OK
@given(csvish(["benefit", "indicator", "baseline", "target", "current", "owner", "status", "date", "value"]))
def test_benefits_register(text):
    from cscs_eval.benefits import read_register

    survives(read_register, write("register.csv", text))


@SLOW_OK
@given(markdown([], ["Cost", "Innovation Cost", "I.H", "Champions", "Weather", ""]))
def test_memo_file(text):
    from cscs_eval.evaluation import read_memos

    survives(read_memos, write("memos.md", text))


def test_the_fuzz_tests_fail_on_any_other_exception():
    from cscs_eval.errors import InputError

    assert survives(lambda: (_ for _ in ()).throw(InputError("refused"))) is None
    with pytest.raises(ZeroDivisionError):
        survives(lambda: 1 / 0)


# --- published tables and their structures (cscs-eval audit) ----------------------------------------------------

STRUCTURE_KEYS = ["version", "table", "table_id", "counts", "column", "total", "numerator", "denominator", "parts",
                  "basis", "complete", "decimals", "group_total", "key", "labels", "latent", "match", "row",
                  "scale", "secondary", "suppressed", "where", "team", "n", "rate"]
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False), TEXT,
              st.sampled_from(STRUCTURE_KEYS)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(STRUCTURE_KEYS), inner, max_size=6)),
    max_leaves=25)


@SLOW_OK
@given(st.dictionaries(st.sampled_from(STRUCTURE_KEYS), JSON_VALUE, max_size=8), csvish(["team", "n", "rate"]),
       st.booleans())
def test_audit(structure, table, broken):
    import json

    from cscs_eval.governance.files import audit_path

    text = json.dumps(structure)
    text = text[: len(text) // 2] if broken else text
    write("t.structure.json", text)
    survives(audit_path, write("t.csv", table))
    html = (f'<html><body><script type="application/json" class="cscs-table-structure">{text}</script>'
            f"<table><tr><th>team</th><th>n</th></tr><tr><td>A</td><td>5</td></tr></table></body></html>")
    survives(audit_path, write("r.html", html))
