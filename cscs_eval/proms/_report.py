"""The PROMs reports, built once: the outcomes report and the data overview.

As :func:`cscs_eval.evaluation.assemble` does for the implementation evaluation, a builder
(:func:`outcomes_report`, :func:`overview_report`) checks the notebook's parameters, reads each
input once and computes what the report shows; each section is a method, so a notebook only
displays. Every decision a report takes (when a model is fitted, when a figure is drawn, when a
table is suppressed, which teams a figure leaves out) lives here, where it is tested.

A section method returns a :class:`ReportItem`: a table ready to read (counts suppressed,
numbers rounded, columns labelled) or a figure, with its caption, or the sentence a reader sees
instead when there is too little to show.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscs_eval.errors import CscsEvalWarning, UsageError
from cscs_eval.governance import SMALL_MAX, SUPPRESSION_NOTE, count_text, is_small
from cscs_eval.io import row_offset, table_path
from cscs_eval.proms._figures import group_label
from cscs_eval.reporting.plain import count, glossary, is_are, listing, number_words, sentence
from cscs_eval.stats import format_number

#: Paired referrals (and patients) a mixed model of change over time needs.
MIN_MODEL_PAIRED = 10
#: Events of the rarer outcome per group a logistic model of pairing needs (the usual rule of thumb).
EVENTS_PER_GROUP = 10
#: Paired referrals an ANCOVA needs, across the groups large enough to publish.
MIN_ANCOVA_PAIRED = 10
#: The equality groups a demographics file may hold.
EQUALITY_GROUPS = ("ethnicity", "imd_decile", "age_band", "gender")
MODEL_LABELS = {"odds_ratio": "odds ratio", "ci_low": "95% CI low", "ci_high": "95% CI high", "p_value": "p value"}


@dataclass(frozen=True)
class ReportItem:
    """What one part of a report shows.

    ``table`` (ready to read: counts suppressed, numbers rounded, columns labelled) or ``figure``
    (a matplotlib Figure) with its ``caption`` and ``note``; a table of counts has its ``structure``
    (for ``cscs-eval audit``); ``text`` is a sentence shown with
    it or, when there is too little to show, instead of it. An item with none of them shows nothing.
    """

    table: pd.DataFrame | None = None
    figure: object | None = None
    caption: str = ""
    note: str | None = None
    text: str = ""
    #: the published table's structure, headed as ``table`` is (show it with ``show_table(..., structure=)``)
    structure: object | None = None


#: The total row of a report's team table.
ALL_TEAMS = "All teams"


def _ready(df, *, decimals: int = 1, counts=(), rates=None, suppress: bool = True, labels=None):
    """A table ready to read (:func:`cscs_eval.reporting.display.format_table`)."""
    from cscs_eval.reporting.display import format_table

    return format_table(df, decimals=decimals, counts=counts, rates=rates, suppress=suppress, labels=labels)


def _published_item(published, *, caption: str = "", decimals: int = 1, labels=None, note=None,
                    text: str = "") -> ReportItem:
    """A published table (:class:`~cscs_eval.governance.ProtectedTable`) as a report item: ready to read,
    with its structure (headed as the table is) and the note saying what its ``*`` mean."""
    from cscs_eval.reporting.display import format_published

    table, structure = format_published(published, decimals=decimals, labels=labels)
    return ReportItem(table=table, structure=structure, caption=caption, text=text,
                      note=published.note if note is None else note)


def _protected_counts(df: pd.DataFrame, table_id: str, key, counts, *, rates=(), suppress: bool = True):
    """``df`` published with its structure (:func:`cscs_eval.governance.protect`): ``counts`` are counts,
    ``rates`` are ``(column, numerator, denominator, decimals)`` percentages computed from the published counts."""
    from cscs_eval.governance import Rate, TableStructure, protect

    structure = TableStructure(table_id, key=tuple(key), counts=tuple(counts),
                               rates=tuple(Rate(c, n, d, decimals=k) for c, n, d, k in rates))
    data = df.copy()
    for c in counts:
        data[c] = [None if pd.isna(v) else int(v) for v in data[c]]
    return protect(data, structure, suppress=suppress)


def _given(value) -> bool:
    """A parameter that names an input: a non-empty path, or a DataFrame."""
    return isinstance(value, pd.DataFrame) or bool(str(value or "").strip())


def _resolve(value):
    from cscs_eval.io import resolve_path

    return value if isinstance(value, pd.DataFrame) else resolve_path(value)


def _source(data, sheet=None) -> str:
    if isinstance(data, pd.DataFrame):
        return "the PROMs extract"
    return Path(str(data)).name + (f", sheet '{sheet}'" if sheet not in (None, "") else "")


def _check_team(team: str, teams) -> str:
    team = "" if team is None else str(team)
    if team and team not in set(teams):
        close = [t for t in teams if t.casefold().strip() == team.casefold().strip()]
        hint = f" (did you mean {close[0]!r}? names must match exactly)" if close else ""
        raise UsageError(f"team must be one of {', '.join(sorted(teams))} (or \"\" for all teams), got {team!r}{hint}")
    return team


def _check_groups(equality_groups, columns) -> tuple:
    if isinstance(equality_groups, str) or not isinstance(equality_groups, (list, tuple)):
        raise UsageError(f"equality_groups must be a list of columns such as [\"ethnicity\"] ([] for none), "
                         f"got {equality_groups!r}")
    missing = [g for g in equality_groups if g not in columns]
    if missing:
        have = [c for c in columns if c in EQUALITY_GROUPS] or ["none: give demographics_path"]
        raise UsageError(f"equality_groups must name demographic columns of the data ({', '.join(have)}), "
                         f"got {', '.join(map(repr, missing))}")
    return tuple(equality_groups)


# --------------------------------------------------------------------------------------------- outcomes
@dataclass
class OutcomesReport:
    """Everything the PROMs outcomes report shows, computed once (see :func:`outcomes_report`)."""

    measure: object  # cscs_eval.proms Measure
    team: str
    source: str
    suppress: bool
    equality_groups: tuple
    result: object  # OutcomesResult of every team
    scores: pd.DataFrame  # every scored assessment of the measure in the period (and team), for the mixed model
    rows: pd.DataFrame  # outcome rows of the measure (and team)
    referrals: pd.DataFrame | None
    overall: pd.DataFrame
    by_team: pd.DataFrame
    by_group: dict = field(default_factory=dict)

    # ---------------------------------------------------------------- what every section uses
    @property
    def scope(self) -> str:
        return self.team or "all teams"

    @property
    def note(self) -> str | None:
        """The line under every suppressed table (None when nothing is suppressed)."""
        return SUPPRESSION_NOTE if self.suppress else None

    @property
    def headline_unit(self) -> str:
        return "total" if "total" in set(self.overall.get("unit", ())) else "all units"

    @property
    def change_unit(self) -> str:
        """The unit whose change is classified: the total, else the measure's first unit."""
        return "total" if self.headline_unit == "total" else self.measure.unit_names()[0]

    @property
    def table_unit(self) -> str:
        """The unit of the team and group tables: the total, or ``all units`` (pairing only)."""
        return self.headline_unit if self.headline_unit == "all units" else self.change_unit

    @functools.cached_property
    def cohort(self) -> pd.DataFrame:
        """The rows the summaries use: NHS England's eligible referrals when a referrals file was given."""
        rows = self.rows
        return rows[rows["eligible"].fillna(False).astype(bool)] if "eligible" in rows.columns else rows

    @functools.cached_property
    def paired(self) -> pd.DataFrame:
        """Paired rows of the change unit in the cohort."""
        c = self.cohort
        return c[c["paired"].astype(bool) & (c["unit"] == self.change_unit)]

    @functools.cached_property
    def exclusions(self) -> pd.DataFrame:
        """What was excluded (from this team's rows when the report is for one team)."""
        return self.result.exclusions_for(self.team) if self.team else self.result.exclusions

    def drawable(self, summary: pd.DataFrame) -> pd.Series:
        """Rows of a summary that a published figure may show: neither the paired referrals nor
        the paired-rate denominator is 1 to 4 (every row without suppression)."""
        if not self.suppress:
            return pd.Series(True, index=summary.index)
        den = summary["n_eligible"].astype("Float64").fillna(summary["n_referrals"].astype("Float64"))
        paired = summary["n_paired"].astype("Float64")
        return (~is_small(paired.fillna(0)) & ~is_small(den.fillna(0)) & (den > 0).fillna(False)).astype(bool)

    def _count(self, n) -> str:
        return count_text(int(n), suppress=self.suppress)

    # ---------------------------------------------------------------- sections
    def headline(self) -> str:
        """The summary: the headline numbers and what was excluded, in sentences."""
        from cscs_eval.proms._summary import headline

        excluded = self.exclusions
        n = int(excluded["n_rows"].sum()) if len(excluded) else 0
        if n == 0:
            said = "No input rows were excluded."
        else:
            reason = excluded.sort_values("n_rows", kind="stable").iloc[-1]["reason"]
            where = "in the extract" if not self.team else "of this team"
            said = sentence(f"{self._count(n)} input rows or scores {where} could not be used, most often for "
                            f"'{reason}'; the data quality section lists every reason.")
        return headline(self.overall, measure=self.measure.key, scope=self.scope, suppress=self.suppress) + " " + said

    def exclusions_table(self) -> ReportItem:
        """Every reason rows were left out, with the data warnings of the run."""
        notes = " ".join(n.text(suppress=self.suppress) for n in self.result.notes)
        notes = f"Notes from the analysis: {notes}" if notes else ""
        if self.exclusions.empty:
            return ReportItem(text=" ".join(filter(None, [
                "No rows were excluded: every row passed validation and scoring.", notes])))
        table = _protected_counts(self.exclusions.rename(columns={"n_rows": "rows"}), "exclusions",
                                  ("stage", "reason"), ("rows",), suppress=self.suppress)
        caption = "Rows or scores excluded from the analysis, by reason" + (f" ({self.team}'s rows only)"
                                                                            if self.team else "")
        return _published_item(table, caption=caption, text=notes)

    @functools.cached_property
    def published(self) -> dict:
        """The team table and every equality group's table, protected together (short form,
        :func:`~cscs_eval.proms._summary.protect_summaries`): ``{"team": ProtectedTable, group: ...}``.

        A report of every team has an "All teams" row that the teams add up to; each group table breaks
        down that row (or, in one team's report, the team's row), so a count the team table hides
        cannot be read off a group table beside it (issue 10's Queensway attack), nor the other way round.
        """
        from cscs_eval.governance import Breakdown, GroupTotal
        from cscs_eval.proms._summary import COUNT_COLUMNS, SHORT_COUNTS, protect_summaries, summary_structure

        unit = self.table_unit
        total = self.team or ALL_TEAMS
        teams = self.by_team[self.by_team["unit"] == unit] if len(self.by_team) else self.by_team
        if teams.empty:
            return {}
        if not self.team:
            overall = self.overall[self.overall["unit"] == unit].assign(team=ALL_TEAMS)
            teams = pd.concat([teams, overall[teams.columns]], ignore_index=True)

        def adding_up(parts, whole):
            """Counts (short names) whose parts add up to the whole exactly (any that do not are left unlinked)."""
            return tuple(SHORT_COUNTS[c] for c in COUNT_COLUMNS
                         if whole[c].notna().all() and int(parts[c].astype("Float64").fillna(0).sum()) ==
                         int(whole[c].astype("Float64").sum()))

        inner, whole = teams[teams["team"] != ALL_TEAMS], teams[teams["team"] == (total if not self.team else
                                                                                   self.team)]
        team_structure = summary_structure(teams, "proms_by_team", short=True, keys=("team",))
        if not self.team:
            team_structure = team_structure.replace(group_total=GroupTotal(
                "team", ALL_TEAMS, counts=tuple(c for c in adding_up(inner, whole) if c in team_structure.counts)))
        pairs, names = [(teams, team_structure)], ["team"]
        for by, summary in self.by_group.items():
            rows = summary[summary["unit"] == unit] if len(summary) else summary
            if rows.empty:
                continue
            st = summary_structure(rows, f"proms_by_{by}", short=True, keys=(by,))
            linked = [c for c in adding_up(rows, whole) if c in st.counts and c in team_structure.counts]
            if linked:
                st = st.replace(breakdowns=(Breakdown("proms_by_team", row={"team": total}, counts=linked),))
            pairs.append((rows, st))
            names.append(by)
        return dict(zip(names, protect_summaries(pairs, suppress=self.suppress, short=True)))

    @property
    def table_note(self) -> str | None:
        """The line under the team and group tables: what ``*`` means there (or that they are not for publication)."""
        return next(iter(self.published.values())).note if self.published else self.note

    def units_table(self) -> ReportItem:
        """Paired rate and change for each item or goal (shown only for measures with several units)."""
        from cscs_eval.proms._summary import report_published

        per_unit = self.overall[self.overall["unit"] != "all units"] if len(self.overall) else self.overall
        if per_unit.empty or per_unit["unit"].nunique() <= 1:
            return ReportItem()
        m = self.measure
        table = report_published(per_unit, suppress=self.suppress, table_id="proms_by_unit")
        return _published_item(table, caption=f"{m.name}: paired rate and reliable change for each {m.item_label} ({self.scope}; "
                                  f"change is classified per {m.item_label}, as NHS England does)")

    def team_table(self) -> ReportItem:
        """Paired rate and reliable change by team."""
        from cscs_eval.proms._summary import report_published

        m = self.measure
        if self.by_team.empty:
            return ReportItem(text=f"No {m.name} assessments with a baseline score for {self.scope}.")
        rows = self.published["team"]
        caption = (f"{m.name}: paired rate by team (a referral is paired when any {m.item_label} is)"
                   if self.table_unit == "all units" else
                   f"{m.name} ({self.table_unit}): paired rate and reliable change by team")
        if not self.team:
            caption += "; the last row is every team together"
        table = report_published(self.by_team[self.by_team["unit"] == self.table_unit], protected=rows)
        return _published_item(table, caption=caption)

    def paired_rate_figure(self, by: str = "team") -> ReportItem:
        """Paired rate by team (or an equality group) with Wilson intervals, when a group can be shown."""
        import matplotlib.pyplot as plt

        from cscs_eval.proms._figures import plot_paired_rate

        if by == "team" and self.team:  # one team's report: a chart of one bar says nothing the table does not
            return ReportItem()
        summary = self.by_team if by == "team" else self.by_group[by]
        published = self.published.get(by)
        if self.suppress and published is not None:
            # what the table hides (secondary suppression too), the figure leaves out
            hidden = published.table.loc[published.mask[["paired", published.structure.rates[0].denominator]]
                                         .any(axis=1).to_numpy(), by]
            summary = summary[~(summary[by].isin(set(hidden)) & (summary["unit"] == self.table_unit))]
        rows = summary[summary["unit"] == self.table_unit] if len(summary) else summary
        shown = int(self.drawable(rows).sum()) if len(rows) else 0
        label = group_label(by)
        if not shown:
            return ReportItem(text=f"Too few referrals or paired referrals in each {label} to draw the paired rate "
                                   f"by {label} (1 to {SMALL_MAX} are not published).")
        fig, ax = plt.subplots(figsize=(8, 0.32 * max(shown, 3) + 1.5))
        plot_paired_rate(summary, by=by, measure=self.measure.key, unit=self.table_unit, suppress=self.suppress,
                         ax=ax)
        left_out = (f" {'Teams' if by == 'team' else 'Groups'} with 1 to {SMALL_MAX} referrals or paired referrals "
                    "are left out." if self.suppress else "")
        what = ("bars further right have more follow-ups" if by == "team" else
                "a group whose bar is shorter than the others' is followed up less often")
        return ReportItem(figure=fig, caption=f"Share of referrals with a paired score by {label}: {what}; lines are "
                                              f"95% Wilson intervals.{left_out}")

    def jacobson_truax_figure(self) -> ReportItem:
        """Baseline against follow-up of every paired referral (drawn with more than 4 of them)."""
        import matplotlib.pyplot as plt

        from cscs_eval.proms._figures import plot_jacobson_truax

        m, unit = self.measure, self.change_unit
        if len(self.paired) <= SMALL_MAX and self.suppress:
            return ReportItem(text=f"Fewer than {SMALL_MAX + 1} paired referrals: the baseline against follow-up "
                                   "figure is not drawn.")
        fig, ax = plt.subplots(figsize=(7, 7.5))
        plot_jacobson_truax(self.cohort, measure=m.key, unit=unit, suppress=self.suppress, ax=ax)
        cutoff = m.score(unit).cutoff
        cutoff_text = (f" Dotted lines mark the clinical cut-off ({cutoff:g}): points that start on one side of it "
                       "and end on the other crossed the clinical boundary." if cutoff is not None else "")
        return ReportItem(figure=fig, caption=(
            f"Each paired referral's {m.name} {unit} at baseline (across) and at follow-up (up). Points on the solid "
            "line did not change; points between the dashed lines changed by less than the reliable-change "
            "threshold; triangles pointing up improved reliably and triangles pointing down deteriorated reliably."
            + cutoff_text))

    def change_by_team_figure(self) -> ReportItem:
        """Change per team with its mean and 95% CI (teams with more than 4 paired referrals)."""
        import matplotlib.pyplot as plt

        from cscs_eval.proms._figures import plot_change_by_team

        if self.team:  # one team's report: one team's mean is in the summary and the table
            return ReportItem()
        per_team = self.paired.groupby("team").size()
        shown = int((per_team > SMALL_MAX).sum()) if self.suppress else len(per_team)
        if not shown:
            return ReportItem(text=f"No team has {SMALL_MAX + 1} or more paired referrals: change by team is not "
                                   "drawn.")
        m, unit = self.measure, self.change_unit
        fig, ax = plt.subplots(figsize=(8, 0.32 * max(shown, 3) + 1.5))
        plot_change_by_team(self.cohort, measure=m.key, unit=unit, suppress=self.suppress, ax=ax)
        left_out = f" Teams with 1 to {SMALL_MAX} paired referrals are left out." if self.suppress else ""
        return ReportItem(figure=fig, caption=(
            f"Change in {m.name} {unit} for each paired referral (grey dots) and the team mean with its 95% CI "
            "(diamonds): teams right of the solid line improved on average; dashed lines mark the reliable-change "
            f"threshold.{left_out}"))

    # ---------------------------------------------------------------- equality groups
    def group_heading(self, by: str) -> str:
        """The heading of one equality group's section (Markdown)."""
        return f"### By {group_label(by)}"

    def group_table(self, by: str) -> ReportItem:
        """Paired rate (and reliable change) by an equality group (a demographic column)."""
        from cscs_eval.proms._summary import report_published

        m, label = self.measure, group_label(by)
        summary = self.by_group[by]
        rows = summary[summary["unit"] == self.table_unit] if len(summary) else summary
        if rows.empty:
            return ReportItem(text=f"No {m.name} assessments with a baseline score for {self.scope}, so nothing to "
                                   f"break down by {label}.")
        caption = (f"{m.name}: paired rate by {label} (a referral is paired when any {m.item_label} is)"
                   if self.table_unit == "all units" else
                   f"{m.name} ({self.table_unit}): paired rate and reliable change by {label}")
        heading = label[:1].upper() + label[1:]
        return _published_item(report_published(rows, protected=self.published[by]), labels={by: heading},
                               caption=caption)

    def pairing_model_table(self, by: str) -> ReportItem:
        """Odds of a paired score by equality group (logistic regression), when there are enough events."""
        from cscs_eval.proms._models import pairing_model

        label = group_label(by)
        unit_rows = self.cohort[self.cohort["unit"] == self.change_unit]
        levels = unit_rows[by].astype(object).where(unit_rows[by].notna(), "not known").astype(str)
        paired = unit_rows["paired"].astype(bool)
        events = min(int(paired.sum()), int((~paired).sum()))
        if levels.nunique() < 2 or events < EVENTS_PER_GROUP * levels.nunique():
            return ReportItem(text=f"Too few referrals with and without a paired score for a logistic model by "
                                   f"{label} (about {EVENTS_PER_GROUP} of the rarer outcome per group are needed).")
        model = _fitted(pairing_model, self.cohort, predictors=[by], measure=self.measure.key,
                        unit=self.change_unit)
        reference = sorted(levels.unique())[0]
        return ReportItem(table=_ready(_plain_terms(model.summary(odds_ratios=True), by), decimals=2,
                                       labels=MODEL_LABELS),
                          caption=f"Odds of a paired score by {label} against {reference} (logistic regression, "
                                  f"{self._count(model.n_obs)} referrals): above 1 means followed up more often")

    def ancova_table(self, by: str) -> ReportItem:
        """Follow-up on baseline and equality group (ANCOVA) over the groups with more than 4 paired referrals."""
        from cscs_eval.proms._models import ancova

        m, label = self.measure, group_label(by)
        sizes = self.paired[by].value_counts()
        large = sizes[sizes > SMALL_MAX]
        if len(large) < 2 or len(self.paired) < MIN_ANCOVA_PAIRED:
            return ReportItem(text=f"Too few paired referrals, or only one {label} with {SMALL_MAX + 1} or more, for "
                                   "the ANCOVA.")
        model = _fitted(ancova, self.cohort[self.cohort[by].isin(large.index)], by=by, measure=m.key,
                        unit=self.change_unit)
        reference = sorted(large.index.astype(str))[0]
        return ReportItem(table=_ready(_plain_terms(model.summary(), by), decimals=2, labels=MODEL_LABELS), caption=(
            f"ANCOVA of {m.name} {self.change_unit} at follow-up on baseline and {label}: the difference from "
            f"{reference} at equal baseline ({self._count(model.n_obs)} paired referrals; groups with fewer than "
            f"{SMALL_MAX + 1} left out)"))

    # ---------------------------------------------------------------- change over time
    @functools.cached_property
    def model_scores(self) -> pd.DataFrame:
        """Every scored assessment of the change unit, paired or not."""
        return self.scores[(self.scores["unit"] == self.change_unit) & self.scores["score"].notna()]

    @property
    def multi_team(self) -> bool:
        """Whether the mixed model has a team level (a report of every team, with more than one)."""
        return not self.team and self.model_scores["team"].nunique() > 1

    @functools.cached_property
    def mixed(self):
        """The mixed model of change over time, or None when there are too few paired referrals or patients."""
        from cscs_eval.proms._models import mixed_model

        if len(self.paired) < MIN_MODEL_PAIRED or self.model_scores["patient_id"].nunique() < MIN_MODEL_PAIRED:
            return None
        return _fitted(mixed_model, self.model_scores, measure=self.measure.key, unit=self.change_unit,
                       team_effects=self.multi_team)

    def mixed_model_text(self) -> str:
        """What the mixed model found, in sentences (or why it was not fitted)."""
        mixed = self.mixed
        if mixed is None:
            return (f"Too few paired referrals for a mixed model of change over time ({MIN_MODEL_PAIRED} paired "
                    f"referrals and {MIN_MODEL_PAIRED} patients are needed).")
        slope = mixed.table.set_index("term").loc["time"]
        shares = mixed.variance.set_index("component")["share"]
        patient = format_number(shares["patient"], decimals=0, share=True)
        between = (f"{format_number(shares['team'], decimals=1, share=True)} of the variation in scores lies between "
                   f"teams, {patient} between patients within a team" if self.multi_team else
                   f"{patient} of the variation lies between patients")
        patients = self._count(self.model_scores["patient_id"].nunique())
        return (f"Using every assessment of {patients} patients, paired or not, {self.measure.name} "
                f"{self.change_unit} changed on average by {format_number(slope['estimate'], decimals=2, sign=True)} "
                f"points a month (95% CI {format_number(slope['ci_low'], decimals=2, sign=True)} to "
                f"{format_number(slope['ci_high'], decimals=2, sign=True)}). {between}, and the rest within patients "
                "over time.")

    def mixed_model_table(self) -> ReportItem:
        """The fixed effects of the mixed model (nothing when it was not fitted)."""
        mixed = self.mixed
        if mixed is None:
            return ReportItem()
        terms = mixed.summary().assign(term=lambda d: d["term"].replace(
            {"Intercept": "Score at first assessment", "time": "Change per month"}))
        levels = "teams and patients within teams" if self.multi_team else "patients"
        return ReportItem(table=_ready(terms, decimals=2, labels=MODEL_LABELS), caption=(
            f"Mixed model of {self.measure.name} {self.change_unit} over time ({self._count(mixed.n_obs)} "
            f"assessments; random intercepts for {levels})"))

    def variance_table(self) -> ReportItem:
        """The mixed model's variance components and their shares (nothing when it was not fitted)."""
        mixed = self.mixed
        if mixed is None:
            return ReportItem()
        names = {"team": "Between teams", "patient": "Between patients" + (" within a team" if self.multi_team
                                                                            else ""),
                 "residual": "Within patients over time"}
        table = mixed.variance.assign(component=lambda d: d["component"].replace(names),
                                      share=lambda d: 100 * d["share"])
        return ReportItem(table=_ready(table, decimals=1, labels={"sd": "SD", "share": "share of total (%)"}),
                          caption="Variance components of the mixed model (share of the total, %)")

    # ---------------------------------------------------------------- methods and files
    def methods_note(self) -> str:
        """The analyst's choices in scoring this measure, in plain words (a methods note).

        Where the measure's sources leave something open (which items are reversed, what to do
        with a missing item), the note says what the analysis did and that it is a choice,
        rather than repeating the definition file's notes for developers.
        """
        m = self.measure
        said = []
        if m.reversed:
            items = listing(str(i) for i in m.reversed)
            said.append(f"Items {items} of {m.name} are taken as the negatively worded ones and scored in reverse "
                        f"({m.item_max:g} minus the answer), so that a higher score is always better. This is the "
                        "analyst's choice of which items are reversed, from the order of the items on the form; check "
                        "it against the form your services use, and if your extract already holds scored items, "
                        "give a measure file without reversed items.")
        strict = [s for s in m.scores if getattr(s, "max_missing", None) == 0]
        if strict and any("missing-item rule" in c for c in m.choices):
            said.append(f"A {m.name} score is computed only when every item it needs is answered: no published "
                        "rule for missing items was found, so none is imputed.")
        said += [c for c in m.choices if "UNVERIFIED" not in c and not re.search(r"\b[a-z]+_[a-z_]+\b", c)]
        return f"Methods note for {m.name}: " + " ".join(said) if said else ""

    def terms(self) -> str:
        """The statistical terms this report uses, each explained once (Markdown)."""
        terms = ["eligible referral", "paired score", "paired rate", "reliable improvement", "reliable deterioration"]
        if self.measure.score(self.change_unit).cutoff is not None:
            terms.append("reliable recovery")
        terms += ["effect size", "confidence interval"]
        if self.equality_groups:
            terms += ["odds ratio", "ANCOVA", "p value"]
        terms += ["mixed model", "small-number suppression"]
        return glossary(terms)

    def write_tables(self, output_dir) -> str:
        """Write the publishable summaries as CSV to ``output_dir``; returns a sentence saying where."""
        from cscs_eval.io import write_table
        from cscs_eval.proms._summary import publish_summary

        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        key = self.measure.key
        # each file is published on its own (a reader of the folder sees them all: they are protected
        # as one set where they are linked, through the report's tables)
        write_table(publish_summary(self.by_team, suppress=self.suppress, table_id="proms_by_team"),
                    out / f"proms_{key}_by_team.csv")
        for group, summary in self.by_group.items():
            write_table(publish_summary(summary, suppress=self.suppress, table_id=f"proms_by_{group}"),
                        out / f"proms_{key}_by_{group}.csv")
        return f"Summary tables written to {out}."


def _plain_terms(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """A model's terms as readers name them: ``ethnicity = Mixed`` -> ``Mixed``, ``baseline`` -> ``Score at baseline``."""
    if "term" not in table.columns:
        return table
    names = {"baseline": "Score at baseline", "Intercept": "Intercept (the first group)"}
    return table.assign(term=table["term"].astype(str).str.replace(rf"^{re.escape(by)} = ", "", regex=True)
                        .replace(names))


def _fitted(fit, data, **options):
    """Fit a model, keeping the data warnings it raises as notes of its result (shown in its text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit(data, **options)
    said = tuple(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, CscsEvalWarning)))
    model.notes = tuple(model.notes) + said
    return model


def outcomes_report(data, *, referrals=None, demographics=None, measure: str = "reqol10", team: str = "",
                    period_start: str = "", period_end: str = "", equality_groups=("ethnicity",),
                    suppress: bool = True, measures=None, sheet=None, header_row=None) -> OutcomesReport:
    """Check the report's parameters, read the inputs once and compute what the outcomes report shows.

    Parameters
    ----------
    data
        The PROMs extract (a path, relative to the project or not, or a DataFrame).
    referrals, demographics
        Optional inputs (paths or DataFrames; ``""`` or None for none), as :func:`~cscs_eval.proms.outcomes` takes them.
    measure
        The measure to report (a key or common spelling: ``reqol10``, ``DIALOG``, ...).
    team
        One team's name exactly as the data write it, or ``""`` for every team.
    period_start, period_end
        Dates (ISO or UK), ``""`` for no limit; see :func:`~cscs_eval.proms.pair`.
    equality_groups
        Demographic columns to break the outcomes down by (a list; one report section each).
    suppress
        NHS small-number suppression of every table, sentence and figure (keep it for anything shared).
    sheet, header_row
        Where the extract's table is in an Excel workbook: the sheet (name, or number from 1; ``""``
        the first) and the row of its column names (from 1); see :func:`cscs_eval.io.read_table`.

    Raises
    ------
    cscs_eval.errors.UsageError
        A parameter value that cannot work, with a one-line message naming what is allowed:
        an unknown measure or team (the teams are listed), a date that is not one,
        equality groups that are not columns of the data.
    """
    from cscs_eval.dates import option_date
    from cscs_eval.proms._measures import load_measure
    from cscs_eval.proms._pairing import outcomes
    from cscs_eval.proms._scoring import score
    from cscs_eval.proms._summary import summarise

    chosen = load_measure(measure, extra=measures)
    option_date(period_start, "period_start")
    end = option_date(period_end, "period_end")
    if isinstance(equality_groups, str) or not isinstance(equality_groups, (list, tuple)):
        _check_groups(equality_groups, ())
    source = _source(data, sheet)
    data = table_path(_resolve(data), sheet=sheet, header_row=header_row)
    referrals = _resolve(referrals) if _given(referrals) else None
    demographics = _resolve(demographics) if _given(demographics) else None

    def every_team():
        with warnings.catch_warnings():
            # The run's data warnings are kept in result.notes and shown in the data quality section.
            warnings.simplefilter("ignore", CscsEvalWarning)
            result = outcomes(data, referrals=referrals, demographics=demographics, drop_invalid=True,
                              measures=measures, period_start=period_start or None, period_end=period_end or None)
            return result, score(data, drop_invalid=True, measures=measures).table

    # Every team's report of a batch reads, checks, scores and pairs the same extract: done once per
    # batch (cscs_eval._batch), each report keeping its team's rows below.
    key = _batch_key(data, referrals, demographics, measures, sheet=sheet, header_row=header_row,
                     period_start=period_start, period_end=period_end)
    if key is None:
        result, scores = every_team()
    else:
        from cscs_eval._batch import computed_once

        result, scores = computed_once("proms-outcomes", key, every_team)
    table = result.table
    teams = set(table["team"].dropna()) | set(() if result.referrals is None else result.referrals["team"].dropna())
    team = _check_team(team, teams)
    groups = _check_groups(equality_groups, list(table.columns))
    if not (table["measure"] == chosen.key).any():
        raise UsageError(f"measure {chosen.key!r} has no assessments in {source}; it holds "
                         f"{', '.join(sorted(set(table['measure'])))}")
    rows = table[table["measure"] == chosen.key]
    referral_table = result.referrals
    if team:
        rows = rows[rows["team"] == team]
        referral_table = None if referral_table is None else referral_table[referral_table["team"] == team]
    model_scores = scores[scores["measure"] == chosen.key]
    if end is not None:
        model_scores = model_scores[model_scores["assessment_date"] <= end]
    if team:
        model_scores = model_scores[model_scores["team"] == team]
    return OutcomesReport(
        measure=chosen, team=team, source=source, suppress=bool(suppress), equality_groups=groups, result=result,
        scores=model_scores, rows=rows, referrals=referral_table,
        overall=summarise(rows, by=None, referrals=referral_table),
        by_team=summarise(rows, by="team", referrals=referral_table),
        by_group={g: summarise(rows, by=g, referrals=referral_table) for g in groups})


def _batch_key(*inputs, **options):
    """What the every-team tables of :func:`outcomes_report` depend on: each input file's checksum, the
    options, the package version, the measure definitions' checksums and today's date (validation
    refuses dates in the future). None when an input is not a file (a DataFrame, measures given as
    objects): then nothing is shared."""
    import datetime as dt

    from cscs_eval import __version__
    from cscs_eval._batch import file_key
    from cscs_eval.proms._measures import DEFINITIONS_DIR

    files = []
    for item in inputs:
        if item is None:
            files.append(None)
        elif isinstance(item, (str, Path)) and Path(item).is_file():
            files.append((str(item), file_key(item)))
        else:
            return None
    definitions = tuple((p.name, file_key(p)) for p in sorted(DEFINITIONS_DIR.glob("*.yaml")))
    return (tuple(files), tuple(sorted(options.items())), __version__, definitions, dt.date.today().isoformat())


# --------------------------------------------------------------------------------------------- overview
@dataclass
class OverviewReport:
    """Everything the data overview shows, computed once (see :func:`overview_report`)."""

    measure: object
    team: str
    source: str
    suppress: bool
    facts: dict
    by_measure: pd.DataFrame
    by_team: pd.DataFrame
    problems: pd.DataFrame
    has_referrals: bool = False  # completeness counts every referral of the referrals file, not only the extract's

    @property
    def note(self) -> str | None:
        return SUPPRESSION_NOTE if self.suppress else None

    def _count(self, n) -> str:
        return count_text(int(n), suppress=self.suppress)

    def headline(self) -> str:
        """What the extract holds, in sentences."""
        f = self.facts
        if pd.isna(f["first_date"]):
            dates = "with no date that can be read"
        else:
            dates = f"from {f['first_date']:%d %B %Y} to {f['last_date']:%d %B %Y}"
        uk, unreadable = f["uk_format_dates"], f["unreadable_dates"]
        return (f"The extract holds **{self._count(f['assessments'])} assessments** of {self._count(f['referrals'])} "
                f"referrals ({self._count(f['patients'])} patients) in **{count(f['teams'], 'team')}**, {dates}. "
                + sentence(f"{count(uk, 'row', words=True)} {'gives its' if uk == 1 else 'give their'} date in UK "
                           "day-first form (read as such) and "
                           + (f"{count(unreadable, 'row')} {'has' if unreadable == 1 else 'have'} a date that cannot "
                              "be read." if unreadable else "no row has a date that cannot be read.")))

    def measures_table(self) -> ReportItem:
        return _published_item(self.published_measures, labels={"follow_up_pct": "Followed up %"}, caption="Assessments and follow-up by measure, for the referrals in the PROMs "
                                               "extract (every referral with an assessment, eligible or not).")

    def completeness_table(self) -> ReportItem:
        source = "the referrals file" if self.has_referrals else "the PROMs extract"
        return _published_item(self.published_teams,
                               labels={"baseline_pct": "Baseline %", "follow_up_pct": "Followed up %"}, caption=f"Baseline and follow-up completeness of {self.measure.name} by team, for every "
                                  f"referral in {source}.")

    @functools.cached_property
    def published_measures(self):
        return _protected_counts(self.by_measure, "measures", ("measure",), ("assessments", "referrals",
                                 "with_follow_up"), rates=(("follow_up_pct", "with_follow_up", "referrals", 1),),
                                 suppress=self.suppress)

    @functools.cached_property
    def published_teams(self):
        return _protected_counts(self.by_team, "completeness_by_team", ("team",),
                                 ("referrals", "with_baseline", "with_follow_up"),
                                 rates=(("baseline_pct", "with_baseline", "referrals", 1),
                                        ("follow_up_pct", "with_follow_up", "with_baseline", 1)),
                                 suppress=self.suppress)

    def follow_up_figure(self) -> ReportItem:
        """Follow-up rate by team, without the teams whose counts the table hides."""
        from cscs_eval.proms._overview import plot_follow_up_by_team

        if self.team:  # one team's overview: a chart of one bar says nothing the table does not
            return ReportItem()
        if self.suppress:
            mask = self.published_teams.mask[["with_baseline", "with_follow_up"]].any(axis=1).to_numpy()
            shown, hidden = self.by_team[~mask], int(mask.sum())
        else:
            shown, hidden = self.by_team, 0
        shown = shown[shown["with_baseline"] > 0]
        if shown.empty:
            return ReportItem(text=f"No team has a {self.measure.name} baseline that can be shown.")
        ax = plot_follow_up_by_team(shown, title=f"Follow-up rate by team ({self.measure.name})")
        left_out = (" " + sentence(f"{count(hidden, 'team', words=True)} with 1 to {SMALL_MAX} referrals in the rate "
                                   f"{is_are(hidden)} not shown.") if hidden else "")
        return ReportItem(figure=ax.figure, caption="Follow-up rates differ between teams; the dashed line is the "
                                                    "rate across the teams shown." + left_out)

    def checks_text(self) -> str:
        p = self.problems
        if not len(p):
            return "The checks found no problems."
        problems, rows = len(p), p["row"].nunique()
        if self.suppress:  # counts as the table beside it publishes them (never an exact 1 to 4)
            return (f"The checks found **{self._count(problems)} problems** in {self._count(rows)} rows.")
        return f"The checks found **{count(problems, 'problem')}** in {count(rows, 'row')}."

    def problems_by_reason(self) -> ReportItem:
        if self.problems.empty:
            return ReportItem()
        by_reason = (self.problems.groupby("reason").size().rename("rows").reset_index()
                     .sort_values("rows", ascending=False, kind="stable").reset_index(drop=True))
        table = _protected_counts(by_reason, "problems_by_reason", ("reason",), ("rows",), suppress=self.suppress)
        return _published_item(table, caption="Problems found in the extract, by reason.")

    def first_problems(self, n: int = 10) -> ReportItem:
        if self.problems.empty:
            return ReportItem()
        first = self.problems.head(n)[["row", "column", "value", "problem"]].astype({"row": str})
        return ReportItem(table=_ready(first),
                          caption="The first problems found, with the row of the file they are on.")

    def write_tables(self, output_dir) -> str:
        from cscs_eval.io import write_table

        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, table in (("measures", self.published_measures), ("completeness_by_team", self.published_teams)):
            write_table(table, out / f"{name}.csv")  # with its structure beside it
        return f"Tables written to {out}."


def overview_report(data, *, referrals=None, measure: str = "reqol10", team: str = "",
                    suppress: bool = True, sheet=None, header_row=None) -> OverviewReport:
    """Check the overview's parameters, read the extract once and compute what the data overview shows.

    ``team`` is one team's name exactly as the extract writes it, or ``""`` for every team; a
    name that is not there (a different case, a typo) is a :class:`~cscs_eval.errors.UsageError`
    listing the teams. ``sheet`` and ``header_row`` say where the extract's table is in an Excel
    workbook, as :func:`cscs_eval.io.read_table` takes them.
    """
    from cscs_eval.io import read_table
    from cscs_eval.proms._data import BASE_COLUMNS, validate_proms
    from cscs_eval.proms._measures import load_measure
    from cscs_eval.proms._overview import completeness_by_team, extract_summary, measure_counts

    chosen = load_measure(measure)
    source = _source(data, sheet)
    data = table_path(_resolve(data), sheet=sheet, header_row=header_row)
    extract = data if isinstance(data, pd.DataFrame) else read_table(data, required=BASE_COLUMNS + ("referral_id",))
    ref = None
    if _given(referrals):
        referrals = _resolve(referrals)
        ref = referrals if isinstance(referrals, pd.DataFrame) else read_table(referrals,
                                                                               required=["referral_id", "team"])
    teams = set(extract["team"].dropna().astype(str).str.strip())
    team = _check_team(team, teams)
    problems = validate_proms(extract)
    if team:
        mine = (extract["team"].astype("string").str.strip() == team).fillna(False).astype(bool)
        problems = problems[problems["row"].isin(pd.Index(mine.to_numpy().nonzero()[0]) + 2)]
        extract = extract[mine.to_numpy()]
        ref = None if ref is None else ref[(ref["team"].astype("string").str.strip() == team).fillna(False)
                                           .astype(bool).to_numpy()]
    if not isinstance(data, pd.DataFrame):
        problems = problems.assign(row=problems["row"] + row_offset(data))  # the rows the user sees
    return OverviewReport(measure=chosen, team=team, source=source, suppress=bool(suppress),
                          facts=extract_summary(extract), by_measure=measure_counts(extract),
                          by_team=completeness_by_team(extract, referrals=ref, measure=chosen.key),
                          problems=problems.reset_index(drop=True), has_referrals=ref is not None)
