"""Published tables on disk with their structure, and the audit of a file or a report folder.

A table ``NAME.csv`` (or ``.tsv``, ``.xlsx``, ``.parquet``) carries its structure in
``NAME.structure.json`` beside it. An HTML report carries one structure per table inside it, as
``<script type="application/json" class="cscs-table-structure">`` (:func:`structure_script`), next
to the ``<table>`` it describes: the table whose ``id`` or ``data-table-id`` is the structure's
``table_id``, else the first table after the script. In Parquet a suppressed cell is null with a
boolean ``<column>_suppressed`` beside it, so numeric columns stay numeric.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from cscs_eval.errors import InputError
from cscs_eval.governance.structure import TableStructure
from cscs_eval.results import Result

__all__ = ["structure_path", "write_structured_table", "read_structured_table", "read_html_tables",
           "read_report_tables", "structure_script", "audit_path", "check_published", "SCRIPT_CLASS"]

SCRIPT_CLASS = "cscs-table-structure"
SUFFIX = ".structure.json"
TABLE_EXTENSIONS = (".csv", ".tsv", ".parquet", ".xlsx", ".xlsm", ".xls")


def structure_path(path) -> Path:
    """``NAME.structure.json`` beside ``NAME.csv`` (or any table file)."""
    path = Path(path)
    return path.with_name(path.stem + SUFFIX)


def write_structured_table(table, structure: TableStructure, path, *, sheet: str | None = None) -> Path:
    """Write a published table (format by extension) and its structure beside it, both atomically.

    Parquet stores a suppressed cell as null with ``<column>_suppressed`` (True) beside it.
    """
    import pandas as pd

    from cscs_eval.governance import SUPPRESSED
    from cscs_eval.io import table_format, write_table, write_text

    path = Path(path)
    out = table.copy()
    if table_format(path) == "parquet":
        # counts and rates, and any other numeric column with withheld cells (a mean, an interval)
        star_of = {c: out[c].map(lambda v: isinstance(v, str) and v.strip() == SUPPRESSED) for c in out.columns}
        numeric = [c for c in out.columns if c in structure.counts or c in structure.rate_columns
                   or (star_of[c].any() and pd.to_numeric(out[c].where(~star_of[c], None), errors="coerce")
                       .notna().sum() == out[c].where(~star_of[c], None).notna().sum())]
        for col in numeric:
            star = star_of[col]
            if star.any():
                out[f"{col}_suppressed"] = star.astype(bool)
            values = pd.to_numeric(out[col].where(~star, None), errors="coerce")
            out[col] = values.astype("Int64") if col in structure.counts else values.astype("Float64")
    write_table(out, path, sheet=sheet)
    write_text(structure.to_json() + "\n", structure_path(path))
    return path


def _restore_names(df, structure):
    """Column names as the structure spells them (readers lower-case and underscore headings)."""
    from cscs_eval.io import normalise_column

    labels = {normalise_column(label): col for col, label in structure.labels}
    wanted = {normalise_column(c): c for c in (*structure.key, *structure.counts, *structure.rate_columns)}
    rename = {}
    for c in df.columns:
        if c in wanted.values():
            continue
        n = normalise_column(c)
        if n in wanted:
            rename[c] = wanted[n]
        elif n in labels:
            rename[c] = labels[n]
    return df.rename(columns=rename)


def read_structured_table(path, *, structure_file=None):
    """A published table and its structure: ``(DataFrame, TableStructure)``.

    The structure comes from ``structure_file`` or ``NAME.structure.json`` beside the table.
    """
    import pandas as pd

    from cscs_eval.governance import SUPPRESSED
    from cscs_eval.io import read_table, read_text, table_format

    path = Path(path)
    sfile = Path(structure_file) if structure_file else structure_path(path)
    if not sfile.is_file():
        raise InputError(f"no structure beside the table (expected {sfile.name})", file=path)
    structure = TableStructure.from_json(read_text(sfile), source=sfile)
    df = read_table(path)
    if table_format(path) == "parquet":
        df = df.astype(object).where(df.notna(), None)
        for col in [c for c in df.columns if c.endswith("_suppressed")]:
            base = col[: -len("_suppressed")]
            if base in df.columns:
                flags = df[col].map(lambda v: bool(v) if v is not None else False)
                df[base] = df[base].where(~flags, SUPPRESSED)
                df = df.drop(columns=col)
    df = _restore_names(df, structure)
    df = df.astype(object).where(pd.notna(df), None)
    return df, structure


def structure_script(structure: TableStructure) -> str:
    """The HTML element that embeds a table's structure in a report (JSON, safe inside ``<script>``)."""
    text = json.dumps(structure.to_dict(), separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" class="{SCRIPT_CLASS}">{text}</script>'


class _ReportParser(HTMLParser):
    """Collects embedded structures and tables (with their header and body cells), in document order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items = []          # ("structure", text) / ("table", attrs, rows)
        self._script = None
        self._table = None
        self._row = None
        self._cell = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("type") == "application/json" and SCRIPT_CLASS in (a.get("class") or "").split():
            self._script = []
        elif tag == "table":
            if self._table is None:
                self._table = (a, [])
                self._depth = 1
            else:
                self._depth += 1
        elif self._table is not None and self._depth == 1:
            if tag == "tr":
                self._row = []
            elif tag in ("td", "th") and self._row is not None:
                self._cell = [tag, []]

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.items.append(("structure", "".join(self._script)))
            self._script = None
        elif tag == "table" and self._table is not None:
            self._depth -= 1
            if self._depth == 0:
                self.items.append(("table", *self._table))
                self._table = None
        elif self._table is not None and self._depth == 1:
            if tag in ("td", "th") and self._cell is not None and self._row is not None:
                self._row.append((self._cell[0], " ".join("".join(self._cell[1]).split())))
                self._cell = None
            elif tag == "tr" and self._row is not None:
                self._table[1].append(self._row)
                self._row = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        elif self._cell is not None:
            self._cell[1].append(data)


def read_html_tables(path):
    """Every table of an HTML report that carries an embedded structure: ``[(DataFrame, TableStructure)]``."""
    import pandas as pd

    from cscs_eval.io import read_text

    path = Path(path)
    parser = _ReportParser()
    parser.feed(read_text(path))
    parser.close()
    tables = [(k, item) for k, item in enumerate(parser.items) if item[0] == "table"]
    used, out = set(), []
    for k, item in enumerate(parser.items):
        if item[0] != "structure":
            continue
        structure = TableStructure.from_json(item[1], source=path)
        match = [j for j, t in tables if j not in used and structure.table_id in
                 (t[1].get("id"), t[1].get("data-table-id"))]
        if not match:
            match = [j for j, t in tables if j > k and j not in used][:1]
        if not match:
            raise InputError(f"structure of table {structure.table_id!r} has no table after it", file=path)
        used.add(match[0])
        rows = parser.items[match[0]][2]
        header = next((r for r in rows if r and all(tag == "th" for tag, _ in r)), None)
        if header is None:
            raise InputError(f"table {structure.table_id!r} has no header row", file=path)
        body = [r for r in rows if r is not header and r and any(tag == "td" for tag, _ in r)]
        names = [text for _, text in header]
        data = [[text if text != "" else None for _, text in r] + [None] * (len(names) - len(r)) for r in body]
        df = pd.DataFrame([r[: len(names)] for r in data], columns=names, dtype=object)
        out.append((_restore_names(df, structure), structure))
    return out


def read_report_tables(folder):
    """Every published table with a structure in a report folder (and its subfolders).

    Returns ``(sets, skipped)``: ``sets`` is a list of (source, [(DataFrame, TableStructure), ...]) to
    audit together (the tables of one folder in one format, or of one HTML report); ``skipped`` lists
    table files that have no structure beside them (they cannot be audited).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", file=folder)
    by_dir: dict[Path, dict[str, list]] = {}
    skipped = []
    for f in sorted(folder.rglob("*")):
        if not f.is_file():
            continue
        name = f.name.lower()
        if name.endswith(SUFFIX):
            continue
        if f.suffix.lower() in TABLE_EXTENSIONS:
            if structure_path(f).is_file():
                by_dir.setdefault(f.parent, {}).setdefault(f.suffix.lower(), []).append(f)
            else:
                skipped.append(f)
    sets = []
    for d, formats in by_dir.items():
        for ext, files in formats.items():
            sets.append((d / f"*{ext}", [read_structured_table(f) for f in files]))
    for s in sorted(folder.rglob(f"*{SUFFIX}")):
        stem = s.name[: -len(SUFFIX)]
        if not any((s.parent / (stem + ext)).is_file() for ext in TABLE_EXTENSIONS):
            raise InputError(f"a structure without its table (expected {stem}.csv, .xlsx or .parquet beside it)",
                             file=s)
    for f in sorted(folder.rglob("*.htm*")):
        found = read_html_tables(f)
        if found:
            sets.append((f, found))
    return sets, skipped


@dataclass(frozen=True, repr=False, eq=False)
class AuditResult(Result):
    """What an audit of published files found: ``table`` lists the leaks (a ``file`` column first),
    ``n_tables`` how many tables were audited, ``unaudited`` the table files without a structure."""

    table: object = None
    n_tables: int = 0
    unaudited: tuple = ()

    def text(self) -> str:
        skipped = (f" ({len(self.unaudited)} table file(s) without a structure not audited)"
                   if self.unaudited else "")
        if len(self.table):
            return f"audit: {len(self.table)} leak(s) in {self.n_tables} table(s){skipped}"
        return f"audit: no leaks in {self.n_tables} table(s){skipped}"


def audit_path(path) -> AuditResult:
    """:func:`~cscs_eval.governance.audit` of a table file (with its structure beside it), an HTML
    report, or a report folder."""
    import pandas as pd

    from cscs_eval.governance.disclosure import LEAK_COLUMNS, audit

    path = Path(path)
    if not path.exists():
        raise InputError("not found", file=path)
    if path.is_dir():
        sets, skipped = read_report_tables(path)
    elif path.name.lower().endswith(SUFFIX):
        stem = path.name[: -len(SUFFIX)]
        data = [path.parent / (stem + ext) for ext in TABLE_EXTENSIONS if (path.parent / (stem + ext)).is_file()]
        if not data:
            raise InputError("a structure without its table beside it", file=path)
        sets, skipped = [(f, [read_structured_table(f)]) for f in data], []
    elif path.suffix.lower() in (".html", ".htm"):
        sets, skipped = [(path, read_html_tables(path))], []
    else:
        sets, skipped = [(path, [read_structured_table(path)])], []
    frames, n = [], 0
    for source, tables in sets:
        if not tables:
            continue
        n += len(tables)
        leaks = audit(tables)
        leaks.insert(0, "file", str(source))
        frames.append(leaks)
    if n == 0:
        raise InputError("no table with a structure to audit: expected NAME.structure.json beside NAME.csv, .xlsx "
                         "or .parquet, or an HTML report with embedded table structures", file=path)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["file", *LEAK_COLUMNS])
    return AuditResult(out, n_tables=n, unaudited=tuple(str(s) for s in skipped))


def check_published(path, *, shown_as=None) -> AuditResult:
    """Audit what is about to be published (a report file or folder) and refuse it on a leak.

    What ``cscs-eval run`` and ``cscs-eval demo`` call on each report before it leaves its staging
    folder. Raises :class:`~cscs_eval.errors.OutputError` with one line naming the first leak and how
    many there are (``shown_as`` names the output in the message instead of its staging path).
    """
    from cscs_eval.errors import OutputError

    path = Path(path)
    if path.is_file() and path.suffix.lower() in (".html", ".htm") and not read_html_tables(path):
        return AuditResult(_empty_leaks(), n_tables=0)
    result = audit_path(path)
    leaks = result.table
    if len(leaks):
        first = leaks.iloc[0]
        where = ", ".join(x for x in (f"table {first['table']}", first["row"],
                                      f"column {first['column']}" if first["column"] else "") if x)
        raise OutputError(f"{shown_as or path}: not published: the disclosure audit found {len(leaks)} leak(s), "
                          f"first {where}: {first['why']}; please report this (cscs-eval audit lists them all)")
    return result


def _empty_leaks():
    import pandas as pd

    from cscs_eval.governance.disclosure import LEAK_COLUMNS

    return pd.DataFrame(columns=["file", *LEAK_COLUMNS])
