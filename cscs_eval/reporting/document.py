"""Turn an executed notebook into a report: self-contained HTML and Word with the same content.

A report shows what the notebook displayed, never its code: Markdown cells, the tables,
figures and sentences shown with :mod:`cscs_eval.reporting.display`, and printed text.
Error output, warnings (stderr) and bare object reprs are left out.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from cscs_eval.reporting.display import FIGURE_MIME, TABLE_MIME

_SKIP_TAGS = {"parameters", "injected-parameters", "remove-cell", "papermill-error-cell-tag"}


@dataclass
class Block:
    kind: str  # markdown, table, figure, html, text
    text: str = ""
    data: dict = field(default_factory=dict)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def report_blocks(nb) -> list[Block]:
    """The displayable content of an executed notebook, in order."""
    blocks = []
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _SKIP_TAGS:
            continue
        if cell["cell_type"] == "markdown":
            blocks.append(Block("markdown", _source(cell)))
            continue
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                if out.get("name") == "stdout" and "".join(out.get("text", "")).strip():
                    blocks.append(Block("text", "".join(out["text"])))
                continue
            if kind not in ("display_data", "execute_result"):
                continue
            data = out.get("data", {})
            if TABLE_MIME in data:
                blocks.append(Block("table", data=dict(data[TABLE_MIME])))
            elif "image/png" in data:
                meta = dict(data.get(FIGURE_MIME, {}))
                png = data["image/png"]
                meta["png"] = "".join(png) if isinstance(png, list) else png
                blocks.append(Block("figure", data=meta))
            elif "text/markdown" in data:
                blocks.append(Block("markdown", "".join(data["text/markdown"])))
            elif "text/html" in data:
                blocks.append(Block("html", "".join(data["text/html"])))
            elif kind == "display_data" and "text/plain" in data:
                blocks.append(Block("text", "".join(data["text/plain"])))
    return blocks


def report_title(blocks, default: str) -> str:
    for block in blocks:
        if block.kind == "markdown":
            match = re.search(r"^#\s+(.+)$", block.text, flags=re.M)
            if match:
                return match.group(1).strip()
    return default


# ---------------------------------------------------------------- HTML

def _markdown():
    from markdown_it import MarkdownIt

    # html=False: raw HTML typed into notes or Markdown is shown as text, never run.
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def _slug(text: str, seen: set) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in seen:
        slug, n = f"{base}-{n}", n + 1
    seen.add(slug)
    return slug


def _markdown_html(text: str, toc: list, seen: set, *, drop_title: bool) -> tuple[str, bool]:
    md = _markdown()
    tokens = md.parse(text)
    dropped = False
    keep = []
    skip_until = None
    for i, tok in enumerate(tokens):
        if skip_until is not None:
            if i <= skip_until:
                continue
            skip_until = None
        if tok.type == "heading_open":
            inline = tokens[i + 1].content
            if tok.tag == "h1" and drop_title and not dropped:
                dropped = True
                skip_until = i + 2
                continue
            slug = _slug(inline, seen)
            tok.attrSet("id", slug)
            if tok.tag in ("h1", "h2", "h3"):
                toc.append((int(tok.tag[1]), inline, slug))
        keep.append(tok)
    return md.renderer.render(keep, md.options, {}), dropped


def _nest(toc):
    """Sections (level 2) with their subsections (level 3), for a numbered contents list."""
    sections = []
    for level, text, slug in toc:
        if level == 2 or (level == 3 and not sections):
            sections.append({"text": text, "slug": slug, "children": []})
        elif level == 3:
            sections[-1]["children"].append({"text": text, "slug": slug})
    return sections


def render_html(nb, *, meta: dict, template_dir=None) -> str:
    """Self-contained HTML for an executed notebook: header, contents list, content; no code.

    ``meta`` holds ``title``, ``subtitle``, ``parameters`` (dict), ``checksums``
    (list of (parameter, file, sha256)), ``version`` and ``run_time``.
    """
    from cscs_eval.reporting.display import table_html
    from cscs_eval.reporting.templates import environment

    blocks = report_blocks(nb)
    title = meta.get("title") or report_title(blocks, "Report")
    toc, seen, parts = [], set(), []
    title_dropped = False
    figure_no = table_no = 0
    for block in blocks:
        if block.kind == "markdown":
            rendered, dropped = _markdown_html(block.text, toc, seen, drop_title=not title_dropped)
            title_dropped = title_dropped or dropped
            parts.append(rendered)
        elif block.kind == "table":
            table_no += 1
            d = block.data
            caption = f"Table {table_no}. {d['caption']}" if d.get("caption") else None
            body = table_html(d.get("columns", []), d.get("rows", []), caption=caption, source=d.get("source"))
            if d.get("note"):
                body += f"<p class='note'>{html.escape(d['note'])}</p>"
            parts.append(body)
        elif block.kind == "figure":
            figure_no += 1
            d = block.data
            caption = d.get("caption")
            cap = f"<figcaption><strong>Figure {figure_no}.</strong> {html.escape(caption)}" if caption else ""
            if caption and d.get("source"):
                cap += f"<span class='source'>Source: {html.escape(d['source'])}</span>"
            cap += "</figcaption>" if caption else ""
            alt = html.escape(d.get("alt") or caption or f"Figure {figure_no}")
            parts.append(f"<figure><img alt='{alt}' src='data:image/png;base64,{d['png']}'/>{cap}</figure>")
        elif block.kind == "html":
            parts.append(f"<div class='output'>{block.text}</div>")
        else:
            parts.append(f"<p class='printed'>{html.escape(block.text)}</p>")
    env = environment(template_dir)
    return env.get_template("report/report.html.j2").render(
        title=title, subtitle=meta.get("subtitle"), toc=_nest(toc), body="\n".join(parts),
        parameters=meta.get("parameters", {}), checksums=meta.get("checksums", []),
        version=meta.get("version"), run_time=meta.get("run_time"), notebook=meta.get("notebook"),
    )


# ---------------------------------------------------------------- Word

class _TableParser(HTMLParser):
    """Reads the cells of the first HTML table (e.g. a pandas DataFrame shown without show_table)."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell, self._in = [], None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _docx_styles(doc):
    from docx.shared import Pt, RGBColor

    from cscs_eval.reporting.style import ACCENT

    accent = RGBColor.from_string(ACCENT.lstrip("#"))
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    for name, size in (("Title", 22), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        style = doc.styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.color.rgb = accent


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
            run = paragraph.add_run(child.content)
            run.bold, run.italic = bold or None, italic or None
        elif child.type in ("softbreak", "hardbreak"):
            paragraph.add_run(" ")


def _docx_markdown(doc, text: str, *, drop_title: bool) -> bool:
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
                doc.add_heading(inline.content, level=min(int(tok.tag[1]), 3))
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
            _docx_table(doc, rows[0], rows[1:])
            i = j
        elif tok.type in ("fence", "code_block"):
            doc.add_paragraph(tok.content.rstrip())
        i += 1
    return dropped


#: Text width of a portrait page with python-docx's default margins, in inches (a little to spare).
_PAGE_WIDTH_IN = 6.0
#: The same on a landscape page, which a table too wide for portrait gets to itself.
_LANDSCAPE_WIDTH_IN = 8.5
#: Rough width of one character of Arial at 1 point, in inches (0.075 in at 9 pt), for sizing columns.
_CHAR_IN_PER_PT = 0.075 / 9
#: Table font sizes tried in turn until every column's longest word fits the page.
_TABLE_FONT_PT = (9, 8, 7)


def _column_texts(columns, rows):
    return [[str(header)] + [str(r[j]) for r in rows if j < len(r)] for j, header in enumerate(columns)]


def _word_floors(texts, char_in: float) -> list[float]:
    """Each column's least width: its longest word (at least 3 characters) plus cell padding."""
    return [max(max((len(w) for t in col for w in t.split()), default=1), 3) * char_in + 0.15 for col in texts]


def _table_layout(columns, rows) -> tuple[float, float]:
    """(font size, text width): the largest font, on portrait if possible, at which every word fits."""
    texts = _column_texts(columns, rows)
    for page in (_PAGE_WIDTH_IN, _LANDSCAPE_WIDTH_IN):
        for size in _TABLE_FONT_PT:
            if sum(_word_floors(texts, _CHAR_IN_PER_PT * size)) < page:
                return size, page
    return _TABLE_FONT_PT[-1], _LANDSCAPE_WIDTH_IN


def _orientation(doc, landscape: bool) -> None:
    """Start a new page section in landscape or back in portrait."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    long_side, short_side = max(section.page_width, section.page_height), min(section.page_width, section.page_height)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long_side, short_side) if landscape else (short_side, long_side)


def _column_widths(columns, rows, *, font_pt: float = 9, page: float = _PAGE_WIDTH_IN) -> list[float]:
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


def _docx_table(doc, columns, rows, *, caption=None, source=None, note=None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt

    from cscs_eval.reporting.display import _numeric_text

    font_pt, page = _table_layout(columns, rows)
    landscape = page > _PAGE_WIDTH_IN
    if landscape:
        _orientation(doc, landscape=True)
    if caption:
        doc.add_paragraph(caption, style="Caption")
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Light List Accent 1"
    table.autofit = False
    widths = [Inches(w) for w in _column_widths(columns, rows, font_pt=font_pt, page=page)]

    def fill(cells, values, header=False):
        for cell, text, width in zip(cells, values, widths):
            cell.width = width
            cell.text = str(text)
            for paragraph in cell.paragraphs:
                if not header and _numeric_text(str(text)):
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in paragraph.runs:
                    run.font.size = Pt(font_pt)

    for column, width in zip(table.columns, widths):
        column.width = width  # the table grid, which LibreOffice reads; Word reads the cells' widths
    fill(table.rows[0].cells, columns, header=True)
    for values in rows:
        fill(table.add_row().cells, values)
    for line in (note, f"Source: {source}" if source else None):
        if line:
            doc.add_paragraph(line, style="Caption")
    if landscape:
        _orientation(doc, landscape=False)


def render_docx(nb, path, *, meta: dict) -> None:
    """Write the Word version of an executed notebook's report to ``path`` (atomically)."""
    from docx import Document
    from docx.shared import Inches

    from cscs_eval.io import atomic_path

    blocks = report_blocks(nb)
    title = meta.get("title") or report_title(blocks, "Report")
    doc = Document()
    _docx_styles(doc)
    doc.add_heading(title, level=0)
    if meta.get("subtitle"):
        doc.add_paragraph(meta["subtitle"])
    doc.add_paragraph(f"Produced {meta.get('run_time', '')} by cscs-eval {meta.get('version', '')}"
                      + (f" from {meta['notebook']}." if meta.get("notebook") else "."))
    parameters = meta.get("parameters", {})
    if parameters:
        _docx_table(doc, ["Parameter", "Value"], [[k, "" if v is None else str(v)] for k, v in parameters.items()],
                    caption="Parameters of this run")
    title_dropped = False
    figure_no = table_no = 0
    for block in blocks:
        if block.kind == "markdown":
            title_dropped = _docx_markdown(doc, block.text, drop_title=not title_dropped) or title_dropped
        elif block.kind == "table":
            table_no += 1
            d = block.data
            caption = f"Table {table_no}. {d['caption']}" if d.get("caption") else None
            _docx_table(doc, d.get("columns", []), d.get("rows", []), caption=caption,
                        source=d.get("source"), note=d.get("note"))
        elif block.kind == "figure":
            figure_no += 1
            d = block.data
            doc.add_picture(io.BytesIO(base64.b64decode(d["png"])), width=Inches(6.0))
            if d.get("caption"):
                source = f" Source: {d['source']}" if d.get("source") else ""
                doc.add_paragraph(f"Figure {figure_no}. {d['caption']}{source}", style="Caption")
        elif block.kind == "html":
            parser = _TableParser()
            parser.feed(block.text)
            if parser.rows:
                _docx_table(doc, parser.rows[0], parser.rows[1:])
        else:
            doc.add_paragraph(block.text.strip())
    checks = meta.get("checksums", [])
    if checks:
        doc.add_heading("Data files", level=2)
        _docx_table(doc, ["Parameter", "File", "SHA-256"], [list(c) for c in checks])
    with atomic_path(path) as tmp:
        doc.save(tmp)
