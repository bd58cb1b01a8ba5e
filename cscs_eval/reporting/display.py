"""What a notebook shows in its report: tables, figures and sentences.

Each helper displays a rich output that JupyterLab shows as it is and that the report
renderer (:mod:`cscs_eval.reporting.document`) turns into HTML and Word. Tables and figures
also carry their content as JSON under a cscs-eval MIME type, so the Word version gets a
real table and a captioned figure rather than a screenshot.
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers

from cscs_eval.reporting.labels import category, label
from cscs_eval.stats import format_number

TABLE_MIME = "application/vnd.cscs-eval.table+json"
FIGURE_MIME = "application/vnd.cscs-eval.figure+json"
MISSING = "–"



def _format_value(value, decimals: int) -> str:
    if value is None:
        return MISSING
    if isinstance(value, str):
        return category(value)  # a code (reqol10, not known) as people name it
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        if math.isnan(value):
            return MISSING
        if float(value).is_integer() and decimals == 0:
            return f"{int(value):,}"
        return format_number(value, decimals=decimals, thousands=True)
    if hasattr(value, "strftime"):
        try:
            return value.strftime("%d %b %Y")
        except ValueError:
            return MISSING
    text = str(value)
    return MISSING if text in ("nan", "NaT", "<NA>", "None") else text


def format_table(df, *, decimals: int = 1, counts=(), rates=None, suppress: bool = True, labels=None):
    """Return ``df`` as strings ready to read: rounded numbers, suppressed cells, labelled columns.

    Parameters
    ----------
    df
        The table; its index is dropped (turn a meaningful index into a column first). A published
        table (:class:`~cscs_eval.governance.ProtectedTable`) is formatted as it is; :func:`format_published`
        also gives its structure with the headings.
    decimals
        Decimal places for non-integer numbers; integer-valued columns stay whole.
    counts, rates, suppress
        Small-number suppression of the ``counts`` columns and of the ``rates`` that depend
        on them (rate column -> (numerator, denominator)), as
        :func:`cscs_eval.governance.suppress_table` applies it; on unless ``suppress=False``.
    labels
        Column headings to use instead of the column names (others are humanised).

    Examples
    --------
    >>> import pandas as pd
    >>> format_table(pd.DataFrame({"team": ["A"], "n_paired": [12], "mean_change": [2.345]}))
      Team Paired referrals Mean change
    0    A               12         2.3
    """
    import pandas as pd

    from cscs_eval.governance import suppress_table

    table = getattr(df, "table", df).reset_index(drop=True)
    if counts or rates:
        table = suppress_table(table, counts=counts, rates=rates, suppress=suppress)
    out = pd.DataFrame(index=table.index)
    for col in table.columns:
        series = table[col]
        values = series.dropna()
        integral = pd.api.types.is_integer_dtype(series) or (
            pd.api.types.is_float_dtype(series) and len(values) > 0
            and bool(values.map(float.is_integer).all()))
        places = 0 if integral else decimals
        out[col] = [_format_value(v, places) for v in series.astype(object)]
    labels = labels or {}
    out.columns = [labels.get(c, label(c)) for c in table.columns]
    return out


def format_published(published, *, decimals: int = 1, labels=None):
    """A published table (:class:`~cscs_eval.governance.ProtectedTable`) ready to read, with its
    structure naming the headings: ``(formatted DataFrame, TableStructure)``, what :func:`show_table`
    embeds in the report so that ``cscs-eval audit`` can read the table back."""
    formatted = format_table(published.table, decimals=decimals, labels=labels)
    by_label = {head: col for col, head in published.structure.labels}  # a table whose columns are labels already
    headings = {by_label.get(c, c): head for c, head in zip(published.table.columns, formatted.columns)}
    return formatted, published.structure.replace(labels=headings)


def table_html(columns, rows, *, caption=None, source=None, structure=None) -> str:
    """HTML for an already formatted table (column labels and rows of text); every cell is escaped.

    ``structure`` (a table structure's dict, as a table payload carries it) is embedded before the
    table (:func:`cscs_eval.governance.structure_script`), so ``cscs-eval audit`` can read it."""
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for values in rows:
        cells = "".join(
            f"<td class='{'num' if is_numeric_text(v) else 'txt'}'>{html.escape(str(v))}</td>" for v in values)
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    foot = f"<p class='source'>Source: {html.escape(source)}</p>" if source else ""
    script, attr = "", ""
    if structure:
        from cscs_eval.governance import TableStructure, structure_script

        st = TableStructure.from_dict(structure)
        script = structure_script(st)
        attr = f" data-table-id='{html.escape(st.table_id, quote=True)}'"
    return (f"<div class='cscs-table'>{script}<table{attr}>{cap}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{foot}</div>")


def is_numeric_text(value: str) -> bool:
    """True for a formatted number, percentage or suppressed cell, which tables right-align."""
    text = str(value).replace(",", "").replace("%", "").strip()
    if text in ("*", MISSING):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def show_table(df, *, caption: str, source: str | None = None, counts=(), rates=None, suppress: bool = True,
               decimals: int = 1, labels=None, note: str | None = None, structure=None):
    """Display a readable table with a caption in a notebook and in its report.

    Parameters
    ----------
    df
        The table to show (its index is not shown).
    caption
        What the table shows, in a sentence.
    source
        Where the data come from (a file, an extract, a publication).
    counts, rates, suppress, decimals, labels
        As :func:`format_table`: name the count columns (and the rates built on them) and
        they are published under the small-number rules unless ``suppress=False``.
    note
        A line under the table; a suppressed table gets the note saying what ``*`` means.
    structure
        The structure of ``df`` when it is a published table already formatted (what
        :func:`format_published` gives); or pass the :class:`~cscs_eval.governance.ProtectedTable`
        itself as ``df``. Embedded in the report so that ``cscs-eval audit`` can check it. A table
        not for publication says so in its note.
    """
    from IPython.display import display

    from cscs_eval.governance import NOT_FOR_PUBLICATION, SUPPRESSION_NOTE

    published = structure
    if hasattr(df, "structure") and hasattr(df, "table"):  # a published table (ProtectedTable)
        note = df.note if note is None else note
        formatted, published = format_published(df, decimals=decimals, labels=labels)
    else:
        formatted = format_table(df, decimals=decimals, counts=counts, rates=rates, suppress=suppress, labels=labels)
    if suppress and (counts or rates) and note is None:
        note = SUPPRESSION_NOTE
    if (not suppress and (counts or rates)) or (published is not None and not published.suppressed):
        note = note if note and NOT_FOR_PUBLICATION in note else NOT_FOR_PUBLICATION + (f". {note}" if note else "")
    payload = {
        "caption": caption,
        "source": source,
        "note": note,
        "columns": list(formatted.columns),
        "rows": formatted.astype(str).values.tolist(),
    }
    if published is not None:
        payload["structure"] = published.to_dict()
    body = table_html(payload["columns"], payload["rows"], caption=caption, source=source,
                      structure=payload.get("structure"))
    if note:
        body += f"<p class='note'>{html.escape(note)}</p>"
    display({TABLE_MIME: payload, "text/html": body, "text/plain": caption}, raw=True)


#: Screen pixels per inch of a figure: a 7.5-inch figure shows 720 px wide in JupyterLab (its PNG,
#: at FIGURE_DPI, stays sharp on high-density screens) and never wider than the notebook.
SCREEN_PX_PER_INCH = 96
FIGURE_DPI = 150


def figure_html(png: str, *, caption: str, source: str | None = None, alt: str | None = None,
                width: int | None = None) -> str:
    """The HTML JupyterLab shows for a figure: the image (at most ``width`` px, never wider than the
    notebook), then its caption and source line; every text is escaped.

    Examples
    --------
    >>> html_text = figure_html("iVBORw0KGgo=", caption="Teams <above> the line", source="PROMs", width=720)
    >>> "Teams &lt;above&gt; the line" in html_text, "Source: PROMs" in html_text, 'width="720"' in html_text
    (True, True, True)
    """
    from cscs_eval.reporting.style import GREY

    size = f' width="{int(width)}"' if width else ""
    src = (f"<br><span class='cscs-source' style='color:{GREY};font-size:0.9em'>Source: "
           f"{html.escape(source)}</span>") if source else ""
    return (f"<figure class='cscs-figure' style='margin:0.5em 0 1em 0'>"
            f"<img src='data:image/png;base64,{png}' alt='{html.escape(alt or caption, quote=True)}'{size} "
            f"style='max-width:100%;height:auto'/>"
            f"<figcaption class='cscs-caption' style='max-width:{int(width) if width else 720}px;margin-top:0.4em'>"
            f"{html.escape(caption)}{src}</figcaption></figure>")


def show_figure(fig, *, caption: str, source: str | None = None, alt: str | None = None, wide: bool = False):
    """Display a matplotlib figure with its caption and source line, embedded as PNG, then close it.

    The caption says what to see ("Teams above the line improved more than expected"). JupyterLab
    shows an HTML output: the figure sized for a screen (:data:`SCREEN_PX_PER_INCH`) with its caption
    and source under it; the report uses the PNG and the caption beside it. ``wide=True`` is for a
    figure drawn for a landscape page (the logic model): the report shows it at the page's full width
    as a zoomable SVG, and Word puts it on a landscape page at its drawn size.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    import matplotlib.text
    import matplotlib.transforms
    from IPython.display import display

    if not wide:
        fit_to_page(fig)
    # The smallest text drawn, so a report can tell what size it prints at once placed on a page.
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    min_font = min(sizes, default=None)
    buffer = io.BytesIO()
    # A wide figure is saved at exactly its drawn size (the report style's rcParams would crop it to what is
    # drawn and pad it): Word places it at that width, so its text prints at the size it was drawn.
    whole = matplotlib.transforms.Bbox([[0, 0], fig.get_size_inches()])
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches=whole if wide else "tight", facecolor="white")
    outputs = {}
    if wide:
        svg = io.BytesIO()
        # Text kept as text (sharp when zoomed), no date and a fixed salt: the same figure, the same bytes.
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "cscs-eval"}):
            fig.savefig(svg, format="svg", facecolor="white", metadata={"Date": None})
        outputs["image/svg+xml"] = svg.getvalue().decode("utf-8")
    plt.close(fig)
    raw = buffer.getvalue()
    png = base64.b64encode(raw).decode("ascii")
    width = _png_width(raw) * SCREEN_PX_PER_INCH // FIGURE_DPI or None
    payload = {"caption": caption, "source": source, "alt": alt or caption, "min_font_pt": min_font}
    if wide:
        payload["wide"] = True
        payload["width_in"] = float(fig.get_size_inches()[0])
    text = caption + (f"\nSource: {source}" if source else "")
    display({FIGURE_MIME: payload, "text/html": figure_html(png, caption=caption, source=source, alt=alt,
                                                           width=width),
             "image/png": png, **outputs, "text/plain": text},
            metadata={"image/png": {"width": width}} if width else None, raw=True)


def fit_to_page(fig, width_in: float | None = None) -> None:
    """Make a figure no wider than an A4 page's text (labels and legends included), keeping its height.

    Word places a figure at the page's width, so one drawn wider prints its text smaller than it was
    drawn (a 9 in chart's 8 pt labels print at under 6 pt). Narrowing the figure instead, with a
    layout that fits labels inside it, keeps every label at the size it was drawn.
    """
    import textwrap

    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    from cscs_eval.reporting.word import PORTRAIT_WIDTH_IN

    # the PNG keeps a margin of savefig's pad_inches on each side of what is drawn, and saving measures the
    # drawing a little wider than a draw without rendering does (0.05 in is to spare for that)
    width_in = (width_in or PORTRAIT_WIDTH_IN) - 2 * rcParams["savefig.pad_inches"] - 0.05
    if fig.get_layout_engine() is None:
        fig.set_layout_engine("constrained")
        axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        if len(axes) == 1 and axes[0].get_title(loc="left") and not fig.get_suptitle():
            # A left-aligned title starts over the plot, right of the axis labels, and the layout would
            # narrow the plot until the title fits beside them: it reads from the figure's left edge instead.
            size = FontProperties(size=rcParams["axes.titlesize"]).get_size_in_points()
            # wrapped to the page: a bold character is about 0.6 em wide
            title = textwrap.fill(axes[0].get_title(loc="left"), width=max(int(width_in * 72 / (0.6 * size)), 20))
            fig.suptitle(title, x=0.0, ha="left", fontsize=size, fontweight=rcParams["axes.titleweight"])
            axes[0].set_title("", loc="left")
    for _ in range(6):  # narrowing moves labels that stood outside the figure inside it: measure again
        fig.draw_without_rendering()
        drawn = fig.get_tightbbox().width
        if drawn <= width_in:
            break
        width, height = fig.get_size_inches()
        fig.set_size_inches(max(width - (drawn - width_in) - 0.02, 1.0), height)


def _png_width(raw: bytes) -> int:
    """A PNG's width in pixels, from its header."""
    return int.from_bytes(raw[16:20], "big") if raw[:8] == b"\x89PNG\r\n\x1a\n" else 0


def show_markdown(text: str):
    """Display Markdown text (sentences that quote the key numbers) in the notebook and report.

    Raw HTML inside the text is shown as text, never interpreted.
    """
    from IPython.display import display

    display({"text/markdown": text, "text/plain": text}, raw=True)
