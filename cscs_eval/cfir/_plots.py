"""Figures of CFIR coding: facilitators and barriers by domain, and the construct x case heatmap.

Both read in black and white: strength is shown by fill and hatching (solid = strong, hatched = weak)
and every heatmap cell carries its rating as text, so colour is never the only cue.
"""

from __future__ import annotations

import numpy as np

from cscs_eval.cfir._codebook import DOMAINS
from cscs_eval.cfir._ratings import matrix
from cscs_eval.cfir._syntax import RATING_VALUES
from cscs_eval.reporting.style import ACCENT, DARK, GREY, LIGHT, LIGHT_ACCENT

__all__ = ["facilitators_barriers_figure", "heatmap", "domain_counts_plot"]

# facilitators in the accent colour, barriers in black

_STYLE = {
    # classification: (side, face colour, hatch, edge colour)
    "strong facilitator": (1, ACCENT, "", ACCENT),
    "weak facilitator": (1, "white", "////", ACCENT),
    "strong barrier": (-1, DARK, "", DARK),
    "weak barrier": (-1, "white", "\\\\\\\\", DARK),
}


def facilitators_barriers_figure(summary, *, outcomes=None, include_mixed=False, title=None, figsize=None):
    """Strong and weak facilitators and barriers in each CFIR domain (Figure 1 of the source evaluation).

    Parameters
    ----------
    summary
        The table from :func:`~cscs_eval.cfir.summarise`.
    outcomes
        Optional implementation outcomes to show beside the domains: a list of strings or a mapping
        ``outcome -> short result`` (e.g. ``{"Adoption": "all CMHTs trained"}``).
    include_mixed
        Also list constructs classified as mixed (drawn as an open marker at their mean).
    title
        Figure title; a default is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per domain that has constructs to show, bars from -2 (barrier) to +2 (facilitator):
        solid bars are strong, hatched bars weak; facilitators in the accent colour to the right,
        barriers in black to the left.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    shown = set(_STYLE) | ({"mixed"} if include_mixed else set())
    s = summary[summary["classification"].isin(shown)].copy()
    domains = [d for d in DOMAINS.values() if (s["domain"] == d).any()]
    n_rows = [int((s["domain"] == d).sum()) for d in domains] or [1]
    has_out = bool(outcomes)
    height = max(3.0, 0.28 * sum(n_rows) + 0.55 * len(n_rows) + 1.2)
    fig = plt.figure(figsize=figsize or (9.5 if has_out else 7.5, height))
    gs = fig.add_gridspec(len(n_rows), 2 if has_out else 1, height_ratios=[n + 0.8 for n in n_rows],
                          width_ratios=[3, 1.25] if has_out else [1], hspace=0.45, wspace=0.08)
    if not domains:
        ax = fig.add_subplot(gs[0, 0])
        ax.text(0.5, 0.5, "No construct is classified as a facilitator or barrier yet", ha="center", va="center")
        ax.set_axis_off()
    axes = []
    for i, domain in enumerate(domains):
        ax = fig.add_subplot(gs[i, 0], sharex=axes[0] if axes else None)
        axes.append(ax)
        d = s[s["domain"] == domain].iloc[::-1]
        y = np.arange(len(d))
        for yi, (cls, mean) in enumerate(zip(d["classification"], d["mean_rating"])):
            if cls == "mixed":
                ax.plot([0 if mean != mean else mean], [yi], marker="o", mfc="white", mec=GREY, ms=7)
                continue
            side, face, hatch, edge = _STYLE[cls]
            width = side * (2 if cls.startswith("strong") else 1)
            ax.barh(yi, width, color=face, hatch=hatch, edgecolor=edge, linewidth=1.0, height=0.65)
        ax.set_yticks(y, d["construct"].tolist())
        ax.axvline(0, color=GREY, linewidth=0.8)
        ax.set_xlim(-2.3, 2.3)
        ax.set_ylim(-0.6, len(d) - 0.4)
        ax.set_title(domain, fontsize=10, loc="left")
        ax.tick_params(axis="y", labelsize=9)
        if i < len(domains) - 1:
            ax.tick_params(axis="x", labelbottom=False)
    if axes:
        axes[-1].set_xticks([-2, -1, 0, 1, 2], ["strong\nbarrier", "weak\nbarrier", "", "weak\nfacilitator",
                                                 "strong\nfacilitator"])
        axes[-1].set_xlabel("Effect on implementation (classification across cases)")
    if has_out:
        oax = fig.add_subplot(gs[:, 1])
        oax.set_axis_off()
        oax.set_title("Implementation outcomes", fontsize=10, loc="left")
        items = list(outcomes.items()) if isinstance(outcomes, dict) else [(str(o), None) for o in outcomes]
        # stack the boxes from the top about 0.8 inch apart (the panel is as tall as all the domains)
        step = min(0.8 / max(height - 2.0, 1.0), 0.9 / max(len(items), 1))
        ys = 0.97 - np.arange(len(items)) * step
        for yv, (name, text) in zip(ys, items):
            label = f"{name}\n{text}" if text else name
            oax.text(0.02, yv, label, transform=oax.transAxes, va="center", ha="left", fontsize=9, wrap=True,
                     bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": ACCENT})
    handles = [Patch(facecolor=f, hatch=h, edgecolor=e, label=c) for c, (_, f, h, e) in _STYLE.items()]
    fig.subplots_adjust(top=1 - 0.75 / height, bottom=1.25 / height, left=0.32 if not has_out else 0.26,
                        right=0.98)
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title or "Facilitators and barriers to implementation by CFIR domain", x=0.02,
                 y=1 - 0.2 / height, ha="left", fontweight="bold")
    return fig


def heatmap(data, *, ax=None, case_ratings=None, by="case", title=None, annotate=True):
    """Construct x case heatmap of case ratings, diverging from barrier to facilitator.

    Parameters
    ----------
    data
        A :class:`~cscs_eval.cfir.Coding` or coding table (its matrix is drawn, with ``case_ratings``
        and ``by`` as :func:`~cscs_eval.cfir.matrix` takes them), or a matrix from
        :func:`~cscs_eval.cfir.matrix` with ``values="rating"``.
    ax
        Axes to draw on; a new figure sized to the matrix when omitted.
    annotate
        Write the rating (``+2``, ``X``...) in each cell, so the figure reads without colour.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.colors import ListedColormap

    is_matrix = isinstance(data, pd.DataFrame) and "excerpt" not in data.columns
    m = data if is_matrix else matrix(data, case_ratings=case_ratings, by=by)
    cases = [c for c in m.columns if c not in ("construct_id", "construct", "domain")]
    labels = m[cases].astype("string").fillna("M")
    values = labels.apply(lambda col: col.map(RATING_VALUES)).astype("float64").to_numpy()
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.5, 1.1 * len(cases) + 3.5), max(3.0, 0.26 * len(m) + 1.2)))
    if m.empty or not cases:
        ax.text(0.5, 0.5, "No coded constructs to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    # five steps: dark barrier ... accent facilitator; light grey for X/0, white for M
    cmap = ListedColormap([DARK, GREY, LIGHT, LIGHT_ACCENT, ACCENT])
    shade = np.where(labels.to_numpy() == "X", 0.0, values)  # mixed shares the neutral shade
    ax.imshow(shade, cmap=cmap, vmin=-2.5, vmax=2.5, aspect="auto", interpolation="nearest")
    if annotate:
        for (i, j), text in np.ndenumerate(labels.to_numpy()):
            if text == "M":
                continue
            v = values[i, j]
            colour = "white" if v == v and abs(v) >= 2 or (v == v and v <= -1) else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour,
                    fontweight="bold" if v == v and abs(v) == 2 else "normal")
    ax.set_xticks(range(len(cases)), cases, rotation=30, ha="right")
    ax.set_yticks(range(len(m)), m["construct"].tolist(), fontsize=8)
    ax.set_xticks(np.arange(-0.5, len(cases)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(m)), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.2)
    ax.tick_params(which="minor", length=0)
    if "domain" in m.columns:
        # a rule between CFIR domains and the domain's name at the right, so rows read in their domain
        doms = m["domain"].astype("string").fillna("").tolist()
        starts = [i for i in range(len(doms)) if i == 0 or doms[i] != doms[i - 1]]
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(doms)
            if start:
                ax.axhline(start - 0.5, color=DARK, linewidth=1.0)
            ax.text(len(cases) - 0.4, (start + end - 1) / 2, doms[start], ha="left", va="center", fontsize=8,
                    color=DARK, clip_on=False)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(f"{by.capitalize()}\n(+2 strong facilitator ... -2 strong barrier; 0 neutral; X mixed; "
                  "blank: not discussed)")
    ax.set_ylabel("CFIR construct")
    ax.set_title(title or "CFIR rating by construct and case", loc="left")
    return ax


def domain_counts_plot(counts, *, ax=None, title=None):
    """Horizontal stacked bars: constructs per domain by classification (from ``counts_by_domain``).

    Returns the Axes. Strong classes are solid, weak ones hatched, mixed grey dotted.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    styles = [("strong facilitator", ACCENT, ""), ("weak facilitator", "white", "////"),
              ("mixed", LIGHT, "..."), ("weak barrier", "white", "\\\\\\\\"), ("strong barrier", DARK, "")]
    left = np.zeros(len(counts))
    y = np.arange(len(counts))[::-1]
    for name, face, hatch in styles:
        v = counts[name].to_numpy(dtype=float)
        edge = DARK if "barrier" in name or name == "mixed" else ACCENT
        ax.barh(y, v, left=left, color=face, hatch=hatch, edgecolor=edge, label=name, height=0.6)
        left += v
    ax.set_yticks(y, counts["domain"].tolist())
    ax.set_xlabel("Number of constructs")
    ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    ax.set_title(title or "CFIR constructs by domain and classification")
    return ax
