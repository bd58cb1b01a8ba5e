"""What a PROMs run returns: scores or outcomes, with what was excluded and why.

This module sits below scoring and pairing (both build these results; neither imports the
other's results), so there is no import cycle between them. Nothing rides in
``DataFrame.attrs``: every table a run produces is a named field of its result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cscs_eval.governance import count_text, suppress_table
from cscs_eval.results import Result

EXCLUSION_COLUMNS = ["stage", "reason", "n_rows"]
TEAM_EXCLUSION_COLUMNS = ["stage", "reason", "team", "n_rows"]
PROBLEM_COLUMNS = ["row", "column", "value", "reason", "problem"]
#: Categories of change to NHS England's definitions, best first.
CATEGORIES = ("reliable improvement", "no reliable change", "reliable deterioration")


def empty_table(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("n_rows", "row") else object) for c in columns})


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical id columns back to plain text columns for users."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def table_of(data) -> pd.DataFrame:
    """The table of a result object, or the DataFrame given."""
    return data.table if isinstance(data, Result) else data


@dataclass(frozen=True)
class Note:
    """A data warning a run raised, kept as data so that a report can publish it.

    ``category`` is the warning class (e.g. :class:`~cscs_eval.proms.SameDayFollowUpWarning`),
    ``n`` how many rows it concerns and ``what`` those rows in words; :meth:`text` quotes the
    count as a published sentence does (``fewer than 5`` for 1 to 4).
    """

    category: type
    n: int
    what: str

    def text(self, *, suppress: bool = True) -> str:
        """``What: how many.``

        Examples
        --------
        >>> Note(UserWarning, 3, "Follow-ups on the day of the baseline").text()
        'Follow-ups on the day of the baseline: fewer than 5.'
        """
        return f"{self.what}: {count_text(self.n, suppress=suppress)}."


@dataclass(repr=False)
class ScoresResult(Result):
    """Scores per assessment (:func:`~cscs_eval.proms.score`).

    Attributes
    ----------
    table
        ``patient_id, referral_id, team, measure, assessment_date, unit, score, n_items,
        excluded_reason``: one row per assessment and score.
    exclusions
        Input rows left out at validation, by reason: ``stage, reason, n_rows``.
    problems
        Every problem row found in the input: ``row, column, value, reason, problem``.
    """

    table: pd.DataFrame
    exclusions: pd.DataFrame = field(default_factory=lambda: empty_table(EXCLUSION_COLUMNS))
    problems: pd.DataFrame = field(default_factory=lambda: empty_table(PROBLEM_COLUMNS))

    def summary(self, *, suppress: bool = True) -> pd.DataFrame:
        """Per measure and unit: ``n_scores`` (assessments with that unit) and ``n_not_scored``."""
        t = self.table
        out = (t.assign(_missing=t["score"].isna()).groupby(["measure", "unit"], sort=True)
               .agg(n_scores=("score", "size"), n_not_scored=("_missing", "sum")).reset_index())
        return suppress_table(out, counts=["n_scores", "n_not_scored"], suppress=suppress)

    def text(self, *, suppress: bool = True) -> str:
        n = int(self.table["score"].notna().sum())
        excluded = int(self.exclusions["n_rows"].sum()) if len(self.exclusions) else 0
        return (f"{count_text(n, suppress=suppress)} scores; {count_text(excluded, suppress=suppress)} input rows "
                "excluded at validation.")


@dataclass(repr=False)
class OutcomesResult(Result):
    """Paired change per referral and unit of change (:func:`~cscs_eval.proms.outcomes`).

    Attributes
    ----------
    table
        One row per referral and unit: ``patient_id, referral_id, team, measure, unit,
        baseline_date, follow_up_date, days_between, n_assessments, baseline, follow_up, change,
        paired, category, clinical_baseline, reliable_recovery`` (+ ``eligible``, demographics).
    exclusions
        What was left out and why: ``stage`` (validation, scoring, pairing, referrals,
        demographics), ``reason``, ``n_rows``; :meth:`exclusions_for` gives one team's.
    problems
        Every problem row found in the PROMs input: ``row, column, value, reason, problem``.
    referrals
        The referrals with ``status``, ``length_days`` and ``eligible`` (None without a referrals file).
    exclusions_by_team
        ``stage, reason, team, n_rows``: the exclusions counted per team.
    notes
        The data warnings the run raised (:class:`Note`), e.g. same-day follow-ups.
    options
        The options the run used: ``units, min_interval_days, period_start, period_end``.
    """

    table: pd.DataFrame
    exclusions: pd.DataFrame = field(default_factory=lambda: empty_table(EXCLUSION_COLUMNS))
    problems: pd.DataFrame = field(default_factory=lambda: empty_table(PROBLEM_COLUMNS))
    referrals: pd.DataFrame | None = None
    exclusions_by_team: pd.DataFrame = field(default_factory=lambda: empty_table(TEAM_EXCLUSION_COLUMNS))
    notes: tuple = ()
    options: dict = field(default_factory=dict)

    def exclusions_for(self, team) -> pd.DataFrame:
        """What was excluded from one team's rows (a name, or a list of names), in the order of
        :attr:`exclusions`: ``stage, reason, n_rows``; empty when nothing of theirs was excluded."""
        teams = [team] if isinstance(team, str) else list(team)
        sub = self.exclusions_by_team[self.exclusions_by_team["team"].isin(teams)]
        if sub.empty:
            return empty_table(EXCLUSION_COLUMNS)
        # Keep the order of the whole-extract table (validation, scoring, pairing; reasons as listed).
        order = {(st, r): i for i, (st, r) in enumerate(zip(self.exclusions["stage"], self.exclusions["reason"]))}
        out = sub.groupby(["stage", "reason"], sort=False)["n_rows"].sum().reset_index()
        out["_o"] = [order.get((st, r), len(order)) for st, r in zip(out["stage"], out["reason"])]
        return out.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)

    def summary(self, *, suppress: bool = True) -> pd.DataFrame:
        """Per measure and unit: ``n_referrals, n_paired, n_improved, n_no_change, n_deteriorated``
        (counts published under the small-number rules unless ``suppress=False``)."""
        t = self.table
        paired = t["paired"].astype(bool)
        cat = t["category"].astype(object)
        out = (t.assign(_p=paired, _i=paired & (cat == CATEGORIES[0]), _n=paired & (cat == CATEGORIES[1]),
                        _d=paired & (cat == CATEGORIES[2]))
               .groupby(["measure", "unit"], sort=True)
               .agg(n_referrals=("_p", "size"), n_paired=("_p", "sum"), n_improved=("_i", "sum"),
                    n_no_change=("_n", "sum"), n_deteriorated=("_d", "sum")).reset_index())
        counts = ["n_referrals", "n_paired", "n_improved", "n_no_change", "n_deteriorated"]
        return suppress_table(out, counts=counts, suppress=suppress)

    def text(self, *, suppress: bool = True) -> str:
        t = self.table
        ref = t["referral_id"].astype(object).where(t["referral_id"].notna(), t["patient_id"])
        n_ref = ref.nunique()
        n_paired = ref[t["paired"].astype(bool)].nunique()
        excluded = int(self.exclusions["n_rows"].sum()) if len(self.exclusions) else 0
        measures = sorted(set(t["measure"]))
        named = (", ".join(measures[:-1]) + " and " + measures[-1]) if len(measures) > 1 else \
            (measures[0] if measures else "no measure")
        return (f"{named}: {count_text(n_ref, suppress=suppress)} referrals with a baseline score, "
                f"{count_text(n_paired, suppress=suppress)} of them paired (a baseline and a later follow-up); "
                f"{count_text(excluded, suppress=suppress)} input rows or scores excluded.")
