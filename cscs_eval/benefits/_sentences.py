"""Sentences for a benefit-analysis report: the summary, captions, methods and data notes.

Each function takes results and returns text that quotes their key numbers, so that a
notebook only shows it (:func:`cscs_eval.reporting.show_markdown`). Warnings raised while
computing results are kept as sentences for the report rather than shown raw:
:func:`record_warnings` and :func:`collect_warnings` catch them.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

from cscs_eval.benefits._series import day_text
from cscs_eval.governance import ROUND_TO, SMALL_MAX, suppress_count
from cscs_eval.reporting.plain import count, is_are, listing, number_words, sentence
from cscs_eval.stats import format_number

FAR = ("above 99.8%", "below 99.8%")


@contextmanager
def record_warnings():
    """Catch the warnings raised inside a ``with`` block; the list it yields holds their messages.

    The list is filled when the block ends, with each distinct message once, sorted, so a report
    can say "Points to note in the data: ..." (see :func:`methods_text`).

    Examples
    --------
    >>> with record_warnings() as notes:
    ...     warnings.warn("b happened")
    ...     warnings.warn("a happened")
    ...     warnings.warn("b happened")
    >>> notes
    ['a happened', 'b happened']
    """
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield notes
        finally:
            notes.extend(sorted({str(w.message) for w in caught}))


def collect_warnings(func, /, *args, **kwargs):
    """Call ``func(*args, **kwargs)`` and return its result and the messages of the warnings it raised.

    Returns
    -------
    tuple
        ``(result, messages)``, the messages distinct and sorted (as :func:`record_warnings`).

    Examples
    --------
    >>> def noisy(x):
    ...     warnings.warn("x is small")
    ...     return 2 * x
    >>> collect_warnings(noisy, 3)
    (6, ['x is small'])
    """
    with record_warnings() as notes:
        result = func(*args, **kwargs)
    return result, notes


def _quoted(names) -> str:
    return listing(f"'{n}'" for n in names)


def register_sentences(report) -> list[str]:
    """What the benefits register's SPC charts say, as sentences naming the benefits.

    Parameters
    ----------
    report
        The :class:`~cscs_eval.benefits.RegisterResult` :func:`cscs_eval.benefits.register_report`
        returns (its ``text()`` joins these sentences).

    Examples
    --------
    >>> import pandas as pd
    >>> from cscs_eval.benefits import RegisterResult
    >>> r = RegisterResult(pd.DataFrame({"benefit": ["Shorter waits", "Fewer missed"],
    ...                                  "variation": ["special_cause_improvement", "common_cause"],
    ...                                  "assurance": ["consistent_fail", "inconsistent"]}))
    >>> print(" ".join(register_sentences(r)))  # doctest: +NORMALIZE_WHITESPACE
    The register holds two benefits. At the latest month the indicators show special cause improvement for
    'Shorter waits'. No indicator shows special cause concern. Against their targets, none will consistently meet the
    target, one will consistently miss it unless the process changes, and one may meet or miss it by chance.
    """
    report = report.table
    n = len(report)
    improving = report.loc[report["variation"] == "special_cause_improvement", "benefit"].astype(str).tolist()
    concerning = report.loc[report["variation"] == "special_cause_concern", "benefit"].astype(str).tolist()
    passing = int((report["assurance"] == "consistent_pass").sum())
    failing = int((report["assurance"] == "consistent_fail").sum())
    chance = int((report["assurance"] == "inconsistent").sum())
    def how_many(k):
        return "none" if k == 0 else ("all" if k == n and n > 2 else number_words(k))

    return [
        f"The register holds {count(n, 'benefit', words=True)}.",
        (f"At the latest month the indicators show special cause improvement for {_quoted(improving)}."
         if improving else "At the latest month no indicator shows special cause improvement."),
        f"Special cause concern shows for {_quoted(concerning)}." if concerning else
        "No indicator shows special cause concern.",
        f"Against their targets, {how_many(passing)} will consistently meet the target, {how_many(failing)} will "
        f"consistently miss it unless the process changes, and {how_many(chance)} may meet or miss it by chance.",
    ]


def its_sentence(its) -> str:
    """The step in level at the first change, with its interval, named by the series' label.

    Examples
    --------
    >>> import pandas as pd
    >>> from cscs_eval.benefits import interrupted_time_series
    >>> dates = pd.date_range("2022-01-01", periods=24, freq="MS")
    >>> y = [10 + 0.1 * t + (5 if t >= 12 else 0) + 0.3 * (-1) ** t for t in range(24)]
    >>> its = interrupted_time_series(pd.DataFrame({"date": dates, "value": y}), changes="2023-01-01", label="Rate")
    >>> its_sentence(its)[:44]
    'Rate stepped by 5.2 at the service change of'
    """
    step = its.term("level_change")
    day = day_text(its.changes[0])
    pct = round(100 * (1 - its.alpha))
    estimate, lower, upper = (format_number(step[k], decimals=1) for k in ("estimate", "lower", "upper"))
    return (f"{its.label or 'The series'} stepped by {estimate} at the service change of {day} ({pct}% CI {lower} "
            f"to {upper}).")


#: What the benefits report's paired rate counts, said wherever the rate is quoted (the PROMs outcomes report's
#: paired rate is of one measure; this one is of any).
PAIRED_ANY = ("of eligible referrals have a paired score on any measure (ReQoL-10, DIALOG or Goal Based "
              "Outcomes)")


def funnel_sentence(funnel, *, unit: str = "teams", what: str = PAIRED_ANY) -> str:
    """The overall rate across groups and how many lie outside the 99.8% limits.

    Examples
    --------
    >>> import pandas as pd
    >>> from cscs_eval.benefits import funnel
    >>> df = pd.DataFrame({"group": ["a", "b"], "numerator": [50, 30], "denominator": [100, 100]})
    >>> funnel_sentence(funnel(df, overdispersion=False), what="have a paired score")
    'Across 2 teams 40.0% have a paired score; no team lies outside the 99.8% funnel limits.'
    """
    t = funnel.table
    bands = t[~funnel.hidden().to_numpy()]  # a team whose counts are hidden: its band is not told either
    far = int(bands["outlier"].isin(FAR).sum())
    one = unit[:-1] if unit.endswith("s") else unit
    outside = f"no {one} lies" if far == 0 else f"{count(far, one, words=True)} {'lies' if far == 1 else 'lie'}"
    return (f"Across {len(t)} {unit} {format_number(funnel.target, decimals=1, share=True)} {what}; {outside} "
            "outside the 99.8% funnel limits.")


def sii_sentence(sii, *, what: str = "the paired rate") -> str:
    """Which way, and by how much, a rate changes from the most to the least deprived IMD quintile.

    Examples
    --------
    >>> from cscs_eval.benefits import sii_from_groups
    >>> r = sii_from_groups([1, 2], [0.2, 0.4], [100, 100], variances=[0.0016, 0.0024])
    >>> sii_sentence(r)  # doctest: +ELLIPSIS
    'From the most to the least deprived IMD quintile the paired rate rises by 40.0 percentage points (slope ...'
    """
    s = sii.table.set_index("term").loc["sii"]
    pct = round(100 * (1 - sii.alpha))
    return (f"From the most to the least deprived IMD quintile {what} "
            f"{'rises' if s['estimate'] >= 0 else 'falls'} by {format_number(abs(100 * s['estimate']), decimals=1)} "
            f"percentage points (slope index of inequality {format_number(100 * s['estimate'], decimals=1)}, {pct}% "
            f"CI {format_number(100 * s['lower'], decimals=1)} to {format_number(100 * s['upper'], decimals=1)}).")


def summary_text(report, *, its=None, funnel=None, sii=None, unit: str = "teams") -> str:
    """The report's summary: the register, the service change, the team comparison and the gradient.

    Parameters
    ----------
    report
        The :class:`~cscs_eval.benefits.RegisterResult` :func:`cscs_eval.benefits.register_report` returns.
    its
        An :class:`~cscs_eval.benefits.ItsResult` (its ``label`` names the series), or ``None``.
    funnel
        A :class:`~cscs_eval.benefits.FunnelResult` of paired PROMs by team, or ``None``.
    sii
        A :class:`~cscs_eval.benefits.SlopeIndexResult` of the paired rate by IMD quintile, or ``None``.
    unit
        What the funnel's groups are (``teams``).

    Returns
    -------
    str
        One paragraph; the sentences of results given as ``None`` are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from cscs_eval.benefits import RegisterResult
    >>> r = RegisterResult(pd.DataFrame({"benefit": ["Shorter waits"], "variation": ["special_cause_concern"],
    ...                                  "assurance": ["consistent_pass"]}))
    >>> summary_text(r)  # doctest: +ELLIPSIS
    "The register holds one benefit. ... Special cause concern shows for 'Shorter waits'. ..."
    """
    sentences = register_sentences(report)
    if its is not None:
        sentences.append(its_sentence(its))
    if funnel is not None:
        sentences.append(funnel_sentence(funnel, unit=unit))
    if sii is not None:
        sentences.append(sii_sentence(sii))
    return " ".join(sentences)


def spc_caption(chart) -> str:
    """An SPC chart's caption: its sentence (:meth:`SpcResult.text`) with a capital letter.

    Examples
    --------
    >>> class Chart:
    ...     def text(self):
    ...         return "dna rate: common cause variation"
    >>> spc_caption(Chart())
    'Dna rate: common cause variation'
    """
    text = chart.text()
    return text[:1].upper() + text[1:]


def funnel_caption(funnel, *, unit: str = "teams", suppress: bool = True) -> str:
    """The funnel plot's caption, saying how many groups are not drawn when suppression is on.

    With ``suppress`` a group whose numerator or denominator is 1 to 4 is left out of the
    figure (:func:`cscs_eval.benefits.plot_funnel` with ``suppress=True``, its default); the
    caption says how many, and that the limits still use every group.

    Examples
    --------
    >>> import pandas as pd
    >>> from cscs_eval.benefits import funnel
    >>> df = pd.DataFrame({"group": ["a", "b", "c"], "numerator": [2, 30, 52], "denominator": [40, 100, 120]})
    >>> funnel_caption(funnel(df))[-83:]
    'not shown, nor counted above (small-number suppression); the limits use every team.'
    >>> funnel_caption(funnel(df, overdispersion=False), suppress=False)[:73]  # a, 2 of 40, is the outlier
    'Across 3 teams the overall rate is 32.3%. One team lies outside the 99.8%'
    """
    one = unit[:-1] if unit.endswith("s") else unit
    t = funnel.table
    hidden = int(funnel.hidden().sum()) if suppress else 0
    bands = t[~funnel.hidden().to_numpy()] if hidden else t  # a hidden team's band is not told either
    far = int(bands["outlier"].isin(FAR).sum())
    near = int(bands["outlier"].isin(("above 95%", "below 95%")).sum())
    text = (f"Across {len(t)} {unit} the overall rate is {format_number(funnel.target, decimals=1, share=True)}. "
            + sentence(f"{count(far, one, words=True)} {'lies' if far == 1 else 'lie'} outside the 99.8% limits and "
                       f"{number_words(near)} more outside the 95% limits.")
            + (" The limits are widened because the teams differ more than chance alone would make them "
               "(over-dispersion)." if funnel.overdispersion else ""))
    text += f" Each dot is a {one}; the labelled diamonds lie outside the 95% limits."
    if hidden:
        text += (f" {hidden} {one if hidden == 1 else unit} with a count of 1 to {SMALL_MAX} (or hidden so that "
                 f"such a count cannot be worked out) {'is' if hidden == 1 else 'are'} not shown, nor counted above "
                 f"(small-number suppression); the limits use every {one}.")
    return text


def deprivation_text(sii, *, suppress: bool = True, what: str = "referral") -> str:
    """The slope index across IMD quintiles, and how many rows had no IMD decile to place them.

    ``sii`` comes from :func:`cscs_eval.benefits.slope_index` with ``drop_missing=True``; the
    number left out is suppressed (1 to 4 as ``*``, else rounded to 5) when ``suppress``.

    Examples
    --------
    >>> from cscs_eval.benefits import sii_from_groups
    >>> r = sii_from_groups([1, 2], [0.2, 0.4], [100, 100], variances=[0.0016, 0.0024])
    >>> r.n_dropped = 3
    >>> deprivation_text(r).endswith("most deprived; * referrals without an IMD decile are left out of the index.")
    True
    """
    text = (sii.text(scale=100, unit=" percentage points", group_label="IMD quintile")
            + " Quintile 1 is the most deprived; ")
    if sii.n_dropped == 0:
        return text + f"every eligible {what} has an IMD decile."
    n = suppress_count(sii.n_dropped) if suppress else sii.n_dropped
    shown = str(n) if isinstance(n, str) else int(n)
    return text + f"{count(shown, what)} without an IMD decile {'is' if shown == 1 else 'are'} left out of the index."


def improvement_text(sii, *, measure: str = "ReQoL-10 total", suppress: bool = True) -> str:
    """How many paired changes with an IMD decile there are, the share improving and its gradient.

    ``sii`` is the slope index of a 0/1 ``improved`` outcome by IMD quintile
    (:func:`cscs_eval.benefits.slope_index`) over eligible referrals with a paired score, as the
    PROMs outcomes report counts them; its groups give the count and the overall share.
    With ``suppress`` the count is rounded to the nearest 5 ("about").

    Examples
    --------
    >>> from cscs_eval.benefits import sii_from_groups
    >>> r = sii_from_groups([1, 2], [0.2, 0.4], [101, 100], variances=[0.0016, 0.0024])
    >>> improvement_text(r)[:95]
    'Of about 200 eligible referrals with a paired ReQoL-10 total and an IMD decile, 30.0% show a re'
    """
    n = int(sii.groups["n"].sum())
    shown = f"about {suppress_count(n):,}" if suppress else f"{n:,}"
    share = sii.mean
    if suppress and n:  # from the published (rounded) counts, as the PROMs report gives it: an exact share
        improved = int(round(float((sii.groups["n"] * sii.groups["estimate"]).sum())))  # would undo the rounding
        share = suppress_count(improved) / suppress_count(n) if improved > SMALL_MAX else None
    gradient = sii.text(scale=100, unit=" percentage points", group_label="IMD quintile")
    if share is None:
        return (f"Of {shown} eligible referrals with a paired {measure} and an IMD decile, too few show a reliable "
                f"improvement to report the share. {gradient}")
    return (f"Of {shown} eligible referrals with a paired {measure} and an IMD decile, "
            f"{format_number(share, decimals=1, share=True)} show a reliable improvement. For that share, "
            f"{gradient[:1].lower()}{gradient[1:]}")


def methods_text(*, its_errors: str = "newey-west", notes=(), suppress: bool = True) -> str:
    """The report's methods paragraph, with the data's warnings as "points to note".

    Parameters
    ----------
    its_errors
        The interrupted time series' errors: ``newey-west`` or ``ar1``.
    notes
        Warning messages (from :func:`record_warnings`), quoted as they are.
    suppress
        Whether published tables and figures apply small-number suppression.

    Examples
    --------
    >>> methods_text(notes=["a note"]).endswith("Points to note in the data: a note.")
    True
    """
    errors = ("AR(1) errors (generalised least squares). " if its_errors == "ar1" else
              "Newey-West standard errors, t intervals and the small-sample factor, as Stata's newey computes them; "
              "in short series such intervals are somewhat too narrow. ")
    privacy = (f"Published tables suppress counts of 1 to {SMALL_MAX} and round other counts to the nearest "
               f"{ROUND_TO}, and the funnel plot leaves out teams with a count of 1 to {SMALL_MAX}." if suppress else
               "Small-number suppression is off: tables and figures show exact counts, for analysts, not for "
               "publication.")
    text = ("SPC charts follow NHS England's Making Data Count rules as the NHSRplotthedots package applies them "
            "(moving ranges not screened, as in the Excel tools). The interrupted time series is a segmented "
            "regression (Wagner et al. 2002) with " + errors + "Funnel limits use Spiegelhalter's arcsine method "
            "with DerSimonian-Laird over-dispersion, as FunnelPlotR computes them. Rates by group have Wilson "
            "intervals and gaps Newcombe's hybrid score intervals. " + privacy)
    notes = list(notes)
    if notes:
        text += " Points to note in the data: " + "; ".join(notes) + "."
    return text
