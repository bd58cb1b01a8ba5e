"""Funnel limits for team proportions: Spiegelhalter's arcsine limits with over-dispersion.

This module computes the limits; :func:`cscs_eval.benefits.plot_funnel` draws them.

Reference implementation: nhs-r-community/FunnelPlotR 0.6.0, ``R/od_adjustment.R``
(transformed z-scores, winsorisation, phi and tau^2) and ``R/calculate_limits.R``
(limits for ``data_type = "PR"``). Methods: Spiegelhalter DJ (2005) Funnel plots for
comparing institutional performance, Stat Med 24:1185-1202; Spiegelhalter DJ (2005)
Handling over-dispersion of performance indicators, Qual Saf Health Care 14:347-351.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscs_eval.errors import InputError, UsageError
from cscs_eval.governance import is_small
from cscs_eval.io import row_number
from cscs_eval.results import Result
from cscs_eval.stats import format_number

#: Two-sided normal quantiles FunnelPlotR uses for the 95% and 99.8% limits.
Z95 = 1.959964
Z998 = 3.090232

OUTLIER_LABELS = ("above 99.8%", "above 95%", "within", "below 95%", "below 99.8%")


@dataclass(repr=False)
class FunnelResult(Result):
    """Funnel limits for each group and the quantities behind them.

    ``table`` has ``group, numerator, denominator, rate, lower95, upper95, lower998,
    upper998, outlier`` plus ``z`` (the unadjusted arcsine z-score). ``target`` is the
    pooled proportion; ``phi`` the over-dispersion ratio from winsorised z-scores;
    ``tau2`` the additive between-group variance (0 without over-dispersion).
    ``summary()`` gives these with the number of groups in each outlier band; ``text()``
    says it in a sentence; ``published_table()`` is the table fit to publish.
    """

    table: pd.DataFrame = field()  # required, not the base class's None
    target: float
    phi: float
    tau2: float
    overdispersion: bool

    def limits_at(self, denominators) -> pd.DataFrame:
        """The four limits at any denominators, for drawing the funnel's curves."""
        n = np.asarray(denominators, dtype=float)
        lo95, up95 = arcsine_limits(self.target, n, Z95, self.tau2)
        lo998, up998 = arcsine_limits(self.target, n, Z998, self.tau2)
        return pd.DataFrame({"denominator": n, "lower95": lo95, "upper95": up95,
                             "lower998": lo998, "upper998": up998})

    def outliers(self) -> pd.DataFrame:
        """The groups outside the 95% limits, furthest first."""
        t = self.table
        out = t[t["outlier"] != "within"]
        return out.reindex(out["z"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    def small(self) -> pd.Series:
        """True for each group whose numerator or denominator is 1 to 4 (suppressed when published).

        Such a group must not be drawn at its exact place in a published figure: its rate and
        denominator would give away the counts its table suppresses.
        """
        t = self.table
        return is_small(t["numerator"]) | is_small(t["denominator"])

    def published(self, *, suppress: bool = True, percent: bool = False, outliers_only: bool = False):
        """The group table as it is published (a :class:`~cscs_eval.governance.ProtectedTable`, with
        ``outliers_only`` the groups outside the 95% limits, furthest first, whose counts are shown):
        counts 0, ``*`` or rounded to 5, with further counts hidden where a hidden one could be worked
        out (:func:`~cscs_eval.governance.protect`); the rate from the published counts (four decimals,
        or one as a percentage); the limits at the published denominator; rate, limits and outlier band
        withheld for a group whose counts are hidden (its band would narrow its hidden count).
        """
        from cscs_eval.governance import SUPPRESSED, Rate, TableStructure, protect, suppress_count

        t = self.table.drop(columns=["z"]).reset_index(drop=True)
        rates = ["rate", "lower95", "upper95", "lower998", "upper998"]
        scale = 100 if percent else 1
        structure = TableStructure("funnel", key=("group",), counts=("numerator", "denominator"),
                                   rates=(Rate("rate", "numerator", "denominator",
                                               scale="percent" if percent else "fraction",
                                               decimals=1 if percent else 4),))
        counts = t.assign(numerator=t["numerator"].astype(int), denominator=t["denominator"].astype(int))
        den = np.array([suppress_count(int(n)) for n in counts["denominator"]], dtype=object)
        den = np.where(den == SUPPRESSED, np.nan, den).astype(float)  # those limits are withheld below
        p = protect(counts, structure, suppress=suppress)
        table = p.table
        if not suppress:
            p = p.__class__(table.assign(**{c: scale * t[c] for c in rates}), p.structure, p.mask, p.reasons, p.note)
            return self._outliers(p, np.zeros(len(t), dtype=bool)) if outliers_only else p
        hidden = p.mask[["numerator", "denominator"]].any(axis=1).to_numpy()
        lo95, up95 = arcsine_limits(self.target, den, Z95, self.tau2)
        lo998, up998 = arcsine_limits(self.target, den, Z998, self.tau2)
        decimals = 1 if percent else 4
        for col, values in (("lower95", lo95), ("upper95", up95), ("lower998", lo998), ("upper998", up998)):
            table[col] = pd.Series(np.round(scale * np.asarray(values, dtype=float), decimals)).astype(object)
            table.loc[hidden, col] = SUPPRESSED
        table["outlier"] = t["outlier"].astype(object).where(~hidden, SUPPRESSED)
        mask = p.mask.assign(**{c: hidden for c in ("lower95", "upper95", "lower998", "upper998", "outlier")})
        p = p.__class__(table[["group", "numerator", "denominator", *rates, "outlier"]], p.structure, mask,
                        p.reasons.reindex(columns=mask.columns, fill_value=""), p.note)
        return self._outliers(p, hidden) if outliers_only else p

    def _outliers(self, p, hidden):
        """The rows of a published table outside the 95% limits, furthest first; a group whose counts are
        hidden is not listed (being listed would tell its band)."""
        keep = (self.table["outlier"] != "within").to_numpy() & ~hidden
        order = self.table.reset_index(drop=True).loc[keep, "z"].abs().sort_values(ascending=False).index
        return p.with_table(p.table.loc[order].reset_index(drop=True))

    def hidden(self) -> pd.Series:
        """True for each group whose counts the published table hides (1 to 4, or hidden so that
        another cannot be worked out): a published figure leaves its place and band out."""
        p = self.published()
        return pd.Series(p.mask[["numerator", "denominator"]].any(axis=1).to_numpy(), index=self.table.index)

    def published_table(self, *, suppress: bool = True, outliers_only: bool = False,
                        percent: bool = False) -> pd.DataFrame:
        """The group table to publish (:meth:`published`): ``group, numerator, denominator, rate,
        lower95, ..., outlier`` (:meth:`published` gives it with its structure, for a file or a report).

        Parameters
        ----------
        suppress
            Disclosure control (:meth:`published`); ``False`` keeps exact counts, for analysts.
        outliers_only
            Only the groups outside the 95% limits, furthest first (as :meth:`outliers`).
        percent
            Rates and limits as percentages instead of proportions.

        Examples
        --------
        >>> df = pd.DataFrame({"group": ["a", "b", "c"], "numerator": [3, 30, 52], "denominator": [40, 100, 120]})
        >>> funnel(df).published_table()[["group", "numerator", "denominator", "rate"]].values.tolist()
        [['a', '*', 40, '*'], ['b', 30, 100, 0.3], ['c', 50, 120, 0.4167]]
        """
        return self.published(suppress=suppress, percent=percent, outliers_only=outliers_only).table

    def summary(self) -> pd.DataFrame:
        """One row: ``groups, target, phi, tau2, overdispersion`` and the number of groups in each
        outlier band (``above 99.8%`` ... ``below 99.8%``). It counts groups, not people, so nothing
        in it is suppressed.

        Examples
        --------
        >>> df = pd.DataFrame({"group": ["a", "b"], "numerator": [50, 30], "denominator": [100, 100]})
        >>> s = funnel(df, overdispersion=False).summary().iloc[0]
        >>> int(s["groups"]), float(s["target"]), int(s["above 95%"]), int(s["below 95%"])
        (2, 0.4, 1, 1)
        """
        counts = {label: int((self.table["outlier"] == label).sum()) for label in OUTLIER_LABELS}
        return pd.DataFrame([{"groups": len(self.table), "target": self.target, "phi": self.phi, "tau2": self.tau2,
                              "overdispersion": self.overdispersion, **counts}])

    def text(self, *, unit: str = "groups", suppress: bool = True) -> str:
        """A sentence for an analyst; ``unit`` names the groups (``"teams"``). With ``suppress`` (as the
        published table) a hidden group's band is not counted: saying that it lies outside the limits would
        tell what the table hides. (:func:`~cscs_eval.benefits.funnel_caption` is the plain-English caption.)

        Examples
        --------
        >>> df = pd.DataFrame({"group": ["a", "b", "c"], "numerator": [2, 30, 52], "denominator": [40, 100, 120]})
        >>> r = funnel(df, overdispersion=False)  # a (2 of 40) is hidden, and is the one far outside the limits
        >>> r.text()[43:]
        '0 lie outside the 99.8% limits and 1 more outside the 95% limits (no allowance for over-dispersion; 1 group hidden in the published table is not counted).'
        >>> r.text(suppress=False)[43:101]
        '1 lie outside the 99.8% limits and 1 more outside the 95% '
        """
        t = self.table
        hidden = self.hidden().to_numpy() if suppress else np.zeros(len(t), dtype=bool)
        shown = t[~hidden]
        n_out = {label: int((shown["outlier"] == label).sum()) for label in OUTLIER_LABELS}
        od = (f"over-dispersion allowed for: phi {format_number(self.phi, decimals=2)}, "
              f"tau\u00b2 {format_number(self.tau2, decimals=4)}"
              if self.overdispersion else "no allowance for over-dispersion")
        if hidden.any():
            n = int(hidden.sum())
            od += f"; {n} {'group' if n == 1 else 'groups'} hidden in the published table {'is' if n == 1 else 'are'} " \
                  "not counted"
        return (f"Across {len(t)} {unit} the overall rate is {format_number(self.target, decimals=1, share=True)}; "
                f"{n_out['above 99.8%'] + n_out['below 99.8%']} lie outside the 99.8% limits and "
                f"{n_out['above 95%'] + n_out['below 95%']} more outside the 95% limits ({od}).")


def arcsine_limits(target: float, denominator, z: float, tau2: float = 0.0):
    """Lower and upper limits sin^2(asin(sqrt(p)) -/+ z sqrt(1/(4n) + tau^2)), kept within [0, 1].

    Examples
    --------
    >>> lo, up = arcsine_limits(0.5, 100, 1.959964)
    >>> round(float(lo), 4), round(float(up), 4)
    (0.4026, 0.5974)
    """
    n = np.asarray(denominator, dtype=float)
    centre = math.asin(math.sqrt(target))
    half = z * np.sqrt(1.0 / (4.0 * n) + tau2)
    # clamp the angle to [0, pi/2] so the limits stop at 0% and 100% instead of folding back
    lo = np.sin(np.clip(centre - half, 0.0, math.pi / 2)) ** 2
    up = np.sin(np.clip(centre + half, 0.0, math.pi / 2)) ** 2
    return lo, up


def winsorise(z, trim: float = 0.1) -> np.ndarray:
    """Pull z-scores beyond the ``trim`` and ``1 - trim`` quantiles in to those quantiles.

    The quantiles are R's default (type 7), numpy's default ``linear`` method.
    """
    z = np.asarray(z, dtype=float)
    lo, hi = np.quantile(z, [trim, 1 - trim])
    return np.clip(z, lo, hi)


def dispersion(z, weights, *, trim: float = 0.1) -> tuple[float, float]:
    """phi (mean squared winsorised z-score) and DerSimonian-Laird tau^2 with w = 1/s^2.

    tau^2 = (k phi - (k - 1)) / (sum w - sum w^2 / sum w), and 0 when k phi < k - 1.
    """
    k = len(z)
    phi = float(np.mean(winsorise(z, trim) ** 2))
    w = np.asarray(weights, dtype=float)
    if k * phi < k - 1:
        return phi, 0.0
    denom = w.sum() - (w ** 2).sum() / w.sum()
    if denom <= 0:
        return phi, 0.0
    return phi, max(0.0, (k * phi - (k - 1)) / denom)


def funnel(data, *, by: str = "group", numerator: str = "numerator", denominator: str = "denominator",
           overdispersion: bool = True, trim: float = 0.1, source=None) -> FunnelResult:
    """Funnel-plot limits for proportions by group, as FunnelPlotR computes them (``data_type="PR"``).

    Parameters
    ----------
    data
        One row per group with a numerator and a denominator count.
    by, numerator, denominator
        Column names: the groups (one row each), and their two counts.
    overdispersion
        Widen the limits by the between-group variance tau^2 (DerSimonian-Laird on
        winsorised arcsine z-scores). ``False`` gives the plain binomial arcsine limits.
    trim
        Share of z-scores winsorised at each end before phi is computed (FunnelPlotR's
        ``trim_by``, default 10%).
    source
        The file the data came from, named in error messages with the row.

    Returns
    -------
    FunnelResult

    Notes
    -----
    p-bar = sum(numerators) / sum(denominators); Y_i = asin(sqrt(r_i)); s_i = 1 / (2 sqrt(n_i));
    z_i = (Y_i - asin(sqrt(p-bar))) / s_i; limits sin^2(asin(sqrt(p-bar)) +/- z sqrt(s^2 + tau^2))
    with z = 1.959964 (95%) and 3.090232 (99.8%). A rate exactly on a limit is within it.

    Examples
    --------
    >>> df = pd.DataFrame({"group": ["a", "b"], "numerator": [50, 30], "denominator": [100, 100]})
    >>> r = funnel(df, overdispersion=False)
    >>> round(r.target, 2), r.table["outlier"].tolist()
    (0.4, ['above 95%', 'below 95%'])
    """
    if not 0 <= trim < 0.5:
        raise UsageError(f"trim must be at least 0 and below 0.5; got {trim!r}")
    for role, col in (("by", by), ("numerator", numerator), ("denominator", denominator)):
        if col not in data.columns:
            raise UsageError(f"{role} column {col!r} not found; columns are {', '.join(map(str, data.columns))}")
    df = pd.DataFrame({"group": data[by].astype(object).to_numpy()})
    for col, name in ((numerator, "numerator"), (denominator, "denominator")):
        raw = data[col].reset_index(drop=True)
        num = pd.to_numeric(raw, errors="coerce").astype(float)
        for i in range(len(num)):
            v, g = num.iloc[i], df["group"].iloc[i]
            where = {"file": source, "row": row_number(data, i), "column": col}
            if math.isnan(v):
                what = "is missing" if pd.isna(raw.iloc[i]) or str(raw.iloc[i]).strip() == "" else \
                    f"'{raw.iloc[i]}' is not a number"
                raise InputError(f"group {g!r} has no data: {name} {what}", **where)
            if v < 0 or v != round(v):
                raise InputError(f"group {g!r}: {name} must be a whole count of 0 or more; got {raw.iloc[i]}", **where)
        df[name] = num.to_numpy()
    for i, g in enumerate(df["group"]):
        if pd.isna(g) or str(g).strip() == "":
            raise InputError("group name is missing", file=source, row=row_number(data, i), column=by)
    dup = df["group"].astype(str).duplicated(keep=False)
    if dup.any():
        g = df.loc[dup, "group"].iloc[0]
        raise InputError(f"group {g!r} appears {int((df['group'].astype(str) == str(g)).sum())} times; give one row "
                         "per group (sum the numerators and denominators first)", file=source, column=by)
    zero = df["denominator"] == 0
    if zero.any():
        i = int(np.flatnonzero(zero.to_numpy())[0])
        raise InputError(f"group {df['group'].iloc[i]!r} has a denominator of 0, so it has no rate; remove it "
                         "or correct it", file=source, row=row_number(data, i), column=denominator)
    over = df["numerator"] > df["denominator"]
    if over.any():
        i = int(np.flatnonzero(over.to_numpy())[0])
        raise InputError(f"group {df['group'].iloc[i]!r}: numerator {df['numerator'].iloc[i]:g} is larger than "
                         f"its denominator {df['denominator'].iloc[i]:g}", file=source, row=row_number(data, i),
                         column=numerator)
    if len(df) < 2:
        raise InputError(f"a funnel plot compares groups: need at least 2, got {len(df)}", file=source)
    if df["denominator"].sum() == 0:
        raise InputError("every denominator is 0", file=source)
    target = float(df["numerator"].sum() / df["denominator"].sum())
    rate = df["numerator"] / df["denominator"]
    s = 1.0 / (2.0 * np.sqrt(df["denominator"].to_numpy()))
    z = (np.arcsin(np.sqrt(rate.to_numpy())) - math.asin(math.sqrt(target))) / s
    phi, tau2 = dispersion(z, 1.0 / s ** 2, trim=trim)
    if not overdispersion:
        tau2 = 0.0
    lo95, up95 = arcsine_limits(target, df["denominator"], Z95, tau2)
    lo998, up998 = arcsine_limits(target, df["denominator"], Z998, tau2)
    r = rate.to_numpy()
    outlier = np.select([r > up998, r > up95, r < lo998, r < lo95],
                        ["above 99.8%", "above 95%", "below 99.8%", "below 95%"], default="within")
    table = df.assign(rate=r, lower95=lo95, upper95=up95, lower998=lo998, upper998=up998,
                      outlier=outlier, z=z)
    table["numerator"] = table["numerator"].astype("int64")
    table["denominator"] = table["denominator"].astype("int64")
    return FunnelResult(table=table, target=target, phi=phi, tau2=tau2, overdispersion=overdispersion)
