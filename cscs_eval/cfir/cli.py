"""``cscs-eval cfir ...``: the CFIR coding commands. Nothing heavy is imported at module level."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    from cscs_eval._commands import add_out_argument

    sub = subparsers.add_parser("cfir", help="CFIR 2.0 coding: codebook, validate, summarise, matrix, agreement, "
                                "REFI-QDA export and import",
                                description="Code interview notes against CFIR 2.0, rate constructs per case, "
                                "summarise facilitators and barriers, compare two coders and exchange projects "
                                "with QDA tools (REFI-QDA).")
    inner = sub.add_subparsers(dest="cfir_command", metavar="COMMAND", required=True)

    def paths(p, help_text="coding sheets (CSV, Excel, Parquet), coded notes (.md) or folders of them"):
        p.add_argument("paths", nargs="+", metavar="PATH", help=help_text)
        encoding(p)

    def encoding(p):
        p.add_argument("--encoding", default=None, metavar="NAME", type=_encoding_name,
                       help="text encoding of CSV sheets and notes (default utf-8; cp1252 for files saved by old "
                       "Excel)")

    def aliases(p):
        p.add_argument("--aliases", metavar="FILE", help="YAML file mapping local construct names to CFIR names "
                       "or ids, e.g. 'NHS policy: Policies & Laws'")

    def case_ratings(p):
        p.add_argument("--case-ratings", metavar="FILE", help="case ratings (case, construct, rating, rationale) "
                       "that override the ratings derived from excerpts")

    def reverse(p):
        p.add_argument("--reverse-complexity", action="store_true", help="the coders rated Innovation Complexity "
                       "itself (more complex = higher); flip it so + means it helps implementation")

    p = inner.add_parser("codebook", help="print the CFIR 2.0 codebook (5 domains, 48 constructs, 19 subconstructs)",
                         description="Print the CFIR 2.0 codebook; CSV columns id,level,domain,name,parent_id.")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format "
                   "(default table)")
    p.add_argument("--definitions", action="store_true", help="include the one-line definitions")
    p.add_argument("--crosswalk", action="store_true", help="print the CFIR 1.0 to 2.0 crosswalk instead")
    p.set_defaults(handler=_codebook)

    p = inner.add_parser("validate", help="check coding sheets and coded notes; list every problem, exit 1 if any",
                         description="Check coding sheets and coded notes and list every problem with its file, "
                         "line and a fix. Exit code 1 if there is any problem.")
    paths(p)
    aliases(p)
    case_ratings(p)
    add_out_argument(p, "also write the problems to FILE (.csv, .parquet or .xlsx)")
    p.set_defaults(handler=_validate)

    p = inner.add_parser("summarise", aliases=["summarize"], help="one row per construct: excerpts, cases, mean "
                         "rating and classification",
                         description="Summarise the coding: construct_id, construct, domain, n_excerpts, n_cases, "
                         "mean_rating, classification (strong/weak facilitator, mixed, weak/strong barrier, "
                         "insufficient data).")
    paths(p)
    aliases(p)
    case_ratings(p)
    p.add_argument("--by-domain", action="store_true", help="count constructs by domain and classification instead")
    p.add_argument("--all-constructs", action="store_true", help="list every construct, also those not coded")
    reverse(p)
    add_out_argument(p)
    p.set_defaults(handler=_summarise)

    p = inner.add_parser("matrix", help="construct x case matrix of case ratings",
                         description="The construct x case matrix of case-level ratings (+2 .. -2, X mixed, M "
                         "missing).")
    paths(p)
    aliases(p)
    case_ratings(p)
    reverse(p)
    add_out_argument(p)
    p.set_defaults(handler=_matrix)

    p = inner.add_parser("distinguishing", help="constructs that distinguish high from low implementation cases",
                         description="Compare case ratings between two groups of cases (Damschroder & Lowery "
                         "2013).")
    paths(p)
    aliases(p)
    case_ratings(p)
    p.add_argument("--groups", required=True, metavar="FILE", help="table with columns case, group")
    p.add_argument("--high", default="high", help="label of the high-implementation group (default high)")
    p.add_argument("--low", default="low", help="label of the low-implementation group (default low)")
    reverse(p)
    add_out_argument(p)
    p.set_defaults(handler=_distinguishing)

    p = inner.add_parser("themes", help="themes with their CFIR domains and constructs",
                         description="Themes with the CFIR domains and constructs they draw on, from the theme "
                         "column of the coding or a themes file.")
    paths(p)
    aliases(p)
    p.add_argument("--themes", metavar="FILE", help="YAML (theme: [constructs]) or table (theme, construct)")
    add_out_argument(p)
    p.set_defaults(handler=_themes)

    p = inner.add_parser("agreement", help="agreement between two coders, per construct and overall",
                         description="Agreement between two coders on the excerpts both coded (matched by "
                         "excerpt_id, else by case, source and text): percent agreement and Cohen's kappa on "
                         "whether each construct applies (pooled kappa in the 'overall' row), linearly weighted "
                         "kappa and Krippendorff's alpha (ordinal) on the ratings both gave; 0-1 scale, a row per "
                         "construct and a last 'overall' row.")
    p.add_argument("path_a", metavar="PATH_A", help="coder A's coding (file or folder)")
    p.add_argument("path_b", metavar="PATH_B", help="coder B's coding (file or folder)")
    encoding(p)
    aliases(p)
    p.add_argument("--level", choices=("excerpt", "case"), default="excerpt", help="compare excerpt codes "
                   "(default) or case-level ratings")
    p.add_argument("--disagreements", action="store_true", help="list the disagreements for the consensus "
                   "meeting instead")
    add_out_argument(p)
    p.set_defaults(handler=_agreement)

    p = inner.add_parser("convert", help="convert coded notes to a coding sheet or a sheet to coded notes",
                         description="Convert between coded notes (.md) and coding sheets. --to FILE.csv/.xlsx "
                         "writes a sheet; --to FOLDER writes one notes file per case, source and coder.")
    paths(p)
    aliases(p)
    p.add_argument("--to", required=True, metavar="FILE|FOLDER", help="a .csv/.xlsx/.parquet sheet or a folder")
    p.set_defaults(handler=_convert)

    p = inner.add_parser("export", help="export to REFI-QDA: --to FILE.qdc (codebook) or FILE.qdpx (project)",
                         description="Write the CFIR codebook as a REFI-QDA codebook (.qdc), or the coding as a "
                         "REFI-QDA project (.qdpx) that NVivo, ATLAS.ti, MAXQDA and QualCoder can import.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="coding files (not needed for .qdc)")
    encoding(p)
    aliases(p)
    case_ratings(p)
    p.add_argument("--to", required=True, metavar="FILE", help="output .qdc or .qdpx file")
    p.set_defaults(handler=_export)

    p = inner.add_parser("import", help="import a REFI-QDA project (.qdpx) as a coding sheet",
                         description="Read a REFI-QDA project written by cscs-eval or another QDA tool into a "
                         "coding sheet. Codes that are not CFIR constructs need an alias file.")
    p.add_argument("path", metavar="FILE.qdpx", help="the project")
    aliases(p)
    p.add_argument("--out", metavar="FILE", required=True, help="the coding sheet to write (.csv, .parquet or "
                   ".xlsx)")
    p.add_argument("--case-ratings-out", metavar="FILE", help="also write the case memo's ratings that a "
                   "cscs-eval project carries (case, construct, rating, rationale), for --case-ratings")
    p.set_defaults(handler=_import)


def _encoding_name(text):
    import argparse
    import codecs

    try:
        return codecs.lookup(text).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {text!r}; use e.g. utf-8 or cp1252") from None


def _load(args, with_case_ratings=False):
    from cscs_eval.cfir.coding import load_coding

    return load_coding(args.paths, getattr(args, "aliases", None),
                       getattr(args, "case_ratings", None) if with_case_ratings else None,
                       reverse_rated=getattr(args, "reverse_complexity", False),
                       encoding=getattr(args, "encoding", None))


def _codebook(args) -> int:
    from cscs_eval.cfir.codebook import codebook, crosswalk
    from cscs_eval._commands import emit_table

    if args.crosswalk:
        df = crosswalk()
    else:
        df = codebook(definitions=args.definitions)
        cols = ["id", "level", "domain", "name", "parent_id"] + (["definition"] if args.definitions else [])
        df = df[cols]
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(df.to_json(orient="records", force_ascii=False, indent=1))
    else:
        emit_table(df.fillna(""))
    return 0


def _validate(args) -> int:
    from cscs_eval.cfir.coding import _expand, validate
    from cscs_eval.io import write_table

    problems = validate(args.paths, aliases=args.aliases, encoding=args.encoding, case_ratings=args.case_ratings)
    if args.out:
        write_table(problems, args.out)
    if problems.empty:
        n = len(_expand(args.paths))
        print(f"no problems found in {n} file(s)")
        return 0
    for r in problems.itertuples(index=False):
        where = r.file or "(input)"
        if r.line is not None and str(r.line) != "<NA>":
            where += f":{r.line}"
        col = f" [{r.column}]" if r.column is not None and str(r.column) != "<NA>" else ""
        print(f"{where}{col}: {r.problem}\n    fix: {r.fix}")
    print(f"{len(problems)} problem(s) found", file=sys.stderr)
    return 1


def _summarise(args) -> int:
    from cscs_eval.cfir.ratings import counts_by_domain, summarise
    from cscs_eval._commands import emit_table

    coding = _load(args, True)
    if args.by_domain:
        out = counts_by_domain(coding)
    else:
        out = summarise(coding, all_constructs=args.all_constructs)
        out = out[["construct_id", "construct", "domain", "n_excerpts", "n_cases", "mean_rating", "classification"]]
    emit_table(out, args.out)
    return 0


def _matrix(args) -> int:
    from cscs_eval.cfir.ratings import matrix
    from cscs_eval._commands import emit_table

    coding = _load(args, True)
    emit_table(matrix(coding), args.out)
    return 0


def _distinguishing(args) -> int:
    from cscs_eval.cfir.ratings import distinguishing_constructs
    from cscs_eval._commands import emit_table

    coding = _load(args, True)
    out = distinguishing_constructs(coding, args.groups, high=args.high, low=args.low)
    emit_table(out, args.out)
    return 0


def _themes(args) -> int:
    from cscs_eval.cfir.ratings import themes_table
    from cscs_eval._commands import emit_table

    emit_table(themes_table(_load(args), args.themes), args.out)
    return 0


def _agreement(args) -> int:
    from cscs_eval.cfir.coding import load_coding
    from cscs_eval.cfir.reliability import agreement, case_agreement, disagreements
    from cscs_eval._commands import emit_table

    a = load_coding([args.path_a], args.aliases, encoding=args.encoding)
    b = load_coding([args.path_b], args.aliases, encoding=args.encoding)
    if args.disagreements:
        out = disagreements(a, b)
    elif args.level == "case":
        out = case_agreement(a, b)
    else:
        out = agreement(a, b)
    if not args.out and not args.disagreements:
        out = out.round(3)
    emit_table(out, args.out)
    return 0


def _convert(args) -> int:
    from pathlib import Path

    from cscs_eval.cfir.coding import to_coding_sheet, write_coded_notes
    from cscs_eval.io import TABLE_FORMATS

    coding = _load(args)
    target = Path(args.to)
    if target.suffix.lower() in TABLE_FORMATS:
        to_coding_sheet(coding, target)
        print(f"wrote {target} ({len(coding)} codes)", file=sys.stderr)
    else:
        if target.exists() and not target.is_dir():
            from cscs_eval.errors import UsageError

            raise UsageError(f"--to {target}: not a folder or a .csv/.xlsx/.parquet file")
        written = write_coded_notes(coding, target)
        print(f"wrote {len(written)} notes file(s) to {target}", file=sys.stderr)
    return 0


def _export(args) -> int:
    from cscs_eval.cfir.refiqda import export_qdc, export_qdpx
    from cscs_eval.errors import UsageError

    to = args.to.lower()
    if to.endswith(".qdc"):
        export_qdc(args.to)
        if args.paths:
            print("note: a .qdc file holds the CFIR codebook only, so the coding files were not read; "
                  "use --to FILE.qdpx to export the coding", file=sys.stderr)
    elif to.endswith(".qdpx"):
        if not args.paths:
            raise UsageError("export --to FILE.qdpx needs the coding files (PATH ...)")
        export_qdpx(_load(args, True), args.to)
    else:
        raise UsageError(f"--to must end in .qdc (codebook) or .qdpx (project), got {args.to!r}")
    print(f"wrote {args.to}", file=sys.stderr)
    return 0


def _import(args) -> int:
    from cscs_eval.cfir.coding import to_coding_sheet
    from cscs_eval.cfir.refiqda import import_qdpx
    from cscs_eval._commands import emit_table

    coding = import_qdpx(args.path, aliases=args.aliases)
    records = coding.attrs.get("case_ratings") or []
    if args.case_ratings_out:
        import pandas as pd

        ratings = pd.DataFrame(records, columns=["case", "construct_id", "rating", "rationale"])
        emit_table(ratings.rename(columns={"construct_id": "construct"}), args.case_ratings_out)
    elif records:
        print(f"note: the project carries {len(records)} case rating(s) from the case memo; write them with "
              "--case-ratings-out FILE", file=sys.stderr)
    emit_table(to_coding_sheet(coding), args.out)
    return 0
