"""Each sample Lightning Report prints on one A4 page (headless Chromium; skipped where it is not installed)."""

import re
from pathlib import Path

import pytest

from cscs_eval.lightning import render

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "lightning"


@pytest.mark.browser
def test_longest_sample_report_prints_on_one_a4_page(tmp_path, headless):
    longest = max(SAMPLE.glob("*.md"), key=lambda p: len(p.read_text(encoding="utf-8")))
    page = render(longest, out=tmp_path / "r.html")
    pdf = tmp_path / "r.pdf"
    headless(page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages == 1


@pytest.mark.browser
def test_report_shows_in_chromium_with_notes_as_text(tmp_path, headless):
    """The browser's own DOM: every section shows, and HTML typed into notes is text, not elements."""
    import html as html_lib

    from cscs_eval.lightning import parse_report

    text = (SAMPLE / "2024-02-lightning-report-3.md").read_text(encoding="utf-8")
    text = text.replace("## Insights\n", "## Insights\n\n- Typed <script>document.title='pwned'</script> and "
                        "<img src=x onerror=alert(1)> in a note.\n", 1)
    page = render(parse_report(text), out=tmp_path / "r.html")
    dom = headless(page, "--dump-dom").decode("utf-8")
    assert "<script" not in dom.lower() and "<img" not in dom.lower()  # no element came from the note
    shown = html_lib.unescape(re.sub(r"<[^>]+>", " ", dom))
    assert "Typed <script>document.title='pwned'</script> and <img src=x onerror=alert(1)> in a note." in shown
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    for heading in ("Summary", "Plus", "Delta", "Insights"):
        assert re.search(rf">\s*(?:<[^>]+>\s*)*{heading}\b", dom), heading
    assert "Lightning Report 3: training under way" in shown
