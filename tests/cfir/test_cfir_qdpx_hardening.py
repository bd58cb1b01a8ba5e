""".qdpx files that are not what they claim: each gives one clear InputError, through the API and the command line.

The bad archives are built here from a small valid project, by patching the bytes of its ZIP headers.
"""

import io
import struct
import warnings
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscs_eval.cfir import QDPX_LIMITS, RefiWarning, import_qdpx, read_qdc
from cscs_eval.cli import main
from cscs_eval.errors import CscsEvalError, InputError

QDE = b"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="test">
<CodeBook><Codes><Code guid="11111111-1111-1111-1111-111111111111" name="Cost" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="22222222-2222-2222-2222-222222222222" name="s" plainTextPath="internal://s.txt">
<PlainTextSelection guid="33333333-3333-3333-3333-333333333333" startPosition="0" endPosition="5">
<Description>cscs-eval: rating=-1</Description>
<Coding guid="44444444-4444-4444-4444-444444444444"><CodeRef targetGUID="11111111-1111-1111-1111-111111111111"/>
</Coding></PlainTextSelection></TextSource></Sources></Project>"""
TEXT = b"Forms were slow, said the team. " * 40  # 1,280 bytes, more than project.qde


def archive(members=None, method=zipfile.ZIP_DEFLATED) -> bytearray:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in (members or {"project.qde": QDE, "Sources/s.txt": TEXT}).items():
            zf.writestr(name, data)
    return bytearray(buf.getvalue())


def headers(data, member):
    """Offsets of ``member``'s central directory entry and local header in ``data``."""
    name = member.encode()
    central = data.find(b"PK\x01\x02" + b"")
    while central >= 0:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + n]) == name:
            local = struct.unpack_from("<I", data, central + 42)[0]
            return central, local
        central = data.find(b"PK\x01\x02", central + 4)
    raise KeyError(member)


def patched(tmp_path, edit, member="Sources/s.txt", data=None):
    data = archive() if data is None else data
    central, local = headers(data, member)
    edit(data, central, local)
    path = tmp_path / "bad.qdpx"
    path.write_bytes(bytes(data))
    return path


def encrypted(data, central, local):
    data[central + 8] |= 1
    data[local + 6] |= 1


def bad_crc(data, central, local):
    struct.pack_into("<I", data, central + 16, 0x12345678)


def size_too_big(data, central, local):  # the header says more than the member holds
    struct.pack_into("<I", data, central + 24, len(TEXT) + 100)


def size_too_small(data, central, local):  # the header says less: what is read then fails its CRC
    struct.pack_into("<I", data, central + 24, 10)


def method(number):
    def edit(data, central, local):
        struct.pack_into("<H", data, central + 10, number)
        struct.pack_into("<H", data, local + 8, number)
    return edit


def corrupt_data(data, central, local):
    start = local + 30 + struct.unpack_from("<H", data, local + 26)[0] + struct.unpack_from("<H", data, local + 28)[0]
    for k in range(4, 12):
        data[start + k] ^= 0x5A


CASES = {
    "encrypted member": (encrypted, "ZIP member 'Sources/s.txt' is encrypted (password-protected); export the "
                                    "project again without a password"),
    "bad CRC": (bad_crc, "ZIP member 'Sources/s.txt' is damaged: its CRC-32 check fails"),
    "stated size too big": (size_too_big, f"ZIP member 'Sources/s.txt' holds {len(TEXT):,} bytes but its header "
                                          f"says {len(TEXT) + 100:,}"),
    "stated size too small": (size_too_small, "ZIP member 'Sources/s.txt' is damaged: its CRC-32 check fails"),
    "unknown method 99": (method(99), "ZIP member 'Sources/s.txt' uses compression method 99, which cscs-eval "
                                      "cannot read"),
    "zstandard (93)": (method(93), "uses compression method 93"),
    "damaged deflate data": (corrupt_data, "ZIP member 'Sources/s.txt' is damaged"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_member_is_a_clear_error(case, tmp_path):
    edit, message = CASES[case]
    with pytest.raises(InputError) as err:
        import_qdpx(patched(tmp_path, edit))
    assert message in err.value.message and err.value.file == str(tmp_path / "bad.qdpx")


@pytest.mark.parametrize("case", ["encrypted member", "bad CRC", "unknown method 99"])
def test_the_project_file_itself_is_checked_too(case, tmp_path):
    edit, message = CASES[case]
    with pytest.raises(InputError, match="ZIP member 'project.qde'"):
        import_qdpx(patched(tmp_path, edit, member="project.qde"))


@pytest.mark.parametrize("case", list(CASES))
def test_the_command_line_says_it_in_one_line(case, tmp_path, capsys):
    edit, message = CASES[case]
    path = patched(tmp_path, edit)
    code = main(["cfir", "import", str(path), "--out", str(tmp_path / "sheet.csv")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.strip().count("\n") == 0 and str(path) in err and message.split(":")[0] in err
    assert not (tmp_path / "sheet.csv").exists()


def test_an_unread_member_with_an_unknown_method_does_not_matter(tmp_path):
    data = archive({"project.qde": QDE, "Sources/s.txt": TEXT, "Sources/video.mp4": b"\0" * 100})
    central, local = headers(data, "Sources/video.mp4")
    method(99)(data, central, local)
    path = tmp_path / "ok.qdpx"
    path.write_bytes(bytes(data))
    with pytest.warns(RefiWarning, match="each is its own case"):
        assert import_qdpx(path).table["rating"].tolist() == ["-1"]


def test_a_truncated_archive_and_a_file_that_is_not_one(tmp_path):
    cut = tmp_path / "cut.qdpx"
    cut.write_bytes(bytes(archive())[:300])
    with pytest.raises(InputError, match="a .qdpx file is a ZIP archive, and this one cannot be opened"):
        import_qdpx(cut)
    with pytest.raises(InputError, match="not a file"):
        import_qdpx(tmp_path)
    with pytest.raises(InputError, match="file not found"):
        import_qdpx(tmp_path / "missing.qdpx")


# --------------------------------------------------------------------------------------------
# Limits: each refusal names the limit and how to raise it
# --------------------------------------------------------------------------------------------

@pytest.fixture()
def limits(monkeypatch):
    for key, value in list(QDPX_LIMITS.items()):
        monkeypatch.setitem(QDPX_LIMITS, key, value)
    return QDPX_LIMITS


def write(tmp_path, data, name="p.qdpx"):
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def test_the_biggest_member(tmp_path, limits):
    limits["member_bytes"] = 1000
    with pytest.raises(InputError) as err:
        import_qdpx(write(tmp_path, archive()))
    assert err.value.message.startswith("refusing ZIP member 'Sources/s.txt': 1,280 bytes uncompressed is over the "
                                        "1,000-byte limit")
    assert "CSCS_EVAL_QDPX_MEMBER_BYTES=N (in Python, cscs_eval.cfir.QDPX_LIMITS['member_bytes'])" in err.value.message


def test_a_member_that_expands_past_what_its_header_says(tmp_path, limits):
    # a lying header: 10 bytes declared, 5 MB of zeros inside; reading stops at the limit, not at the end
    limits["member_bytes"] = 1000
    data = archive({"project.qde": QDE, "Sources/s.txt": b"\0" * 5_000_000})
    central, local = headers(data, "Sources/s.txt")
    struct.pack_into("<I", data, central + 24, 10)
    with pytest.raises(InputError, match="damaged|expands beyond"):
        import_qdpx(write(tmp_path, data))


def test_the_total_read_from_one_archive(tmp_path, limits):
    limits["total_bytes"] = len(QDE) + 10
    with pytest.raises(InputError) as err:
        import_qdpx(write(tmp_path, archive()))
    assert "limit on everything read from one project" in err.value.message
    assert "QDPX_LIMITS['total_bytes']" in err.value.message


def test_the_number_of_members(tmp_path, limits):
    limits["members"] = 5
    members = {"project.qde": QDE, "Sources/s.txt": TEXT, **{f"Sources/x{k}.txt": b"x" for k in range(10)}}
    with pytest.raises(InputError) as err:
        import_qdpx(write(tmp_path, archive(members)))
    assert err.value.message.startswith("the archive lists 12 members; at most 5 are read")
    assert "QDPX_LIMITS['members']" in err.value.message


def test_the_limits_are_generous_for_real_projects():
    assert QDPX_LIMITS == {"member_bytes": 50 * 1024 * 1024, "total_bytes": 200 * 1024 * 1024, "members": 10_000}


def test_a_codebook_nested_very_deep_is_read_without_recursion(tmp_path):
    depth = 5000
    body = "".join(f'<Code guid="{k:08d}-0000-4000-8000-000000000000" name="c{k}" isCodable="true">'
                   for k in range(depth)) + "</Code>" * depth
    path = tmp_path / "deep.qdc"
    path.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{body}</Codes></CodeBook>', encoding="utf-8")
    rows = read_qdc(path)
    assert len(rows) == depth and rows["parent_guid"].iloc[-1] == rows["guid"].iloc[-2]


# --------------------------------------------------------------------------------------------
# Fuzzing: damaged archives and damaged XML give the package's own errors, never another exception
# --------------------------------------------------------------------------------------------

VALID = bytes(archive())
STORED = bytes(archive(method=zipfile.ZIP_STORED))  # XML bytes lie in the file as they are: flips reach the parser


def _flip(data, edits):
    out = bytearray(data)
    for at, value in edits:
        out[at % len(out)] = value
    return bytes(out)


edits = st.lists(st.tuples(st.integers(min_value=0, max_value=10**6), st.integers(0, 255)), min_size=1, max_size=8)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(base=st.sampled_from([VALID, STORED]), changes=edits, cut=st.integers(min_value=0, max_value=10**6))
def test_fuzzed_archives_give_only_the_packages_errors(tmp_path, base, changes, cut):
    data = _flip(base, changes)
    if cut % 3 == 0:
        data = data[:cut % (len(data) + 1)]
    path = tmp_path / "fuzz.qdpx"
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)  # a damaged file may still import, with warnings
        try:
            import_qdpx(path, aliases={"Cost": "I.H"})
        except CscsEvalError:
            pass


xml_names = st.sampled_from(["Project", "Users", "User", "CodeBook", "Codes", "Code", "Cases", "Case", "SourceRef",
                             "CodeRef", "Variables", "Variable", "VariableValue", "VariableRef", "TextValue",
                             "Sources", "TextSource", "PlainTextSelection", "Description", "Coding", "NoteRef",
                             "Notes", "Note", "PlainTextContent"])
xml_attrs = st.dictionaries(st.sampled_from(["guid", "name", "targetGUID", "startPosition", "endPosition",
                                             "plainTextPath", "isCodable", "creatingUser"]),
                            st.one_of(st.sampled_from(["11111111-1111-1111-1111-111111111111", "internal://s.txt",
                                                       "0", "5", "-3", "99999", "true", "Cost", "CMHT East"]),
                                      st.text(max_size=5)), max_size=4)


def _tree(depth=0):
    leaf = st.tuples(xml_names, xml_attrs, st.text(max_size=10))
    if depth > 3:
        return leaf.map(lambda t: (*t, []))
    return st.tuples(xml_names, xml_attrs, st.text(max_size=10), st.lists(_tree(depth + 1), max_size=3))


def _render(node):
    from xml.sax.saxutils import escape, quoteattr

    from cscs_eval.io import xml_safe

    name, attrs, text, kids = node
    attr = "".join(f" {k}={quoteattr(xml_safe(v))}" for k, v in attrs.items())
    return f"<{name}{attr}>{escape(xml_safe(text))}{''.join(_render(k) for k in kids)}</{name}>"


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kids=st.lists(_tree(1), max_size=4), attrs=xml_attrs)
def test_fuzzed_projects_give_only_the_packages_errors(tmp_path, kids, attrs):
    qde = _render(("Project", {"name": "x", **attrs}, "", kids)).replace(
        "<Project", '<Project xmlns="urn:QDA-XML:project:1.0"', 1)
    path = tmp_path / "fuzz.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("Sources/s.txt", TEXT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)
        try:
            import_qdpx(path, aliases={"Cost": "I.H", "CMHT East": "I.H"})
        except CscsEvalError:
            pass


def test_a_vertical_tab_from_word_gives_a_well_formed_export_that_imports(tmp_path, capsys):
    # issue 11: 'cfir export' wrote XML its own import refused, with exit 0
    notes = tmp_path / "north.md"
    # (control characters in the front matter are the YAML reader's business, issue 11's other half)
    body = "Forms were\x0bslow. [[Complexity -1 | two\x0bstaff]]\n"
    notes.write_text("---\ncase: CMHT North\nsource: baseline\n---\n" + body, encoding="utf-8")
    out = tmp_path / "p.qdpx"
    assert main(["cfir", "export", str(notes), "--to", "qdpx", "--out", str(out)]) == 0
    assert main(["cfir", "import", str(out), "--out", str(tmp_path / "sheet.csv")]) == 0
    sheet = (tmp_path / "sheet.csv").read_text(encoding="utf-8")
    assert "CMHT North" in sheet and "Forms were slow." in sheet and "two staff" in sheet and "\x0b" not in sheet
    assert "Traceback" not in capsys.readouterr().err
