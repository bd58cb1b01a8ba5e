"""``cscs-eval run`` and ``cscs-eval demo``. No heavy imports here: handlers import lazily."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    run = subparsers.add_parser(
        "run", help="execute a parameterised notebook with papermill and write its report",
        description="Execute NOTEBOOK with papermill in the project's kernel and write the executed notebook "
                    "and a self-contained HTML report (code hidden, figures embedded, parameters and data "
                    "checksums at the top). Parameters are checked against the notebook's 'parameters' cell "
                    "before anything runs. An earlier report is never replaced unless --force.")
    run.add_argument("notebook", metavar="NOTEBOOK", help="path of a notebook, or the name of one in notebooks/")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="set a parameter (converted to the type declared in the notebook); repeatable")
    run.add_argument("-f", "--params-file", metavar="PARAMS.yaml", help="YAML file of parameter values")
    run.add_argument("--out", metavar="DIR",
                     help="output folder (default reports/<notebook>/<date-time>, a new folder each run)")
    run.add_argument("--for-each", metavar="COLUMN",
                     help="run once per value of COLUMN in the file named by the notebook's data_path "
                          "parameter, passing it as the parameter COLUMN; writes DIR/index.html")
    run.add_argument("--to", choices=["html", "docx"], default="html",
                     help="report format: html (default), or docx for a Word version as well as the HTML")
    run.add_argument("--reference-docx", metavar="TEMPLATE.docx",
                     help="a trust's Word template: the Word version takes its styles, fonts and page set-up "
                          "(works with any notebook; implies a Word version)")
    run.add_argument("--force", action="store_true", help="replace a report already in --out")
    run.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                     help="parallel runs for --for-each (default: one per core)")
    run.add_argument("--list-parameters", action="store_true",
                     help="list the notebook's parameters (name, type, default and help) and run nothing")
    run.set_defaults(handler=_run)

    notebooks = subparsers.add_parser(
        "notebooks", help="the report notebooks: copy them out to edit",
        description="The parameterised report notebooks, their templates and the sample data they read.")
    inner = notebooks.add_subparsers(dest="notebooks_command", metavar="COMMAND", required=True)
    copy = inner.add_parser(
        "copy", help="copy the notebooks, report templates and sample data into DIR, to edit and run",
        description="Copy notebooks/, templates/ and data/ (sample and public) out of the installed package "
                    "into DIR, so they can be edited (the installed copies are replaced by an upgrade). Run a "
                    "copied notebook from DIR: cscs-eval run notebooks/proms_outcomes.ipynb. DIR must not hold "
                    "them already unless --force.")
    copy.add_argument("dir", metavar="DIR", help="folder to copy into (made if missing)")
    copy.add_argument("--force", action="store_true", help="replace notebooks, templates and data already in DIR")
    copy.set_defaults(handler=_copy_notebooks)

    demo = subparsers.add_parser(
        "demo", help="run the whole sample evaluation on the bundled synthetic data",
        description="Run every notebook on the bundled synthetic sample data, and a per-team batch, "
                    "and write DIR/index.html linking every report. A new demo replaces the previous one.")
    demo.add_argument("--out", metavar="DIR", default="reports/demo", help="output folder (default reports/demo)")
    demo.set_defaults(handler=_demo)


def _formats(to: str) -> tuple[str, ...]:
    return ("html", "docx") if to == "docx" else ("html",)


def _run(args) -> int:
    from cscs_eval.reporting.runner import run_for_each, run_notebook

    if args.list_parameters:
        return _list_parameters(args.notebook)

    given = [tuple(p) for p in args.parameter]
    if args.for_each:
        results, index = run_for_each(args.notebook, args.for_each, out_dir=args.out, given=given,
                                      params_file=args.params_file, to=_formats(args.to), force=args.force,
                                      max_workers=args.jobs, reference_docx=args.reference_docx,
                                      progress=sys.stderr.isatty())
        failed = [r for r in results if not r.ok]
        for r in failed:
            print(f"cscs-eval: error: {r.label}: {r.error}", file=sys.stderr)
        print(f"{len(results) - len(failed)} of {len(results)} reports written; index: {index}")
        return 1 if failed else 0
    result = run_notebook(args.notebook, out_dir=args.out, given=given, params_file=args.params_file,
                          to=_formats(args.to), force=args.force, reference_docx=args.reference_docx, quiet=False)
    print(f"report: {result.html}")
    if result.docx:
        print(f"word: {result.docx}")
    print(f"executed notebook: {result.notebook} ({result.seconds:.1f} s)")
    return 0


def _demo(args) -> int:
    from cscs_eval.reporting.demo import run_demo

    results, index = run_demo(args.out, progress=sys.stderr.isatty())
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"cscs-eval: error: {r.label}: {r.error}", file=sys.stderr)
    print(f"{len(results) - len(failed)} of {len(results)} reports written; open {index}")
    return 1 if failed else 0


def _list_parameters(notebook) -> int:
    """Each parameter on one line: name, type, default (as Python writes it) and its help."""
    from cscs_eval.reporting.params import notebook_parameters
    from cscs_eval.reporting.runner import find_notebook

    path = find_notebook(notebook)
    params = notebook_parameters(path)
    print(f"{path.name}: {len(params)} parameters (set them with -p NAME VALUE or -f PARAMS.yaml)")
    width = max((len(p.name) for p in params.values()), default=0)
    for p in params.values():
        print(f"  {p.name:<{width}}  {p.type:<5} = {p.default!r}")
        if p.help:
            print(f"  {'':<{width}}  {p.help}")
    return 0


def _copy_notebooks(args) -> int:
    from cscs_eval.reporting.runner import copy_resources

    written = copy_resources(args.dir, force=args.force)
    for folder, n in written.items():
        print(f"copied {folder} ({n} files)")
    print(f"edit them, then from {args.dir}: cscs-eval run notebooks/proms_outcomes.ipynb")
    return 0
