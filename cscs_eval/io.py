"""Reading and writing the tables, YAML and text files users hand to cscs-eval.

Every reader names the file, row and column of a problem; every writer goes through a
temporary file in the target folder and an atomic rename, so a failed run never leaves
half a file and never replaces a good one with a broken one.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from cscs_eval.errors import InputError, OutputError, UsageError

__all__ = ["TABLE_FORMATS", "ENCODING_VARIABLE", "read_table", "table_path", "TablePath", "file_origin", "row_offset", "write_tables", "read_text", "read_yaml", "load_yaml", "compose_yaml",
           "split_front_matter", "FrontMatter", "write_table", "write_text", "atomic_write", "atomic_path",
           "check_writable", "row_number", "normalise_column", "column_key", "table_format", "output_format", "xml_safe",
           "formula_safe", "formula_restored",
           "sha256_file", "resolve_path", "resource_dir", "package_dir", "project_dir",
           "YAML_MAX_BYTES", "YAML_MAX_ALIASES", "YAML_MAX_DEPTH", "configured_limit", "raise_hint"]

TABLE_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
}

#: How many rows of an Excel sheet are searched for a misplaced header.
_HEADER_SEARCH_ROWS = 20


def table_format(path) -> str:
    """Return ``csv``, ``tsv``, ``excel`` or ``parquet`` from a file name's extension."""
    suffix = Path(path).suffix.lower()
    try:
        return TABLE_FORMATS[suffix]
    except KeyError:
        allowed = ", ".join(sorted(TABLE_FORMATS))
        raise UsageError(f"{path}: cannot tell the table format from '{suffix or 'no extension'}'; "
                         f"use one of {allowed}") from None


#: Extensions that name a report format other than by itself.
_FORMAT_SUFFIXES = {"htm": "html", "markdown": "md"}


def output_format(to, out, formats, *, needs_file=(), flags=("to", "out")) -> str:
    """The format of a rendered output: ``to`` if given, else the extension of the file ``out``.

    ``formats`` are the allowed formats; those in ``needs_file`` cannot be returned as text, so
    they need ``out``. ``to`` and an ``out`` whose extension names another allowed format
    disagree, and that is an error. ``flags`` are the names messages use for the two (``("--to",
    "--out")`` on the command line). Any problem is a :class:`UsageError`.

    Examples
    --------
    >>> output_format(None, "report.htm", ("html", "md")), output_format("md", None, ("html", "md"))
    ('html', 'md')
    """
    suffix = Path(out).suffix.lower().lstrip(".") if out else ""
    suffix = _FORMAT_SUFFIXES.get(suffix, suffix)
    if to is None:
        if suffix not in formats:
            raise UsageError(f"give {flags[0]} {'|'.join(formats)} (or {flags[1]} FILE with one of those "
                             "extensions)")
        return suffix
    fmt = _FORMAT_SUFFIXES.get(str(to).lower().lstrip("."), str(to).lower().lstrip("."))
    if fmt not in formats:
        raise UsageError(f"{flags[0]} must be one of {', '.join(formats)}, got {to!r}")
    if out and suffix in formats and suffix != fmt:
        raise UsageError(f"{flags[0]} {fmt} does not match {flags[1]} {out}; use the extension .{fmt} "
                         f"(or leave out {flags[0]})")
    if fmt in needs_file and not out:
        raise UsageError(f"{flags[0]} {fmt} writes a file, not text: give {flags[1]} FILE.{fmt}")
    return fmt


def normalise_column(name) -> str:
    """Column names are matched without case, outer spaces, or the difference of space and '_'."""
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def column_key(text) -> str:
    """The column a user's text names, as :func:`read_table` names columns: normalised, and a
    label turned into its machine name.

    Examples
    --------
    >>> column_key("Eligible referrals"), column_key("Team"), column_key("Follow up %")
    ('n_eligible', 'team', 'follow_up_pct')
    """
    return _machine_names([normalise_column(text)], None)[0]


#: Environment variable naming the text encoding of input files when a call gives none.
ENCODING_VARIABLE = "CSCS_EVAL_ENCODING"


def _decode(path: Path, encoding: str | None) -> str:
    encoding = encoding or os.environ.get(ENCODING_VARIABLE) or "utf-8"
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start : exc.start + 1].hex()
        hint = ("it looks like Windows-1252 text saved by Excel; save it as 'CSV UTF-8' (Excel: Save As), "
                f"or read it as Windows-1252 with {ENCODING_VARIABLE}=cp1252 (or encoding='cp1252' in Python)"
                ) if encoding.lower().replace("-", "") in ("utf8", "utf8sig") else "check the encoding"
        raise InputError(f"byte 0x{byte} is not valid {encoding}; {hint}", file=path, row=line) from None


def read_text(path, *, encoding: str | None = None) -> str:
    """Read a text file strictly (no silent replacement characters); LF line ends."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", file=path)
    return _decode(path, encoding).replace("\r\n", "\n").replace("\r", "\n")


def read_table(path, *, required=(), encoding: str | None = None, sheet=None, header_row=None, dtype=str):
    """Read a CSV, TSV, Excel or Parquet table into a DataFrame.

    Column names are normalised (lower case, ``_`` for spaces) and a column headed by its human
    label (``Paired referrals``, as the package's Excel files and reports write it) gets its
    machine name (``n_paired``), so an output can be read back as an input. CSV and Excel cells
    are read as text by default so that a reader can say exactly which value is wrong (``"07"``,
    ``"abc"``); empty cells become missing values, Excel dates ISO text (``2024-03-05``).

    Parameters
    ----------
    path
        The file; its extension picks the format.
    required
        Column names that must be present.
    encoding
        Text encoding of CSV/TSV files (default UTF-8, or the ``CSCS_EVAL_ENCODING``
        environment variable). Undecodable bytes are an error, never replaced.
    sheet
        The Excel sheet: its name, or its number counting from 1 (``None`` or ``""``: the first).
    header_row
        The row holding the column names, counting from 1 as Excel and editors do (``None``: 1);
        the rows above it (a title, notes) are skipped. Vertically merged cells below it (a team
        name merged down its rows) are filled down with a :class:`~cscs_eval.errors.MergedCellsWarning`;
        other merged cells in the header or data are an error naming the sheet and cells.
    dtype
        ``str`` (text cells) or ``None`` to let pandas infer types.

    Returns
    -------
    pandas.DataFrame
        Row ``i`` (by position) is row ``row_number(df, i) + row_offset(path)`` of the file the
        user sees; errors that name ``path`` and a row add the offset themselves.
    """
    import pandas as pd

    if isinstance(path, TablePath):
        sheet = path.sheet if sheet in (None, "") else sheet
        header_row = path.header_row if header_row in (None, "", 0) else header_row
    path = Path(path)
    fmt = table_format(path)
    sheet, header_row = _table_options(path, fmt, sheet, header_row)
    _ORIGINS.pop(_origin_key(path), None)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", file=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty; expected a header row with columns "
                         + (", ".join(required) if required else "and data rows"), file=path)
    where, labelled = {"file": path}, None
    try:
        if fmt in ("csv", "tsv"):
            df, header = _read_text_table(path, fmt, encoding, header_row, dtype)
            where["row"] = header_row
        elif fmt == "excel":
            df, header, sheet_name, names, labelled = _read_excel(path, sheet, header_row, dtype, required)
            where.update(row=header_row, sheet=sheet_name if len(names) > 1 or header_row > 1 else None)
        else:
            import pyarrow.parquet as pq

            where["row"] = 1
            header = pq.read_schema(path).names
            _check_header(header, where)  # before reading: pyarrow refuses a name given twice less clearly
            df = pd.read_parquet(path)
    except _WiderRow as exc:
        # A title line above the header looks like a one-column header with longer rows below it: when
        # the required columns are on a later line, say where the header seems to be instead.
        hint = _csv_header_hint(path, required, {"row": header_row}, encoding, fmt)
        if not hint:
            raise
        found = ", ".join(str(c) for c in exc.header if str(c).strip()) or "no column names"
        missing = [c for c in required if c not in _machine_names([normalise_column(h) for h in exc.header], None)]
        raise InputError(f"missing column(s) {', '.join(missing)}; found {found}{hint}", file=path,
                         row=header_row) from None
    except (InputError, UsageError):
        raise
    except pd.errors.ParserError as exc:  # pandas counts lines from the header it was given
        raise InputError(f"not a readable {fmt.upper()} table ({' '.join(str(exc).split())})", file=path) from None
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - untrusted bytes: zip, XML and Arrow parsers raise many kinds
        kind = {"excel": "Excel workbook (.xlsx)", "parquet": "Parquet file"}.get(fmt, f"{fmt.upper()} file")
        said = " ".join(str(exc).split())  # openpyxl's messages run over several lines; an error is one
        raise InputError(f"not a readable {kind}: {type(exc).__name__}: {said}; check that it is complete and "
                         "really of that type", file=path) from None
    _check_header(header, where)
    df.columns = _machine_names([normalise_column(c) for c in df.columns], labelled, keep=required)
    missing = [c for c in required if c not in df.columns]
    if missing:
        found = ", ".join(str(c) for c in df.columns if not str(c).startswith("unnamed")) or "no column names"
        hint = _header_hint(path, required, where) if fmt == "excel" else _csv_header_hint(path, required, where,
                                                                                             encoding, fmt)
        raise InputError(f"missing column(s) {', '.join(missing)}; found {found}{hint}", **where)
    if df.empty:
        raise InputError("has a header but no data rows", **where)
    if fmt != "parquet":
        df = formula_restored(df)
    if where.get("sheet") or where["row"] > 1:
        _ORIGINS[_origin_key(path)] = (where.get("sheet"), where["row"] - 1)
    return df


class TablePath(type(Path())):
    """A table file's path carrying the sheet and header row to read it at (:func:`table_path`).

    It is a :class:`pathlib.Path` (every function that takes a file takes it, and its text is the
    file's name in messages); :func:`read_table` reads it at its ``sheet`` and ``header_row``.
    """

    sheet = None
    header_row = None

    def __repr__(self) -> str:
        return f"table_path({str(self)!r}, sheet={self.sheet!r}, header_row={self.header_row!r})"


def table_path(path, *, sheet=None, header_row=None):
    """``path`` with the Excel ``sheet`` (name, or number from 1) and ``header_row`` (from 1) to read
    it at, for any function that takes a table file (``proms.outcomes(table_path("extract.xlsx",
    sheet="Data", header_row=3))``). Without either, or for a DataFrame, ``path`` comes back as it is.

    Examples
    --------
    >>> table_path("extract.xlsx", sheet="Data", header_row=3)
    table_path('extract.xlsx', sheet='Data', header_row=3)
    >>> table_path("extract.csv")
    'extract.csv'
    """
    if path is None or (sheet in (None, "") and header_row in (None, "", 0, 1)) or \
            not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path.strip()):
        return path
    out = TablePath(path)
    out.sheet = None if sheet in (None, "") else sheet
    out.header_row = None if header_row in (None, "", 0) else header_row
    return out


#: Files read with a sheet or header row other than the first, by absolute path: the sheet's name
#: and how many rows lie above the header. An InputError about that file adds them to its row.
_ORIGINS: dict[str, tuple[str | None, int]] = {}


def _origin_key(path) -> str:
    return os.path.normcase(os.path.abspath(str(path)))


def file_origin(file) -> tuple[str | None, int]:
    """The sheet and the number of rows above the header of the table last read from ``file``.

    Readers count rows as if the header were row 1 (``row_number``); when a table was read with
    ``sheet=``/``header_row=`` (:func:`read_table`), an error naming that file and a row moves the
    row down by the rows above the header and names the sheet (``(None, 0)`` otherwise).
    """
    if not file:
        return None, 0
    return _ORIGINS.get(_origin_key(file), (None, 0))


def row_offset(file) -> int:
    """Rows above the header of the table last read from ``file`` (0 when the header is on row 1)."""
    return file_origin(file)[1]


def _table_options(path, fmt, sheet, header_row):
    """Check ``sheet`` and ``header_row`` for a file of format ``fmt``; ``None``/``""`` mean the defaults."""
    if isinstance(sheet, str) and not sheet.strip():
        sheet = None
    if sheet is not None and fmt != "excel":
        raise UsageError(f"{path}: a sheet is chosen only in an Excel workbook (.xlsx); this is a "
                         f"{fmt.upper()} file, so leave out the sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise UsageError(f"sheet must be a sheet's name or its number counting from 1, got {sheet!r}")
    if isinstance(sheet, int) and sheet < 1:
        raise UsageError(f"sheet numbers count from 1 (the first sheet), got {sheet}")
    if header_row in (None, "", 0):
        header_row = 1
    try:
        header_row = int(header_row)
    except (TypeError, ValueError):
        raise UsageError(f"header row must be a row number counting from 1, got {header_row!r}") from None
    if header_row < 1 or isinstance(header_row, bool):
        raise UsageError(f"header row must be a row number counting from 1, got {header_row}")
    if header_row > 1 and fmt == "parquet":
        raise UsageError(f"{path}: a Parquet file has its column names in its schema; leave out the header row")
    return sheet, header_row


def _read_text_table(path, fmt, encoding, header_row, dtype):
    import io as _io

    import pandas as pd

    text = _decode(path, encoding)
    if not text.strip():
        raise InputError("file is empty; expected a header row", file=path)
    sep = "\t" if fmt == "tsv" else ","
    if header_row > 1:
        lines = text.split("\n")  # only here: a million-row file takes 0.1 s to split
        if header_row > len(lines) or not lines[header_row - 1].strip():
            raise InputError(f"the header row {header_row} is empty or below the end of the file "
                             f"({len(lines)} lines)", file=path, row=header_row)
        text = "\n".join(lines[header_row - 1:])
    header = next(csv.reader(_io.StringIO(text), delimiter=sep), [])
    # index_col=False: a first row longer than the header would otherwise make its leading values the row
    # labels and shift every value one column left; pandas then drops the extras with a warning instead,
    # which is turned into an error naming the row.
    options = dict(sep=sep, keep_default_na=False, na_values=[""], skipinitialspace=False, index_col=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            if dtype is str:
                return _read_csv_text(text, options), header
            return pd.read_csv(_io.StringIO(text), dtype=dtype, **options), header
        except pd.errors.ParserWarning as warning:
            if "does not match length" not in str(warning):
                raise
            after = text.split("\n")[1:]
            row = header_row + 1 + next((n for n, line in enumerate(after) if line.strip()), 0)
            raise _WiderRow(f"this row has more values than the header has column names ({len(header)}); add "
                            "the missing names to the header or remove the extra values", file=path, row=row,
                            header=header) from None


class _WiderRow(InputError):
    """A CSV row longer than its header; ``header`` is what the header row holds."""

    def __init__(self, message, *, header, **where):
        self.header = header
        super().__init__(message, **where)


def _read_csv_text(text, options):
    """``pd.read_csv(dtype=str)``, the same table faster: pandas builds a text column straight from the
    parser when it finds text by itself (0.3 s for a million rows, against 1 s when told ``str``), so
    only the columns it reads as something else (numbers, true/false, empty) are read again as text."""
    import io as _io

    import pandas as pd

    df = pd.read_csv(_io.StringIO(text), **options)
    text_dtype = pd.Series([], dtype=str).dtype
    other = [i for i, t in enumerate(df.dtypes) if t != text_dtype]
    if not other:
        return df if isinstance(df.index, pd.RangeIndex) else pd.read_csv(_io.StringIO(text), dtype=str, **options)
    if len(other) == df.shape[1] or not isinstance(df.index, pd.RangeIndex):  # rows wider than the header
        return pd.read_csv(_io.StringIO(text), dtype=str, **options)
    again = pd.read_csv(_io.StringIO(text), dtype=str, usecols=other, **options)
    for j, i in enumerate(other):
        df.isetitem(i, again.iloc[:, j])
    return df


def _pick_sheet(names, sheet, path) -> str:
    listed = ", ".join(f"'{n}'" for n in names)
    if sheet is None:
        return names[0]
    if isinstance(sheet, str):
        wanted = sheet.strip()
        for n in names:
            if n == wanted:
                return n
        for n in names:
            if n.strip().lower() == wanted.lower():
                return n
        if not wanted.isdigit():
            raise InputError(f"has no sheet '{sheet}'; its sheets are {listed}", file=path)
        sheet = int(wanted)
    if sheet > len(names):
        raise InputError(f"has no sheet {sheet}: it has {len(names)} sheet{'s' if len(names) != 1 else ''} "
                         f"({listed})", file=path)
    return names[sheet - 1]


def _cell_text(value):
    """An Excel cell as the text a CSV of it would hold: whole numbers without '.0', dates ISO."""
    import datetime as _dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _whole(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _read_excel(path, sheet, header_row, dtype, required=()):
    """Read one sheet with openpyxl (streaming, read-only): (table, header cells, sheet name, every
    sheet's name). Merged cells come from the sheet's XML, which read-only mode does not parse."""
    import openpyxl
    import pandas as pd

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = list(wb.sheetnames)
        name = _pick_sheet(names, sheet, path)
        ws = wb[name]
        where = {"file": path, "sheet": name if len(names) > 1 or header_row > 1 else None}
        merged = _merged_ranges(path, ws)
        ws.reset_dimensions()  # a sheet's stated size may be missing or wrong: read to its last row
        rows = [list(r) for r in ws.iter_rows(min_row=header_row, values_only=True)]
        labelled = _columns_sheet(wb)
    finally:
        wb.close()
    if not rows:
        raise InputError(f"the header row {header_row} is below the last row of the sheet", row=header_row,
                         **where)
    _fill_merged(rows, merged, header_row, where, required)
    header = rows[0]
    body = rows[1:]
    while body and all(v is None or (isinstance(v, str) and not v.strip()) for v in body[-1]):
        body.pop()
    keep = [j for j in range(len(header)) if header[j] is not None and str(header[j]).strip()
            or any(j < len(r) and r[j] is not None for r in body)]
    header = [header[j] for j in keep]
    if not any(h is not None and str(h).strip() for h in header):
        raise InputError("the header row is empty; give the row that holds the column names (header row)",
                         row=header_row, **where)
    columns = [str(h).strip() if h is not None and str(h).strip() else f"unnamed_{j + 1}"
               for j, h in zip(keep, header)]
    if dtype is str:
        data = [[_cell_text(r[j]) if j < len(r) else None for j in keep] for r in body]
        df = pd.DataFrame(data, columns=columns, dtype=object).astype("str")
    else:
        data = [[_whole(r[j]) if j < len(r) else None for j in keep] for r in body]
        df = pd.DataFrame(data, columns=columns).infer_objects()
    return df, [str(h) if h is not None else None for h in header], name, names, labelled


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?)\"")


def _merged_ranges(path, ws) -> list:
    """The merged ranges of a read-only worksheet, from the ``<mergeCell ref=...>`` elements of its XML."""
    import zipfile

    from openpyxl.worksheet.cell_range import CellRange

    part = getattr(ws, "_worksheet_path", None)
    if not part:
        return []
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(part.lstrip("/"))
    return [CellRange(m.decode("ascii")) for m in _MERGE.findall(xml)]


def _fill_merged(rows, merged, header_row, where, required=()) -> None:
    """Merged cells at or below the header: fill a vertical merge in one column down (with a
    warning, as a team name merged down its rows means that team on every row); refuse the rest.
    ``rows`` are the sheet's rows from ``header_row`` on, as lists."""
    from openpyxl.utils import get_column_letter

    from cscs_eval.errors import MergedCellsWarning

    filled = []
    for rng in sorted(merged, key=lambda r: (r.min_col, r.min_row)):
        if rng.max_row < header_row:
            continue  # a title merged across the rows above the header
        if rng.min_row <= header_row:
            hint = _header_hint(where["file"], required, {**where, "row": header_row})
            raise InputError(f"the header row has merged cells {rng.coord}{hint or '; unmerge them (Excel: Home, '}"
                             f"{'' if hint else 'Merge & Center) so that each column has its own name'}",
                             row=header_row, **where)
        if rng.min_col != rng.max_col:
            raise InputError(f"merged cells {rng.coord} span several columns, so it is not clear which column "
                             "the value belongs to; unmerge them and put the value in its column",
                             row=rng.min_row, **where)
        filled.append(rng)
    col_of = {}
    for rng in filled:
        j, top = rng.min_col - 1, rng.min_row - header_row
        if top >= len(rows):
            continue
        value = rows[top][j] if j < len(rows[top]) else None
        for i in range(top + 1, min(rng.max_row - header_row + 1, len(rows))):
            row = rows[i]
            row.extend([None] * (j + 1 - len(row)))
            row[j] = value
        head = rows[0][j] if j < len(rows[0]) and rows[0][j] is not None else get_column_letter(rng.min_col)
        col_of.setdefault(str(head), []).append(rng.coord)
    if filled:
        shown = "; ".join(f"column '{h}': {', '.join(c[:3])}{' ...' if len(c) > 3 else ''}"
                          for h, c in col_of.items())
        place = f"{where['file']}" + (f", sheet '{where['sheet']}'" if where.get("sheet") else "")
        warnings.warn(f"{place}: {len(filled)} merged cell range{'s' if len(filled) != 1 else ''} filled down, "
                      f"each row taking the merged value ({shown}); unmerge them in the workbook to silence this",
                      MergedCellsWarning, stacklevel=4)


def _header_hint(path, required, where) -> str:
    """Where a workbook's header seems to be: the first row, on any sheet, holding every required
    column (by name or label), and the workbook's sheets."""
    if not required:
        return ""
    import openpyxl

    wanted = set(required)
    found = None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - the hint is a courtesy; the error stands without it
        return ""
    try:
        names = list(wb.sheetnames)
        for name in [where.get("sheet") or names[0]] + names:
            for i, row in enumerate(wb[name].iter_rows(max_row=_HEADER_SEARCH_ROWS, values_only=True), 1):
                cells = [normalise_column(v) for v in row if v is not None and str(v).strip()]
                if cells and wanted <= set(_machine_names(cells, None)):
                    found = (name, i)
                    break
            if found:
                break
    finally:
        wb.close()
    sheets = ", ".join(f"'{n}'" for n in names)
    if found:
        name, i = found
        choose = [f"--sheet '{name}'"] if len(names) > 1 else []
        api = [f"sheet='{name}'"] if len(names) > 1 else []
        if i != 1:
            choose.append(f"--header-row {i}")
            api.append(f"header_row={i}")
        if (name, i) == ((where.get("sheet") or names[0]), where.get("row", 1)):
            return ""
        place = f"sheet '{name}', row {i}" if len(names) > 1 else f"row {i}"
        return (f"; the header seems to be on {place}: choose it with {' '.join(choose)} "
                f"({', '.join(api)} in Python or a notebook)" + (f"; the workbook's sheets are {sheets}"
                                                                  if len(names) > 1 else ""))
    return f"; the workbook's sheets are {sheets}" if len(names) > 1 else ""


def _csv_header_hint(path, required, where, encoding, fmt) -> str:
    """The line of a CSV or TSV file that holds every required column, when it is not the header."""
    if not required:
        return ""
    try:
        text = _decode(path, encoding)
    except InputError:
        return ""
    sep = "\t" if fmt == "tsv" else ","
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:_HEADER_SEARCH_ROWS]
    for i, line in enumerate(lines, 1):
        try:
            row = next(csv.reader([line], delimiter=sep), [])
        except csv.Error:  # a stray quote or NUL: this line is not the header
            continue
        cells = [normalise_column(v) for v in row if v.strip()]
        if cells and set(required) <= set(_machine_names(cells, None)) and i != where.get("row", 1):
            return (f"; the header seems to be on row {i}: choose it with --header-row {i} (header_row={i} in "
                    "Python or a notebook)")
    return ""


def _columns_sheet(wb) -> dict | None:
    """The label -> name map of a workbook written by cscs-eval (its 'columns' sheet), if it has one."""
    from cscs_eval._excel import read_columns_sheet

    try:
        return read_columns_sheet(wb) or None
    except Exception:  # noqa: BLE001 - a columns sheet that cannot be read is ignored; labels still apply
        return None


def _machine_names(columns, mapping, *, keep=()) -> list[str]:
    """Normalised column names with human labels turned back into machine names (``paired_%`` ->
    ``paired_rate``): by the workbook's own ``columns`` sheet (``mapping``), else by the labels
    file, except for a column the caller asks for by that name (``keep``: ``referrals`` stays
    ``referrals`` when required) or whose machine name is already a column."""
    from cscs_eval.reporting.labels import label_names

    known = dict(label_names())
    present, keep = set(columns), set(keep)
    out = []
    for c in columns:
        name = (mapping or {}).get(c)
        if name is None and c not in keep:
            name = known.get(c) or (c.replace("%", "pct") if "%" in c else None)
        out.append(name if name and name != c and name not in present else c)
    return out


def _check_header(header, where) -> None:
    """Two columns that are one column once case and spaces are ignored (``patient_id`` and
    ``Patient ID``), or a name given twice, are an error: pandas would rename or drop one."""
    seen = {}
    for raw in header:
        if raw is None or (isinstance(raw, float) and raw != raw):
            continue
        key = normalise_column(raw)
        if key in seen:
            same = "is given twice" if str(seen[key]) == str(raw) else f"and '{seen[key]}' are the same column"
            raise InputError(f"column '{raw}' {same} (names ignore case and spaces); keep one of them",
                             column=str(raw), **{"row": 1, **where})
        seen[key] = raw


def row_number(df, index) -> int:
    """The 1-based row a user sees in their file for the DataFrame row at position ``index``
    (the header is row 1)."""
    return int(index) + 2


def _umask_mode() -> int:
    current = os.umask(0)
    os.umask(current)
    return 0o666 & ~current


def check_writable(path) -> Path:
    """Refuse to write into ``data/raw`` (raw extracts are read-only to the code)."""
    path = Path(path)
    parts = [p.lower() for p in path.resolve().parts]
    for a, b in zip(parts, parts[1:]):
        if (a, b) == ("data", "raw"):
            raise UsageError(f"{path}: data/raw is read-only to cscs-eval; write the output elsewhere")
    if path.exists() and path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name for the output")
    if path.exists() and not path.is_file():
        raise UsageError(f"{path}: is not a regular file (a device or pipe); give a file name for the output")
    if not path.parent.exists():
        raise UsageError(f"{path}: folder {path.parent} does not exist")
    return path


def _cannot_write(path, exc: OSError) -> OutputError:
    return OutputError(f"{path}: cannot write it ({exc.strerror or exc}); nothing was written")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` for a library that writes by file name; move it into
    place only if the block succeeds (an ``OSError`` becomes an :class:`~cscs_eval.errors.OutputError`)."""
    path = check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
        os.close(fd)
        os.chmod(tmp, _umask_mode())
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise _cannot_write(path, exc) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path, *, mode: str = "w", encoding: str | None = "utf-8"):
    """Open a temporary file beside ``path``; move it into place only if the block succeeds.

    A folder that cannot be written, a full disk or a special file system is an
    :class:`~cscs_eval.errors.OutputError` naming the path; the temporary file is removed.
    """
    with atomic_path(path) as tmp:
        with open(tmp, mode, **({} if "b" in mode else {"encoding": encoding, "newline": ""})) as fh:
            yield fh


#: Characters XML 1.0 (and so Word and REFI-QDA files) cannot hold: C0 controls other than tab,
#: line feed and carriage return (a vertical tab pasted from Word is the usual one), and U+FFFE/FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text) -> str:
    """``text`` with the characters XML cannot hold replaced by a space.

    Examples
    --------
    >>> xml_safe("line one\x0bline two")
    'line one line two'
    """
    return _XML_ILLEGAL.sub(" ", "" if text is None else str(text))


#: What a spreadsheet takes as the start of a formula (OWASP, "CSV Injection"): = + - @, tab, carriage return.
#: A neutralised cell starts with a single quote; quotes already in front of one are counted, so a text that
#: itself began with ``'=`` is written ``''=`` and reads back as written.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
#: Text that a spreadsheet may take as a formula but that cannot do anything: a number with a sign
#: (``-1``, ``+2.5``), a CFIR rating or its sign notation (``+2``, ``-1``, ``++``, ``+-``, ``-``),
#: a percentage. Such cells keep their notation, as the issue's "numbers stay numbers" asks.
_HARMLESS = re.compile(r"^[+\-]{0,2}[0-9]*(?:[.,][0-9]+)?%?$")


def _neutralise(value):
    if isinstance(value, str) and _FORMULA_START.match(value) and not _HARMLESS.match(value):
        return "'" + value
    return value


def formula_safe(df):
    """``df`` with every text cell that a spreadsheet would run as a formula neutralised by a leading
    single quote, as OWASP's CSV-injection guidance advises (https://owasp.org/www-community/attacks/CSV_Injection):
    cells beginning ``=``, ``+``, ``-``, ``@``, a tab or a carriage return. Numbers, signed numbers and
    CFIR rating notation (``+2``, ``-1``, ``++``, ``+-``) are left as they are; :func:`formula_restored`
    (which :func:`read_table` applies) removes the quote again. Every CSV, TSV and Excel writer uses it.

    Examples
    --------
    >>> import pandas as pd
    >>> formula_safe(pd.DataFrame({"t": ["=HYPERLINK(1)", "@SUM(A1)", "+2", "++", "-", "ok"]}))["t"].tolist()
    ["'=HYPERLINK(1)", "'@SUM(A1)", '+2', '++', '-', 'ok']
    """
    out = None
    for col in df.columns:
        series = df[col]
        if series.dtype != object and str(series.dtype) not in ("string", "str", "category"):
            continue
        values = series.astype(object)
        texts = values.map(lambda v: isinstance(v, str))
        if not texts.any():
            continue
        changed = values.map(_neutralise)
        if (changed.astype(object) != values.astype(object))[texts].any():
            if out is None:
                out = df.copy()
            out[col] = changed.where(texts, values)
    return df if out is None else out


def formula_restored(df):
    """``df`` with the quote :func:`formula_safe` put in front of a formula-like text taken off again."""
    import pandas as pd

    out = None
    for col in df.columns:
        series = df[col]
        if series.dtype != object and str(series.dtype) not in ("string", "str"):
            continue
        text = series.astype(object)
        # A million-row sheet has millions of cells: Arrow finds the few that begin with a quote, and only
        # those are matched against the pattern.
        quoted = series.astype("string[pyarrow]").str.startswith("'").fillna(False).to_numpy(dtype=bool)
        if not quoted.any():
            continue
        mask = pd.Series(False, index=series.index)
        mask[quoted] = text[quoted].map(lambda v: isinstance(v, str) and bool(_FORMULA_START.match(v)))
        if mask.any():
            if out is None:
                out = df.copy()
            out[col] = text.where(~mask, text[mask].str[1:])
    return df if out is None else out


def write_table(df, path, *, index: bool = False, sheet: str | None = None) -> Path:
    """Write a DataFrame as CSV, TSV, Excel or Parquet (by extension), atomically.

    Dates stay dates (ISO text in CSV). Excel gets human column labels, a named sheet (``sheet``,
    else the file's name), number, date and percent formats, a frozen header and a ``columns``
    sheet mapping each label to its name (:mod:`cscs_eval._excel`). A published table
    (:class:`~cscs_eval.governance.ProtectedTable`) is written with its structure beside it
    (:func:`cscs_eval.governance.write_structured_table`), for ``cscs-eval audit``.
    """
    path = Path(path)
    fmt = table_format(path)
    if hasattr(df, "structure") and hasattr(df, "table"):  # a published table: its structure goes beside it
        from cscs_eval.governance.files import write_structured_table

        return write_structured_table(df.table, df.structure, path, sheet=sheet)
    if fmt != "parquet":
        df = formula_safe(df.reset_index() if index else df)
        index = False
    with atomic_path(path) as tmp:
        # a text with a carriage return is quoted like one with a newline (the csv module quotes only
        # the line terminator's characters), so the file reads back with the same rows
        quoting = csv.QUOTE_ALL if _has_carriage_return(df) else csv.QUOTE_MINIMAL
        if fmt == "csv":
            df.to_csv(tmp, index=index, date_format=_iso_dates(df), quoting=quoting)
        elif fmt == "tsv":
            df.to_csv(tmp, index=index, sep="\t", date_format=_iso_dates(df), quoting=quoting)
        elif fmt == "excel":
            _write_excel({sheet or _title(path): df}, tmp)
        else:
            df.to_parquet(tmp, index=index)
    return path


def _has_carriage_return(df) -> bool:
    return any(df[c].map(lambda v: isinstance(v, str) and "\r" in v).any()
               for c in df.columns if df[c].dtype == object or str(df[c].dtype) in ("string", "str"))


def write_tables(tables, path) -> Path:
    """Write several related tables as the named sheets of one Excel workbook, atomically.

    ``tables`` maps a sheet title (what the sheet holds: "Summary by team", "Exclusions") to
    its DataFrame (or a published table, :class:`~cscs_eval.governance.ProtectedTable`: the first one's
    structure goes beside the workbook); the sheets keep that order, then comes the ``columns`` sheet.
    """
    path = Path(path)
    if table_format(path) != "excel":
        raise UsageError(f"{path}: several tables go into one Excel workbook (.xlsx); write each CSV or "
                         "Parquet table with write_table")
    tables = dict(tables)
    first = next(iter(tables.values()), None)
    structure = getattr(first, "structure", None)
    tables = {title: getattr(df, "table", df) for title, df in tables.items()}  # published tables: their frames
    with atomic_path(path) as tmp:
        _write_excel({title: formula_safe(df) for title, df in tables.items()}, tmp)
    if structure is not None:  # the first sheet (what read_table reads) is a published table: its structure
        from cscs_eval.governance.files import structure_path

        write_text(structure.to_json() + "\n", structure_path(path))
    return path


def _write_excel(tables, tmp) -> None:
    from cscs_eval._excel import write_workbook

    write_workbook(tables, tmp)


def _title(path) -> str:
    text = Path(path).stem.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else "Table"


def _iso_dates(df) -> str | None:
    """CSV dates as ISO: ``2024-03-05``, with the time only where a column has one."""
    import pandas as pd

    timed = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])
             and bool((df[c].dropna() != df[c].dropna().dt.normalize()).any())]
    return "%Y-%m-%d %H:%M:%S" if timed else "%Y-%m-%d"


def write_text(text: str, path) -> Path:
    """Write a text file atomically (UTF-8, no BOM)."""
    with atomic_write(path) as fh:
        fh.write(text)
    return Path(path)


#: Limits on YAML the package reads (front matter, Lightning Reports, logic models, aliases,
#: measures, rules, run parameters): files this size are hand-written, so anything bigger or
#: more aliased is refused before it can take memory or time ("billion laughs"). Raise one in
#: Python (``cscs_eval.io.YAML_MAX_BYTES = ...``) or for the command line with the environment
#: variable of the same name after ``CSCS_EVAL_`` (``CSCS_EVAL_YAML_MAX_BYTES=5000000``).
YAML_MAX_BYTES = 1_000_000
YAML_MAX_ALIASES = 20
YAML_MAX_DEPTH = 40


def configured_limit(name: str, default: int) -> int:
    """A resource limit: the environment variable ``CSCS_EVAL_<name>`` if set, else ``default`` (the
    module's constant, read when called so Python users can change it).

    Examples
    --------
    >>> configured_limit("YAML_MAX_DEPTH", YAML_MAX_DEPTH)
    40
    """
    variable = f"CSCS_EVAL_{name}"
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{variable} must be a whole number of 1 or more, got {text!r}")
    return value


def raise_hint(name: str, python: str) -> str:
    """How to raise the limit ``name``: the environment variable, and ``python`` (where it lives in Python)."""
    return f"raise the limit with the environment variable CSCS_EVAL_{name}=N (in Python, {python})"


def _yaml_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """``safe_load`` with limits on aliases and nesting, and duplicate keys as errors."""

        def __init__(self, stream):
            super().__init__(stream)
            self._aliases = 0
            self._depth = 0
            self._max_aliases = configured_limit("YAML_MAX_ALIASES", YAML_MAX_ALIASES)
            self._max_depth = configured_limit("YAML_MAX_DEPTH", YAML_MAX_DEPTH)

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > self._max_aliases:
                    raise _YamlLimit(f"more than {self._max_aliases} YAML aliases (*name); write the values out "
                                     "(the limit keeps a small file from expanding without end), or "
                                     + raise_hint("YAML_MAX_ALIASES", "cscs_eval.io.YAML_MAX_ALIASES"),
                                     self.peek_event().start_mark)
            self._depth += 1
            try:
                if self._depth > self._max_depth:
                    raise _YamlLimit(f"YAML nested more than {self._max_depth} levels deep; flatten it, or "
                                     + raise_hint("YAML_MAX_DEPTH", "cscs_eval.io.YAML_MAX_DEPTH"),
                                     self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node, deep=False):
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # PyYAML reports unhashable keys itself
                if key in seen:
                    raise _YamlLimit(f"key {key!r} appears twice (first on line {{first}}); give each key once",
                                     key_node.start_mark, seen[key])
                seen[key] = key_node.start_mark
            return super().construct_mapping(node, deep=deep)

    return Loader


class _YamlLimit(Exception):
    def __init__(self, message, mark, first=None):
        super().__init__(message)
        self.message, self.mark, self.first = message, mark, first


def load_yaml(text: str, *, file=None, first_line: int = 1):
    """Parse YAML text safely; any problem is an :class:`InputError` naming the file and line.

    ``first_line`` is the line of the file on which ``text`` starts (front matter starts on
    line 2). Tags that build Python objects are refused (``safe_load``); aliases, nesting and
    size are limited (``YAML_MAX_*``); a key given twice and a date that cannot exist
    (``2024-02-30``) are errors, never a silent last-one-wins or a crash.
    """
    return _parse_yaml(text, file, first_line, nodes=False)


def compose_yaml(text: str, *, file=None, first_line: int = 1):
    """The YAML node tree of ``text`` (``yaml.Node`` objects with their ``start_mark`` lines), for a
    reader that reports where in a file an entry stands.

    The same limits as :func:`load_yaml` (size, aliases, nesting) and the same errors; values are
    not built, so check them with :func:`load_yaml` (which refuses duplicate keys and bad tags).
    """
    return _parse_yaml(text, file, first_line, nodes=True)


def _parse_yaml(text: str, file, first_line: int, *, nodes: bool):
    import yaml

    def where(mark):
        return None if mark is None else mark.line + first_line

    max_bytes = configured_limit("YAML_MAX_BYTES", YAML_MAX_BYTES)
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise InputError(f"YAML larger than {max_bytes:,} bytes; split it, or if it really is this big, "
                         + raise_hint("YAML_MAX_BYTES", "cscs_eval.io.YAML_MAX_BYTES"), file=file)
    loader = None
    try:
        loader = _yaml_loader()(text)  # the reader checks characters as it starts: a NUL is an error here
        return loader.get_single_node() if nodes else loader.get_single_data()
    except _YamlLimit as exc:
        message = exc.message.replace("{first}", str(where(exc.first)))
        raise InputError(f"not accepted: {message}", file=file, row=where(exc.mark)) from None
    except yaml.MarkedYAMLError as exc:
        raise InputError(f"not valid YAML: {exc.problem}", file=file, row=where(exc.problem_mark)) from None
    except yaml.reader.ReaderError as exc:  # a control character (a vertical tab pasted from Word) or a NUL
        line = text[:exc.position].count("\n") + first_line
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise InputError(f"not valid YAML: a control character (U+{code:04X}) cannot be written in YAML; delete "
                         "it", file=file, row=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {' '.join(str(exc).split())}", file=file) from None
    except (ValueError, TypeError, OverflowError, KeyError, IndexError, AttributeError) as exc:
        # PyYAML's own constructors raise these for values that look typed but are not: a timestamp of
        # 2024-02-30 or 0000-01-01 (ValueError), an empty '!!bool' (KeyError) or '!!int' (IndexError).
        detail = str(exc) if isinstance(exc, (ValueError, TypeError, OverflowError)) else \
            f"{type(exc).__name__} {exc}"
        raise InputError(f"a value is not what it looks like ({' '.join(detail.split())}); put dates and "
                         "numbers that are not real in quotes, and give a tag such as !!int only to a value of "
                         "its type", file=file) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml(path):
    """Read a YAML file with :func:`load_yaml`."""
    return load_yaml(read_text(path), file=path)


@dataclass(frozen=True)
class FrontMatter:
    """A Markdown file split at its front matter: ``meta`` (keys normalised), the ``body`` and
    ``body_line``, the file line on which the body starts."""

    meta: dict
    body: str
    body_line: int


_FRONT_FENCES = ("---", "...")


def split_front_matter(text: str, *, file=None, required: bool = True) -> FrontMatter:
    """Split YAML front matter (between ``---`` lines at the top) from the Markdown below it.

    Keys are normalised as column names are (``Contact type`` -> ``contact_type``). Without
    front matter, ``required=True`` is an error and ``required=False`` gives empty ``meta``.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        if required:
            raise InputError("the file must start with front matter: 'key: value' lines between two '---' lines",
                             file=file, row=1)
        return FrontMatter({}, text, 1)
    end = next((n for n in range(1, len(lines)) if lines[n].strip() in _FRONT_FENCES), None)
    if end is None:
        raise InputError("front matter is not closed: end it with a line holding only '---'", file=file, row=1)
    meta = load_yaml("\n".join(lines[1:end]), file=file, first_line=2)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InputError("front matter must be 'key: value' lines", file=file, row=2)
    meta = {normalise_column(k): v for k, v in meta.items()}
    return FrontMatter(meta, "\n".join(lines[end + 1:]), end + 2)


def sha256_file(path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def package_dir() -> Path:
    return Path(__file__).resolve().parent


def project_dir() -> Path | None:
    """The source checkout holding this package (editable install), or None for a wheel."""
    root = package_dir().parent
    return root if (root / "pyproject.toml").exists() and (root / "notebooks").is_dir() else None


def resource_dir(name: str) -> Path:
    """Top-level ``templates``/``notebooks``/``data`` of a checkout, else the wheel's copy."""
    root = project_dir()
    if root is not None and (root / name).is_dir():
        return root / name
    packaged = package_dir() / f"_{name}"
    if packaged.is_dir():
        return packaged
    raise UsageError(f"cannot find the '{name}' folder of cscs-eval (looked in the checkout and the package)")


def resolve_path(path) -> Path:
    """Find a data file named in a notebook parameter or on the command line.

    An absolute path, or one that exists relative to the working directory, is used as
    given; otherwise a path such as ``data/sample/proms.csv`` is looked up relative to the
    project (the checkout, or the copy of ``data`` shipped in the wheel), so notebooks run
    from any folder. A path found nowhere is returned as given, and the reader that opens
    it reports it as not found.
    """
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path
    root = project_dir()
    if root is not None and (root / path).exists():
        return root / path
    parts = path.parts
    if parts and parts[0] == "data":
        packaged = package_dir() / "_data" / Path(*parts[1:]) if len(parts) > 1 else package_dir() / "_data"
        if packaged.exists():
            return packaged
    return path
