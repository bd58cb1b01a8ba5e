"""REFI-QDA exchange: the CFIR codebook as ``.qdc`` and coded projects as ``.qdpx``, both ways.

Export follows the REFI-QDA 1.0 project schema (``Project-mrt2019.xsd``; every export validates against it) and
what a real client needs. QualCoder was run headless on these files (``reference/cfir-qual-anchors.md`` section 5.4;
the tests keep the files it wrote). The export therefore has:

* the namespace ``urn:QDA-XML:project:1.0``, ``Project@origin`` and one ``project.qde`` at the ZIP root;
* plain-text sources under ``Sources/``, in UTF-8 with no BOM and LF line ends;
* selections in Unicode code points, end exclusive;
* domains as ``Code`` elements with an explicit ``isCodable="false"``, and constructs nested under them;
* unique code, case and source names;
* a ``creationDateTime`` on every element that has one (QualCoder's import fails on a note without one);
* characters XML cannot hold (a vertical tab pasted from Word) replaced by a space, so every file is well formed.

Ratings have no REFI element, so each coding carries its rating in two places:

* its own selection's ``Description``, a ``cscs-eval:`` line (see :mod:`cscs_eval.cfir._refi_description`) with the
  memo below it. QualCoder keeps this and shows it as the coding memo;
* a ``Note`` the coding refers to (``CFIR rating: +2``, ``Memo:``, ``Theme:``, ``Excerpt id:``), for clients that
  keep notes.

Cases are linked to their sources in three ways:

* ``Case/SourceRef``, the standard's way;
* a source variable ``cscs-eval case``, the one link that comes back from QualCoder unchanged;
* a code with the case's guid coding an empty selection (0-0) of each source. QualCoder reads this as a case link
  (``case_codes=False`` leaves it out).

Case ratings are case variables named ``CFIR rating: <id> <construct>``.

Import reads these back and recovers the same structure from files other clients write. Ratings come from the
``Description`` or the notes: where both are present and disagree, the note wins and a
:class:`DescriptionConflictWarning` names the excerpt. The case of each source is taken from the first of these
that gives one:

1. ``Case/SourceRef``;
2. a ``SourceRef`` whose guid names a ``sources/<guid>.txt`` file with the same text as one source (QualCoder's
   export);
3. a case code;
4. the ``cscs-eval case`` variable;
5. failing those, a stated rule, with a :class:`CaseAssignmentWarning`. A case whose name starts the source name
   takes the source; otherwise the source is its own case.

Codes that an alias file maps to one construct on one excerpt merge into one coding, with their memos. Different
ratings on them are an error that names the source and the excerpt.

Imported files are untrusted:

* XML is parsed with defusedxml, and entity declarations are refused;
* ZIP members whose names leave the archive folder are refused;
* encrypted members, members with a bad CRC, members whose stated size is wrong and members with an unsupported
  compression method are clear errors;
* reading stays within :data:`QDPX_LIMITS`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import io
import lzma
import os
import re
import struct
import uuid
import warnings
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from cscs_eval.cfir._codebook import get_codebook, load_aliases, resolve_construct
from cscs_eval.cfir._coding import Coding, _read
from cscs_eval.cfir._ratings import rate_cases
from cscs_eval.cfir._refi_description import format_description, parse_description
from cscs_eval.cfir._syntax import RATING_VALUES, normalise_rating
from cscs_eval.cfir._tidy import CASE_RATING_COLUMNS, excerpt_key, unpack
from cscs_eval.errors import CscsEvalWarning, InputError, UsageError

__all__ = ["export_qdc", "export_qdpx", "import_qdpx", "read_qdc", "qdc_xml", "project_xml", "QDPX_LIMITS",
           "CASE_VARIABLE", "RefiWarning", "DescriptionConflictWarning", "CaseAssignmentWarning"]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"

#: What an imported ``.qdpx`` may hold. ``member_bytes`` is the largest member read, uncompressed. REFI allows
#: 2**31 - 1 bytes, but an interview's text is a few hundred kB. ``total_bytes`` is the most read from one archive,
#: and ``members`` is the most entries an archive may list. Change an entry (``cscs_eval.cfir.QDPX_LIMITS[
#: "member_bytes"] = ...``) to read a bigger project.
QDPX_LIMITS = {"member_bytes": 50 * 1024 * 1024, "total_bytes": 200 * 1024 * 1024, "members": 10_000}

#: The source variable that names a source's case: the link that survives QualCoder.
CASE_VARIABLE = "cscs-eval case"
_RATING_VARIABLE = "CFIR rating: "
_CASE_CODE_PREFIX = "Case: "
_NO_CODER = "cscs-eval"  # the User written for codings with no coder (clients need one), read back as none
_NAMESPACE = uuid.UUID("6f1c2a0e-51b3-4c59-9d0e-3c6f9a0b7e11")  # fixed, so exports are reproducible


class RefiWarning(CscsEvalWarning):
    """Something in an imported REFI-QDA project was read by a rule rather than as written."""


class DescriptionConflictWarning(RefiWarning):
    """A coding's note and its selection's ``Description`` disagree: the note was used."""


class CaseAssignmentWarning(RefiWarning):
    """Sources were assigned to cases by a rule, or their case links disagree. The warning says which."""


_NAMESPACE_BYTES = _NAMESPACE.bytes


def _guid(*parts) -> str:
    """``str(uuid.uuid5(_NAMESPACE, parts joined by U+001F))``, without building UUID objects (an export
    makes seven per coding).

    Examples
    --------
    >>> _guid("code", "I.A") == str(uuid.uuid5(_NAMESPACE, "code\x1fI.A"))
    True
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + "\x1f".join(map(str, parts)).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5 (RFC 4122, section 4.3)
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _origin():
    from cscs_eval import __version__

    return f"cscs-eval {__version__}"


def _code_name(row):
    return f"{row['id']}. {row['name']}" if row["level"] == "domain" else f"{row['id']} {row['label']}"


def _codes_element(parent_tag):
    """The CFIR codebook as nested Code elements (domains not codable)."""
    cb = get_codebook()
    codes = ET.Element(parent_tag)
    elements = {}
    for row in cb.rows:
        parent = codes if not row["parent_id"] else elements[row["parent_id"]]
        el = ET.SubElement(parent, "Code", {"guid": _guid("code", row["id"]), "name": _code_name(row),
                                            "isCodable": "false" if row["level"] == "domain" else "true"})
        ET.SubElement(el, "Description").text = row["definition"]
        elements[row["id"]] = el
    return codes


def _serialise(root, ns) -> bytes:
    root.set("xmlns", ns)
    ET.indent(root, space="  ")
    # the same bytes as encoding="utf-8" (no declaration, no character references), written to a string
    # rather than through an encoder one small piece at a time
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")


def qdc_xml() -> bytes:
    """The CFIR 2.0 codebook as REFI-QDA codebook XML (``.qdc`` content)."""
    root = ET.Element("CodeBook", {"origin": _origin()})
    root.append(_codes_element("Codes"))
    return _serialise(root, CODEBOOK_NS)


def export_qdc(path) -> Path:
    """Write the CFIR 2.0 codebook as a REFI-QDA ``.qdc`` file (atomically)."""
    from cscs_eval.io import atomic_write

    with atomic_write(path, mode="wb", encoding=None) as fh:
        fh.write(qdc_xml())
    return Path(path)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------

def _text(v):
    import pandas as pd

    return None if v is None or pd.isna(v) else str(v)


def _flat(value):
    return re.sub(r"\s+", " ", str(value)).strip()


def _note_text(rating, memo, theme, excerpt_id):
    lines = [f"CFIR rating: {rating}"]
    for label, value in (("Memo", memo), ("Theme", theme), ("Excerpt id", excerpt_id)):
        if _text(value) not in (None, ""):
            lines.append(f"{label}: {_flat(value)}")
    return "\n".join(lines)


def _timestamp(created) -> str:
    """``created`` (a datetime, ISO text or None) as an XML dateTime in UTC, e.g. ``2025-01-31T09:00:00Z``.

    None means now, or ``SOURCE_DATE_EPOCH`` when that is set (the reproducible-builds convention).
    """
    if created is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch.isdigit():
            created = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc)
        else:
            created = _dt.datetime.now(_dt.timezone.utc)
    elif isinstance(created, str):
        try:
            created = _dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"created must be an ISO date and time such as 2025-01-31T09:00:00Z, got "
                             f"{created!r}") from None
    elif isinstance(created, _dt.date) and not isinstance(created, _dt.datetime):
        created = _dt.datetime(created.year, created.month, created.day)
    if not isinstance(created, _dt.datetime):
        raise UsageError(f"created must be a datetime or ISO text, got {type(created).__name__}")
    if created.tzinfo is None:
        created = created.replace(tzinfo=_dt.timezone.utc)
    return created.astimezone(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean_table(coding):
    """The coding table with text XML can hold (control characters become spaces) and LF line ends."""
    from cscs_eval.io import xml_safe

    df = coding.copy()
    for col in ("excerpt_id", "case", "source", "excerpt", "coder", "memo", "theme"):
        text = df[col].astype("object")
        df[col] = text.map(lambda v: None if _text(v) is None else
                           xml_safe(str(v).replace("\r\n", "\n").replace("\r", "\n")))
    df["user"] = df["coder"].map(lambda c: _text(c) or _NO_CODER)
    return df


def _records(df, columns):
    """The rows of ``df`` as named tuples of plain values (``pd.NA``/NaN as they are), in order."""
    from collections import namedtuple

    row = namedtuple("Row", columns)
    return [row(*values) for values in zip(*(df[c].tolist() for c in columns))]


def project_xml(coding, *, name="CFIR coding", case_variables=True, case_codes=True, created=None):
    """Build the ``project.qde`` XML and the source texts of a coding (a Coding or a coding table).

    Parameters are those of :func:`export_qdpx`. Returns ``(xml_bytes, {member_name: text})``.
    """
    from cscs_eval.io import xml_safe

    cb = get_codebook()
    ratings_of = coding
    when = _timestamp(created)
    df = _clean_table(unpack(coding)[0])
    root = ET.Element("Project", {"name": xml_safe(name), "origin": _origin()})
    coders = list(dict.fromkeys(df["user"]))
    users = ET.SubElement(root, "Users")
    user_guid = {c: _guid("user", c) for c in coders}
    for c in coders:
        ET.SubElement(users, "User", {"guid": user_guid[c], "name": c})
    root.set("creatingUserGUID", user_guid[coders[0]])
    root.set("creationDateTime", when)
    book = ET.SubElement(root, "CodeBook")
    codes_el = _codes_element("Codes")
    book.append(codes_el)

    # one text source per case and source, the excerpts in order, separated by a blank line. The rows are
    # grouped as plain Python records: pandas' per-group overhead made 10,000 one-coding sources take 12 s.
    by_source = {}
    for row in _records(df, ("case", "source", "excerpt_id", "excerpt", "user", "construct_id", "rating", "theme",
                             "memo")):
        by_source.setdefault((_text(row.case), _text(row.source)), []).append(row)
    sources, members = [], {}
    for (case, source), grp in by_source.items():
        source = source or "notes"
        sguid = _guid("source", case, source)
        pieces, spans, pos = [], {}, 0
        # one span per excerpt (not per text: two excerpts may read the same, e.g. 'Agreed.')
        for eid, text in dict.fromkeys((r.excerpt_id, r.excerpt) for r in grp):
            spans[eid] = (pos, pos + len(text))  # str length = code points
            pieces.append(text)
            pos += len(text) + 2
        members[f"Sources/{sguid}.txt"] = "\n\n".join(pieces) + "\n"
        sources.append((case, source, sguid, grp, spans))

    cases = sorted({s[0] for s in sources if s[0] is not None})
    case_guid = {case: _guid("case", case) for case in cases}
    if case_codes and cases:
        taken = {c.get("name") for c in codes_el.iter("Code")}
        for case in cases:
            cname = f"{_CASE_CODE_PREFIX}{case}"
            if cname in taken:
                continue  # a code of that name exists: QualCoder would merge the two, so leave this link out
            el = ET.SubElement(codes_el, "Code", {"guid": case_guid[case], "name": cname, "isCodable": "true"})
            ET.SubElement(el, "Description").text = (
                f"Not a CFIR construct: the case {case!r}. cscs-eval codes an empty selection of each of its "
                "sources with this code, which QualCoder reads as the link from case to source.")
    linked_by_code = {case for case in cases
                      if any(c.get("guid") == case_guid[case] for c in codes_el.iter("Code"))}

    variables = ET.SubElement(root, "Variables")
    var_guid = {}
    if case_variables and cases:
        cr = rate_cases(ratings_of)
        cr = cr.assign(case=cr["case"].astype("object").map(lambda v: None if _text(v) is None else xml_safe(v)))
        for cid in dict.fromkeys(cr["construct_id"]):
            var_guid[cid] = _guid("variable", cid)
            ET.SubElement(variables, "Variable", {"guid": var_guid[cid],
                                                  "name": f"{_RATING_VARIABLE}{cid} {cb.label(cid)}",
                                                  "typeOfVariable": "Text"})
    else:
        cr = None
    case_var_guid = _guid("variable", CASE_VARIABLE)
    if cases:
        var = ET.SubElement(variables, "Variable", {"guid": case_var_guid, "name": CASE_VARIABLE,
                                                    "typeOfVariable": "Text"})
        ET.SubElement(var, "Description").text = ("The case (team or site) this source belongs to, as cscs-eval "
                                                  "names it.")
    if not len(variables):
        root.remove(variables)

    if cases:
        cases_el = ET.SubElement(root, "Cases")
        ratings_by_case = {}
        if cr is not None:
            for case, cid, rating, rationale in zip(cr["case"], cr["construct_id"], cr["rating"], cr["rationale"]):
                ratings_by_case.setdefault(case, []).append((cid, rating, rationale))
        sources_by_case = {}
        for s_case, _, sguid, _, _ in sources:
            sources_by_case.setdefault(s_case, []).append(sguid)
        for case in cases:
            cel = ET.SubElement(cases_el, "Case", {"guid": case_guid[case], "name": case})
            if cr is not None:
                for cid, rating, rationale in ratings_by_case.get(case, ()):
                    vv = ET.SubElement(cel, "VariableValue")
                    ET.SubElement(vv, "VariableRef", {"targetGUID": var_guid[cid]})
                    why = _text(rationale)  # the case memo's reason, shown beside the rating in QDA tools
                    flat = xml_safe(_flat(why)) if why else ""
                    ET.SubElement(vv, "TextValue").text = f"{rating} | {flat}" if flat else str(rating)
            for sguid in sources_by_case.get(case, ()):
                ET.SubElement(cel, "SourceRef", {"targetGUID": sguid})

    src_el = ET.SubElement(root, "Sources")
    notes = []
    names_seen = set()
    for case, source, sguid, grp, spans in sources:
        sname = f"{case} - {source}" if case else source
        base, k = sname, 2
        while sname in names_seen:
            sname, k = f"{base} ({k})", k + 1
        names_seen.add(sname)
        owner = user_guid[grp[0].user]
        ts = ET.SubElement(src_el, "TextSource", {"guid": sguid, "name": sname,
                                                  "plainTextPath": f"internal://{sguid}.txt",
                                                  "creatingUser": owner, "creationDateTime": when})
        if case in linked_by_code:
            sel = ET.SubElement(ts, "PlainTextSelection", {
                "guid": _guid("case link", sguid), "name": "", "startPosition": "0", "endPosition": "0",
                "creatingUser": owner, "creationDateTime": when})
            link = ET.SubElement(sel, "Coding", {"guid": _guid("case coding", sguid), "creatingUser": owner,
                                                 "creationDateTime": when})
            ET.SubElement(link, "CodeRef", {"targetGUID": case_guid[case]})
        # one selection per coding: QualCoder keeps one Description per selection, and writes one coding per
        # selection itself
        for r in grp:
            start, end = spans[r.excerpt_id]
            coder = user_guid[r.user]
            pguid = _guid("selection", sguid, start, r.user, r.construct_id)
            sel = ET.SubElement(ts, "PlainTextSelection", {
                "guid": pguid, "name": r.excerpt[:60], "startPosition": str(start), "endPosition": str(end),
                "creatingUser": coder, "creationDateTime": when})
            ET.SubElement(sel, "Description").text = format_description(
                r.rating, theme=_text(r.theme), excerpt_id=_text(r.excerpt_id), memo=_text(r.memo))
            cguid = _guid("coding", pguid, r.construct_id)
            coding_el = ET.SubElement(sel, "Coding", {"guid": cguid, "creatingUser": coder,
                                                      "creationDateTime": when})
            ET.SubElement(coding_el, "CodeRef", {"targetGUID": _guid("code", r.construct_id)})
            nguid = _guid("note", cguid)
            ET.SubElement(coding_el, "NoteRef", {"targetGUID": nguid})
            notes.append((nguid, f"{r.construct_id} rating", _note_text(r.rating, r.memo, r.theme, r.excerpt_id),
                          coder))
        if case is not None:
            vv = ET.SubElement(ts, "VariableValue")
            ET.SubElement(vv, "VariableRef", {"targetGUID": case_var_guid})
            ET.SubElement(vv, "TextValue").text = case
    if notes:
        notes_el = ET.SubElement(root, "Notes")
        for nguid, nname, text, user in notes:
            note = ET.SubElement(notes_el, "Note", {"guid": nguid, "name": nname, "creatingUser": user,
                                                    "creationDateTime": when})
            ET.SubElement(note, "PlainTextContent").text = text
    return _serialise(root, PROJECT_NS), members


def export_qdpx(coding, path, *, name="CFIR coding", case_variables=True, case_codes=True, created=None) -> Path:
    """Write a coding as a REFI-QDA project (``.qdpx``), atomically.

    Parameters
    ----------
    coding
        A :class:`~cscs_eval.cfir.Coding` from :func:`~cscs_eval.cfir.load_coding` (its case ratings
        are applied), or a coding table.
    path
        Output file ending in ``.qdpx``.
    name
        Project name.
    case_variables
        Also write each case's rating of each construct as a case variable.
    case_codes
        Also link each case to its sources through a code with the case's guid that codes an empty selection of
        each source (``Case: <name>``). This is the link QualCoder reads. Other clients show it as one more code.
    created
        The ``creationDateTime`` written on every element: a datetime or ISO text. The default is now, or
        ``SOURCE_DATE_EPOCH`` when that is set.
    """
    from cscs_eval.io import atomic_path

    if not str(path).lower().endswith(".qdpx"):
        raise UsageError(f"a REFI-QDA project file must end in .qdpx, got {path!r}")
    xml, members = project_xml(coding, name=name, case_variables=case_variables, case_codes=case_codes,
                               created=created)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("project.qde", xml)
            for member, text in members.items():
                zf.writestr(member, text.encode("utf-8"))  # no BOM, LF line ends
    return Path(path)


# --------------------------------------------------------------------------------------------
# Reading an untrusted .qdpx
# --------------------------------------------------------------------------------------------

_RAISE = "; split the project, or raise cscs_eval.cfir.QDPX_LIMITS[{key!r}] if it really is this big"
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
            zipfile.ZIP_LZMA: "lzma"}


def _listed_members(path) -> int | None:
    """The entry count the ZIP's end record gives, read before ``zipfile`` lists (and stores) every entry."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 65_557))
            tail = fh.read()
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or at + 22 > len(tail):
                return None
            count = struct.unpack_from("<H", tail, at + 10)[0]
            locator = tail.rfind(b"PK\x06\x07", 0, at)
            if count == 0xFFFF and locator >= 0:  # ZIP64: the count is in the ZIP64 end record
                offset = struct.unpack_from("<Q", tail, locator + 8)[0]
                fh.seek(offset)
                record = fh.read(56)
                if record[:4] == b"PK\x06\x06" and len(record) == 56:
                    count = struct.unpack_from("<Q", record, 32)[0]
            return count
    except (OSError, struct.error, OverflowError, ValueError):
        return None


class _Archive:
    """A ``.qdpx`` opened for reading within :data:`QDPX_LIMITS`; every problem is an :class:`InputError`."""

    def __init__(self, path):
        self.path = path
        listed = _listed_members(path)
        if listed is not None and listed > QDPX_LIMITS["members"]:
            raise InputError(f"the archive lists {listed:,} members; at most {QDPX_LIMITS['members']:,} are read"
                             + _RAISE.format(key="members"), file=path)
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError,
                struct.error) as exc:
            raise InputError(f"not a REFI-QDA project: a .qdpx file is a ZIP archive, and this one cannot be opened "
                             f"({exc})", file=path) from None
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror or exc})", file=path) from None
        infos = self.zf.infolist()
        if len(infos) > QDPX_LIMITS["members"]:
            self.zf.close()
            raise InputError(f"the archive has {len(infos):,} members; at most {QDPX_LIMITS['members']:,} are read"
                             + _RAISE.format(key="members"), file=path)
        self.members = {}
        for info in infos:
            name = info.filename
            pure = PurePosixPath(name.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
                self.zf.close()
                raise InputError(f"refusing ZIP member {name!r}: its path leaves the archive folder", file=path)
            if not info.is_dir():
                self.members[name.replace("\\", "/")] = info
        self.lower = {n.lower(): n for n in self.members}
        self.read_bytes = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.zf.close()

    def find(self, name):
        """The member called ``name`` (exactly, else ignoring case), or None."""
        return name if name in self.members else self.lower.get(name.lower())

    def read(self, name) -> bytes:
        info, path = self.members[name], self.path
        limit = QDPX_LIMITS["member_bytes"]
        if info.flag_bits & 0x1:
            raise InputError(f"ZIP member {name!r} is encrypted (password-protected); export the project again "
                             "without a password", file=path)
        if info.compress_type not in _METHODS:
            raise InputError(f"ZIP member {name!r} uses compression method {info.compress_type}, which cscs-eval "
                             "cannot read (it reads stored, deflate, bzip2 and lzma); export the project again "
                             "with ordinary ZIP compression", file=path)
        if info.file_size > limit:
            raise InputError(f"refusing ZIP member {name!r}: {info.file_size:,} bytes uncompressed is over the "
                             f"{limit:,}-byte limit" + _RAISE.format(key="member_bytes"), file=path)
        out = io.BytesIO()
        try:
            with self.zf.open(info) as fh:  # in chunks, so a lying header cannot make us inflate past the limit
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
                    if out.tell() > limit:
                        raise InputError(f"refusing ZIP member {name!r}: it expands beyond the {limit:,}-byte limit"
                                         + _RAISE.format(key="member_bytes"), file=path)
        except InputError:
            raise
        except zipfile.BadZipFile as exc:
            what = ("its CRC-32 check fails: the file was changed or cut short, or its stated size is wrong"
                    if "CRC" in str(exc) else str(exc))
            raise InputError(f"ZIP member {name!r} is damaged: {what}; ask for a fresh export", file=path) from None
        except (RuntimeError, NotImplementedError) as exc:  # zipfile's words for encryption and unknown methods
            raise InputError(f"ZIP member {name!r} cannot be read ({exc}); export the project again with ordinary "
                             "ZIP compression and no password", file=path) from None
        except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, LookupError, struct.error) as exc:
            raise InputError(f"ZIP member {name!r} is damaged ({type(exc).__name__}: {exc}); ask for a fresh "
                             "export", file=path) from None
        data = out.getvalue()
        if len(data) != info.file_size:
            raise InputError(f"ZIP member {name!r} holds {len(data):,} bytes but its header says "
                             f"{info.file_size:,}; the archive is damaged, ask for a fresh export", file=path)
        self.read_bytes += len(data)
        if self.read_bytes > QDPX_LIMITS["total_bytes"]:
            raise InputError(f"refusing the archive: it expands beyond the {QDPX_LIMITS['total_bytes']:,}-byte "
                             "limit on everything read from one project" + _RAISE.format(key="total_bytes"),
                             file=path)
        return data


def _parse_xml(data: bytes, path, what):
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(f"refusing {what}: it declares XML entities or external references "
                         f"({type(exc).__name__}), which REFI-QDA files never need", file=path) from None
    except ET.ParseError as exc:
        raise InputError(f"{what} is not well-formed XML ({exc})", file=path) from None
    except (ValueError, LookupError) as exc:  # e.g. an encoding declaration Python does not know
        raise InputError(f"{what} cannot be read as XML ({exc})", file=path) from None


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el, name):
    return [c for c in el if _local(c.tag) == name]


def _child(el, name):
    found = _children(el, name)
    return found[0] if found else None


def _decode_source(raw: bytes, path, member):
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # QualCoder writes a BOM and counts positions after it
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"source {member!r} is not UTF-8 text", file=path) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


_NOTE_LINE = re.compile(r"^\s*(CFIR rating|Memo|Theme|Excerpt id)\s*:\s*(.*?)\s*$", re.IGNORECASE)


def _parse_note(text):
    out = {}
    for line in (text or "").splitlines():
        m = _NOTE_LINE.match(line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


_ID_PREFIX = re.compile(r"^\s*((?:I|II|III|IV|V)(?:\.[A-Z](?:\.[A-Z0-9])?|\.[RC]\.[A-I])?)\.?\s")


def _construct_for(name, aliases):
    m = _ID_PREFIX.match(name + " ")
    candidates = [m.group(1)] if m else []
    candidates.append(name)
    last = None
    for c in candidates:
        try:
            return resolve_construct(c, aliases=aliases)
        except InputError as exc:
            last = exc
    raise last


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Source:
    guid: str
    name: str
    text: str
    element: object
    variables: dict  # variable guid -> value text


def _value_text(vv):
    for el in vv:
        if _local(el.tag).endswith("Value") and _local(el.tag) != "VariableValue":
            return (el.text or "").strip()
    return None


def _read_sources(root, archive, path):
    out = []
    sources_el = _child(root, "Sources")
    for k, ts in enumerate([] if sources_el is None else _children(sources_el, "TextSource"), start=1):
        sname = ts.get("name") or ts.get("guid") or f"source {k}"
        content = _child(ts, "PlainTextContent")
        ptp = ts.get("plainTextPath") or ""
        if ptp.startswith("internal://"):
            member = ptp[len("internal://"):]
            key = next((k for k in (f"Sources/{member}", f"sources/{member}") if k in archive.members), None)
            key = key or archive.find(f"sources/{member}")
            if key is None:
                raise InputError(f"source {sname!r} points at {ptp!r}, which is not in the archive", file=path)
            text = _decode_source(archive.read(key), path, key)
        elif content is not None:
            text = (content.text or "").replace("\r\n", "\n").replace("\r", "\n")
        else:
            raise InputError(f"source {sname!r} has no internal plain text ({ptp or 'no path'}); only "
                             "internal text sources are read", file=path)
        values = {}
        for vv in _children(ts, "VariableValue"):
            ref = _child(vv, "VariableRef")
            if ref is not None and ref.get("targetGUID"):
                values[ref.get("targetGUID")] = _value_text(vv)
        out.append(_Source(ts.get("guid") or f"#{k}", sname, text, ts, values))
    return out


_FILE_SUFFIX = re.compile(r"\.(txt|text|md|docx?|odt|rtf|pdf)$", re.IGNORECASE)


def _assign_cases(root, archive, sources, case_codes, source_vars, path, told):
    """The case of each source (guid -> case name); how a rule or a disagreement decided it goes into ``told``."""
    cases = []
    cases_el = _child(root, "Cases")
    for case in ([] if cases_el is None else _children(cases_el, "Case")):
        if case.get("name"):
            cases.append(case)
    by_guid = {s.guid: s for s in sources}
    found = {s.guid: [] for s in sources}  # source guid -> [(method, case)]

    # 1 and 2: Case/SourceRef, to a source or to QualCoder's copy of a source's text
    by_text = {}
    for s in sources:
        by_text.setdefault(s.text, []).append(s.guid)
    for case in cases:
        for ref in _children(case, "SourceRef"):
            target = ref.get("targetGUID")
            if target in by_guid:
                found[target].append(("its case's source link", case.get("name")))
                continue
            member = next((n for n in archive.members if PurePosixPath(n).stem.lower() == str(target).lower()
                           and PurePosixPath(n).parent.name.lower() == "sources"), None)
            if member is None:
                continue
            try:
                text = _decode_source(archive.read(member), path, member)
            except InputError:
                continue
            same = by_text.get(text, [])
            if len(same) == 1:
                found[same[0]].append(("its case's source link (through the copy of its text)", case.get("name")))
    # 3: a code with a case's guid (or a case's CodeRef) coding a selection of the source
    for s in sources:
        for sel in _children(s.element, "PlainTextSelection"):
            for cod in _children(sel, "Coding"):
                ref = _child(cod, "CodeRef")
                target = ref.get("targetGUID") if ref is not None else None
                if target in case_codes:
                    found[s.guid].append(("a case code", case_codes[target]))
    # 4: the cscs-eval case variable
    for s in sources:
        for vguid in source_vars:
            value = s.variables.get(vguid)
            if value:
                found[s.guid].append((f"its {CASE_VARIABLE!r} variable", value))

    out, disagree = {}, []
    for s in sources:
        if not found[s.guid]:
            continue
        method, case = found[s.guid][0]
        out[s.guid] = case
        others = sorted({f"{m} says {c!r}" for m, c in found[s.guid][1:] if c != case})
        if others:
            disagree.append(f"{s.name!r}: {method} says {case!r}, but {'; '.join(others)}")
    if disagree:
        told.append(CaseAssignmentWarning(
            f"{path}: the case links of {len(disagree)} source(s) disagree; the first link was used "
            f"(order: case source links, case codes, the {CASE_VARIABLE!r} variable): " + " | ".join(disagree)))

    # 5: the rule, for sources with no link
    names = [c.get("name") for c in cases]
    by_prefix, own = [], []
    for s in sources:
        if s.guid in out:
            continue
        fits = [n for n in names if s.name.lower().startswith(n.lower())
                and (len(s.name) == len(n) or not s.name[len(n)].isalnum())]
        if fits:
            out[s.guid] = max(fits, key=len)
            by_prefix.append(f"{s.name!r} -> {out[s.guid]!r}")
        else:
            out[s.guid] = _FILE_SUFFIX.sub("", s.name) or s.name
            own.append(f"{s.name!r} -> {out[s.guid]!r}")
    if by_prefix:
        told.append(CaseAssignmentWarning(
            f"{path}: {len(by_prefix)} source(s) have no case link, so each was given the case whose name starts "
            "its own name (QualCoder does not export the links its case manager makes): " + ", ".join(by_prefix)))
    if own:
        told.append(CaseAssignmentWarning(
            f"{path}: {len(own)} source(s) have no case link and no case name starts their name, so each is its own "
            "case, named after the source without a file extension: " + ", ".join(own)))
    return out


def _snippet(text):
    flat = _flat(text)
    return flat if len(flat) <= 40 else (flat[:41].rsplit(" ", 1)[0] or flat[:40]) + "..."


def _combine(desc, note, where, told):
    """One coding's rating, memo, theme and excerpt id from its Description and its note (the note wins)."""
    values = {"rating": desc.rating, "memo": desc.memo, "theme": desc.theme, "excerpt_id": desc.excerpt_id}
    from_note = {"rating": note.get("cfir rating"), "memo": note.get("memo"), "theme": note.get("theme"),
                 "excerpt_id": note.get("excerpt id")}
    differ = []
    for key, noted in from_note.items():
        if noted in (None, ""):
            continue
        said = values[key]
        if key == "rating" and said is not None:
            same = _rating_or_none(said) == _rating_or_none(noted)
        else:
            same = said is not None and _flat(said) == _flat(noted)  # notes keep a memo on one line
        if said is not None and not same and (desc.has_header or key == "memo"):
            differ.append(f"{key.replace('_', ' ')} {_flat(said)!r} in the Description, {noted!r} in the note")
        if not same:
            values[key] = noted
    if differ:
        told.append(DescriptionConflictWarning(f"{where}: the coding's note and its selection's Description "
                                                 f"disagree, so the note was used: {'; '.join(differ)}"))
    return values


def _rating_or_none(text):
    try:
        return normalise_rating(text)
    except InputError:
        return text


def import_qdpx(path, *, aliases=None) -> Coding:
    """Read a REFI-QDA project (``.qdpx``) into a :class:`~cscs_eval.cfir.Coding`.

    Codes are matched to CFIR 2.0 by their leading id (as cscs-eval writes them), their name, a CFIR
    1.0 name or an alias. Codes that match nothing are listed in one error that asks for an alias file;
    codes that map to one construct on one excerpt become one coding, with their memos.

    A coding's rating, memo, theme and excerpt id come from its selection's ``Description`` (the
    ``cscs-eval:`` line; a Description without one is the memo) and from cscs-eval's note on it
    (``CFIR rating: +1``); where both are present and disagree the note wins, with a
    :class:`DescriptionConflictWarning`. A coding with neither is rated ``M``.

    The case of a source comes from its case links (see the module's notes); a source without one goes to the
    case whose name starts the source's name, else it is its own case, with a :class:`CaseAssignmentWarning`.
    The case ratings cscs-eval wrote as case variables that the excerpts alone would not give are the Coding's
    ``case_ratings`` (the case memo's ratings).
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file", file=path)
    told = []  # warnings, given only when the import succeeds
    with _Archive(path) as archive:
        qde = [n for n in archive.members if n.lower().endswith(".qde") and "/" not in n]
        if len(qde) != 1:
            raise InputError(f"a .qdpx must hold exactly one .qde file at its root; found {len(qde)}", file=path)
        root = _parse_xml(archive.read(qde[0]), path, qde[0])
        if _local(root.tag) != "Project":
            raise InputError(f"{qde[0]} has root <{_local(root.tag)}>, expected <Project>", file=path)
        alias_map = load_aliases(aliases) if aliases is not None else {}
        users = {u.get("guid"): u.get("name") for u in root.iter() if _local(u.tag) == "User"}
        codes = {c.get("guid"): c.get("name") or c.get("guid") for c in root.iter() if _local(c.tag) == "Code"}
        notes = {}
        notes_el = _child(root, "Notes")
        if notes_el is not None:
            for n in _children(notes_el, "Note"):
                content = _child(n, "PlainTextContent")
                notes[n.get("guid")] = content.text if content is not None else ""
        rating_vars, source_vars = {}, set()  # variable guid -> construct id; guids of the case variable
        variables_el = _child(root, "Variables")
        if variables_el is not None:
            for var in _children(variables_el, "Variable"):
                name = (var.get("name") or "").strip()
                if name.startswith(_RATING_VARIABLE):
                    m = _ID_PREFIX.match(name[len(_RATING_VARIABLE):] + " ")
                    if m and m.group(1) in get_codebook().by_id:
                        rating_vars[var.get("guid")] = m.group(1)
                elif name.lower() == CASE_VARIABLE:
                    source_vars.add(var.get("guid"))
        case_codes, case_values = {}, []
        cases_el = _child(root, "Cases")
        for case in ([] if cases_el is None else _children(cases_el, "Case")):
            cname = case.get("name")
            if not cname:
                continue  # a case with no name holds file variables (MAXQDA, Quirkos): nothing cscs-eval reads
            if case.get("guid") in codes:
                case_codes[case.get("guid")] = cname
            for ref in _children(case, "CodeRef"):
                if ref.get("targetGUID") in codes:
                    case_codes[ref.get("targetGUID")] = cname
            for vv in _children(case, "VariableValue"):
                ref = _child(vv, "VariableRef")
                cid = rating_vars.get(ref.get("targetGUID") if ref is not None else None)
                value = _value_text(vv)
                if cid and value:
                    case_values.append((cname, cid, value))
        sources = _read_sources(root, archive, path)
        case_of = _assign_cases(root, archive, sources, case_codes, source_vars, path, told)

    rows, used, empty = [], {}, 0
    for s in sources:
        case = case_of[s.guid]
        source = s.name[len(case) + 3:] if s.name.startswith(f"{case} - ") and len(s.name) > len(case) + 3 else s.name
        for sel in _children(s.element, "PlainTextSelection"):
            try:
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):
                raise InputError(f"selection {sel.get('guid')} in {s.name!r} has no integer positions",
                                 file=path) from None
            if not 0 <= start <= end <= len(s.text):
                raise InputError(f"selection {sel.get('guid')} in {s.name!r} spans {start}-{end}, outside the "
                                 f"source's {len(s.text)} characters", file=path)
            excerpt = s.text[start:end]
            d_el = _child(sel, "Description")
            desc = parse_description(d_el.text if d_el is not None else None)
            for cod in _children(sel, "Coding"):
                ref = _child(cod, "CodeRef")
                target = ref.get("targetGUID") if ref is not None else None
                if target in case_codes:
                    continue  # a case link, read above
                code_name = codes.get(target)
                if code_name is None:
                    raise InputError(f"a coding in {s.name!r} (selection {start}-{end}) points at no code",
                                     file=path)
                if not excerpt.strip():
                    empty += 1
                    continue
                note = {}
                for nref in _children(cod, "NoteRef"):
                    note.update(_parse_note(notes.get(nref.get("targetGUID"))))
                where = (f"{path}: source {s.name!r}, excerpt "
                         f"{desc.excerpt_id or note.get('excerpt id') or f'{start}-{end}'} "
                         f"({_snippet(excerpt)!r}), code {code_name!r}")
                values = _combine(desc, note, where, told)
                coder = users.get(cod.get("creatingUser") or sel.get("creatingUser"))
                coder = None if coder == _NO_CODER else coder
                rows.append({"excerpt_id": values["excerpt_id"], "case": case, "source": source, "excerpt": excerpt,
                             "construct": code_name, "rating": values["rating"], "coder": coder,
                             "memo": values["memo"], "theme": values["theme"], "_source": s.name,
                             "_span": (start, end)})
                used[code_name] = used.get(code_name, 0) + 1
    if empty:
        told.append(RefiWarning(f"{path}: {empty} coding(s) of empty or blank selections were skipped: they hold "
                                  "no excerpt"))
    if not rows:
        raise InputError("the project has no coded text selections", file=path)
    unknown = []
    resolved = {}
    for name in used:
        try:
            resolved[name] = _construct_for(name, alias_map)
        except InputError:
            unknown.append(name)
    if unknown:
        hint = ("add them to the alias file" if aliases is not None else
                "pass an alias file (--aliases) that maps each to a CFIR construct")
        listing = ", ".join(f"{n!r} ({used[n]} coding{'s' if used[n] > 1 else ''})" for n in unknown)
        raise InputError(f"{len(unknown)} code(s) are not CFIR constructs and need mapping: {listing}; {hint}, "
                         f"e.g. '{unknown[0]}: Innovation Relative Advantage'", file=path)
    for row in rows:
        row["construct_id"] = resolved[row["construct"]]
    rows = _merge(rows, path, told)
    _check_excerpt_ids(rows, path)
    unrated = sum(row["rating"] in (None, "") for row in rows)
    if unrated:
        told.append(RefiWarning(
            f"{path}: {unrated} of {len(rows)} coding(s) carry no rating (no 'cscs-eval:' line in the selection's "
            "Description and no rating note), so they are rated M (missing); rate them in the coding sheet or add "
            "'cscs-eval: rating=+1' as the first line of the coding memo"))
    _separate_repeated_texts(rows)
    sheet = pd.DataFrame(rows).drop(columns=["construct_id", "_source", "_span"])
    sheet["construct"] = [r["construct_id"] for r in rows]
    coding = _read(sheet, file=str(path))
    if case_values:
        coding = dataclasses.replace(coding, case_ratings=_case_rating_overrides(coding, case_values, path))
    for warning in told:
        warnings.warn(warning, stacklevel=2)
    return coding


def _merge(rows, path, told):
    """One row per source, span, coder and construct: codes an alias file maps to one construct merge."""
    groups = {}
    for row in rows:
        groups.setdefault((row["_source"], row["_span"], row["coder"], row["construct_id"]), []).append(row)
    out, theme_clash = [], []
    for (sname, (start, end), _, cid), grp in groups.items():
        if len(grp) == 1:
            out.append(grp[0])
            continue
        where = f"source {sname!r}, excerpt {start}-{end} ({_snippet(grp[0]['excerpt'])!r})"
        rated = {}
        for r in grp:
            try:
                rating = normalise_rating(r["rating"])
            except InputError as exc:
                raise InputError(f"{where}, code {r['construct']!r}: {exc.message}", file=path) from None
            if rating != "M":
                rated.setdefault(rating, []).append(r["construct"])
        if len(rated) > 1:
            said = " and ".join(f"{', '.join(repr(n) for n in names)} rated {rating}"
                                for rating, names in rated.items())
            raise InputError(f"{where}: {said} all map to {get_codebook().label(cid)} ({cid}); give the excerpt one "
                             "rating of it, or map the codes to different constructs", file=path)
        merged = dict(grp[0])
        merged["rating"] = next(iter(rated), None if all(r["rating"] in (None, "") for r in grp) else "M")
        memos = [m for m in dict.fromkeys(r["memo"] for r in grp) if m not in (None, "")]
        merged["memo"] = "; ".join(m.strip() for m in memos) if memos else None
        themes = [t for t in dict.fromkeys(r["theme"] for r in grp) if t not in (None, "")]
        merged["theme"] = themes[0] if themes else None
        merged["excerpt_id"] = next((r["excerpt_id"] for r in grp if r["excerpt_id"]), None)
        if len(themes) > 1:
            theme_clash.append(f"{where}: {', '.join(repr(t) for t in themes)}")
        out.append(merged)
    if theme_clash:
        told.append(RefiWarning(f"{path}: codes merged into one construct carry different themes; the first "
                                  "was kept: " + " | ".join(theme_clash)))
    return out


def _check_excerpt_ids(rows, path):
    """An excerpt id names one place in one source; a second place (a copied cscs-eval: line) is an error that
    names both. (Codings of one construct at one place were merged before.)"""
    place = {}
    for row in rows:
        eid = row["excerpt_id"]
        if not eid:
            continue
        here = (row["_source"], row["_span"])
        first = place.setdefault(eid, here)
        if first != here:
            raise InputError(
                f"excerpt id {eid!r} is given to two selections: source {first[0]!r}, excerpt {first[1][0]}-"
                f"{first[1][1]}, and source {here[0]!r}, excerpt {here[1][0]}-{here[1][1]} "
                f"({_snippet(row['excerpt'])!r}); give each its own 'excerpt=' on its cscs-eval: line, or delete "
                "the 'excerpt=' field of the one that is not that excerpt", file=path)


def _separate_repeated_texts(rows):
    """Excerpts with no id that read the same but stand at different places in a source get ids that differ."""
    spans = {}
    for row in rows:
        if not row["excerpt_id"]:
            key = (row["_source"], _flat(row["excerpt"]).lower())
            spans.setdefault(key, set()).add(row["_span"])
    for row in rows:
        if not row["excerpt_id"]:
            places = spans[(row["_source"], _flat(row["excerpt"]).lower())]
            if len(places) > 1:
                start, end = row["_span"]
                row["excerpt_id"] = f"{excerpt_key(row['case'], row['source'], row['excerpt'])}@{start}-{end}"
            else:
                row["excerpt_id"] = None


def _case_rating_overrides(coding, case_values, path):
    """The case memo's ratings among the case variables: those the excerpts alone would not give, and those that
    carry a rationale (``-2 | Vacancies ...``), which only a memo rating has."""
    import pandas as pd

    derived = {(c, i): r for c, i, r in rate_cases(coding)[["case", "construct_id", "rating"]].itertuples(
        index=False)}
    out = []
    for case, cid, text in case_values:
        value, _, why = text.partition("|")
        rating = normalise_rating(value, where={"file": path, "column": f"case {case!r}, {_RATING_VARIABLE}{cid}"})
        if derived.get((case, cid)) != rating or why.strip():
            out.append((case, cid, rating, RATING_VALUES[rating], why.strip() or None))
    if not out:
        return None
    table = pd.DataFrame(out, columns=CASE_RATING_COLUMNS)
    return table.astype({c: "string" for c in ("case", "construct_id", "rating", "rationale")}).astype(
        {"rating_value": "float64"})


def read_qdc(path):
    """Read a REFI-QDA codebook (``.qdc``) into ``guid, name, is_codable, parent_guid`` rows (a DataFrame)."""
    import pandas as pd

    from cscs_eval.io import read_text

    data = read_text(path).encode("utf-8")
    root = _parse_xml(data, path, Path(path).name)
    codes = _child(root, "Codes")
    if codes is None:
        raise InputError("a .qdc codebook needs a <Codes> element", file=path)
    rows, stack = [], [(c, None) for c in reversed(_children(codes, "Code"))]
    while stack:  # depth first, in document order, without recursion (a file may nest codes very deep)
        c, parent = stack.pop()
        rows.append({"guid": c.get("guid"), "name": c.get("name"),
                     "is_codable": str(c.get("isCodable")).lower() == "true", "parent_guid": parent})
        stack.extend((k, c.get("guid")) for k in reversed(_children(c, "Code")))
    return pd.DataFrame(rows)
