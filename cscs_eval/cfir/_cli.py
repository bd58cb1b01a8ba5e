"""``cscs-eval cfir ...``: the CFIR coding commands. Nothing heavy is imported at module level.

``--to`` is always a format and ``--out`` always a path. ``--encoding`` and ``--debug`` come from
the top-level parser (they are accepted after any command); the readers take the encoding from
``CSCS_EVAL_ENCODING``, which ``--encoding`` sets for the run.
"""

from __future__ import annotations

import sys

#: What ``cfir export --to`` writes, with the file extension of each format.
EXPORT_FORMATS = {"qdpx": (".qdpx",), "qdc": (".qdc",)}
#: What ``cfir convert --to`` writes: coded notes (a folder) or a coding sheet (a file).
CONVERT_FORMATS = {"notes": (), "csv": (".csv",), "tsv": (".tsv",), "xlsx": (".xlsx", ".xlsm"),
                   "parquet": (".parquet", ".pq")}


def register(subparsers) -> None:
    from cscs_eval._commands import add_out_argument, add_table_arguments

    sub = subparsers.add_parser("cfir", help="CFIR 2.0 coding: codebook, validate, summarise, matrix, agreement, "
                                "REFI-QDA export and import",
                                description="Code interview notes against CFIR 2.0, rate constructs per case, "
                                "summarise facilitators and barriers, compare two coders and exchange projects "
                                "with QDA tools (REFI-QDA).")
    inner = sub.add_subparsers(dest="cfir_command", metavar="COMMAND", required=True)

    def aliases(p):
        p.add_argument("--aliases", metavar="FILE", help="YAML file mapping local construct names to CFIR names "
                       "or ids, e.g. 'NHS policy: Policies & Laws'")

    def case_ratings(p):
        p.add_argument("--case-ratings", metavar="FILE", help="case ratings (case, construct, rating, rationale) "
                       "that override the ratings derived from excerpts")

    def coding_command(name, help_text, description, handler, *, rated=True, reverse=False, out=True, paths="+",
                       **kwargs):
        """A subcommand that reads coding files: PATH..., --aliases and, for ratings, --case-ratings; with
        ``reverse`` --reverse-complexity, with ``out`` --out FILE for the table (``out`` may be its help)."""
        p = inner.add_parser(name, help=help_text, description=description, **kwargs)
        p.add_argument("paths", nargs=paths, metavar="PATH",
                       help="coding sheets (CSV, Excel, Parquet), coded notes (.md) or folders of them")
        add_table_arguments(p, "each coding sheet")
        aliases(p)
        if rated:
            case_ratings(p)
        if reverse:
            p.add_argument("--reverse-complexity", action="store_true", help="the coders rated Innovation "
                           "Complexity itself (more complex = higher); flip it so + means it helps implementation")
        if out:
            add_out_argument(p, *([out] if isinstance(out, str) else []))
        p.set_defaults(handler=handler)
        return p

    p = inner.add_parser("codebook", help="print the CFIR 2.0 codebook (5 domains, 48 constructs, 19 subconstructs)",
                         description="Print the CFIR 2.0 codebook; CSV columns id,level,domain,name,parent_id.")
    p.add_argument("--to", choices=("table", "csv", "json"), default=None,
                   help="format printed on stdout (default table)")
    p.add_argument("--definitions", action="store_true", help="include the one-line definitions")
    p.add_argument("--crosswalk", action="store_true", help="print the CFIR 1.0 to 2.0 crosswalk instead")
    add_out_argument(p, "write the codebook to FILE instead (.csv, .parquet or .xlsx, by its extension)")
    p.set_defaults(handler=_codebook)

    coding_command("validate", "check coding sheets and coded notes; list every problem, exit 1 if any",
                   "Check coding sheets and coded notes and list every problem with its file, line and a fix on "
                   "stdout. Exit code 1 if there is any problem.", _validate,
                   out="also write the problems to FILE (.csv, .parquet or .xlsx)")

    p = coding_command("summarise", "one row per construct: excerpts, cases, mean rating and classification",
                       "Summarise the coding: construct_id, construct, domain, n_excerpts, n_cases, mean_rating, "
                       "classification (strong/weak facilitator, mixed, weak/strong barrier, insufficient data).",
                       _summarise, reverse=True, aliases=["summarize"])
    p.add_argument("--by-domain", action="store_true", help="count constructs by domain and classification instead")
    p.add_argument("--all-constructs", action="store_true", help="list every construct, also those not coded")

    coding_command("matrix", "construct x case matrix of case ratings",
                   "The construct x case matrix of case-level ratings (+2 .. -2, X mixed, M missing).", _matrix,
                   reverse=True)

    p = coding_command("distinguishing", "constructs that distinguish high from low implementation cases",
                       "Compare case ratings between two groups of cases (Damschroder & Lowery 2013).",
                       _distinguishing, reverse=True)
    p.add_argument("--groups", required=True, metavar="FILE", help="table with columns case, group")
    p.add_argument("--high", default="high", help="label of the high-implementation group (default high)")
    p.add_argument("--low", default="low", help="label of the low-implementation group (default low)")

    p = coding_command("themes", "themes with their CFIR domains and constructs",
                       "Themes with the CFIR domains and constructs they draw on, from the theme column of the "
                       "coding or a themes file.", _themes, rated=False)
    p.add_argument("--themes", metavar="FILE", help="YAML (theme: [constructs]) or table (theme, construct)")

    p = inner.add_parser("agreement", help="agreement between two coders, per construct and overall",
                         description="Agreement between two coders on the excerpts both coded (matched by "
                         "excerpt_id, else by case, source and text): percent agreement and Cohen's kappa on "
                         "whether each construct applies (pooled kappa in the 'overall' row), linearly weighted "
                         "kappa and Krippendorff's alpha (ordinal) on the ratings both gave; 0-1 scale, a row per "
                         "construct and a last 'overall' row.")
    p.add_argument("path_a", metavar="PATH_A", help="coder A's coding (file or folder)")
    p.add_argument("path_b", metavar="PATH_B", help="coder B's coding (file or folder)")
    add_table_arguments(p, "each coding sheet")
    aliases(p)
    p.add_argument("--level", choices=("excerpt", "case"), default="excerpt", help="compare excerpt codes "
                   "(default) or case-level ratings")
    p.add_argument("--disagreements", action="store_true", help="list the disagreements for the consensus "
                   "meeting instead")
    add_out_argument(p)
    p.set_defaults(handler=_agreement)

    p = coding_command("convert", "convert coded notes to a coding sheet or a sheet to coded notes",
                       "Convert between coded notes (.md) and coding sheets: --to notes writes one notes file per "
                       "case, source and coder into the folder --out; --to csv, tsv, xlsx or parquet writes a "
                       "coding sheet to the file --out.", _convert, rated=False, out=False)
    p.add_argument("--to", choices=tuple(CONVERT_FORMATS), help="what to write; when omitted, from --out: "
                   "a .csv/.tsv/.xlsx/.parquet file is a sheet, anything else a folder of notes")
    p.add_argument("--out", required=True, metavar="PATH", help="the sheet file, or the folder for the notes")

    p = coding_command("export", "export to REFI-QDA: the coding as a project (qdpx) or the codebook (qdc)",
                       "Write the coding as a REFI-QDA project (.qdpx) that NVivo, ATLAS.ti, MAXQDA and "
                       "QualCoder can import, or the CFIR codebook as a REFI-QDA codebook (.qdc).", _export, out=False,
                       paths="*")
    p.add_argument("--to", choices=tuple(EXPORT_FORMATS), help="qdpx (the coding as a project; needs PATH) or "
                   "qdc (the codebook alone); when omitted, from the extension of --out")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (.qdpx or .qdc)")

    p = coding_command("suggest", "suggest CFIR codes for the paragraphs of notes that carry no code yet",
                       "For each paragraph or bullet of the notes that carries no [[...]] code yet, the K most "
                       "likely CFIR 2.0 constructs and subconstructs with a score and the words or coded "
                       "excerpts that led to each, from the codebook, a cue lexicon and the project's coding so "
                       "far. Nothing is coded: with --write each paragraph gets a review marker "
                       "[[? Construct; Construct]] that the evaluator accepts or deletes; validate lists every "
                       "marker and summarise, export and the reports refuse a file that still holds one.",
                       _suggest, rated=False, out="write the suggestions to FILE (.csv, .parquet or .xlsx)")
    p.add_argument("--top", type=int, default=3, metavar="K", help="candidates per paragraph (default 3)")
    p.add_argument("--write", action="store_true", help="add the candidates to each paragraph as a review marker "
                   "(the file's previous version is kept as NAME.md.bak)")

    p = inner.add_parser("workbench", help="code a folder of notes in the browser, with suggestions",
                         description="Serve the evaluator's workbench on 127.0.0.1: the notes on the left; select "
                         "text to get suggested constructs and a searchable codebook; pick constructs, a rating "
                         "and a memo, and the codes are written into the notes file in the [[...]] syntax "
                         "(atomically, previous version kept as NAME.md.bak, refused if the file changed on disk "
                         "meanwhile); the case's coverage and the construct x case matrix update beside it. "
                         "Ctrl-C stops it.")
    p.add_argument("notes_dir", metavar="NOTES_DIR", help="the folder of coded notes (.md)")
    aliases(p)
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one the system picks)")
    p.add_argument("--no-browser", action="store_true", help="print the address only; do not open a browser")
    p.set_defaults(handler=_workbench)

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


def _output_format(to, out, formats) -> str:
    """The format named by ``--to``, or told by the extension of ``--out`` (a folder where a format has
    no extension); a ``--to`` that the extension contradicts is a usage error."""
    from pathlib import Path

    from cscs_eval.errors import UsageError

    suffix = Path(out).suffix.lower()
    by_suffix = next((name for name, exts in formats.items() if suffix in exts), None)
    folder = next((name for name, exts in formats.items() if not exts), None)
    allowed = ", ".join(f"{name} ({'/'.join(exts) or 'a folder'})" for name, exts in formats.items())
    if to is None:
        if by_suffix or folder:
            return by_suffix or folder
        raise UsageError(f"--out {out}: cannot tell the format from {suffix or 'no extension'!r}; give --to, one "
                         f"of {allowed}")
    wanted = formats[to]
    if (wanted and suffix not in wanted) or (not wanted and by_suffix):
        raise UsageError(f"--to {to} writes {'a file ending in ' + ' or '.join(wanted) if wanted else 'a folder'}, "
                         f"but --out is {out}; allowed: {allowed}")
    return to


def _load(args, with_case_ratings=False):
    from cscs_eval.cfir._coding import load_coding

    from cscs_eval._commands import table_input

    return load_coding(table_input(args, "paths"), aliases=getattr(args, "aliases", None),
                       case_ratings=getattr(args, "case_ratings", None) if with_case_ratings else None,
                       reverse_rated=getattr(args, "reverse_complexity", False))


def _codebook(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.cfir._codebook import codebook, crosswalk
    from cscs_eval.errors import UsageError

    if args.to and args.out:
        raise UsageError("give --to (the format printed) or --out (a file, its format from the extension), "
                         "not both")
    if args.crosswalk:
        df = crosswalk()
    else:
        df = codebook(definitions=args.definitions)
        df = df[["id", "level", "domain", "name", "parent_id"] + (["definition"] if args.definitions else [])]
    if args.to == "csv":
        df.to_csv(sys.stdout, index=False)
    elif args.to == "json":
        print(df.to_json(orient="records", force_ascii=False, indent=1))
    else:
        emit_table(df if args.out else df.fillna(""), args.out)
    return 0


def _validate(args) -> int:
    from cscs_eval.cfir._coding import _expand, problem_text, validate
    from cscs_eval.io import write_table

    from cscs_eval._commands import table_input

    problems = validate(table_input(args, "paths"), aliases=args.aliases, case_ratings=args.case_ratings)
    if args.out:
        write_table(problems, args.out)
    if problems.empty:
        print(f"no problems found in {len(_expand(args.paths))} file(s)")
        return 0
    for r in problems.itertuples(index=False):
        print(problem_text(r.file, r.line, r.column, r.problem, r.fix))
    print(f"{len(problems)} problem(s) found", file=sys.stderr)
    return 1


def _summarise(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.cfir._ratings import SUMMARY_COLUMNS, counts_by_domain

    coding = _load(args, True)
    if args.by_domain:
        out = counts_by_domain(coding)
    else:
        out = coding.summary(all_constructs=args.all_constructs)[SUMMARY_COLUMNS]
    emit_table(out, args.out)
    return 0


def _matrix(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.cfir._ratings import matrix

    emit_table(matrix(_load(args, True)), args.out)
    return 0


def _distinguishing(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.cfir._ratings import distinguishing_constructs

    out = distinguishing_constructs(_load(args, True), groups=args.groups, high=args.high, low=args.low)
    emit_table(out, args.out)
    return 0


def _themes(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.cfir._ratings import themes_table

    emit_table(themes_table(_load(args), themes=args.themes), args.out)
    return 0


def _agreement(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.cfir._coding import load_coding
    import pandas as pd

    from cscs_eval.cfir._reliability import agreement, blank_note, case_agreement, disagreements
    from cscs_eval.stats import round_half_up

    from cscs_eval._commands import table_input

    a = load_coding([table_input(args, "path_a")], aliases=args.aliases)
    b = load_coding([table_input(args, "path_b")], aliases=args.aliases)
    if args.disagreements:
        out = disagreements(a, b)
    elif args.level == "case":
        out = case_agreement(a, b)
    else:
        out = agreement(a, b)
    note = None if args.disagreements else blank_note(out, n_column="n_cases" if args.level == "case" else "n_rated")
    if not args.out and not args.disagreements:
        rated = ["weighted_kappa", "krippendorff_alpha"]
        # a missing statistic prints blank, and the note under the table says why
        out = out.assign(**{c: round_half_up(out[c], decimals=3) for c in out.columns
                            if pd.api.types.is_float_dtype(out[c])}).astype({c: object for c in rated})
        out[rated] = out[rated].where(out[rated].notna(), "")
    emit_table(out, args.out)
    if note:  # on stderr, as "wrote ...", so stdout stays a table to pipe
        print(note, file=sys.stderr)
    return 0


def _convert(args) -> int:
    from cscs_eval.cfir._coding import to_coding_sheet, write_coded_notes

    from pathlib import Path

    from cscs_eval.errors import UsageError

    fmt = _output_format(args.to, args.out, CONVERT_FORMATS)
    if fmt == "notes" and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out}: --to notes writes a folder, and this is a file")
    coding = _load(args)
    if fmt == "notes":
        written = write_coded_notes(coding, args.out)
        print(f"wrote {len(written)} notes file(s) to {args.out}", file=sys.stderr)
    else:
        to_coding_sheet(coding, path=args.out)
        print(f"wrote {args.out} ({len(coding.table)} codes)", file=sys.stderr)
    return 0


def _export(args) -> int:
    from cscs_eval.cfir._refiqda import export_qdc, export_qdpx
    from cscs_eval.errors import UsageError

    fmt = _output_format(args.to, args.out, EXPORT_FORMATS)
    if fmt == "qdc":
        export_qdc(args.out)
        if args.paths:
            print("note: a .qdc file holds the CFIR codebook only, so the coding files were not read; "
                  "use --to qdpx to export the coding", file=sys.stderr)
    else:
        if not args.paths:
            raise UsageError("export --to qdpx needs the coding files (PATH ...)")
        export_qdpx(_load(args, True), args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _suggest(args) -> int:
    from pathlib import Path

    from cscs_eval._commands import emit_table, table_input
    from cscs_eval.cfir._coding import _read
    from cscs_eval.cfir._suggest import Suggester, notes_files, uncoded_passages, write_review_markers
    from cscs_eval.errors import UsageError

    if args.top < 1:
        raise UsageError(f"--top must be 1 or more, got {args.top}")
    coding = _read(table_input(args, "paths"), aliases=args.aliases, drafts=True)  # markers, uncoded files allowed
    passages = uncoded_passages(args.paths)
    if passages.empty:
        print(f"every paragraph of the {len(notes_files(args.paths))} notes file(s) carries a code or a review "
              "marker: nothing to suggest", file=sys.stderr)
        return 0
    from cscs_eval import stats

    model = Suggester(coding if len(coding.table) else None, aliases=args.aliases)
    result = model.suggest(passages, top=args.top)
    if args.out:
        emit_table(result.table.drop(columns=["passage_id"]), args.out)
    else:
        for (file, line), rows in result.table.groupby(["file", "line"], sort=False):
            text = rows["passage"].iloc[0]
            print(f"{Path(file).name}:{line}  {text if len(text) <= 100 else text[:97].rstrip() + '...'}")
            for r in rows.itertuples(index=False):
                print(f"  {r.rank}. {r.construct} ({r.construct_id})  {stats.format_number(r.score, decimals=2)}"
                      + (f"  {r.evidence}" if r.evidence else ""))
    print(result.text(), file=sys.stderr)
    if args.write:
        written = write_review_markers(result)
        print(f"added {len(passages)} review marker(s) to {len(written)} file(s), each file's previous version kept "
              "as NAME.md.bak; accept or delete each marker, then run 'cscs-eval cfir validate'", file=sys.stderr)
    return 0


def _workbench(args) -> int:
    from cscs_eval.cfir._workbench import workbench

    return workbench(args.notes_dir, aliases=args.aliases, port=args.port, open_browser=not args.no_browser)


def _import(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.cfir._coding import to_coding_sheet
    from cscs_eval.cfir._refiqda import import_qdpx

    coding = import_qdpx(args.path, aliases=args.aliases)
    ratings = coding.case_ratings
    if args.case_ratings_out:
        if ratings is None:
            import pandas as pd

            ratings = pd.DataFrame(columns=["case", "construct_id", "rating", "rationale"])
        emit_table(ratings[["case", "construct_id", "rating", "rationale"]].rename(
            columns={"construct_id": "construct"}), args.case_ratings_out)
    elif ratings is not None:
        print(f"note: the project carries {len(ratings)} case rating(s) from the case memo; write them with "
              "--case-ratings-out FILE", file=sys.stderr)
    emit_table(to_coding_sheet(coding), args.out)
    return 0
