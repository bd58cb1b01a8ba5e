"""The logic model as a figure, a table, HTML, Markdown and Word."""

import re

import matplotlib
import pytest

from cscs_eval.errors import UsageError
from cscs_eval.io import resolve_path
from cscs_eval.logic_model import LogicModel, draw, read_logic_model, render, strategies_table, to_table
from cscs_eval.logic_model._draw import link_label, wrap_text

matplotlib.use("Agg")
SAMPLE = resolve_path("data/sample/logic_model.yaml")
EVIL = "<script>alert('x')</script> | pipe & <b>bold</b>"


@pytest.fixture(scope="module")
def model():
    return read_logic_model(SAMPLE)


def six_per_column():
    """Six boxes in every column, long text: the layout's stated capacity."""
    long = "a deliberately long description that has to wrap over several lines inside its box"
    data = {
        "determinants": [{"id": f"D{i}", "label": f"Determinant {i}: {long}", "construct": "III.A.2",
                          "valence": ["strong barrier", "weak facilitator", "mixed"][i % 3]} for i in range(6)],
        "strategies": [{"id": f"S{i}", "label": s} for i, s in enumerate([
            "Develop and organize quality monitoring systems", "Conduct educational meetings",
            "Identify and prepare champions", "Intervene with patients/consumers to enhance uptake and adherence",
            "Create or change credentialing and/or licensure standards", "Tailor strategies"])],
        "mechanisms": [{"id": f"M{i}", "label": f"Mechanism {i}: {long}"} for i in range(6)],
        "outcomes": {"implementation": [{"id": f"I{i}", "name": n, "label": long, "measure": "12 of 32 (38%)"}
                                        for i, n in enumerate(["Adoption", "Penetration", "Acceptability",
                                                               "Feasibility", "Fidelity", "Sustainability"])],
                     "service": [{"id": f"V{i}", "name": n, "label": long} for i, n in enumerate(
                         ["Efficiency", "Safety", "Effectiveness", "Equity", "Patient-centeredness", "Timeliness"])],
                     "clinical": [{"id": f"C{i}", "name": f"Clinical {i}", "label": long} for i in range(6)]},
        "links": [{"number": i + 1, "determinant": f"D{i}", "strategy": f"S{(i * 5) % 6}", "mechanism": f"M{i}",
                   "outcomes": [f"I{i}", f"V{(i + 2) % 6}", f"C{i}"]} for i in range(6)],
    }
    return LogicModel.from_dict(data)


def _extents(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = {}
    texts = {}
    for patch in fig.axes[0].patches:
        gid = patch.get_gid()
        if gid and gid.startswith("box-"):
            boxes[gid[4:]] = patch.get_window_extent(renderer)
    for text in fig.axes[0].texts:
        gid = text.get_gid()
        if gid and gid.startswith("text-"):
            node_id = gid[5:].rsplit("-", 1)[0]
            texts.setdefault(node_id, []).append(text.get_window_extent(renderer))
    return boxes, texts


@pytest.mark.parametrize("which", ["sample", "six"])
def test_text_stays_inside_boxes_and_boxes_do_not_overlap(model, which):
    m = model if which == "sample" else six_per_column()
    fig = draw(m)
    boxes, texts = _extents(fig)
    assert set(boxes) == set(m.nodes)
    for node_id, extents in texts.items():
        box = boxes[node_id]
        for ext in extents:
            assert box.x0 <= ext.x0 and ext.x1 <= box.x1 + 0.5, (node_id, ext, box)
            assert box.y0 <= ext.y0 and ext.y1 <= box.y1 + 0.5, (node_id, ext, box)
    items = list(boxes.items())
    for i, (a, ba) in enumerate(items):
        for b, bb in items[i + 1:]:
            assert not ba.overlaps(bb), (a, b)


def test_layout_holds_under_the_report_style(model):
    from cscs_eval.reporting.style import set_report_style

    with matplotlib.rc_context():
        set_report_style()
        fig = draw(six_per_column())
        boxes, texts = _extents(fig)
    for node_id, extents in texts.items():
        assert all(boxes[node_id].x0 <= e.x0 and e.x1 <= boxes[node_id].x1 + 0.5 for e in extents), node_id


def test_figure_reads_in_black_and_white(model):
    fig = draw(model)
    styles = {p.get_gid(): (p.get_linestyle(), p.get_linewidth()) for p in fig.axes[0].patches if p.get_gid()}
    assert styles["box-D1"][0] == "--" and styles["box-D5"][0] == "-"   # barrier dashed, facilitator solid
    assert styles["box-D1"][1] > styles["box-D3"][1]                     # strong thicker than mixed (weak)
    assert styles["box-D3"][0] == ":"                                    # mixed dotted
    texts = [t.get_text() for t in fig.axes[0].texts]
    box_text = {}
    for t in fig.axes[0].texts:
        if (t.get_gid() or "").startswith("text-"):
            box_text.setdefault(t.get_gid().rsplit("-", 1)[0], []).append(t.get_text())
    assert " ".join(box_text["text-D1"]).startswith("−− IT infrastructure")
    assert " ".join(box_text["text-D6"]).startswith("++ Relative")
    headings = {line for t in texts for line in t.split("\n")}
    assert {"Determinants", "(CFIR)", "Mechanisms", "Outcomes", "Implementation", "Service", "Clinical"} <= headings
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "link-label"]
    assert {"1", "2", "3", "4", "5", "6", "7"} <= {n for lbl in labels for n in lbl.split(",")}


def test_draw_options(model):
    assert draw(model, width=12).get_size_inches()[0] == 12
    assert "Implementation of PROMs" not in [t.get_text() for t in draw(model, title=False).axes[0].texts]
    with pytest.raises(UsageError, match="order must be 'barycentre' or 'file', got 'random'"):
        draw(model, order="random")


def test_wrap_and_link_labels():
    lines = wrap_text("Supercalifragilisticexpialidocious is long", 0.5, 8)
    assert len(lines) > 2 and "".join(lines).startswith("Supercalifragilistic")
    assert link_label([3, 1, 2, 5]) == "1–3,5"


def test_to_table(model):
    df = to_table(model)
    assert list(df.columns) == ["Link", "Determinant", "Strategy", "Mechanism", "Implementation outcomes",
                                "Service outcomes", "Clinical outcomes"]
    assert df["Link"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    first = df.iloc[0]
    assert first["Determinant"] == ("IT infrastructure: the new electronic record that PROMs depend on was delayed "
                                    "(III.A.2; strong barrier, −−)")
    assert first["Strategy"] == "Develop and organize quality monitoring systems"
    assert first["Service outcomes"] == "Effectiveness: teams can show what changes for service users"
    assert df.iloc[1]["Strategy"].endswith("(local strategy)")
    assert df.iloc[2]["Implementation outcomes"] == (
        "Adoption: teams approached and engaged, 29 of 32 eligible teams (91%); "
        "Penetration: teams with a mapped pathway and trained staff, 12 of 32 eligible teams (38%)")
    st = strategies_table(model)
    assert st.loc[0, "ERIC cluster"] == "Use evaluative and iterative strategies" and st.loc[0, "Links"] == "1, 6"


def evil_model():
    return LogicModel.from_dict({
        "title": EVIL, "intervention": EVIL,
        "determinants": [{"id": "D1", "label": EVIL, "valence": "barrier"}],
        "strategies": [{"id": "S1", "label": EVIL, "local": True}],
        "mechanisms": [{"id": "M1", "label": EVIL + "\nsecond line"}],
        "outcomes": [{"id": "O1", "type": "clinical", "name": EVIL}],
        "links": [{"determinant": "D1", "strategy": "S1", "mechanism": "M1", "outcomes": ["O1"]}]})


def test_html_escapes_every_text_from_the_file():
    html = render(evil_model(), to="html")
    # The page's one script is its own zoom control; nothing from the file becomes markup.
    assert html.count("<script>") == 1 and "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(" in html
    assert html.count("data:image/svg+xml;base64,") == 1


def test_markdown_escapes_markup_and_pipes(model):
    md = render(evil_model(), to="md")
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\| pipe" in md and "second line" in md
    row = [line for line in md.splitlines() if line.startswith("| 1 |")][0]
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    assert len(cells) == 7  # seven columns: no escaped pipe split a cell
    sample = render(model, to="md")
    assert "| Link | Determinant |" in sample and "Proctor's implementation outcomes" in sample
    assert sample.count("\n| ") == 1 + 8 + 1 + 6  # links header, 8 links, strategies header, 6 strategies


def test_word_document_reads_back(model, tmp_path):
    from docx import Document

    path = render(model, out=tmp_path / "irlm.docx")
    doc = Document(str(path))
    assert doc.paragraphs[0].text == model.title
    section = doc.sections[0]  # landscape A4: 297 x 210 mm
    assert abs(section.page_width.mm - 297) < 0.1 and abs(section.page_height.mm - 210) < 0.1
    assert all(s.page_width > s.page_height for s in doc.sections)  # the tables stay on landscape pages
    links, strategies = doc.tables
    assert [c.text for c in links.rows[0].cells] == list(to_table(model).columns)
    assert len(links.rows) == 1 + len(model.links)
    assert links.rows[1].cells[0].text == "1" and "III.A.2" in links.rows[1].cells[1].text
    assert len(strategies.rows) == 1 + len(model.strategies)
    assert len(doc.inline_shapes) == 1
    assert "<script>" in Document(str(render(evil_model(), out=tmp_path / "evil.docx"))).tables[0].rows[1].cells[1].text
    assert len(Document(str(render(model, to="docx", out=tmp_path / "bare.docx", figure=False))).inline_shapes) == 0
    # a trust's own Word template: its styles are kept, and its portrait page is turned to landscape
    reference = Document()
    reference.styles["Normal"].font.name = "Frutiger"
    reference.add_paragraph("template text that is not copied")
    reference.save(str(tmp_path / "trust.docx"))
    doc = Document(str(render(model, out=tmp_path / "trust_irlm.docx", reference=tmp_path / "trust.docx")))
    assert doc.styles["Normal"].font.name == "Frutiger" and doc.paragraphs[0].text == model.title
    assert all(s.page_width > s.page_height for s in doc.sections)


def test_render_formats(model, tmp_path):
    assert render(model, to="svg").lstrip().startswith("<?xml")
    assert render(model, to="png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert render(model, to="md").startswith("# Implementation of PROMs")
    out = render(model, to="html", out=tmp_path / "irlm.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert render(model, out=tmp_path / "irlm.docx").stat().st_size > 10_000
    with pytest.raises(UsageError, match="to must be one of svg, png, html, md, docx, got 'pdf'"):
        render(model, to="pdf")
    with pytest.raises(UsageError, match="to docx writes a file, not text: give out FILE.docx"):
        render(model, to="docx")


def test_svg_has_no_script_from_text():
    svg = render(evil_model(), to="svg")
    assert "<script" not in svg and "&lt;script&gt;" in svg


def test_user_edited_template_is_used(model, tmp_path):
    (tmp_path / "logic_model.md.j2").write_text("Custom {{ title | md }} with {{ rows | length }} links\n")
    assert render(model, to="md", template_dir=tmp_path) == f"Custom {model.title} with 8 links\n"


@pytest.mark.browser
def test_html_shows_in_headless_chromium(model, tmp_path, screenshot):
    page = render(model, out=tmp_path / "irlm.html")
    shot = screenshot(page, width=1400, height=1800)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] >= 1800 and pixels.shape[1] >= 1400
    # Not a blank page: a good share of the pixels are not white, and NHS blue (the table heads) shows.
    rgb = pixels[..., :3]
    assert (rgb.sum(axis=2) < 2.9).mean() > 0.05
    blue = (abs(rgb[..., 0] - 0 / 255) < 0.08) & (abs(rgb[..., 1] - 94 / 255) < 0.08) & (abs(rgb[..., 2] - 184 / 255) < 0.08)
    assert blue.mean() > 0.005


def test_markdown_keeps_ampersands_readable():
    from cscs_eval.reporting.templates import markdown_text

    assert str(markdown_text("A&E & inpatient teams")) == "A&E & inpatient teams"
    assert str(markdown_text("typed &lt;b&gt;")) == "typed &amp;lt;b&amp;gt;"  # shown as typed by a Markdown viewer
    assert str(markdown_text("<b>x</b> | y")) == "&lt;b&gt;x&lt;/b&gt; \\| y"


# ---------------------------------------------------------------- legible where it is printed (issue 13)
#: Text width of a landscape A4 page with 2 cm margins (297 - 40 mm), in points: where Word and print put it.
LANDSCAPE_TEXT_PT = (297 - 40) / 25.4 * 72


def _svg_min_font_at_print(svg: str) -> float:
    """The smallest text of an SVG (its text kept as text) at the size it prints across a landscape A4 page."""
    width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg).group(1))
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]  # px = pt: the viewBox is in points
    assert sizes, "the figure's text is kept as text, not paths"
    return min(sizes) * LANDSCAPE_TEXT_PT / width


def test_html_figure_is_zoomable_svg_with_text_of_8_points_at_the_printed_width(model):
    import base64

    html = render(model, to="html")
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(uris) >= 1 and 'data-zoom="in"' in html
    for uri in uris:
        assert _svg_min_font_at_print(base64.b64decode(uri).decode("utf-8")) >= 8.0


def _fonts(fig) -> list:
    return [t.get_fontsize() for t in fig.axes[0].texts]


def test_word_figure_is_placed_at_its_drawn_size_so_no_text_is_under_8_points(model, tmp_path):
    from docx import Document

    from cscs_eval.logic_model._draw import draw_pages

    path = render(model, to="docx", out=tmp_path / "irlm.docx")
    doc = Document(str(path))
    pages = draw_pages(model)
    assert len(doc.inline_shapes) == len(pages)
    for shape, (fig, _) in zip(doc.inline_shapes, pages):
        drawn_in = fig.get_size_inches()[0]
        scale = shape.width / 914400 / drawn_in  # the picture's width in the Word XML (EMU) over its drawn width
        assert scale >= 0.999 and min(_fonts(fig)) * scale >= 8.0
    assert doc.sections[0].page_width > doc.sections[0].page_height, "a landscape page"
    # Every run whose size the Word XML sets is 8 points or more (w:sz is in half points).
    sizes = [int(v) for v in re.findall(r'<w:sz w:val="(\d+)"/>', doc.element.xml)]
    assert sizes and min(sizes) >= 16


def test_a_model_too_big_for_one_page_is_shortened_then_split_and_stays_legible():
    from cscs_eval.logic_model._draw import PAGE_HEIGHT_IN, draw_pages

    n = 14
    big = LogicModel.from_dict({
        "determinants": [{"id": f"D{i}", "label": f"Determinant {i}: something that held the work back in team {i}",
                          "construct": "III.A.2", "valence": "--"} for i in range(n)],
        "strategies": [{"id": f"S{i}", "label": "Conduct educational meetings", "local": False} for i in range(n)],
        "mechanisms": [{"id": f"M{i}", "label": f"Mechanism {i} by which the strategy works, in a sentence"}
                       for i in range(n)],
        "outcomes": {"implementation": [{"id": f"O{i}", "name": "Adoption", "label": f"outcome {i}"}
                                        for i in range(n)]},
        "links": [{"determinant": f"D{i}", "strategy": f"S{i}", "mechanism": f"M{i}", "outcomes": [f"O{i}"]}
                  for i in range(n)]})
    pages = draw_pages(big)
    assert len(pages) >= 2, "split over several figures"
    assert sorted(x for _, numbers in pages for x in numbers) == list(range(1, n + 1)), "every link once"
    for fig, _ in pages:
        assert fig.get_size_inches()[1] <= PAGE_HEIGHT_IN and min(_fonts(fig)) >= 8.0
    with pytest.raises(UsageError, match="fontsize must be at least 8"):
        draw_pages(big, fontsize=6)


def test_the_evaluation_report_shows_the_logic_model_legibly(demo_reports):
    """The demo's evaluation: the logic model as a full-width zoomable SVG in HTML and on a landscape page at
    its drawn size in Word, its smallest text 8 points or more in both."""
    import base64

    from docx import Document

    code, out = demo_reports
    html = (out / "implementation_evaluation" / "implementation_evaluation.html").read_text(encoding="utf-8")
    figure = re.search(r"<figure class='zoomable wide'>.*?src='data:image/svg\+xml;base64,([^']+)'", html, re.S)
    assert figure, "a wide, zoomable SVG figure"
    assert _svg_min_font_at_print(base64.b64decode(figure.group(1)).decode("utf-8")) >= 8.0
    doc = Document(str(out / "implementation_evaluation" / "implementation_evaluation.docx"))
    landscape = [s for s in doc.sections if s.page_width > s.page_height]
    assert landscape, "the logic model has a landscape page"
    widths = [shape.width / 914400 for shape in doc.inline_shapes]
    assert any(abs(w - 9.9) < 0.01 for w in widths), "placed at its drawn width (9.9 inches), so at 8 points or more"


def test_word_document_with_control_characters_in_its_text(model, tmp_path):
    # issue 11: a vertical tab pasted into the title or description made python-docx raise
    from dataclasses import replace

    from docx import Document

    odd = replace(model, title="IRLM\x0bdraft", description="Line one\x0bline two")
    doc = Document(str(render(odd, out=tmp_path / "irlm.docx", figure=False)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "IRLM draft" and "Line one line two" in texts
