"""Statistics that more than one capability uses: the Wilson interval, half-up rounding and printing."""

from __future__ import annotations

import decimal

import numpy as np

__all__ = ["wilson_interval", "round_half_up", "format_number", "percent_value", "Z95"]

#: Two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975).
Z95 = 1.959963984540054


def wilson_interval(count, nobs, *, z: float = Z95):
    """Wilson score interval for a proportion, vectorised; NaN where ``nobs`` is 0.

    Notes
    -----
    centre = (p + z^2/2n) / (1 + z^2/n); half width = z/(1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2)
    (Wilson 1927); the same as ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    Examples
    --------
    >>> lo, hi = wilson_interval(8, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / nobs
        z2 = z * z
        denom = 1 + z2 / nobs
        centre = (p + z2 / (2 * nobs)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / nobs + z2 / (4 * nobs * nobs))
        # At 0 of n and n of n the bound is exactly 0 (or 1); rounding would leave 1e-17 either
        # side, which puts the interval a hair beyond its own estimate.
        lo = np.where(nobs > 0, np.where(count == 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
        hi = np.where(nobs > 0, np.where(count == nobs, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    return lo, hi


def round_half_up(value, *, decimals: int = 0):
    """Round as people and published tables do: halves go up (6.55 -> 6.6, 56.25 -> 56.3).

    Python's ``round`` and ``format`` round halves to even and work on the binary value
    (6.55 is stored as 6.5499...), so they print 6.5; this rounds the shortest decimal that
    stands for the float. Missing values stay missing. A pandas Series or a numpy array is rounded
    value by value (where ``Series.round`` and ``numpy.round`` round halves to even).

    Examples
    --------
    >>> round_half_up(6.55, decimals=1), round_half_up(56.25, decimals=1), round_half_up(2.5), round_half_up(-2.5)
    (6.6, 56.3, 3.0, -3.0)
    >>> import pandas as pd
    >>> round_half_up(pd.Series([0.125, None, 2.675]), decimals=2).tolist()
    [0.13, nan, 2.68]
    """
    if hasattr(value, "map") and hasattr(value, "index"):  # a pandas Series
        import pandas as pd

        return value.map(lambda v: v if pd.isna(v) else round_half_up(v, decimals=decimals))
    if isinstance(value, np.ndarray):
        return np.array([round_half_up(v, decimals=decimals) for v in value.ravel()], dtype=float).reshape(value.shape)
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value):
        return value
    return float(_half_up(value, decimals))


def _half_up(value: float, decimals: int, scale: int = 1) -> decimal.Decimal:
    # the shortest decimal that stands for the float, scaled exactly, then rounded half up
    exact = decimal.Decimal(repr(float(value))) * scale
    return exact.quantize(decimal.Decimal(1).scaleb(-decimals), rounding=decimal.ROUND_HALF_UP)


def percent_value(share) -> float:
    """A share of 1 as a percentage, multiplied in decimals: 41/80 = 0.5125 -> 51.25, where 0.5125 * 100
    is 51.24999999999999 in floats and would print 51.2; so a percentage rounds as the share's digits say.

    Examples
    --------
    >>> percent_value(41 / 80), percent_value(18 / 32)
    (51.25, 56.25)
    """
    share = float(share)
    return float(decimal.Decimal(repr(share)) * 100) if np.isfinite(share) else share


def format_number(value, *, decimals: int = 1, share: bool = False, sign: bool = False,
                  thousands: bool = False) -> str:
    """A figure as a report prints it, rounded half up: the one way printed numbers are rounded.

    Parameters
    ----------
    value
        The number; missing (None, NaN) prints as an empty string.
    decimals
        Places after the point.
    share
        ``value`` is a share of 1, printed as a percentage with its sign: 0.5625 -> "56.3%". The
        share is multiplied by 100 in decimals, so 0.565 at no decimals prints "57%", where
        ``f"{0.565:.0%}"`` prints "56%" (0.565 * 100 is 56.49999999999999 in floats).
    sign
        Print "+" before a positive number (a change).
    thousands
        Separate thousands with commas: "1,234.5".

    Python's ``format`` (and ``f"{x:.1f}"``, ``round``, pandas' ``round``) rounds halves to even on the
    binary value, so 262 / 40 = 6.55 printed "6.5" and 18 / 32 = 56.25% printed "56.2%"; here they print
    "6.6" and "56.3%", as the progress checks and published tables round. A result that rounds to zero
    prints without a minus sign.

    Examples
    --------
    >>> format_number(262 / 40), format_number(18 / 32, share=True)
    ('6.6', '56.3%')
    >>> format_number(2.5, decimals=0), format_number(-2.5, decimals=0)
    ('3', '-3')
    >>> format_number(0.125, decimals=2), format_number(1234.55, thousands=True), format_number(1.25, sign=True)
    ('0.13', '1,234.6', '+1.3')
    >>> format_number(0.565, decimals=0, share=True)
    '57%'
    >>> import pandas as pd
    >>> format_number(-0.04), format_number(float("nan")), format_number(None), format_number(pd.NA)
    ('0.0', '', '', '')
    """
    if value is None or str(value) == "<NA>":  # pandas' NA in a nullable column, as None
        return ""
    value = float(value)
    if not np.isfinite(value):
        return "" if np.isnan(value) else format(value, "+" if sign else "")
    spec = f"{'+' if sign else ''}z{',' if thousands else ''}.{int(decimals)}f"
    text = format(_half_up(value, decimals, 100 if share else 1), spec)
    return text + "%" if share else text
