"""What every capability's ``cli`` module uses to build its subcommands (below the capabilities,
so nothing imports back up from the top-level :mod:`cscs_eval.cli`).

The vocabulary, checked by ``tests/test_vocabulary.py``: ``--to`` is always a format, ``--out``
always a path; ``--no-suppress`` is the one way to see small numbers; ``--debug`` and
``--encoding`` are accepted after any command (the top-level parser adds them everywhere).
"""

from __future__ import annotations

import sys

__all__ = ["add_out_argument", "add_suppress_argument", "add_table_arguments", "table_input", "emit_table",
           "emit_tables", "refuse_out_over_input"]


def add_out_argument(parser, help_text="write the table to FILE (.csv, .parquet or .xlsx); "
                                       "without it the table is printed") -> None:
    parser.add_argument("--out", metavar="FILE", help=help_text)


#: Options naming a file a command writes: ``--out``, and the extra outputs of ``proms`` (``--problems``),
#: ``progress summarise`` (``--findings-out``) and ``cfir import`` (``--case-ratings-out``).
OUTPUT_OPTIONS = ("out", "problems", "findings_out", "case_ratings_out")


def refuse_out_over_input(args) -> None:
    """A UsageError when ``--out`` (or another output option) names a file or folder the same command reads.

    Every command is checked at once, before it runs: any other option or argument that names an
    existing path is an input (the data, a template, an alias file), and writing over it would lose
    it (``lightning render x.md --to md --out x.md`` replaced its own report).
    """
    from pathlib import Path, PurePath

    from cscs_eval.errors import UsageError

    for option in OUTPUT_OPTIONS:
        out = getattr(args, option, None)
        if not out or not Path(out).exists():
            continue
        target = Path(out).resolve()
        for name, value in vars(args).items():
            if name in OUTPUT_OPTIONS or callable(value):
                continue
            for item in value if isinstance(value, (list, tuple)) else [value]:
                named = isinstance(item, (str, PurePath)) and str(item) != ""
                if named and Path(item).exists() and Path(item).resolve() == target:
                    raise UsageError(f"--{option.replace('_', '-')} {out} is also an input of this command "
                                     f"({name.replace('_', ' ')}); write to another file or folder")


def add_suppress_argument(parser) -> None:
    """``--no-suppress``: small-number suppression is on unless this is given (internal use only)."""
    parser.add_argument("--no-suppress", dest="suppress", action="store_false",
                        help="show small numbers and exact rates (not for publication: every output says so)")


def add_table_arguments(parser, what: str = "the input table") -> None:
    """``--sheet NAME|N`` and ``--header-row N``: where in a workbook (or a CSV with title lines) the
    table starts; :func:`table_input` hands them to the reader with the file."""
    parser.add_argument("--sheet", metavar="NAME|N",
                        help=f"the Excel sheet of {what}: its name, or its number counting from 1 (default the "
                             "first sheet)")
    parser.add_argument("--header-row", metavar="N", type=_row_number,
                        help=f"the row of {what} that holds the column names, counting from 1 as Excel does "
                             "(default 1); the rows above it (a title, notes) are skipped")


def _row_number(text):
    from cscs_eval.errors import UsageError

    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"--header-row must be a row number counting from 1, got {text!r}")
    return value


def table_input(args, name: str = "data"):
    """The file ``args.<name>`` with ``--sheet`` and ``--header-row`` attached
    (:func:`cscs_eval.io.table_path`); a list of files gets them on each."""
    from cscs_eval.io import table_path

    value = getattr(args, name)
    options = {"sheet": getattr(args, "sheet", None), "header_row": getattr(args, "header_row", None)}
    if isinstance(value, (list, tuple)):
        return [table_path(v, **options) for v in value]
    return table_path(value, **options)


def emit_table(df, out=None, *, stream=None, sheet: str | None = None) -> None:
    """Write ``df`` to ``out`` (format by extension; ``sheet`` names an Excel sheet) or print it
    readably to stdout."""
    from cscs_eval.io import write_table

    if out:  # a published table (ProtectedTable) is written with its structure beside it
        write_table(df, out, sheet=sheet)
        print(f"wrote {out} ({len(df)} rows)", file=sys.stderr)
        return
    import pandas as pd

    shown = getattr(df, "table", df)
    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200,
                           "display.max_colwidth", 60):
        print(shown.to_string(index=False), file=stream or sys.stdout)


def emit_tables(tables: dict, out=None, *, stream=None) -> None:
    """Several related tables (``{sheet title: DataFrame}``, the main one first): an Excel ``out``
    gets one sheet each; any other ``out``, or stdout, gets the first (the others are reported
    on stderr by the command, as before)."""
    from cscs_eval.io import table_format, write_tables

    title, first = next(iter(tables.items()))
    if out and table_format(out) == "excel":
        write_tables(tables, out)  # published tables (ProtectedTable): the first one's structure beside it
        shown = ", ".join(f"{t} ({len(df)} rows)" for t, df in tables.items())
        print(f"wrote {out}: {shown}", file=sys.stderr)
        return
    emit_table(first, out, stream=stream, sheet=title)
