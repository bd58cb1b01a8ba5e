"""Turn an executed notebook into a report: self-contained HTML and Word with the same content.

A report shows what the notebook displayed, never its code: Markdown cells, the tables,
figures and sentences shown with :mod:`cscs_eval.reporting.display`, and printed text.
Error output, warnings (stderr) and bare object reprs are left out.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from cscs_eval.io import xml_safe
from cscs_eval.reporting.display import FIGURE_MIME, TABLE_MIME
from cscs_eval.reporting.word import _markdown  # one Markdown parser for HTML and Word

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
                if "image/svg+xml" in data:
                    svg = data["image/svg+xml"]
                    meta["svg"] = "".join(svg) if isinstance(svg, list) else svg
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


# ---------------------------------------------------------------- run details

def parameter_label(name: str, help_text: str = "") -> str:
    """A parameter's label for readers, from its help comment ("report title" -> "Report title").

    Asides for the analyst in the help ("" for none) are dropped; a parameter without help is
    labelled from its name.

    Examples
    --------
    >>> parameter_label("aliases_path", 'local construct names mapped to CFIR 2.0 ("" for none)')
    'Local construct names mapped to CFIR 2.0'
    >>> parameter_label("team", "")
    'Team'
    """
    from cscs_eval.reporting.labels import label

    text = re.sub(r"\s*\([^()]*\"\"[^()]*\)", "", str(help_text or "")).strip().rstrip(".;:")
    if not text:
        return label(name)
    return text[:1].upper() + text[1:]


def parameter_value(value) -> str:
    """A parameter's value as readers see it: lists and mappings as text, yes/no, "none" for empty.

    Examples
    --------
    >>> parameter_value(["a.md", "b.md"]), parameter_value(True), parameter_value(""), parameter_value({"A": "x"})
    ('a.md; b.md', 'yes', 'none', 'A: x')
    """
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(parameter_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {parameter_value(v)}" for k, v in value.items())
    return str(value)


def run_details(meta: dict) -> tuple[list, list]:
    """The run's parameters as ``(label, value, name)`` rows and its data files as
    ``(parameter label, file, SHA-256)`` rows, for the appendix (Word) or the folded header (HTML)."""
    helps = meta.get("parameter_help") or {}
    parameters = [(parameter_label(name, helps.get(name, "")), parameter_value(value), name)
                  for name, value in (meta.get("parameters") or {}).items()]
    files = [(parameter_label(name, helps.get(name, "")), file, digest)
             for name, file, digest in meta.get("checksums") or []]
    return parameters, files


# ---------------------------------------------------------------- HTML



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


def not_for_publication(meta: dict) -> bool:
    """A run with small-number suppression turned off (``suppress=False``): its pages say so at the top."""
    return (meta.get("parameters") or {}).get("suppress") is False


def _banner() -> str:
    from cscs_eval.governance import NOT_FOR_PUBLICATION

    return f"{NOT_FOR_PUBLICATION}: this report was made with suppress=False and must not be shared."


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
            body = table_html(d.get("columns", []), d.get("rows", []), caption=caption, source=d.get("source"),
                              structure=d.get("structure"))
            if d.get("note"):
                body += f"<p class='note'>{html.escape(d['note'])}</p>"
            parts.append(body)
        elif block.kind == "figure":
            figure_no += 1
            parts.append(_figure_html(block.data, figure_no))
        elif block.kind == "html":
            parts.append(f"<div class='output'>{block.text}</div>")
        else:
            parts.append(f"<p class='printed'>{html.escape(block.text)}</p>")
    if not_for_publication(meta):
        parts.insert(0, f"<p class='not-for-publication'><strong>{html.escape(_banner())}</strong></p>")
    env = environment(template_dir)
    parameters, files = run_details(meta)
    return env.get_template("report/report.html.j2").render(
        title=title, subtitle=meta.get("subtitle"), toc=_nest(toc), body="\n".join(parts),
        parameters=parameters, checksums=files, zoomable=any(b.kind == "figure" and b.data.get("svg") for b in blocks),
        version=meta.get("version"), run_time=meta.get("run_time"), notebook=meta.get("notebook"),
    )


def _figure_html(d: dict, number: int) -> str:
    """A figure with its numbered caption and source; a wide figure as a full-width, zoomable SVG."""
    caption = d.get("caption")
    cap = f"<figcaption><strong>Figure {number}.</strong> {html.escape(caption)}" if caption else ""
    if caption and d.get("source"):
        cap += f"<span class='source'>Source: {html.escape(d['source'])}</span>"
    cap += "</figcaption>" if caption else ""
    alt = html.escape(d.get("alt") or caption or f"Figure {number}", quote=True)
    if not d.get("svg"):
        return f"<figure><img alt='{alt}' src='data:image/png;base64,{d['png']}'/>{cap}</figure>"
    # As an <img>, the SVG cannot run script or clash with the page's ids; its text stays sharp when zoomed.
    svg = base64.b64encode(d["svg"].encode("utf-8")).decode("ascii")
    controls = ("<div class='zoom-controls' role='group' aria-label='Zoom the figure'>"
                "<button type='button' data-zoom='in'>Zoom in</button>"
                "<button type='button' data-zoom='out'>Zoom out</button>"
                "<button type='button' data-zoom='fit'>Fit to width</button></div>")
    wide = " wide" if d.get("wide") else ""
    return (f"<figure class='zoomable{wide}'>{controls}<div class='zoom-frame'>"
            f"<img alt='{alt}' src='data:image/svg+xml;base64,{svg}'/></div>{cap}</figure>")


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


def _wants_landscape(block) -> bool:
    from cscs_eval.reporting import word

    if block.kind == "figure":
        return bool(block.data.get("wide"))
    if block.kind == "table":
        return word.table_needs_landscape(block.data.get("columns", []), block.data.get("rows", []))
    return False


#: Text between two landscape blocks that may share their pages (longer text goes back to portrait).
_SHORT_TEXT = 400


def _landscape_follows(blocks, wide, i) -> bool:
    """True when block ``i`` is a short table or text and the next block other than short text is landscape."""
    if blocks[i].kind in ("markdown", "text") and len(blocks[i].text) > _SHORT_TEXT:
        return False
    if blocks[i].kind == "table" and len(blocks[i].data.get("rows", [])) > 15:
        return False
    for j in range(i + 1, len(blocks)):
        if blocks[j].kind in ("markdown", "text") and len(blocks[j].text) <= _SHORT_TEXT:
            continue
        return wide[j]
    return False


def render_docx(nb, path, *, meta: dict, reference=None) -> None:
    """Write the Word version of an executed notebook's report to ``path`` (atomically).

    A4, in Word's own styles (or those of ``reference``, a trust's template: also taken from
    ``meta["reference_docx"]``): title, the report's content with numbered captions and source
    lines as in the HTML, landscape sections for wide tables and figures, and the run's
    parameters and data checksums in an appendix at the end.
    """
    from cscs_eval.reporting import word

    blocks = report_blocks(nb)
    title = meta.get("title") or report_title(blocks, "Report")
    doc = word.new_document(reference or meta.get("reference_docx") or None)
    doc.add_heading(xml_safe(title), level=0)
    if meta.get("subtitle"):
        doc.add_paragraph(xml_safe(meta["subtitle"]))
    word.add_caption(doc, f"Produced {meta.get('run_time', '')} by cscs-eval {meta.get('version', '')}. The run's "
                          "parameters and the checksums of its data files are in the appendix.")
    if not_for_publication(meta):
        doc.add_paragraph().add_run(_banner()).bold = True
    title_dropped = False
    figure_no = table_no = 0
    wide = [_wants_landscape(b) for b in blocks]
    for i, block in enumerate(blocks):
        # A wide table or figure gets a landscape section; headings just above it go along. Between two
        # landscape blocks a short table or text stays landscape too, rather than a near-empty portrait page.
        landscape = wide[i] or (word.is_landscape(doc) and _landscape_follows(blocks, wide, i))
        word.ensure_orientation(doc, landscape=landscape, carry=word.trailing_headings(doc))
        if block.kind == "markdown":
            title_dropped = word.add_markdown(doc, block.text, drop_title=not title_dropped) or title_dropped
        elif block.kind == "table":
            table_no += 1
            d = block.data
            caption = f"Table {table_no}. {d['caption']}" if d.get("caption") else None
            word.add_table(doc, d.get("columns", []), d.get("rows", []), caption=caption,
                           source=d.get("source"), note=d.get("note"), return_to_portrait=False)
        elif block.kind == "figure":
            figure_no += 1
            d = block.data
            caption = f"Figure {figure_no}. {d['caption']}" if d.get("caption") else None
            if d.get("wide"):  # drawn for a landscape page: placed at its drawn size, so its text keeps its size
                word.add_figure(doc, base64.b64decode(d["png"]), caption=caption, source=d.get("source"),
                                width_in=min(d.get("width_in") or word.LANDSCAPE_WIDTH_IN, word.text_width_in(doc)),
                                shrink=False)
            else:
                word.add_figure(doc, base64.b64decode(d["png"]), caption=caption, source=d.get("source"))
        elif block.kind == "html":
            parser = _TableParser()
            parser.feed(block.text)
            if parser.rows:
                word.add_table(doc, parser.rows[0], parser.rows[1:], return_to_portrait=False)
        else:
            doc.add_paragraph(xml_safe(block.text.strip()))
    _appendix(doc, meta)
    word.save(doc, path)


def _appendix(doc, meta: dict) -> None:
    """The run's details at the end: what a reader needs to reproduce or check the report."""
    from cscs_eval.reporting import word

    parameters, files = run_details(meta)
    word.ensure_orientation(doc, landscape=False, carry=word.trailing_headings(doc))
    doc.add_page_break()
    doc.add_heading("Appendix: about this run", level=1).paragraph_format.keep_with_next = True
    made = f"cscs-eval {meta.get('version', '')}" + (f" from the notebook {meta['notebook']}"
                                                      if meta.get("notebook") else "")
    doc.add_paragraph(xml_safe(f"This report was produced on {meta.get('run_time', '')} by {made}. Running it "
                               "again with these parameters on files with these checksums (SHA-256) gives the "
                               "same report."))
    if parameters:
        word.add_table(doc, ["Parameter", "Value", "Name"], [list(r) for r in parameters],
                       caption="Parameters of this run", return_to_portrait=False)
    if files:
        doc.add_heading("Data files", level=2).paragraph_format.keep_with_next = True
        word.add_checksums(doc, [list(f) for f in files])
    else:
        doc.add_paragraph("This run read no data files named by its parameters.")
