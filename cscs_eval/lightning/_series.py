"""A series of Lightning Reports over time: recurring Plus and Delta constructs, resolved Deltas.

The resolution rule
-------------------
Reports are put in date order (ties by file name). For each CFIR construct coded under Delta,
take the *last* report in which it is a Delta. The Delta is

* **resolved, became a Plus** if the construct is coded under Plus in any later report
  (``resolved_in`` is the first such report);
* **resolved, no longer raised** otherwise, if at least ``absent_for`` later reports exist
  (default 2) and it is a Delta in none of them (``resolved_in`` is the first report
  without it);
* **open** otherwise: it is a Delta in the latest report, or too few reports have followed
  to tell.

Because the rule starts from the last Delta, a construct that came back as a Delta after
looking resolved is judged on its latest appearance. A construct is *recurring* under Plus or
Delta when it is coded there in two or more reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cscs_eval.errors import InputError, UsageError
from cscs_eval.results import Result

__all__ = ["series", "LightningSeries", "timeline", "codes", "read_reports", "RESOLUTION_RULE"]

RESOLUTION_RULE = (
    "A Delta is resolved when its construct appears under Plus in a later report (became a Plus), or when "
    "it is not a Delta in any of at least {absent_for} later reports (no longer raised); otherwise it is open. "
    "The rule starts from the construct's last Delta."
)

_SERIES_COLUMNS = ["construct_id", "construct", "domain", "n_reports", "n_plus", "n_delta", "n_insights",
                   "recurring_plus", "recurring_delta", "first_delta", "last_delta", "delta_status",
                   "resolved_how", "resolved_in", "timeline"]


def read_reports(folder_or_paths, *, aliases=None) -> list:
    """Read every Lightning Report in a folder (``*.md``, not README.md) or a list of paths, in date order."""
    from cscs_eval.lightning._report import read_report

    if isinstance(folder_or_paths, (str, Path)):
        folder = Path(folder_or_paths)
        if folder.is_dir():
            paths = sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")
            if not paths:
                raise InputError("no Lightning Reports (*.md files) in this folder", file=folder)
        elif folder.exists():
            paths = [folder]
        else:
            raise InputError("folder not found", file=folder)
    else:
        paths = [Path(p) for p in folder_or_paths]
        if not paths:
            raise UsageError("folder_or_paths is an empty list; give a folder or Lightning Report files")
    reports = [read_report(p, aliases=aliases) for p in paths]
    return sorted(reports, key=lambda r: (r.date, r.path.name if r.path else ""))


def _ensure_reports(reports_or_paths, aliases):
    if isinstance(reports_or_paths, (list, tuple)) and reports_or_paths and all(
            hasattr(r, "plus") for r in reports_or_paths):
        return sorted(reports_or_paths, key=lambda r: (r.date, r.path.name if r.path else ""))
    return read_reports(reports_or_paths, aliases=aliases)


def codes(folder_or_paths, *, aliases=None):
    """Every code of every report in date order.

    Columns ``report, date, period, file, section, line, text, construct_id, construct, rating, memo``.
    """
    import pandas as pd

    frames = []
    for n, r in enumerate(_ensure_reports(folder_or_paths, aliases), 1):
        c = r.codes()
        c.insert(0, "report", n)
        c.insert(1, "date", r.date.isoformat())
        c.insert(2, "period", r.period)
        c.insert(3, "file", r.path.name if r.path else r.title)
        frames.append(c)
    return pd.concat(frames, ignore_index=True)


def timeline(folder_or_paths, *, aliases=None):
    """One row per report in date order: ``report, date, period, title, file, n_plus, n_delta, n_insights,
    plus_constructs, delta_constructs, data_collection_status``."""
    import pandas as pd

    rows = []
    for n, r in enumerate(_ensure_reports(folder_or_paths, aliases), 1):
        def names(items):
            return "; ".join(dict.fromkeys(c.construct for i in items for c in i.codes))

        rows.append({"report": n, "date": r.date.isoformat(), "period": r.period, "title": r.title,
                     "file": r.path.name if r.path else "", "n_plus": len(r.plus), "n_delta": len(r.delta),
                     "n_insights": len(r.insights), "plus_constructs": names(r.plus),
                     "delta_constructs": names(r.delta), "data_collection_status": r.data_collection_status})
    return pd.DataFrame(rows)


def _domain(construct_id):
    import cscs_eval.cfir as cfir

    return cfir.construct_info(construct_id).get("domain", "")


@dataclass(frozen=True, repr=False, eq=False)
class LightningSeries(Result):
    """What :func:`series` returns: the constructs across a series of Lightning Reports.

    Attributes
    ----------
    table
        One row per construct coded under Plus or Delta (columns in :func:`series`).
    reports
        The reports' dates (ISO text), in the order of the ``timeline`` marks.
    absent_for
        How many later reports without a Delta count as "no longer raised".
    """

    table: object
    reports: tuple = ()
    absent_for: int = 2

    @property
    def rule(self) -> str:
        """The resolution rule in words, with this series' ``absent_for``."""
        return RESOLUTION_RULE.format(absent_for=self.absent_for)

    def open_deltas(self) -> list:
        """The constructs whose Delta is still open, open Deltas first as in the table."""
        return self.table.loc[self.table["delta_status"] == "open", "construct"].tolist()

    def summary(self):
        """Every Delta raised and whether it was resolved: ``construct, domain, first_delta, last_delta,
        delta_status, resolved_how, resolved_in``."""
        deltas = self.table[self.table["n_delta"] > 0]
        return deltas[["construct", "domain", "first_delta", "last_delta", "delta_status", "resolved_how",
                       "resolved_in"]].reset_index(drop=True)

    def text(self) -> str:
        """How many Deltas were raised across the reports, and which are still open.

        Examples
        --------
        >>> from cscs_eval.io import resolve_path
        >>> print(series(resolve_path("data/sample/lightning")).text())  # doctest: +ELLIPSIS
        Across 5 Lightning Reports, 9 concerns were raised as a Delta; 4 are still open (Information ...) and 5 resolved.
        """
        raised = int((self.table["n_delta"] > 0).sum())
        still = self.open_deltas()
        n = len(self.reports)
        sentence = (f"Across {n} Lightning Report{'s' if n != 1 else ''}, {raised} concern"
                    f"{'s were' if raised != 1 else ' was'} raised as a Delta")
        if not raised:
            return sentence + "."
        names = ", ".join(str(c) for c in still)
        return (sentence + f"; {len(still)} {'are' if len(still) != 1 else 'is'} still open"
                + (f" ({names})" if still else "") + f" and {raised - len(still)} resolved.")


def series(folder_or_paths, *, absent_for: int = 2, aliases=None):
    """Which CFIR constructs recur under Plus and Delta across reports, and which Deltas were resolved.

    Parameters
    ----------
    folder_or_paths
        A folder of Lightning Reports (``*.md``), a list of files, or a list of
        :class:`~cscs_eval.lightning.LightningReport`.
    absent_for
        How many later reports without the Delta count as "no longer raised" (see the module
        docstring for the whole rule).
    aliases
        Local construct names for :func:`cscs_eval.cfir.resolve_construct`.

    Returns
    -------
    LightningSeries
        ``.table`` has one row per construct coded under Plus or Delta: ``construct_id, construct, domain,
        n_reports`` (reports it is coded in, any section), ``n_plus, n_delta, n_insights``
        (reports it is coded in under that section), ``recurring_plus, recurring_delta`` (two or
        more reports), ``first_delta, last_delta`` (dates), ``delta_status`` (``open``,
        ``resolved`` or empty if never a Delta), ``resolved_how`` (``became a Plus`` or
        ``no longer raised``), ``resolved_in`` (date of that report) and ``timeline``: one mark per
        report in date order, ``P`` Plus, ``D`` Delta, ``PD`` both, ``.`` neither. Sorted with
        open Deltas first, then by how often the construct was a Delta and a Plus.
        ``.reports`` holds the reports' dates and ``.rule`` the resolution rule in words.
    """
    import pandas as pd

    if isinstance(absent_for, bool) or not isinstance(absent_for, int) or absent_for < 1:
        raise UsageError(f"absent_for must be a whole number of reports, 1 or more, got {absent_for!r}")
    reports = _ensure_reports(folder_or_paths, aliases)
    n = len(reports)
    presence = {}  # construct_id -> {"plus": set(i), "delta": set(i), "insights": set(i), "any": set(i)}
    names = {}
    for i, r in enumerate(reports):
        for item in r.items():
            for c in item.codes:
                p = presence.setdefault(c.construct_id, {"plus": set(), "delta": set(), "insights": set(),
                                                         "summary": set()})
                p[item.section].add(i)
                names[c.construct_id] = c.construct
    dates = [r.date.isoformat() for r in reports]
    rows = []
    for cid, p in presence.items():
        if not (p["plus"] or p["delta"]):
            continue
        status = how = resolved_in = ""
        if p["delta"]:
            last = max(p["delta"])
            later_plus = sorted(j for j in p["plus"] if j > last)
            if later_plus:
                status, how, resolved_in = "resolved", "became a Plus", dates[later_plus[0]]
            elif n - 1 - last >= absent_for:
                status, how, resolved_in = "resolved", "no longer raised", dates[last + 1]
            else:
                status = "open"
        marks = []
        for i in range(n):
            mark = ("P" if i in p["plus"] else "") + ("D" if i in p["delta"] else "")
            marks.append(mark or ".")
        rows.append({
            "construct_id": cid, "construct": names[cid], "domain": _domain(cid),
            "n_reports": len(set().union(*p.values())), "n_plus": len(p["plus"]), "n_delta": len(p["delta"]),
            "n_insights": len(p["insights"]), "recurring_plus": len(p["plus"]) >= 2,
            "recurring_delta": len(p["delta"]) >= 2,
            "first_delta": dates[min(p["delta"])] if p["delta"] else "",
            "last_delta": dates[max(p["delta"])] if p["delta"] else "",
            "delta_status": status, "resolved_how": how, "resolved_in": resolved_in,
            "timeline": " ".join(marks)})
    out = pd.DataFrame(rows, columns=_SERIES_COLUMNS)
    if len(out):
        order = out["delta_status"].map({"open": 0, "resolved": 1, "": 2})
        out = (out.assign(_o=order).sort_values(["_o", "n_delta", "n_plus", "construct_id"],
                                                 ascending=[True, False, False, True])
               .drop(columns="_o").reset_index(drop=True))
    return LightningSeries(out, tuple(dates), absent_for)
