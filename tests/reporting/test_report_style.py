"""Every demo report reads as a board member expects it (issue 13), on the one demo run the demo tests share:
plain words (no "(s)", snake_case names, measure codes, developer caveats, NaN or None) in the HTML and the
Word text outside the run-details appendix; the sample's numbers and definitions agree across reports; Word
on A4 with its appendix last and no empty last section; and, where LibreOffice is installed, every page of
every Word report converted to PDF is A4, not near-empty and not blank at the end."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report_text import APPENDIX, docx_text, html_text, problems  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(demo_reports):
    code, out = demo_reports
    assert code == 0
    return out


def _reports(out: Path, suffix: str) -> list[Path]:
    return sorted(p for p in out.rglob(f"*{suffix}") if p.name != "index.html")


def test_every_demo_report_reads_plainly(demo):
    reports = _reports(demo, ".html") + _reports(demo, ".docx")
    assert len(reports) >= 11, "five reports in HTML and Word, four team reports, one of them in Word too"
    found = {}
    for path in reports:
        text = html_text(path) if path.suffix == ".html" else docx_text(path)
        assert len(text) > 500, path
        bad = problems(text)
        if bad:
            found[str(path.relative_to(demo))] = sorted(set(bad))[:5]
    assert not found, found


def test_the_checker_finds_what_it_should():
    text = "3 team(s) were trained; pct_of_total 90; reqol10 total; UNVERIFIED: from memory; mean nan; None."
    kinds = {p.split(":")[0] for p in problems(text)}
    assert kinds == {"'(s)' instead of the right plural", "a snake_case name", "an internal measure code",
                     "a developer's caveat", "a missing value shown raw", "Python's None"}
    assert problems("Source: logic_model.yaml and cscs_programme_progress_2024-11.csv") == [], "file names are not words"


def _summary(path: Path) -> str:
    text = html_text(path)
    return text[text.index("Summary"):]


def test_the_sample_tells_one_story(demo):
    teams = pd.read_csv(ROOT / "data" / "sample" / "teams.csv", parse_dates=["engaged_date", "trained_date"])
    engaged, trained = int(teams["engaged_date"].notna().sum()), int(teams["trained_date"].notna().sum())
    evaluation = html_text(demo / "implementation_evaluation" / "implementation_evaluation.html")
    # Adoption and penetration as teams.csv has them (29 and 12 of 32, as the board report's overview) ...
    assert f"{engaged} of 32 teams (91%)" in evaluation and f"{trained} of 32 teams (38%)" in evaluation
    # ... and no report claims that every community team was trained.
    for path in _reports(demo, ".html"):
        assert not re.search(r"(every|all) (three )?community (mental health )?teams? (has|have)( now)? been trained|"
                             r"all community teams trained", html_text(path), re.I), path
    # Lightning Report 5 (23 May 2024) counts what teams.csv has by that date.
    by_then = int((teams["trained_date"] <= "2024-05-23").sum())
    report5 = (ROOT / "data" / "sample" / "lightning" / "2024-05-lightning-report-5.md").read_text()
    assert f"{number_words(by_then)} have mapped their pathway and been trained" in report5 or \
        f"{by_then} have mapped their pathway and been trained" in report5

    # The same definitions in every report: the PROMs outcomes report's reliable improvement (eligible
    # referrals with a paired ReQoL-10 total) is the share the benefit analysis quotes for the same cohort.
    proms = _summary(demo / "proms_outcomes" / "proms_outcomes.html")
    benefits = html_text(demo / "benefits_analysis" / "benefits_analysis.html")
    improved = re.search(r"Of paired referrals, ([\d.]+)% improved reliably", proms).group(1)
    assert f"{improved}% show a reliable improvement" in benefits
    assert "eligible referrals with a paired ReQoL-10 total" in benefits
    # Where two reports' paired rates differ, each says what it counts: one measure, or any measure.
    assert "For ReQoL-10 in all teams" in proms and "a paired score on any measure" in benefits
    # One name for a missing value in a breakdown, in every report that shows one.
    for path in _reports(demo, ".html"):
        cells = {line.strip() for line in html_text(path).splitlines()}
        assert not cells & {"not known", "not recorded", "Not known", "Unknown"}, path
    assert "Not recorded" in {line.strip() for line in html_text(demo / "proms_outcomes" / "proms_outcomes.html")
                              .splitlines()}


def number_words(n: int) -> str:
    from cscs_eval.reporting.plain import number_words as words

    return words(n, limit=20)


def test_exclusions_are_published_alike_in_every_report(demo):
    # The sample has 4 rows whose response is not a whole number (a count of 1 to 4: '*' wherever published).
    for name in ("implementation_evaluation", "proms_outcomes", "benefits_analysis"):
        text = html_text(demo / name / f"{name}.html")
        row = re.search(r"response not a whole number\s*\n?\s*(\S+)", text)
        assert row and row.group(1) == "*", name


def test_team_reports_name_their_team_and_the_index_says_what_each_shows(demo):
    index = html_text(demo / "index.html")
    assert "PROMs outcomes: Abbeydale CMHT" in index and "This one is for Abbeydale CMHT alone." in index
    page = html_text(demo / "proms_outcomes-by-team" / "Abbeydale-CMHT" / "proms_outcomes.html")
    assert "PROMs outcomes: Abbeydale CMHT" in page
    assert "Share of referrals with a paired score by team" not in page, "no one-bar chart by team"
    assert "UNVERIFIED" not in page and "Methods note for ReQoL-10" in page


def _word_files(demo: Path) -> list[Path]:
    return _reports(demo, ".docx")


def test_word_reports_are_a4_with_the_run_details_last(demo):
    from docx import Document
    from docx.shared import Mm

    for path in _word_files(demo):
        doc = Document(str(path))
        for section in doc.sections:
            sides = sorted((section.page_width, section.page_height))
            assert abs(sides[0] - Mm(210)) < Mm(1) and abs(sides[1] - Mm(297)) < Mm(1), path
        texts = [p.text for p in doc.paragraphs]
        assert texts.count(APPENDIX) == 1 and texts.index(APPENDIX) > len(texts) // 2, path
        assert "parameters and the checksums of its data files are in the appendix" in "\n".join(texts[:4]), path
        # The summary, not a table of parameters, opens the report.
        assert doc.tables[0].rows[0].cells[0].text != "Parameter", path
        # No section break with nothing after it (a blank last page).
        body = [c for c in doc.element.body if not c.tag.endswith("}sectPr")]
        assert body[-1].find(".//{*}sectPr") is None, path
        # Every table's header row repeats on each page; no row breaks across pages.
        for table in doc.tables:
            first = table.rows[0]._tr
            assert first.find(".//{*}tblHeader") is not None, path


def _pdf_pages(pdf: Path) -> list[dict]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    pages = []
    for k, (w, h) in enumerate(sizes, 1):
        text = subprocess.run(["pdftotext", "-f", str(k), "-l", str(k), str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        images = subprocess.run(["pdfimages", "-list", "-f", str(k), "-l", str(k), str(pdf)], capture_output=True,
                                text=True, check=True).stdout.splitlines()[2:]
        pages.append({"size": sorted((float(w), float(h))), "chars": len(re.sub(r"\s", "", text)),
                      "images": len(images), "text": text})
    return pages


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdfimages")),
                    reason="LibreOffice and poppler-utils are not installed (apt-get install libreoffice-writer-nogui "
                           "poppler-utils); .ci/run installs them")
def _printed_font_sizes(out: Path):
    """(report, caption, smallest text in points as Word prints it) for every figure of the demo's reports: the
    size the figure was drawn with, scaled by the width Word places it at over its drawn width."""
    import base64
    import json

    from cscs_eval.reporting import word
    from cscs_eval.reporting.display import FIGURE_MIME

    for path in _reports(out, ".ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                figure = output.get("data", {}).get(FIGURE_MIME)
                if not figure or figure.get("min_font_pt") is None:
                    continue
                drawn = word.image_size_in(base64.b64decode(output["data"]["image/png"]))
                if figure.get("wide"):  # a landscape page at its drawn size
                    placed = min(figure["width_in"], word.LANDSCAPE_WIDTH_IN)
                else:
                    placed = word.placed_width_in(drawn, width=word.PORTRAIT_WIDTH_IN)
                yield path.name, figure["caption"][:60], figure["min_font_pt"] * placed / drawn[0]


def test_word_figures_print_their_text_at_8_pt_or_more(demo):
    # NHS accessible-document guidance and the style's MIN_FONT_PT: no text in a printed figure under 8 pt.
    sizes = list(_printed_font_sizes(demo))
    assert len(sizes) >= 10
    small = [(name, caption, round(pt, 1)) for name, caption, pt in sizes if pt < 7.95]
    assert not small


def test_word_reports_print_on_a4_without_near_empty_pages(demo, tmp_path):
    """Converted to PDF by LibreOffice, page by page: A4 (either way round), no page left nearly empty by a
    heading or a figure (a page with neither a picture nor 150 characters), and no blank last page."""
    files = _word_files(demo)
    for k, path in enumerate(files):  # names differ: the team report is proms_outcomes.docx too
        shutil.copy(path, tmp_path / f"{k}-{path.stem}.docx")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *sorted(str(p) for p in tmp_path.glob("*.docx"))],
                   check=True, capture_output=True, timeout=600)
    a4 = [595.3, 841.9]
    for pdf in sorted(tmp_path.glob("*.pdf")):
        pages = _pdf_pages(pdf)
        assert len(pages) >= 3, pdf.name
        for n, page in enumerate(pages, 1):
            assert all(abs(a - b) < 1 for a, b in zip(page["size"], a4)), f"{pdf.name} page {n} is not A4"
            assert page["images"] or page["chars"] >= 150, f"{pdf.name} page {n} is nearly empty: {page['text'][:200]!r}"
        assert pages[-1]["chars"] > 100, f"{pdf.name} ends on a blank page"


def test_labels_are_one_to_one():
    """Readers turn a label back into its column: no two columns share a label, and no label is another
    column's own name."""
    from cscs_eval.io import normalise_column, read_yaml

    columns = read_yaml(ROOT / "cscs_eval" / "reporting" / "data" / "labels.yaml")["columns"]
    shown = [normalise_column(v) for v in columns.values()]
    assert len(shown) == len(set(shown))
    assert not [(k, v) for k, v in columns.items() if normalise_column(v) in columns and normalise_column(v) != k]


def test_a_wide_figure_is_fitted_to_the_page_with_its_text_kept():
    # A 9 in chart with long tick labels, a legend outside the plot and a long left-aligned title: the PNG the
    # report places at the page's 6.6 in is at most 6.6 in wide, so its 8 pt labels print at 8 pt.
    import base64
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell

    from cscs_eval.reporting import set_report_style, show_figure, word
    from cscs_eval.reporting.display import FIGURE_MIME

    set_report_style()
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(range(10), label="A line with a long description in the legend")
    ax.set_yticks(range(0, 10, 3), ["A long category label that reads"] * 4, fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.set_title("A title longer than the page is wide, as analysts write them for the point of a chart", loc="left")
    shown = []
    shell = InteractiveShell.instance()
    shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)
    show_figure(fig, caption="A chart")
    payload = json.loads(json.dumps(shown[-1][FIGURE_MIME]))
    width, _ = word.image_size_in(base64.b64decode(shown[-1]["image/png"]))
    assert 5.5 < width <= word.PORTRAIT_WIDTH_IN + 0.01
    assert payload["min_font_pt"] == 8
