"""Outcomes through a health-inequalities lens: gaps between groups and the slope and relative indices.

Gaps compare each group with a reference group: the absolute gap (difference) and the
relative gap (ratio), with confidence intervals. The slope index of inequality (SII)
regresses the group values on the ridit score of the ordered groups (each group at the
midpoint of its cumulative population share), weighted by group size; the relative index
(RII) is the SII over the overall mean. Published tables apply the project's small-number
suppression (:mod:`cscs_eval.governance`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cscs_eval.errors import InputError, UsageError
from cscs_eval.governance import SUPPRESSED
from cscs_eval.io import row_number
from cscs_eval.results import Result
from cscs_eval.stats import format_number, wilson_interval

NOT_STATED = "not recorded"
KINDS = ("rate", "mean")


def imd_quintile(decile):
    """IMD quintile (1 most deprived) from an IMD decile: deciles 1-2 are quintile 1, and so on.

    Examples
    --------
    >>> [imd_quintile(d) for d in (1, 2, 3, 10)]
    [1, 1, 2, 5]
    """
    d = _number(decile)
    if d is None or not d.is_integer() or not 1 <= d <= 10:
        raise InputError(f"an IMD decile runs from 1 to 10; got {decile!r}")
    return (int(d) + 1) // 2


def _outcome_values(data, outcome, kind, source):
    raw = data[outcome].reset_index(drop=True)
    if kind == "rate":
        mapping = {"1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "1.0": 1.0, "0.0": 0.0}
        out = []
        for i, v in enumerate(raw):
            if isinstance(v, (bool, np.bool_)):
                out.append(float(v))
                continue
            key = "" if pd.isna(v) else str(v).strip().lower()
            if key not in mapping:
                what = "is missing" if key == "" else f"'{v}' is not 0/1 or yes/no"
                raise InputError(f"outcome {what}; a rate needs a 0/1 outcome on every row", file=source,
                                 row=row_number(data, i), column=outcome)
            out.append(mapping[key])
        return np.asarray(out)
    num = pd.to_numeric(raw, errors="coerce").astype(float).to_numpy()
    bad = np.flatnonzero(~np.isfinite(num))
    if len(bad):
        i = int(bad[0])
        what = "is missing" if pd.isna(raw.iloc[i]) else f"'{raw.iloc[i]}' is not a number"
        raise InputError(f"outcome {what}; a mean needs a number on every row ({len(bad)} such rows)",
                         file=source, row=row_number(data, i), column=outcome)
    return num


def _groups(data, by):
    g = data[by].reset_index(drop=True).astype(object)
    return g.where(~g.isna() & (g.astype(str).str.strip() != ""), NOT_STATED).map(
        lambda v: v if isinstance(v, str) else (int(v) if isinstance(v, float) and v.is_integer() else v))


def _check(data, by, outcome, kind, source):
    if kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    for role, col in (("by", by), ("outcome", outcome)):
        if col not in data.columns:
            raise UsageError(f"{role} column {col!r} not found; columns are {', '.join(map(str, data.columns))}")
    if len(data) == 0:
        raise InputError("no rows to compare", file=source)


def group_estimates(data, *, by: str, outcome: str, kind: str = "rate", alpha: float = 0.05,
                    order=None, source=None) -> pd.DataFrame:
    """Per group: ``group, n, events`` (rates), ``estimate, lower, upper, variance``.

    Rates use the Wilson interval; means the t interval. A missing group value is kept as its
    own group, ``not recorded``. ``order`` lists the groups in the order wanted (every group must
    appear in it); by default groups are sorted. ``source`` names the file in error messages.
    """
    _check(data, by, outcome, kind, source)
    y = _outcome_values(data, outcome, kind, source)
    g = _groups(data, by)
    frame = pd.DataFrame({"group": g, "y": y})
    rows = []
    for name, d in frame.groupby("group", sort=False):
        n = len(d)
        if kind == "rate":
            events = float(d["y"].sum())
            p = events / n
            lo, hi = (float(v) for v in wilson_interval(events, n, z=stats.norm.ppf(1 - alpha / 2)))
            rows.append({"group": name, "n": n, "events": int(events), "estimate": p, "lower": lo, "upper": hi,
                         "variance": p * (1 - p) / n})
        else:
            m = float(d["y"].mean())
            sd = float(d["y"].std(ddof=1)) if n > 1 else float("nan")
            se = sd / math.sqrt(n) if n > 1 else float("nan")
            t = stats.t.ppf(1 - alpha / 2, n - 1) if n > 1 else float("nan")
            rows.append({"group": name, "n": n, "estimate": m, "lower": m - t * se, "upper": m + t * se,
                         "variance": se ** 2, "sd": sd})
    out = pd.DataFrame(rows)
    if order is not None:
        order = list(order)
        missing = [x for x in out["group"] if x not in order and str(x) not in map(str, order)]
        if missing:
            raise UsageError(f"order must list every group; missing {', '.join(map(str, missing))}")
        rank = {str(x): i for i, x in enumerate(order)}
        absent = [x for x in order if str(x) not in set(map(str, out["group"]))]
        if absent:
            raise InputError(f"group(s) {', '.join(map(str, absent))} have no data", file=source, column=by)
        out = out.iloc[sorted(range(len(out)), key=lambda i: rank[str(out["group"].iloc[i])])]
    else:
        keys = [_sort_key(x, out["group"]) for x in out["group"]]
        out = out.iloc[sorted(range(len(out)), key=keys.__getitem__)]
    return out.reset_index(drop=True)


def _number(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _sort_key(x, values):
    """Numbers (also numbers written as text, such as IMD deciles read from CSV) sort numerically."""
    numeric = all(_number(v) is not None for v in values if v != NOT_STATED)
    if x == NOT_STATED:
        return (1, 0.0, "")
    return (0, _number(x), "") if numeric else (0, 0.0, str(x))


def inequality_gaps(data, *, by: str, outcome: str, kind: str = "rate", reference=None, alpha: float = 0.05,
                    suppress: bool = True, order=None, source=None) -> pd.DataFrame:
    """Each group's rate or mean and its absolute and relative gap to a reference group.

    Parameters
    ----------
    data
        One row per person or referral, with a group column and an outcome column (0/1 for
        a rate, a number for a mean).
    by, outcome
        Column names: the groups, and the outcome.
    kind
        ``"rate"`` or ``"mean"``.
    reference
        The reference group; default the largest group.
    suppress
        Apply small-number suppression (counts 1-4 as ``*``, others rounded to 5; estimates
        and gaps withheld where their counts are suppressed). ``False`` is for analysis only.
    source
        The file the data came from, named in error messages with the row.

    Returns
    -------
    pandas.DataFrame
        ``group, n, [events,] estimate, lower, upper, abs_gap, abs_gap_lower, abs_gap_upper,
        rel_gap, rel_gap_lower, rel_gap_upper, reference``.

    Notes
    -----
    Rates: Wilson intervals; the difference by Newcombe's hybrid score interval (1998, method
    10); the ratio by the log method (Katz 1978), SE = sqrt(1/x1 - 1/n1 + 1/x0 - 1/n0).
    Means: t intervals; the difference by Welch's t; the ratio by the delta method on the log
    scale, SE = sqrt(se1^2/m1^2 + se0^2/m0^2) (positive means only).
    """
    return published_gaps(data, by=by, outcome=outcome, kind=kind, reference=reference, alpha=alpha,
                          suppress=suppress, order=order, source=source).table


def published_gaps(data, *, by: str, outcome: str, kind: str = "rate", reference=None, alpha: float = 0.05,
                   suppress: bool = True, order=None, source=None):
    """:func:`inequality_gaps` as a published table (:class:`~cscs_eval.governance.ProtectedTable`): the
    table with its structure, for a report or a file that ``cscs-eval audit`` reads. ``suppress=False``:
    the exact table, marked not for publication."""
    from cscs_eval.governance import TableStructure, protect

    est = group_estimates(data, by=by, outcome=outcome, kind=kind, alpha=alpha, order=order, source=source)
    if reference is None:
        reference = est.loc[est["n"].idxmax(), "group"]
    hits = est.index[est["group"].astype(str) == str(reference)]
    if not len(hits):
        raise UsageError(f"reference must be one of {', '.join(map(str, est['group']))}; got {reference!r}")
    out = _with_gaps(est, hits[0], kind=kind, alpha=alpha)
    if suppress:
        return _published_gaps(out, est, hits[0], by=by, outcome=outcome, kind=kind, alpha=alpha)
    counts = ("n", "events") if kind == "rate" else ("n",)
    return protect(out.astype({c: int for c in counts}), TableStructure(f"{kind}_{outcome}_by_{by}", key=("group",),
                                                                      counts=counts), suppress=False)


def _with_gaps(est, ref_index, *, kind, alpha):
    """``est`` with each group's absolute and relative gap to the row ``ref_index`` (see :func:`inequality_gaps`)."""
    ref = est.loc[ref_index]
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for _, r in est.iterrows():
        d = r["estimate"] - ref["estimate"]
        if kind == "rate":
            l1, u1 = r["lower"], r["upper"]
            l0, u0 = ref["lower"], ref["upper"]
            p1, p0 = r["estimate"], ref["estimate"]
            dl = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
            du = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
            x1, n1, x0, n0 = r["events"], r["n"], ref["events"], ref["n"]
            if x1 > 0 and x0 > 0:
                ratio = p1 / p0
                se = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
                rl, ru = ratio * math.exp(-z * se), ratio * math.exp(z * se)
            else:
                ratio = rl = ru = float("nan")
        else:
            v1, v0 = r["variance"], ref["variance"]
            se = math.sqrt(v1 + v0) if np.isfinite(v1 + v0) else float("nan")
            if r.name == ref.name or not np.isfinite(se) or se == 0:
                dl = du = d if r.name == ref.name else float("nan")
            else:
                df = (v1 + v0) ** 2 / (v1 ** 2 / (r["n"] - 1) + v0 ** 2 / (ref["n"] - 1))
                tq = stats.t.ppf(1 - alpha / 2, df)
                dl, du = d - tq * se, d + tq * se
            if r["estimate"] > 0 and ref["estimate"] > 0 and np.isfinite(v1 + v0):
                ratio = r["estimate"] / ref["estimate"]
                sel = math.sqrt(v1 / r["estimate"] ** 2 + v0 / ref["estimate"] ** 2)
                rl, ru = ratio * math.exp(-z * sel), ratio * math.exp(z * sel)
            else:
                ratio = rl = ru = float("nan")
        if r.name == ref.name:
            dl = du = 0.0
            ratio = rl = ru = 1.0
        rows.append({"abs_gap": d, "abs_gap_lower": dl, "abs_gap_upper": du,
                     "rel_gap": ratio, "rel_gap_lower": rl, "rel_gap_upper": ru,
                     "reference": r.name == ref.name})
    return pd.concat([est.drop(columns=[c for c in ("variance", "sd") if c in est.columns]).reset_index(drop=True),
                      pd.DataFrame(rows)], axis=1)


def _published_gaps(out, est, ref_index, *, by, outcome, kind, alpha):
    """The gap table to publish (:func:`~cscs_eval.governance.protect`): counts 0, ``*`` or rounded to 5,
    more hidden where a hidden one could be worked out; for rates every estimate, interval and gap
    computed again from the published counts (a rate from exact counts would undo their rounding);
    everything of a group whose counts are hidden withheld, and every gap when the reference's are.
    Returns a :class:`~cscs_eval.governance.ProtectedTable`."""
    from cscs_eval.governance import Rate, TableStructure, protect

    counts = ("n", "events") if kind == "rate" else ("n",)
    structure = TableStructure(f"{kind}_{outcome}_by_{by}", key=("group",), counts=counts,
                               rates=(Rate("estimate", "events", "n", scale="fraction", decimals=4),)
                               if kind == "rate" else ())
    truth = out[["group", *counts]].astype({c: int for c in counts})
    p = protect(truth, structure)
    hidden = p.mask[list(counts)].any(axis=1).to_numpy()
    derived = ["estimate", "lower", "upper", "abs_gap", "abs_gap_lower", "abs_gap_upper",
               "rel_gap", "rel_gap_lower", "rel_gap_upper"]
    if kind == "rate":
        shown = est.reset_index(drop=True).copy()
        z = stats.norm.ppf(1 - alpha / 2)
        for i in range(len(shown)):
            if hidden[i]:
                continue
            x, n = (float(p.table.loc[i, c]) for c in ("events", "n"))
            lo, hi = (float(v) for v in wilson_interval(x, n, z=z))
            shown.loc[i, ["events", "n", "estimate", "lower", "upper", "variance"]] = [
                x, n, x / n if n else float("nan"), lo, hi, (x / n) * (1 - x / n) / n if n else float("nan")]
        ref_pos = list(est.index).index(ref_index)
        if not hidden[ref_pos]:
            out = _with_gaps(shown, ref_pos, kind=kind, alpha=alpha)
        published = out.copy()
        published["estimate"] = p.table["estimate"]  # as protect rounds it: from the published counts
    else:
        published = out.copy()
    for c in counts:
        published[c] = p.table[c]
    for c in derived:
        published[c] = published[c].astype(object)
        published.loc[hidden, c] = SUPPRESSED
    if hidden[list(est.index).index(ref_index)]:
        for c in derived[3:]:
            published[c] = SUPPRESSED
    return p.with_table(published)


@dataclass(repr=False)
class SlopeIndexResult(Result):
    """The slope and relative indices of inequality and the group table behind them.

    ``table``: rows ``sii`` and ``rii`` with ``term, estimate, lower, upper`` (also its
    ``summary()``); ``groups``: ``group, n, share, ridit, estimate, variance``; ``mean``: the
    overall (size-weighted) mean; ``text()`` says it in a sentence.
    """

    groups: pd.DataFrame
    table: pd.DataFrame = field()  # required, not the base class's None
    mean: float
    alpha: float = 0.05
    #: rows left out because their group was missing (``slope_index(..., drop_missing=True)``)
    n_dropped: int = 0

    @property
    def sii(self) -> float:
        return float(self.table.loc[self.table["term"] == "sii", "estimate"].iloc[0])

    @property
    def rii(self) -> float:
        return float(self.table.loc[self.table["term"] == "rii", "estimate"].iloc[0])

    def text(self, *, scale: float = 1.0, unit: str = "", group_label: str = "") -> str:
        """A sentence for a report (``scale=100, unit=" percentage points"`` for rates).

        ``group_label`` names the groups (``"IMD quintile"`` gives "From IMD quintile 1 to 5").
        """
        t = self.table.set_index("term")
        pct = round(100 * (1 - self.alpha))
        first, last = self.groups["group"].iloc[0], self.groups["group"].iloc[-1]
        lead = f"{group_label} " if group_label else ""
        sii, rii = (scale * t.loc["sii", c] for c in ("estimate", "lower", "upper")), t.loc["rii"]
        estimate, lower, upper = (format_number(v, decimals=1) for v in sii)
        return (f"From {lead}{first} to {last}, the slope index of inequality is {estimate}"
                f"{unit} ({pct}% CI {lower} to {upper}); "
                f"relative to the overall mean that is {format_number(rii['estimate'], decimals=2)} "
                f"({format_number(rii['lower'], decimals=2)} to {format_number(rii['upper'], decimals=2)}).")


def sii_from_groups(groups, estimates, sizes, *, variances=None, alpha: float = 0.05) -> SlopeIndexResult:
    """Slope and relative index of inequality from group values, in order (first = most deprived).

    Parameters
    ----------
    groups
        Group labels in order of the social gradient, most disadvantaged first.
    estimates
        Each group's rate or mean.
    sizes
        Each group's size (population or denominator): the weights and the ridit shares.
    variances
        Each group's sampling variance (p(1-p)/n for a rate, s^2/n for a mean), for the
        interval; without them the interval comes from the weighted regression's residuals.

    Notes
    -----
    ridit_i = (sum of shares before group i) + share_i / 2. SII = slope of the regression of the
    estimates on the ridits weighted by size, so it reads as the difference between the
    least (ridit 1) and the most (ridit 0) deprived end. Written as SII = sum c_i y_i with
    c_i = w_i (x_i - xbar_w) / sum w_j (x_j - xbar_w)^2, its variance is sum c_i^2 var_i.
    RII = SII / mean, with mean = sum w_i y_i / sum w_i. With group variances its interval is
    RII +/- z se by the delta method, var(RII) = (var(SII) - 2 RII cov(SII, mean) + RII^2
    var(mean)) / mean^2 with cov(SII, mean) = sum c_i a_i var_i and a_i = w_i / sum w_j, so
    that the uncertainty of the mean counts too (as the simulation in PHE's SII tool does);
    without variances the SII interval is divided by the mean (the mean treated as fixed).

    Examples
    --------
    >>> r = sii_from_groups(["Q1", "Q2"], [0.2, 0.4], [100, 100], variances=[0.2 * 0.8 / 100, 0.4 * 0.6 / 100])
    >>> round(r.sii, 6), round(r.rii, 6)
    (0.4, 1.333333)
    """
    g = list(groups)
    y = np.asarray(estimates, dtype=float)
    w = np.asarray(sizes, dtype=float)
    if not (len(g) == len(y) == len(w)):
        raise UsageError("groups, estimates and sizes must have the same length")
    if len(g) < 2:
        raise InputError(f"the slope index needs at least 2 groups; got {len(g)}")
    if np.any(w <= 0):
        raise InputError(f"group {g[int(np.flatnonzero(w <= 0)[0])]!r} has no data (size 0)")
    share = w / w.sum()
    ridit = np.cumsum(share) - share / 2
    xbar = np.sum(w * ridit) / w.sum()
    sxx = np.sum(w * (ridit - xbar) ** 2)
    c = w * (ridit - xbar) / sxx
    slope = float(np.sum(c * y))
    mean = float(np.sum(w * y) / w.sum())
    z = stats.norm.ppf(1 - alpha / 2)
    if variances is not None:
        v = np.asarray(variances, dtype=float)
        se = math.sqrt(float(np.sum(c ** 2 * v)))
        lo, hi = slope - z * se, slope + z * se
    else:
        if len(g) < 3:
            raise InputError("an interval from residuals needs at least 3 groups; pass the group variances")
        intercept = mean - slope * xbar
        resid = y - intercept - slope * ridit
        s2 = np.sum(w * resid ** 2) / (len(g) - 2)
        se = math.sqrt(s2 / sxx)
        tq = stats.t.ppf(1 - alpha / 2, len(g) - 2)
        lo, hi = slope - tq * se, slope + tq * se
    if mean == 0:
        rii = rl = ru = float("nan")
    elif variances is not None:
        # delta method for the ratio of two linear combinations of the group values:
        # var(RII) = (var(SII) - 2 RII cov(SII, mean) + RII^2 var(mean)) / mean^2
        a = w / w.sum()
        var_mean, cov = float(np.sum(a ** 2 * v)), float(np.sum(c * a * v))
        rii = slope / mean
        se_rii = math.sqrt(max(0.0, se ** 2 - 2 * rii * cov + rii ** 2 * var_mean)) / abs(mean)
        rl, ru = rii - z * se_rii, rii + z * se_rii
    else:
        rii, rl, ru = slope / mean, lo / mean, hi / mean
        if mean < 0:
            rl, ru = ru, rl
    table = pd.DataFrame({"term": ["sii", "rii"], "estimate": [slope, rii], "lower": [lo, rl], "upper": [hi, ru]})
    groups_df = pd.DataFrame({"group": g, "n": w, "share": share, "ridit": ridit, "estimate": y})
    if variances is not None:
        groups_df["variance"] = np.asarray(variances, dtype=float)
    return SlopeIndexResult(groups=groups_df, table=table, mean=mean, alpha=alpha)


def slope_index(data, *, by: str, outcome: str, kind: str = "rate", order=None,
                alpha: float = 0.05, drop_missing: bool = False, source=None) -> SlopeIndexResult:
    """Slope and relative index of inequality across ordered groups of row-level data.

    ``order`` lists the groups from most to least disadvantaged (for IMD, decile or quintile 1
    first, which the default numeric sort gives). Rows whose group is missing cannot be
    placed on the gradient: by default they are an error, not silently dropped; with
    ``drop_missing=True`` they are left out and counted in the result's ``n_dropped``, so a
    report can say how many. ``source`` names the file in error messages.

    Examples
    --------
    >>> df = pd.DataFrame({"q": [1] * 10 + [2] * 10, "y": [1] * 2 + [0] * 8 + [1] * 4 + [0] * 6})
    >>> round(slope_index(df, by="q", outcome="y").sii, 6)
    0.4
    """
    if by in data.columns and drop_missing:
        missing = data[by].isna() | (data[by].astype(str).str.strip() == "")
        n_dropped = int(missing.sum())
        data = data[~missing]
    else:
        n_dropped = 0
    est = group_estimates(data, by=by, outcome=outcome, kind=kind, alpha=alpha, order=order, source=source)
    if (est["group"] == NOT_STATED).any():
        n = int(est.loc[est["group"] == NOT_STATED, "n"].iloc[0])
        raise InputError(f"{n} row(s) have no {by}; they cannot be placed on the gradient: filter them out "
                         "(and report how many) before the slope index", file=source, column=by)
    result = sii_from_groups(est["group"].tolist(), est["estimate"], est["n"], variances=est["variance"], alpha=alpha)
    result.n_dropped = n_dropped
    return result
