"""Report tables for benefit analyses: results laid out with the headings a reader sees.

Each function takes a result and returns a DataFrame whose columns are the headings of the
report's table (no underscores, units in the heading), ready for
:func:`cscs_eval.reporting.show_table`. Suppression is applied here where the function takes
``suppress``, so a notebook shows what it is given; :func:`suppression_note` is the line to
print under such a table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cscs_eval.benefits._xmr import ASSURANCE_SHORT, VARIATION_SHORT
from cscs_eval.governance import SUPPRESSION_NOTE
from cscs_eval.stats import format_number

#: headings of the columns the group names of :mod:`cscs_eval.proms` demographics are shown under
GROUP_LABELS = {"imd_quintile": "IMD quintile", "imd_decile": "IMD decile", "age_band": "age band"}


def suppression_note(*, suppress: bool = True):
    """The line under a suppressed table, or ``None`` when suppression is off.

    Examples
    --------
    >>> suppression_note(suppress=True)  # doctest: +ELLIPSIS
    '* = 1 to 4 (suppressed); other counts rounded to the nearest 5; ...'
    >>> suppression_note(suppress=False) is None
    True
    """
    return SUPPRESSION_NOTE if suppress else None


def group_label(column: str, *, capital: bool = False) -> str:
    """How a grouping column is named in a sentence (``imd_quintile`` -> ``IMD quintile``).

    Examples
    --------
    >>> group_label("age_band"), group_label("age_band", capital=True), group_label("imd_quintile")
    ('age band', 'Age band', 'IMD quintile')
    """
    name = GROUP_LABELS.get(column, str(column).replace("_", " "))
    return name[:1].upper() + name[1:] if capital else name


def register_table(report: pd.DataFrame) -> pd.DataFrame:
    """The benefits register as a report shows it: each benefit with its SPC variation and assurance.

    Parameters
    ----------
    report
        The :class:`~cscs_eval.benefits.RegisterResult` :func:`cscs_eval.benefits.register_report` returns.

    Returns
    -------
    pandas.DataFrame
        ``Benefit, Owner, Status, Baseline, Target, Latest value, Mean, Variation, Assurance``,
        the variation and assurance in short words (``no target`` without an assurance).

    Examples
    --------
    >>> from cscs_eval.benefits import RegisterResult
    >>> r = pd.DataFrame({"benefit": ["Fewer waits"], "owner": ["Ops"], "status": ["on track"], "baseline": [8.0],
    ...                   "target": [4.0], "latest": [6.1], "mean": [5.9], "variation": ["common_cause"],
    ...                   "assurance": [None]})
    >>> register_table(RegisterResult(r)).iloc[0].tolist()[-2:]
    ['Common cause', 'no target']
    """
    report = report.table
    out = report.assign(variation=report["variation"].map(VARIATION_SHORT),
                        assurance=report["assurance"].map(ASSURANCE_SHORT).fillna("no target"))
    out = out[["benefit", "owner", "status", "baseline", "target", "latest", "mean", "variation", "assurance"]]
    return out.rename(columns={"latest": "Latest value"}).rename(columns=str.capitalize)


def its_table(result) -> pd.DataFrame:
    """The interrupted time series' coefficients with each term in words and p values as text.

    Parameters
    ----------
    result
        An :class:`~cscs_eval.benefits.ItsResult`.

    Returns
    -------
    pandas.DataFrame
        ``Term, Estimate, Lower 95%, Upper 95%, p value`` (the interval's level follows the
        result's ``alpha``); p below 0.001 is written ``< 0.001``.

    Examples
    --------
    >>> from cscs_eval.benefits import interrupted_time_series
    >>> dates = pd.date_range("2022-01-01", periods=24, freq="MS")
    >>> y = [10 + 0.1 * t + (5 if t >= 12 else 0) + 0.3 * (-1) ** t for t in range(24)]
    >>> t = its_table(interrupted_time_series(pd.DataFrame({"date": dates, "value": y}), changes="2023-01-01"))
    >>> t.columns.tolist(), t["Term"].iloc[2], t["p value"].iloc[2]
    (['Term', 'Estimate', 'Lower 95%', 'Upper 95%', 'p value'], 'Step at 2023-01-01', '< 0.001')
    """
    pct = round(100 * (1 - result.alpha))
    coef = result.table.assign(
        term=lambda d: d["term"].map(result.term_labels()),
        p_value=lambda d: d["p_value"].map(lambda p: "< 0.001" if p < 0.001 else format_number(p, decimals=3)))
    return coef.rename(columns={"term": "Term", "estimate": "Estimate", "lower": f"Lower {pct}%",
                                "upper": f"Upper {pct}%", "p_value": "p value"})


def outlier_table(result, *, suppress: bool = True, group_label: str = "Group", numerator_label: str = "Numerator",
                  denominator_label: str = "Denominator", unit: str = "%"):
    """The groups outside a funnel's 95% limits, furthest first, ready to publish.

    Parameters
    ----------
    result
        A :class:`~cscs_eval.benefits.FunnelResult`.
    suppress
        Small-number suppression (see :meth:`FunnelResult.published_table`).
    group_label, numerator_label, denominator_label
        Headings for the group and the two counts; the rate is headed
        ``"<numerator_label> (%)"``.
    unit
        ``"%"`` for the rate as a percentage, ``""`` for a proportion.

    Returns
    -------
    cscs_eval.governance.ProtectedTable
        Its ``table``: ``<group>, <numerator>, <denominator>, <numerator> (%), Outside``; with its
        structure, for a report or a file (a group whose counts are hidden is not listed).

    Examples
    --------
    >>> from cscs_eval.benefits import funnel
    >>> df = pd.DataFrame({"team": list("ABCDEF"), "numerator": [2, 30, 40, 20, 70, 35],
    ...                    "denominator": [100, 150, 200, 80, 250, 160]})
    >>> t = outlier_table(funnel(df, by="team", overdispersion=False), group_label="Team").table
    >>> t.columns.tolist()
    ['Team', 'Numerator', 'Denominator', 'Numerator (%)', 'Outside']
    >>> "A" in t["Team"].tolist()  # below the limits, but 2 of 100 is suppressed: listing it would tell its band
    False
    """
    published = result.published(suppress=suppress, percent=unit == "%", outliers_only=True)
    rate = f"{numerator_label} ({unit})" if unit else f"{numerator_label} (rate)"
    names = {"group": group_label, "numerator": numerator_label, "denominator": denominator_label, "rate": rate,
             "outlier": "Outside"}
    return published.with_table(published.table[list(names)].rename(columns=names),
                                published.structure.replace(labels=names))


def gap_table(gaps: pd.DataFrame, *, group_label: str = "Group", n_label: str = "N", events_label: str = "Events",
              estimate_label: str = "Rate (%)", scale: float = 100) -> pd.DataFrame:
    """Each group's estimate and its gap to the reference group, as a report shows them.

    Parameters
    ----------
    gaps
        The table :func:`cscs_eval.benefits.inequality_gaps` returns (suppressed or not:
        withheld cells ``*`` stay as they are).
    group_label, n_label, events_label, estimate_label
        Headings for the group, its size, its events (rates only) and its estimate.
    scale
        Multiplier for the estimate, its interval and the absolute gap (100 turns a rate
        into a percentage and its gap into percentage points; 1 for means).

    Returns
    -------
    pandas.DataFrame
        ``<group>, <n>, [<events>,] <estimate>, Lower 95%, Upper 95%, Gap, Gap lower, Gap upper``; for
        a published table (:func:`~cscs_eval.benefits.published_gaps`) the same as a published table.

    Examples
    --------
    >>> g = pd.DataFrame({"group": ["a", "b"], "n": [100, "*"], "events": [20, "*"], "estimate": [0.2, "*"],
    ...                   "lower": [0.13, "*"], "upper": [0.29, "*"], "abs_gap": [0.0, "*"],
    ...                   "abs_gap_lower": [0.0, "*"], "abs_gap_upper": [0.0, "*"], "reference": [True, False]})
    >>> gap_table(g, events_label="Paired").iloc[:, :4].values.tolist()
    [['a', 100, 20, 20.0], ['b', '*', '*', '*']]
    """
    import dataclasses

    published = gaps if hasattr(gaps, "structure") and hasattr(gaps, "table") else None
    gaps = gaps.table if published is not None else gaps
    derived = ["estimate", "lower", "upper", "abs_gap", "abs_gap_lower", "abs_gap_upper"]
    cols = ["group", "n"] + (["events"] if "events" in gaps.columns else []) + derived
    shown = gaps[cols].assign(**{c: gaps[c].map(lambda v: v if isinstance(v, str) else scale * v)
                                 for c in derived})
    names = {"group": group_label, "n": n_label, "events": events_label, "estimate": estimate_label,
             "lower": "Lower 95%", "upper": "Upper 95%", "abs_gap": "Gap", "abs_gap_lower": "Gap lower",
             "abs_gap_upper": "Gap upper"}
    structure = None if published is None else published.structure
    if structure is not None and structure.rates and scale == 100 and structure.suppressed:
        # a published rate as a percentage with one decimal, from the published counts (not by scaling
        # the rounded proportion: rounding twice can land on the other side of a half)
        from cscs_eval.stats import round_half_up

        rate = dataclasses.replace(structure.rates[0], scale="percent", decimals=1)
        shown["estimate"] = [v if isinstance(gaps["events"].iloc[i], str) or isinstance(v, str) else
                             round_half_up(100 * float(gaps["events"].iloc[i]) / float(gaps["n"].iloc[i]), decimals=1)
                             for i, v in enumerate(gaps["estimate"])]
        structure = structure.replace(rates=(rate,))
    shown = shown.rename(columns=names)
    if published is None:
        return shown
    return published.with_table(shown, structure.replace(labels={c: names[c] for c in cols if c in names}))


def reference_group(gaps: pd.DataFrame):
    """The reference group of an :func:`~cscs_eval.benefits.inequality_gaps` table.

    Examples
    --------
    >>> reference_group(pd.DataFrame({"group": ["a", "b"], "reference": [False, True]}))
    'b'
    """
    return gaps.loc[gaps["reference"].astype(bool), "group"].iloc[0]


def save_tables(output_dir, *, report=None, its=None, charts=None, funnel=None, suppress: bool = True) -> Path:
    """Write the result tables as CSV files into ``output_dir`` (created if need be) and return it.

    Files: ``benefits_register_report.csv``, ``its_coefficients.csv``, ``spc_<indicator>.csv``
    for each chart, and ``funnel_paired_by_team.csv`` (suppressed unless ``suppress=False``:
    its counts are per team and may be small). Results given as ``None`` are skipped.
    """
    from cscs_eval.io import write_table

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if report is not None:
        write_table(report.table, out / "benefits_register_report.csv")
    if its is not None:
        write_table(its.table, out / "its_coefficients.csv")
    for name, chart in (charts or {}).items():
        write_table(chart.chart_table(), out / f"spc_{name}.csv")
    if funnel is not None:
        write_table(funnel.published(suppress=suppress), out / "funnel_paired_by_team.csv")  # and its structure
    return out
