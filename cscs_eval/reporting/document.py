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


def render_docx(nb, path, *, meta: dict) -> None:
    """Write the Word version of an executed notebook's report to ``path`` (atomically)."""
    from cscs_eval.reporting import word

    blocks = report_blocks(nb)
    title = meta.get("title") or report_title(blocks, "Report")
    doc = word.new_document()
    doc.add_heading(xml_safe(title), level=0)
    if meta.get("subtitle"):
        doc.add_paragraph(xml_safe(meta["subtitle"]))
    doc.add_paragraph(f"Produced {meta.get('run_time', '')} by cscs-eval {meta.get('version', '')}"
                      + (f" from {meta['notebook']}." if meta.get("notebook") else "."))
    parameters = meta.get("parameters", {})
    if parameters:
        word.add_table(doc, ["Parameter", "Value"], [[k, "" if v is None else str(v)] for k, v in parameters.items()],
                       caption="Parameters of this run")
    title_dropped = False
    figure_no = table_no = 0
    for block in blocks:
        if block.kind == "markdown":
            title_dropped = word.add_markdown(doc, block.text, drop_title=not title_dropped) or title_dropped
        elif block.kind == "table":
            table_no += 1
            d = block.data
            caption = f"Table {table_no}. {d['caption']}" if d.get("caption") else None
            word.add_table(doc, d.get("columns", []), d.get("rows", []), caption=caption,
                           source=d.get("source"), note=d.get("note"))
        elif block.kind == "figure":
            figure_no += 1
            d = block.data
            caption = None
            if d.get("caption"):
                source = f" Source: {d['source']}" if d.get("source") else ""
                caption = f"Figure {figure_no}. {d['caption']}{source}"
            word.add_figure(doc, base64.b64decode(d["png"]), caption=caption)
        elif block.kind == "html":
            parser = _TableParser()
            parser.feed(block.text)
            if parser.rows:
                word.add_table(doc, parser.rows[0], parser.rows[1:])
        else:
            doc.add_paragraph(xml_safe(block.text.strip()))
    checks = meta.get("checksums", [])
    if checks:
        doc.add_heading("Data files", level=2).paragraph_format.keep_with_next = True
        word.add_table(doc, ["Parameter", "File", "SHA-256"], [list(c) for c in checks])
    word.save(doc, path)
