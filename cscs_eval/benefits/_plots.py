"""Figures for benefit analyses: SPC charts, funnel plots, interrupted time series and gaps.

Every function takes ``ax=`` and returns the Axes. Series are told apart by marker and line
style as well as colour, so the figures read in black and white.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscs_eval.benefits._xmr import SpcResult
from cscs_eval.reporting.style import ACCENT, DARK, FIGURE_SIZE, GREY, PLUM, WARM, concise_dates

_POINT_STYLE = {
    # point type: (label, marker, face colour, edge colour, size)
    "common_cause": ("Common cause", "o", GREY, GREY, 22),
    "special_cause_improvement": ("Special cause: improvement", "o", ACCENT, DARK, 55),
    "special_cause_concern": ("Special cause: concern", "s", "white", WARM, 50),
    "special_cause_neutral_high": ("Special cause: neutral high", "D", PLUM, DARK, 45),
    "special_cause_neutral_low": ("Special cause: neutral low", "D", "white", PLUM, 45),
}

_VARIATION_BADGE = {
    "common_cause": ("Common cause", GREY),
    "special_cause_improvement": ("Improvement", ACCENT),
    "special_cause_concern": ("Concern", WARM),
    "special_cause_neutral_high": ("Neutral: high", PLUM),
    "special_cause_neutral_low": ("Neutral: low", PLUM),
}
_ASSURANCE_BADGE = {
    "consistent_pass": ("P", "Target: consistently met", ACCENT),
    "consistent_fail": ("F", "Target: consistently missed", WARM),
    "inconsistent": ("?", "Target: hit and miss", GREY),
}


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=FIGURE_SIZE)
    return ax


def _badge(ax, x, text, colour, *, letter=None):
    """A rounded, outlined label in axes coordinates: readable in black and white by its text."""
    label = f"{letter}  {text}" if letter else text
    ax.text(x, 1.02, label, transform=ax.transAxes, ha="right", va="bottom", fontsize=8.5, fontweight="bold",
            color=DARK, bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": colour,
                              "linewidth": 2})


def plot_spc(result: SpcResult, *, ax=None, title=None, ylabel="Value", xlabel="Date", icons: bool = True,
             legend: bool = True):
    """Draw an XmR chart: points by type, mean, process limits per rebase group, target, icons.

    The variation badge names the latest point's type; the assurance badge (with a target and
    an improvement direction) says whether the limits put the target always, never or only
    sometimes within reach, with a letter (P pass, F fail, ? inconsistent) as the
    Making Data Count icons have.
    """
    ax = _axes(ax)
    d = result.table
    ax.plot(d["date"], d["value"], color=GREY, linewidth=1, zorder=1)
    for g, part in d.groupby("rebase_group"):
        ax.plot(part["date"], part["mean"], color=DARK, linewidth=1.2, zorder=2,
                label="Mean" if g == d["rebase_group"].min() else None)
        for col in ("lpl", "upl"):
            ax.plot(part["date"], part[col], color=DARK, linestyle="--", linewidth=1, zorder=2,
                    label="Process limits" if (g == d["rebase_group"].min() and col == "upl") else None)
    for kind, (label, marker, face, edge, size) in _POINT_STYLE.items():
        pts = d[d["point_type"] == kind]
        if len(pts):
            ax.scatter(pts["date"], pts["value"], marker=marker, s=size, facecolor=face, edgecolor=edge,
                       linewidth=1.4, zorder=3, label=label)
    if result.target is not None:
        ax.axhline(result.target, color=ACCENT, linestyle=":", linewidth=1.6, zorder=2, label="Target")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    concise_dates(ax)  # short labels that never overlap, however long the series
    if title is None:
        title = result.label or "SPC chart"
    ax.set_title(title, pad=22 if icons else 6)
    if icons:
        text, colour = _VARIATION_BADGE[result.variation]
        if result.assurance is not None:
            letter, atext, acolour = _ASSURANCE_BADGE[result.assurance]
            _badge(ax, 1.0, atext, acolour, letter=letter)
            _badge(ax, 0.62, f"Variation: {text}", colour)
        else:
            _badge(ax, 1.0, f"Variation: {text}", colour)
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return ax


def plot_funnel(result, *, ax=None, title="Funnel plot", xlabel="Denominator", ylabel="Rate (%)",
                label_outliers: bool = True, percent: bool = True, suppress: bool = True):
    """Draw a funnel plot: each group's rate against its denominator, with 95% and 99.8% limits.

    With ``suppress`` (the default, for a published figure) a group whose numerator or
    denominator is 1 to 4 is not drawn, nor labelled, and the curves span only the groups
    drawn: its exact place would reveal the counts a suppressed table hides. The limits still
    come from every group; say in the caption how many are not shown (:meth:`FunnelResult.small`,
    :func:`~cscs_eval.benefits.funnel_caption`). ``suppress=False`` draws every group, for analysts.
    """
    ax = _axes(ax)
    t = result.table
    if suppress:
        hidden = result.hidden().to_numpy()  # what the published table hides, secondary cells too
        t = t[~hidden] if not hidden.all() else t.iloc[:0]
    scale = 100 if percent else 1
    span = t["denominator"] if len(t) else pd.Series([5.0, 100.0])
    n = np.linspace(max(1, span.min() * 0.8), span.max() * 1.1, 200)
    lim = result.limits_at(n)
    ax.axhline(result.target * scale, color=DARK, linewidth=1.2, label="Overall rate")
    ax.plot(n, lim["lower95"] * scale, color=DARK, linestyle="--", linewidth=1, label="95% limits")
    ax.plot(n, lim["upper95"] * scale, color=DARK, linestyle="--", linewidth=1)
    ax.plot(n, lim["lower998"] * scale, color=DARK, linestyle=":", linewidth=1.4, label="99.8% limits")
    ax.plot(n, lim["upper998"] * scale, color=DARK, linestyle=":", linewidth=1.4)
    inside = t["outlier"] == "within"
    ax.scatter(t.loc[inside, "denominator"], t.loc[inside, "rate"] * scale, color=GREY, s=30, zorder=3,
               label="Within limits")
    ax.scatter(t.loc[~inside, "denominator"], t.loc[~inside, "rate"] * scale, marker="D", s=45,
               facecolor=ACCENT, edgecolor=DARK, zorder=4, label="Outside 95% limits")
    if label_outliers:
        for j, (_, r) in enumerate(t[~inside].sort_values("denominator").iterrows()):
            # alternate above and below so labels of neighbouring teams do not overprint
            ax.annotate(str(r["group"]), (r["denominator"], r["rate"] * scale), xytext=(5, 5 if j % 2 == 0 else -11),
                        textcoords="offset points", fontsize=8,
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    bottom, top = ax.get_ylim()
    # a little room under 0% so points and labels at 0 do not sit on the axis line
    ax.set_ylim(min(bottom, -0.04 * top), top)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return ax


def plot_its(result, *, ax=None, title=None, ylabel="Value", xlabel="Date"):
    """Draw an interrupted time series: observed points, fitted segments, the counterfactual, the changes."""
    ax = _axes(ax)
    f = result.fitted
    ax.scatter(f["date"], f["value"], color=GREY, s=18, zorder=2, label="Observed")
    for seg, part in f.groupby("segment"):
        ax.plot(part["date"], part["fitted"], color=ACCENT, linewidth=2, zorder=3,
                label="Fitted (segmented regression)" if seg == 0 else None)
    post = f[f["segment"] >= 1]
    if len(post):
        bridge = pd.concat([f[f["segment"] == 0].tail(1), post])
        ax.plot(bridge["date"], bridge["counterfactual"], color=DARK, linestyle="--", linewidth=1.4, zorder=3,
                label="Without the change (counterfactual)")
    for k, c in enumerate(result.changes, start=1):
        ax.axvline(c, color=DARK, linestyle=":", linewidth=1)
        ax.annotate(f"Change {k}" if len(result.changes) > 1 else "Change", (c, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(3, -12), textcoords="offset points", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    concise_dates(ax)
    ax.set_title(title or result.label or "Interrupted time series")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return ax


def plot_gaps(gaps: pd.DataFrame, *, ax=None, title="Rates by group", xlabel="Rate (%)", ylabel=None,
              percent: bool = True):
    """Draw each group's estimate with its interval (a dot-and-whisker chart); the reference is filled."""
    ax = _axes(ax)
    d = gaps[pd.to_numeric(gaps["estimate"], errors="coerce").notna()].reset_index(drop=True)
    scale = 100 if percent else 1
    y = np.arange(len(d))[::-1]
    est = d["estimate"].astype(float) * scale
    lo = d["lower"].astype(float) * scale
    hi = d["upper"].astype(float) * scale
    ax.hlines(y, lo, hi, color=DARK, linewidth=1.2)
    ref = d["reference"].astype(bool).to_numpy()
    ax.scatter(est[~ref], y[~ref], marker="o", s=40, facecolor="white", edgecolor=DARK, zorder=3, label="Group")
    ax.scatter(est[ref], y[ref], marker="o", s=50, facecolor=ACCENT, edgecolor=DARK, zorder=3, label="Reference")
    if ref.any():
        ax.axvline(float(est[ref].iloc[0]), color=ACCENT, linestyle=":", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels(d["group"].astype(str))
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    withheld = len(gaps) - len(d)
    if withheld:
        ax.annotate(f"{withheld} group(s) withheld (small numbers)", (0, -0.18), xycoords="axes fraction",
                    fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return ax

