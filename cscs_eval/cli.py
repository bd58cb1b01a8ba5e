"""The ``cscs-eval`` command line.

Each capability registers its own subcommands from a small ``cli`` module that imports
nothing heavy at module level (``cscs-eval --help`` must not load pandas or matplotlib);
heavy imports happen inside the handler that needs them.

Exit codes: 0 success, 1 a data error (the message names file, row and column),
2 a usage error. A Python traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from cscs_eval import __version__
from cscs_eval.errors import CscsEvalError, UsageError

#: Modules that add subcommands, in the order ``--help`` lists them. Each has
#: ``register(subparsers)``; a capability not yet installed is skipped.
COMMAND_MODULES = (
    "cscs_eval.reporting.cli",
    "cscs_eval.sample.cli",
    "cscs_eval.cfir.cli",
    "cscs_eval.proms.cli",
    "cscs_eval.lightning.cli",
    "cscs_eval.logic_model.cli",
    "cscs_eval.progress.cli",
    "cscs_eval.benefits.cli",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors raise so ``main`` can print one line and exit 2."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cscs-eval",
        description="Evaluate how a change in mental-health care was implemented and what it achieved: "
        "CFIR coding, Lightning Reports, PROMs outcomes, logic models, benefit analyses and "
        "parameterised notebook reports.",
    )
    parser.add_argument("--version", action="version", version=f"cscs-eval {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a full Python traceback on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(subparsers)
    return parser


def add_out_argument(parser, help_text="write the table to FILE (.csv, .parquet or .xlsx); "
                                       "without it the table is printed") -> None:
    parser.add_argument("--out", metavar="FILE", help=help_text)


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


def run_with_warnings(handler, args):
    """Run a command's handler; print each distinct warning it raised as one 'cscs-eval: warning:' line.

    Data warnings (e.g. a follow-up on the day of the baseline) are for the user, so they are
    shown as sentences, never as Python's file-and-line warning format.
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return handler(args)
        finally:
            for text in dict.fromkeys(str(w.message) for w in caught):
                print(f"cscs-eval: warning: {text}", file=sys.stderr)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 0 if not argv or argv == ["--debug"] else 2
        result = run_with_warnings(args.handler, args)
        return int(result or 0)
    except CscsEvalError as exc:
        if debug:
            raise
        print(f"cscs-eval: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cscs-eval: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
