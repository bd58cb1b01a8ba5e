"""Figures of CFIR coding: facilitators and barriers by domain, and the construct x case heatmap.

Both read in black and white: strength is shown by fill and hatching (solid = strong, hatched = weak)
and every heatmap cell carries its rating as text, so colour is never the only cue.
"""

from __future__ import annotations

import numpy as np

from cscs_eval.cfir._codebook import DOMAINS
from cscs_eval.cfir._ratings import matrix
from cscs_eval.cfir._syntax import RATING_VALUES
from cscs_eval.reporting.style import ACCENT, DARK, GREY, LIGHT, LIGHT_ACCENT, MIN_FONT_PT
from cscs_eval.reporting.word import PORTRAIT_WIDTH_IN

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
    from matplotlib.transforms import blended_transform_factory

    shown = set(_STYLE) | ({"mixed"} if include_mixed else set())
    s = summary[summary["classification"].isin(shown)].copy()
    panels = [(d, s[s["domain"] == d].iloc[::-1]) for d in DOMAINS.values() if (s["domain"] == d).any()]
    items = list(outcomes.items()) if isinstance(outcomes, dict) else [(str(o), None) for o in outcomes or []]
    # Two columns of domains on an A4 page's text width, so the labels print at 8 pt and the figure
    # fits a portrait page; a short list of constructs keeps one column.
    columns = _balance([len(d) for _, d in panels] + ([len(items) + 1] if items else []),
                       2 if len(s) + 2 * len(items) > 14 else 1)
    rows = max([sum(len(d) + 1.6 for _, d in panels[a:b]) + (1.6 * len(items) + 1.6 if items and b > len(panels)
                                                              else 0) for a, b in columns] or [1])
    fig = plt.figure(figsize=figsize or (PORTRAIT_WIDTH_IN, max(3.0, 0.19 * rows + 1.3)), layout="constrained")
    subfigs = fig.subfigures(1, len(columns), squeeze=False)[0] if panels else [fig]
    if not panels:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "No construct is classified as a facilitator or barrier yet", ha="center", va="center")
        ax.set_axis_off()
    for sub, (a, b) in zip(subfigs if panels else [], columns):
        here = panels[a:b]
        with_outcomes = bool(items) and b > len(panels)
        heights = [len(d) + 0.8 for _, d in here] + ([1.6 * len(items) + 0.8] if with_outcomes else [])
        axes = sub.subplots(len(heights), 1, height_ratios=heights, squeeze=False)[:, 0]
        bar_axes = axes[:len(here)]
        for ax, (domain, d) in zip(bar_axes, here):
            for yi, (cls, mean) in enumerate(zip(d["classification"], d["mean_rating"])):
                if cls == "mixed":
                    ax.plot([0 if mean != mean else mean], [yi], marker="o", mfc="white", mec=GREY, ms=6)
                    continue
                side, face, hatch, edge = _STYLE[cls]
                width = side * (2 if cls.startswith("strong") else 1)
                ax.barh(yi, width, color=face, hatch=hatch, edgecolor=edge, linewidth=0.8, height=0.65)
            ax.set_yticks(np.arange(len(d)), d["construct"].tolist())
            ax.axvline(0, color=GREY, linewidth=0.8)
            ax.set_xlim(-2.3, 2.3)
            ax.set_ylim(-0.6, len(d) - 0.4)
            _column_heading(sub, ax, domain)
            ax.tick_params(labelsize=MIN_FONT_PT)
            ax.set_xticks([-2, 0, 2], ["\u22122", "0", "+2"])
            ax.set_xticks([-1, 1], minor=True)
            ax.tick_params(axis="x", labelbottom=ax is bar_axes[-1])
        if with_outcomes:
            oax = axes[-1]
            oax.set_axis_off()
            _column_heading(sub, oax, "Implementation outcomes")
            for k, (name, text) in enumerate(items):
                box = oax.text(0.02, 1 - (k + 0.5) / len(items), f"{name}\n{text}" if text else name,
                               transform=blended_transform_factory(sub.transSubfigure, oax.transAxes),
                               va="center", ha="left", fontsize=MIN_FONT_PT,
                               bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": ACCENT})
                box.set_in_layout(False)
    # The legend gives each bar's length on the rating scale, so the axis needs no words.
    handles = [Patch(facecolor=f, hatch=h, edgecolor=e, label=f"{c} ({side * (2 if c.startswith('strong') else 1):+d})")
               for c, (side, f, h, e) in _STYLE.items()]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=MIN_FONT_PT, frameon=False)
    fig.suptitle(title or "Facilitators and barriers to implementation by CFIR domain", x=0.0, ha="left",
                 fontweight="bold", fontsize=MIN_FONT_PT + 2)
    return fig


def _column_heading(sub, ax, text: str) -> None:
    """A panel's heading, from the left edge of its column (over the construct names, as a table's heading
    would be): an axes title would sit over the bars, and the layout would narrow the bars to fit it."""
    from matplotlib.transforms import blended_transform_factory, offset_copy

    ax.set_title(" ", fontsize=MIN_FONT_PT + 1)  # keeps the heading's line free above the panel
    where = offset_copy(blended_transform_factory(sub.transSubfigure, ax.transAxes), fig=ax.figure, y=4,
                        units="points")
    heading = ax.text(0.0, 1.0, text, transform=where, ha="left", va="bottom", fontsize=MIN_FONT_PT + 1,
                      fontweight="bold")
    heading.set_in_layout(False)


def _balance(sizes: list, n_columns: int) -> list[tuple[int, int]]:
    """Split panels, kept in order, into ``n_columns`` runs ``(start, end)`` whose total sizes are as even as can be.

    >>> _balance([6, 3, 11, 6, 10], 2)
    [(0, 3), (3, 5)]
    >>> _balance([4], 2)
    [(0, 1)]
    """
    if n_columns == 1 or len(sizes) < 2:
        return [(0, len(sizes))]
    cut = min(range(1, len(sizes)), key=lambda k: max(sum(sizes[:k]), sum(sizes[k:])))
    return [(0, cut), (cut, len(sizes))]


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
        # Sized for an A4 page's text (6.6 x 8.6 in at most) so Word prints the 8 pt labels at 8 pt:
        # rows close up (never tighter than 8 pt text needs) rather than the figure being shrunk.
        pitch = max(0.15, min(0.26, 7.0 / max(len(m), 1)))
        _, ax = plt.subplots(figsize=(min(PORTRAIT_WIDTH_IN, max(4.5, 0.55 * len(cases) + 3.9)),
                                      max(3.0, pitch * len(m) + 1.6)), layout="constrained")
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
    ax.set_xticks(range(len(cases)), cases, rotation=30, ha="right", fontsize=MIN_FONT_PT)
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
                  "blank: not discussed)", fontsize=MIN_FONT_PT)
    ax.set_ylabel("CFIR construct", fontsize=MIN_FONT_PT)
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
