"""``cscs-eval lightning ...``: render a Lightning Report, follow a series (nothing heavy imported here)."""

from __future__ import annotations

import sys

_FORMATS = ("html", "md", "docx")


def register(subparsers) -> None:
    from cscs_eval._commands import add_out_argument

    sub = subparsers.add_parser("lightning",
                                help="Lightning Reports: render one (HTML, Markdown, Word), follow a series",
                                description="Lightning Reports: Markdown files with front matter and the sections "
                                            "Summary, Plus, Delta, Insights; bullets may carry CFIR codes.")
    inner = sub.add_subparsers(dest="lightning_command", metavar="COMMAND", required=True)

    r = inner.add_parser("render", help="render one Lightning Report to HTML, Markdown or Word",
                         description="Render one Lightning Report. HTML and Markdown are printed without --out; "
                                     "Word needs --out FILE.docx.")
    r.add_argument("file", metavar="FILE", help="the Lightning Report (.md)")
    r.add_argument("--to", choices=_FORMATS,
                   help="output format (default: from the --out file's extension)")
    r.add_argument("--out", metavar="FILE", help="write to FILE instead of printing (required for docx)")
    r.add_argument("--templates", metavar="DIR", help="folder with your own report.html.j2, report.md.j2, print.css")
    r.add_argument("--aliases", metavar="YAML", help="local construct names (local name: CFIR construct or id)")
    r.set_defaults(handler=_run_render)

    s = inner.add_parser("series", help="constructs recurring under Plus and Delta, and which Deltas were resolved",
                         description="Read every Lightning Report (*.md) in FOLDER in date order and list, per CFIR "
                                     "construct, how often it was a Plus and a Delta and whether its Delta was "
                                     "resolved: it became a Plus later, or was not raised in at least --absent-for "
                                     "later reports.")
    s.add_argument("folder", metavar="FOLDER", help="folder of Lightning Reports (.md)")
    add_out_argument(s)
    s.add_argument("--absent-for", type=int, default=2, metavar="N",
                   help="later reports without a Delta that count as resolved (default 2)")
    s.add_argument("--aliases", metavar="YAML", help="local construct names (local name: CFIR construct or id)")
    s.set_defaults(handler=_run_series)


def _run_render(args) -> int:
    from cscs_eval.io import output_format
    from cscs_eval.lightning import read_report, render

    fmt = output_format(args.to, args.out, _FORMATS, needs_file=("docx",), flags=("--to", "--out"))
    report = read_report(args.file, aliases=args.aliases)
    if args.out:
        render(report, to=fmt, out=args.out, template_dir=args.templates)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(render(report, to=fmt, template_dir=args.templates))
    return 0


def _run_series(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.lightning import series

    result = series(args.folder, absent_for=args.absent_for, aliases=args.aliases)
    emit_table(result.table, args.out)
    if not args.out:
        print("")
        print(f"Reports: {', '.join(result.reports)}")
        print(f"Rule: {result.rule}")
    return 0
