"""Figures: the facilitators and barriers figure and the heatmap read in black and white."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from cscs_eval.cfir import (counts_by_domain, domain_counts_plot, facilitators_barriers_figure, heatmap,  # noqa: E402
                            load_coding, summarise)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "cfir"


@pytest.fixture(scope="module")
def coding():
    return load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml", case_ratings=SAMPLE / "case_ratings.csv")


def test_facilitators_barriers_figure(coding):
    s = summarise(coding)
    fig = facilitators_barriers_figure(s, outcomes={"Adoption": "all teams trained"})
    assert isinstance(fig, matplotlib.figure.Figure)
    headings = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_fontweight() == "bold"]
    assert headings == ["Innovation", "Outer Setting", "Inner Setting", "Individuals", "Implementation Process",
                        "Implementation outcomes"]
    # drawn at an A4 page's text width with 8 pt text at the least, so Word prints it at its drawn size
    assert fig.get_size_inches()[0] <= 6.6 and fig.get_size_inches()[1] <= 9.0
    fig.canvas.draw()
    sizes = {t.get_fontsize() for ax in fig.axes for t in ax.get_yticklabels() + ax.get_xticklabels() + ax.texts}
    assert min(sizes) >= 8
    bars = [p for ax in fig.axes for p in ax.patches]
    shown = s[s["classification"].str.contains("facilitator|barrier")]
    assert len(bars) == len(shown)
    weak = shown["classification"].str.startswith("weak").sum()
    assert sum(bool(p.get_hatch()) for p in bars) == weak  # weak = hatched, strong = solid
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "Information Technology Infrastructure" in labels
    plt.close(fig)


def test_heatmap_annotates_every_rated_cell(coding):
    fig, ax = plt.subplots()
    out = heatmap(coding, ax=ax)
    assert out is ax
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("X") >= 1 and "+2" in texts and "-2" in texts and "M" not in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == ["CMHT North", "CMHT South", "CMHT West",
                                                            "Forensic and Rehab"]
    # every domain with a coded construct is named beside its rows, with a rule between domains
    assert [t for t in texts if t in ("Innovation", "Outer Setting", "Inner Setting", "Individuals",
                                      "Implementation Process")] == ["Innovation", "Outer Setting", "Inner Setting",
                                                                     "Individuals", "Implementation Process"]
    assert len(ax.lines) == 4
    plt.close(fig)


def test_heatmap_prints_at_its_size_on_a4(coding):
    # 45 construct rows: drawn to fit an A4 page's text (6.6 x 8.8 in) with everything it writes at 8 pt or
    # more, so the Word report does not shrink it (at 0.26 in a row it was 13 in tall and printed at 5.5 pt)
    ax = heatmap(coding)
    fig = ax.figure
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    assert box.width <= 6.6 and box.height <= 8.8
    texts = ax.texts + ax.get_xticklabels() + ax.get_yticklabels() + [ax.xaxis.label, ax.yaxis.label]
    assert min(t.get_fontsize() for t in texts) >= 8
    plt.close(fig)


def test_domain_counts_plot(coding):
    ax = domain_counts_plot(counts_by_domain(coding))
    assert ax.get_xlabel() == "Number of constructs" and len(ax.get_legend().get_texts()) == 5
    plt.close(ax.figure)


def test_figures_use_the_report_palette(coding):
    from matplotlib.colors import to_hex

    from cscs_eval.reporting.style import ACCENT, DARK, GREY, LIGHT, LIGHT_ACCENT

    fig, ax = plt.subplots()
    heatmap(coding, ax=ax)
    cmap = ax.images[0].get_cmap()
    assert [to_hex(cmap(i)).upper() for i in range(cmap.N)] == [DARK, GREY, LIGHT, LIGHT_ACCENT, ACCENT]
    plt.close(fig)
