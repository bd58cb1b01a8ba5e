"""Benchmark what disclosure control adds to the 32 team reports: suppression and the audit against the report.

Issue 10's target: suppressing and auditing all 32 team reports adds under 10% to the batch's wall time.
For each team of the sample (synthetic, fixed seed) the PROMs outcomes report's published tables are built as
the report builds them, and timed in the same process:

- baseline: the report's own work without disclosure control (reading the extract, pairing, the summaries:
  ``proms.outcomes_report``), and the old primary rule on its tables (``suppress_table``);
- protect: ``OutcomesReport.published`` (team and group tables protected together) and the exclusions table;
- audit: ``audit()`` of those tables, and ``check_published`` of a report page (what ``cscs-eval run`` adds);
- a report's wall time: ``cscs-eval run proms_outcomes`` for one team (two without ``--quick``), which the
  batch runs 32 times, so the batch's share is the same ratio.

Run: ``python benchmarks/bench_publish.py`` (all 32 teams) or ``--quick`` (4 teams). Prints figures; never
fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def clock(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 teams and one report run")
    args = parser.parse_args(argv)

    from cscs_eval import proms
    from cscs_eval.governance import TableStructure, audit, protect, suppress_table
    from cscs_eval.governance.files import check_published
    from cscs_eval.reporting.runner import run_notebook

    teams = pd.read_csv(SAMPLE / "teams.csv")["team"].tolist()
    teams = teams[:4] if args.quick else teams
    build, primary, protected, audited = [], [], [], []
    for team in teams:
        seconds, r = clock(lambda: proms.outcomes_report(
            SAMPLE / "proms.csv", referrals=SAMPLE / "referrals.csv", demographics=SAMPLE / "demographics.csv",
            equality_groups=["ethnicity"], team=team))
        build.append(seconds)
        unit = r.table_unit
        primary.append(clock(lambda: [suppress_table(s[s["unit"] == unit], counts=["n_eligible", "n_paired"])
                                      for s in (r.by_team, *r.by_group.values())])[0])
        exclusions = r.exclusions.reset_index(drop=True)

        def publish():
            tables = list(r.published.values())
            if len(exclusions):
                tables.append(protect(exclusions, TableStructure("exclusions", key=("stage", "reason"),
                                                                 counts=("n_rows",))))
            return tables

        seconds, tables = clock(publish)
        protected.append(seconds)
        audited.append(clock(lambda: audit(tables))[0])
    runs, page_audits = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k, team in enumerate(teams[:1 if args.quick else 2]):
            out = Path(tmp) / f"r{k}"
            seconds, result = clock(lambda: run_notebook("proms_outcomes", out_dir=out, parameters={"team": team},
                                                         force=True))
            runs.append(seconds)
            page_audits.append(clock(lambda: check_published(result.html))[0])
    med = statistics.median
    n = len(teams)
    cost = med(protected) + med(page_audits)
    print(f"teams: {n}; medians per team report (seconds)")
    print(f"  baseline  report build (outcomes_report)      {med(build):8.3f}")
    print(f"  baseline  primary rule alone (suppress_table) {med(primary):8.3f}")
    print(f"  protect   team + group + exclusions tables    {med(protected):8.3f}   (max {max(protected):.3f})")
    print(f"  audit     audit() of those tables             {med(audited):8.3f}   (max {max(audited):.3f})")
    print(f"  audit     check_published(report page)        {med(page_audits):8.3f}")
    print(f"  report    cscs-eval run proms_outcomes, wall  {med(runs):8.3f}   ({len(runs)} run(s))")
    print(f"suppression + audit per report: {cost:.3f} s = {100 * cost / med(runs):.1f}% of a report's wall time "
          f"(target < 10%); the {n}-report batch: {n * cost:.1f} s of about {n * med(runs):.0f} s of report work")


if __name__ == "__main__":
    main()
