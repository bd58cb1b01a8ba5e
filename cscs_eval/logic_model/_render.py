"""A logic model as a table, and its outputs: SVG, PNG, HTML, Markdown and Word.

HTML and Markdown come from the user-editable Jinja2 templates in
``templates/logic_model/`` (autoescape on: every text from a file shows as text, never as
markup). Word is built with python-docx: the figure, then the table as a real Word table.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from cscs_eval.errors import UsageError
from cscs_eval.logic_model._model import LogicModel

FORMATS = ("svg", "png", "html", "md", "docx")
TEXT_FORMATS = ("svg", "html", "md")

#: Columns of :func:`to_table`, in order.
TABLE_COLUMNS = ("Link", "Determinant", "Strategy", "Mechanism", "Implementation outcomes", "Service outcomes",
                 "Clinical outcomes")


def _determinant_text(d) -> str:
    where = f"{d.construct}; " if d.construct and d.construct not in d.label else ""
    return f"{d.label} ({where}{d.valence_text}, {d.symbol})"


def _strategy_text(s) -> str:
    if s.is_local:
        return f"{s.label} (local strategy)"
    if s.eric != s.label:
        return f"{s.label} (ERIC: {s.eric})"
    return s.label


def to_table(model: LogicModel):
    """One row per link: its number, determinant, strategy, mechanism and outcomes by type.

    Several nodes of one kind in a link are joined with ``"; "``; a determinant shows its
    CFIR construct, valence and rating sign; a strategy that is not an ERIC strategy is
    marked ``(local strategy)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``Link, Determinant, Strategy, Mechanism, Implementation outcomes,
        Service outcomes, Clinical outcomes``, ready for a report table.

    Examples
    --------
    >>> from cscs_eval.logic_model import LogicModel
    >>> m = LogicModel.from_dict({
    ...     "determinants": [{"id": "D1", "label": "EPR delayed", "construct": "III.A.2", "valence": "--"}],
    ...     "strategies": [{"id": "S1", "label": "Change record systems"}],
    ...     "mechanisms": [{"id": "M1", "label": "Results visible in the record"}],
    ...     "outcomes": {"implementation": [{"id": "O1", "name": "Adoption", "measure": "91%"}]},
    ...     "links": [{"determinant": "D1", "strategy": "S1", "mechanism": "M1", "outcomes": ["O1"]}]})
    >>> row = to_table(m).iloc[0]
    >>> row["Determinant"], row["Implementation outcomes"], row["Service outcomes"]
    ('EPR delayed (III.A.2; strong barrier, −−)', 'Adoption: 91%', '')
    """
    import pandas as pd

    nodes = model.nodes
    rows = []
    for link in model.links:
        parts: dict = {c: [] for c in TABLE_COLUMNS[1:]}
        for node_id in dict.fromkeys(link.node_ids):
            node = nodes[node_id]
            if node.kind == "determinant":
                parts["Determinant"].append(_determinant_text(node))
            elif node.kind == "strategy":
                parts["Strategy"].append(_strategy_text(node))
            elif node.kind == "mechanism":
                parts["Mechanism"].append(node.label)
            else:
                parts[f"{node.type.capitalize()} outcomes"].append(node.text)
        rows.append({"Link": link.number, **{k: "; ".join(v) for k, v in parts.items()}})
    df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return df.astype({"Link": "int64"})


def strategies_table(model: LogicModel):
    """The model's strategies with their ERIC name, ERIC number and cluster (empty for local ones)."""
    import pandas as pd

    rows = [{"Strategy": s.label, "ERIC strategy": s.eric or "(local strategy)",
             "ERIC number": s.eric_id, "ERIC cluster": s.cluster or "",
             "Links": ", ".join(str(link.number) for link in model.links if s.id in link.node_ids)}
            for s in model.strategies]
    return pd.DataFrame(rows, columns=["Strategy", "ERIC strategy", "ERIC number", "ERIC cluster", "Links"]).astype(
        {"ERIC number": "Int64"})


# --- templates ----------------------------------------------------------------------------------

def _md_cell(value) -> str:
    """Text safe inside a Markdown table cell and in the HTML a Markdown viewer makes of it."""
    from markupsafe import Markup

    text = "" if value is None else str(value)
    # Only the characters that start markup are escaped, so apostrophes stay readable in the Markdown.
    # "&" only where it would start a character reference ("A&E" stays as typed; "&lt;" typed stays text)
    text = re.sub(r"&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)", "&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")
    return Markup(text)


def _environment(template_dir=None):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from cscs_eval.io import resource_dir

    folder = Path(template_dir) if template_dir else resource_dir("templates") / "logic_model"
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = _md_cell
    return env


def _context(model: LogicModel, figure_svg=None) -> dict:
    table = to_table(model)
    strategies = strategies_table(model)
    return {
        "model": model,
        "title": model.title,
        "intervention": model.intervention,
        "description": model.description,
        "columns": list(table.columns),
        "rows": [list(r) for r in table.astype(str).itertuples(index=False)],
        "strategy_columns": list(strategies.columns),
        "strategy_rows": [["" if v is None or str(v) == "<NA>" else str(v) for v in r]
                          for r in strategies.astype(object).itertuples(index=False)],
        "figure_data_uri": (None if figure_svg is None else
                            "data:image/svg+xml;base64," + base64.b64encode(figure_svg.encode("utf-8")).decode()),
        "n_local": sum(s.is_local for s in model.strategies),
    }


def figure_bytes(model: LogicModel, fmt: str, **draw_options) -> bytes:
    """The figure as SVG or PNG bytes."""
    from cscs_eval.logic_model._draw import draw

    import matplotlib

    fig = draw(model, **draw_options)
    buffer = io.BytesIO()
    # A fixed salt and no date: the same model gives the same SVG bytes on every run.
    with matplotlib.rc_context({"svg.hashsalt": "cscs-eval"}):
        fig.savefig(buffer, format=fmt, dpi=150 if fmt == "png" else None, facecolor="white",
                    metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def to_html(model: LogicModel, *, figure: bool = True, template_dir=None) -> str:
    """A self-contained HTML page: the figure (as an embedded image) and the links table.

    All text from the model is escaped (Jinja2 autoescape); the figure is embedded as an
    ``<img>`` data URI, so nothing in it can run as script.
    """
    # The page has the title already; the figure leaves it out.
    svg = figure_bytes(model, "svg", title=False).decode("utf-8") if figure else None
    return _environment(template_dir).get_template("logic_model.html.j2").render(_context(model, svg))


def to_markdown(model: LogicModel, *, template_dir=None) -> str:
    """The model as Markdown: title, intervention and the links table (cells escaped)."""
    return _environment(template_dir).get_template("logic_model.md.j2").render(_context(model))


def to_docx(model: LogicModel, path, *, figure: bool = True, template=None) -> Path:
    """Write a Word document: title, intervention, the figure and the links table (landscape pages).

    ``template`` is an optional .docx whose styles are used; by default
    ``templates/logic_model/logic_model.docx`` when it exists, else python-docx's default.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    from cscs_eval.io import atomic_path, resource_dir

    if template is None:
        candidate = resource_dir("templates") / "logic_model" / "logic_model.docx"
        template = candidate if candidate.exists() else None
    doc = Document(str(template)) if template else Document()
    section = doc.sections[0]
    if section.orientation != WD_ORIENT.LANDSCAPE:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    doc.add_heading(model.title, level=1)
    if model.intervention:
        doc.add_paragraph(f"Intervention: {model.intervention}")
    if model.description:
        doc.add_paragraph(model.description)
    if figure:
        usable = section.page_width - section.left_margin - section.right_margin
        doc.add_picture(io.BytesIO(figure_bytes(model, "png", title=False)), width=usable)
        doc.add_paragraph("Figure: Implementation Research Logic Model. Numbers on the arrows are the links "
                          "in the table below.", style="Caption" if "Caption" in [s.name for s in doc.styles]
                          else None)
    doc.add_heading("Links", level=2)
    table = to_table(model)
    word_table = doc.add_table(rows=1, cols=len(table.columns))
    if "Table Grid" in [s.name for s in doc.styles]:
        word_table.style = "Table Grid"
    for cell, name in zip(word_table.rows[0].cells, table.columns):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(name))
        run.bold = True
    for values in table.astype(str).itertuples(index=False):
        cells = word_table.add_row().cells
        for cell, value in zip(cells, values):
            cell.text = value
    for row in word_table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)
    strategies = strategies_table(model)
    doc.add_heading("Strategies", level=2)
    st = doc.add_table(rows=1, cols=len(strategies.columns))
    if "Table Grid" in [s.name for s in doc.styles]:
        st.style = "Table Grid"
    for cell, name in zip(st.rows[0].cells, strategies.columns):
        cell.text = ""
        cell.paragraphs[0].add_run(str(name)).bold = True
    for values in strategies.astype(object).itertuples(index=False):
        for cell, value in zip(st.add_row().cells, values):
            cell.text = "" if value is None or str(value) == "<NA>" else str(value)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return Path(path)


def render(model: LogicModel, to: str, out=None):
    """Render a model as ``svg``, ``png``, ``html``, ``md`` or ``docx``.

    Parameters
    ----------
    model
        The logic model.
    to
        The output format.
    out
        File to write (atomically). Required for ``png`` and ``docx``.

    Returns
    -------
    str or bytes or pathlib.Path
        The text (svg, html, md) or PNG bytes when ``out`` is None, else the path written.
    """
    from cscs_eval.io import atomic_path, write_text

    fmt = str(to).lower().lstrip(".")
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise UsageError(f"--to must be one of {', '.join(FORMATS)}, got {to!r}")
    if fmt == "docx":
        if out is None:
            raise UsageError("a Word file needs an output file: give --out FILE.docx")
        return to_docx(model, out)
    if fmt in ("svg", "png"):
        data = figure_bytes(model, fmt)
        if out is None:
            return data.decode("utf-8") if fmt == "svg" else data
        with atomic_path(out) as tmp:
            Path(tmp).write_bytes(data)
        return Path(out)
    text = to_html(model) if fmt == "html" else to_markdown(model)
    if out is None:
        return text
    return write_text(text, out)
