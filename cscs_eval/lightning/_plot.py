"""A figure of a Lightning Report series: which constructs were Plus or Delta in which report."""

from __future__ import annotations

__all__ = ["plot_series"]


def plot_series(series, *, ax=None, only_recurring_or_delta: bool = True, title: str | None =
                "CFIR constructs across the Lightning Reports"):
    """Draw constructs (rows) by report (columns): a filled circle for Plus, an open triangle for Delta.

    Parameters
    ----------
    series
        What :func:`cscs_eval.lightning.series` returns (its report dates label the columns), or
        its ``table`` (columns numbered 1, 2, ...).
    ax
        Matplotlib Axes; a new figure is made if omitted.
    only_recurring_or_delta
        Leave out constructs that were a Plus in one report only.
    title
        Axes title; ``None`` for none.

    Returns
    -------
    matplotlib.axes.Axes
        Shapes, not colour alone, tell Plus from Delta, so the figure reads in black and white.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from cscs_eval.lightning._series import LightningSeries
    from cscs_eval.reporting.style import ACCENT, DARK, LIGHT

    data = series.table if isinstance(series, LightningSeries) else series
    reports = list(series.reports) if isinstance(series, LightningSeries) else []
    if only_recurring_or_delta:
        data = data[(data["n_delta"] > 0) | (data["n_plus"] > 1)]
    n = len(reports) or (len(data["timeline"].iloc[0].split()) if len(data) else 0)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * n + 4.5, 0.32 * len(data) + 1.6))
    labels = []
    for y, rec in enumerate(data.itertuples()):
        marks = rec.timeline.split()
        for x, mark in enumerate(marks):
            both = mark == "PD"
            if "P" in mark:
                ax.plot(x - (0.12 if both else 0), y, marker="o", markersize=8, color=ACCENT, linestyle="none")
            if "D" in mark:
                ax.plot(x + (0.12 if both else 0), y, marker="^", markersize=8, markerfacecolor="white",
                        markeredgecolor=DARK, markeredgewidth=1.4, linestyle="none")
        status = {"open": " (open)", "resolved": " (resolved)"}.get(rec.delta_status, "")
        labels.append(f"{rec.construct}{status}")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xticks(range(n))
    ax.set_xticklabels(reports if reports else [str(i + 1) for i in range(n)], fontsize=8, rotation=0)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_xlabel("Lightning Report (date)")
    ax.set_ylabel("CFIR construct (Delta status)")
    ax.grid(axis="y", color=LIGHT, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], marker="o", color=ACCENT, linestyle="none", label="Plus (what is working)"),
               Line2D([], [], marker="^", markerfacecolor="white", markeredgecolor=DARK, linestyle="none",
                      label="Delta (what needs to change)")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1 if len(labels) > 6 else -0.25),
              ncol=2, frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    return ax
