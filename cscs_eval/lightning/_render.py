"""Rendering a Lightning Report to HTML (one printable A4 page), Markdown and Word.

HTML and Markdown come from Jinja2 templates in ``templates/lightning/`` (``report.html.j2``,
``report.md.j2`` and the stylesheet ``print.css``), through the report environment of
:mod:`cscs_eval.reporting.templates`; users may edit them or replace them with ``template_dir=``.
Word is built with :mod:`cscs_eval.reporting.word`. Every text from a report is escaped: HTML
or script typed into notes shows as text in all three outputs.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["render", "FORMATS"]

FORMATS = ("html", "md", "docx")


def _as_report(report, aliases=None):
    if isinstance(report, (str, Path)):
        from cscs_eval.lightning._report import read_report

        return read_report(report, aliases=aliases)
    return report


def _date_text(d) -> str:
    return f"{d.day} {d:%B %Y}"


def _html(report, template_dir=None) -> str:
    """The report as a self-contained HTML page (inline CSS, no external files), printable on one A4 page."""
    from jinja2 import TemplateNotFound
    from markupsafe import Markup

    from cscs_eval import __version__
    from cscs_eval.reporting.templates import environment

    env = environment(template_dir, folder="lightning")
    try:
        css, _, _ = env.loader.get_source(env, "print.css")
    except TemplateNotFound:
        css = ""
    # The stylesheet comes from the (trusted) template folder; "</" cannot close the style element.
    css = Markup(css.replace("</", "<\\/"))
    return env.get_template("report.html.j2").render(
        report=report, css=css, date_text=_date_text(report.date), version=__version__,
        source=report.path.name if report.path else None)


def _markdown(report, template_dir=None) -> str:
    """The report as tidy Markdown (metadata table, sections, codes in brackets), text escaped by the template."""
    from cscs_eval.reporting.templates import environment

    text = environment(template_dir, folder="lightning").get_template("report.md.j2").render(report=report)
    # tidy: at most one blank line in a row
    out = []
    for line in text.split("\n"):
        if line.strip() or (out and out[-1].strip()):
            out.append(line.rstrip())
    return "\n".join(out).strip() + "\n"


def _add_codes(paragraph, item):
    from docx.shared import Pt, RGBColor

    from cscs_eval.io import xml_safe
    from cscs_eval.reporting.style import GREY, MIN_FONT_PT

    for c in item.codes:
        run = paragraph.add_run(xml_safe(f" [{c.label}{': ' + c.memo if c.memo else ''}]"))
        run.italic = True
        run.font.size = Pt(MIN_FONT_PT)
        run.font.color.rgb = RGBColor.from_string(GREY.lstrip("#"))


def _docx(report):
    """The report as a Word document in the report style (Title, Heading 1, List Bullet), A4."""
    from docx.shared import Pt

    from cscs_eval.io import xml_safe
    from cscs_eval.reporting import word
    from cscs_eval.reporting.style import MIN_FONT_PT

    doc = word.new_document()
    # text pasted from Word may hold control characters (a vertical tab) that XML cannot: spaces instead
    doc.core_properties.title = xml_safe(report.title)
    doc.core_properties.subject = xml_safe(f"Lightning Report: {report.project}")

    kicker = doc.add_paragraph(xml_safe(f"Lightning Report · {report.project}"))
    kicker.runs[0].bold = True
    doc.add_heading(xml_safe(report.title), level=0)
    word.add_fields(doc, [("Period", report.period), ("Date", _date_text(report.date)),
                          ("Contacts", ", ".join(report.contacts)),
                          ("Data collection", report.data_collection_status)])

    doc.add_heading("Summary", level=1)
    for item in report.summary:
        _add_codes(doc.add_paragraph(xml_safe(item.text)), item)
    for key, heading in (("plus", "Plus: what is working"), ("delta", "Delta: what needs to change"),
                         ("insights", "Insights")):
        doc.add_heading(heading, level=1)
        items = getattr(report, key)
        if not items:
            doc.add_paragraph("None this time.").runs[0].italic = True
        for item in items:
            _add_codes(doc.add_paragraph(xml_safe(item.text), style="List Bullet"), item)
    note = doc.add_paragraph("CFIR 2.0 codes in brackets: construct and rating, from +2 (strong facilitator) "
                             "to -2 (strong barrier); X mixed.")
    note.runs[0].font.size = Pt(MIN_FONT_PT)
    return doc


def render(report, *, to: str | None = None, out=None, template_dir=None, aliases=None):
    """Render a Lightning Report as HTML, Markdown or Word.

    Parameters
    ----------
    report
        A :class:`~cscs_eval.lightning.LightningReport` or the path of one.
    to
        ``html``, ``md`` or ``docx``; by default from the extension of ``out``.
    out
        File to write (atomically); without it HTML and Markdown are returned as text. Word
        needs a file.
    template_dir
        A folder with your own ``report.html.j2``, ``report.md.j2`` and ``print.css``.
    aliases
        Local construct names, when ``report`` is a path.

    Returns
    -------
    str or pathlib.Path
        The text when ``out`` is None, else the path written.

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
    >>> "&lt;b&gt;works&lt;/b&gt;" in render(r, to="html")
    True
    """
    from cscs_eval.io import output_format, write_text

    fmt = output_format(to, out, FORMATS, needs_file=("docx",))
    report = _as_report(report, aliases)
    if fmt == "docx":
        from cscs_eval.reporting import word

        return word.save(_docx(report), out)
    text = _html(report, template_dir) if fmt == "html" else _markdown(report, template_dir)
    return text if out is None else write_text(text, out)
