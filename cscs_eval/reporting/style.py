"""The report look: a white page, one accent colour (NHS blue) and greys.

Figures must read in black and white and in print, so series are told apart by
shade, hatching and marker as well as hue.
"""

ACCENT = "#005EB8"  # NHS Blue, from the NHS identity guidelines' colour palette
DARK = "#231F20"  # NHS Black
GREY = "#768692"  # NHS Mid Grey
LIGHT = "#E8EDEE"  # NHS Pale Grey
WARM = "#ED8B00"  # NHS Orange, used sparingly for a second, contrasting series
LIGHT_ACCENT = "#41B6E6"  # NHS Light Blue, the accent's lighter step (e.g. a weak facilitator)
PLUM = "#7C2855"  # NHS Plum, for a neutral signal (Making Data Count's purple: neither better nor worse)

#: Colours in the order series take them: accent, dark, mid grey, orange, light blue.
PALETTE = [ACCENT, DARK, GREY, WARM, LIGHT_ACCENT]

#: Hatches that keep series distinct in black and white.
HATCHES = ["", "///", "...", "xxx", "\\\\\\"]

def tint(colour: str, share: float) -> str:
    """``colour`` mixed with white: ``share`` of the colour (0 white, 1 the colour itself).

    Lighter shades of the palette (a pale fill, a second series) come from here, not new colours.

    Examples
    --------
    >>> tint(ACCENT, 0.5), tint(DARK, 0)
    ('#80AEDC', '#FFFFFF')
    """
    rgb = (int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "#" + "".join(f"{round(255 - share * (255 - c)):02X}" for c in rgb)


FIGURE_SIZE = (7.5, 4.2)

#: Type in Word documents (HTML takes the same from templates/report/report.css).
FONT = "Arial"
FONT_SIZE_PT = 10.5
HEADING_SIZES_PT = {"Title": 22, "Heading 1": 16, "Heading 2": 13, "Heading 3": 11}
#: Smallest type any output uses, in points (figures and Word tables alike).
MIN_FONT_PT = 8


def concise_dates(ax, *, axis: str = "x"):
    """Label a date axis with matplotlib's concise date formatter: few ticks, each label short
    ("Jan", "Apr", with the year once where it changes), so a monthly series of any length never has
    overlapping labels. Returns the Axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot(pd.date_range("2022-04-01", periods=30, freq="MS"), range(30))
    >>> type(concise_dates(ax).xaxis.get_major_formatter()).__name__
    'ConciseDateFormatter'
    """
    import matplotlib.dates as mdates

    target = ax.xaxis if axis == "x" else ax.yaxis
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def set_report_style() -> None:
    """Apply the report style to seaborn and matplotlib (call once at the top of a notebook)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="white", palette=PALETTE, font="DejaVu Sans")
    mpl.rcParams.update({
        "figure.figsize": FIGURE_SIZE,
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 12,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": 10,
        "legend.frameon": False,
        "font.size": 10,
    })
