"""Draw a logic model in the IRLM's column layout with matplotlib.

Columns, left to right: determinants | implementation strategies | mechanisms | outcomes
(implementation, service, clinical). Each node is a box with its text wrapped inside;
each edge is an arrow labelled with the numbers of the links it belongs to. Valence is
shown by the CFIR rating sign in the text and by the box outline (solid facilitator,
dashed barrier, dotted mixed), so the figure reads in black and white.

The figure is drawn for a landscape A4 page (text 9.9 inches wide) with text of 8.5 points,
so printed or placed in Word at that width no text is smaller than 8 points; in HTML it is an
SVG that can be zoomed. :func:`draw_pages` keeps every figure within one landscape page: when
the whole model does not fit, it first shortens the boxes' text (the table beside the figure
keeps every word) and then splits the links over several figures.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from cscs_eval.errors import UsageError
from cscs_eval.logic_model._model import COLUMNS, LogicModel
from cscs_eval.reporting.style import ACCENT, DARK, LIGHT, tint

_INK = DARK
#: Box fills by column: pale grey, the strategies a pale shade of the accent, mechanisms white.
_FILL = {"determinant": LIGHT, "strategy": tint(ACCENT, 0.09), "mechanism": "white",
         "implementation": LIGHT, "service": LIGHT, "clinical": LIGHT}
_HEADINGS = ("Determinants (CFIR)", "Implementation strategies (ERIC)", "Mechanisms")
#: Landscape A4 with 2 cm margins leaves 10.1 x 6.7 inches of text; a figure keeps a little to spare,
#: and room under it for its caption and source line.
PAGE_WIDTH_IN = 9.9
PAGE_HEIGHT_IN = 5.4
#: The smallest type in the figure, in points at its drawn size (the report style's minimum).
MIN_FONT_PT = 8.0
DETAILS = ("full", "short")
_SUBHEADINGS = ("Implementation", "Service", "Clinical")

# Layout in inches.
_MARGIN = 0.2
_GAP_X = 0.42         # between columns: room for arrows and their numbers
_GAP_Y = 0.12         # least space between boxes in a column
_PAD = 0.06           # inside a box, around its text
_HEADER_H = (0.34, 0.28)
_LINE = 1.22          # line height as a multiple of the font size


def _width_pt(text: str, size: float, weight: str = "normal") -> float:
    """Width of a line of text in points, in the font matplotlib will draw it with."""
    import matplotlib

    # The report style may change the font between figures: it is part of the cache key.
    font = (tuple(matplotlib.rcParams["font.family"]), tuple(matplotlib.rcParams["font.sans-serif"][:3]))
    return _measure(text, size, weight, font)


@functools.lru_cache(maxsize=8192)
def _measure(text, size, weight, font) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=size, weight=weight),
                                                              ismath=False)
    return width


def wrap_text(text: str, width_in: float, size: float, weight: str = "normal") -> list:
    """Greedy word wrap of ``text`` to lines no wider than ``width_in`` inches at ``size`` points.

    A hyphenated word may break after a hyphen; a word longer than the line is broken across
    lines (after a hyphen where it has one).

    Examples
    --------
    >>> wrap_text("Conduct educational meetings", 1.3, 8)
    ['Conduct educational', 'meetings']
    >>> wrap_text("Patient-centeredness", 1.0, 8.5, "bold")
    ['Patient-', 'centeredness']
    """
    limit = width_in * 72 * 0.96  # a margin for hinting and rounding at low resolutions
    lines = []
    for paragraph in str(text).split("\n"):
        current = ""
        words = []
        for word in paragraph.split():
            if _width_pt(word, size, weight) > limit and "-" in word.strip("-"):
                pieces = re.findall(r"[^-]+-*|-+", word)  # "Patient-centeredness" -> "Patient-", "centeredness"
                words += pieces
            else:
                words.append(word)
        for word in words:
            while _width_pt(word, size, weight) > limit and len(word) > 1:
                # Break an over-long word (a URL, an id) at the widest prefix that fits.
                cut = max(1, max(k for k in range(1, len(word) + 1)
                                 if _width_pt(word[:k], size, weight) <= limit or k == 1))
                if current:
                    lines.append(current)
                    current = ""
                lines.append(word[:cut])
                word = word[cut:]
            trial = (f"{current}{word}" if current.endswith("-") and current[-2:-1].isalpha()
                     else f"{current} {word}") if current else word
            if current and _width_pt(trial, size, weight) > limit:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
    return lines


def _short(label: str) -> str:
    """A determinant's short name: the words before its first colon ("IT infrastructure: ...")."""
    head = str(label).split(":", 1)[0].strip()
    return head if head and len(head) < len(str(label)) else str(label)


def _box_text(node, detail: str = "full") -> list:
    """The paragraphs of a node's box as ``(text, font weight, font style)``.

    ``detail="short"`` keeps what identifies a box (a determinant's name before its colon, an
    outcome's name and measure) and drops the explanations, which the links table gives.
    """
    short = detail == "short"
    if node.kind == "determinant":
        code = f"[{node.construct}]" if node.construct and node.construct not in node.label else ""
        if short:
            return [(f"{node.symbol} {_short(node.label)} {code}".strip(), "normal", "normal")]
        return [(f"{node.symbol} {node.label}", "normal", "normal")] + ([(code, "normal", "normal")] if code else [])
    if node.kind == "strategy":
        return [(node.label, "normal", "normal")] + ([("(local strategy)", "normal", "italic")]
                                                       if node.is_local else [])
    if node.kind == "outcome":
        parts = [(node.name, "bold", "normal")]
        if node.label and node.label != node.name and not short:
            parts.append((node.label, "normal", "normal"))
        if node.measure:
            parts.append((node.measure, "normal", "italic"))
        return parts
    return [(node.label, "normal", "normal")]


def _gid(prefix, node_id) -> str:
    return f"{prefix}-" + re.sub(r"[^0-9A-Za-z_-]", "_", str(node_id))


def _scale_ranks(columns) -> dict:
    return {n.id: (i + 0.5) / len(col) for col in columns for i, n in enumerate(col)}


def _order(model, order):
    columns = [[] for _ in COLUMNS]
    for node in model.nodes.values():
        columns[model.column(node)].append(node)
    if order == "file":
        return columns
    preds: dict = {}
    for src, dst, _ in model.edges():
        preds.setdefault(dst, []).append(src)
    pos = _scale_ranks(columns[:1])
    for c in range(1, len(columns)):
        def key(item):
            i, node = item
            known = [pos[p] for p in preds.get(node.id, ()) if p in pos]
            return (sum(known) / len(known) if known else 2.0, i)
        columns[c] = [n for _, n in sorted(enumerate(columns[c]), key=key)]
        pos.update(_scale_ranks([columns[c]]))
    return columns


def subset(model: LogicModel, numbers) -> LogicModel:
    """The part of ``model`` that its links ``numbers`` use: those links and the boxes on them.

    Examples
    --------
    >>> from cscs_eval.logic_model import read_logic_model
    >>> from cscs_eval.io import resolve_path
    >>> part = subset(read_logic_model(resolve_path("data/sample/logic_model.yaml")), [1, 2])
    >>> [link.number for link in part.links], [d.id for d in part.determinants]
    ([1, 2], ['D1'])
    """
    wanted = {int(n) for n in numbers}
    links = tuple(link for link in model.links if link.number in wanted)
    used = {i for link in links for i in link.node_ids}
    keep = {name: tuple(n for n in getattr(model, name) if n.id in used)
            for name in ("determinants", "strategies", "mechanisms", "outcomes")}
    return dataclasses.replace(model, links=links, **keep)


def draw_pages(model: LogicModel, *, width: float = PAGE_WIDTH_IN, height: float = PAGE_HEIGHT_IN,
               fontsize: float = 8.5, title: bool = False) -> list:
    """The logic model as figures that each fit a ``width`` x ``height`` inch page at full size.

    The whole model with every word comes first; if it is too tall, the boxes' text is shortened
    (``detail="short"``: the links table keeps every word), then set at 8 points; if that is
    still too tall, the links are split, in order, over as few figures as fit, each figure
    holding whole links and every box on them. Text is never smaller than 8 points.

    Returns
    -------
    list of (matplotlib.figure.Figure, tuple of link numbers)
        Each figure with the numbers of the links it shows (every link of the model, once).
    """
    if fontsize < MIN_FONT_PT:
        raise UsageError(f"fontsize must be at least {MIN_FONT_PT:g} points so the figure prints legibly, "
                         f"got {fontsize}")
    numbers = tuple(link.number for link in model.links)
    tries = [("full", fontsize), ("short", fontsize)] + ([("short", MIN_FONT_PT)] if fontsize > MIN_FONT_PT else [])
    for detail, size in tries:
        fig = draw(model, width=width, fontsize=size, title=title, detail=detail)
        if fig.get_size_inches()[1] <= height or len(numbers) <= 1:
            return [(fig, numbers)]
    fontsize = MIN_FONT_PT
    # Too tall even in short: as few figures as fit, the links shared out evenly and in order.
    for n_pages in range(2, len(numbers) + 1):
        size = -(-len(numbers) // n_pages)
        groups = [numbers[k:k + size] for k in range(0, len(numbers), size)]
        pages = [(draw(subset(model, g), width=width, fontsize=fontsize, title=title, detail="short"), g)
                 for g in groups]
        if all(fig.get_size_inches()[1] <= height for fig, _ in pages) or size == 1:
            return pages
    return pages  # pragma: no cover - the loop always returns (one link a page at worst)


def draw(model: LogicModel, *, width: float = PAGE_WIDTH_IN, fontsize: float = 8.5, order: str = "barycentre",
         title: bool = True, detail: str = "full"):
    """Draw a logic model as a matplotlib Figure in the IRLM column layout.

    Parameters
    ----------
    model
        A :class:`LogicModel`.
    width
        Figure width in inches (default: the text width of a landscape A4 page); the height
        follows from the boxes.
    fontsize
        Text size in the boxes, in points (at least 8: the smallest type, the key and the
        link numbers, is never smaller than 8 points at the figure's size).
    order
        ``"barycentre"`` places each box near the boxes that lead to it (fewer crossing
        arrows); ``"file"`` keeps the order of the file.
    title
        Print the model's title and intervention above the columns.
    detail
        ``"full"`` writes every box's text; ``"short"`` drops the explanations the links table
        gives (see :func:`draw_pages`, which picks it when the full figure is too tall).

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot; save it with ``fig.savefig`` or show it in a notebook.

    Examples
    --------
    >>> from cscs_eval.logic_model import read_logic_model, draw
    >>> from cscs_eval.io import resolve_path
    >>> fig = draw(read_logic_model(resolve_path("data/sample/logic_model.yaml")))
    >>> fig.get_size_inches()[0]
    np.float64(9.9)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if order not in ("barycentre", "file"):
        raise UsageError(f"order must be 'barycentre' or 'file', got {order!r}")
    if detail not in DETAILS:
        raise UsageError(f"detail must be 'full' or 'short', got {detail!r}")
    if width < 8:
        raise UsageError(f"width must be at least 8 inches for six columns, got {width}")
    if fontsize < MIN_FONT_PT:
        raise UsageError(f"fontsize must be at least {MIN_FONT_PT:g} points so the figure prints legibly, "
                         f"got {fontsize}")
    n_cols = len(COLUMNS)
    inner = width - 2 * _MARGIN - (n_cols - 1) * _GAP_X
    # Determinants, strategies and mechanisms carry longer text than the outcome boxes.
    shares = (1.05, 1.05, 1.2, 0.95, 0.9, 0.85)
    col_w = [inner * s / sum(shares) for s in shares]
    col_x = [_MARGIN + sum(col_w[:i]) + i * _GAP_X for i in range(n_cols)]
    line_h = fontsize * _LINE / 72

    columns = _order(model, order)
    boxes: dict = {}
    for c, nodes in enumerate(columns):
        for node in nodes:
            lines = [(line, weight, style) for text, weight, style in _box_text(node, detail)
                     for line in wrap_text(text, col_w[c] - 2 * _PAD, fontsize, weight)]
            boxes[node.id] = {"col": c, "lines": lines, "h": len(lines) * line_h + 2 * _PAD}
    heights = [sum(boxes[n.id]["h"] for n in nodes) + (len(nodes) + 1) * _GAP_Y for nodes in columns]
    body_h = max(max(heights), 2.0)

    title_lines = []
    if title:
        title_lines = wrap_text(model.title, width - 2 * _MARGIN, 13, "bold")
        if model.intervention:
            title_lines_sub = wrap_text(model.intervention, width - 2 * _MARGIN, 9)
        else:
            title_lines_sub = []
    else:
        title_lines_sub = []
    title_h = (len(title_lines) * 13 * 1.3 + len(title_lines_sub) * 9 * 1.3) / 72 + (0.2 if title else 0)
    header_top = _MARGIN / 2 + title_h
    body_top = header_top + sum(_HEADER_H) + 0.1
    legend_at = _legend_layout(width)
    legend_h = 0.2 + legend_at[-1][1] + MIN_FONT_PT * 1.4 / 72
    total_h = body_top + body_h + legend_h

    fig = Figure(figsize=(width, total_h))
    FigureCanvasAgg(fig)  # a canvas of its own: savefig, notebooks and tests work without pyplot
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(total_h, 0)
    ax.set_axis_off()

    y = _MARGIN / 2
    for line in title_lines:
        ax.text(_MARGIN, y, line, fontsize=13, fontweight="bold", va="top", color=_INK, parse_math=False)
        y += 13 * 1.3 / 72
    for line in title_lines_sub:
        ax.text(_MARGIN, y, line, fontsize=9, va="top", color=_INK, parse_math=False)
        y += 9 * 1.3 / 72

    # Column headings: NHS blue bands with white text (dark grey with white text in print).
    band = dict(boxstyle="square,pad=0", linewidth=0, facecolor=ACCENT)
    full_h = sum(_HEADER_H)
    for c, heading in enumerate(_HEADINGS):
        ax.add_patch(FancyBboxPatch((col_x[c], header_top), col_w[c], full_h, **band))
        _centred_lines(ax, wrap_text(heading, col_w[c] - 0.1, 9, "bold"), col_x[c] + col_w[c] / 2,
                       header_top + full_h / 2, 9, color="white", weight="bold")
    out_x, out_w = col_x[3], col_x[5] + col_w[5] - col_x[3]
    ax.add_patch(FancyBboxPatch((out_x, header_top), out_w, _HEADER_H[0] - 0.03, **band))
    _centred_lines(ax, ["Outcomes"], out_x + out_w / 2, header_top + (_HEADER_H[0] - 0.03) / 2, 10,
                   color="white", weight="bold")
    for k, sub in enumerate(_SUBHEADINGS):
        c = 3 + k
        ax.add_patch(FancyBboxPatch((col_x[c], header_top + _HEADER_H[0]), col_w[c], _HEADER_H[1], **band))
        _centred_lines(ax, [sub], col_x[c] + col_w[c] / 2, header_top + _HEADER_H[0] + _HEADER_H[1] / 2,
                       MIN_FONT_PT, color="white", weight="bold")

    # Boxes, spread evenly down each column.
    for c, nodes in enumerate(columns):
        used = sum(boxes[n.id]["h"] for n in nodes)
        gap = (body_h - used) / (len(nodes) + 1) if nodes else 0
        top = body_top + gap
        for node in nodes:
            b = boxes[node.id]
            b.update(x=col_x[c], y=top, w=col_w[c])
            style = "-"
            lw = 0.9
            if node.kind == "determinant":
                style = {"facilitator": "-", "barrier": "--", "mixed": ":"}[node.valence]
                lw = 1.6 if node.strength == "strong" else 0.9
            patch = FancyBboxPatch((col_x[c], top), col_w[c], b["h"],
                                   boxstyle="round,pad=0,rounding_size=0.06", linewidth=lw, linestyle=style,
                                   edgecolor=_INK, facecolor=_FILL[COLUMNS[c]], zorder=3)
            patch.set_gid(_gid("box", node.id))
            ax.add_patch(patch)
            for k, (line, weight, fstyle) in enumerate(b["lines"]):
                # One text per line at a computed height: the box's size is exactly what was measured.
                text = ax.text(col_x[c] + _PAD, top + _PAD + (k + 0.5) * line_h, line, fontsize=fontsize,
                               fontweight=weight, fontstyle=fstyle, va="center_baseline", ha="left", color=_INK,
                               zorder=4, parse_math=False)
                text.set_gid(_gid("text", node.id) + f"-{k}")
            top += b["h"] + gap

    _draw_arrows(ax, model, boxes, fontsize, FancyArrowPatch)

    for item, (lx, ly) in zip(_LEGEND, legend_at):
        ax.text(lx, body_top + body_h + 0.12 + ly, item, fontsize=MIN_FONT_PT, va="top", color=_INK,
                parse_math=False, fontweight="bold" if item == "Key:" else "normal")
    return fig


_LEGEND = ("Key:", "++ strong facilitator", "+ weak facilitator", "−− strong barrier", "− weak barrier",
           "± mixed", "solid outline: facilitator, dashed: barrier, thick: strong",
           "numbers on arrows: links", "local strategy: not one of the 73 ERIC strategies")


def _legend_layout(width) -> list:
    """Where each key item goes: (x, y below the key's top) in inches, wrapping at the figure's width."""
    x, y, at = _MARGIN, 0.0, []
    for item in _LEGEND:
        item_w = (_width_pt(item, MIN_FONT_PT) + 12) / 72
        if x + item_w > width - _MARGIN and x > _MARGIN:
            x, y = _MARGIN, y + MIN_FONT_PT * 1.4 / 72
        at.append((x, y))
        x += item_w
    return at


def _centred_lines(ax, lines, x, y, size, *, color, weight="normal"):
    ax.text(x, y, "\n".join(lines), fontsize=size, ha="center", va="center", color=color, fontweight=weight,
            linespacing=1.15, zorder=4, parse_math=False)


def _draw_arrows(ax, model, boxes, fontsize, FancyArrowPatch):
    edges = model.edges()
    out_ports: dict = {}
    in_ports: dict = {}
    for src, dst, _ in edges:
        out_ports.setdefault(src, []).append(dst)
        in_ports.setdefault(dst, []).append(src)

    def centre(node_id):
        b = boxes[node_id]
        return b["y"] + b["h"] / 2

    def port(node_id, others, other):
        # Spread the arrows of one box side along its height, in the order of the boxes they join.
        b = boxes[node_id]
        ordered = sorted(others, key=centre)
        k = ordered.index(other)
        return b["y"] + b["h"] * (k + 1) / (len(ordered) + 1)

    geometry = []
    for src, dst, numbers in edges:
        a, b = boxes[src], boxes[dst]
        y0 = port(src, out_ports[src], dst)
        y1 = port(dst, in_ports[dst], src)
        if b["col"] > a["col"]:
            p0, p1 = (a["x"] + a["w"], y0), (b["x"], y1)
            style = "arc3,rad=0" if b["col"] == a["col"] + 1 else "arc3,rad=-0.08"
        else:
            # Within a column or backwards: leave and enter on the right-hand side, curving outside.
            p0, p1 = (a["x"] + a["w"], y0), (b["x"] + b["w"], y1)
            style = "arc3,rad=-0.5"
        ax.add_patch(FancyArrowPatch(p0, p1, arrowstyle="-|>", mutation_scale=9, linewidth=0.8, color=_INK,
                                     shrinkA=0, shrinkB=1, connectionstyle=style, zorder=2))
        geometry.append({"src": src, "dst": dst, "label": link_label(numbers), "p0": p0, "p1": p1,
                         "forward": b["col"] > a["col"]})

    # One label for a bundle of arrows that leave (or enter) one box with the same link numbers,
    # else one label per arrow; each goes where it overlaps the fewest boxes and labels.
    labels = []
    done = set()
    for end, side in (("src", "p0"), ("dst", "p1")):
        groups: dict = {}
        for k, g in enumerate(geometry):
            if k not in done and g["forward"]:
                groups.setdefault((g[end], g["label"]), []).append(k)
        for (node_id, label), members in groups.items():
            if len(members) < 2:
                continue
            done.update(members)
            x = geometry[members[0]][side][0]
            y = sum(geometry[k][side][1] for k in members) / len(members)
            step = 1 if end == "src" else -1
            labels.append((label, [(x + step * d, y) for d in (0.2, 0.32, 0.12, 0.42)]))
    for k, g in enumerate(geometry):
        if k in done:
            continue
        (x0, y0), (x1, y1) = g["p0"], g["p1"]
        labels.append((g["label"], [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
                                    for t in (0.5, 0.35, 0.65, 0.22, 0.78, 0.12, 0.88)]))

    placed = []  # label boxes (x0, y0, x1, y1) already drawn
    box_rects = [(b["x"], b["y"], b["x"] + b["w"], b["y"] + b["h"]) for b in boxes.values()]
    label_size = max(MIN_FONT_PT, fontsize - 0.5)
    for label, candidates in labels:
        lw_in = (_width_pt(label, label_size, "bold") + 6) / 72
        lh_in = (label_size * 1.25 + 4) / 72
        best = None
        for cx, cy in candidates:
            rect = (cx - lw_in / 2, cy - lh_in / 2, cx + lw_in / 2, cy + lh_in / 2)
            clash = sum(_overlap(rect, r) for r in placed) + sum(_overlap(rect, r) for r in box_rects)
            if best is None or clash < best[0]:
                best = (clash, cx, cy, rect)
            if clash == 0:
                break
        _, cx, cy, rect = best
        placed.append(rect)
        ax.text(cx, cy, label, fontsize=label_size, fontweight="bold", ha="center", va="center", color=_INK,
                zorder=5, parse_math=False, gid="link-label",
                bbox=dict(boxstyle="round,pad=0.18", facecolor="white", edgecolor=ACCENT, linewidth=0.8))


def link_label(numbers) -> str:
    """Link numbers as an arrow's label, with runs of three or more shortened.

    Examples
    --------
    >>> link_label([1, 2, 3, 4, 6]), link_label([5, 6]), link_label([7])
    ('1–4,6', '5,6', '7')
    """
    nums = sorted(set(int(n) for n in numbers))
    parts, k = [], 0
    while k < len(nums):
        j = k
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        if j - k >= 2:
            parts.append(f"{nums[k]}–{nums[j]}")
        else:
            parts.extend(str(n) for n in nums[k:j + 1])
        k = j + 1
    return ",".join(parts)


def _overlap(r1, r2) -> float:
    dx = min(r1[2], r2[2]) - max(r1[0], r2[0])
    dy = min(r1[3], r2[3]) - max(r1[1], r2[1])
    return dx * dy if dx > 0 and dy > 0 else 0.0
