"""Reading and checking a time series: one value per date, nothing dropped silently.

Every benefit method that works on a series (SPC, interrupted time series) goes through
:func:`prepare_series`, so that bad dates, missing or non-numeric values and duplicated
dates give the same clear message wherever they come from.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cscs_eval.errors import InputError, SuspiciousDataWarning, UsageError
from cscs_eval.io import row_number

#: Date formats accepted in files: ISO first, then UK day-first (DESIGN.md, "Dates ISO or UK day-first").
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


class UnevenSeriesWarning(SuspiciousDataWarning):
    """A series has gaps: its dates are not evenly spaced (a month or week is missing)."""


def _where(df, position):
    """``file``/``row`` keyword arguments naming where a DataFrame row came from."""
    if df is not None and df.attrs.get("source"):
        return {"file": df.attrs["source"], "row": row_number(df, position)}
    return {"row": row_number(df, position) if df is not None else position + 1}


def parse_dates(values, *, column: str = "date", df=None) -> pd.Series:
    """Parse ISO (``2024-04-01``) or UK day-first (``01/04/2024``) dates; a bad one is an error.

    Examples
    --------
    >>> parse_dates(["2024-04-01", "15/05/2024"]).dt.strftime("%Y-%m-%d").tolist()
    ['2024-04-01', '2024-05-15']
    """
    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        bad = out.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError("date is missing; every row needs a date", column=column, **_where(df, i))
        return out.astype("datetime64[ns]").reset_index(drop=True)
    out = []
    for i, raw in enumerate(s.tolist()):
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or (isinstance(raw, str) and not raw.strip()):
            raise InputError("date is missing; every row needs a date", column=column, **_where(df, i))
        if isinstance(raw, (pd.Timestamp, np.datetime64)) or hasattr(raw, "year"):
            out.append(pd.Timestamp(raw))
            continue
        text = str(raw).strip()
        for fmt in DATE_FORMATS:
            try:
                out.append(pd.Timestamp(pd.to_datetime(text, format=fmt)))
                break
            except (ValueError, TypeError):
                continue
        else:
            raise InputError(f"'{text}' is not a date; use ISO (2024-04-01) or day-first (01/04/2024)",
                             column=column, **_where(df, i))
    return pd.Series(pd.to_datetime(out), dtype="datetime64[ns]")


def parse_numbers(values, *, column: str = "value", df=None) -> pd.Series:
    """Numbers from text or numeric cells; a missing or non-numeric value is an error naming its row."""
    s = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    num = pd.to_numeric(s, errors="coerce").astype(float)
    bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raw = s.iloc[i]
        what = "is missing" if pd.isna(raw) or str(raw).strip() == "" else f"'{raw}' is not a number"
        extra = f" ({int(bad.sum())} such rows)" if bad.sum() > 1 else ""
        raise InputError(f"value {what}; every row needs a number{extra}", column=column, **_where(df, i))
    return num


def select_indicator(data: pd.DataFrame, indicator, *, column: str = "indicator") -> pd.DataFrame:
    """The rows of one indicator from a long ``indicator, date, value`` table.

    Without ``indicator`` the table must hold one indicator only (or no ``indicator``
    column); otherwise the error lists the indicators to choose from.
    """
    if column not in data.columns:
        if indicator is not None:
            raise UsageError(f"indicator {indicator!r} given but the data has no '{column}' column")
        return data
    names = list(dict.fromkeys(data[column].dropna().astype(str)))
    if indicator is None:
        if len(names) > 1:
            raise UsageError(f"the data holds {len(names)} indicators ({', '.join(names)}); pick one with "
                             "--indicator NAME (indicator=...)")
        return data
    if str(indicator) not in names:
        raise UsageError(f"indicator must be one of {', '.join(names)}; got {indicator!r}")
    out = data[data[column].astype(str) == str(indicator)]
    out.attrs = dict(data.attrs)
    # keep the user's row numbers: remember where each selected row sat in the file
    out.attrs["positions"] = list(np.flatnonzero((data[column].astype(str) == str(indicator)).to_numpy()))
    return out


def prepare_series(data, *, date: str | None = "date", value: str = "value") -> pd.DataFrame:
    """A checked series as a DataFrame ``date, value`` sorted by date.

    ``data`` is a DataFrame with the named columns, or a plain sequence of numbers (then
    ``date`` holds the positions 1, 2, ...). Duplicated dates and missing or non-numeric
    values are errors naming the row; nothing is dropped.
    """
    if not isinstance(data, pd.DataFrame):
        values = parse_numbers(list(data), column=value)
        return pd.DataFrame({"date": np.arange(1, len(values) + 1), "value": values.to_numpy()})
    for role, col in (("date", date), ("value", value)):
        if col is not None and col not in data.columns:
            raise UsageError(f"{role} column {col!r} not found; columns are {', '.join(map(str, data.columns))}")
    positions = data.attrs.get("positions")
    where_df = data if positions is None else None

    try:
        values = parse_numbers(data[value], column=value, df=where_df)
        dates = (parse_dates(data[date], column=date, df=where_df) if date is not None
                 else pd.Series(np.arange(1, len(data) + 1)))
    except InputError as exc:
        if positions is not None and exc.row is not None:
            raise InputError(exc.message, file=data.attrs.get("source"), column=exc.column,
                             row=row_number(data, positions[exc.row - 1])) from None
        raise
    out = pd.DataFrame({"date": dates.to_numpy(), "value": values.to_numpy()})
    dup = out["date"].duplicated(keep=False)
    if dup.any():
        first = out.loc[dup, "date"].iloc[0]
        rows = [int(i) for i in np.flatnonzero(dup.to_numpy())]
        if positions is not None:
            rows = [positions[i] for i in rows]
        shown = ", ".join(str(row_number(data, i)) for i in rows[:5])
        label = first.date().isoformat() if hasattr(first, "date") else first
        raise InputError(f"date {label} appears {int((out['date'] == first).sum())} times (rows {shown}); "
                         "a series needs one value per date: aggregate first",
                         file=data.attrs.get("source"), column=date)
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
                      f"{_label(d.iloc[i])}; the gap is kept (nothing is filled in)", UnevenSeriesWarning,
                      stacklevel=3)
    return np.asarray(steps, dtype=float), unit


def _label(x) -> str:
    return x.date().isoformat() if hasattr(x, "date") else str(x)


def option_dates(values, numeric: bool, option: str) -> pd.Series:
    """Dates given as options (change or rebase dates): a bad one is a usage error, not a data error."""
    try:
        if numeric:
            return pd.Series([float(v) for v in values])
        return parse_dates(list(values), column=option)
    except (InputError, TypeError, ValueError):
        bad = next((v for v in values if not _is_date(v, numeric)), values[0])
        raise UsageError(f"{option} date {str(bad)!r} is not a date; use ISO (2024-04-01) or day-first "
                         "(01/04/2024)" + (" or a number like the series' positions" if numeric else "")) from None


def _is_date(value, numeric: bool) -> bool:
    try:
        if numeric:
            float(value)
        else:
            parse_dates([value])
        return True
    except (InputError, TypeError, ValueError):
        return False
