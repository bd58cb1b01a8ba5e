"""The one Word builder: every .docx cscs-eval writes (notebook reports, Lightning Reports,
logic models) starts from :func:`new_document` and adds content with these functions.

Documents use Word's built-in styles (Title, Heading 1-3, Caption, List Bullet), so a trust's
reference template restyles them (a style the template lacks is copied in from python-docx's
default); pages are A4. Page layout follows what NHS staff expect of a board pack: headings and
captions stay with what follows them, small tables stay on one page and every table repeats its
header row, figures are sized to fit a page with their heading and caption, wide tables and
figures get a landscape section, and a document never ends on an empty page.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

from cscs_eval.io import xml_safe
from cscs_eval.reporting.display import is_numeric_text

__all__ = ["new_document", "add_table", "add_fields", "add_figure", "add_markdown", "add_caption", "set_orientation",
           "ensure_orientation", "is_landscape", "add_checksums", "save", "text_width_in", "text_height_in", "placed_width_in", "PORTRAIT_WIDTH_IN",
           "LANDSCAPE_WIDTH_IN"]

#: A4 is 210 x 297 mm; with 2 cm margins the text is 170 mm (6.69 in) wide in portrait and
#: 257 mm (10.1 in) in landscape. Column sizing keeps a little to spare.
A4_MM = (210, 297)
MARGIN_MM = 20
PORTRAIT_WIDTH_IN = 6.6
#: Height left for a figure on a portrait page under one heading, with its caption (inches).
PORTRAIT_HEIGHT_IN = 8.8
LANDSCAPE_WIDTH_IN = 9.9
#: Rough width of one character of Arial at 1 point, in inches (0.075 in at 9 pt), for sizing columns.
_CHAR_IN_PER_PT = 0.075 / 9
#: Table font sizes tried in turn until every column's longest word fits the page (never below 8 pt).
_TABLE_FONT_PT = (9, 8)
#: A table of at most this many rows is kept on one page (its rows keep with the next); longer ones
#: may break between rows, never inside one, and repeat their header row.
KEEP_TOGETHER_ROWS = 15
#: Height (inches) kept free on a page under a figure for its caption and source line, and above it
#: for each heading that stays with it.
_FIGURE_ROOM_IN = 0.8
_HEADING_ROOM_IN = 0.45
#: Styles the builder uses; one missing from a trust's reference template is copied from the default.
_STYLES = ("Title", "Heading 1", "Heading 2", "Heading 3", "Caption", "List Bullet", "List Number",
           "Light List Accent 1", "Table Grid")


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
        try:
            doc = Document(str(path))
        except Exception as exc:  # python-docx raises several kinds for a file that is not a Word document
            from cscs_eval.errors import InputError

            raise InputError(f"not a Word document (.docx) that can be used as a template ({exc})",
                             file=path) from None
        body = doc.element.body
        for child in list(body):
            if not child.tag.endswith("}sectPr"):
                body.remove(child)
        _complete_styles(doc)
        if landscape and not is_landscape(doc):
            _turn(doc.sections[0], landscape=True)
        return doc
    doc = Document()
    _page_setup(doc.sections[0], landscape=landscape)
    _apply_styles(doc)
    return doc


def _complete_styles(doc) -> None:
    """Copy into ``doc`` each style the builder uses that its template does not define."""
    import copy

    from docx import Document

    have = {s.name for s in doc.styles}
    missing = [name for name in _STYLES if name not in have]
    if not missing:
        return
    default = Document()
    for name in missing:
        if name in {s.name for s in default.styles}:
            doc.styles.element.append(copy.deepcopy(default.styles[name].element))


def set_orientation(doc, *, landscape: bool) -> None:
    """Start a new page section in landscape or back in portrait.

    The new section keeps the paper and margins of the one before (A4 and 2 cm, or a trust's
    template's own), turned.
    """
    from docx.enum.section import WD_SECTION

    doc.add_section(WD_SECTION.NEW_PAGE)  # python-docx copies the current section's settings
    _turn(doc.sections[-1], landscape=landscape)


def _turn(section, *, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT

    short, long_ = sorted((section.page_width, section.page_height))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long_, short) if landscape else (short, long_)


def is_landscape(doc) -> bool:
    """True when the document's current (last) section is landscape."""
    section = doc.sections[-1]
    return section.page_width > section.page_height



def _ends_with_break(doc) -> bool:
    """True when nothing has been written since the last section break (the current section is empty)."""
    body = doc.element.body
    children = [c for c in body if not c.tag.endswith("}sectPr")]
    if not children:
        return True
    last = children[-1]
    return last.tag.endswith("}p") and last.find(".//{*}sectPr") is not None and not "".join(last.itertext()).strip()


def ensure_orientation(doc, *, landscape: bool, carry=()) -> None:
    """Make the current section landscape or portrait, starting a new one only when it differs.

    ``carry`` are paragraphs just written (a heading and its introduction) that belong with what
    comes next: they move to the new section, so a heading never stays behind at the foot of the
    page before a section break. An empty current section is turned instead of followed by another.
    """
    if is_landscape(doc) == landscape:
        return
    if _ends_with_break(doc) or not [c for c in doc.element.body if not c.tag.endswith("}sectPr")]:
        _turn(doc.sections[-1], landscape=landscape)
        return
    moved = [p._p for p in carry]
    for element in moved:
        element.getparent().remove(element)
    set_orientation(doc, landscape=landscape)
    for element in moved:
        doc.element.body.sectPr.addprevious(element)


def trailing_headings(doc) -> list:
    """The headings (and only headings) that end the document so far, in order: what a section break
    or page break must carry with it."""
    from docx.text.paragraph import Paragraph

    found = []
    for child in reversed([c for c in doc.element.body if not c.tag.endswith("}sectPr")]):
        if not child.tag.endswith("}p"):
            break
        paragraph = Paragraph(child, doc._body)
        if child.find(".//{*}sectPr") is not None or not (paragraph.style is not None and (
                paragraph.style.name.startswith("Heading") or paragraph.style.name == "Title")):
            break
        found.append(paragraph)
    return found[::-1]


def text_width_in(doc) -> float:
    """Usable width of the current (last) section, in inches."""
    section = doc.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / 914400


def text_height_in(doc) -> float:
    """Usable height of the current (last) section, in inches."""
    section = doc.sections[-1]
    return (section.page_height - section.top_margin - section.bottom_margin) / 914400


def _column_texts(columns, rows):
    return [[str(header)] + [str(r[j]) for r in rows if j < len(r)] for j, header in enumerate(columns)]


@functools.lru_cache(maxsize=2)
def _metrics(bold: bool) -> dict:
    """Character widths (1/1000 em) of Helvetica, whose metrics Arial shares (matplotlib ships the AFM)."""
    import os

    import matplotlib

    name = "Helvetica-Bold.afm" if bold else "Helvetica.afm"
    try:
        from matplotlib._afm import AFM

        with open(os.path.join(matplotlib.get_data_path(), "fonts", "pdfcorefonts", name), "rb") as fh:
            return {code: m[0] for code, m in AFM(fh)._metrics.items()}
    except Exception:  # pragma: no cover - an older or newer matplotlib: fall back to an average width
        return {}


def string_width_in(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` set in Arial at ``size`` points, in inches (a character the metrics lack counts as
    an average one).

    Examples
    --------
    >>> round(string_width_in("Deteriorated", 8), 2), round(string_width_in("Deteriorated", 8, bold=True), 2)
    (0.61, 0.65)
    """
    widths = _metrics(bool(bold))
    units = sum(widths.get(ord(c), 600 if bold else 556) for c in str(text))
    return units / 1000 * size / 72


def _words(text: str) -> list[str]:
    """The pieces a line may break between: words, and the parts of a hyphenated word ("follow-", "up")."""
    return [piece for word in str(text).split() for piece in re.findall(r"[^-]+-*|-+", word)]


def _word_floors(texts, size: float) -> list[float]:
    """Each column's least width: its widest word (the header's in bold) plus cell padding."""
    return [max(max((string_width_in(w, size, bold=k == 0) for k, t in enumerate(col) for w in _words(t)), default=0),
                string_width_in("000", size)) * 1.02 + _PADDING_IN for col in texts]


def table_layout(columns, rows, *, pages=(PORTRAIT_WIDTH_IN, LANDSCAPE_WIDTH_IN)) -> tuple[float, float]:
    """(font size, text width): the largest font, on the first of ``pages`` possible, at which every word fits."""
    texts = _column_texts(columns, rows)
    for page in pages:
        for size in _TABLE_FONT_PT:
            if sum(_word_floors(texts, size)) < page:
                return size, page
    return _TABLE_FONT_PT[-1], LANDSCAPE_WIDTH_IN


def column_widths(columns, rows, *, font_pt: float = 9, page: float = PORTRAIT_WIDTH_IN) -> list[float]:
    """Widths (inches) that give each column room for its longest word and a share of its text.

    Word and LibreOffice otherwise split the page equally, breaking words in narrow columns.
    """
    texts = _column_texts(columns, rows)
    floors = _word_floors(texts, font_pt)
    longest = 45 * _CHAR_IN_PER_PT * font_pt  # a cell wider than about 45 characters wraps
    widths = [max(f, min(max(string_width_in(t, font_pt, bold=k == 0) for k, t in enumerate(col)) * 1.04
                         + _PADDING_IN, longest)) for col, f in zip(texts, floors)]
    if sum(widths) <= page:
        return widths
    if sum(floors) >= page:  # too many columns for whole words: shrink all, stay on the page
        return [f * page / sum(floors) for f in floors]
    spare = page - sum(floors)
    extra = [w - f for w, f in zip(widths, floors)]
    return [f + spare * e / (sum(extra) or 1) for f, e in zip(floors, extra)]


def _row_flag(row, tag: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement(tag)
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _repeat_header(row) -> None:
    """Mark a table row as the header Word and LibreOffice repeat at the top of each page."""
    _row_flag(row, "w:tblHeader")


#: Left and right cell margins of report tables, in twentieths of a point (0.05 inch; Word's default is
#: 0.08): a dense table of a dozen columns then fits a portrait page. _PADDING_IN is both together.
_CELL_MARGIN_TWIPS = 72
_PADDING_IN = 2 * _CELL_MARGIN_TWIPS / 1440 + 0.01


def _cell_margins(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(_CELL_MARGIN_TWIPS))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.append(margins)


#: A table that breaks across pages carries at least this many rows onto its last page.
_LAST_ROWS = 3


def _keep_rows(table, *, together: bool) -> None:
    """No row breaks across pages; with ``together`` the whole table stays on one page (each row's
    paragraphs keep with the next row, as Word's own "keep with next" on a table works); otherwise
    its last rows stay together, so a page never holds one stray row of a table."""
    rows = list(table.rows)
    for k, row in enumerate(rows):
        _row_flag(row, "w:cantSplit")
        if (together or k >= len(rows) - _LAST_ROWS) and k < len(rows) - 1:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True


def add_caption(doc, text: str, *, keep_with_next: bool = False):
    """A caption, source or note line in the Caption style (normal text if the template has none)."""
    from docx.shared import Pt

    style = "Caption" if "Caption" in [s.name for s in doc.styles] else None
    paragraph = doc.add_paragraph(xml_safe(text), style=style)
    paragraph.paragraph_format.keep_with_next = keep_with_next
    if style is None:
        for run in paragraph.runs:
            run.font.size = Pt(9)
    return paragraph


def table_needs_landscape(columns, rows) -> bool:
    """True when the table's words do not fit a portrait page (so it gets a landscape one)."""
    return table_layout([str(c) for c in columns], [[str(v) for v in r] for r in rows])[1] > PORTRAIT_WIDTH_IN


def add_table(doc, columns, rows, *, caption=None, source=None, note=None, style="Light List Accent 1",
              return_to_portrait: bool = True):
    """Add a table of text (columns and rows already formatted for reading).

    A table too wide for a portrait page gets a landscape page of its own (on a landscape page
    it stays there), taking a heading just above it along; columns are sized to their words,
    numbers are right-aligned, no row breaks across pages, a table of up to
    ``KEEP_TOGETHER_ROWS`` rows stays on one page, and the header row repeats on every page.
    ``return_to_portrait=False`` leaves the document in landscape after a wide table (the caller
    turns it back when the next content needs it, so a document never ends on an empty page).
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt

    columns = [xml_safe(c) for c in columns]
    rows = [[xml_safe(v) for v in r] for r in rows]
    caption, source, note = (None if t is None else xml_safe(t) for t in (caption, source, note))
    already = is_landscape(doc)
    font_pt, page = table_layout(columns, rows, pages=(LANDSCAPE_WIDTH_IN,) if already else
                                 (PORTRAIT_WIDTH_IN, LANDSCAPE_WIDTH_IN))
    landscape = page > PORTRAIT_WIDTH_IN and not already
    if landscape:
        ensure_orientation(doc, landscape=True, carry=trailing_headings(doc))
    if caption:
        add_caption(doc, caption, keep_with_next=True)
    table = doc.add_table(rows=1, cols=len(columns))
    if style in [s.name for s in doc.styles]:
        table.style = style
    table.autofit = False
    _cell_margins(table)
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
    lines = [line for line in (f"Source: {source}" if source else None, note) if line]
    _keep_rows(table, together=len(rows) <= KEEP_TOGETHER_ROWS)
    if lines and len(rows) <= KEEP_TOGETHER_ROWS:  # the table's source and note stay with its last row
        for cell in table.rows[-1].cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
    for k, line in enumerate(lines):
        add_caption(doc, line, keep_with_next=k < len(lines) - 1)
    if landscape and return_to_portrait:
        set_orientation(doc, landscape=False)
    return table


def add_checksums(doc, rows, *, style="Light List Accent 1"):
    """A table of data files and their SHA-256 (``(parameter, file, digest)`` rows) that fits a portrait
    page: digests in an 8-point monospaced font on two lines of 32 characters."""
    from docx.shared import Inches, Pt

    widths = [Inches(w) for w in (1.6, 2.65, 2.25)]
    table = doc.add_table(rows=1, cols=3)
    if style in [s.name for s in doc.styles]:
        table.style = style
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = width
    for cell, text, width in zip(table.rows[0].cells, ("Parameter", "File", "SHA-256"), widths):
        cell.width = width
        run = cell.paragraphs[0].add_run(text)
        run.bold, run.font.size = True, Pt(9)
    _repeat_header(table.rows[0])
    for name, file, digest in rows:
        cells = table.add_row().cells
        for cell, width in zip(cells, widths):
            cell.width = width
        for cell, text in zip(cells[:2], (name, file)):
            cell.paragraphs[0].add_run(xml_safe(str(text))).font.size = Pt(8.5)
        digest = str(digest)
        for k, part in enumerate((digest[:32], digest[32:])):
            run = cells[2].paragraphs[0].add_run(part)
            run.font.name, run.font.size = "Courier New", Pt(8)
            if k == 0 and digest[32:]:
                run.add_break()
    _keep_rows(table, together=False)
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


def image_size_in(image: bytes) -> tuple[float, float]:
    """(width, height) of a PNG's pixels in the proportions it will be drawn (inches at 150 dpi)."""
    from PIL import Image

    with Image.open(io.BytesIO(image)) as im:
        width, height = im.size
    return width / 150, height / 150


def placed_width_in(size_in, *, width: float, room: float = PORTRAIT_HEIGHT_IN, shrink: bool = True) -> float:
    """The width a figure drawn at ``size_in`` (width, height in inches) takes on the page: ``width``, or less
    when it would be taller than ``room`` (unless ``shrink=False``). Its text prints at
    ``placed / drawn width`` times the size it was drawn at.

    >>> placed_width_in((7.5, 4.2), width=6.6), placed_width_in((6.6, 13.2), width=6.6, room=8.8)
    (6.6, 4.4)
    """
    drawn_w, drawn_h = size_in
    if shrink and drawn_h * width / drawn_w > room:
        return room * drawn_w / drawn_h
    return width


def add_figure(doc, image: bytes, *, caption=None, source=None, width_in=None, shrink: bool = True):
    """Add a PNG image with its caption (and source line) below, kept on one page together.

    The image takes the page's text width (or ``width_in``), or less when it would otherwise be
    too tall to share a page with its heading and caption (unless ``shrink=False``: a figure
    drawn to print at its size, whose text must not get smaller); a heading just above it stays
    with it.
    """
    from docx.shared import Inches

    room = text_height_in(doc) - _FIGURE_ROOM_IN - _HEADING_ROOM_IN * len(trailing_headings(doc))
    width = placed_width_in(image_size_in(image), width=width_in or min(text_width_in(doc), PORTRAIT_WIDTH_IN),
                            room=room, shrink=shrink)
    doc.add_picture(io.BytesIO(image), width=Inches(width))
    picture = doc.paragraphs[-1]
    lines = [line for line in (caption, f"Source: {source}" if source else None) if line]
    picture.paragraph_format.keep_with_next = bool(lines)
    for k, line in enumerate(lines):
        add_caption(doc, line, keep_with_next=k < len(lines) - 1)
    return picture


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


def _drop_empty_last_section(doc) -> None:
    """A section break with nothing after it makes a blank last page: remove the break and give the
    document's last section the settings of the section the break ended (its orientation)."""
    while len(doc.sections) > 1 and _ends_with_break(doc):
        body = doc.element.body
        last = [c for c in body if not c.tag.endswith("}sectPr")][-1]
        ended = last.find(".//{*}sectPr")
        ended.getparent().remove(ended)
        body.replace(body.sectPr, ended)
        body.remove(last)


def save(doc, path) -> Path:
    """Write the document to ``path`` atomically (never ending on an empty section)."""
    from cscs_eval.io import atomic_path

    _drop_empty_last_section(doc)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return Path(path)
