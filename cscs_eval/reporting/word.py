"""The one Word builder: every .docx cscs-eval writes (notebook reports, Lightning Reports,
logic models) starts from :func:`new_document` and adds content with these functions.

Documents use Word's built-in styles (Title, Heading 1-3, Caption, List Bullet), so a trust's
reference template restyles them; pages are A4.
"""

from __future__ import annotations

import io
from pathlib import Path

from cscs_eval.io import xml_safe
from cscs_eval.reporting.display import is_numeric_text

__all__ = ["new_document", "add_table", "add_fields", "add_figure", "add_markdown", "set_orientation", "save",
           "PORTRAIT_WIDTH_IN", "LANDSCAPE_WIDTH_IN"]

#: A4 is 210 x 297 mm; with 2 cm margins the text is 170 mm (6.69 in) wide in portrait and
#: 257 mm (10.1 in) in landscape. Column sizing keeps a little to spare.
A4_MM = (210, 297)
MARGIN_MM = 20
PORTRAIT_WIDTH_IN = 6.5
LANDSCAPE_WIDTH_IN = 9.9
#: Rough width of one character of Arial at 1 point, in inches (0.075 in at 9 pt), for sizing columns.
_CHAR_IN_PER_PT = 0.075 / 9
#: Table font sizes tried in turn until every column's longest word fits the page (never below 8 pt).
_TABLE_FONT_PT = (9, 8)


def _page_setup(section, *, landscape: bool = False) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    short, long_ = Mm(A4_MM[0]), Mm(A4_MM[1])
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long_, short) if landscape else (short, long_)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))


def _apply_styles(doc) -> None:
    from docx.shared import Pt, RGBColor

    from cscs_eval.reporting.style import ACCENT, FONT, FONT_SIZE_PT, HEADING_SIZES_PT

    accent = RGBColor.from_string(ACCENT.lstrip("#"))
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(FONT_SIZE_PT)
    for name, size in HEADING_SIZES_PT.items():
        style = doc.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = accent


def new_document(reference=None, *, landscape: bool = False):
    """A new A4 Word document in the report style, or on a trust's ``reference`` .docx.

    A reference template keeps its own styles and page set-up (its body text is not copied:
    only what the report adds appears); ``landscape=True`` turns its first page sideways.
    """
    from docx import Document

    if reference:
        path = Path(reference)
        if not path.is_file():
            from cscs_eval.errors import InputError

            raise InputError("reference Word template not found", file=path)
        doc = Document(str(path))
        body = doc.element.body
        for child in list(body):
            if not child.tag.endswith("}sectPr"):
                body.remove(child)
        if landscape and not _is_landscape(doc):
            from docx.enum.section import WD_ORIENT

            section = doc.sections[0]
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = section.page_height, section.page_width
        return doc
    doc = Document()
    _page_setup(doc.sections[0], landscape=landscape)
    _apply_styles(doc)
    return doc


def set_orientation(doc, *, landscape: bool) -> None:
    """Start a new page section in landscape or back in portrait (A4 either way)."""
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(section, landscape=landscape)


def _is_landscape(doc) -> bool:
    section = doc.sections[-1]
    return section.page_width > section.page_height


def text_width_in(doc) -> float:
    """Usable width of the current (last) section, in inches."""
    section = doc.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / 914400


def _column_texts(columns, rows):
    return [[str(header)] + [str(r[j]) for r in rows if j < len(r)] for j, header in enumerate(columns)]


def _word_floors(texts, char_in: float) -> list[float]:
    """Each column's least width: its longest word (at least 3 characters) plus cell padding."""
    return [max(max((len(w) for t in col for w in t.split()), default=1), 3) * char_in + 0.15 for col in texts]


def table_layout(columns, rows, *, pages=(PORTRAIT_WIDTH_IN, LANDSCAPE_WIDTH_IN)) -> tuple[float, float]:
    """(font size, text width): the largest font, on the first of ``pages`` possible, at which every word fits."""
    texts = _column_texts(columns, rows)
    for page in pages:
        for size in _TABLE_FONT_PT:
            if sum(_word_floors(texts, _CHAR_IN_PER_PT * size)) < page:
                return size, page
    return _TABLE_FONT_PT[-1], LANDSCAPE_WIDTH_IN


def column_widths(columns, rows, *, font_pt: float = 9, page: float = PORTRAIT_WIDTH_IN) -> list[float]:
    """Widths (inches) that give each column room for its longest word and a share of its text.

    Word and LibreOffice otherwise split the page equally, breaking words in narrow columns.
    """
    char_in = _CHAR_IN_PER_PT * font_pt
    texts = _column_texts(columns, rows)
    floors = _word_floors(texts, char_in)
    widths = [min(max(len(t) for t in col), 45) * char_in + 0.15 for col in texts]
    if sum(widths) <= page:
        return widths
    if sum(floors) >= page:  # too many columns for whole words: shrink all, stay on the page
        return [f * page / sum(floors) for f in floors]
    spare = page - sum(floors)
    extra = [w - f for w, f in zip(widths, floors)]
    return [f + spare * e / (sum(extra) or 1) for f, e in zip(floors, extra)]


def _repeat_header(row) -> None:
    """Mark a table row as the header Word and LibreOffice repeat at the top of each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def add_caption(doc, text: str):
    style = "Caption" if "Caption" in [s.name for s in doc.styles] else None
    return doc.add_paragraph(xml_safe(text), style=style)


def add_table(doc, columns, rows, *, caption=None, source=None, note=None, style="Light List Accent 1"):
    """Add a table of text (columns and rows already formatted for reading).

    A table too wide for a portrait page gets a landscape page of its own (on a landscape page
    it stays there); columns are sized to their words, numbers are right-aligned and the header
    row repeats on every page.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt

    columns = [xml_safe(c) for c in columns]
    rows = [[xml_safe(v) for v in r] for r in rows]
    caption, source, note = (None if t is None else xml_safe(t) for t in (caption, source, note))
    already = _is_landscape(doc)
    font_pt, page = table_layout(columns, rows, pages=(LANDSCAPE_WIDTH_IN,) if already else
                                 (PORTRAIT_WIDTH_IN, LANDSCAPE_WIDTH_IN))
    landscape = page > PORTRAIT_WIDTH_IN and not already
    if landscape:
        set_orientation(doc, landscape=True)
    if caption:
        add_caption(doc, caption).paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=len(columns))
    if style in [s.name for s in doc.styles]:
        table.style = style
    table.autofit = False
    widths = [Inches(w) for w in column_widths(columns, rows, font_pt=font_pt, page=page)]

    def fill(cells, values, header=False):
        for cell, text, width in zip(cells, values, widths):
            cell.width = width
            cell.text = text
            for paragraph in cell.paragraphs:
                if not header and is_numeric_text(text):
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in paragraph.runs:
                    run.font.size = Pt(font_pt)
                    if header:
                        run.bold = True

    for column, width in zip(table.columns, widths):
        column.width = width  # the table grid, which LibreOffice reads; Word reads the cells' widths
    fill(table.rows[0].cells, columns, header=True)
    _repeat_header(table.rows[0])
    for values in rows:
        fill(table.add_row().cells, values)
    for line in (note, f"Source: {source}" if source else None):
        if line:
            add_caption(doc, line)
    if landscape:
        set_orientation(doc, landscape=False)
    return table


def add_fields(doc, fields, *, style="Table Grid"):
    """Add a two-column table of labels and values (a report's period, date, contacts ...).

    ``fields`` is a sequence of ``(label, value)`` pairs. Labels are bold in a narrow column
    sized to the longest label (at most a third of the text width); values take the rest.
    """
    from docx.shared import Inches

    from cscs_eval.reporting.style import FONT_SIZE_PT

    fields = [(str(label), "" if value is None else str(value)) for label, value in fields]
    page = text_width_in(doc)
    label_in = min(max((len(label) for label, _ in fields), default=1) * _CHAR_IN_PER_PT * FONT_SIZE_PT + 0.2,
                   page / 3)
    widths = (Inches(label_in), Inches(page - label_in))
    table = doc.add_table(rows=0, cols=2)
    if style in [s.name for s in doc.styles]:
        table.style = style
    table.autofit = False
    for label, value in fields:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = xml_safe(label), xml_safe(value)
        for run in cells[0].paragraphs[0].runs:
            run.bold = True
        for cell, width in zip(cells, widths):
            cell.width = width
    for column, width in zip(table.columns, widths):
        column.width = width  # the table grid, which LibreOffice reads; Word reads the cells' widths
    return table


def add_figure(doc, image: bytes, *, caption=None, width_in=None):
    """Add a PNG image at the page's text width (or ``width_in``) with its caption below."""
    from docx.shared import Inches

    doc.add_picture(io.BytesIO(image), width=Inches(width_in or min(text_width_in(doc), PORTRAIT_WIDTH_IN)))
    doc.paragraphs[-1].paragraph_format.keep_with_next = bool(caption)
    if caption:
        add_caption(doc, caption)


def _markdown():
    from markdown_it import MarkdownIt

    # html=False: raw HTML typed into notes or Markdown is shown as text, never run.
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def _add_inline(paragraph, children):
    bold = italic = False
    for child in children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in ("text", "code_inline"):
            run = paragraph.add_run(xml_safe(child.content))
            run.bold, run.italic = bold or None, italic or None
        elif child.type in ("softbreak", "hardbreak"):
            paragraph.add_run(" ")


def add_markdown(doc, text: str, *, drop_title: bool = False) -> bool:
    """Add Markdown (headings, paragraphs, lists, tables) with Word styles; True if an h1 was dropped."""
    tokens = _markdown().parse(text)
    dropped = False
    list_styles = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            inline = tokens[i + 1]
            if tok.tag == "h1" and drop_title and not dropped:
                dropped = True
            else:
                heading = doc.add_heading(xml_safe(inline.content), level=min(int(tok.tag[1]), 3))
                heading.paragraph_format.keep_with_next = True
            i += 3
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            list_styles.append("List Bullet" if tok.type == "bullet_list_open" else "List Number")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            list_styles.pop()
        elif tok.type == "inline" and tokens[i - 1].type == "paragraph_open":
            style = list_styles[-1] if list_styles else None
            _add_inline(doc.add_paragraph(style=style), tok.children)
        elif tok.type == "table_open":
            rows, row = [], None
            j = i + 1
            while tokens[j].type != "table_close":
                t = tokens[j]
                if t.type == "tr_open":
                    row = []
                elif t.type == "inline":
                    row.append(t.content)
                elif t.type == "tr_close":
                    rows.append(row)
                j += 1
            add_table(doc, rows[0], rows[1:])
            i = j
        elif tok.type in ("fence", "code_block"):
            doc.add_paragraph(xml_safe(tok.content.rstrip()))
        i += 1
    return dropped


def save(doc, path) -> Path:
    """Write the document to ``path`` atomically."""
    from cscs_eval.io import atomic_path

    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return Path(path)
