"""``cscs-eval audit PATH``: the disclosure audit of published tables (nothing heavy imported here)."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    from cscs_eval._commands import add_out_argument

    p = subparsers.add_parser(
        "audit", help="check published tables: can any hidden or rounded count be worked out?",
        description="Read a table file with its structure beside it (NAME.structure.json), an HTML report with "
                    "embedded table structures, or a report folder (every such table in it), and work out, for "
                    "every suppressed (*) or rounded count, the interval of true values that fits everything "
                    "published (sums, totals, breakdowns, rates at their shown precision) by integer "
                    "programming. Lists each leak (an interval narrower than 1 to 4 for *, or than r-2 to r+2 "
                    "for a count rounded to r) and exits 1 if there is any, 0 if none.")
    p.add_argument("path", metavar="PATH", help="a table file, an HTML report, or a report folder")
    add_out_argument(p, "also write the leaks to FILE (.csv, .parquet or .xlsx)")
    p.set_defaults(handler=_run)


def _interval(lo, hi) -> str:
    import math

    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return ""
    if hi == math.inf:
        return f"{int(lo)} or more"
    return f"{int(lo)}" if int(lo) == int(hi) else f"{int(lo)}-{int(hi)}"


def _run(args) -> int:
    from cscs_eval.governance.files import audit_path
    from cscs_eval.io import write_table

    result = audit_path(args.path)
    leaks = result.table
    if args.out:
        write_table(leaks, args.out)
        print(f"wrote {args.out} ({len(leaks)} rows)", file=sys.stderr)
    for r in leaks.itertuples(index=False):
        where = ", ".join(x for x in (f"table {r.table}", r.row, f"column {r.column}" if r.column else "") if x)
        shown = "" if r.shown is None or r.shown != r.shown else f" shown {r.shown};"
        interval = _interval(r.low, r.high)
        interval = f" true value {interval};" if interval else ""
        print(f"{r.file}: {where}:{shown}{interval} {r.why}")
    print(result.text())
    return 1 if len(leaks) else 0
