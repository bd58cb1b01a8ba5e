"""seaborn figures of PROMs outcomes: the Jacobson-Truax plot, change by team, paired rate by team or group.

Each function draws on ``ax`` (a new figure when ``None``) and returns the Axes. Groups with
1 to 4 referrals are left out by default, as published tables suppress them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: NHS blue, the report accent (cscs_eval.reporting.ACCENT when available).
NHS_BLUE = "#005EB8"
GREY = "#768692"


def _accent():
    try:
        from cscs_eval.reporting import ACCENT

        return ACCENT
    except Exception:  # reporting not installed or still being written
        return NHS_BLUE


#: How grouping columns read in labels ("imd_decile" is not "Imd decile").
GROUP_LABELS = {"imd_decile": "IMD decile", "age_band": "age band", "team": "team", "ethnicity": "ethnicity",
                "gender": "gender"}


def _label(by: str) -> str:
    return GROUP_LABELS.get(by, by.replace("_", " "))


def _new_ax(ax, height):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, max(2.5, height)))
    return ax


def plot_change_by_team(outcomes: pd.DataFrame, *, measure="reqol10", unit=None, by: str = "team",
                        suppress: bool = True, ax=None):
    """Change from baseline to follow-up per team: each referral as a dot, the mean with its 95% CI.

    Dashed lines mark the reliable-change threshold either side of zero.
    """
    import seaborn as sns

    from cscs_eval.proms.measures import load_measure

    m = load_measure(measure)
    sub = outcomes[(outcomes["measure"] == m.key) & outcomes["paired"].astype(bool)]
    if unit is None:
        unit = "total" if (sub["unit"] == "total").any() else (sub["unit"].iloc[0] if len(sub) else "total")
    sub = sub[sub["unit"] == unit].assign(**{by: lambda d: d[by].astype(object).where(d[by].notna(), "not known")})
    if suppress:
        counts = sub[by].value_counts()
        sub = sub[sub[by].isin(counts[counts >= 5].index)]
    order = sorted(sub[by].unique())
    ax = _new_ax(ax, 0.35 * len(order) + 1.2)
    accent = _accent()
    if not len(sub):
        ax.text(0.5, 0.5, f"No {_label(by)} has 5 or more paired referrals", transform=ax.transAxes,
                ha="center", va="center", fontsize=10)
        ax.set_yticks([])
    else:
        sns.stripplot(data=sub, x="change", y=by, order=order, color=GREY, alpha=0.35, size=3, jitter=0.25, ax=ax)
        sns.pointplot(data=sub, x="change", y=by, order=order, color=accent, errorbar=("ci", 95),
                      linestyle="none", markers="D", ax=ax)
    threshold = m.score(unit).reliable_change
    ax.axvline(0, color="black", linewidth=0.8)
    if threshold:
        for x in (-threshold, threshold):
            ax.axvline(x, color=GREY, linestyle="--", linewidth=0.8)
    better = "higher" if m.direction == "higher" else "lower"
    ax.set_xlabel(f"Change in {m.name} {unit} (follow-up minus baseline; {better} is better)")
    ax.set_ylabel(_label(by)[:1].upper() + _label(by)[1:])
    ax.set_title(f"{m.name} {unit}: change by {_label(by)}")
    return ax


def plot_paired_rate(summary: pd.DataFrame, *, by: str = "team", measure="reqol10", unit=None,
                     suppress: bool = True, ax=None):
    """Paired rate per team or group with 95% Wilson intervals, from :func:`~cscs_eval.proms.summary.summarise`."""
    from cscs_eval.proms.measures import load_measure

    m = load_measure(measure)
    sub = summary[summary["measure"] == m.key]
    if unit is None:
        units = set(sub["unit"])
        unit = "all units" if "all units" in units else ("total" if "total" in units else sorted(units)[0])
    sub = sub[sub["unit"] == unit]
    if by not in sub.columns:
        raise ValueError(f"by must be a column of the summary, got {by!r}")
    den = sub["n_eligible"].astype("Float64").fillna(sub["n_referrals"].astype("Float64")).astype(float)
    if suppress:
        keep = ~(((sub["n_paired"].astype(float) > 0) & (sub["n_paired"].astype(float) < 5)) | (den < 5))
        sub = sub[keep.to_numpy()]
    sub = sub.sort_values("paired_rate")
    ax = _new_ax(ax, 0.35 * len(sub) + 1.2)
    if sub.empty:
        ax.text(0.5, 0.5, f"No {_label(by)} has 5 or more referrals and paired referrals",
                transform=ax.transAxes, ha="center", va="center", fontsize=10)
    y = np.arange(len(sub))
    rate = sub["paired_rate"].astype(float).to_numpy() * 100
    lo = sub["paired_rate_low"].astype(float).to_numpy() * 100
    hi = sub["paired_rate_high"].astype(float).to_numpy() * 100
    ax.barh(y, rate, color=_accent(), height=0.6)
    err = np.clip(np.nan_to_num(np.vstack([rate - lo, hi - rate])), 0, None)
    ax.errorbar(rate, y, xerr=err, fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
    ax.set_yticks(y, sub[by].astype(str).tolist())
    ax.set_xlim(0, 100)
    ax.set_xlabel("Referrals with a paired score (%), with 95% Wilson interval")
    ax.set_ylabel(_label(by)[:1].upper() + _label(by)[1:])
    ax.set_title(f"{m.name} ({unit}): paired rate by {_label(by)}")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


#: Marker, fill and label per category: shapes tell them apart in black and white.
_CATEGORY_STYLE = {
    "reliable improvement": ("^", "accent", "Reliable improvement"),
    "no reliable change": ("o", "none", "No reliable change"),
    "reliable deterioration": ("v", "black", "Reliable deterioration"),
}


def plot_jacobson_truax(outcomes: pd.DataFrame, *, measure="reqol10", unit=None, suppress: bool = True,
                        seed: int = 0, ax=None):
    """Baseline against follow-up per paired referral, with the reliable-change band and the cut-off.

    Points on the solid diagonal did not change; between the dashed lines the change is smaller
    than the unit's reliable-change threshold; the dotted lines mark the clinical cut-off (for
    ReQoL-10 25), so points left of it and above it started in the clinical range and ended out
    of it (Jacobson and Truax 1991). Marker shapes show the category (up triangle: reliable
    improvement, for a measure where higher is better above the band), so the figure reads in
    black and white. Scores are whole numbers, so points get a small seeded jitter (at most a
    quarter point) to show how many share a place. With ``suppress`` and 1 to 4 paired
    referrals no points are drawn (a published figure must not show a count under 5).
    """
    from cscs_eval.proms.measures import load_measure

    m = load_measure(measure)
    sub = outcomes[(outcomes["measure"] == m.key) & outcomes["paired"].astype(bool)]
    if unit is None:
        unit = "total" if (sub["unit"] == "total").any() else (str(sub["unit"].iloc[0]) if len(sub) else "total")
    sub = sub[sub["unit"] == unit]
    score = m.score(unit)
    lo, hi = float(score.min), float(score.max)
    ax = _new_ax(ax, 6)
    accent = _accent()
    pad = 0.04 * (hi - lo)
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.9, label="No change")
    threshold = score.reliable_change
    if threshold:
        ax.plot([lo, hi - threshold], [lo + threshold, hi], color=GREY, linestyle="--", linewidth=0.9,
                label=f"Reliable-change band (\u00b1{threshold:g})")
        ax.plot([lo + threshold, hi], [lo, hi - threshold], color=GREY, linestyle="--", linewidth=0.9)
    if score.cutoff is not None:
        ax.axvline(score.cutoff, color="black", linestyle=":", linewidth=0.9)
        ax.axhline(score.cutoff, color="black", linestyle=":", linewidth=0.9,
                   label=f"Clinical cut-off ({score.cutoff:g})")
    n = len(sub)
    if suppress and 0 < n < 5:
        ax.text(0.5, 0.5, "Fewer than 5 paired referrals:\npoints not shown", transform=ax.transAxes,
                ha="center", va="center", fontsize=10, color="black",
                bbox={"facecolor": "white", "edgecolor": GREY})
    elif n:
        rng = np.random.default_rng(seed)
        x = sub["baseline"].to_numpy(dtype=float) + rng.uniform(-0.25, 0.25, n)
        y = sub["follow_up"].to_numpy(dtype=float) + rng.uniform(-0.25, 0.25, n)
        cat = sub["category"].astype(object).to_numpy()
        for name, (marker, fill, label) in _CATEGORY_STYLE.items():
            rows = cat == name
            if rows.any():
                face = accent if fill == "accent" else fill
                edge = "black" if fill != "accent" else accent
                ax.scatter(x[rows], y[rows], marker=marker, s=16, facecolors=face, edgecolors=edge,
                           linewidths=0.6, alpha=0.7, label=label)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal", adjustable="box")
    better = "higher" if m.direction == "higher" else "lower"
    ax.set_xlabel(f"{m.name} {unit} at baseline")
    ax.set_ylabel(f"{m.name} {unit} at follow-up ({better} is better)")
    ax.set_title(f"{m.name} {unit}: baseline against follow-up")
    # Below the axes, so it never hides points.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
