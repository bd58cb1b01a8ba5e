"""Coding sheets and coded notes, read into one tidy table and written back.

The tidy coding table has one row per excerpt and code, with the columns of :data:`COLUMNS`:
where the code came from (``file``, ``line``), the excerpt (``excerpt_id, case, source, excerpt``),
the code (``code`` as written, ``construct_id, construct, domain``), its rating (``rating`` one of
``+2 +1 0 -1 -2 X M`` and ``rating_value`` -2..2 or missing), and ``coder, memo, theme``.

Two input forms give the same table:

* a **coding sheet** (CSV, Excel, Parquet) with ``case, source, excerpt, construct, rating`` and
  optionally ``coder, memo, theme, excerpt_id``;
* **coded notes**: Markdown with YAML front matter (``case`` required; ``source``, ``date``,
  ``role``, ``contact_type``, ``coder`` optional) in which each paragraph or bullet that carries
  ``[[construct rating; ... | memo]]`` is an excerpt (see :func:`cscs_eval.cfir.parse_inline_codes`); a
  heading ``## Theme: name`` sets the theme of the excerpts below it.

An excerpt without an ``excerpt_id`` gets a stable one made from its case, source and text, so that
two coders' files of the same notes match excerpt by excerpt.

:func:`load_coding` returns a :class:`Coding`: the tidy table with the case memo's ratings
(``case_ratings``) beside it as a named field, never hidden in the DataFrame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from cscs_eval.cfir._codebook import get_codebook, load_aliases, resolve_construct
from cscs_eval.cfir._ratings import summarise
from cscs_eval.cfir._syntax import (BRACKET_FIX, RATING_VALUES, bracket_problem, format_codes, normalise_rating,
                                    parse_inline_codes)
from cscs_eval.cfir._tidy import COLUMNS, excerpt_key_array, load_rules, read_case_ratings, squash, unpack
from cscs_eval.errors import InputError, UsageError, ValidationError
from cscs_eval.results import Result

__all__ = ["Coding", "load_coding", "validate", "to_coding_sheet", "to_coded_notes", "write_coded_notes",
           "NOTE_SUFFIXES", "REVIEW_MARKER", "problem_text"]

#: File name endings read as coded notes; anything else is read as a table.
NOTE_SUFFIXES = (".md", ".markdown", ".txt.md", ".qmd")

SHEET_REQUIRED = ("case", "excerpt", "construct")
SHEET_COLUMNS = ["excerpt_id", "case", "source", "excerpt", "construct", "rating", "coder", "memo", "theme"]

_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_RATING_LIKE = re.compile(r"^(?:[+\-\u2212\u00b1]+\d*(?:\.\d+)?|\d+(?:\.\d+)?)$")
_NEEDS_BULLET = re.compile(r"^(?:[-*+#>]|\d+[.)](?:\s|$)|```)")
_THEME = re.compile(r"^#{1,6}\s*theme\s*[:\-]\s*(.+?)\s*#*\s*$", re.IGNORECASE)

#: A review marker: suggested codes awaiting the evaluator's decision (``cfir suggest --write``),
#: ``[[? Innovation Complexity; Available Resources]]``. ``validate`` lists each one, and a coding
#: that still holds one is refused by ``load_coding`` (so by summarise, export and the reports).
REVIEW_MARKER = re.compile(r"\[\[\s*\?(.*?)\]\]", re.DOTALL)
REVIEW_FIX = ("accept: delete '? ' and the candidates you reject, and add a rating ([[Innovation Complexity -1]]); "
              "reject: delete the marker")


def _problem(file, line, column, problem, fix, *, draft=False):
    """One problem; ``draft`` marks what a file still being coded has (a review marker, no codes yet)."""
    return {"file": None if file is None else str(file), "line": line, "column": column, "problem": problem,
            "fix": fix, "draft": draft}


# --------------------------------------------------------------------------------------------
# Coded notes
# --------------------------------------------------------------------------------------------

def _blocks(body: str, first_line: int):
    """Yield (line, kind, text) for headings, bullets and paragraphs of a Markdown body."""
    current, start = [], None
    in_fence = False

    def flush():
        nonlocal current, start
        if current:
            yield start, "text", "\n".join(current)
        current, start = [], None

    for offset, line in enumerate(body.split("\n")):
        lineno = first_line + offset
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
            yield from flush()
            continue
        if in_fence:
            continue
        if not stripped:
            yield from flush()
        elif stripped.startswith("#"):
            yield from flush()
            yield lineno, "heading", stripped
        elif _BULLET.match(line):
            yield from flush()
            current, start = [_BULLET.sub("", line, count=1).strip()], lineno
        else:
            if start is None:
                start = lineno
            current.append(stripped)
    yield from flush()


_FRONT_MATTER_FIXES = (
    ("not closed", "end the front matter with a line holding only '---'"),
    ("'key: value'", "write e.g. 'case: Team A' between the two '---' lines"),
)


def _front_matter(text, path, problems):
    """(front matter dict, body, first body line) of a notes file; a broken front matter is a problem."""
    from cscs_eval.io import split_front_matter

    try:
        front = split_front_matter(text, file=path, required=False)
    except InputError as exc:
        fix = next((f for key, f in _FRONT_MATTER_FIXES if key in exc.message),
                   "write 'key: value' lines between the two '---' lines")
        problems.append(_problem(path, exc.row, "front matter", exc.message, fix))
        return {}, text, 1
    date = front.meta.get("date")
    if date is not None:
        from cscs_eval.dates import parse_date

        try:
            parse_date(date, file=path, column="date", required=False)
        except InputError as exc:
            line = next((n for n, row in enumerate(text.split("\n")[:front.body_line], start=1)
                         if row.split(":", 1)[0].strip().lower() == "date"), None)
            problems.append(_problem(path, line, "date", exc.message,
                                     "write the contact's date as 2024-03-31 or 31/03/2024"))
    return front.meta, front.body, front.body_line


def _parse_note_text(text, path, problems):
    """Return (front matter dict, list of (line, excerpt, codes, theme)) for one notes file."""
    meta, body, first = _front_matter(text, path, problems)
    excerpts, theme = [], meta.get("theme")
    for line, kind, block in _blocks(body, first):
        if kind == "heading":
            tm = _THEME.match(block)
            if tm:
                theme = tm.group(1).strip()
                if theme.lower() in ("-", "none"):  # '## Theme: none' ends the current theme
                    theme = None
            continue
        if "[[" not in block and "]]" not in block:
            continue
        for marker in REVIEW_MARKER.finditer(block):
            problems.append(_problem(path, line + block.count("\n", 0, marker.start()), "review",
                                     f"suggested codes await review: [[? {' '.join(marker.group(1).split())}]]",
                                     REVIEW_FIX, draft=True))
        block = REVIEW_MARKER.sub(" ", block).strip()
        if "[[" not in block and "]]" not in block:
            continue
        misplaced = bracket_problem(block)
        if misplaced is not None:
            at, what = misplaced
            problems.append(_problem(path, line + block.count("\n", 0, at), "codes", what, BRACKET_FIX))
            continue
        clean, codes = parse_inline_codes(block)
        if codes:
            excerpts.append((line, clean, codes, theme))
        else:
            problems.append(_problem(path, line, "codes", "an empty code block '[[ ]]'",
                                     "write the codes inside it, e.g. [[Relative Advantage +2]], or delete it"))
    return meta, excerpts


def _read_notes_raw(path, problems, encoding=None):
    from cscs_eval.io import read_text

    path = Path(path)
    try:
        text = read_text(path, encoding=encoding)
    except InputError as exc:
        problems.append(_problem(path, exc.row, None, exc.message, _fix_for(exc.message)))
        return []
    if not text.strip():
        problems.append(_problem(path, None, None, "file is empty",
                                 "write front matter (case, source) and coded paragraphs, or remove the file"))
        return []
    meta, excerpts = _parse_note_text(text, path, problems)
    case = meta.get("case")
    if case is None or str(case).strip() == "":
        problems.append(_problem(path, 1, "case", "the notes have no case in their front matter",
                                 "add 'case: <team or site>' between '---' lines at the top"))
        case = None
    if not excerpts:
        problems.append(_problem(path, None, "codes", "no coded excerpts found",
                                 "add codes after an excerpt, e.g. 'Text. [[Relative Advantage +2]]'", draft=True))
    source = meta.get("source") or path.stem
    rows = []
    for line, excerpt, codes, theme in excerpts:
        if not excerpt.strip():
            problems.append(_problem(path, line, "excerpt", "codes without an excerpt",
                                     "put the codes at the end of the paragraph or bullet they code"))
        for construct, rating, memo in codes:
            rows.append({"file": str(path), "line": line, "excerpt_id": None,
                         "case": None if case is None else str(case), "source": str(source), "excerpt": excerpt,
                         "code": construct, "rating_raw": rating, "coder": meta.get("coder"), "memo": memo,
                         "theme": theme})
    return rows


def _fix_for(message):
    if "Windows-1252" in message:
        return "save the file as UTF-8 ('CSV UTF-8' in Excel, 'UTF-8' in your editor)"
    if "empty" in message:
        return "add the header and rows, or remove the file"
    if "header seems to be on" in message:
        return "choose the sheet and header row with --sheet and --header-row (sheet=, header_row= in Python)"
    if "missing column" in message:
        return "name the columns case, source, excerpt, construct, rating (coder, memo, theme, excerpt_id optional)"
    if "not found" in message:
        return "check the path"
    return "correct the file and run 'cscs-eval cfir validate' again"


def _read_sheet_raw(path, problems, encoding=None):
    from cscs_eval.io import read_table, row_number, row_offset

    try:
        df = read_table(path, required=SHEET_REQUIRED, encoding=encoding)
    except InputError as exc:
        fix = _fix_for(exc.message)
        if "missing column" in exc.message and "excerpt" in exc.message and "rationale" in exc.message:
            fix = "this looks like a case-ratings file (case, construct, rating, rationale): pass it with --case-ratings"
        problems.append(_problem(path, exc.row, exc.column, exc.message, fix))
        return None
    # lines as the user sees them: below a header on another row than 1 (read_table(header_row=))
    return _sheet_frame(df, path, first_row=row_number(df, 0) + row_offset(path))


def _sheet_frame(df, file, *, first_row=2):
    """A coding sheet's rows in the shape ``_build`` reads: file and line beside each code as written."""
    out = df.reindex(columns=SHEET_COLUMNS)
    out = out.assign(file=str(file), line=range(first_row, first_row + len(out)), code=out["construct"],
                     rating_raw=out["rating"])
    return out.drop(columns=["construct", "rating"])


# --------------------------------------------------------------------------------------------
# Building and checking the tidy table
# --------------------------------------------------------------------------------------------

def _is_notes(path) -> bool:
    name = str(path).lower()
    return name.endswith(NOTE_SUFFIXES)


def _expand(paths):
    if isinstance(paths, (str, Path)):
        paths = [paths]
    from cscs_eval.io import TablePath, table_format, table_path

    out = []
    for p in paths:
        given = p
        p = p if isinstance(p, Path) else Path(p)  # a TablePath keeps its sheet and header row
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and (_is_notes(q) or q.suffix.lower() in (
                ".csv", ".tsv", ".xlsx", ".xlsm", ".parquet")))
            if isinstance(given, TablePath):  # a folder's sheets are read at its --sheet/--header-row
                found = [q if _is_notes(q) else table_path(
                    q, sheet=given.sheet if table_format(q) == "excel" else None, header_row=given.header_row)
                    for q in found]
            out.extend(found)
        else:
            out.append(p)
    return out


def _looked_up(series, mapping) -> pd.Series:
    """``mapping[value]`` for each value (None for a value not in it, or missing), as objects: each distinct
    value looked up once, as these columns hold a few distinct values in a million rows."""
    codes, uniques = pd.factorize(series)
    found = np.array([mapping.get(u) for u in uniques] + [None], dtype=object)
    return pd.Series(found[codes], index=series.index, dtype=object)


def _reused_excerpt_ids(raw, squashed, file_code, id_code):
    """``(file, excerpt_id, sorted lines)`` of each id that names more than one excerpt in a file (a
    different case, source or whitespace-squashed text), in file and id order.

    Compared as whole-column integer codes rather than joined strings: only ids on more than one row
    can name two excerpts, and on a million excerpts joining and grouping the strings took 2 s.
    ``file_code`` and ``id_code`` number the files and the excerpt ids of ``raw``'s rows.
    """
    has_text = raw["excerpt"].notna().to_numpy()
    given = raw[has_text]
    text = pd.Series(squashed.filter(pa.array(raw["excerpt"].notna().to_numpy())), index=given.index,
                     dtype="string")
    parts = [given["case"].fillna(""), given["source"].fillna(""), text]
    if any(p.str.contains("\x1f", regex=False).any() for p in parts):
        # the separator inside a value would make two different excerpts join alike: compare as joined
        key = parts[0] + "\x1f" + parts[1] + "\x1f" + parts[2]
    else:
        key = None
    file_code, id_code = file_code[has_text].astype("int64"), id_code[has_text].astype("int64")
    pair = file_code * (int(id_code.max(initial=0)) + 1) + id_code
    repeated = np.bincount(pair)[pair] > 1 if len(pair) else np.zeros(0, dtype=bool)
    if not repeated.any():
        return []
    codes = {"pair": pair[repeated]}
    if key is None:
        for i, p in enumerate(parts):
            codes[i] = pd.factorize(p[repeated])[0]
    else:
        codes[0] = pd.factorize(key[repeated])[0]
    distinct = pd.DataFrame(codes).drop_duplicates()["pair"].value_counts()
    clashing = np.isin(pair, distinct.index[distinct > 1].to_numpy())
    found = []
    for (file, eid), rows in given.loc[clashing, ["file", "excerpt_id", "line"]].groupby(["file", "excerpt_id"]):
        found.append((file, eid, sorted(rows["line"].unique())))
    return found


def _build(paths, aliases, reverse_rated, frames_in=None, encoding=None):
    """Read every file (and any ready sheet frames); return (tidy DataFrame, list of problem dicts)."""
    problems = []
    alias_map = {}
    if aliases is not None:
        try:
            alias_map = load_aliases(aliases)
        except InputError as exc:
            # without the alias file every local name would be reported as unknown: report the file alone
            msg = exc.message
            fix = ("check the path given to --aliases" if "not found" in msg else
                   "write one 'local name: CFIR construct name or id' per line" if "YAML" in msg else
                   "point the alias at a CFIR 2.0 name or id (see 'cscs-eval cfir codebook')")
            return _empty(), [_problem(exc.file or aliases, exc.row, "alias file", f"alias file: {msg}", fix)]
    frames, note_rows = list(frames_in or []), []
    files = _expand(paths)
    for folder in [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]:
        if folder.is_dir() and not _expand([folder]):
            problems.append(_problem(folder, None, None, "the folder holds no coding sheets (.csv, .tsv, .xlsx, "
                                     ".parquet) or coded notes (.md)", "check the folder, or name the files"))
    if not files and not frames and not problems:
        problems.append(_problem(None, None, None, "no coding files given", "name coding sheets or notes files"))
    for path in files:
        if _is_notes(path):
            note_rows.extend(_read_notes_raw(path, problems, encoding))
        else:
            try:
                frame = _read_sheet_raw(path, problems, encoding)
            except UsageError as exc:  # the extension names no table format
                problems.append(_problem(path, None, None, str(exc),
                                         "give a .csv, .tsv, .xlsx, .parquet sheet or a .md notes file"))
                frame = None
            if frame is not None:
                frames.append(frame)
    if note_rows:
        frames.append(pd.DataFrame(note_rows))
    if not frames:
        return _empty(), problems
    raw = pd.concat(frames, ignore_index=True)
    for col in ("excerpt_id", "case", "source", "excerpt", "code", "rating_raw", "coder", "memo", "theme"):
        if raw[col].isna().all():  # a column the sheets do not have: no text to convert, strip or test
            raw[col] = pd.Series(pd.array(pa.nulls(len(raw), pa.large_string()), dtype="string"), index=raw.index)
            continue
        raw[col] = raw[col].astype("string").str.strip()
        raw[col] = raw[col].mask(raw[col] == "")
    raw["line"] = raw["line"].astype("int64")
    if raw["excerpt"].str.contains("\r", regex=False).any():  # a search is cheaper than two replacements
        raw["excerpt"] = raw["excerpt"].str.replace("\r\n", "\n").str.replace("\r", "\n")

    # Missing values a coder must fill in.
    files, file_names = pd.factorize(raw["file"])
    is_notes = np.array([_is_notes(f) for f in file_names], dtype=bool)[files]
    for col, fix in (("case", "give the case (team or site) the excerpt belongs to"),
                     ("excerpt", "paste the excerpt text (or a short summary of it)"),
                     ("code", "give a CFIR construct id or name")):
        bad = raw[col].isna().to_numpy() & ~((col == "case") & is_notes)
        for file, line in raw.loc[bad, ["file", "line"]].itertuples(index=False):
            name = "construct" if col == "code" else col
            problems.append(_problem(file, int(line), name, f"{name} is empty", fix))

    # Constructs: resolve each distinct spelling once.
    cb = get_codebook()
    resolved = {}
    for text in raw["code"].dropna().unique():
        try:
            resolved[text] = (resolve_construct(text, aliases=alias_map), None)
        except InputError as exc:
            resolved[text] = (None, exc.message)
    failed = [t for t, (_, err) in resolved.items() if err]
    for (file, line, text) in raw.loc[raw["code"].isin(failed), ["file", "line", "code"]].itertuples(index=False):
        err = resolved[text][1]
        last = text.rsplit(None, 1)
        if err and len(last) == 2 and _RATING_LIKE.match(last[1]):
            # '[[Cost +3]]': the coder meant a rating, so say the rating is off the scale
            try:
                normalise_rating(last[1])
            except InputError as exc:
                problems.append(_problem(file, int(line), "rating", exc.message,
                                         "use +2 +1 0 -1 -2 X (mixed) or M (missing)"))
                continue
        if err:
            fix = ("map it in an alias file (--aliases) or use a CFIR 2.0 name or id"
                   if "nearest" in err or "subconstruct" in err else "write the id or 'Parent: Name' of the one meant")
            problems.append(_problem(file, int(line), "construct", err, fix))
    raw["construct_id"] = _looked_up(raw["code"], {t: v[0] for t, v in resolved.items()})

    # Ratings: normalise each distinct spelling once.
    ratings = {}
    for text in raw["rating_raw"].dropna().unique():
        try:
            ratings[text] = normalise_rating(text)
        except InputError as exc:
            ratings[text] = exc.message
    rat = _looked_up(raw["rating_raw"], ratings)
    rat = rat.where(rat.notna(), "M")
    bad = ~rat.isin(list(RATING_VALUES))
    for file, line, msg in zip(raw.loc[bad, "file"], raw.loc[bad, "line"], rat[bad]):
        problems.append(_problem(file, int(line), "rating", msg, "use +2 +1 0 -1 -2 X (mixed) or M (missing)"))
    raw["rating"] = rat.where(~bad, "M")

    # Excerpt ids: generated where missing; a given id must not name two different excerpts.
    squashed = squash(raw["excerpt"])  # once, for the generated ids and for the check of given ones
    need = raw["excerpt_id"].isna()
    if need.any():
        at = need.to_numpy()
        generated = excerpt_key_array(raw["case"][at], raw["source"][at], raw["excerpt"][at],
                                      squashed_excerpt=squashed.filter(pa.array(at)))
        raw.loc[need, "excerpt_id"] = pd.Series(pd.array(generated, dtype="string"), index=raw.index[at])
    id_codes = pd.factorize(raw["excerpt_id"])[0]
    for file, eid, lines in _reused_excerpt_ids(raw, squashed, files, id_codes):
        problems.append(_problem(file, int(lines[1]), "excerpt_id",
                                 f"duplicate excerpt id {eid!r} used for different excerpts (rows "
                                 f"{', '.join(map(str, lines[:6]))})", "give each excerpt its own excerpt_id"))
    coded = raw["construct_id"].notna().to_numpy()
    ok = raw[coded]
    # the same construct twice on an excerpt (and coder), compared as the integer codes of those columns
    dup = pd.DataFrame({"file": files, "excerpt_id": id_codes, "construct_id": pd.factorize(raw["construct_id"])[0],
                        "coder": pd.factorize(raw["coder"])[0]})[coded].duplicated(keep="first").to_numpy()
    for file, line, cid in ok.loc[dup, ["file", "line", "construct_id"]].itertuples(index=False):
        problems.append(_problem(file, int(line), "construct", f"{cb.label(cid)} ({cid}) is coded twice on the "
                                 "same excerpt", "keep one code per construct and excerpt (merge the ratings)"))

    labels = {r["id"]: r["label"] for r in cb.rows}
    domains = {r["id"]: r["domain"] for r in cb.rows}
    raw["construct"] = _looked_up(raw["construct_id"], labels).astype("string")
    raw["domain"] = _looked_up(raw["construct_id"], domains).astype("string")
    raw["construct_id"] = raw["construct_id"].astype("string")
    if reverse_rated:
        flip = raw["construct_id"].isin(load_rules()["reverse_rated"])
        swap = {"+2": "-2", "+1": "-1", "-1": "+1", "-2": "+2"}
        raw["rating"] = raw["rating"].where(~flip, raw["rating"].replace(swap))
    raw["rating"] = raw["rating"].astype("string")
    raw["rating_value"] = _looked_up(raw["rating"], RATING_VALUES).astype("float64")
    raw["case"] = raw["case"].astype("string")
    return raw[COLUMNS], problems


def _empty():
    df = pd.DataFrame({c: pd.Series(dtype="string") for c in COLUMNS})
    return df.astype({"line": "int64", "rating_value": "float64"})


def _problems_frame(problems):
    cols = ["file", "line", "column", "problem", "fix"]
    df = pd.DataFrame(problems, columns=cols)
    if df.empty:
        return df.astype("string")
    df["line"] = df["line"].astype("Int64")
    return df.sort_values(["file", "line"], na_position="first", kind="stable").reset_index(drop=True)


def _sources(data, file=None):
    """Paths to read and coding-sheet frames already in memory, from what ``load_coding`` was given;
    ``file`` names a sheet given as a DataFrame in problems (default ``<table>``)."""
    file = file or _TABLE
    if isinstance(data, pd.DataFrame):
        sheet = data.copy()
        sheet.columns = [str(c).strip().lower().replace(" ", "_") for c in sheet.columns]
        missing = [c for c in SHEET_REQUIRED if c not in sheet.columns]
        if missing:
            raise InputError(f"a coding sheet needs the column(s) {', '.join(missing)}; found "
                             f"{', '.join(map(str, sheet.columns))}", file=file)
        return [], [_sheet_frame(sheet.astype("object"), file)]
    return data, []


#: How problems name a coding sheet given as a DataFrame rather than a file.
_TABLE = "<table>"


def validate(data, *, aliases=None, case_ratings=None, encoding=None):
    """Check coding sheets and coded notes; return every problem found (an empty table if none).

    Parameters
    ----------
    data
        Files or folders (folders are searched for ``.md`` notes and coding sheets), or a coding
        sheet as a DataFrame.
    aliases
        Alias YAML file or mapping (local name -> construct name or id).
    case_ratings
        A case-ratings file to check as well (its first problem is reported).
    encoding
        Text encoding of CSV/TSV sheets and notes (default UTF-8 or ``CSCS_EVAL_ENCODING``; ``cp1252``
        for old Excel exports).

    Returns
    -------
    pandas.DataFrame
        ``file, line, column, problem, fix``, one row per problem, in file and line order.
    """
    paths, frames = _sources(data)
    _, problems = _build(paths, aliases, False, frames_in=frames, encoding=encoding)
    if case_ratings is not None and not any(p["column"] == "alias file" for p in problems):
        try:
            read_case_ratings(case_ratings, aliases=aliases)
        except InputError as exc:
            problems.append(_problem(exc.file or case_ratings, exc.row, exc.column, exc.message,
                                     "case ratings are rows of case, construct, rating (+2 +1 0 -1 -2 X M), "
                                     "rationale; one row per case and construct"))
    return _problems_frame(problems)


def problem_text(file, line, column, problem, fix) -> str:
    """One problem as ``cfir validate`` prints it: ``file:line [column]: problem`` and its fix below.

    Examples
    --------
    >>> print(problem_text("a.md", 3, "rating", "rating '+3' is not on the CFIR scale", "use +2 ... -2"))
    a.md:3 [rating]: rating '+3' is not on the CFIR scale
        fix: use +2 ... -2
    """
    where = "(input)" if file is None or pd.isna(file) else str(file)
    if line is not None and not pd.isna(line):
        where += f":{line}"
    col = f" [{column}]" if column is not None and not pd.isna(column) else ""
    return f"{where}{col}: {problem}\n    fix: {fix}"


@dataclass(repr=False)
class Coding(Result):
    """Coded excerpts as :func:`load_coding` reads them, with the case memo's ratings beside them.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per excerpt and code, with the columns of :data:`~cscs_eval.cfir.COLUMNS`.
    case_ratings : pandas.DataFrame or None
        The case ratings of the CFIR memo step (``case, construct_id, rating, rating_value,
        rationale``) that override the ratings derived from a case's excerpts, or None.
    aliases : dict
        The local construct names the coding was read with (normalised name -> CFIR 2.0 id).

    The functions that analyse a coding (:func:`~cscs_eval.cfir.summarise`,
    :func:`~cscs_eval.cfir.matrix`, :func:`~cscs_eval.cfir.rate_cases`, ...) take a Coding and use
    its case ratings; they also take a bare table, which has none.
    """

    table: pd.DataFrame = field()  # required: field() hides the base class's ``table = None``
    case_ratings: pd.DataFrame | None = None
    aliases: dict = field(default_factory=dict)

    def summary(self, *, by: str = "case", all_constructs: bool = False) -> pd.DataFrame:
        """One row per construct (:func:`~cscs_eval.cfir.summarise`), case ratings applied."""
        return summarise(self, by=by, all_constructs=all_constructs)

    def text(self) -> str:
        """What was read, in a sentence: codes, excerpts, cases, constructs and case ratings."""
        t = self.table
        n_ratings = 0 if self.case_ratings is None else len(self.case_ratings)
        said = (f"{len(t):,} codes on {t['excerpt_id'].nunique():,} excerpts from {t['case'].nunique()} "
                f"case{'s' if t['case'].nunique() != 1 else ''}, touching {t['construct_id'].nunique()} CFIR "
                "constructs")
        if n_ratings:
            said += f"; {n_ratings} case rating{'s' if n_ratings != 1 else ''} from the case memo"
        return said + "."


def load_coding(data, *, aliases=None, case_ratings=None, reverse_rated=False, encoding=None) -> Coding:
    """Read coding sheets and coded notes into a :class:`Coding`.

    Parameters
    ----------
    data
        One path or a list of coding sheets (CSV, Excel, Parquet), coded notes (``.md``) or folders;
        or a coding sheet as a DataFrame (columns as in a sheet file).
    aliases
        Alias YAML file (or a dict) mapping local names to CFIR construct names or ids.
    case_ratings
        Optional case-ratings file or DataFrame (``case, construct, rating, rationale``), the CFIR
        memo step; it is checked and kept as ``Coding.case_ratings``, so that
        :func:`~cscs_eval.cfir.summarise` and :func:`~cscs_eval.cfir.matrix` apply it.
    reverse_rated
        Flip the sign of constructs rated in reverse (``rules.yaml``: Innovation Complexity), for
        coders who rated complexity itself rather than its effect on implementation.
    encoding
        Text encoding of CSV/TSV sheets and notes (default UTF-8 or ``CSCS_EVAL_ENCODING``; ``cp1252``
        for old Excel exports).

    Returns
    -------
    Coding
        ``.table`` with the columns of :data:`~cscs_eval.cfir.COLUMNS`, one row per excerpt and
        code; ``.case_ratings`` (or None).

    Raises
    ------
    ValidationError
        Listing every problem (``err.problems`` is the table :func:`validate` returns).

    Examples
    --------
    >>> import pandas as pd
    >>> sheet = pd.DataFrame({"case": ["A", "B"], "source": "interview", "excerpt": ["Slow forms.", "Backed it."],
    ...                       "construct": ["Complexity", "High-level Leaders"], "rating": ["-1", "++"]})
    >>> coding = load_coding(sheet)
    >>> coding.table[["case", "construct_id", "rating"]].values.tolist()
    [['A', 'I.F', '-1'], ['B', 'IV.R.A', '+2']]
    >>> coding.text()
    '2 codes on 2 excerpts from 2 cases, touching 2 CFIR constructs.'
    """
    return _read(data, aliases=aliases, case_ratings=case_ratings, reverse_rated=reverse_rated, encoding=encoding)


def _read(data, *, aliases=None, case_ratings=None, reverse_rated=False, encoding=None, file=None,
          drafts=False) -> Coding:
    """:func:`load_coding`; ``file`` names a sheet given as a DataFrame (an imported project) in problems;
    ``drafts`` reads the codes of files still being coded (review markers, files without codes yet)."""
    paths, frames = _sources(data, file)
    table, problems = _build(paths, aliases, reverse_rated, frames_in=frames, encoding=encoding)
    if drafts:
        problems = [p for p in problems if not p.get("draft")]
    if problems:
        listed = _problems_frame(problems)
        first = listed.iloc[0]
        where = "(input)" if pd.isna(first["file"]) else str(first["file"])
        if not pd.isna(first["line"]):
            where += f", {'line' if _is_notes(first['file']) else 'row'} {first['line']}"
        if not pd.isna(first["column"]):
            where += f", column {first['column']!r}"
        more = f" (and {len(listed) - 1} more; run 'cscs-eval cfir validate' to list them)" if len(listed) > 1 else ""
        raise ValidationError(f"{len(listed)} problem(s) in the coding: {where}: {first['problem']}{more}", listed)
    alias_map = load_aliases(aliases) if aliases is not None else {}
    ratings = read_case_ratings(case_ratings, aliases=alias_map) if case_ratings is not None else None
    return Coding(table, ratings, alias_map)


# --------------------------------------------------------------------------------------------
# Writing back
# --------------------------------------------------------------------------------------------

def to_coding_sheet(coding, *, path=None):
    """The coding as a coding sheet (``excerpt_id, case, source, excerpt, construct, rating, coder,
    memo, theme``), with constructs written as CFIR 2.0 ids; written to ``path`` if given."""
    table, _, _ = unpack(coding)
    sheet = table.assign(construct=table["construct_id"])[SHEET_COLUMNS].reset_index(drop=True)
    if path is not None:
        from cscs_eval.io import write_table

        write_table(sheet, path)
    return sheet


def to_coded_notes(coding):
    """Render the coding as coded-notes Markdown: a dict ``file name -> text``, one file per case,
    source and coder, excerpts in their original order, constructs written by label."""
    import yaml

    table, _, _ = unpack(coding)
    out = {}
    key_cols = ["case", "source", "coder"]
    df = table.reset_index(drop=True).assign(_order=range(len(table)))
    for key, grp in df.groupby(key_cols, sort=False, dropna=False):
        case, source, coder = (None if (v is None or pd.isna(v)) else str(v) for v in key)
        meta = {"case": case, "source": source}
        if coder:
            meta["coder"] = coder
        lines = ["---", yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip(), "---", ""]
        theme = None
        for _, ex in grp.groupby("excerpt_id", sort=False):
            t = ex["theme"].iloc[0]
            t = None if t is None or pd.isna(t) else str(t)
            if t != theme:
                lines += [f"## Theme: {t if t is not None else 'none'}", ""]
                theme = t
            codes = [(c, r, None if m is None or pd.isna(m) else str(m))
                     for c, r, m in zip(ex["construct"], ex["rating"], ex["memo"])]
            text = re.sub(r"\s+", " ", str(ex["excerpt"].iloc[0])).strip()
            if _NEEDS_BULLET.match(text):
                text = "- " + text  # a paragraph starting like a heading, list or rule would be misread
            lines += [f"{text} {format_codes(codes)}", ""]
        stem = re.sub(r"[^\w.-]+", "_", f"{case}_{source}" + (f"_{coder}" if coder else "")).strip("_")
        name, n = f"{stem}.md", 2
        while name in out:
            name, n = f"{stem}_{n}.md", n + 1
        out[name] = "\n".join(lines)
    return out


def write_coded_notes(coding, folder):
    """Write :func:`to_coded_notes` files into ``folder`` (created if missing); returns the paths."""
    from cscs_eval.io import write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_text(text, folder / name) for name, text in to_coded_notes(coding).items()]

