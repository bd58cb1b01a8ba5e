"""``cscs-eval logic-model``: render a logic model, draft one from a CFIR summary, list ERIC strategies.

Nothing heavy is imported here at module level; the handlers import what they need.
"""

from __future__ import annotations

import sys
from pathlib import Path

FORMATS = ("svg", "png", "html", "md", "docx")
_YAML_SUFFIXES = (".yaml", ".yml")


def register(subparsers) -> None:
    from cscs_eval._commands import add_out_argument

    sub = subparsers.add_parser(
        "logic-model", help="Implementation Research Logic Models: render, draft from a CFIR summary, ERIC list",
        description="Implementation Research Logic Models (IRLM): determinants, ERIC strategies, mechanisms "
                    "and implementation, service and clinical outcomes joined by numbered links.")
    inner = sub.add_subparsers(dest="logic_model_command", metavar="COMMAND", required=True)

    render = inner.add_parser(
        "render", help="draw a logic model (YAML, or a CFIR summary table) as SVG, PNG, HTML, Markdown or Word",
        description="Render a logic model. FILE is a logic-model YAML file, or a CFIR summary table (CSV, Excel, "
                    "Parquet) from 'cscs-eval cfir summarise', which is drafted first. SVG, HTML and Markdown "
                    "are printed without --out; PNG and Word need --out.")
    render.add_argument("file", metavar="FILE", help="logic-model YAML file or CFIR summary table")
    from cscs_eval._commands import add_table_arguments

    add_table_arguments(render, "a summary table FILE")
    render.add_argument("--to", choices=FORMATS, help="output format (default: from the --out file's extension)")
    render.add_argument("--out", metavar="FILE", help="write the output to FILE (atomically)")
    render.add_argument("--no-figure", action="store_true", help="leave the figure out of HTML and Word")
    render.set_defaults(handler=_run_render)

    draft = inner.add_parser(
        "draft", help="draft a logic model (YAML) from a CFIR summary and measured outcomes, to edit",
        description="Draft a logic model from a CFIR summary: its strongest barriers and facilitators become "
                    "determinants with a starting ERIC strategy and mechanism each; outcomes come from team "
                    "implementation data (adoption, penetration) and --outcome options. Prints YAML without --out.")
    draft.add_argument("summary", metavar="SUMMARY", help="CFIR summary table (construct_id, construct, domain, "
                                                          "n_excerpts, n_cases, mean_rating, classification)")
    from cscs_eval._commands import add_table_arguments

    add_table_arguments(draft, "SUMMARY")
    draft.add_argument("--teams", metavar="FILE", help="team implementation data (team, eligible, approached_date, "
                                                       "engaged_date, pathway_mapped_date, trained_date)")
    draft.add_argument("--outcome", metavar="NAME=VALUE", action="append", default=[],
                       help="a measured outcome, e.g. 'Quality of life (ReQoL-10)=mean change +4.1'; repeatable")
    draft.add_argument("--barriers", type=int, default=3, metavar="N", help="how many barriers (default 3)")
    draft.add_argument("--facilitators", type=int, default=3, metavar="N", help="how many facilitators (default 3)")
    draft.add_argument("--title", default="Draft Implementation Research Logic Model", help="the model's title")
    draft.add_argument("--out", metavar="FILE", help="write the YAML to FILE (refuses to overwrite without "
                                                          "--force)")
    draft.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    draft.set_defaults(handler=_run_draft)

    strategies = inner.add_parser("strategies", help="list the 73 ERIC implementation strategies and their clusters",
                                  description="The ERIC compilation (Powell et al. 2015) with the 9 clusters of "
                                              "Waltz et al. (2015).")
    strategies.add_argument("--cluster", metavar="TEXT", help="only clusters whose name contains TEXT")
    add_out_argument(strategies)
    strategies.set_defaults(handler=_run_strategies)


def _load_model(path):
    from cscs_eval.errors import UsageError

    suffix = Path(path).suffix.lower()
    if suffix in _YAML_SUFFIXES:
        from cscs_eval.logic_model import read_logic_model

        return read_logic_model(path)
    from cscs_eval.io import TABLE_FORMATS

    if suffix in TABLE_FORMATS:
        from cscs_eval.logic_model import draft_from_summary

        return draft_from_summary(path)
    raise UsageError(f"{path}: expected a logic-model YAML file (.yaml) or a CFIR summary table "
                     f"({', '.join(sorted(TABLE_FORMATS))}), got '{suffix or 'no extension'}'")


def _run_render(args) -> int:
    from cscs_eval.io import output_format

    fmt = output_format(args.to, args.out, FORMATS, needs_file=("png", "docx"), flags=("--to", "--out"))
    from cscs_eval._commands import table_input

    model = _load_model(table_input(args, "file") if Path(args.file).suffix.lower() not in _YAML_SUFFIXES
                        else args.file)
    from cscs_eval.logic_model import render

    result = render(model, to=fmt, out=args.out, figure=not args.no_figure)
    if args.out:
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(result)
    return 0


def _parse_outcome_option(text):
    from cscs_eval.errors import UsageError

    name, sep, value = str(text).partition("=")
    if not sep or not name.strip() or not value.strip():
        raise UsageError(f"--outcome must be NAME=VALUE (e.g. 'Adoption=90'), got {text!r}")
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        return name.strip(), value
    return name.strip(), number


def _run_draft(args) -> int:
    from cscs_eval.errors import UsageError

    for option, n in (("--barriers", args.barriers), ("--facilitators", args.facilitators)):
        if n < 0:
            raise UsageError(f"{option} must be 0 or more, got {n}")
    if args.out and Path(args.out).suffix.lower() not in _YAML_SUFFIXES:
        raise UsageError(f"--out must name a .yaml file, got {args.out}")
    if args.out and Path(args.out).exists() and not args.force:
        raise UsageError(f"{args.out} exists; an evaluator may have edited it. Use --force to replace it")
    import pandas as pd

    from cscs_eval.logic_model import draft_from_summary, implementation_outcomes, to_yaml

    frames = []
    if args.teams:
        frames.append(implementation_outcomes(args.teams))
    extra = [_parse_outcome_option(o) for o in args.outcome]
    if extra:
        frames.append(pd.DataFrame([{"outcome": n, "value": v if isinstance(v, float) else None,
                                     "measure": None if isinstance(v, float) else v} for n, v in extra]))
    outcomes = pd.concat(frames, ignore_index=True) if frames else None
    from cscs_eval._commands import table_input

    model = draft_from_summary(table_input(args, "summary"), outcomes=outcomes, n_barriers=args.barriers,
                               n_facilitators=args.facilitators, title=args.title)
    text = to_yaml(model)
    if args.out:
        from cscs_eval.io import write_text

        write_text(text, args.out)
        print(f"wrote {args.out} ({len(model.determinants)} determinants, {len(model.links)} links); "
              "edit it, then: cscs-eval logic-model render " + args.out + " --to html --out logic_model.html",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _run_strategies(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.logic_model import eric_strategies

    df = eric_strategies()
    if args.cluster:
        df = df[df["cluster"].str.contains(args.cluster, case=False, regex=False)]
    emit_table(df, args.out)
    return 0
