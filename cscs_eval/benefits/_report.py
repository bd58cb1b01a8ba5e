"""The benefit-analysis report, built once for its notebook (as :mod:`cscs_eval.evaluation` builds the
implementation evaluation).

:func:`assemble` checks the notebook's parameters first (a wrong value is a one-line
:class:`~cscs_eval.errors.UsageError` that lists what is allowed), reads every input once and
computes what each section shows. :class:`BenefitsReport` has a method per section that returns
its table, figure or sentences, so ``notebooks/benefits_analysis.ipynb`` only displays them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscs_eval.benefits._funnel_limits import FunnelResult, funnel
from cscs_eval.benefits._inequalities import SlopeIndexResult, published_gaps, slope_index
from cscs_eval.benefits._its import ERRORS, ItsResult, interrupted_time_series
from cscs_eval.benefits._paired import paired_changes, paired_counts, paired_referrals
from cscs_eval.benefits._plots import plot_funnel, plot_gaps, plot_its, plot_spc
from cscs_eval.benefits._register import (INDICATOR_COLUMNS, RegisterResult, benefit_titles, indicator_charts,
                                          indicator_labels, read_register, register_report)
from cscs_eval.benefits._sentences import (collect_warnings, deprivation_text, funnel_caption, improvement_text,
                                           methods_text, record_warnings, spc_caption, summary_text)
from cscs_eval.benefits._series import indicator_names
from cscs_eval.benefits._tables import (gap_table, group_label, its_table, outlier_table, reference_group,
                                        register_table, save_tables, suppression_note)
from cscs_eval.dates import option_date
from cscs_eval.errors import UsageError

#: Columns of the eligible-referral table that are not equality groups (ids, dates, counts, the outcome).
NOT_GROUPS = ("referral_id", "patient_id", "referral_date", "discharge_date", "n_contacts", "eligible", "paired")
#: The quintile the mean change by deprivation is compared with: the least deprived.
LEAST_DEPRIVED = 5
EXCLUSION_COLUMNS = ("stage", "reason", "n_rows")


def _figure(size):
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)


@dataclass
class EqualitySection:
    """One equality breakdown of the paired rate: its table, captions and figure."""

    column: str
    gaps: object  # the published gaps (ProtectedTable; .table for the frame, as gaps_table gives)
    #: the group's name in a sentence (``IMD quintile``) and as a heading (``IMD quintile``, ``Age band``)
    name: str
    heading: str

    @property
    def largest(self):
        """The reference group: the largest."""
        return reference_group(self.gaps_table)

    @property
    def table(self) -> pd.DataFrame:
        return gap_table(self.gaps, group_label=self.heading, n_label="Eligible", events_label="Paired")

    @property
    def gaps_table(self) -> pd.DataFrame:
        """The gaps as a table (the published table's, when it was published)."""
        return getattr(self.gaps, "table", self.gaps)

    @property
    def caption(self) -> str:
        return (f"Referrals with a paired PROM by {self.name}: rate and gap to the largest group ({self.largest}), "
                "in percentage points")

    @property
    def figure_caption(self) -> str:
        return (f"Rate of paired PROMs by {self.name}, with 95% confidence intervals. The filled dot is the largest "
                f"group ({self.largest}); a group whose interval misses the dotted line differs from it by more than "
                "chance.")

    def figure(self):
        fig, ax = _figure((7, 0.45 * len(self.gaps) + 1.2))
        plot_gaps(self.gaps_table, ax=ax, title=f"Paired PROMs by {self.name}", xlabel="Referrals with a paired PROM (%)",
                  ylabel=self.heading)
        return fig


@dataclass
class BenefitsReport:
    """Everything the benefit-analysis report shows; ``None`` marks a section without its input."""

    register: RegisterResult
    charts: dict
    labels: dict
    titles: dict
    its: ItsResult | None
    its_indicator: str
    its_errors: str
    suppress: bool
    sources: dict
    notes: list = field(default_factory=list)
    #: the PROMs outcomes and what follows from them (all ``None`` without a PROMs extract)
    outcomes: object = None
    eligible: pd.DataFrame | None = None
    teams: FunnelResult | None = None
    sii: SlopeIndexResult | None = None
    equality_sections: list = field(default_factory=list)
    reqol: pd.DataFrame | None = None
    exclusions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(EXCLUSION_COLUMNS)))

    @property
    def note(self):
        """The line under a suppressed table (``None`` with suppression off)."""
        return suppression_note(suppress=self.suppress)

    # --- summary and register ----------------------------------------------------------------

    def summary_text(self) -> str:
        """The report's summary paragraph: the register, the service change, the teams, the gradient."""
        return summary_text(self.register, its=self.its, funnel=self.teams, sii=self.sii)

    def has_proms(self) -> bool:
        """Whether a PROMs extract was given: without one the report leaves its PROMs sections out."""
        return self.outcomes is not None

    def terms(self) -> str:
        """The statistical terms this report uses, each explained once (Markdown)."""
        from cscs_eval.reporting.plain import glossary

        terms = ["SPC chart", "common cause variation", "special cause variation", "assurance"]
        if self.its is not None:
            terms += ["interrupted time series", "confidence interval", "p value"]
        if self.has_proms():
            terms += ["eligible referral", "paired score", "funnel plot", "over-dispersion", "IMD quintile",
                      "slope index of inequality", "reliable improvement", "small-number suppression"]
        return glossary(terms)

    def register_table(self) -> pd.DataFrame:
        return register_table(self.register)

    def spc_figures(self) -> list:
        """``(figure, caption)`` for each indicator's SPC chart."""
        shown = []
        for name, chart in self.charts.items():
            fig, ax = _figure((8, 3.6))
            plot_spc(chart, ax=ax, title=self.titles[name], ylabel=self.labels[name])
            shown.append((fig, spc_caption(chart)))
        return shown

    # --- before and after the service change -------------------------------------------------

    def its_table(self) -> pd.DataFrame:
        return its_table(self.its)

    def its_figure(self):
        fig, ax = _figure((8, 3.8))
        title = self.titles.get(self.its_indicator, self.its.label)
        plot_its(self.its, ax=ax, title=f"{title}: before and after the change", ylabel=self.its.label)
        return fig

    def its_caption(self) -> str:
        return (self.its.text() + " The gap between the blue line and the dashed line after the change is the "
                "estimated effect of the change.")

    # --- teams ---------------------------------------------------------------------------------

    def funnel_figure(self):
        fig, ax = _figure((8, 4.2))
        plot_funnel(self.teams, ax=ax, title="Paired PROMs by team", xlabel="Eligible referrals",
                    ylabel="Referrals with a paired PROM (%)", suppress=self.suppress)
        return fig

    def funnel_caption(self) -> str:
        return funnel_caption(self.teams, unit="teams", suppress=self.suppress)

    def outlier_table(self):
        return outlier_table(self.teams, suppress=self.suppress, group_label="Team", numerator_label="Paired",
                             denominator_label="Eligible")

    # --- inequalities --------------------------------------------------------------------------

    def deprivation_text(self) -> str:
        return deprivation_text(self.sii, suppress=self.suppress)

    def change_table(self):
        """Mean change in the ReQoL-10 total by IMD quintile, with the gap to the least deprived, published
        (a ProtectedTable: ``.table``)."""
        change = published_gaps(self.reqol, by="imd_quintile", outcome="change", kind="mean",
                                reference=LEAST_DEPRIVED, suppress=self.suppress)
        return gap_table(change, group_label="IMD quintile", n_label="Paired", estimate_label="Mean change", scale=1)

    def improvement_text(self) -> str:
        gradient = slope_index(self.reqol, by="imd_quintile", outcome="improved")
        return improvement_text(gradient, measure="ReQoL-10 total", suppress=self.suppress)

    # --- data and methods ----------------------------------------------------------------------

    def methods_text(self) -> str:
        return methods_text(its_errors=self.its_errors, notes=self.notes, suppress=self.suppress)

    def exclusions_table(self):
        """What the PROMs extract lost before analysis, and why, published (a ProtectedTable: ``.table``)."""
        from cscs_eval.governance import TableStructure, protect

        return protect(self.exclusions.reset_index(drop=True), TableStructure(
            "exclusions", key=("stage", "reason"), counts=("n_rows",)), suppress=self.suppress)

    def save_tables(self, output_dir) -> Path:
        """Write the result tables as CSV into ``output_dir`` (see :func:`cscs_eval.benefits.save_tables`)."""
        return save_tables(output_dir, report=self.register, its=self.its, charts=self.charts, funnel=self.teams,
                           suppress=self.suppress)


def _names(value, parameter: str) -> list:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise UsageError(f"{parameter} must be a list, got {value!r}")
    return [str(v) for v in value]


def _check_options(*, indicators, labels, change_dates, its_indicator, its_errors, equality_groups, data_path,
                   referrals_path):
    """The parameters that can be checked before any file is read."""
    if its_errors not in ERRORS:
        raise UsageError(f"its_errors must be one of {', '.join(ERRORS)}; got {its_errors!r}")
    if not isinstance(labels, dict):
        raise UsageError(f"labels must be a mapping of indicator to label, got {labels!r}")
    for day in _names(change_dates, "change_dates"):
        option_date(day, "change_dates")
    if its_indicator and not change_dates:
        raise UsageError("change_dates must give the date of the service change for the interrupted time series "
                         '(or its_indicator "" to leave it out)')
    _names(indicators, "indicators")
    _names(equality_groups, "equality_groups")
    if data_path and not referrals_path:
        raise UsageError("referrals_path is needed with data_path: the paired rate counts eligible referrals")


def _check_indicators(names, known, parameter, file):
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"{parameter} must name indicators of {file}: one of {', '.join(known)}; "
                         f"got {unknown[0]!r}")


def assemble(*, indicators_path, benefits_register_path, indicators=(), labels=None, change_dates=(),
             its_indicator: str = "", seasonal: bool = False, its_errors: str = "newey-west", rebase_spc: bool = True,
             data_path: str = "", referrals_path: str = "", demographics_path: str = "", equality_groups=(),
             suppress: bool = True, sheet=None, header_row=None) -> BenefitsReport:
    """Check the report's parameters, read every input and compute what each section shows.

    Parameters are the notebook's (``notebooks/benefits_analysis.ipynb``); paths may be
    relative to the project (``data/sample/...``) and ``""`` means "not given". ``data_path`` is
    the PROMs extract (with ``referrals_path`` for the eligible referrals; without it there is
    no team comparison or equality breakdown); ``sheet`` and ``header_row`` say where its table is
    in an Excel workbook (:func:`cscs_eval.io.read_table`). Warnings raised on the way are kept as
    sentences in ``notes`` for the methods section.

    Raises
    ------
    UsageError
        A parameter value that cannot work, naming the allowed values: an unknown indicator or
        equality group, an ``its_errors`` other than ``newey-west`` or ``ar1``, a change date
        that is not a date.
    InputError
        A file that is missing or wrong (naming file, row and column).
    """
    from cscs_eval.io import read_table, resolve_path, table_path

    labels = {} if labels is None else labels
    _check_options(indicators=indicators, labels=labels, change_dates=change_dates, its_indicator=its_indicator,
                   its_errors=its_errors, equality_groups=equality_groups, data_path=data_path,
                   referrals_path=referrals_path)
    indicators, change_dates, equality_groups = list(indicators), list(change_dates), list(equality_groups)
    series_file, register_file = resolve_path(indicators_path), resolve_path(benefits_register_path)
    series = read_table(series_file, required=INDICATOR_COLUMNS)
    register = read_register(register_file)
    known = indicator_names(series)
    _check_indicators(indicators, known, "indicators", series_file.name)
    _check_indicators([its_indicator] if its_indicator else [], known, "its_indicator", series_file.name)
    label_of = indicator_labels(register, names=indicators, labels=labels)
    rebase = {its_indicator: change_dates} if (rebase_spc and its_indicator) else None
    with record_warnings() as notes:  # warnings are reported as sentences, not shown raw
        report = register_report(register, series, rebase=rebase, source=register_file,
                                 indicators_source=series_file)
        charts = indicator_charts(register, series, names=indicators or None, rebase=rebase, labels=label_of,
                                  indicators_source=series_file)
        its = (interrupted_time_series(series, indicator=its_indicator, changes=change_dates, seasonal=seasonal,
                                       label=label_of.get(its_indicator, its_indicator), errors=its_errors,
                                       source=series_file)
               if its_indicator else None)
    result = BenefitsReport(
        register=report, charts=charts, labels=label_of, titles=benefit_titles(register, labels=label_of), its=its,
        its_indicator=its_indicator, its_errors=its_errors, suppress=suppress, notes=notes,
        sources={"indicators": series_file.name, "register": f"{series_file.name} and {register_file.name}"})
    if data_path:
        _add_proms(result, table_path(resolve_path(data_path), sheet=sheet, header_row=header_row), referrals=resolve_path(referrals_path),
                   demographics=resolve_path(demographics_path) if demographics_path else None,
                   equality_groups=equality_groups)
    return result


def _add_proms(result: BenefitsReport, data_file, *, referrals, demographics, equality_groups) -> None:
    """The sections that rest on the PROMs extract: teams, equality groups, outcomes by deprivation."""
    from cscs_eval import proms

    outcomes, notes = collect_warnings(proms.outcomes, data_file, drop_invalid=True, referrals=referrals,
                                       demographics=demographics)
    eligible = paired_referrals(outcomes)
    allowed = [c for c in eligible.columns if c not in NOT_GROUPS]
    unknown = [g for g in equality_groups if g not in allowed]
    if unknown:
        raise UsageError(f"equality_groups must be columns of the referrals or demographics: one of "
                         f"{', '.join(allowed)}; got {unknown[0]!r}")
    result.notes += notes
    result.sources["proms"] = Path(data_file).name
    result.outcomes, result.eligible = outcomes, eligible
    result.teams = funnel(paired_counts(eligible, by="team"), by="team")
    result.exclusions = outcomes.exclusions
    result.equality_sections = [
        EqualitySection(column=g, gaps=published_gaps(eligible, by=g, outcome="paired", suppress=result.suppress),
                        name=group_label(g), heading=group_label(g, capital=True))
        for g in equality_groups]
    if "imd_quintile" in eligible.columns:
        result.sii = slope_index(eligible, by="imd_quintile", outcome="paired", drop_missing=True)
        # The same cohort as the PROMs outcomes report: eligible referrals with a paired ReQoL-10 total.
        result.reqol = paired_changes(outcomes.table, measure="reqol10", unit="total", require_imd=True,
                                      eligible_only=True)
