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
from cscs_eval.io import ENCODING_VARIABLE

#: Modules that add subcommands, in the order ``--help`` lists them. Each has ``register(subparsers)``.
COMMAND_MODULES = (
    "cscs_eval.reporting.cli",
    "cscs_eval.sample.cli",
    "cscs_eval.cfir._cli",
    "cscs_eval.proms._cli",
    "cscs_eval.lightning._cli",
    "cscs_eval.logic_model._cli",
    "cscs_eval.progress._cli",
    "cscs_eval.benefits._cli",
    "cscs_eval._audit_cli",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors raise so ``main`` can print one line and exit 2."""

    def error(self, message):
        if "required: COMMAND" in message:  # a command group alone: show what can follow, as bare cscs-eval does
            self.print_help(sys.stderr)
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _add_everywhere(parser) -> None:
    """``--debug`` and ``--encoding`` after any command, as well as before it.

    Sub-parsers default them to SUPPRESS so a value given before the command is not reset.
    """
    if "--debug" not in parser._option_string_actions:
        parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                            help="show a full Python traceback on errors")
    if "--encoding" not in parser._option_string_actions:
        parser.add_argument("--encoding", metavar="NAME", default=argparse.SUPPRESS,
                            help="text encoding of CSV and text inputs (default UTF-8; e.g. cp1252 for Excel's "
                                 "Windows CSV)")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                _add_everywhere(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cscs-eval",
        description="Evaluate how a change in mental-health care was implemented and what it achieved: "
        "CFIR coding, Lightning Reports, PROMs outcomes, logic models, benefit analyses and "
        "parameterised notebook reports.",
    )
    parser.add_argument("--version", action="version", version=f"cscs-eval {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    _add_everywhere(parser)
    return parser


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
    """Run the command line; returns the exit code (0 done, 1 data error, 2 usage error)."""
    import os

    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            # A command group without its subcommand (or nothing at all) is incomplete: show what
            # can follow, and exit 2 as any other usage error does.
            parser.print_help(sys.stderr)
            return 2
        from cscs_eval._commands import refuse_out_over_input

        refuse_out_over_input(args)
        encoding = getattr(args, "encoding", None)
        if encoding:
            import codecs

            try:
                codecs.lookup(encoding)
            except LookupError:
                raise UsageError(f"--encoding must be a text encoding such as utf-8 or cp1252, "
                                 f"got {encoding!r}") from None
        previous = os.environ.get(ENCODING_VARIABLE)
        if encoding:
            os.environ[ENCODING_VARIABLE] = encoding
        try:
            return int(run_with_warnings(args.handler, args) or 0)
        finally:  # main() may be called in-process (tests, notebooks): leave the environment as it was
            if encoding:
                if previous is None:
                    os.environ.pop(ENCODING_VARIABLE, None)
                else:
                    os.environ[ENCODING_VARIABLE] = previous
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
