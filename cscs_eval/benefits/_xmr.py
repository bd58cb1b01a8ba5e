"""NHS "Making Data Count" XmR charts, computed exactly as NHSRplotthedots computes them.

Reference implementation: nhs-r-community/NHSRplotthedots 0.2.x, ``R/ptd_spc_standard.R``
(limits), ``R/ptd_calculate_point_type.R`` (rules and point types),
``R/ptd_calculate_assurance_type.R`` (assurance) and ``summary.ptd_spc_df`` in ``R/ptd_spc.R``.
The rules are re-implemented here from their description, one small function each, so that
each can be tested against the package's own unit-test examples
(``tests/reference/benefits/README.md``).

Differences from the R package, on purpose:

* moving-range screening is **off** by default (``screen_outliers=False``), to match the
  Making Data Count Excel tools; NHSRplotthedots defaults to on (its ``vignettes/deviations.Rmd``);
* a rebase date that is not a date of the series is an error (the package ignores it silently);
* missing values are an error (the package drops them from the mean and moving ranges);
* the mean, moving ranges and limits are computed, and every point compared with them, in exact
  decimals of the values as written (``_exact``), so a point equal to the mean is on it (``relative_to_mean``
  0, which breaks a run of 7 as in the package) and a point equal to a limit is inside it. R gets the
  same answer for the mean because its ``mean()`` sums in long double and corrects with a second pass
  (``real_mean`` in R's ``src/main/summary.c``); numpy's pairwise sum makes the mean of
  ``[10.0, 9.3, 9.9, 11.6, 10.7, 10.1, 10.9, 9.0, 12.7, 13.5, 13.4, 13.1, 13.3, 14.9]``
  11.600000000000003, which put the point 11.6 below it and made a false shift of 8 points.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from cscs_eval.benefits._series import day_text, option_dates, prepare_series, time_steps
from cscs_eval.errors import InputError, SmallSampleWarning, UsageError
from cscs_eval.results import Result
from cscs_eval.stats import format_number

#: 2.66 = 3 / d2 with d2 = 1.128 for moving ranges of two points (Wheeler); NHSRplotthedots' ``limit``.
LIMIT = 2.66
#: The "near" limits at two thirds of the process limits (about 2 sigma); NHSRplotthedots' ``limitclose``.
NEAR_LIMIT = 2 * (LIMIT / 3)
#: Moving ranges at or above 3.267 mean moving ranges are screened out when asked (Nelson 1982).
SCREEN_LIMIT = 3.267
# The same constants as exact fractions, for the exact limits.
_LIMIT = Fraction("2.66")
_NEAR_LIMIT = 2 * _LIMIT / 3
_SCREEN_LIMIT = Fraction("3.267")
#: A run of this many points makes a trend or a shift (Making Data Count uses 7 and 7).
RUN_LENGTH = 7
#: Limits resting on fewer points than this are trial limits and give a warning.
MIN_POINTS = 13

IMPROVEMENT = {"increase": 1, "neutral": 0, "decrease": -1}

VARIATION_LABELS = {
    "common_cause": "Common cause variation",
    "special_cause_improvement": "Special cause variation: improvement",
    "special_cause_concern": "Special cause variation: concern",
    "special_cause_neutral_high": "Special cause variation: neutral, high",
    "special_cause_neutral_low": "Special cause variation: neutral, low",
}
#: Short forms for tables and chart badges.
VARIATION_SHORT = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Improvement",
    "special_cause_concern": "Concern",
    "special_cause_neutral_high": "Neutral: high",
    "special_cause_neutral_low": "Neutral: low",
}
ASSURANCE_SHORT = {
    "consistent_pass": "Target consistently met",
    "consistent_fail": "Target consistently missed",
    "inconsistent": "Target hit and miss",
}
ASSURANCE_LABELS = {
    "consistent_pass": "Consistently passing the target",
    "consistent_fail": "Consistently failing the target",
    "inconsistent": "Inconsistent: passing and failing the target by chance",
}


class ShortSeriesWarning(SmallSampleWarning):
    """SPC limits rest on fewer than 13 points: they are trial limits (as NHSRplotthedots warns)."""


# --- the rules, as in R/ptd_calculate_point_type.R -------------------------------------------

def seven_point_one_side_mean(relative_to_mean) -> np.ndarray:
    """1 at the 7th and later points of a run of 7 or more on one side of the mean, else 0.

    ``relative_to_mean`` is the sign of each point's distance from the mean; a point on
    the mean (0) breaks a run.

    Examples
    --------
    >>> seven_point_one_side_mean([1] * 8 + [-1]).tolist()
    [0, 0, 0, 0, 0, 0, 1, 1, 0]
    """
    r = np.asarray(relative_to_mean, dtype=float)
    out = np.zeros(len(r), dtype=int)
    for i in range(RUN_LENGTH - 1, len(r)):
        window = r[i - RUN_LENGTH + 1:i + 1]
        out[i] = int(r[i] != 0 and np.all(window == r[i]))
    return out


def seven_point_trend(y) -> np.ndarray:
    """+1 (-1) at the 7th and later points of 7 points each higher (lower) than the one before.

    A tie breaks the trend.

    Examples
    --------
    >>> seven_point_trend([2, 1, 2, 3, 4, 5, 6, 7, 3]).tolist()
    [0, 0, 0, 0, 0, 0, 0, 1, 0]
    """
    y = np.asarray(y, dtype=float)
    out = np.zeros(len(y), dtype=int)
    for i in range(RUN_LENGTH - 1, len(y)):
        d = np.sign(np.diff(y[i - RUN_LENGTH + 1:i + 1]))
        if np.all(d == 1):
            out[i] = 1
        elif np.all(d == -1):
            out[i] = -1
    return out


def part_of_run(flags) -> np.ndarray:
    """1 where a point belongs to a flagged run: it is flagged, or one of the next 6 points is.

    Examples
    --------
    >>> part_of_run([0, 0, 0, 0, 0, 0, 1, 1, 0]).tolist()
    [1, 1, 1, 1, 1, 1, 1, 1, 0]
    """
    f = np.abs(np.asarray(flags, dtype=float)) == 1
    out = np.zeros(len(f), dtype=int)
    for i in range(len(f)):
        out[i] = int(f[i:i + RUN_LENGTH].any())
    return out


def two_in_three(close_to_limits, relative_to_mean=None) -> np.ndarray:
    """1 where a point sits in a window of 3 with at least 2 points near the limits, all 3 on one side.

    ``close_to_limits`` marks points between the near (2 sigma) and process (3 sigma) limits;
    points outside the process limits are not "close". Without ``relative_to_mean`` the
    side is not checked (the package's helper tests call it so).

    Examples
    --------
    >>> two_in_three([0, 0, 1, 1, 0, 0, 0], [1] * 7).tolist()
    [0, 1, 1, 1, 1, 0, 0]
    """
    c = np.asarray(close_to_limits, dtype=float)
    n = len(c)
    r = np.ones(n) if relative_to_mean is None else np.asarray(relative_to_mean, dtype=float)
    cp = np.concatenate([[0, 0], c, [0, 0]])
    rp = np.concatenate([[0, 0], r, [0, 0]])
    out = np.zeros(n, dtype=int)
    for j in range(n):
        # the three windows of 3 that contain point j (padded positions j..j+4)
        for start in (j, j + 1, j + 2):
            if cp[start:start + 3].sum() >= 2 and abs(rp[start:start + 3].sum()) == 3:
                out[j] = 1
                break
    return out


def part_of_two_in_three(flags, close_to_limits) -> np.ndarray:
    """Of the points in a 2-in-3 window, only those near the limits are flagged."""
    f = np.asarray(flags, dtype=float)
    c = np.abs(np.asarray(close_to_limits, dtype=float))
    return ((f == 1) & (c == 1)).astype(int)


def special_cause_type(y, relative_to_mean, close_to_limits, outside_limits) -> list[str]:
    """The rule that flags each point, in NHSRplotthedots' order of precedence.

    1. outside the process limits (``Above UCL``/``Below LCL``); 2. a 7-point trend
    (``7 Point Trend (Increasing)``/``(Decreasing)``); 3. 2 of 3 near the limits
    (``2 in 3 Above CL``/``Below CL``); 4. 7 points on one side of the mean
    (``7 Points Above CL``/``Below CL``); else ``Common Cause``.
    """
    y = np.asarray(y, dtype=float)
    rtm = np.asarray(relative_to_mean, dtype=float)
    outside = np.asarray(outside_limits, dtype=bool)
    trend = part_of_run(seven_point_trend(y))
    two3 = part_of_two_in_three(two_in_three(close_to_limits, rtm), close_to_limits)
    shift = part_of_run(seven_point_one_side_mean(rtm))
    sdy = np.sign(np.diff(y))
    n = len(y)
    out = []
    for i in range(n):
        above_below = "Above" if rtm[i] > 0 else "Below"
        if outside[i]:
            out.append("Above UCL" if rtm[i] == 1 else "Below LCL")
        elif trend[i]:
            # a point inside a trend takes the direction of the step after it, the last one of the step before
            if i + 1 < n and trend[i + 1]:
                direction = sdy[i]
            else:
                direction = sdy[i - 1] if i > 0 else 0
            out.append(f"7 Point Trend ({'In' if direction == 1 else 'De'}creasing)")
        elif two3[i]:
            out.append(f"2 in 3 {above_below} CL")
        elif shift[i]:
            out.append(f"7 Points {above_below} CL")
        else:
            out.append("Common Cause")
    return out


def point_type(special_cause, improvement: str = "increase") -> list[str]:
    """Name each point as NHSRplotthedots does, from its rule and the improvement direction.

    Examples
    --------
    >>> point_type(["Above UCL", "Common Cause", "7 Point Trend (Decreasing)"], "decrease")
    ['special_cause_concern', 'common_cause', 'special_cause_improvement']
    """
    direction = _direction(improvement)
    out = []
    for label in special_cause:
        up, down = ("Above" in label or "Increasing" in label), ("Below" in label or "Decreasing" in label)
        v = 1 if up else -1 if down else 0
        if v == 0:
            out.append("common_cause")
        elif direction == 0:
            out.append("special_cause_neutral_high" if v > 0 else "special_cause_neutral_low")
        else:
            out.append("special_cause_improvement" if v * direction > 0 else "special_cause_concern")
    return out


def assurance_type(target, lpl: float, upl: float, improvement: str = "increase"):
    """Whether the process will consistently pass or fail a target, from the latest limits.

    Examples
    --------
    >>> assurance_type(10, 2, 8, "increase"), assurance_type(10, 2, 8, "decrease"), assurance_type(5, 2, 8)
    ('consistent_fail', 'consistent_pass', 'inconsistent')
    """
    if target is None or _direction(improvement) == 0:
        return None
    increasing = _direction(improvement) == 1
    if target > upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"


def _direction(improvement) -> int:
    if improvement not in IMPROVEMENT:
        raise UsageError(f"improvement must be one of {', '.join(IMPROVEMENT)}; got {improvement!r}")
    return IMPROVEMENT[improvement]


# --- limits, as in R/ptd_spc_standard.R ------------------------------------------------------

def xmr_limits(values, *, screen_outliers: bool = False, fix_after_n_points: int | None = None) -> dict:
    """Mean, mean moving range and limits of one group of points.

    Parameters
    ----------
    values
        The points in time order.
    screen_outliers
        Drop moving ranges at or above 3.267 times the mean moving range and recompute it
        (NHSRplotthedots' default; the Making Data Count Excel tools do not screen).
    fix_after_n_points
        Compute the limits from the first n points only.

    Notes
    -----
    Computed in exact decimals of the values as written and rounded once to a float, so the
    mean of 0.1, 0.2 and 0.3 is 0.2, the float the value 0.2 is stored as (numpy gives
    0.20000000000000004).

    Examples
    --------
    >>> {k: round(v, 4) for k, v in xmr_limits(range(1, 11)).items()}
    {'mean': 5.5, 'mean_moving_range': 1.0, 'lpl': 2.84, 'upl': 8.16, 'near_lpl': 3.7267, 'near_upl': 7.2733}
    >>> xmr_limits([0.1, 0.2, 0.3])["mean"]
    0.2
    """
    return {k: float(v) for k, v in _exact_limits(_exact(values), screen_outliers=screen_outliers,
                                                  fix_after_n_points=fix_after_n_points).items()}


def _exact(values) -> list[Fraction]:
    """Each value as the decimal it is written as (its shortest repr): 11.6 is 116/10, not the float below it."""
    return [Fraction(repr(float(v))) for v in values]


def _exact_limits(x: list[Fraction], *, screen_outliers: bool, fix_after_n_points: int | None) -> dict:
    if fix_after_n_points is not None:
        x = x[:int(fix_after_n_points)]
    mean = sum(x, Fraction(0)) / len(x)
    mr = [abs(b - a) for a, b in zip(x, x[1:])]
    amr = sum(mr, Fraction(0)) / len(mr) if mr else None
    if screen_outliers and mr:
        kept = [m for m in mr if m < _SCREEN_LIMIT * amr]
        # with every range screened out R's mean() of nothing is NaN; so is ours
        amr = sum(kept, Fraction(0)) / len(kept) if kept else None
    if amr is None:
        nan = float("nan")
        return {"mean": mean, "mean_moving_range": nan, "lpl": nan, "upl": nan, "near_lpl": nan, "near_upl": nan}
    return {"mean": mean, "mean_moving_range": amr,
            "lpl": mean - _LIMIT * amr, "upl": mean + _LIMIT * amr,
            "near_lpl": mean - _NEAR_LIMIT * amr, "near_upl": mean + _NEAR_LIMIT * amr}


def _compare(x: list[Fraction], lim: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outside the limits, side of the mean (-1, 0, 1) and near the limits, each compared exactly."""
    rtm = np.array([(v > lim["mean"]) - (v < lim["mean"]) for v in x], dtype=int)
    if isinstance(lim["upl"], float):  # no moving range: NaN limits, which nothing is beyond (as in R)
        no = np.zeros(len(x), dtype=bool)
        return no, rtm, no
    outside = np.array([v > lim["upl"] or v < lim["lpl"] for v in x], dtype=bool)
    close = ~outside & np.array([v < lim["near_lpl"] or v > lim["near_upl"] for v in x], dtype=bool)
    return outside, rtm, close


#: The columns a chart needs, as ``benefits spc --out`` writes them.
CHART_COLUMNS = ("date", "value", "mean", "lpl", "upl", "point_type")


@dataclass(repr=False)
class SpcResult(Result):
    """An XmR chart: the points with their limits and types, and the options that made them.

    ``table`` has one row per point: ``date, value, rebase_group, mean, lpl, upl, near_lpl,
    near_upl, outside_limits, relative_to_mean, close_to_limits, special_cause_type,
    special_cause_flag, point_type, short_group_warning``. ``summary()`` has one row per
    rebase group and ``text()`` says what the latest point shows.
    """

    table: pd.DataFrame = field()  # required, not the base class's None
    improvement: str = "increase"
    target: float | None = None
    screen_outliers: bool = False
    rebase: list = field(default_factory=list)
    label: str | None = None

    def chart_table(self) -> pd.DataFrame:
        """The chart data as the command line writes it: ``date, value, mean, lpl, upl, point_type``."""
        return self.table[list(CHART_COLUMNS)].copy()

    @property
    def variation(self) -> str:
        """The type of the last point (Making Data Count's variation icon)."""
        return str(self.table["point_type"].iloc[-1])

    @property
    def assurance(self):
        """``consistent_pass``, ``consistent_fail``, ``inconsistent``, or None without a target or direction."""
        last = self.table.iloc[-1]
        return assurance_type(self.target, last["lpl"], last["upl"], self.improvement)

    def summary(self) -> pd.DataFrame:
        """One row per rebase group, as ``summary()`` of NHSRplotthedots.

        Columns ``rebase_group, start, end, n, mean, lpl, upl, common_cause,
        special_cause_improvement, special_cause_concern, variation_type, assurance_type``;
        the assurance is given for the last group only.
        """
        rows = []
        last_group = self.table["rebase_group"].max()
        for g, d in self.table.groupby("rebase_group", sort=True):
            rows.append({
                "rebase_group": int(g), "start": d["date"].iloc[0], "end": d["date"].iloc[-1], "n": len(d),
                "mean": d["mean"].iloc[0], "lpl": d["lpl"].iloc[0], "upl": d["upl"].iloc[0],
                "common_cause": int((~d["special_cause_flag"]).sum()),
                "special_cause_improvement": int((d["point_type"] == "special_cause_improvement").sum()),
                "special_cause_concern": int((d["point_type"] == "special_cause_concern").sum()),
                "variation_type": d["point_type"].iloc[-1],
                "assurance_type": self.assurance if g == last_group else None,
            })
        return pd.DataFrame(rows)

    def text(self) -> str:
        """A sentence for a report: the variation and assurance of the latest point, with the limits."""
        last = self.table.iloc[-1]
        name = f"{self.label}: " if self.label else ""
        text = (f"{name}{VARIATION_LABELS[self.variation].lower()} at the latest point "
                f"({_fmt(last['value'])}); mean {_fmt(last['mean'])}, process limits {_fmt(last['lpl'])} "
                f"to {_fmt(last['upl'])} from {int((self.table['rebase_group'] == last['rebase_group']).sum())} points")
        if self.target is not None:
            a = self.assurance
            text += f"; target {_fmt(self.target)}: " + (ASSURANCE_LABELS[a].lower() if a else "no assurance "
                                                         "without an improvement direction")
        return text + "."


def _fmt(x) -> str:
    x = float(x)
    if abs(x) >= 1000:
        return format_number(x, decimals=0, thousands=True)
    if abs(x) < 10:
        # three significant figures without trailing zeros, as "%.3g" writes them (6.55, 0.0123, 2.5)
        places = 2 - math.floor(math.log10(abs(x))) if x else 0
        return format_number(x, decimals=places).rstrip("0").rstrip(".") if places > 0 else format_number(x, decimals=0)
    # one decimal, without a trailing ".0" so a whole target reads "40", as typed
    return format_number(x, decimals=1).removesuffix(".0")


def spc(data, *, value: str = "value", date: str | None = "date", indicator=None, improvement: str = "increase",
        target: float | None = None, rebase=(), screen_outliers: bool = False,
        fix_after_n_points: int | None = None, label: str | None = None, source=None) -> SpcResult:
    """An XmR chart with the Making Data Count rules, as NHSRplotthedots computes it.

    Parameters
    ----------
    data
        A DataFrame with a date and a value column, or a sequence of numbers in time order.
    value, date
        Column names. Dates may be ISO or UK day-first; each date may appear once.
    indicator
        With a long table ``indicator, date, value`` of several series, the one to chart.
    improvement
        ``"increase"`` (higher is better), ``"decrease"`` or ``"neutral"``.
    target
        A target value, for the assurance of the latest limits.
    rebase
        Dates at which a new set of limits starts (each must be a date of the series).
    screen_outliers
        Screen large moving ranges before the limits are computed (off, as the Excel tools).
    fix_after_n_points
        Compute each group's limits from its first n points only.
    label
        A name for the series, used in sentences and figure titles.
    source
        The file the data came from, named in error messages with the row.

    Returns
    -------
    SpcResult
        ``.table`` (one row per point), ``.summary()`` (one row per rebase group),
        ``.variation``, ``.assurance``, ``.text()``.

    Warns
    -----
    ShortSeriesWarning
        When a group's limits rest on fewer than 13 points.

    Notes
    -----
    Centre line the mean; moving ranges mR_i = |x_i - x_(i-1)| within a rebase group;
    process limits mean +/- 2.66 mean(mR); near limits mean +/- (2/3) 2.66 mean(mR).
    Rules in order of precedence: a point outside the limits; 7 points each higher (lower)
    than the one before; 2 of 3 points beyond the near limits, all 3 on one side; 7 points
    on one side of the mean. Point types follow the improvement direction
    (NHSRplotthedots 0.2.x, ``ptd_calculate_point_type.R``).

    Examples
    --------
    >>> r = spc(list(range(1, 11)))
    >>> round(float(r.table["upl"].iloc[0]), 2), r.variation
    (8.16, 'special_cause_improvement')
    """
    _direction(improvement)
    whole = (isinstance(fix_after_n_points, (int, float, np.number)) and not isinstance(fix_after_n_points, bool)
             and float(fix_after_n_points).is_integer())
    if fix_after_n_points is not None and (not whole or fix_after_n_points < 2):
        raise UsageError(f"fix_after_n_points must be a whole number of at least 2; got {fix_after_n_points!r}")
    if target is not None:
        try:
            target = float(target)
        except (TypeError, ValueError):
            raise UsageError(f"target must be a number; got {target!r}") from None
    series = prepare_series(data, date=date, value=value, indicator=indicator, source=source)
    if len(series) < 2:
        raise InputError(f"an SPC chart needs at least 2 points for a moving range; got {len(series)}",
                         file=source)
    if pd.api.types.is_datetime64_any_dtype(series["date"]):
        time_steps(series["date"])  # warns when months or weeks are missing (NHSRplotthedots expects no gaps)
    rebase_flags = np.zeros(len(series), dtype=int)
    rebase_dates = []
    if isinstance(rebase, (str, pd.Timestamp)) or not np.iterable(rebase):
        rebase = [rebase]
    rebase = [r for r in rebase if r is not None and str(r).strip() != ""]
    if rebase:
        wanted = option_dates(list(rebase), numeric=not pd.api.types.is_datetime64_any_dtype(series["date"]),
                              name="rebase date")
        for w in wanted:
            hit = np.flatnonzero((series["date"] == w).to_numpy())
            if not len(hit):
                first, last = series["date"].iloc[0], series["date"].iloc[-1]
                raise UsageError(f"rebase date {day_text(w)} is not a date of the series ({day_text(first)} to "
                                 f"{day_text(last)}); rebase at one of its dates")
            rebase_flags[hit[0]] = 1
            rebase_dates.append(w)
    groups = np.cumsum(rebase_flags)
    frames = []
    for g in np.unique(groups):
        d = series[groups == g].reset_index(drop=True)
        if len(d) < 2:
            raise InputError(f"rebase group starting {day_text(d['date'].iloc[0])} has {len(d)} point; limits need "
                             "at least 2 points: move or remove that rebase date")
        if len(d) < MIN_POINTS:
            warnings.warn(f"SPC limits for the group starting {day_text(d['date'].iloc[0])} rest on {len(d)} points, "
                          f"fewer than {MIN_POINTS}: treat them as trial limits", ShortSeriesWarning, stacklevel=2)
        y = d["value"].to_numpy()
        x = _exact(y)
        exact = _exact_limits(x, screen_outliers=screen_outliers, fix_after_n_points=fix_after_n_points)
        outside, rtm, close = _compare(x, exact)
        lim = {k: float(v) for k, v in exact.items()}
        sct = special_cause_type(y, rtm, close, outside)
        frames.append(d.assign(
            rebase_group=int(g), mean=lim["mean"], lpl=lim["lpl"], upl=lim["upl"],
            near_lpl=lim["near_lpl"], near_upl=lim["near_upl"], outside_limits=outside,
            relative_to_mean=rtm.astype(int), close_to_limits=close, special_cause_type=sct,
            special_cause_flag=[s != "Common Cause" for s in sct],
            point_type=point_type(sct, improvement), short_group_warning=len(d) < MIN_POINTS,
        ))
    out = pd.concat(frames, ignore_index=True)
    return SpcResult(out, improvement=improvement, target=target, screen_outliers=screen_outliers,
                     rebase=rebase_dates, label=label)

