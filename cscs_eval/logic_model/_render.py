"""A logic model as a table, and its outputs: SVG, PNG, HTML, Markdown and Word.

HTML and Markdown come from the user-editable Jinja2 templates in ``templates/logic_model/``,
through the report environment of :mod:`cscs_eval.reporting.templates` (autoescape on: every
text from a file shows as text, never as markup). In HTML the figure is an SVG with its text
kept as text, at the page's full width and zoomable. Word is built with
:mod:`cscs_eval.reporting.word` on landscape A4: the figure at its drawn size (so no text is
smaller than 8 points; split over several figures when one page cannot hold it, see
:func:`~cscs_eval.logic_model.draw_pages`), then the tables as real Word tables.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from cscs_eval.logic_model._model import LogicModel

FORMATS = ("svg", "png", "html", "md", "docx")

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


# --- outputs ------------------------------------------------------------------------------------

def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode()


def _context(model: LogicModel, figures=()) -> dict:
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
        "strategy_rows": _strategy_rows(strategies),
        # one entry per figure: the SVG as a data URI and the links it shows
        "figures": [{"data_uri": _svg_data_uri(svg), "links": _links_text(numbers), "n": len(figures)}
                    for svg, numbers in figures],
        "n_local": sum(s.is_local for s in model.strategies),
    }


def _strategy_rows(strategies) -> list:
    return [["" if v is None or str(v) == "<NA>" else str(v) for v in r]
            for r in strategies.astype(object).itertuples(index=False)]


def _links_text(numbers) -> str:
    from cscs_eval.logic_model._draw import link_label

    return ("link " if len(numbers) == 1 else "links ") + link_label(numbers).replace(",", ", ")


def figure_bytes(fig, fmt: str) -> bytes:
    """A drawn figure as SVG (text kept as text, so it zooms sharply and can be searched) or PNG bytes."""
    import matplotlib

    buffer = io.BytesIO()
    # A fixed salt and no date: the same model gives the same SVG bytes on every run.
    with matplotlib.rc_context({"svg.hashsalt": "cscs-eval", "svg.fonttype": "none"}):
        fig.savefig(buffer, format=fmt, dpi=150 if fmt == "png" else None, facecolor="white",
                    metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def _figure_bytes(model: LogicModel, fmt: str, **draw_options) -> bytes:
    """The figure as SVG or PNG bytes."""
    from cscs_eval.logic_model._draw import draw

    return figure_bytes(draw(model, **draw_options), fmt)


def _pages(model: LogicModel, fmt: str) -> list:
    """``(bytes, link numbers)`` for each figure :func:`draw_pages` makes of the model."""
    from cscs_eval.logic_model._draw import draw_pages

    return [(figure_bytes(fig, fmt), numbers) for fig, numbers in draw_pages(model)]


def _html(model: LogicModel, *, figure: bool = True, template_dir=None) -> str:
    """A self-contained HTML page: the figure (zoomable SVG, full width) and the links table.

    All text from the model is escaped (Jinja2 autoescape); the figure is embedded as an
    ``<img>`` data URI, so nothing in it can run as script.
    """
    from cscs_eval.reporting.templates import environment

    # The page has the title already; the figures leave it out.
    figures = [(data.decode("utf-8"), numbers) for data, numbers in _pages(model, "svg")] if figure else []
    template = environment(template_dir, folder="logic_model").get_template("logic_model.html.j2")
    return template.render(_context(model, figures))


def _markdown(model: LogicModel, *, template_dir=None) -> str:
    """The model as Markdown: title, intervention and the links table (cells escaped by the 'md' filter)."""
    from cscs_eval.reporting.templates import environment

    template = environment(template_dir, folder="logic_model").get_template("logic_model.md.j2")
    return template.render(_context(model))


def _docx(model: LogicModel, *, figure: bool = True, reference=None):
    """A Word document on landscape A4: title, intervention, the figure and the links and strategies tables."""
    from cscs_eval.io import xml_safe
    from cscs_eval.reporting import word

    doc = word.new_document(reference, landscape=True)
    doc.add_heading(xml_safe(model.title), level=1)  # XML cannot hold a pasted vertical tab: a space instead
    if figure:
        from cscs_eval.logic_model._draw import draw_pages

        pages = draw_pages(model)
        for k, (fig, numbers) in enumerate(pages, 1):
            part = f" ({k} of {len(pages)}: {_links_text(numbers)})" if len(pages) > 1 else ""
            # At its drawn width, so the text prints at the size it was drawn (8 points or more).
            word.add_figure(doc, figure_bytes(fig, "png"), width_in=fig.get_size_inches()[0], shrink=False,
                            caption=f"Figure{part}: Implementation Research Logic Model. Numbers on the arrows are "
                                    "the links in the table below.")
    if model.intervention:
        doc.add_paragraph(xml_safe(f"Intervention: {model.intervention}"))
    if model.description:
        doc.add_paragraph(xml_safe(model.description))
    doc.add_heading("Links", level=2)
    table = to_table(model)
    word.add_table(doc, list(table.columns), [list(r) for r in table.astype(str).itertuples(index=False)])
    doc.add_heading("Strategies", level=2)
    strategies = strategies_table(model)
    word.add_table(doc, list(strategies.columns), _strategy_rows(strategies))
    return doc


def render(model: LogicModel, *, to: str | None = None, out=None, figure: bool = True, template_dir=None,
           reference=None):
    """Render a logic model as ``svg``, ``png``, ``html``, ``md`` or ``docx``.

    Parameters
    ----------
    model
        The logic model.
    to
        The output format; by default from the extension of ``out``.
    out
        File to write (atomically). Required for ``docx``.
    figure
        Put the figure in HTML and Word (the tables are always there).
    template_dir
        A folder with your own ``logic_model.html.j2`` and ``logic_model.md.j2``.
    reference
        A Word file whose styles the ``docx`` output uses (a trust's template).

    Returns
    -------
    str or bytes or pathlib.Path
        The text (svg, html, md) or PNG bytes when ``out`` is None, else the path written.
    """
    from cscs_eval.io import atomic_path, output_format, write_text

    fmt = output_format(to, out, FORMATS, needs_file=("docx",))
    if fmt == "docx":
        from cscs_eval.reporting import word

        return word.save(_docx(model, figure=figure, reference=reference), out)
    if fmt in ("svg", "png"):
        data = _figure_bytes(model, fmt)
        if out is None:
            return data.decode("utf-8") if fmt == "svg" else data
        with atomic_path(out) as tmp:
            Path(tmp).write_bytes(data)
        return Path(out)
    text = _html(model, figure=figure, template_dir=template_dir) if fmt == "html" else \
        _markdown(model, template_dir=template_dir)
    return text if out is None else write_text(text, out)
