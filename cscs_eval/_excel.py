"""Excel workbooks that behave like Excel: what :func:`cscs_eval.io.write_table` writes for ``.xlsx``.

Each table is a named sheet with human column labels (the same as reports print), a frozen,
filtered header and widths that fit; dates are Excel dates, numbers are numbers, rates (0-1) carry
a percent format and ``*_pct`` columns (0-100) a "%" format that leaves their value as it is. Text
is always stored as text, so a cell that begins with ``=`` is never run as a formula. A last sheet,
``columns``, maps each label back to its machine name; :func:`cscs_eval.io.read_table` uses it (and
the labels file) so the workbook reads back as an input.

Uses openpyxl's write-only mode, which streams rows (some 40,000 cells a second: the 51,144 rows of
seven columns of the sample PROMs extract write in about 8 s).
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import re

from cscs_eval.errors import OutputError

__all__ = ["COLUMNS_SHEET", "write_workbook", "read_columns_sheet", "sheet_titles", "column_format"]

#: The sheet that maps each column label to its machine name.
COLUMNS_SHEET = "columns"
#: Excel's limits: rows a sheet holds (the header takes one), characters a cell holds, a sheet name's length.
MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
MAX_TITLE = 31

DATE = "dd/mm/yyyy"
DATETIME = "dd/mm/yyyy hh:mm"
PERCENT = "0.0%"
PCT = '0.0"%"'
INTEGER = "#,##0"
NUMBER = "#,##0.00"
P_VALUE = "0.0000"
#: Column widths in characters: never narrower or wider than these.
MIN_WIDTH, MAX_WIDTH = 8, 60
#: Rows looked at to size a column.
_WIDTH_SAMPLE = 500

_RATE = re.compile(r"(^|_)(rate|share|proportion|percent_agreement)(_|$)")
_PCT = re.compile(r"(^|_)pct(_|$)")
_P_VALUE = re.compile(r"(^|_)p(_value)?$|^p_value")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def sheet_titles(names) -> list[str]:
    """Sheet names Excel accepts, unique and not ``columns``: at most 31 characters, none of ``[]:*?/\\``.

    Examples
    --------
    >>> sheet_titles(["Summary by team: ReQoL-10", "Summary by team: ReQoL-10", "columns"])
    ['Summary by team ReQoL-10', 'Summary by team ReQoL-10 (2)', 'columns (data)']
    """
    out, seen = [], set()
    for name in names:
        title = re.sub(r"\s+", " ", _BAD_TITLE.sub(" ", str(name))).strip().strip("'") or "Table"
        if title.lower() == COLUMNS_SHEET:
            title = f"{title} (data)"
        base, n = title[:MAX_TITLE], 1
        title = base
        while title.lower() in seen:
            n += 1
            suffix = f" ({n})"
            title = base[:MAX_TITLE - len(suffix)] + suffix
        seen.add(title.lower())
        out.append(title)
    return out


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover
        return False


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not _is_missing(value)


def _is_date(value) -> bool:
    return isinstance(value, (_dt.date, _dt.datetime)) and not _is_missing(value)


def column_format(name, series) -> tuple[str, str | None]:
    """What a column holds and its Excel number format: ``("date", "dd/mm/yyyy")``, ``("percent",
    "0.0%")``, ``("number", "#,##0")``, ``("text", None)`` ...

    Rates are columns named ``*_rate`` (``paired_rate``, ``paired_rate_lower``), ``*_share``,
    ``*_proportion`` or ``percent_agreement`` whose numbers lie in 0-1; ``*_pct`` columns hold 0-100.

    Examples
    --------
    >>> import pandas as pd
    >>> column_format("paired_rate", pd.Series([0.25, "*"])), column_format("paired_pct", pd.Series([25.0]))
    (('percent', '0.0%'), ('percent', '0.0"%"'))
    >>> column_format("n_paired", pd.Series([12, 3])), column_format("team", pd.Series(["A"]))
    (('number', '#,##0'), ('text', None))
    """
    import pandas as pd

    key = str(name).lower()
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dropna()
        timed = bool(len(values)) and bool((values != values.dt.normalize()).any())
        return "date", DATETIME if timed else DATE
    if pd.api.types.is_bool_dtype(series):
        return "boolean", None
    values = [v for v in series.head(_WIDTH_SAMPLE * 20).tolist() if not _is_missing(v)]
    if values and all(_is_date(v) for v in values):
        timed = any(isinstance(v, _dt.datetime) and v.time() != _dt.time(0) for v in values)
        return "date", DATETIME if timed else DATE
    numbers_ = [v for v in values if _is_number(v)]
    texts = [v for v in values if isinstance(v, str)]
    if not numbers_ or len(numbers_) + len(texts) != len(values) or any(t.strip() != "*" for t in texts):
        return ("boolean", None) if values and all(isinstance(v, bool) for v in values) else ("text", None)
    if _RATE.search(key) and all(-1 <= v <= 1 for v in numbers_):
        return "percent", PERCENT
    if _PCT.search(key):
        return "percent", PCT
    if _P_VALUE.search(key):
        return "number", P_VALUE
    if all(float(v).is_integer() for v in numbers_):
        return "number", INTEGER
    return "number", NUMBER


def _cell_value(value, kind):
    """A Python value openpyxl writes as the right type (or None for an empty cell)."""
    import pandas as pd

    if _is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if _is_date(value):
        if value.year < 1900:  # before Excel's calendar: keep it readable as ISO text
            return value.isoformat()
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isinf(value):
        return "infinite" if value > 0 else "-infinite"
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return str(value)


def _width(label, series, fmt) -> float:
    sample = series.head(_WIDTH_SAMPLE).tolist()
    longest = 0
    for v in sample:
        if _is_missing(v):
            continue
        if fmt in (DATE,):
            n = 10
        elif fmt == DATETIME:
            n = 16
        elif _is_number(v):
            n = len(f"{v:,.2f}") if isinstance(v, float) else len(f"{v:,}")
        else:
            n = max((len(line) for line in str(v).split("\n")), default=0)
        longest = max(longest, n)
    head = max((len(word) for word in str(label).split()), default=0)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2, head + 2, min(len(str(label)), 24) + 2)))


def write_workbook(tables, path) -> None:
    """Write ``{sheet title: DataFrame}`` to the workbook ``path`` (written in place: callers pass a
    temporary file, as :func:`cscs_eval.io.write_table` does), then the ``columns`` sheet.

    Raises
    ------
    OutputError
        A table with more rows than a sheet holds, or a text longer than a cell holds.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from cscs_eval.io import xml_safe
    from cscs_eval.reporting.labels import label
    from cscs_eval.reporting.style import DARK, GREY, LIGHT_ACCENT, tint

    titles = sheet_titles(list(tables))
    wb = Workbook(write_only=True)
    head_font = Font(bold=True, color=DARK.lstrip("#"))
    head_fill = PatternFill("solid", fgColor=tint(LIGHT_ACCENT, 0.25).lstrip("#"))
    head_border = Border(bottom=Side(style="thin", color=GREY.lstrip("#")))
    head_align = Alignment(wrap_text=True, vertical="top")
    right = Alignment(horizontal="right")
    mapping = []
    for title, df in zip(titles, tables.values()):
        if len(df) + 1 > MAX_ROWS:
            raise OutputError(f"{path}: the table '{title}' has {len(df):,} rows, more than an Excel sheet holds "
                              f"({MAX_ROWS - 1:,}); write it as .csv or .parquet")
        ws = wb.create_sheet(title)
        _state_size(ws, len(df) + 1, len(df.columns))
        columns = [str(c) for c in df.columns]
        labels = _unique_labels([label(c) for c in columns])
        kinds = [column_format(c, df[c]) for c in df.columns]
        for j, (lab, col) in enumerate(zip(labels, df.columns), 1):
            ws.column_dimensions[get_column_letter(j)].width = _width(lab, df[col], kinds[j - 1][1])
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(df) + 1, 2)}"
        header = []
        for lab in labels:
            cell = WriteOnlyCell(ws, value=xml_safe(lab))
            cell.data_type = "s"
            cell.font, cell.fill, cell.border, cell.alignment = head_font, head_fill, head_border, head_align
            header.append(cell)
        ws.append(header)
        for i, row in enumerate(df.itertuples(index=False, name=None), 2):
            cells = []
            for j, value in enumerate(row):
                kind, fmt = kinds[j]
                value = _cell_value(value, kind)
                if isinstance(value, str):
                    if len(value) > MAX_CELL_CHARS:
                        raise OutputError(f"{path}: sheet '{title}', row {i}, column '{labels[j]}' holds "
                                          f"{len(value):,} characters, more than an Excel cell holds "
                                          f"({MAX_CELL_CHARS:,}); write it as .csv or .parquet")
                    cell = WriteOnlyCell(ws, value=xml_safe(value))
                    cell.data_type = "s"  # text stays text: never a formula, never a number
                    if kind in ("number", "percent"):
                        cell.alignment = right  # a suppressed "*" lines up with the numbers
                else:
                    cell = WriteOnlyCell(ws, value=value)
                    if fmt and value is not None and not isinstance(value, bool):
                        cell.number_format = fmt
                cells.append(cell)
            ws.append(cells)
        mapping += [(title, lab, col, kind) for lab, col, (kind, _) in zip(labels, columns, kinds)]
    ws = wb.create_sheet(COLUMNS_SHEET)
    _state_size(ws, len(mapping) + 1, 4)
    for letter, width in zip("ABCD", (28, 36, 30, 10)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    header = []
    for text in ("Sheet", "Column", "Name", "Holds"):
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill, cell.border = head_font, head_fill, head_border
        header.append(cell)
    ws.append(header)
    for title, lab, col, kind in mapping:
        cells = []
        for text in (title, lab, col, kind):
            cell = WriteOnlyCell(ws, value=xml_safe(text))
            cell.data_type = "s"
            cells.append(cell)
        ws.append(cells)
    wb.save(path)


def _state_size(ws, rows: int, columns: int) -> None:
    """Write the sheet's ``<dimension>``: a streamed sheet does not know its size, and without it a
    reader (openpyxl's read-only mode, pandas) parses the whole sheet once more to find it."""
    from openpyxl.utils import get_column_letter

    ref = f"A1:{get_column_letter(max(columns, 1))}{max(rows, 1)}"
    ws.calculate_dimension = lambda: ref


def _unique_labels(labels) -> list[str]:
    """Two columns with one label (a rule-made label meeting a listed one) get their number added."""
    seen, out = {}, []
    for lab in labels:
        key = lab.strip().lower()
        seen[key] = seen.get(key, 0) + 1
        out.append(lab if seen[key] == 1 else f"{lab} ({seen[key]})")
    return out


def read_columns_sheet(wb) -> dict:
    """The ``columns`` sheet of a workbook cscs-eval wrote (an open openpyxl workbook): normalised
    label -> machine name; empty when there is none."""
    from cscs_eval.io import normalise_column

    if COLUMNS_SHEET not in wb.sheetnames:
        return {}
    ws = wb[COLUMNS_SHEET]
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return {}
    head = [normalise_column(v) if v is not None else "" for v in rows[0]]
    if "column" not in head or "name" not in head:
        return {}
    c, n = head.index("column"), head.index("name")
    return {normalise_column(r[c]): str(r[n]).strip() for r in rows[1:]
            if len(r) > max(c, n) and r[c] is not None and r[n] is not None}
