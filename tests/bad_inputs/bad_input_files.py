"""Bad input files for the corpus (bad_input_cases.py): each a function of the folder it is written into.

Every file is built from a few lines here, so a case reads as what is wrong with its input.
"""

from __future__ import annotations

import io
import struct
import zipfile
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def sample(name: str) -> bytes:
    """A file of the bundled synthetic sample (data/sample), as bytes."""
    return (SAMPLE / name).read_bytes()


# --- YAML --------------------------------------------------------------------------------------------------------

#: A "billion laughs": nine levels of nine aliases each, 336 bytes that expand to 9**9 strings.
ALIAS_BOMB = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]) + "\n"

#: Nested deeper than cscs_eval.io.YAML_MAX_DEPTH.
DEEP_YAML = "key: " + "[" * 200 + "]" * 200 + "\n"

#: Bigger than cscs_eval.io.YAML_MAX_BYTES.
BIG_YAML = "# padding\n" + "note: " + "x" * 1_100_000 + "\n"


def front_matter(meta: str, body: str = "## Plus\n\n- fine [[Cost +1]]\n") -> str:
    return f"---\n{meta.rstrip()}\n---\n\n{body}"


NOTE_META = "case: CMHT North\nsource: baseline interview\ndate: 2023-10-02\ncoder: coder A"
NOTE_BODY = "## Theme: Costs\n\n- The forms cost time. [[Cost -1]]\n"
REPORT_META = ('title: "Lightning Report 1"\nproject: PROMs\nperiod: autumn\ndate: 2023-10-12\n'
               "contacts: [Programme manager]\ndata_collection_status: contact 1 of 5")
REPORT_BODY = ("## Summary\n\nStarted.\n\n## Plus\n\n- Support grew. [[Policies & Laws +2]]\n\n"
               "## Delta\n\n- Slow IT.\n\n## Insights\n\n- Keep going.\n")


def note(meta: str = NOTE_META, body: str = NOTE_BODY) -> str:
    return front_matter(meta, body)


def report(meta: str = REPORT_META, body: str = REPORT_BODY) -> str:
    return front_matter(meta, body)


# --- tables ------------------------------------------------------------------------------------------------------

CODING_SHEET = ("case,source,excerpt,construct,rating,coder,theme\n"
                "CMHT North,interview,Forms cost time.,Cost,-1,coder A,Costs\n"
                "CMHT North,interview,Managers backed it.,Relative Advantage,+1,coder A,Costs\n"
                "CMHT South,interview,No tablets yet.,Available Resources,-2,coder A,Costs\n")
#: A CFIR summary (cscs-eval cfir summarise of CODING_SHEET), the input of logic-model draft.
SUMMARY = ("construct_id,construct,domain,n_excerpts,n_cases,mean_rating,classification\n"
           "I.C,Innovation Relative Advantage,Innovation,1,1,1.0,weak facilitator\n"
           "I.H,Innovation Cost,Innovation,1,1,-1.0,weak barrier\n")
#: A valid PROMs extract: one referral's PHQ-9 at baseline and follow-up.
PROMS = "patient_id,referral_id,team,measure,assessment_date,item,response\n" + "".join(
    f"P1,R1,North,phq9,{date},{item},{value}\n" for date, value in (("2024-01-10", 2), ("2024-03-10", 1))
    for item in range(1, 10))
REFERRALS = ("referral_id,patient_id,team,referral_date,discharge_date,n_contacts\n"
             "R1,P1,North,2023-12-01,2024-05-01,7\n")
CP1252 = "team,value\nCaf\xe9 Team,3\n".encode("cp1252")
DUPLICATE_HEADER = "team,team,value\nNorth,North,3\n"
CASE_HEADER = "patient_id,Patient ID,value\nP1,P1,3\n"


@lru_cache(maxsize=None)
def workbook() -> bytes:
    """A small valid .xlsx (the corrupt and truncated cases are cut from it)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["team", "value"])
    for n in range(40):
        ws.append([f"Team {n}", n])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx(rows) -> bytes:
    """A workbook of one sheet holding ``rows``."""
    import openpyxl

    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parquet(names, values) -> bytes:
    """A Parquet file whose columns are ``names`` (duplicates allowed, as pyarrow writes them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_arrays([pa.array(v) for v in values], names=list(names)), buf)
    return buf.getvalue()


def truncated_xlsx() -> bytes:
    data = workbook()
    return data[: len(data) // 2]


def corrupt_xlsx() -> bytes:
    """A workbook whose middle bytes are overwritten: the ZIP directory is intact, a member is not."""
    data = bytearray(workbook())
    for k in range(200, 600):
        data[k] ^= 0x5A
    return bytes(data)


# --- REFI-QDA projects (.qdpx) -------------------------------------------------------------------------------------

QDE = b"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="test">
<CodeBook><Codes><Code guid="11111111-1111-1111-1111-111111111111" name="Cost" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="22222222-2222-2222-2222-222222222222" name="s" plainTextPath="internal://s.txt">
<PlainTextSelection guid="33333333-3333-3333-3333-333333333333" startPosition="0" endPosition="5">
<Coding guid="44444444-4444-4444-4444-444444444444"><CodeRef targetGUID="11111111-1111-1111-1111-111111111111"/>
</Coding></PlainTextSelection></TextSource></Sources></Project>"""
TEXT = b"Forms were slow, said the team. " * 40


def qdpx(members=None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in (members or {"project.qde": QDE, "Sources/s.txt": TEXT}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _headers(data, member: str):
    """Offsets of ``member``'s central directory entry and local header."""
    name = member.encode()
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + n]) == name:
            return central, struct.unpack_from("<I", data, central + 42)[0]
        central = data.find(b"PK\x01\x02", central + 4)
    raise KeyError(member)


def patched_qdpx(kind: str, member: str = "Sources/s.txt") -> bytes:
    """A small valid project with one member's ZIP headers made to lie in the way ``kind`` names."""
    data = bytearray(qdpx())
    central, local = _headers(data, member)
    if kind == "encrypted":
        data[central + 8] |= 1
        data[local + 6] |= 1
    elif kind == "bad crc":
        struct.pack_into("<I", data, central + 16, 0x12345678)
    elif kind == "size too big":
        struct.pack_into("<I", data, central + 24, len(TEXT) + 100)
    elif kind == "size too small":
        struct.pack_into("<I", data, central + 24, 10)
    elif kind.startswith("method "):
        number = int(kind.split()[1])
        struct.pack_into("<H", data, central + 10, number)
        struct.pack_into("<H", data, local + 8, number)
    else:  # pragma: no cover - a typo in the table
        raise ValueError(kind)
    return bytes(data)


# --- notebooks -----------------------------------------------------------------------------------------------------

def notebook(params: str = 'team: str = "North"  # the team\n', *cells: str) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# A report"), p, *(nbformat.v4.new_code_cell(c) for c in cells)]
    return nbformat.writes(nb)
