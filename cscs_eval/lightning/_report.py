"""Reading a Lightning Report: Markdown with YAML front matter and four fixed sections.

A Lightning Report (Brown-Johnson et al., Learning Health Systems 2020) is a short rapid-feedback
report from one contact or period of an implementation evaluation: an executive summary, the
status of data collection, and findings as Plus (what is working), Delta (what needs to change)
and Insights. The file format::

    ---
    title: Lightning Report 2
    project: PROMs implementation evaluation
    period: November to December 2023
    date: 2023-12-14
    contacts: [Clinical Outcomes Lead, Programme manager]
    data_collection_status: Contact interview 2 of 5 done; baseline interviews complete.
    ---
    ## Summary
    A paragraph or two.

    ## Plus
    - Demand for training keeps growing. [[Access to Knowledge & Information +2]]

    ## Delta
    - The new record system is late again. [[Information Technology Infrastructure -2 | go-live moved]]

    ## Insights
    - Keep a paper fallback ready.

Bullets carry CFIR codes in the coded-notes syntax of :func:`cscs_eval.cfir.parse_inline_codes`.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from cscs_eval.errors import InputError

__all__ = ["Code", "Item", "LightningReport", "read_report", "parse_report", "SECTIONS", "REQUIRED_FIELDS"]

#: The sections of a Lightning Report, in order.
SECTIONS = ("summary", "plus", "delta", "insights")
SECTION_TITLES = {"summary": "Summary", "plus": "Plus", "delta": "Delta", "insights": "Insights"}

#: Heading texts (lower case, before any ':' or '(') accepted for each section.
_HEADINGS = {"summary": "summary", "executive summary": "summary", "plus": "plus", "pluses": "plus",
             "delta": "delta", "deltas": "delta", "insights": "insights", "insight": "insights"}

#: Front-matter fields every report must have.
REQUIRED_FIELDS = ("title", "project", "period", "date", "contacts", "data_collection_status")

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(.*)$")


@dataclass(frozen=True)
class Code:
    """One CFIR code on a bullet: construct id and name, rating (+2 ... -2, X, M) and memo."""

    construct_id: str
    construct: str
    rating: str
    memo: str | None = None
    written: str = ""  # the construct as the evaluator typed it

    @property
    def label(self) -> str:
        return self.construct if self.rating == "M" else f"{self.construct} {self.rating}"


@dataclass(frozen=True)
class Item:
    """A bullet (or a Summary paragraph): its text without codes, its codes and its line in the file."""

    section: str
    text: str
    codes: tuple = ()
    line: int | None = None


@dataclass
class LightningReport:
    """One Lightning Report as read from its file."""

    title: str
    project: str
    period: str
    date: _dt.date
    contacts: list
    data_collection_status: str
    summary: list = field(default_factory=list)
    plus: list = field(default_factory=list)
    delta: list = field(default_factory=list)
    insights: list = field(default_factory=list)
    path: Path | None = None
    meta: dict = field(default_factory=dict)

    def items(self, section: str | None = None) -> list:
        """All items, or those of one section (``summary``, ``plus``, ``delta``, ``insights``)."""
        if section is not None:
            return list(getattr(self, section))
        return [i for s in SECTIONS for i in getattr(self, s)]

    def codes(self):
        """One row per code: ``section, line, text, construct_id, construct, rating, memo``."""
        import pandas as pd

        rows = [{"section": i.section, "line": i.line, "text": i.text, "construct_id": c.construct_id,
                 "construct": c.construct, "rating": c.rating, "memo": c.memo}
                for i in self.items() for c in i.codes]
        return pd.DataFrame(rows, columns=["section", "line", "text", "construct_id", "construct", "rating", "memo"])

    def coding_sheet(self, *, case: str | None = None):
        """The report's codes as a CFIR coding sheet (``case, source, excerpt, construct, rating, memo``).

        ``case`` defaults to the project; ``source`` is the file name (or the title).
        """
        import pandas as pd

        source = self.path.name if self.path else self.title
        rows = [{"case": case or self.project, "source": source, "excerpt": i.text, "construct": c.construct_id,
                 "rating": c.rating, "memo": c.memo, "theme": SECTION_TITLES[i.section]}
                for i in self.items() for c in i.codes]
        return pd.DataFrame(rows, columns=["case", "source", "excerpt", "construct", "rating", "memo", "theme"])


def read_report(path, *, aliases=None) -> LightningReport:
    """Read a Lightning Report from a Markdown file.

    Parameters
    ----------
    path
        The ``.md`` file (UTF-8).
    aliases
        Local construct names for :func:`cscs_eval.cfir.resolve_construct` (a YAML path or dict).

    Returns
    -------
    LightningReport

    Raises
    ------
    InputError
        Missing front matter or fields, a date that is not a date, an unknown, repeated or
        missing section, text outside a section, or an unknown CFIR construct; each names the
        file and line.
    """
    from cscs_eval.io import read_text

    path = Path(path)
    report = parse_report(read_text(path), file=path, aliases=aliases)
    report.path = path
    return report


def _field_line(lines, key, default):
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for n, line in enumerate(lines, 1):
        if pattern.match(line):
            return n
    return default


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    return str(value).strip()


def _front_matter(text, file):
    """The front matter (every required field present) and the file's lines."""
    from cscs_eval.io import split_front_matter

    front = split_front_matter(text, file=file, required=False)
    if front.body_line == 1:
        raise InputError("a Lightning Report starts with YAML front matter between '---' lines "
                         f"({', '.join(REQUIRED_FIELDS)})", file=file, row=1)
    meta = front.meta
    missing = [k for k in REQUIRED_FIELDS if k not in meta or meta[k] in (None, "", [])]
    if missing:
        raise InputError(f"front matter lacks {', '.join(missing)}; a Lightning Report needs "
                         f"{', '.join(REQUIRED_FIELDS)}", file=file, row=front.body_line - 1)
    return front


def _resolve_codes(text, *, section, line, file, aliases):
    import cscs_eval.cfir as cfir

    clean, raw = cfir.parse_inline_codes(text, file=file, line=line)
    codes = []
    for written, rating, memo in raw:
        try:
            construct_id = cfir.resolve_construct(written, aliases=aliases)
        except InputError as exc:
            raise InputError(f"in {SECTION_TITLES[section]}: {exc.message}", file=file, row=line) from None
        codes.append(Code(construct_id, cfir.construct_info(construct_id)["name"], rating or "M", memo, written))
    return Item(section, clean, tuple(codes), line)


def parse_report(text: str, *, file=None, aliases=None) -> LightningReport:
    """Parse the text of a Lightning Report (see :func:`read_report`); ``file`` names it in errors."""
    from cscs_eval.dates import parse_date

    file = str(file) if file is not None else "<lightning report>"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    front = _front_matter(text, file)
    meta = front.meta
    lines = text.split("\n")
    end = front.body_line - 2  # the closing '---' line, as an index into lines
    date = parse_date(meta["date"], file=file, row=_field_line(lines[1:end], "date", 0) + 1, column="date")

    # Split the body into sections by heading.
    sections: dict = {}
    heading_line: dict = {}
    current = None
    for n in range(end + 1, len(lines)):
        line, lineno = lines[n], n + 1
        m = _HEADING.match(line)
        if m:
            name = m.group(2).strip()
            key = re.split(r"\s*[:(\u2013\u2014]\s*|\s+-\s+", name.lower(), maxsplit=1)[0].strip()
            if key not in _HEADINGS:
                raise InputError(f"unknown section {name!r}; a Lightning Report has the sections "
                                 f"{', '.join(SECTION_TITLES.values())}", file=file, row=lineno)
            current = _HEADINGS[key]
            if current in sections:
                raise InputError(f"section {SECTION_TITLES[current]} appears twice (first on line "
                                 f"{heading_line[current]})", file=file, row=lineno)
            sections[current] = []
            heading_line[current] = lineno
            continue
        if current is None:
            if line.strip():
                raise InputError("text before the first section; start the body with '## Summary'",
                                 file=file, row=lineno)
            continue
        sections[current].append((lineno, line))
    missing = [s for s in SECTIONS if s not in sections]
    if missing:
        first = missing[0]
        later = [heading_line[s] for s in SECTIONS[SECTIONS.index(first) + 1:] if s in heading_line]
        where = min(later) if later else len(lines)
        raise InputError(f"missing section(s) {', '.join(SECTION_TITLES[s] for s in missing)}; a Lightning Report "
                         f"has the sections {', '.join(SECTION_TITLES.values())} (as '## Plus' headings)",
                         file=file, row=where)

    parsed = {}
    for section in SECTIONS:
        # An item starts at a bullet, or at a paragraph after a blank line; other lines continue it.
        chunks, previous_blank = [], True
        for lineno, line in sections[section]:
            bullet = _BULLET.match(line)
            if bullet:
                chunks.append((lineno, [bullet.group(1).strip()]))
            elif line.strip():
                if previous_blank or not chunks:
                    chunks.append((lineno, [line.strip()]))
                else:
                    chunks[-1][1].append(line.strip())
            previous_blank = not line.strip()
        items = [_resolve_codes(" ".join(parts), section=section, line=lineno, file=file, aliases=aliases)
                 for lineno, parts in chunks]
        parsed[section] = [i for i in items if i.text or i.codes]

    contacts = meta["contacts"]
    if isinstance(contacts, str):
        contacts = [c.strip() for c in re.split(r"[;\n]", contacts) if c.strip()]
    elif isinstance(contacts, (list, tuple)):
        contacts = [_as_text(c) for c in contacts if _as_text(c)]
    else:
        contacts = [_as_text(contacts)]
    return LightningReport(
        title=_as_text(meta["title"]), project=_as_text(meta["project"]), period=_as_text(meta["period"]),
        date=date, contacts=contacts, data_collection_status=_as_text(meta["data_collection_status"]),
        summary=parsed["summary"], plus=parsed["plus"], delta=parsed["delta"], insights=parsed["insights"],
        path=None, meta=meta)
