"""What every capability's ``cli`` module uses to build its subcommands (below the capabilities,
so nothing imports back up from the top-level :mod:`cscs_eval.cli`).

The vocabulary, checked by ``tests/test_vocabulary.py``: ``--to`` is always a format, ``--out``
always a path; ``--no-suppress`` is the one way to see small numbers; ``--debug`` and
``--encoding`` are accepted after any command (the top-level parser adds them everywhere).
"""

from __future__ import annotations

import sys

__all__ = ["add_out_argument", "add_suppress_argument", "emit_table"]


def add_out_argument(parser, help_text="write the table to FILE (.csv, .parquet or .xlsx); "
                                       "without it the table is printed") -> None:
    parser.add_argument("--out", metavar="FILE", help=help_text)


def add_suppress_argument(parser) -> None:
    """``--no-suppress``: small-number suppression is on unless this is given (internal use only)."""
    parser.add_argument("--no-suppress", dest="suppress", action="store_false",
                        help="show small numbers and exact rates (not for publication: every output says so)")


def emit_table(df, out=None, *, stream=None) -> None:
    """Write ``df`` to ``out`` (format by extension) or print it readably to stdout."""
    from cscs_eval.io import write_table

    if out:
        write_table(df, out)
        print(f"wrote {out} ({len(df)} rows)", file=sys.stderr)
        return
    import pandas as pd

    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200,
                           "display.max_colwidth", 60):
        print(df.to_string(index=False), file=stream or sys.stdout)
