"""The machine-readable structure of a published table: what each column is and how cells are linked.

Disclosure control needs to know which published numbers are counts, which are rates of which
counts, and which cells add up to which others; from that follow the linear relations an attacker
can use (the "table relations" of tau-ARGUS and sdcTable). The same code that writes a table writes
its structure, as JSON beside it (``NAME.structure.json``) or inside an HTML report.

Example: a team table with paired referrals split into three outcome categories that are shown only
as shares, a paired rate of eligible referrals, and an "All teams" row that is the sum of the teams::

    TableStructure(
        table_id="proms_by_team", key=("team",),
        counts=("eligible", "paired", "improved", "no_change", "deteriorated"),
        latent=("improved", "no_change", "deteriorated"),
        rates=(Rate("paired_pct", "paired", "eligible"),
               Rate("improved_pct", "improved", "paired"), Rate("no_change_pct", "no_change", "paired"),
               Rate("deteriorated_pct", "deteriorated", "paired")),
        parts=(Parts("paired", ("improved", "no_change", "deteriorated")),),
        group_total=GroupTotal("team", "All teams"))

A count in ``latent`` (here ``improved`` and the other categories, shown only through their shares)
is not published as a column: unknown to a reader, but bound by the relations and the rates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cscs_eval.errors import InputError

__all__ = ["Rate", "Parts", "GroupTotal", "Breakdown", "TableStructure", "STRUCTURE_VERSION"]

STRUCTURE_VERSION = 1
SCALES = {"percent": 100, "fraction": 1}
BASES = ("published", "exact")


def _pairs(value, what: str) -> tuple:
    """A mapping (or pairs) as a sorted tuple of (str, value) pairs, so the dataclass stays frozen and hashable."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, dict) else value
    try:
        return tuple((str(k), v) for k, v in items)
    except (TypeError, ValueError):
        raise InputError(f"table structure: {what} must be a mapping of column to value, got {value!r}") from None


def _names(value, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        raise InputError(f"table structure: {what} must be a list of column names, got {value!r}") from None


def _check_keys(data, allowed, what):
    if not isinstance(data, dict):
        raise InputError(f"table structure: {what} must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InputError(f"table structure: unknown key(s) {', '.join(unknown)} in {what}; "
                         f"expected some of {', '.join(allowed)}")


@dataclass(frozen=True)
class Rate:
    """A rate column: ``numerator / denominator`` on a ``scale`` ("percent" or "fraction"), published
    with ``decimals`` decimals.

    ``basis`` says which counts it was computed from: ``"published"`` (the published, rounded counts;
    what :func:`~cscs_eval.governance.protect` writes) or ``"exact"`` (the true counts; only tables that
    are not protected, whose rates pin counts down).
    """

    column: str
    numerator: str
    denominator: str
    scale: str = "percent"
    decimals: int = 1
    basis: str = "published"

    def __post_init__(self):
        if self.scale not in SCALES:
            raise InputError(f"table structure: rate {self.column!r} scale must be one of "
                             f"{', '.join(SCALES)}, got {self.scale!r}")
        if self.basis not in BASES:
            raise InputError(f"table structure: rate {self.column!r} basis must be one of "
                             f"{', '.join(BASES)}, got {self.basis!r}")
        if not isinstance(self.decimals, int) or isinstance(self.decimals, bool) or not 0 <= self.decimals <= 12:
            raise InputError(f"table structure: rate {self.column!r} decimals must be a whole number 0-12, "
                             f"got {self.decimals!r}")

    @property
    def multiplier(self) -> int:
        return SCALES[self.scale]

    def to_dict(self) -> dict:
        return {"column": self.column, "numerator": self.numerator, "denominator": self.denominator,
                "scale": self.scale, "decimals": self.decimals, "basis": self.basis}

    @classmethod
    def from_dict(cls, data) -> Rate:
        _check_keys(data, ("column", "numerator", "denominator", "scale", "decimals", "basis"), "a rate")
        try:
            return cls(column=str(data["column"]), numerator=str(data["numerator"]),
                       denominator=str(data["denominator"]), scale=data.get("scale", "percent"),
                       decimals=data.get("decimals", 1), basis=data.get("basis", "published"))
        except KeyError as exc:
            raise InputError(f"table structure: a rate needs {exc.args[0]!r}") from None


@dataclass(frozen=True)
class Parts:
    """Within each row, the count columns ``parts`` add up to the count column ``total``
    (improved + no change + deteriorated = paired)."""

    total: str
    parts: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "parts", _names(self.parts, "parts"))
        if len(self.parts) < 1:
            raise InputError(f"table structure: the parts of {self.total!r} are empty")

    def to_dict(self) -> dict:
        return {"total": self.total, "parts": list(self.parts)}

    @classmethod
    def from_dict(cls, data) -> Parts:
        _check_keys(data, ("total", "parts"), "parts")
        try:
            return cls(total=str(data["total"]), parts=data["parts"])
        except KeyError as exc:
            raise InputError(f"table structure: parts need {exc.args[0]!r}") from None


@dataclass(frozen=True)
class GroupTotal:
    """Rows are parts of a total row: in ``column``, the row labelled ``total`` holds, for every count
    (or only ``counts``), the sum of the other rows that agree with it in the remaining key columns.

    ``complete=False`` when only some of the parts are shown (a team beside all teams): the total is
    then at least the sum of the rows shown.
    """

    column: str
    total: str = "All"
    counts: tuple[str, ...] = ()
    complete: bool = True

    def __post_init__(self):
        object.__setattr__(self, "counts", _names(self.counts, "group total counts"))

    def to_dict(self) -> dict:
        return {"column": self.column, "total": self.total, "counts": list(self.counts), "complete": self.complete}

    @classmethod
    def from_dict(cls, data) -> GroupTotal:
        _check_keys(data, ("column", "total", "counts", "complete"), "a group total")
        try:
            return cls(column=str(data["column"]), total=str(data.get("total", "All")),
                       counts=data.get("counts", ()), complete=bool(data.get("complete", True)))
        except KeyError as exc:
            raise InputError(f"table structure: a group total needs {exc.args[0]!r}") from None


@dataclass(frozen=True)
class Breakdown:
    """This table breaks down one row of another table: summed over this table's rows (all but its
    own total row, and only those matching ``where``), each count in ``counts`` (this column -> the
    other table's column) equals the other table's cell in the row picked by ``row`` (and, for every
    column in ``match``, by this table's value in that column).

    Example: an ethnicity table in Queensway's report whose paired counts add up to Queensway's row of
    the team table: ``Breakdown("proms_by_team", row={"team": "Queensway"}, counts={"paired": "paired"})``.
    """

    table: str
    row: tuple = ()
    counts: tuple = ()
    match: tuple[str, ...] = ()
    where: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "row", _pairs(self.row, "breakdown row"))
        counts = self.counts
        if isinstance(counts, (list, tuple)) and counts and all(isinstance(c, str) for c in counts):
            counts = {c: c for c in counts}
        object.__setattr__(self, "counts", tuple((k, str(v)) for k, v in _pairs(counts, "breakdown counts")))
        object.__setattr__(self, "match", _names(self.match, "breakdown match"))
        object.__setattr__(self, "where", _pairs(self.where, "breakdown where"))
        if not self.counts:
            raise InputError(f"table structure: a breakdown of {self.table!r} names no counts")

    def to_dict(self) -> dict:
        return {"table": self.table, "row": dict(self.row), "counts": dict(self.counts),
                "match": list(self.match), "where": dict(self.where)}

    @classmethod
    def from_dict(cls, data) -> Breakdown:
        _check_keys(data, ("table", "row", "counts", "match", "where"), "a breakdown")
        try:
            return cls(table=str(data["table"]), row=data.get("row", {}), counts=data["counts"],
                       match=data.get("match", ()), where=data.get("where", {}))
        except KeyError as exc:
            raise InputError(f"table structure: a breakdown needs {exc.args[0]!r}") from None


@dataclass(frozen=True)
class TableStructure:
    """What a published table's columns are and how its cells are linked.

    Parameters
    ----------
    table_id
        The table's id (unique within a report; breakdowns refer to it).
    key
        Columns that identify a row (``team``, ``measure`` ...), used to name rows and match totals.
    counts
        Count columns (true counts in the data given to :func:`~cscs_eval.governance.protect`).
    latent
        Counts that are not published as columns, only through rates and relations (improved, shown
        only as a share of paired). A count absent from a published table is latent too.
    rates
        :class:`Rate` columns.
    parts
        :class:`Parts`: count columns that add up to another count column within a row.
    group_total
        :class:`GroupTotal`: a key column whose total row is the sum of the other rows.
    breakdowns
        :class:`Breakdown`: this table's rows add up to a row of another table.
    suppressed
        ``False`` when small numbers are shown (``suppress=False``): not for publication.
    secondary
        ``True`` when some ``*`` hide counts other than 1 to 4 (secondary suppression), so a reader
        cannot take every ``*`` as 1 to 4.
    labels
        Display labels of columns (column -> label), as an HTML or Word table heads them.
    """

    table_id: str
    key: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    latent: tuple[str, ...] = ()
    rates: tuple[Rate, ...] = ()
    parts: tuple[Parts, ...] = ()
    group_total: GroupTotal | None = None
    breakdowns: tuple[Breakdown, ...] = ()
    suppressed: bool = True
    secondary: bool = False
    labels: tuple = field(default=())

    def __post_init__(self):
        if not isinstance(self.table_id, str) or not self.table_id:
            raise InputError("table structure: table_id must be a non-empty string")
        for name in ("key", "counts", "latent"):
            object.__setattr__(self, name, _names(getattr(self, name), name))
        object.__setattr__(self, "rates", tuple(self.rates))
        object.__setattr__(self, "parts", tuple(self.parts))
        object.__setattr__(self, "breakdowns", tuple(self.breakdowns))
        object.__setattr__(self, "labels", tuple((k, str(v)) for k, v in _pairs(self.labels, "labels")))
        counts = set(self.counts)
        problems = []
        if len(counts) != len(self.counts):
            problems.append("a count is listed twice")
        for c in self.latent:
            if c not in counts:
                problems.append(f"latent {c!r} is not a count")
        for r in self.rates:
            for c in (r.numerator, r.denominator):
                if c not in counts:
                    problems.append(f"rate {r.column!r} refers to {c!r}, which is not a count")
            if r.column in counts:
                problems.append(f"{r.column!r} is both a count and a rate")
        for p in self.parts:
            for c in (p.total, *p.parts):
                if c not in counts:
                    problems.append(f"parts of {p.total!r} refer to {c!r}, which is not a count")
        if self.group_total is not None:
            if self.group_total.column not in self.key:
                problems.append(f"group total column {self.group_total.column!r} is not a key column")
            for c in self.group_total.counts:
                if c not in counts:
                    problems.append(f"group total refers to {c!r}, which is not a count")
        for b in self.breakdowns:
            for c, _ in b.counts:
                if c not in counts:
                    problems.append(f"breakdown of {b.table!r} refers to {c!r}, which is not a count")
            for c in b.match:
                if c not in self.key:
                    problems.append(f"breakdown match column {c!r} is not a key column")
        if problems:
            raise InputError(f"table structure {self.table_id!r}: " + "; ".join(problems))

    # ---- derived views -------------------------------------------------------------------------
    @property
    def rate_columns(self) -> tuple[str, ...]:
        return tuple(r.column for r in self.rates)

    def label(self, column: str) -> str:
        return dict(self.labels).get(column, column)

    def replace(self, **changes) -> TableStructure:
        import dataclasses

        return dataclasses.replace(self, **changes)

    # ---- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"version": STRUCTURE_VERSION, "table_id": self.table_id, "key": list(self.key),
                "counts": list(self.counts), "latent": list(self.latent), "rates": [r.to_dict() for r in self.rates],
                "parts": [p.to_dict() for p in self.parts],
                "group_total": None if self.group_total is None else self.group_total.to_dict(),
                "breakdowns": [b.to_dict() for b in self.breakdowns],
                "suppressed": self.suppressed, "secondary": self.secondary, "labels": dict(self.labels)}

    @classmethod
    def from_dict(cls, data) -> TableStructure:
        _check_keys(data, ("version", "table_id", "key", "counts", "latent", "rates", "parts", "group_total", "breakdowns",
                           "suppressed", "secondary", "labels"), "a table structure")
        version = data.get("version", STRUCTURE_VERSION)
        if version != STRUCTURE_VERSION:
            raise InputError(f"table structure: version {version!r} is not supported (expected {STRUCTURE_VERSION})")
        if "table_id" not in data:
            raise InputError("table structure: 'table_id' is missing")

        def listed(name, item):
            value = data.get(name) or []
            if not isinstance(value, list):
                raise InputError(f"table structure: {name!r} must be a list")
            return tuple(item(v) for v in value)

        group = data.get("group_total")
        return cls(table_id=data["table_id"], key=data.get("key", ()), counts=data.get("counts", ()),
                   latent=data.get("latent", ()),
                   rates=listed("rates", Rate.from_dict), parts=listed("parts", Parts.from_dict),
                   group_total=None if group is None else GroupTotal.from_dict(group),
                   breakdowns=listed("breakdowns", Breakdown.from_dict),
                   suppressed=bool(data.get("suppressed", True)), secondary=bool(data.get("secondary", False)),
                   labels=data.get("labels") or {})

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **({"indent": 2} | kwargs))

    @classmethod
    def from_json(cls, text: str, *, source=None) -> TableStructure:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"table structure is not valid JSON ({exc})", file=source) from None
        try:
            return cls.from_dict(data)
        except InputError as exc:
            if source is None:
                raise
            raise InputError(exc.message, file=source) from None
