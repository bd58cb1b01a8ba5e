"""The implementation evaluation, assembled from every capability for one report.

The evaluation appendix of the source board report brings together the CFIR findings,
the Lightning Report timeline, implementation outcomes (adoption, penetration), PROMs
results, the Implementation Research Logic Model and programme progress. :func:`assemble`
reads each input once and returns an :class:`Evaluation` holding the tables a report shows;
its methods give the report's summary sentences and publishable tables, so the notebook
only displays them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscs_eval.errors import UsageError
from cscs_eval.governance import count_text, is_small

#: PROMs summary units shown in the headline table: the ReQoL-10 total, each measure across
#: its units, and the first DIALOG item and GBO goal.
HEADLINE_UNITS = ("total", "all units", "item 1", "goal 1")
RATE_COLUMNS = ("paired_rate", "improved_rate", "deteriorated_rate")


@dataclass
class Evaluation:
    """Everything the implementation evaluation report shows, as tables and objects."""

    coding: object  # cscs_eval.cfir.Coding
    cfir_summary: pd.DataFrame
    themes: pd.DataFrame
    lightning_timeline: pd.DataFrame
    lightning_series: object  # cscs_eval.lightning.LightningSeries
    implementation: pd.DataFrame
    outcomes: object  # cscs_eval.proms.OutcomesResult
    proms_summary: pd.DataFrame
    programme: object  # cscs_eval.progress.ProgressSummary
    model: object  # cscs_eval.logic_model.LogicModel
    delivery: pd.DataFrame | None = None
    sources: dict = field(default_factory=dict)

    def strongest(self, kind: str, n: int = 5) -> list[str]:
        """The ``n`` constructs rated most strongly as ``kind`` ("facilitator" or "barrier")."""
        if kind not in ("facilitator", "barrier"):
            raise UsageError(f"kind must be 'facilitator' or 'barrier', got {kind!r}")
        summary = self.cfir_summary
        chosen = summary[summary["classification"].str.endswith(kind)]
        ordered = chosen.sort_values("mean_rating", ascending=kind == "barrier", kind="stable")
        return ordered["construct"].head(n).tolist()

    def summary(self, *, suppress: bool = True) -> str:
        """The report's summary in sentences that quote the key numbers.

        Counts of referrals follow the published-output rules (rounded to 5, 1 to 4 as '*')
        when ``suppress`` is on.
        """
        facts = self.implementation.set_index("outcome")["measure"]
        open_deltas = self.lightning_series.open_deltas()
        reqol = self.proms_summary[(self.proms_summary["measure"] == "reqol10")
                                   & (self.proms_summary["unit"] == "total")]
        sentences = [
            f"Barriers and facilitators were found in {self.cfir_summary['domain'].nunique()} CFIR domains, across "
            f"{len(self.cfir_summary)} constructs coded in {self.coding.table['excerpt_id'].nunique()} excerpts "
            f"from {self.coding.table['case'].nunique()} cases.",
            f"The strongest facilitators were {_listing(self.strongest('facilitator'))}; the strongest barriers "
            f"were {_listing(self.strongest('barrier', 3))}.",
        ]
        if {"Adoption", "Penetration"} <= set(facts.index):
            sentences.append(f"**{facts['Adoption']}** were engaged with the work (adoption) and "
                             f"**{facts['Penetration']}** had mapped their pathway and trained staff (penetration).")
        sentences.append(f"Across {len(self.lightning_timeline)} Lightning Reports, {len(open_deltas)} concern(s) "
                         f"were still open at the end{': ' + _listing(open_deltas) if open_deltas else ''}.")
        if len(reqol):
            r = reqol.iloc[0]
            shown = count_text(r["n_eligible"], suppress=suppress)
            if suppress and is_small(r["n_paired"]):
                sentences.append(f"Of {shown} eligible referrals, {count_text(r['n_paired'])} had a paired "
                                 "ReQoL-10 score.")
            else:
                sentences.append(
                    f"Of {shown} eligible referrals, {100 * r['paired_rate']:.0f}% had a paired ReQoL-10 score; of "
                    f"those, {100 * r['improved_rate']:.0f}% showed reliable improvement (mean change "
                    f"{r['mean_change']:+.1f} points, effect size {r['effect_size']:.2f}).")
        sentences.append(f"The programme reports {self.programme.headline:.0f}% of its tasks complete or on track.")
        return " ".join(sentences)

    def proms_table(self, *, suppress: bool = True) -> pd.DataFrame:
        """Paired rate and change for the headline units, rates in %, ready to publish."""
        from cscs_eval import proms

        headline = self.proms_summary[self.proms_summary["unit"].isin(HEADLINE_UNITS)]
        headline = headline.assign(**{c: headline[c] * 100 for c in RATE_COLUMNS})
        table = proms.publishable(headline, suppress=suppress)
        return table[["measure", "unit", "n_eligible", "n_paired", *RATE_COLUMNS, "mean_baseline",
                      "mean_follow_up", "mean_change", "effect_size"]]

    def delivery_findings(self) -> str:
        """What the check of the published delivery overview found, as a sentence."""
        from cscs_eval import progress

        if self.delivery is None:
            return ""
        shares = progress.check_shares(self.delivery).table
        if shares.empty:
            return "Checked against its counts, the published table is consistent."
        return ("Checked against its counts, the published table has these differences: "
                + "; ".join(shares["message"]) + ".")

    def programme_findings(self) -> str:
        findings = self.programme.findings
        if findings.empty:
            return "The published figures add up."
        return (f"The checks found {len(findings)} point(s) where the published figures do not add up: "
                + "; ".join(findings["message"]) + ".")


def _listing(names) -> str:
    names = [str(n).lower() for n in names]
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def assemble(*, coding_paths, lightning_path, data_path, teams_path, register_path, logic_model_path,
             aliases_path=None, case_ratings_path=None, themes_path=None, referrals_path=None,
             delivery_path=None, sheet=None, header_row=None) -> Evaluation:
    """Read every input of the evaluation and compute the tables its report shows.

    Paths may be relative to the project (``data/sample/...``); empty strings mean "not given".
    ``sheet`` and ``header_row`` say where the PROMs extract's table is in an Excel workbook
    (:func:`cscs_eval.io.read_table`).
    PROMs rows that fail validation are excluded and counted (``Evaluation.outcomes.exclusions``).
    """
    from cscs_eval import cfir, lightning, logic_model, progress, proms
    from cscs_eval.io import read_table, resolve_path, table_path

    def given(path):
        return resolve_path(path) if path else None

    coding = cfir.load_coding([resolve_path(p) for p in coding_paths], aliases=given(aliases_path),
                              case_ratings=given(case_ratings_path))
    outcomes = proms.outcomes(table_path(resolve_path(data_path), sheet=sheet, header_row=header_row),
                              referrals=given(referrals_path), drop_invalid=True)
    teams = read_table(resolve_path(teams_path), required=["team"])
    folder = resolve_path(lightning_path)
    return Evaluation(
        coding=coding,
        cfir_summary=coding.summary(),
        themes=cfir.themes_table(coding, themes=given(themes_path)),
        lightning_timeline=lightning.timeline(folder),
        lightning_series=lightning.series(folder),
        implementation=logic_model.implementation_outcomes(teams, file=resolve_path(teams_path)),
        outcomes=outcomes,
        proms_summary=proms.summarise(outcomes, by=None),
        programme=progress.summarise(resolve_path(register_path)),
        model=logic_model.read_logic_model(resolve_path(logic_model_path)),
        delivery=read_table(given(delivery_path), dtype=None) if delivery_path else None,
        sources={name: Path(str(value)).name for name, value in (
            ("teams", teams_path), ("proms", data_path), ("register", register_path),
            ("logic_model", logic_model_path), ("delivery", delivery_path)) if value},
    )
