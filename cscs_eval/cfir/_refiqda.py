"""REFI-QDA exchange: the CFIR codebook as ``.qdc`` and coded projects as ``.qdpx``, both ways.

Export follows the REFI-QDA 1.5 project schema and what QualCoder needs (``reference/cfir-qual-anchors.md``
section 5.4): namespace ``urn:QDA-XML:project:1.0``, ``Project@origin``, one ``project.qde`` at the ZIP
root, plain-text sources under ``Sources/`` in UTF-8 without a BOM and with LF line ends, selections in
Unicode code points (end exclusive), domains as ``Code`` elements with an explicit ``isCodable="false"``
and constructs nested under them, ``CodeRef`` first in each ``Coding``, unique code and source names.

Ratings have no REFI element. Each coding carries a ``NoteRef`` to a note whose text holds
``CFIR rating: +2`` (and ``Memo:``, ``Theme:``, ``Excerpt id:`` lines); case-level ratings are also
written as case variables named ``CFIR rating: <id> <construct>``. Import reads these back (a case
rating the excerpts would not give becomes one of the Coding's ``case_ratings``, so summaries survive
the round trip), and reads
projects written by other tools (QualCoder's lower-case ``sources/``, BOMs, CRLF text), taking each
excerpt from the source text and the offsets.

Imported files are untrusted: XML is parsed with defusedxml (entity declarations refused), ZIP members
whose names leave the archive folder are refused, and members are read with a size limit.
"""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from cscs_eval.cfir._codebook import get_codebook, load_aliases, resolve_construct
from cscs_eval.cfir._coding import Coding, _read
from cscs_eval.cfir._ratings import rate_cases
from cscs_eval.cfir._syntax import RATING_VALUES, normalise_rating
from cscs_eval.cfir._tidy import CASE_RATING_COLUMNS, unpack
from cscs_eval.errors import InputError, UsageError

__all__ = ["export_qdc", "export_qdpx", "import_qdpx", "read_qdc", "qdc_xml", "project_xml", "MAX_MEMBER_BYTES"]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
#: Largest ZIP member read on import (uncompressed bytes); REFI allows 2**31 - 1 but interviews are small.
MAX_MEMBER_BYTES = 50 * 1024 * 1024
#: Largest total uncompressed size and the most members read from one archive.
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 10_000
_NAMESPACE = uuid.UUID("6f1c2a0e-51b3-4c59-9d0e-3c6f9a0b7e11")  # fixed, so exports are reproducible


def _guid(*parts) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(str(p) for p in parts)))


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
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


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


_RATING_VARIABLE = "CFIR rating: "


def _note_text(rating, memo, theme, excerpt_id):
    lines = [f"CFIR rating: {rating}"]
    for label, value in (("Memo", memo), ("Theme", theme), ("Excerpt id", excerpt_id)):
        if _text(value) not in (None, ""):
            flat = re.sub(r"\s+", " ", str(value)).strip()
            lines.append(f"{label}: {flat}")
    return "\n".join(lines)


def _text(v):
    import pandas as pd

    return None if v is None or pd.isna(v) else str(v)


def project_xml(coding, *, name="CFIR coding", case_variables=True):
    """Build the ``project.qde`` XML and the source texts of a coding (a Coding or a coding table).

    Returns ``(xml_bytes, {member_name: text})``.
    """
    cb = get_codebook()
    ratings_of = coding
    coding = unpack(coding)[0]
    root = ET.Element("Project", {"name": str(name), "origin": _origin()})
    coders = [c for c in dict.fromkeys(coding["coder"].fillna("cscs-eval").astype(str))]
    users = ET.SubElement(root, "Users")
    user_guid = {c: _guid("user", c) for c in coders}
    for c in coders:
        ET.SubElement(users, "User", {"guid": user_guid[c], "name": c})
    root.set("creatingUserGUID", user_guid[coders[0]])
    book = ET.SubElement(root, "CodeBook")
    book.append(_codes_element("Codes"))

    # one text source per case and source, the excerpts in order, separated by a blank line
    df = coding.assign(_coder=coding["coder"].fillna("cscs-eval").astype(str),
                       _text=coding["excerpt"].astype(str).str.replace("\r\n", "\n").str.replace("\r", "\n"))
    sources, members = [], {}
    for (case, source), grp in df.groupby(["case", "source"], sort=False, dropna=False):
        case, source = _text(case), _text(source) or "notes"
        sguid = _guid("source", case, source)
        pieces, spans, pos = [], {}, 0
        # one span per excerpt (not per text: two excerpts may read the same, e.g. 'Agreed.')
        for eid, text in dict.fromkeys(zip(grp["excerpt_id"], grp["_text"])):
            spans[eid] = (pos, pos + len(text))  # str length = code points
            pieces.append(text)
            pos += len(text) + 2
        members[f"Sources/{sguid}.txt"] = "\n\n".join(pieces) + "\n"
        sources.append((case, source, sguid, grp, spans))

    cases = sorted({s[0] for s in sources if s[0] is not None})
    if case_variables and cases:
        cr = rate_cases(ratings_of)
        variables = ET.SubElement(root, "Variables")
        var_guid = {}
        for cid in dict.fromkeys(cr["construct_id"]):
            var_guid[cid] = _guid("variable", cid)
            ET.SubElement(variables, "Variable", {"guid": var_guid[cid],
                                                  "name": f"{_RATING_VARIABLE}{cid} {cb.label(cid)}",
                                                  "typeOfVariable": "Text"})
    else:
        cr, var_guid = None, {}
    if cases:
        cases_el = ET.SubElement(root, "Cases")
        for case in cases:
            cel = ET.SubElement(cases_el, "Case", {"guid": _guid("case", case), "name": case})
            if cr is not None:
                rows = cr.loc[cr["case"] == case, ["construct_id", "rating", "rationale"]]
                for cid, rating, rationale in rows.itertuples(index=False):
                    vv = ET.SubElement(cel, "VariableValue")
                    ET.SubElement(vv, "VariableRef", {"targetGUID": var_guid[cid]})
                    why = _text(rationale)  # the case memo's reason, shown beside the rating in QDA tools
                    flat = re.sub(r"\s+", " ", why).strip() if why else ""
                    ET.SubElement(vv, "TextValue").text = f"{rating} | {flat}" if flat else str(rating)
            for s_case, _, sguid, _, _ in sources:
                if s_case == case:
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
        ts = ET.SubElement(src_el, "TextSource", {"guid": sguid, "name": sname,
                                                  "plainTextPath": f"internal://{sguid}.txt",
                                                  "creatingUser": user_guid[grp["_coder"].iloc[0]]})
        for (eid, coder), sel_rows in grp.groupby(["excerpt_id", "_coder"], sort=False):
            text = sel_rows["_text"].iloc[0]
            start, end = spans[eid]
            pguid = _guid("selection", sguid, start, coder)
            sel = ET.SubElement(ts, "PlainTextSelection", {
                "guid": pguid, "name": text[:60], "startPosition": str(start), "endPosition": str(end),
                "creatingUser": user_guid[coder]})
            for r in sel_rows.itertuples(index=False):
                cguid = _guid("coding", pguid, r.construct_id)
                coding_el = ET.SubElement(sel, "Coding", {"guid": cguid, "creatingUser": user_guid[coder]})
                ET.SubElement(coding_el, "CodeRef", {"targetGUID": _guid("code", r.construct_id)})
                nguid = _guid("note", cguid)
                ET.SubElement(coding_el, "NoteRef", {"targetGUID": nguid})
                notes.append((nguid, f"{r.construct_id} rating", _note_text(r.rating, r.memo, r.theme, r.excerpt_id),
                              user_guid[coder]))
    if notes:
        notes_el = ET.SubElement(root, "Notes")
        for nguid, nname, text, user in notes:
            note = ET.SubElement(notes_el, "Note", {"guid": nguid, "name": nname, "creatingUser": user})
            ET.SubElement(note, "PlainTextContent").text = text
    return _serialise(root, PROJECT_NS), members


def export_qdpx(coding, path, *, name="CFIR coding", case_variables=True) -> Path:
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
    """
    from cscs_eval.io import atomic_path

    if not str(path).lower().endswith(".qdpx"):
        raise UsageError(f"a REFI-QDA project file must end in .qdpx, got {path!r}")
    xml, members = project_xml(coding, name=name, case_variables=case_variables)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("project.qde", xml)
            for member, text in members.items():
                zf.writestr(member, text.encode("utf-8"))  # no BOM, LF line ends
    return Path(path)


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

def _safe_members(zf, path):
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"the archive has {len(infos)} members; at most {MAX_MEMBERS} are read", file=path)
    total = 0
    for info in infos:
        name = info.filename
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
            raise InputError(f"refusing ZIP member {name!r}: its path leaves the archive folder", file=path)
        if info.file_size > MAX_MEMBER_BYTES:
            raise InputError(f"refusing ZIP member {name!r}: {info.file_size} bytes uncompressed is over the "
                             f"{MAX_MEMBER_BYTES}-byte limit", file=path)
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise InputError(f"refusing the archive: {total} bytes uncompressed is over the {MAX_TOTAL_BYTES}-byte "
                         "limit", file=path)
    return {i.filename.replace("\\", "/"): i for i in infos if not i.is_dir()}


def _read_member(zf, info, path):
    # read in chunks so a lying header cannot make us inflate more than the limit
    out = io.BytesIO()
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
            if out.tell() > MAX_MEMBER_BYTES:
                raise InputError(f"refusing ZIP member {info.filename!r}: it expands beyond the "
                                 f"{MAX_MEMBER_BYTES}-byte limit", file=path)
    return out.getvalue()


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


def _local(tag):
    return tag.rsplit("}", 1)[-1]


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


def import_qdpx(path, *, aliases=None) -> Coding:
    """Read a REFI-QDA project (``.qdpx``) into a :class:`~cscs_eval.cfir.Coding`.

    Codes are matched to CFIR 2.0 by their leading id (as cscs-eval writes them), their name, a CFIR
    1.0 name or an alias. Codes that match nothing are listed in one error that asks for an alias file.
    Ratings come from cscs-eval's coding notes (``CFIR rating: +1``); codings without one are ``M``.
    The case of a source is its REFI ``Case`` if it has one, else the source name. The case ratings
    cscs-eval wrote as case variables that the excerpts alone would not give are the Coding's
    ``case_ratings`` (the case memo's ratings).
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputError("not a REFI-QDA project: a .qdpx file is a ZIP archive", file=path) from None
    with zf:
        members = _safe_members(zf, path)
        qde = [n for n in members if n.lower().endswith(".qde") and "/" not in n]
        if len(qde) != 1:
            raise InputError(f"a .qdpx must hold exactly one .qde file at its root; found {len(qde)}", file=path)
        root = _parse_xml(_read_member(zf, members[qde[0]], path), path, qde[0])
        if _local(root.tag) != "Project":
            raise InputError(f"{qde[0]} has root <{_local(root.tag)}>, expected <Project>", file=path)
        alias_map = load_aliases(aliases) if aliases is not None else {}
        users = {u.get("guid"): u.get("name") for u in root.iter() if _local(u.tag) == "User"}
        codes = {}
        for c in root.iter():
            if _local(c.tag) == "Code":
                codes[c.get("guid")] = c.get("name")
        notes = {}
        notes_el = _child(root, "Notes")
        if notes_el is not None:
            for n in _children(notes_el, "Note"):
                content = _child(n, "PlainTextContent")
                notes[n.get("guid")] = content.text if content is not None else ""
        rating_vars = {}  # variable guid -> construct id, for cscs-eval's 'CFIR rating: <id> <name>' variables
        variables_el = _child(root, "Variables")
        if variables_el is not None:
            for var in _children(variables_el, "Variable"):
                name = var.get("name") or ""
                if name.startswith(_RATING_VARIABLE):
                    m = _ID_PREFIX.match(name[len(_RATING_VARIABLE):] + " ")
                    if m and m.group(1) in get_codebook().by_id:
                        rating_vars[var.get("guid")] = m.group(1)
        source_case, case_values = {}, []
        cases_el = _child(root, "Cases")
        if cases_el is not None:
            for case in _children(cases_el, "Case"):
                for ref in _children(case, "SourceRef"):
                    source_case[ref.get("targetGUID")] = case.get("name")
                for vv in _children(case, "VariableValue"):
                    ref, value = _child(vv, "VariableRef"), _child(vv, "TextValue")
                    cid = rating_vars.get(ref.get("targetGUID") if ref is not None else None)
                    if cid and value is not None and (value.text or "").strip():
                        case_values.append((case.get("name"), cid, value.text.strip()))
        lower = {n.lower(): n for n in members}
        rows, used = [], {}
        sources_el = _child(root, "Sources")
        for ts in ([] if sources_el is None else _children(sources_el, "TextSource")):
            sname = ts.get("name") or ts.get("guid")
            content = _child(ts, "PlainTextContent")
            text = None
            ptp = ts.get("plainTextPath") or ""
            if ptp.startswith("internal://"):
                member = ptp[len("internal://"):]
                key = next((k for k in (f"Sources/{member}", f"sources/{member}") if k in members), None)
                key = key or lower.get(f"sources/{member}".lower())
                if key is None:
                    raise InputError(f"source {sname!r} points at {ptp!r}, which is not in the archive", file=path)
                text = _decode_source(_read_member(zf, members[key], path), path, key)
            elif content is not None:
                text = (content.text or "").replace("\r\n", "\n")
            else:
                raise InputError(f"source {sname!r} has no internal plain text ({ptp or 'no path'}); only "
                                 "internal text sources are read", file=path)
            case = source_case.get(ts.get("guid"))
            source = sname
            if case and sname.startswith(f"{case} - "):
                source = sname[len(case) + 3:]
            for sel in _children(ts, "PlainTextSelection"):
                try:
                    start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                except (TypeError, ValueError):
                    raise InputError(f"selection {sel.get('guid')} in {sname!r} has no integer positions",
                                     file=path) from None
                if not 0 <= start <= end <= len(text):
                    raise InputError(f"selection {sel.get('guid')} in {sname!r} spans {start}-{end}, outside the "
                                     f"source's {len(text)} characters", file=path)
                excerpt = text[start:end]
                for cod in _children(sel, "Coding"):
                    ref = _child(cod, "CodeRef")
                    code_name = codes.get(ref.get("targetGUID") if ref is not None else None)
                    if code_name is None:
                        raise InputError(f"a coding in {sname!r} points at no code", file=path)
                    note = {}
                    for nref in _children(cod, "NoteRef"):
                        note.update(_parse_note(notes.get(nref.get("targetGUID"))))
                    coder = users.get(cod.get("creatingUser") or sel.get("creatingUser"))
                    rows.append({"excerpt_id": note.get("excerpt id"), "case": case or source, "source": source,
                                 "excerpt": excerpt, "construct": code_name, "rating": note.get("cfir rating"),
                                 "coder": coder, "memo": note.get("memo"), "theme": note.get("theme")})
                    used[code_name] = used.get(code_name, 0) + 1
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
    sheet = pd.DataFrame(rows)
    sheet["construct"] = sheet["construct"].map(resolved)
    coding = _read(sheet, file=str(path))
    if case_values:
        coding = dataclasses.replace(coding, case_ratings=_case_rating_overrides(coding, case_values, path))
    return coding


def _case_rating_overrides(coding, case_values, path):
    """The exported case ratings that the excerpts alone would not give: the case memo's ratings."""
    import pandas as pd

    derived = {(c, i): r for c, i, r in rate_cases(coding)[["case", "construct_id", "rating"]].itertuples(
        index=False)}
    out = []
    for case, cid, text in case_values:
        value, _, why = text.partition("|")
        rating = normalise_rating(value, where={"file": path, "column": f"case {case!r}, {_RATING_VARIABLE}{cid}"})
        if derived.get((case, cid)) != rating:
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
    rows = []

    def walk(el, parent):
        for c in _children(el, "Code"):
            rows.append({"guid": c.get("guid"), "name": c.get("name"),
                         "is_codable": str(c.get("isCodable")).lower() == "true", "parent_guid": parent})
            walk(c, c.get("guid"))

    codes = _child(root, "Codes")
    if codes is None:
        raise InputError("a .qdc codebook needs a <Codes> element", file=path)
    walk(codes, None)
    return pd.DataFrame(rows)
