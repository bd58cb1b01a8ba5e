"""``cscs-eval benefits its|spc|funnel|register``: benefit analyses from the command line.

Nothing heavy is imported here at module level; each handler imports what it needs.
"""

from __future__ import annotations

import sys

#: What ``benefits funnel --no-suppress`` says under its output.
NOT_FOR_PUBLICATION = "Not for publication: small numbers are shown unsuppressed (--no-suppress)."


def register(subparsers) -> None:
    from cscs_eval._commands import add_out_argument, add_suppress_argument, add_table_arguments

    sub = subparsers.add_parser(
        "benefits", help="benefit analyses: SPC charts, interrupted time series, funnel plots, benefits register",
        description="Benefit analyses as NHS references compute them: Making Data Count SPC (XmR) charts, "
                    "interrupted time series around a service change, funnel plots comparing teams, and the "
                    "benefits register with each indicator's SPC variation and assurance.")
    inner = sub.add_subparsers(dest="benefits_command", metavar="COMMAND", required=True)

    p = inner.add_parser(
        "spc", help="XmR chart data with the Making Data Count rules (as NHSRplotthedots)",
        description="Write date, value, mean, lpl, upl, point_type for each point and print the variation and "
                    "assurance summary. Limits: mean +/- 2.66 mean moving ranges; rules: outside the limits, "
                    "7-point trend, 2 of 3 near the limits, 7-point shift.")
    _series_arguments(p)
    p.add_argument("--improvement", choices=("increase", "decrease", "neutral"), default="increase",
                   help="which direction is better (default increase)")
    p.add_argument("--target", type=float, help="a target value, for the assurance of the latest limits")
    p.add_argument("--rebase", action="append", metavar="DATE", default=[],
                   help="start new limits at this date (a date of the series); repeat for more")
    p.add_argument("--screen-outliers", action="store_true",
                   help="screen moving ranges >= 3.267 x their mean before computing the limits "
                        "(NHSRplotthedots' default; off by default to match the Making Data Count Excel tools)")
    add_out_argument(p)
    p.set_defaults(handler=_run_spc)

    p = inner.add_parser(
        "its", help="interrupted time series: level and slope change at each change date",
        description="Segmented regression (statsmodels OLS, Newey-West errors) with a level and a slope change "
                    "at each change date; writes term, estimate, lower, upper, p_value with rows level_change, "
                    "slope_change (level_change_2, slope_change_2 for a second date, ...).")
    _series_arguments(p)
    p.add_argument("--change", action="append", metavar="DATE", required=True,
                   help="date of a service change (inside the series); repeat for more")
    p.add_argument("--seasonal", action="store_true", help="add a seasonal (sine and cosine) term")
    p.add_argument("--maxlags", type=int, help="Newey-West lags, 0 to n - 1 for n points "
                                                    "(default floor(4 (n/100)^(2/9)))")
    p.add_argument("--errors", choices=("newey-west", "ar1"), default="newey-west",
                   help="standard errors: newey-west (default; OLS with Newey-West errors) or ar1 (GLS with "
                        "AR(1) errors, nearer their nominal coverage in short series)")
    add_out_argument(p)
    p.set_defaults(handler=_run_its)

    p = inner.add_parser(
        "funnel", help="funnel-plot limits for group proportions (as FunnelPlotR)",
        description="95%% and 99.8%% limits by Spiegelhalter's arcsine method with DerSimonian-Laird "
                    "over-dispersion; writes group, numerator, denominator, rate, lower95, upper95, lower998, "
                    "upper998, outlier. Small numbers are suppressed for publication: counts of 1 to 4 as *, "
                    "other counts rounded to the nearest 5, and a group's rate and limits withheld where its "
                    "numerator or denominator is 1 to 4.")
    p.add_argument("data", metavar="DATA", help="one row per group (CSV, TSV, Excel or Parquet), such as "
                   "'benefits paired' writes")
    add_table_arguments(p, "DATA")
    p.add_argument("--by", default="group", metavar="COL", help="grouping column, one row per group (default group)")
    p.add_argument("--numerator", default="numerator", metavar="COL", help="numerator column (default numerator)")
    p.add_argument("--denominator", default="denominator", metavar="COL",
                   help="denominator column (default denominator)")
    p.add_argument("--no-overdispersion", action="store_true",
                   help="plain binomial limits, without the between-group variance")
    add_suppress_argument(p)
    add_out_argument(p)
    p.set_defaults(handler=_run_funnel)

    p = inner.add_parser(
        "register", help="the benefits register with each indicator's SPC variation and assurance",
        description="Read a register (benefit, indicator, baseline, target, current, owner, status) and the "
                    "indicator series (indicator, date, value); the improvement direction is from baseline "
                    "towards target.")
    p.add_argument("register", metavar="REGISTER", help="the benefits register file")
    add_table_arguments(p, "REGISTER")
    p.add_argument("--indicators", required=True, metavar="FILE", help="indicator series: indicator, date, value")
    p.add_argument("--screen-outliers", action="store_true", help="screen large moving ranges (see 'spc')")
    p.add_argument("--rebase", action="append", metavar="INDICATOR=DATE", default=[],
                   help="start new limits for that indicator at DATE (e.g. after a service change); repeat for more")
    add_out_argument(p)
    p.set_defaults(handler=_run_register)

    p = inner.add_parser(
        "paired", help="paired PROMs by team (or another column): the input of 'benefits funnel'",
        description="From a PROMs extract and its referrals: one row per team (or --by column) with paired, the "
                    "eligible referrals with a paired baseline and follow-up, and eligible, NHS England's "
                    "eligible referrals (the paired-rate denominator). Counts are suppressed for publication "
                    "unless --no-suppress; 'benefits funnel' needs the exact counts, so make its input with "
                    "--no-suppress and publish the funnel's own (suppressed) output.")
    p.add_argument("data", metavar="DATA", help="PROMs extract (.csv, .xlsx or .parquet)")
    add_table_arguments(p, "DATA")
    p.add_argument("--referrals", required=True, metavar="FILE",
                   help="referrals (referral_id, patient_id, team, referral_date, discharge_date, n_contacts)")
    p.add_argument("--demographics", metavar="FILE", help="demographics, for --by an equality group")
    p.add_argument("--by", default="team", metavar="COL", help="grouping column (default team)")
    add_suppress_argument(p)
    add_out_argument(p)
    p.set_defaults(handler=_run_paired)


def _series_arguments(p) -> None:
    from cscs_eval._commands import add_table_arguments

    p.add_argument("data", metavar="DATA", help="the series (CSV, TSV, Excel or Parquet)")
    add_table_arguments(p, "DATA")
    p.add_argument("--date", default="date", metavar="COL", help="date column (default date)")
    p.add_argument("--value", default="value", metavar="COL", help="value column (default value)")
    p.add_argument("--indicator", metavar="NAME",
                   help="with an 'indicator' column holding several series, the one to analyse")


def _normalise(args, *names) -> None:
    """Column names are matched as read_table normalises them (case, spaces), and a column's label
    names it too (``--denominator "Eligible referrals"``)."""
    from cscs_eval.io import column_key

    for name in names:
        setattr(args, name, column_key(getattr(args, name)))


def _read_series(args):
    """The series file and the options every series command shares, as keyword arguments."""
    from cscs_eval.io import read_table

    from cscs_eval._commands import table_input

    _normalise(args, "date", "value")
    df = read_table(table_input(args), required=(args.date, args.value))
    return df, {"date": args.date, "value": args.value, "indicator": args.indicator, "label": args.indicator,
                "source": args.data}


def _run_spc(args) -> int:
    from cscs_eval.benefits._xmr import ASSURANCE_LABELS, VARIATION_LABELS, spc
    from cscs_eval._commands import emit_table

    data, common = _read_series(args)
    res = spc(data, improvement=args.improvement, target=args.target, rebase=args.rebase,
              screen_outliers=args.screen_outliers, **common)
    emit_table(res.chart_table(), args.out, sheet="SPC chart")  # dates stay dates
    stream = sys.stdout
    if not args.out:
        print(file=stream)
    print(f"variation: {res.variation} ({VARIATION_LABELS[res.variation]})", file=stream)
    if res.assurance:
        print(f"assurance: {res.assurance} ({ASSURANCE_LABELS[res.assurance]})", file=stream)
    elif args.target is not None:
        print("assurance: none (no improvement direction)", file=stream)
    print(res.text(), file=stream)
    return 0


def _run_its(args) -> int:
    from cscs_eval.benefits._its import interrupted_time_series
    from cscs_eval._commands import emit_table

    data, common = _read_series(args)
    res = interrupted_time_series(data, changes=args.change, seasonal=args.seasonal, maxlags=args.maxlags,
                                  errors=args.errors, **common)
    emit_table(res.table, args.out, sheet="Interrupted time series")
    print(("" if args.out else "\n") + res.text())
    return 0


def _run_funnel(args) -> int:
    from cscs_eval.benefits._funnel_limits import funnel
    from cscs_eval._commands import emit_table
    from cscs_eval._commands import table_input
    from cscs_eval.io import read_table

    _normalise(args, "by", "numerator", "denominator")
    df = read_table(table_input(args), required=(args.by, args.numerator, args.denominator))
    for col in (args.numerator, args.denominator):
        starred = df[col].astype(str).str.strip().eq("*")
        if starred.any():
            from cscs_eval.errors import InputError
            from cscs_eval.io import row_number

            raise InputError("holds a suppressed count ('*'): funnel limits need the exact counts; make this input "
                             "with --no-suppress (benefits paired --no-suppress) and publish the funnel's own output, "
                             "which is suppressed", file=args.data, row=row_number(df, int(starred.argmax())),
                             column=col)
    res = funnel(df, by=args.by, numerator=args.numerator, denominator=args.denominator,
                 overdispersion=not args.no_overdispersion, source=args.data)
    emit_table(res.published(suppress=args.suppress), args.out, sheet="Funnel limits")  # and its structure
    print(("" if args.out else "\n") + res.text(suppress=args.suppress))
    if not args.suppress:
        print(NOT_FOR_PUBLICATION)
    return 0


def _run_register(args) -> int:
    from cscs_eval.benefits._register import INDICATOR_COLUMNS, read_register, register_report
    from cscs_eval._commands import emit_table
    from cscs_eval.errors import UsageError
    from cscs_eval.io import read_table

    rebase = {}
    for item in args.rebase:
        name, sep, day = item.partition("=")
        if not sep or not name.strip() or not day.strip():
            raise UsageError(f"--rebase takes INDICATOR=DATE (e.g. paired_proms_pct=2023-10-01); got {item!r}")
        rebase.setdefault(name.strip(), []).append(day.strip())
    from cscs_eval._commands import table_input

    reg = read_register(table_input(args, "register"))
    ind = read_table(args.indicators, required=INDICATOR_COLUMNS)
    unknown = sorted(set(rebase) - set(reg["indicator"].astype(str)))
    if unknown:
        raise UsageError(f"--rebase names indicator(s) not in the register: {', '.join(unknown)}; the register has "
                         f"{', '.join(dict.fromkeys(reg['indicator'].astype(str)))}")
    report = register_report(reg, ind, screen_outliers=args.screen_outliers, rebase=rebase, source=args.register,
                             indicators_source=args.indicators).table
    emit_table(report, args.out, sheet="Benefits register")  # dates stay dates
    return 0


def _run_paired(args) -> int:
    from cscs_eval._commands import emit_table, table_input
    from cscs_eval.benefits._paired import paired_by
    from cscs_eval.proms._pairing import outcomes

    out = outcomes(table_input(args), referrals=args.referrals, demographics=args.demographics, drop_invalid=True)
    table = paired_by(out, by=args.by, suppress=args.suppress)
    emit_table(table, args.out, sheet=f"Paired by {args.by.replace('_', ' ')}")
    print(("" if args.out else "\n") + out.text(), file=sys.stderr)
    if not args.suppress:
        print(NOT_FOR_PUBLICATION, file=sys.stderr)
    return 0
