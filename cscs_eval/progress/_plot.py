"""A stacked bar per workstream: the share of its tasks in each status."""

from __future__ import annotations

from cscs_eval.progress._core import STATUS_LABELS, STATUSES
from cscs_eval.reporting.style import ACCENT, DARK, GREY, LIGHT, tint
from cscs_eval.stats import format_number

__all__ = ["plot_progress", "STATUS_STYLE"]

#: Fill and hatch per status, so the bars read in black and white as well as in colour:
#: the accent for complete, a lighter shade of it for on track, then greys and white with
#: distinct hatching. ``dark`` fills take white labels.
STATUS_STYLE = {
    "complete": {"color": ACCENT, "hatch": "", "dark": True},
    "on_track": {"color": tint(ACCENT, 0.46), "hatch": "///", "dark": False},
    "delayed": {"color": GREY, "hatch": "xx", "dark": False},
    "not_needed": {"color": LIGHT, "hatch": "..", "dark": False},
    "not_started": {"color": "white", "hatch": "\\\\\\", "dark": False},
}


def plot_progress(table, *, ax=None, percent: bool = True, include_total: bool = True, label_min: float = 8.0,
                  title: str | None = "Programme progress by workstream"):
    """Draw one horizontal stacked bar per workstream, split by task status.

    Parameters
    ----------
    table
        What :func:`cscs_eval.progress.summarise` returns, or its ``table`` (or any frame with
        ``workstream``, ``total`` and the five status count columns).
    ax
        Matplotlib Axes to draw on; a new figure is made if omitted.
    percent
        Bars as percentages of each row's total (default) or as task counts.
    include_total
        Show the programme total row (first, in bold).
    label_min
        Segments at least this many percent wide are labelled with their value.
    title
        Axes title; ``None`` for none.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    from cscs_eval.errors import UsageError
    from cscs_eval.progress._core import ProgressSummary

    data = table.table if isinstance(table, ProgressSummary) else table
    missing = [c for c in ("workstream", "total", *STATUSES) if c not in getattr(data, "columns", ())]
    if missing:
        raise UsageError("table must be the result of summarise() or its table, with columns workstream, total, "
                         f"{', '.join(STATUSES)}; missing {', '.join(missing)}")
    if "is_programme_total" in data.columns and not include_total:
        data = data[~data["is_programme_total"].astype(bool)]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(data) + 1.8))
    names = [str(w) for w in data["workstream"]]
    totals = data["total"].astype(float).to_numpy()
    y = list(range(len(data)))[::-1]  # first row at the top
    left = [0.0] * len(data)
    for status in STATUSES:
        counts = data[status].astype(float).to_numpy()
        widths = [100.0 * c / t if t else 0.0 for c, t in zip(counts, totals)] if percent else list(counts)
        style = STATUS_STYLE[status]
        ax.barh(y, widths, left=left, color=style["color"], hatch=style["hatch"], edgecolor=DARK,
                linewidth=0.6, label=STATUS_LABELS[status], height=0.7)
        for yi, x0, w, c in zip(y, left, widths, counts):
            share = w if percent else (100.0 * w / max(totals.max(), 1))
            if w and share >= label_min:
                text = f"{format_number(w, decimals=0)}%" if percent else f"{c:.0f}"
                dark = style["dark"]
                ax.text(x0 + w / 2, yi, text, ha="center", va="center", fontsize=8,
                        color="white" if dark else DARK,
                        bbox=None if dark else {"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        left = [a + b for a, b in zip(left, widths)]
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    if "is_programme_total" in data.columns:
        for tick, is_total in zip(ax.get_yticklabels(), data["is_programme_total"].astype(bool)):
            if is_total:
                tick.set_fontweight("bold")
    ax.set_xlabel("Share of the workstream's tasks (%)" if percent else "Number of tasks")
    ax.set_ylabel("Workstream")
    if percent:
        ax.set_xlim(0, 100)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # Right-aligned under the bars, so the keys run left under the workstream names: centred under bars
    # that sit beside long names, five keys would stick out of the figure and squeeze the bars once the
    # figure is fitted to a page.
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, -0.12 if len(data) > 4 else -0.25), ncol=5,
              frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    return ax
