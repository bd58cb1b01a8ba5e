"""``cscs-eval progress ...``: programme progress tables and their checks (nothing heavy imported here)."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    from cscs_eval._commands import add_out_argument, add_table_arguments

    sub = subparsers.add_parser("progress", help="programme progress: workstream task tallies, RAG status, checks",
                                description="Programme progress tables like a board report's, with checks that "
                                            "the published figures add up.")
    inner = sub.add_subparsers(dest="progress_command", metavar="COMMAND", required=True)
    p = inner.add_parser(
        "summarise", help="the progress table (counts, percentages, RAG) and what the checks found",
        description="Read a task register (workstream, task, status) or tallies (workstream, total, complete, "
                    "on_track, delayed, not_needed, not_started, optionally the reported *_pct and part_of) and "
                    "print the progress table and the checks' findings. Findings do not make the command fail "
                    "unless --fail-on-findings is given.")
    p.add_argument("file", metavar="FILE", help="task register or tally table (.csv, .tsv, .xlsx or .parquet)")
    add_table_arguments(p, "FILE")
    add_out_argument(p, "write the progress table to FILE (.csv, .parquet or .xlsx); findings are still printed")
    p.add_argument("--rules", metavar="YAML", help="RAG rules (default: the shipped rag_rules.yaml)")
    p.add_argument("--headlines", metavar="FILE",
                   help="percentages quoted in the report's text (workstream, measure, reported_pct) to check too")
    p.add_argument("--findings-out", metavar="FILE", help="also write the findings to FILE")
    p.add_argument("--fail-on-findings", action="store_true", help="exit 1 if any check finds a problem")
    p.set_defaults(handler=_run_summarise)


def _run_summarise(args) -> int:
    import pandas as pd

    from cscs_eval._commands import emit_table, emit_tables, table_input
    from cscs_eval.io import write_table
    from cscs_eval.progress import summarise

    result = summarise(table_input(args, "file"), rules=args.rules, headlines=args.headlines)
    findings = result.findings
    if args.out:  # in a workbook the checks' findings are the second sheet
        emit_tables({"Programme progress": result.summary(), **({"Findings": findings} if len(findings) else {})},
                    args.out)
    else:
        emit_table(result.summary(), None)
    if args.findings_out:
        write_table(findings, args.findings_out, sheet="Findings")
    print("", file=sys.stdout)
    checked = int(result.checks["n_checked"].sum())
    if checked == 0:
        print("Checks: nothing to check; the counts were made from a task register, so they add up.")
    elif findings.empty:
        print(f"Checks: all {checked} checks passed (counts add up, percentages match, workstreams add up).")
    else:
        print(f"Checks: {len(findings)} finding(s)")
        for f in findings.itertuples():
            where = "" if pd.isna(f.row) else f"row {f.row}: "
            print(f"- [{f.check}] {f.workstream}: {where}{f.message}")
    if args.fail_on_findings and not findings.empty:
        return 1
    return 0
