"""The one date parser every reader uses: ISO or UK day-first, never US month-first.

Accepted forms (a time of day after a date is allowed and dropped):

=====================  =======================================================
``2024-03-05``         ISO 8601 date (also ``2024-03-05T14:30`` or ``2024-03-05 14:30:00``)
``2024-03``            ISO year and month: the first day of the month (monthly series)
``05/03/2024``         UK day-first with ``/``, ``.`` or ``-`` (``5.3.2024``, ``05-03-2024``)
``05/03/24``           UK day-first with a two-digit year, taken as 20YY
``5 March 2024``       day, month name (full or three letters) and year
=====================  =======================================================

Dates, datetimes and Timestamps (from Excel or Parquet) are taken as they are. A date that
cannot exist (``30/02/2024``) and US month-first dates (``12/31/2023``) are not dates.
Vectorised readers get ``NaT`` for a bad value and report it with its row; scalar fields
(front matter, options) get a clear error naming where the value came from.
"""

from __future__ import annotations

import datetime as _dt
import re

from cscs_eval.errors import InputError, UsageError

__all__ = ["parse_dates", "parse_date", "option_date", "EXPECTED"]

#: What an error says was expected.
EXPECTED = "a date such as 2024-03-31 or 31/03/2024"

_MONTHS = {name: i + 1 for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"])}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"^(\d{{4}})-(\d{{1,2}})(?:-(\d{{1,2}}))?{_TIME}$")
_UK = re.compile(rf"^(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}$")
_NAMED = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,9})\.?,? (\d{4})$")


def _parse_text(text: str) -> _dt.date | None:
    """One text value as a date, or None when it is not one of the accepted forms."""
    text = text.strip()
    if m := _ISO.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3] or 1)
    elif m := _UK.match(text):
        day, month, year = int(m[1]), int(m[3]), int(m[4])
        if len(m[4]) == 2:
            year += 2000
    elif m := _NAMED.match(text):
        month = _MONTHS.get(m[2].lower())
        if month is None:
            return None
        day, year = int(m[1]), int(m[3])
    else:
        return None
    if year < 1000:  # year 0000 and the like: not a date anyone means
        return None
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def _as_date(value) -> _dt.date | None:
    """A date from a date-like object or text; None for missing or unparseable values."""
    import pandas as pd

    if value is None:
        return None
    if isinstance(value, str):
        return _parse_text(value) if value.strip() else None
    if isinstance(value, _dt.datetime):  # includes pandas.Timestamp; NaT is not a datetime
        return value.date() if not pd.isna(value) else None
    if isinstance(value, _dt.date):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "astype") and "datetime64" in str(getattr(value, "dtype", "")):
        return pd.Timestamp(value).date()
    return _parse_text(str(value))


def parse_dates(values):
    """Parse a column of dates; a value that is not a date becomes ``NaT``.

    Each distinct value is parsed once, so a column of ten million dates with a few
    thousand distinct values takes well under a second.

    Parameters
    ----------
    values
        A pandas Series (or any sequence) of text, dates or Timestamps.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]``, midnight, no time zone, with the input's index.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_dates(pd.Series(["2024-03-05", "05/03/2024", "5 Mar 2024", "12/31/2023", "30/02/2024"])).dt.strftime(
    ...     "%Y-%m-%d").tolist()
    ['2024-03-05', '2024-03-05', '2024-03-05', nan, nan]
    """
    import numpy as np
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_localize(None)
        return series.dt.normalize().astype("datetime64[ns]")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = [_as_date(v) for v in uniques]
    as_ns = np.array([np.datetime64(d, "ns") if d is not None else np.datetime64("NaT", "ns") for d in parsed]
                     + [np.datetime64("NaT", "ns")], dtype="datetime64[ns]")
    return pd.Series(as_ns[codes], index=series.index, dtype="datetime64[ns]")


def parse_date(value, *, file=None, row=None, column=None, required: bool = True) -> _dt.date | None:
    """One date from a file (front matter, a form field); a bad one is an :class:`InputError` naming where.

    ``required=False`` returns None for an empty value instead of an error.

    Examples
    --------
    >>> parse_date("31/05/2024")
    datetime.date(2024, 5, 31)
    >>> parse_date("2024-02-30", file="report.md", row=4, column="date")
    Traceback (most recent call last):
    ...
    cscs_eval.errors.InputError: report.md, row 4, column 'date': '2024-02-30' is not a date; expected a date such as 2024-03-31 or 31/03/2024
    """
    parsed = _as_date(value)
    if parsed is not None:
        return parsed
    empty = value is None or (isinstance(value, str) and not value.strip()) or _is_missing(value)
    if empty:
        if not required:
            return None
        raise InputError(f"date is missing; expected {EXPECTED}", file=file, row=row, column=column)
    raise InputError(f"{str(value)!r} is not a date; expected {EXPECTED}", file=file, row=row, column=column)


def option_date(value, name: str):
    """A date given as an option or parameter (``period_end``): a ``pandas.Timestamp``, or None when empty.

    A value that is not a date is a :class:`UsageError` naming the option.

    Examples
    --------
    >>> option_date("31/03/2024", "period_end")
    Timestamp('2024-03-31 00:00:00')
    >>> option_date("", "period_end") is None
    True
    """
    import pandas as pd

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = _as_date(value)
    if parsed is None:
        raise UsageError(f"{name} must be {EXPECTED}, got {value!r}")
    return pd.Timestamp(parsed)


def _is_missing(value) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
