"""Statistics that more than one capability uses: the Wilson interval and half-up rounding."""

from __future__ import annotations

import decimal

import numpy as np

__all__ = ["wilson_interval", "round_half_up", "Z95"]

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
    stands for the float. Missing values stay missing.

    Examples
    --------
    >>> round_half_up(6.55, decimals=1), round_half_up(56.25, decimals=1), round_half_up(2.5), round_half_up(-2.5)
    (6.6, 56.3, 3.0, -3.0)
    """
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value):
        return value
    quantum = decimal.Decimal(1).scaleb(-decimals)
    return float(decimal.Decimal(repr(value)).quantize(quantum, rounding=decimal.ROUND_HALF_UP))
