"""``cscs-eval proms ...``: validate, score and pair PROMs extracts (no heavy imports here)."""

from __future__ import annotations

import sys


def _common(p, *, outcomes=False):
    from cscs_eval._commands import add_table_arguments

    p.add_argument("data", metavar="DATA", help="PROMs extract (.csv, .xlsx or .parquet) in the long format: "
                   "item responses or scores")
    add_table_arguments(p, "DATA")
    p.add_argument("--drop-invalid", action="store_true",
                   help="analyse the valid rows and report every excluded row with its reason "
                        "(default: stop and list the problems)")
    p.add_argument("--measures", metavar="PATH", action="append",
                   help="extra measure file or folder of YAML measure files (repeatable)")
    p.add_argument("--problems", metavar="FILE",
                   help="with --drop-invalid, also write every excluded input row (row, column, value, reason, "
                        "problem) to FILE")
    p.add_argument("--key-file", metavar="FILE",
                   help="pseudonymisation key file (default: the CSCS_EVAL_PSEUDONYM_KEY environment variable); "
                        "row-level output is refused without a key")
    if outcomes:
        p.add_argument("--referrals", metavar="FILE",
                       help="referrals (referral_id, patient_id, team, referral_date, discharge_date, n_contacts): "
                            "adds NHS England's eligible-referral flag")
        p.add_argument("--demographics", metavar="FILE",
                       help="demographics (patient_id, ethnicity, imd_decile, age_band, gender)")
        p.add_argument("--units", default="nhse", choices=("nhse", "research"),
                       help="units of change: nhse (default: ReQoL-10 total, each DIALOG item, each GBO goal) or "
                            "research (DIALOG means, GBO goal mean)")
        p.add_argument("--min-interval", metavar="DAYS", type=int, default=0,
                       help="least number of days between baseline and follow-up (default 0: any later date)")
        p.add_argument("--period-start", metavar="DATE", help="keep referrals with an assessment on or after DATE")
        p.add_argument("--period-end", metavar="DATE",
                       help="ignore assessments after DATE; referral eligibility is judged at DATE")


def register(subparsers) -> None:
    from cscs_eval._commands import add_out_argument, add_suppress_argument, add_table_arguments

    sub = subparsers.add_parser("proms", help="PROMs outcomes: validate, score and pair ReQoL-10, DIALOG, GBO, "
                                "PHQ-9 and GAD-7 to NHS England's definitions",
                                description="PROMs outcome statistics to NHS England's community mental-health "
                                "PROMs definitions. Row-level output carries pseudonymised ids.")
    inner = sub.add_subparsers(dest="proms_command", metavar="COMMAND", required=True)

    p = inner.add_parser("measures", help="list the known measures, their units of change and thresholds")
    p.add_argument("--measures", metavar="PATH", action="append", help="extra measure file or folder")
    add_out_argument(p)
    p.set_defaults(handler=_run_measures)

    p = inner.add_parser("validate", help="list every problem in a PROMs extract (exit 1 if any)")
    p.add_argument("data", metavar="DATA", help="PROMs extract (.csv, .xlsx or .parquet)")
    add_table_arguments(p, "DATA")
    p.add_argument("--measures", metavar="PATH", action="append", help="extra measure file or folder")
    add_out_argument(p, "write the problems to FILE (.csv, .parquet or .xlsx)")
    p.set_defaults(handler=_run_validate)

    p = inner.add_parser("score", help="scores per assessment (one row per assessment and score)")
    _common(p)
    add_out_argument(p)
    p.set_defaults(handler=_run_score)

    p = inner.add_parser("outcomes", help="paired change per referral and unit of change, with its category")
    _common(p, outcomes=True)
    add_out_argument(p)
    p.set_defaults(handler=_run_outcomes)

    p = inner.add_parser("summarise", help="team or group summary: paired rate, reliable change, effect sizes, "
                         "tests (small numbers suppressed unless --no-suppress)")
    _common(p, outcomes=True)
    p.add_argument("--by", default="team", help="grouping column: team (default), ethnicity, imd_decile, age_band, "
                   "gender, or 'none' for one overall row")
    add_suppress_argument(p)
    add_out_argument(p, "write every column (counts, rates with Wilson intervals, means, effect sizes, tests) to "
                        "FILE (.csv, .parquet or .xlsx); without it a short table with percentages is printed")
    p.set_defaults(handler=_run_summarise)


def _report_exclusions(result, args=None) -> None:
    if args is not None and getattr(args, "problems", None):
        from cscs_eval.io import write_table

        write_table(result.problems, args.problems)
        print(f"wrote {args.problems} ({len(result.problems)} problem rows)", file=sys.stderr)
    ex = result.exclusions
    if len(ex):
        # published as every table is (a reason with 4 rows reads *), unless --no-suppress
        from cscs_eval.governance import count_text

        suppress = getattr(args, "suppress", True) if args is not None else True
        shown = _exclusions_sheet(result, suppress=suppress)["Exclusions"].table
        print(f"excluded: {count_text(int(ex['n_rows'].sum()), suppress=suppress)} rows or scores", file=sys.stderr)
        for rec in shown.itertuples():
            print(f"  {rec.stage}: {rec.reason}: {rec.n_rows}", file=sys.stderr)


def _run_measures(args) -> int:
    from cscs_eval._commands import emit_table
    from cscs_eval.proms._measures import list_measures

    table = list_measures(extra=args.measures)
    # Printed, a measure without a cut-off shows blanks rather than NaN.
    emit_table(table if args.out else table.astype(object).where(table.notna(), ""), args.out)
    return 0


def _run_validate(args) -> int:
    from cscs_eval._commands import table_input
    from cscs_eval.io import file_origin, write_table
    from cscs_eval.proms._data import validate_proms

    problems = validate_proms(table_input(args), measures=args.measures)
    if args.out:
        write_table(problems, args.out, sheet="Problems")
    if problems.empty:
        print(f"{args.data}: no problems found")
        return 0
    sheet = file_origin(args.data)[0]
    where = f"{args.data}, sheet '{sheet}'" if sheet else args.data
    for rec in problems.itertuples(index=False):
        value = f" (value {rec.value!r})" if rec.value != "" else ""
        print(f"{where}, row {rec.row}, column '{rec.column}': {rec.problem}{value}")
    print(f"{len(problems)} problem(s) found in {args.data}", file=sys.stderr)
    return 1


def _key(args):
    from cscs_eval.governance import load_key

    return load_key(key_file=args.key_file)


def _run_score(args) -> int:
    from cscs_eval._commands import emit_tables, table_input
    from cscs_eval.proms._export import export_row_level
    from cscs_eval.proms._scoring import score

    key = _key(args)
    result = score(table_input(args), measures=args.measures, drop_invalid=args.drop_invalid)
    _report_exclusions(result, args)
    out = export_row_level(result, key=key)  # dates stay dates: Excel dates, ISO in CSV
    emit_tables({"Scores": out, **_exclusions_sheet(result)}, args.out)
    return 0


def _exclusions_sheet(result, *, suppress: bool = True) -> dict:
    """The exclusions as a second sheet of an Excel output (counts published under the small-number rules)."""
    from cscs_eval.governance import TableStructure, protect

    ex = result.exclusions
    if not len(ex):
        return {}
    return {"Exclusions": protect(ex.reset_index(drop=True), TableStructure(
        "exclusions", key=("stage", "reason"), counts=("n_rows",)), suppress=suppress)}


def _outcomes(args):
    from cscs_eval.proms._pairing import outcomes

    from cscs_eval._commands import table_input

    return outcomes(table_input(args), referrals=args.referrals, demographics=args.demographics,
                    drop_invalid=args.drop_invalid, measures=args.measures, units=args.units,
                    min_interval_days=args.min_interval, period_start=args.period_start,
                    period_end=args.period_end)


def _run_outcomes(args) -> int:
    from cscs_eval._commands import emit_tables
    from cscs_eval.proms._export import export_row_level

    key = _key(args)
    result = _outcomes(args)
    _report_exclusions(result, args)
    out = export_row_level(result, key=key)  # dates stay dates: Excel dates, ISO in CSV
    emit_tables({"Outcomes": out, **_exclusions_sheet(result)}, args.out)
    return 0


def _run_summarise(args) -> int:
    from cscs_eval._commands import emit_table, emit_tables
    from cscs_eval.proms._summary import publish_summary, summarise

    result = _outcomes(args)
    _report_exclusions(result, args)
    by = None if args.by.lower() == "none" else args.by
    summary = summarise(result, by=by)
    if not args.suppress:
        print("Not for publication: small numbers are shown (--no-suppress).", file=sys.stderr)
    if args.out:
        title = f"Summary by {by.replace('_', ' ')}" if by else "Summary"
        emit_tables({title: publish_summary(summary, suppress=args.suppress, table_id=f"proms_by_{by or 'all'}"),
                     **_exclusions_sheet(result, suppress=args.suppress)}, args.out)
    else:
        # Forty columns do not fit a terminal: print what a reader needs, as the report shows it.
        import pandas as pd

        from cscs_eval.proms._summary import report_table
        from cscs_eval.stats import format_number

        short = report_table(summary, suppress=args.suppress)
        short.insert(list(short.columns).index("unit") if "unit" in short.columns else len(by or []), "measure",
                     summary["measure"].to_numpy())
        for c in [c for c in short.columns if c.endswith("_pct") or c.startswith("mean_")]:
            short[c] = short[c].map(lambda v: v if isinstance(v, str) or pd.isna(v) else format_number(v, decimals=1))
        from cscs_eval.reporting.labels import label

        # headed as the workbook from --out is (its paired_rate and this paired_pct are both "Paired %")
        short = short.set_axis([label(c) for c in short.columns], axis=1)
        emit_table(short.astype(object).where(short.notna(), ""), None)
    return 0
