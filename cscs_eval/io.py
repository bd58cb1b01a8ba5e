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
from dataclasses import dataclass
from pathlib import Path

from cscs_eval.errors import InputError, OutputError, UsageError

__all__ = ["TABLE_FORMATS", "ENCODING_VARIABLE", "read_table", "read_text", "read_yaml", "load_yaml", "compose_yaml",
           "split_front_matter", "FrontMatter", "write_table", "write_text", "atomic_write", "atomic_path",
           "check_writable", "row_number", "normalise_column", "table_format", "output_format", "xml_safe",
           "sha256_file", "resolve_path", "resource_dir", "package_dir", "project_dir",
           "YAML_MAX_BYTES", "YAML_MAX_ALIASES", "YAML_MAX_DEPTH"]

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


def read_table(path, *, required=(), encoding: str | None = None, sheet=0, dtype=str):
    """Read a CSV, TSV, Excel or Parquet table into a DataFrame.

    Column names are normalised (lower case, ``_`` for spaces). CSV and Excel cells are
    read as text by default so that a reader can say exactly which value is wrong
    (``"07"``, ``"abc"``); empty cells become missing values.

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
        Excel sheet name or position.
    dtype
        Passed to pandas for CSV and Excel; ``None`` lets pandas infer types.

    Returns
    -------
    pandas.DataFrame
        Row ``i`` (by position) is row ``row_number(df, i)`` of the file the user sees.
    """
    import io as _io

    import pandas as pd

    path = Path(path)
    fmt = table_format(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", file=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty; expected a header row with columns "
                         + (", ".join(required) if required else "and data rows"), file=path)
    try:
        if fmt in ("csv", "tsv"):
            text = _decode(path, encoding)
            if not text.strip():
                raise InputError("file is empty; expected a header row", file=path)
            sep = "\t" if fmt == "tsv" else ","
            header = next(csv.reader(_io.StringIO(text), delimiter=sep), [])
            df = pd.read_csv(_io.StringIO(text), sep=sep, dtype=dtype,
                             keep_default_na=False, na_values=[""], skipinitialspace=False)
        elif fmt == "excel":
            header = pd.read_excel(path, sheet_name=sheet, header=None, nrows=1, dtype=str).iloc[0].tolist() \
                if path.stat().st_size else []
            df = pd.read_excel(path, sheet_name=sheet, dtype=dtype)
        else:
            df = pd.read_parquet(path)
            header = list(df.columns)
    except InputError:
        raise
    except pd.errors.ParserError as exc:
        raise InputError(f"not a readable {fmt.upper()} table ({exc})", file=path) from None
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - untrusted bytes: zip, XML and Arrow parsers raise many kinds
        kind = {"excel": "Excel workbook (.xlsx)", "parquet": "Parquet file"}.get(fmt, f"{fmt.upper()} file")
        raise InputError(f"not a readable {kind}: {type(exc).__name__}: {exc}; check that it is complete and "
                         "really of that type", file=path) from None
    _check_header(header, path)
    df.columns = [normalise_column(c) for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        hint = ""
        if fmt == "excel":
            header_at = _find_header_row(path, sheet, required)
            if header_at:
                hint = f"; the header seems to be on row {header_at}: delete the rows above it so it is on row 1"
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}{hint}",
                         file=path, row=1)
    if df.empty:
        raise InputError("has a header but no data rows", file=path)
    return df


def _check_header(header, path) -> None:
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
                             file=path, row=1, column=str(raw))
        seen[key] = raw


def _find_header_row(path, sheet, required):
    import pandas as pd

    head = pd.read_excel(path, sheet_name=sheet, header=None, nrows=_HEADER_SEARCH_ROWS, dtype=str)
    wanted = set(required)
    for i, row in head.iterrows():
        if wanted <= {normalise_column(v) for v in row.dropna()}:
            return i + 1
    return None


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


def write_table(df, path, *, index: bool = False) -> Path:
    """Write a DataFrame as CSV, TSV, Excel or Parquet (by extension), atomically."""
    path = Path(path)
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            df.to_csv(tmp, index=index)
        elif fmt == "tsv":
            df.to_csv(tmp, index=index, sep="\t")
        elif fmt == "excel":
            df.to_excel(tmp, index=index)
        else:
            df.to_parquet(tmp, index=index)
    return path


def write_text(text: str, path) -> Path:
    """Write a text file atomically (UTF-8, no BOM)."""
    with atomic_write(path) as fh:
        fh.write(text)
    return Path(path)


#: Limits on YAML the package reads (front matter, Lightning Reports, logic models, aliases,
#: measures, rules, run parameters): files this size are hand-written, so anything bigger or
#: more aliased is refused before it can take memory or time ("billion laughs").
YAML_MAX_BYTES = 1_000_000
YAML_MAX_ALIASES = 20
YAML_MAX_DEPTH = 40


def _yaml_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """``safe_load`` with limits on aliases and nesting, and duplicate keys as errors."""

        def __init__(self, stream):
            super().__init__(stream)
            self._aliases = 0
            self._depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > YAML_MAX_ALIASES:
                    raise _YamlLimit(f"more than {YAML_MAX_ALIASES} YAML aliases (*name); write the values out "
                                     "(the limit keeps a small file from expanding without end)",
                                     self.peek_event().start_mark)
            self._depth += 1
            try:
                if self._depth > YAML_MAX_DEPTH:
                    raise _YamlLimit(f"YAML nested more than {YAML_MAX_DEPTH} levels deep",
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

    if len(text.encode("utf-8", "surrogatepass")) > YAML_MAX_BYTES:
        raise InputError(f"YAML larger than {YAML_MAX_BYTES:,} bytes; split it, or raise "
                         "cscs_eval.io.YAML_MAX_BYTES if it really is this big", file=file)
    loader = _yaml_loader()(text)
    try:
        return loader.get_single_node() if nodes else loader.get_single_data()
    except _YamlLimit as exc:
        message = exc.message.replace("{first}", str(where(exc.first)))
        raise InputError(f"not accepted: {message}", file=file, row=where(exc.mark)) from None
    except yaml.MarkedYAMLError as exc:
        raise InputError(f"not valid YAML: {exc.problem}", file=file, row=where(exc.problem_mark)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=file) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML's own constructors raise these for values that look typed but are not, e.g. a
        # timestamp of 2024-02-30 or 0000-01-01; say so instead of crashing.
        raise InputError(f"a value is not what it looks like ({exc}); put dates and numbers that are "
                         "not real in quotes, or correct them", file=file) from None
    finally:
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
