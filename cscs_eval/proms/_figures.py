"""Figures of PROMs outcomes: change by team or group, paired rate by team or group, and the
Jacobson-Truax plot of baseline against follow-up.

Each function draws on ``ax`` (a new figure when ``None``) and returns the Axes. Colours come
from the report style (:mod:`cscs_eval.reporting.style`); which groups are left out of a
published figure is :mod:`cscs_eval.governance`'s decision (``suppress=True``, the default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscs_eval.errors import UsageError
from cscs_eval.governance import SMALL_MAX, drop_small, is_small
from cscs_eval.proms._results import table_of
from cscs_eval.reporting.style import ACCENT, DARK, GREY
from cscs_eval.stats import format_number

#: How grouping columns read in labels ("imd_decile" is not "Imd decile").
GROUP_LABELS = {"imd_decile": "IMD decile", "age_band": "age band", "team": "team", "ethnicity": "ethnicity",
                "gender": "gender"}


def group_label(by: str) -> str:
    """A grouping column as a reader says it: ``imd_decile`` -> ``IMD decile``."""
    return GROUP_LABELS.get(by, by.replace("_", " "))


def _heading(by: str) -> str:
    text = group_label(by)
    return text[:1].upper() + text[1:]


def _new_ax(ax, height):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, max(2.5, height)))
    return ax


def _no_data(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=10, color=DARK)


def plot_change_by_team(outcomes, *, measure="reqol10", unit=None, by: str = "team", suppress: bool = True,
                        ax=None):
    """Change from baseline to follow-up per team (or group): each referral a dot, the mean with its 95% CI.

    Dashed lines mark the reliable-change threshold either side of zero. With ``suppress``
    groups of 1 to 4 paired referrals are left out.
    """
    import seaborn as sns

    from cscs_eval.proms._measures import load_measure

    m = load_measure(measure)
    outcomes = table_of(outcomes)
    sub = outcomes[(outcomes["measure"] == m.key) & outcomes["paired"].astype(bool)]
    if unit is None:
        unit = "total" if (sub["unit"] == "total").any() else (sub["unit"].iloc[0] if len(sub) else "total")
    sub = sub[sub["unit"] == unit].assign(**{by: lambda d: d[by].astype(object).where(d[by].notna(), "not known")})
    if suppress:
        counts = sub[by].value_counts()
        sub = sub[sub[by].isin(counts[~is_small(counts)].index)]
    order = sorted(sub[by].unique())
    ax = _new_ax(ax, 0.35 * len(order) + 1.2)
    if not len(sub):
        _no_data(ax, f"No {group_label(by)} has {SMALL_MAX + 1} or more paired referrals")
        ax.set_yticks([])
    else:
        sns.stripplot(data=sub, x="change", y=by, order=order, color=GREY, alpha=0.35, size=3, jitter=0.25, ax=ax)
        sns.pointplot(data=sub, x="change", y=by, order=order, color=ACCENT, errorbar=("ci", 95),
                      linestyle="none", markers="D", ax=ax)
    threshold = m.score(unit).reliable_change
    ax.axvline(0, color=DARK, linewidth=0.8)
    if threshold:
        for x in (-threshold, threshold):
            ax.axvline(x, color=GREY, linestyle="--", linewidth=0.8)
    better = "higher" if m.direction == "higher" else "lower"
    ax.set_xlabel(f"Change in {m.name} {unit} (follow-up minus baseline; {better} is better)")
    ax.set_ylabel(_heading(by))
    ax.set_title(f"{m.name} {unit}: change by {group_label(by)}")
    return ax


def plot_paired_rate(summary: pd.DataFrame, *, by: str = "team", measure="reqol10", unit=None,
                     suppress: bool = True, ax=None):
    """Paired rate per team or group with 95% Wilson intervals, from :func:`~cscs_eval.proms.summarise`.

    With ``suppress`` a group whose paired referrals or paired-rate denominator are 1 to 4 is
    left out (a bar placed exactly would reveal the count a table beside it suppresses).
    """
    from cscs_eval.proms._measures import load_measure

    m = load_measure(measure)
    sub = summary[summary["measure"] == m.key]
    if unit is None:
        units = set(sub["unit"])
        unit = "all units" if "all units" in units else ("total" if "total" in units else sorted(units)[0])
    sub = sub[sub["unit"] == unit]
    if by not in sub.columns:
        raise UsageError(f"by must be a column of the summary, got {by!r}")
    sub = sub.assign(_den=sub["n_eligible"].astype("Float64").fillna(sub["n_referrals"].astype("Float64"))
                     .astype(float), _paired=sub["n_paired"].astype(float))
    if suppress:
        sub, _ = drop_small(sub[sub["_den"] > 0], ["_paired", "_den"])
    sub = sub.sort_values("paired_rate")
    ax = _new_ax(ax, 0.35 * len(sub) + 1.2)
    if sub.empty:
        _no_data(ax, f"No {group_label(by)} has {SMALL_MAX + 1} or more referrals and paired referrals")
    y = np.arange(len(sub))
    rate = sub["paired_rate"].astype(float).to_numpy() * 100
    lo = sub["paired_rate_low"].astype(float).to_numpy() * 100
    hi = sub["paired_rate_high"].astype(float).to_numpy() * 100
    ax.barh(y, rate, color=ACCENT, height=0.6)
    err = np.clip(np.nan_to_num(np.vstack([rate - lo, hi - rate])), 0, None)
    ax.errorbar(rate, y, xerr=err, fmt="none", ecolor=DARK, elinewidth=0.8, capsize=2)
    ax.set_yticks(y, sub[by].astype(str).tolist())
    ax.set_xlim(0, 100)
    ax.set_xlabel("Referrals with a paired score (%), with 95% Wilson interval")
    ax.set_ylabel(_heading(by))
    ax.set_title(f"{m.name} ({unit}): paired rate by {group_label(by)}")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


# Marker and fill per category: shapes tell them apart in black and white.
_NHSE_STYLE = {
    "reliable improvement": ("^", "accent", "Reliable improvement"),
    "no reliable change": ("o", "none", "No reliable change"),
    "reliable deterioration": ("v", "dark", "Reliable deterioration"),
}
_CS_STYLE = {
    "recovered": ("o", "accent", "recovered"),
    "improved": ("^", "white", "improved"),
    "unchanged": ("s", "white", "unchanged"),
    "deteriorated": ("v", "white", "deteriorated"),
    "harmed": ("v", "accent", "harmed"),
}


def plot_jacobson_truax(data, *, measure="reqol10", unit=None, suppress: bool = True, seed: int = 0,
                        title=None, ax=None):
    """Baseline against follow-up per person, with the no-change band and the clinical cut-off.

    Points on the diagonal did not change; inside the shaded band between the dashed lines the
    change is not reliable; the dotted lines mark the clinical cut-off on both axes, so points
    that start on the clinical side of it and end on the other side left the clinical range
    (Jacobson and Truax 1991). Marker shapes show the category, so the figure reads in black
    and white.

    Parameters
    ----------
    data
        Either what :func:`~cscs_eval.proms.outcomes` returns (or its table): NHS England's
        categories, with the reliable-change threshold and cut-off of ``measure`` and ``unit``
        (default its total, else its first unit); whole-number scores get a small seeded
        jitter (at most a quarter point) to show how many share a place. Or what
        :func:`~cscs_eval.proms.clinical_significance` returns: its categories, the band of its
        method (none for ``"hlm"``, whose index rests on every time point) and its cut-off.
    suppress
        With 1 to 4 people no points are drawn (a published figure must not show a count under 5).
    title
        The axes title (default: what is plotted).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from cscs_eval.proms._reliable_change import ClinicalSignificanceResult

    if isinstance(data, ClinicalSignificanceResult):
        spec = _clinical_significance_spec(data)
    elif {"baseline", "follow_up", "paired"} <= set(getattr(table_of(data), "columns", ())):
        spec = _outcomes_spec(table_of(data), measure, unit)
    else:
        raise UsageError("plot_jacobson_truax needs what proms.outcomes() or proms.clinical_significance() returns")
    ax = _new_ax(ax, 6)
    lo, hi = spec["limits"]
    xs = np.array([lo, hi])
    band = spec["band"]
    if band:
        centre = band["intercept"] + band["slope"] * xs
        ax.fill_between(xs, centre - band["half_width"], centre + band["half_width"], color=GREY, alpha=0.15,
                        linewidth=0, zorder=1)
        ax.plot(xs, centre + band["half_width"], color=GREY, linestyle="--", linewidth=0.9, zorder=1,
                label=spec["band_label"])
        ax.plot(xs, centre - band["half_width"], color=GREY, linestyle="--", linewidth=0.9, zorder=1)
    ax.plot(xs, xs, color=DARK, linewidth=0.9, label=spec["diagonal_label"], zorder=2)
    if spec["cutoff"] is not None:
        ax.axvline(spec["cutoff"], color=DARK, linestyle=":", linewidth=1.1, zorder=2)
        ax.axhline(spec["cutoff"], color=DARK, linestyle=":", linewidth=1.1, zorder=2, label=spec["cutoff_label"])
    points = spec["points"]
    n = len(points)
    if suppress and is_small(n):
        ax.text(0.5, 0.5, f"Fewer than {SMALL_MAX + 1} {spec['who']}:\npoints not shown", transform=ax.transAxes,
                ha="center", va="center", fontsize=10, color=DARK, bbox={"facecolor": "white", "edgecolor": GREY})
    elif n:
        rng = np.random.default_rng(seed)
        jitter = spec["jitter"]
        x = points["pre"].to_numpy(dtype=float) + (rng.uniform(-jitter, jitter, n) if jitter else 0)
        y = points["post"].to_numpy(dtype=float) + (rng.uniform(-jitter, jitter, n) if jitter else 0)
        cat = points["category"].astype(object).to_numpy()
        colours = {"accent": ACCENT, "dark": DARK, "white": "white", "none": "none"}
        for name, (marker, fill, label) in spec["styles"].items():
            rows = cat == name
            if rows.any() or spec["show_empty"]:
                ax.scatter(x[rows], y[rows], marker=marker, s=spec["size"], facecolors=colours[fill],
                           edgecolors=DARK, linewidths=0.7, alpha=spec["alpha"],
                           label=f"{label} ({int(rows.sum())})" if spec["show_empty"] else label, zorder=3)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(spec["xlabel"])
    ax.set_ylabel(spec["ylabel"])
    ax.set_title(title if title is not None else spec["title"])
    # Below the axes, so it never hides points.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def _outcomes_spec(outcomes: pd.DataFrame, measure, unit) -> dict:
    """NHS England's categories, threshold and cut-off of one measure's unit of change."""
    from cscs_eval.proms._measures import load_measure

    m = load_measure(measure)
    sub = outcomes[(outcomes["measure"] == m.key) & outcomes["paired"].astype(bool)]
    if unit is None:
        unit = "total" if (sub["unit"] == "total").any() else (str(sub["unit"].iloc[0]) if len(sub) else "total")
    sub = sub[sub["unit"] == unit]
    score = m.score(unit)
    lo, hi = float(score.min), float(score.max)
    pad = 0.04 * (hi - lo)
    threshold = score.reliable_change
    better = "higher" if m.direction == "higher" else "lower"
    return {
        "points": pd.DataFrame({"pre": sub["baseline"], "post": sub["follow_up"], "category": sub["category"]}),
        "limits": (lo - pad, hi + pad),
        "band": {"intercept": 0.0, "slope": 1.0, "half_width": float(threshold)} if threshold else None,
        "band_label": f"Reliable-change band (\u00b1{threshold:g})" if threshold else "",
        "diagonal_label": "No change",
        "cutoff": score.cutoff,
        "cutoff_label": f"Clinical cut-off ({score.cutoff:g})" if score.cutoff is not None else "",
        "styles": _NHSE_STYLE, "show_empty": False, "size": 16, "alpha": 0.7, "jitter": 0.25,
        "who": "paired referrals",
        "xlabel": f"{m.name} {unit} at baseline",
        "ylabel": f"{m.name} {unit} at follow-up ({better} is better)",
        "title": f"{m.name} {unit}: baseline against follow-up",
    }


def _clinical_significance_spec(result) -> dict:
    """The categories, band and cut-off of a clinical_significance() result."""
    d = result.details
    t = result.table
    pre_v, post_v = t["pre"].to_numpy(float), t["post"].to_numpy(float)
    lows, highs = [np.nanmin(pre_v), np.nanmin(post_v)], [np.nanmax(pre_v), np.nanmax(post_v)]
    if d.get("cutoff") is not None:
        lows.append(d["cutoff"])
        highs.append(d["cutoff"])
    lo, hi = min(lows), max(highs)
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    outcome = d.get("outcome", "score")
    better = "higher" if d.get("direction") == "higher" else "lower"
    return {
        "points": pd.DataFrame({"pre": pre_v, "post": post_v, "category": t["category"].astype(str).to_numpy()}),
        "limits": (lo - pad, hi + pad),
        "band": d.get("band"),
        "band_label": "no reliable change",
        "diagonal_label": "no change",
        "cutoff": d.get("cutoff"),
        "cutoff_label": (f"cut-off {d.get('cutoff_type')} = {format_number(d['cutoff'], decimals=1)}"
                         if d.get("cutoff") is not None else ""),
        "styles": {c: _CS_STYLE[c] for c in result.categories}, "show_empty": True, "size": 42, "alpha": 1.0,
        "jitter": 0.0, "who": "people",
        "xlabel": f"Baseline {outcome} ({d.get('pre')})",
        "ylabel": f"Follow-up {outcome} ({d.get('post')}); {better} is better",
        "title": f"{d.get('method_name', 'Reliable change')}: baseline against follow-up",
    }
