"""Reading and checking a time series: one value per date, nothing dropped silently.

Every benefit method that works on a series (SPC, interrupted time series) goes through
:func:`prepare_series`, so that bad dates, missing or non-numeric values and duplicated
dates give the same clear message wherever they come from.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cscs_eval.dates import EXPECTED, option_date, parse_dates
from cscs_eval.errors import InputError, SuspiciousDataWarning, UsageError
from cscs_eval.io import row_number


class UnevenSeriesWarning(SuspiciousDataWarning):
    """A series has gaps: its dates are not evenly spaced (a month or week is missing)."""


def checked_dates(values, *, column: str = "date", source=None, rows=None) -> pd.Series:
    """Dates read by :func:`cscs_eval.dates.parse_dates`; the first missing or bad one is an error naming its row.

    ``rows`` gives the row a user sees for each value (default: the position plus 1); ``source``
    names the file.

    Examples
    --------
    >>> checked_dates(["2024-04-01", "15/05/2024"]).dt.strftime("%Y-%m-%d").tolist()
    ['2024-04-01', '2024-05-15']
    >>> checked_dates(["2024-04-01", "31/02/2024"], source="series.csv", rows=[2, 3])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cscs_eval.errors.InputError: series.csv, row 3, column 'date': '31/02/2024' is not a date; expected ...
    """
    raw = pd.Series(values).reset_index(drop=True)
    dates = parse_dates(raw)
    bad = dates.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = raw.iloc[i]
        missing = _blank(value)
        message = ("date is missing; every row needs a date" if missing
                   else f"{str(value).strip()!r} is not a date; expected {EXPECTED}")
        raise InputError(message, file=source, row=_row(rows, i), column=column)
    return dates


def parse_numbers(values, *, column: str = "value", source=None, rows=None) -> pd.Series:
    """Numbers from text or numeric cells; a missing or non-numeric value is an error naming its row."""
    s = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    num = pd.to_numeric(s, errors="coerce").astype(float)
    bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raw = s.iloc[i]
        what = "is missing" if _blank(raw) else f"'{raw}' is not a number"
        extra = f" ({int(bad.sum())} such rows)" if bad.sum() > 1 else ""
        raise InputError(f"value {what}; every row needs a number{extra}", file=source, row=_row(rows, i),
                         column=column)
    return num


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value).strip() == ""


def _row(rows, position: int) -> int:
    return int(rows[position]) if rows is not None else position + 1


def indicator_rows(data: pd.DataFrame, indicator=None, *, column: str = "indicator") -> np.ndarray:
    """Positions of the rows of one indicator in a long ``indicator, date, value`` table.

    Without ``indicator`` the table must hold one indicator only (or no ``indicator``
    column); otherwise the error lists the indicators to choose from.
    """
    if column not in data.columns:
        if indicator is not None:
            raise UsageError(f"indicator {indicator!r} given but the data has no '{column}' column")
        return np.arange(len(data))
    names = indicator_names(data, column=column)
    if indicator is None:
        if len(names) > 1:
            raise UsageError(f"the data holds {len(names)} indicators ({', '.join(names)}); pick one with "
                             "--indicator NAME (indicator=...)")
        return np.arange(len(data))
    if str(indicator) not in names:
        raise UsageError(f"indicator must be one of {', '.join(names)}; got {indicator!r}")
    return np.flatnonzero((data[column].astype(str) == str(indicator)).to_numpy())


def indicator_names(data: pd.DataFrame, *, column: str = "indicator") -> list[str]:
    """The indicators of a long table, in the order they first appear."""
    return list(dict.fromkeys(data[column].dropna().astype(str)))


def select_indicator(data: pd.DataFrame, *, indicator=None, column: str = "indicator") -> pd.DataFrame:
    """The rows of one indicator from a long ``indicator, date, value`` table.

    Without ``indicator`` the table must hold one indicator only (or no ``indicator``
    column); otherwise the error lists the indicators to choose from. :func:`~cscs_eval.benefits.spc`
    and :func:`~cscs_eval.benefits.interrupted_time_series` take ``indicator=`` themselves, and
    then name the row of the file in their errors.

    Examples
    --------
    >>> df = pd.DataFrame({"indicator": ["a", "b", "a"], "date": ["2024-01-01"] * 3, "value": [1, 2, 3]})
    >>> select_indicator(df, indicator="a")["value"].tolist()
    [1, 3]
    """
    return data.iloc[indicator_rows(data, indicator, column=column)]


def prepare_series(data, *, date: str | None = "date", value: str = "value", indicator=None,
                   source=None) -> pd.DataFrame:
    """A checked series as a DataFrame ``date, value`` sorted by date.

    ``data`` is a DataFrame with the named columns (a long table of several indicators with
    ``indicator``), or a plain sequence of numbers (then ``date`` holds the positions 1, 2, ...).
    Duplicated dates and missing or non-numeric values are errors naming the row of the data
    (of the file ``source``, header in row 1); nothing is dropped.
    """
    if not isinstance(data, pd.DataFrame):
        values = parse_numbers(list(data), column=value, source=source)
        return pd.DataFrame({"date": np.arange(1, len(values) + 1), "value": values.to_numpy()})
    positions = indicator_rows(data, indicator)
    for role, col in (("date", date), ("value", value)):
        if col is not None and col not in data.columns:
            raise UsageError(f"{role} column {col!r} not found; columns are {', '.join(map(str, data.columns))}")
    rows = [row_number(data, p) for p in positions]
    chosen = data.iloc[positions]
    values = parse_numbers(chosen[value], column=value, source=source, rows=rows)
    dates = (checked_dates(chosen[date], column=date, source=source, rows=rows) if date is not None
             else pd.Series(np.arange(1, len(chosen) + 1)))
    out = pd.DataFrame({"date": dates.to_numpy(), "value": values.to_numpy()})
    dup = out["date"].duplicated(keep=False)
    if dup.any():
        first = out.loc[dup, "date"].iloc[0]
        shown = ", ".join(str(rows[i]) for i in np.flatnonzero(dup.to_numpy())[:5])
        raise InputError(f"date {day_text(first)} appears {int((out['date'] == first).sum())} times (rows {shown}); "
                         "a series needs one value per date: aggregate first", file=source, column=date)
    return out.sort_values("date", kind="stable").reset_index(drop=True)


def time_steps(dates) -> tuple[np.ndarray, str]:
    """Whole time steps since the first date, and the unit (``month``, ``week``, ``day`` or ``step``).

    Monthly data (every date on the same day of the month, or every one a month end) is
    counted in calendar months, so a missing month leaves a gap of 2 rather than being
    closed up. Gaps give an :class:`UnevenSeriesWarning`; nothing is dropped.

    Examples
    --------
    >>> steps, unit = time_steps(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    >>> steps.astype(int).tolist(), unit
    ([0, 1, 2], 'month')
    """
    d = pd.Series(dates).reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(d):
        steps = np.asarray(d, dtype=float)
        steps = steps - steps[0]
        unit = "step"
    else:
        days = (d - d.iloc[0]).dt.days.to_numpy()
        monthly = d.dt.day.nunique() == 1 or d.dt.is_month_end.all()
        month_index = (d.dt.year * 12 + d.dt.month).to_numpy()
        gaps_days = np.diff(days)
        if len(d) > 1 and monthly and np.all(np.diff(month_index) >= 1) and np.median(np.diff(month_index)) == 1:
            steps, unit = month_index - month_index[0], "month"
        elif len(d) > 1 and np.all(gaps_days % 7 == 0) and np.median(gaps_days) == 7:
            steps, unit = days // 7, "week"
        else:
            steps, unit = days, "day"
    diffs = np.diff(steps)
    if len(diffs) and unit != "day" and np.any(diffs != diffs.min()):
        i = int(np.flatnonzero(diffs != diffs.min())[0])
        warnings.warn(f"the series is uneven: {int(diffs[i]) - 1} {unit}(s) missing after "
                      f"{day_text(d.iloc[i])}; the gap is kept (nothing is filled in)", UnevenSeriesWarning,
                      stacklevel=3)
    return np.asarray(steps, dtype=float), unit


def day_text(x) -> str:
    """A date as ISO text (a position of a series without dates as a number)."""
    if hasattr(x, "date"):
        return x.date().isoformat()
    return f"{x:g}" if isinstance(x, float) else str(x)


def option_dates(values, *, numeric: bool, name: str) -> pd.Series:
    """Dates given as options (change or rebase dates): a bad one is a usage error, not a data error.

    A series without dates takes positions (numbers) instead.
    """
    if not numeric:
        return pd.Series([option_date(v, name) for v in values], dtype="datetime64[ns]")
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            raise UsageError(f"{name} must be a number like the series' positions, got {v!r}") from None
    return pd.Series(out)
