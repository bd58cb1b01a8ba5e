import html
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval.errors import UsageError
from cscs_eval.lightning import parse_report, read_report, render

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "lightning"

EVIL = """---
title: "Report <script>alert('t')</script>"
project: P & Q
period: May 2024
date: 2024-05-01
contacts: ["<img src=x onerror=alert(1)>", Manager]
data_collection_status: "done <b>bold</b>"
---
## Summary
Summary with <iframe src="x"></iframe> in it.

## Plus
- Works <script>alert("plus")</script> well. [[Engaging +2 | memo <i>x</i>]]

## Delta
- Table | pipe and 5 < 6 > 4 [[Information Technology Infrastructure -2]]

## Insights
"""


@pytest.fixture
def evil():
    return parse_report(EVIL)


def test_html_escapes_every_text(evil):
    page = render(evil, to="html")
    for raw in ("<script>", "<img", "<iframe", "<b>bold", "<i>x"):
        assert raw not in page
    assert "&lt;script&gt;alert(&#34;plus&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "P &amp; Q" in page
    assert 'title="memo &lt;i&gt;x&lt;/i&gt;"' in page
    assert '<span class="memo">memo &lt;i&gt;x&lt;/i&gt;</span>' in page  # memos print, not only hover


def test_html_is_self_contained_and_printable():
    page = render(read_report(SAMPLE / "2024-05-lightning-report-5.md"), to="html")
    assert "<link" not in page and "src=" not in page and "http" not in page.split("</style>")[0]
    assert "@page { size: A4" in page and "#005EB8" in page
    assert page.count("<li>") == 4 + 3 + 2
    assert "Innovation Relative Advantage <b>+2</b>" in page
    assert "Information Technology Infrastructure <b>\u22122</b>" in page  # a true minus sign
    assert "23 May 2024" in page


def test_markdown_escapes_and_renders_as_text(evil):
    from markdown_it import MarkdownIt

    md = render(evil, to="md")
    assert "<script" not in md and "<img" not in md
    assert "Table \\| pipe and 5 &lt; 6 &gt; 4" in md
    out = MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in out and "<img" not in out and "<iframe" not in out
    assert "&lt;script&gt;" in out
    assert "- Works &lt;script&gt;" in md
    assert "*(Engaging +2: memo &lt;i&gt;x&lt;/i&gt;)*" in md


def test_markdown_of_sample_has_sections_in_order():
    md = render(read_report(SAMPLE / "2023-12-lightning-report-2.md"), to="md")
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads == ["## Summary", "## Plus: what is working", "## Delta: what needs to change", "## Insights"]
    assert "*(Financing X: post funded only to March)*" in md


def test_docx_reads_back_with_word_styles(tmp_path, evil):
    import docx

    path = render(read_report(SAMPLE / "2024-02-lightning-report-3.md"), out=tmp_path / "r.docx")
    doc = docx.Document(str(path))
    styles = [(p.style.name, p.text) for p in doc.paragraphs]
    assert ("Title", "Lightning Report 3: training under way") in styles
    assert [t for s, t in styles if s == "Heading 1"] == ["Summary", "Plus: what is working",
                                                           "Delta: what needs to change", "Insights"]
    bullets = [t for s, t in styles if s == "List Bullet"]
    assert len(bullets) == 3 + 3 + 2
    assert bullets[0].endswith("[Financing +1]")
    table = doc.tables[0]
    assert [r.cells[0].text for r in table.rows] == ["Period", "Date", "Contacts", "Data collection"]
    assert table.rows[1].cells[1].text == "22 February 2024"
    assert doc.core_properties.title == "Lightning Report 3: training under way"
    # script in notes is plain text in Word
    path = render(evil, out=tmp_path / "evil.docx")
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert 'Works <script>alert("plus")</script> well.' in text


def test_render_to_a_file_by_extension_and_errors(tmp_path, evil):
    assert render(evil, out=tmp_path / "a.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert render(evil, out=tmp_path / "a.md").read_text(encoding="utf-8").startswith("# Report")
    with pytest.raises(UsageError, match="to must be one of html, md, docx, got 'pdf'"):
        render(evil, to="pdf")
    with pytest.raises(UsageError, match=r"give to html\|md\|docx"):
        render(evil, out=tmp_path / "a.txt")
    with pytest.raises(UsageError, match="to docx writes a file, not text: give out FILE.docx"):
        render(evil, to="docx")
    with pytest.raises(UsageError, match="to md does not match out"):
        render(evil, to="md", out=tmp_path / "a.html")


def test_user_templates_folder(tmp_path, evil):
    (tmp_path / "report.html.j2").write_text("<h1>{{ report.title }}</h1>", encoding="utf-8")
    page = render(evil, to="html", template_dir=tmp_path)
    assert page == "<h1>Report &lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;</h1>"


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)
       .filter(lambda t: "[[" not in t and "]]" not in t and t.strip()))
def test_any_bullet_text_shows_as_text_in_html(text):
    text = " ".join(text.split())
    if not text or text[0] in "-*+#" or text[:1].isdigit():
        return
    r = parse_report(EVIL.replace('Works <script>alert("plus")</script> well.', text.replace("\\", "/")))
    page = render(r, to="html")
    item = r.plus[0].text
    assert html.escape(item, quote=True).replace("&#x27;", "&#39;").replace("&quot;", "&#34;") in page


@pytest.mark.parametrize("typed,in_file,shown", [
    ("A&E and P&Q teams", "A&E and P&Q teams", "A&amp;E and P&amp;Q teams"),
    ("typed &lt;b&gt; and &#60;i&#62;", "typed &amp;lt;b&amp;gt; and &amp;#60;i&amp;#62;",
     "typed &amp;lt;b&amp;gt; and &amp;#60;i&amp;#62;"),
])
def test_markdown_keeps_ampersands_readable_and_typed_entities_as_text(typed, in_file, shown):
    # "&" is left as typed unless it would start a character reference, so the .md file reads well and a
    # Markdown viewer still shows exactly what was typed
    from markdown_it import MarkdownIt

    md = render(parse_report(EVIL.replace("Summary with <iframe src=\"x\"></iframe> in it.", typed)), to="md")
    assert in_file in md
    assert shown in MarkdownIt("commonmark").render(md)


def test_docx_metadata_table_has_a_narrow_label_column(tmp_path):
    from docx import Document
    from docx.shared import Mm

    path = render(read_report(SAMPLE / "2024-05-lightning-report-5.md"), out=tmp_path / "r.docx")
    doc = Document(str(path))
    section = doc.sections[0]
    # A4 (210 x 297 mm); Word stores lengths in twentieths of a point, so compare to the nearest 0.1 mm
    assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
    table = doc.tables[0]
    assert [c.text for c in table.columns[0].cells] == ["Period", "Date", "Contacts", "Data collection"]
    text_width = section.page_width - section.left_margin - section.right_margin
    label, value = table.columns[0].width, table.columns[1].width
    # a narrow label column (room for "Data collection" on one line), the rest of the text width for the values
    assert Mm(25) < label < text_width / 4 and abs(label + value - text_width) < Mm(0.1)
    assert all(abs(row.cells[0].width - label) < Mm(0.1) for row in table.rows)


def test_docx_with_a_control_character_pasted_from_word(tmp_path):
    # issue 11: a vertical tab (Word's manual line break, pasted) in a bullet raised "All strings must be XML
    # compatible" from python-docx; now it is a space, as in every other Word output (cscs_eval.io.xml_safe)
    import docx

    text = (SAMPLE / "2024-02-lightning-report-3.md").read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.startswith("- "))
    source = tmp_path / "r.md"
    source.write_text(text.replace(first, first[:10] + "\x0b" + first[10:], 1), encoding="utf-8")
    path = render(read_report(source), out=tmp_path / "r.docx")
    bullets = [p.text for p in docx.Document(str(path)).paragraphs if p.style.name == "List Bullet"]
    assert any(b.startswith(first[2:10] + " " + first[10:12]) for b in bullets)
