"""The report look: a white page, one accent colour (NHS blue) and greys.

Figures must read in black and white and in print, so series are told apart by
shade, hatching and marker as well as hue.
"""

ACCENT = "#005EB8"  # NHS Blue, from the NHS identity guidelines' colour palette
DARK = "#231F20"  # NHS Black
GREY = "#768692"  # NHS Mid Grey
LIGHT = "#E8EDEE"  # NHS Pale Grey
WARM = "#ED8B00"  # NHS Orange, used sparingly for a second, contrasting series
PLUM = "#7C2855"  # NHS Plum, for a neutral signal (Making Data Count's purple: neither better nor worse)

#: Colours in the order series take them: accent, dark, mid grey, orange, light blue.
PALETTE = [ACCENT, DARK, GREY, WARM, "#41B6E6"]

#: Hatches that keep series distinct in black and white.
HATCHES = ["", "///", "...", "xxx", "\\\\\\"]

FIGURE_SIZE = (7.5, 4.2)

#: Type in Word documents (HTML takes the same from templates/report/report.css).
FONT = "Arial"
FONT_SIZE_PT = 10.5
HEADING_SIZES_PT = {"Title": 22, "Heading 1": 16, "Heading 2": 13, "Heading 3": 11}
#: Smallest type any output uses, in points (figures and Word tables alike).
MIN_FONT_PT = 8


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
