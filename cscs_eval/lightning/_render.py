"""Rendering a Lightning Report to HTML (one printable A4 page), Markdown and Word.

HTML and Markdown come from Jinja2 templates in ``templates/lightning/`` (``report.html.j2``,
``report.md.j2`` and the stylesheet ``print.css``), which users may edit or replace with
``template_dir=``. Every text from a report is escaped: HTML or script typed into notes shows
as text in all three outputs.
"""

from __future__ import annotations

from pathlib import Path

from cscs_eval.errors import UsageError

__all__ = ["render", "render_html", "render_markdown", "write_docx", "write_report", "FORMATS", "ACCENT"]

FORMATS = ("html", "md", "docx")
ACCENT = "#005EB8"  # NHS Blue


def _template_dir(template_dir=None) -> Path:
    if template_dir is not None:
        folder = Path(template_dir)
        if not folder.is_dir():
            raise UsageError(f"template_dir {str(folder)!r} is not a folder")
        return folder
    from cscs_eval.io import resource_dir

    return resource_dir("templates") / "lightning"


def _as_report(report, aliases=None):
    if isinstance(report, (str, Path)):
        from cscs_eval.lightning.report import read_report

        return read_report(report, aliases=aliases)
    return report


def _date_text(d) -> str:
    return f"{d.day} {d:%B %Y}"


def render_html(report, *, template_dir=None) -> str:
    """The report as a self-contained HTML page (inline CSS, no external files), printable on one A4 page.

    ``report`` is a :class:`~cscs_eval.lightning.LightningReport` or a path to one.
    """
    import jinja2
    from markupsafe import Markup

    from cscs_eval import __version__

    report = _as_report(report)
    folder = _template_dir(template_dir)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False)
    css = (folder / "print.css").read_text(encoding="utf-8") if (folder / "print.css").exists() else ""
    # The stylesheet comes from the (trusted) template folder; "</" cannot close the style element.
    css = Markup(css.replace("</", "<\\/"))
    return env.get_template("report.html.j2").render(
        report=report, css=css, date_text=_date_text(report.date), version=__version__,
        source=report.path.name if report.path else None)


def _md_escape(value):
    """Text for Markdown: HTML special characters and table pipes shown as text, one line."""
    if value is None:
        return None
    import re

    text = str(value).replace("\r", " ").replace("\n", " ")
    # "&" is escaped only where it would start a character reference, so "A&E" stays readable in the file
    text = re.sub(r"&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)", "&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _escaped_for_markdown(report):
    """A copy of the report with every text escaped, so no template can forget to escape."""
    import dataclasses

    def item(i):
        codes = tuple(dataclasses.replace(c, construct=_md_escape(c.construct), memo=_md_escape(c.memo),
                                          written=_md_escape(c.written)) for c in i.codes)
        return dataclasses.replace(i, text=_md_escape(i.text), codes=codes)

    return dataclasses.replace(
        report, title=_md_escape(report.title), project=_md_escape(report.project), period=_md_escape(report.period),
        contacts=[_md_escape(c) for c in report.contacts],
        data_collection_status=_md_escape(report.data_collection_status),
        summary=[item(i) for i in report.summary], plus=[item(i) for i in report.plus],
        delta=[item(i) for i in report.delta], insights=[item(i) for i in report.insights], meta={})


def render_markdown(report, *, template_dir=None) -> str:
    """The report as tidy Markdown (metadata table, sections, codes in brackets), text escaped."""
    import jinja2

    report = _as_report(report)
    folder = _template_dir(template_dir)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    text = env.get_template("report.md.j2").render(report=_escaped_for_markdown(report))
    # tidy: at most one blank line in a row
    lines, out = text.split("\n"), []
    for line in lines:
        if line.strip() or (out and out[-1].strip()):
            out.append(line.rstrip())
    return "\n".join(out).strip() + "\n"


def _add_codes(paragraph, item):
    from docx.shared import Pt, RGBColor

    for c in item.codes:
        run = paragraph.add_run(f" [{c.label}{': ' + c.memo if c.memo else ''}]")
        run.italic = True
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor(0x4C, 0x62, 0x72)


def build_docx(report):
    """The report as a python-docx ``Document`` using Word's built-in styles (Title, Heading 1, List Bullet)."""
    import docx
    from docx.shared import Mm, Pt, RGBColor

    report = _as_report(report)
    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    accent = RGBColor.from_string(ACCENT.lstrip("#"))
    for style_name in ("Title", "Heading 1"):
        doc.styles[style_name].font.color.rgb = accent
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = report.title
    doc.core_properties.subject = f"Lightning Report: {report.project}"

    kicker = doc.add_paragraph(f"Lightning Report · {report.project}")
    kicker.runs[0].bold = True
    doc.add_heading(report.title, level=0)
    table = doc.add_table(rows=0, cols=2)
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    for label, value in (("Period", report.period), ("Date", _date_text(report.date)),
                         ("Contacts", ", ".join(report.contacts)),
                         ("Data collection", report.data_collection_status)):
        cells = table.add_row().cells
        cells[0].text = label
        cells[0].paragraphs[0].runs[0].bold = True
        cells[1].text = value
        # a narrow label column, the rest of the 180 mm text width for the values
        cells[0].width, cells[1].width = Mm(32), Mm(148)
    table.columns[0].width, table.columns[1].width = Mm(32), Mm(148)  # the grid, which LibreOffice reads

    doc.add_heading("Summary", level=1)
    for item in report.summary:
        p = doc.add_paragraph(item.text)
        _add_codes(p, item)
    for key, heading in (("plus", "Plus: what is working"), ("delta", "Delta: what needs to change"),
                         ("insights", "Insights")):
        doc.add_heading(heading, level=1)
        items = getattr(report, key)
        if not items:
            doc.add_paragraph("None this time.").runs[0].italic = True
        for item in items:
            p = doc.add_paragraph(item.text, style="List Bullet")
            _add_codes(p, item)
    note = doc.add_paragraph("CFIR 2.0 codes in brackets: construct and rating, from +2 (strong facilitator) "
                             "to -2 (strong barrier); X mixed.")
    note.runs[0].font.size = Pt(8)
    return doc


def write_docx(report, path) -> Path:
    """Write the report as a Word file (atomically)."""
    from cscs_eval.io import atomic_path

    doc = build_docx(report)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return Path(path)


def render(report, to: str = "html", *, template_dir=None, aliases=None):
    """Render a report (object or path) to ``html`` or ``md`` text; for ``docx`` use :func:`write_docx`.

    Examples
    --------
    >>> from cscs_eval.lightning import parse_report
    >>> r = parse_report('''---
    ... title: T
    ... project: P
    ... period: May
    ... date: 2024-05-01
    ... contacts: [A]
    ... data_collection_status: done
    ... ---
    ... ## Summary
    ... Fine.
    ... ## Plus
    ... - <b>works</b> [[Engaging +2]]
    ... ## Delta
    ... ## Insights
    ... ''')
    >>> "&lt;b&gt;works&lt;/b&gt;" in render(r, "html")
    True
    """
    report = _as_report(report, aliases)
    if to == "html":
        return render_html(report, template_dir=template_dir)
    if to == "md":
        return render_markdown(report, template_dir=template_dir)
    if to == "docx":
        raise UsageError("to='docx' makes a file, not text; use write_docx(report, path) or write_report(...)")
    raise UsageError(f"to must be one of {', '.join(FORMATS)}, got {to!r}")


def write_report(report, path, *, to: str | None = None, template_dir=None, aliases=None) -> Path:
    """Write a report to ``path`` as HTML, Markdown or Word (``to`` defaults to the file's extension)."""
    from cscs_eval.io import write_text

    path = Path(path)
    if to is None:
        to = {".html": "html", ".htm": "html", ".md": "md", ".docx": "docx"}.get(path.suffix.lower())
        if to is None:
            raise UsageError(f"cannot tell the format from {path.name!r}; use .html, .md or .docx, or pass to=")
    report = _as_report(report, aliases)
    if to == "docx":
        return write_docx(report, path)
    return write_text(render(report, to, template_dir=template_dir), path)
