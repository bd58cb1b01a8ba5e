"""What a reader of a report sees, as text: the HTML without its folded run details, and the Word file
up to its appendix. Shared by the style and page-layout checks of the demo reports."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

#: Where a Word report's appendix of run details starts (cscs_eval.reporting.document._appendix).
APPENDIX = "Appendix: about this run"

#: What no reader should meet (issue 13): a pattern and what it is.
FORBIDDEN = (
    (re.compile(r"\(s\)"), "'(s)' instead of the right plural"),
    (re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b"), "a snake_case name"),
    (re.compile(r"\b(reqol10|phq9|gad7|gbo|dialog)\b"), "an internal measure code"),
    (re.compile(r"UNVERIFIED"), "a developer's caveat"),
    (re.compile(r"\bNaN\b|\bnan\b|\bNaT\b|<NA>"), "a missing value shown raw"),
    (re.compile(r"\bNone\b"), "Python's None"),
)


class _Text(HTMLParser):
    """Visible text of a report page, leaving out scripts, styles, the run details and button labels."""

    def __init__(self):
        super().__init__()
        self.out, self._skip = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if self._skip:
            self._skip.append(tag)
        elif tag in ("script", "style", "button", "title") or "provenance" in classes:
            self._skip.append(tag)
        if tag in ("p", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "caption", "figcaption", "div", "br"):
            self.out.append("\n")

    def handle_endtag(self, tag):
        if self._skip:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.out.append(data)


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return "".join(parser.out)


def docx_text(path: Path) -> str:
    """Paragraphs and table cells in document order, up to the appendix."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = Document(str(path))
    out = []
    for child in doc.element.body.iterchildren():
        if child.tag.endswith("}p"):
            text = Paragraph(child, doc._body).text
            if text.strip() == APPENDIX:
                break
            out.append(text)
        elif child.tag.endswith("}tbl"):
            for row in Table(child, doc._body).rows:
                out.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(out)


#: File names (a source line names its file, "Source: logic_model.yaml") are not words a reader stumbles on.
_FILE = re.compile(r"[\w./-]+\.(csv|yaml|yml|md|ipynb|xlsx|parquet|json|docx|html)\b")


def problems(text: str) -> list[str]:
    """Every forbidden word in ``text`` (file names aside), with the line it is on."""
    found = []
    for line in text.splitlines():
        line = _FILE.sub("FILE", line)
        for pattern, what in FORBIDDEN:
            for match in pattern.finditer(line):
                found.append(f"{what}: {match.group(0)!r} in {line.strip()[:160]!r}")
    return found
