"""Programme progress: task tallies by workstream, percentages, RAG status and checks.

The board report this follows (``data/public/README.md``) shows, for each workstream, how many
tasks ("outputs") are complete, on track, delayed, no longer needed and not started, each with
its percentage of the workstream's total, and a programme total. :func:`summarise` rebuilds that
table from a task register or from the tallies themselves and checks the published figures:
the checks report findings, they never stop the table being made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from cscs_eval.errors import InputError, UsageError
from cscs_eval.results import Result
from cscs_eval.stats import format_number

__all__ = ["STATUSES", "STATUS_LABELS", "SUMMARY_COLUMNS", "ProgressSummary", "Findings", "normalise_status",
           "read_progress", "tally", "summarise", "load_rag_rules", "rag_status", "check_headlines", "check_shares",
           "percent"]

#: The task statuses, in the board report's column order.
STATUSES = ("complete", "on_track", "delayed", "not_needed", "not_started")

#: Labels for tables and figures.
STATUS_LABELS = {"complete": "Complete", "on_track": "On track", "delayed": "Delayed",
                 "not_needed": "Not needed", "not_started": "Not started",
                 "complete_or_on_track": "Complete or on track"}

#: Measures a percentage can be reported for (the five statuses and the headline).
MEASURES = STATUSES + ("complete_or_on_track",)

#: Names (compared without case, spaces and underscores) that mark a row as the programme total
#: when the table has no ``part_of`` column.
_TOTAL_NAMES = {"total", "programmetotal", "programme", "overall"}

_OPERATORS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
              ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}

_FINDING_COLUMNS = ["check", "workstream", "row", "column", "reported", "expected", "message"]

CHECK_COUNTS = "counts add up to total"
CHECK_PERCENT = "reported percentage matches counts"
CHECK_PARTS = "workstreams add up to programme total"
CHECK_HEADLINE = "headline percentage matches counts"


#: The columns of a progress table as the board report prints them (``ProgressSummary.summary()``).
SUMMARY_COLUMNS = ["workstream", "total", "complete", "complete_pct", "on_track", "on_track_pct", "delayed",
                   "delayed_pct", "not_needed", "not_needed_pct", "not_started", "not_started_pct",
                   "complete_or_on_track", "complete_or_on_track_pct", "rag"]


@dataclass(frozen=True, repr=False, eq=False)
class ProgressSummary(Result):
    """What :func:`summarise` returns: the progress table, what its checks found, and how.

    Attributes
    ----------
    table
        One row per workstream and the programme total: counts, percentages, the
        complete-or-on-track headline and the RAG status.
    findings
        One row per problem the checks found (columns ``check, workstream, row, column,
        reported, expected, message``); empty when everything adds up.
    checks
        One row per check: ``check, n_checked, n_findings``.
    rules
        The RAG rules applied (as :func:`load_rag_rules` returns them).
    file
        The file the table was read from, or None.
    """

    table: object
    findings: object = None
    checks: object = None
    rules: dict | None = None
    file: str | None = None

    @property
    def headline(self) -> float | None:
        """The programme's complete-or-on-track percentage (unrounded), or None."""
        total = self.table[self.table["is_programme_total"]]
        if total.empty:
            return None
        return float(total["complete_or_on_track_pct_exact"].iloc[0])

    def summary(self):
        """The table as the board report prints it: counts, percentages and RAG per workstream."""
        return self.table[SUMMARY_COLUMNS]

    def text(self) -> str:
        """The headline and what the checks found, in sentences.

        Examples
        --------
        >>> import pandas as pd
        >>> summarise(pd.DataFrame({"workstream": ["A", "A", "B"], "status": ["complete", "delayed", "on track"]})
        ...           ).text()
        "67% of the programme's 3 tasks are complete or on track (RAG status Red). The counts come from a task register, so they add up."
        """
        sentences = []
        total = self.table[self.table["is_programme_total"]]
        if not total.empty and self.headline is not None:
            row = total.iloc[0]
            sentences.append(f"{format_number(self.headline, decimals=0)}% of the programme's {int(row['total'])} "
                             f"tasks are complete or on track (RAG status {row['rag']}).")
        checked = int(self.checks["n_checked"].sum())
        if checked == 0:
            sentences.append("The counts come from a task register, so they add up.")
        elif self.findings.empty:
            sentences.append(f"All {checked} checks passed: the published figures add up.")
        else:
            sentences.append(f"The checks found {len(self.findings)} point(s) where the published figures do not "
                             "add up.")
        return " ".join(sentences)


@dataclass(frozen=True, repr=False, eq=False)
class Findings(Result):
    """What :func:`check_headlines` and :func:`check_shares` return.

    Attributes
    ----------
    table
        One row per finding (columns ``check, workstream, row, column, reported, expected,
        message``); empty when every figure checked adds up.
    n_checked
        How many figures were checked.
    """

    table: object
    n_checked: int = 0

    def text(self) -> str:
        """How many figures were checked and what was found.

        Examples
        --------
        >>> import pandas as pd
        >>> overview = pd.DataFrame({"measure": ["engaged"], "n": [29], "pct_of_total": ["91"], "total": [32]})
        >>> check_shares(overview).text()
        'All 1 figure(s) checked add up.'
        """
        if self.table.empty:
            return f"All {self.n_checked} figure(s) checked add up."
        return (f"{len(self.table)} of {self.n_checked} figure(s) checked do not add up: "
                + "; ".join(self.table["message"]) + ".")


def _missing(value) -> bool:
    """None, NaN, pd.NA or NaT (pd.NA cannot be compared with itself)."""
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _key(text) -> str:
    return re.sub(r"[\s_\-]+", "", str(text).strip().lower())


_STATUS_KEYS = {_key(s): s for s in STATUSES}


def normalise_status(value, *, file=None, row=None, column="status") -> str:
    """Return the canonical status for ``value``; case, spaces, underscores and hyphens are ignored.

    Raises
    ------
    InputError
        For any other value; the message names the value and the allowed statuses.

    Examples
    --------
    >>> normalise_status("On Track"), normalise_status("not_started"), normalise_status(" COMPLETE ")
    ('on_track', 'not_started', 'complete')
    """
    key = "" if _missing(value) else _key(value)
    try:
        return _STATUS_KEYS[key]
    except KeyError:
        allowed = ", ".join(s.replace("_", " ") for s in STATUSES)
        raise InputError(f"unknown status {value!r}; allowed: {allowed} (case, spaces and underscores "
                         "are ignored)", file=file, row=row, column=column) from None


def read_progress(path):
    """Read a task register or a tally table (CSV, TSV, Excel or Parquet), all cells as text."""
    from cscs_eval.io import read_table

    return read_table(path, required=("workstream",))


def _row_of(file, i):
    """The row a user sees in ``file`` (its header on row 1) for the table's ``i``-th row; None without a file."""
    return i + 2 if file else None


def tally(register, *, workstream: str = "workstream", status: str = "status", file=None):
    """Count a task register's statuses per workstream.

    Parameters
    ----------
    register
        A DataFrame with one row per task and columns ``workstream`` and ``status``.
    workstream, status
        The column names.
    file
        The file the register was read from, named (with its row) in errors.

    Returns
    -------
    pandas.DataFrame
        ``workstream, total`` and one count column per status, workstreams in order of first appearance.

    Examples
    --------
    >>> import pandas as pd
    >>> reg = pd.DataFrame({"workstream": ["A", "A", "B"], "status": ["Complete", "on_track", "Delayed"]})
    >>> tally(reg)[["workstream", "total", "complete", "on_track", "delayed"]].to_dict("records")
    [{'workstream': 'A', 'total': 2, 'complete': 1, 'on_track': 1, 'delayed': 0}, {'workstream': 'B', 'total': 1, 'complete': 0, 'on_track': 0, 'delayed': 1}]
    """
    import pandas as pd

    for col in (workstream, status):
        if col not in register.columns:
            raise InputError(f"missing column '{col}'; a task register has columns workstream, task, status",
                             file=file)
    source = file
    statuses = []
    names = []
    for i, (ws, st) in enumerate(zip(register[workstream], register[status])):
        row = _row_of(file, i)
        if _missing(ws) or not str(ws).strip():
            raise InputError("empty workstream", file=source, row=row, column=workstream)
        names.append(str(ws).strip())
        statuses.append(normalise_status(st, file=source, row=row, column=status))
    long = pd.DataFrame({"workstream": names, "status": statuses})
    order = list(dict.fromkeys(names))
    counts = (pd.crosstab(long["workstream"], long["status"])
              .reindex(index=order, columns=list(STATUSES), fill_value=0)
              .astype(int))
    out = counts.reset_index().rename_axis(columns=None)
    out.insert(1, "total", counts.sum(axis=1).to_numpy())
    return out


def _parse_count(value, *, file, row, column) -> int:
    if _missing(value) or str(value).strip() == "":
        return 0  # spreadsheets leave zero cells empty
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"count {text!r} is not a whole number", file=file, row=row, column=column) from None
    if not number.is_integer() or number < 0:
        raise InputError(f"count {text!r} is not a whole number of tasks (0 or more)",
                         file=file, row=row, column=column)
    return int(number)


def _stated(value, *, file=None, row=None, column=None):
    """A reported percentage as (Decimal, decimals it was printed with), or None if empty.

    Text keeps its decimals (``"5"`` has 0, ``"19.0"`` has 1). A float read by a spreadsheet has
    lost them, so a whole float counts as printed with 0 decimals.
    """
    if _missing(value):
        return None
    if isinstance(value, float):
        text = repr(value)
        if value.is_integer():
            text = str(int(value))
    else:
        text = str(value).strip().rstrip("%").strip()
    if text == "":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InputError(f"percentage {value!r} is not a number", file=file, row=row, column=column) from None
    if "e" in text.lower():
        return number, 0
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return number, decimals


def percent(count: int, total: int, *, decimals: int = 1, rounding=ROUND_HALF_UP) -> Decimal | None:
    """``count / total * 100`` rounded half up (as people round by hand, not to even).

    Examples
    --------
    >>> percent(1, 21), percent(119, 163, decimals=0), percent(3, 8)
    (Decimal('4.8'), Decimal('73'), Decimal('37.5'))
    """
    if not total:
        return None
    exact = Decimal(int(count)) * 100 / Decimal(int(total))
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)


# ---------------------------------------------------------------------------------------------
# RAG rules


def load_rag_rules(*, rules=None) -> dict:
    """Load and check RAG rules: ``None`` for the shipped defaults, a YAML path, or a dict.

    See ``cscs_eval/progress/rag_rules.yaml`` for the format and the default thresholds.
    """
    from cscs_eval.io import read_yaml

    source = None
    if rules is None:
        rules = Path(__file__).with_name("rag_rules.yaml")
    if isinstance(rules, (str, Path)):
        source = str(rules)
        rules = read_yaml(rules)
    if not isinstance(rules, dict) or not isinstance(rules.get("rules"), list) or "default" not in rules:
        raise InputError("RAG rules need a list 'rules' (each with 'status' and 'any') and a 'default' status",
                         file=source)
    for n, rule in enumerate(rules["rules"], 1):
        if not isinstance(rule, dict) or "status" not in rule or not isinstance(rule.get("any"), list):
            raise InputError(f"RAG rule {n} needs 'status' and a list 'any' of [metric, operator, value]",
                             file=source)
        for cond in rule["any"]:
            if not (isinstance(cond, (list, tuple)) and len(cond) == 3):
                raise InputError(f"RAG rule {n}: condition {cond!r} is not [metric, operator, value]", file=source)
            metric, op, value = cond
            if metric not in {f"{m}_pct" for m in MEASURES}:
                allowed = ", ".join(f"{m}_pct" for m in MEASURES)
                raise InputError(f"RAG rule {n}: unknown metric {metric!r}; allowed: {allowed}", file=source)
            if op not in _OPERATORS:
                raise InputError(f"RAG rule {n}: unknown operator {op!r}; allowed: {', '.join(_OPERATORS)}",
                                 file=source)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"RAG rule {n}: threshold {value!r} is not a number", file=source)
    return rules


def rag_status(percentages: dict, *, rules=None) -> str:
    """The RAG status for one row's exact percentages (keys such as ``delayed_pct``).

    Examples
    --------
    >>> rag_status({"complete_or_on_track_pct": 73.0, "delayed_pct": 6.7})
    'Green'
    >>> rag_status({"complete_or_on_track_pct": 40.0, "delayed_pct": 0.0})
    'Red'
    """
    rules = load_rag_rules(rules=rules) if not isinstance(rules, dict) or "rules" not in rules else rules
    for rule in rules["rules"]:
        for metric, op, value in rule["any"]:
            actual = percentages.get(metric)
            if actual is not None and actual == actual and _OPERATORS[op](float(actual), float(value)):
                return str(rule["status"])
    return str(rules["default"])


# ---------------------------------------------------------------------------------------------
# summarise


def _as_frame(table, file=None, required=("workstream",)):
    """``(DataFrame, file)``: a file is read (all cells as text); a DataFrame is copied with normalised columns."""
    if isinstance(table, (str, Path)):
        from cscs_eval.io import read_table

        return read_table(table, required=required), str(table)
    if hasattr(table, "columns"):
        from cscs_eval.io import normalise_column

        df = table.copy()
        df.columns = [normalise_column(c) for c in df.columns]
        return df, None if file is None else str(file)
    raise UsageError(f"table must be a DataFrame or a file path, got {type(table).__name__}")


def _tallies_from(df, source):
    """Counts as ints, reported percentages as given, and each row's file row number."""
    missing = [c for c in STATUSES if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; a tally table has columns workstream, total, "
                         f"{', '.join(STATUSES)} (or give a task register with workstream, task, status)",
                         file=source, row=1 if source else None)
    records = []
    for i, rec in enumerate(df.to_dict("records")):
        row = _row_of(source, i)
        name = rec.get("workstream")
        if _missing(name) or not str(name).strip():
            raise InputError("empty workstream", file=source, row=row, column="workstream")
        out = {"workstream": str(name).strip(), "_row": row}
        for s in STATUSES:
            out[s] = _parse_count(rec.get(s), file=source, row=row, column=s)
        out["_total_given"] = ("total" in df.columns and not _missing(rec.get("total"))
                               and str(rec.get("total")).strip() != "")
        out["total"] = (_parse_count(rec["total"], file=source, row=row, column="total") if out["_total_given"]
                        else sum(out[s] for s in STATUSES))
        part_of = rec.get("part_of")
        out["part_of"] = str(part_of).strip() if not _missing(part_of) and str(part_of).strip() else None
        for m in MEASURES:
            col = f"{m}_pct"
            if col in df.columns:
                out[f"_reported_{m}"] = _stated(rec.get(col), file=source, row=row, column=col)
        records.append(out)
    return records


def _finding(check, workstream, row, column, reported, expected, message):
    return {"check": check, "workstream": workstream, "row": row, "column": column,
            "reported": None if reported is None else str(reported),
            "expected": None if expected is None else str(expected), "message": message}


def summarise(table, *, rules=None, headlines=None, decimals: int = 1, file=None) -> ProgressSummary:
    """Programme progress table with the board report's percentages, RAG status and checks.

    Parameters
    ----------
    table
        A task register (columns ``workstream, task, status``) or tallies (``workstream, total,
        complete, on_track, delayed, not_needed, not_started``, optionally the reported
        percentages ``complete_pct`` ... ``not_started_pct`` and ``complete_or_on_track_pct``, and
        ``part_of`` naming the row a row adds into), as a DataFrame or a file path.
    rules
        RAG rules: ``None`` for the shipped ``rag_rules.yaml``, a YAML path or a dict.
    headlines
        Optional percentages quoted in a report's text (``workstream, measure, reported_pct``),
        checked against the counts at the rounding they are quoted with.
    decimals
        Decimals of the percentages in the output table (the board report uses 1 for workstreams).
    file
        When ``table`` is a DataFrame read from a file: the file, named with its rows in errors
        and findings (a path given as ``table`` names itself).

    Returns
    -------
    ProgressSummary
        ``.table``, ``.findings`` and ``.checks``. The table has one row per workstream and the programme
        total; percentages are recomputed from the counts (``*_pct``, rounded half up) and
        ``rag`` applies ``rules``. The checks never raise for figures that do not add up:

        * *counts add up to total*: the five counts of a row sum to its total;
        * *reported percentage matches counts*: each reported percentage equals
          count / total x 100 rounded (half up) to the decimals it is printed with
          (``5`` has 0, ``5.3`` has 1); a mismatch that truncation explains says so;
        * *workstreams add up to programme total*: the rows that add into a total (``part_of``, or
          every other row when one row is named ``Total``/``Programme total``) sum to it, count by count.

        Without a total row a ``Programme total`` row is computed from the workstreams.

    Raises
    ------
    InputError
        For an unknown status (naming the row, the value and the allowed statuses), a count that
        is not a whole number, or a ``part_of`` naming no row.

    Examples
    --------
    >>> import pandas as pd
    >>> tallies = pd.DataFrame({"workstream": ["A"], "total": [21], "complete": [13], "on_track": [3],
    ...                         "delayed": [1], "not_needed": [4], "not_started": [0], "delayed_pct": ["4.7"]})
    >>> summarise(tallies).findings["message"].iloc[0]
    'delayed_pct reported 4.7 but 1/21 = 4.76% is 4.8 at 1 decimal (4.7 is the value truncated, not rounded)'
    """
    import pandas as pd

    df, source = _as_frame(table, file)
    rules = load_rag_rules(rules=rules)
    if "status" in df.columns:
        tallies = tally(df, file=source)
        records = [{**r, "_row": None, "_total_given": True, "part_of": None} for r in tallies.to_dict("records")]
    else:
        records = _tallies_from(df, source)

    names = [r["workstream"] for r in records]
    # Which row is the programme total, and which rows add into which.
    has_part_of = any(r["part_of"] for r in records)
    if has_part_of:
        for r in records:
            if r["part_of"] and r["part_of"] not in names:
                raise InputError(f"part_of names {r['part_of']!r}, which is not a workstream in this table",
                                 file=source, row=r["_row"], column="part_of")
    else:
        totals = [r for r in records if _key(r["workstream"]) in _TOTAL_NAMES]
        if len(totals) > 1:
            raise InputError(f"{len(totals)} rows are named as the programme total; keep one or add a part_of column",
                             file=source)
        if totals:
            for r in records:
                if r is not totals[0]:
                    r["part_of"] = totals[0]["workstream"]
        else:
            computed = {"workstream": "Programme total", "_row": None, "_total_given": True, "part_of": None,
                        "_computed": True}
            for s in STATUSES + ("total",):
                computed[s] = sum(r[s] for r in records)
            for r in records:
                r["part_of"] = "Programme total"
            records = [computed] + records
    parents = {r["part_of"] for r in records if r["part_of"]}
    programme = [r["workstream"] for r in records if r["workstream"] in parents and not r["part_of"]]

    findings = []
    n_checked = {CHECK_COUNTS: 0, CHECK_PERCENT: 0, CHECK_PARTS: 0}

    for r in records:
        if r.get("_computed"):
            continue
        # counts add up to total
        counted = sum(r[s] for s in STATUSES)
        if r["_total_given"] and "status" not in df.columns:
            n_checked[CHECK_COUNTS] += 1
            if counted != r["total"]:
                parts = " + ".join(str(r[s]) for s in STATUSES)
                findings.append(_finding(CHECK_COUNTS, r["workstream"], r["_row"], "total", r["total"], counted,
                                         f"counts {parts} = {counted}, not the total {r['total']} "
                                         f"(difference {r['total'] - counted:+d})"))
        # reported percentages
        for m in MEASURES:
            stated = r.get(f"_reported_{m}")
            if stated is None:
                continue
            n_checked[CHECK_PERCENT] += 1
            value, dec = stated
            count = r["complete"] + r["on_track"] if m == "complete_or_on_track" else r[m]
            expected = percent(count, r["total"], decimals=dec)
            if expected is None:
                if value != 0:
                    findings.append(_finding(CHECK_PERCENT, r["workstream"], r["_row"], f"{m}_pct", value, None,
                                             f"{m}_pct reported {value} but the total is 0"))
                continue
            if value != expected:
                exact = Decimal(count) * 100 / Decimal(r["total"])
                truncated = percent(count, r["total"], decimals=dec, rounding=ROUND_DOWN)
                why = f" ({value} is the value truncated, not rounded)" if truncated == value else ""
                findings.append(_finding(
                    CHECK_PERCENT, r["workstream"], r["_row"], f"{m}_pct", value, expected,
                    f"{m}_pct reported {value} but {count}/{r['total']} = {format_number(exact, decimals=2)}% is "
                    f"{expected} "
                    f"at {dec} decimal{'s' if dec != 1 else ''}{why}"))

    # parts add up to their total
    by_name = {r["workstream"]: r for r in records}
    order = [r["workstream"] for r in records]
    for parent in sorted(parents, key=order.index):
        parent_row = by_name[parent]
        if parent_row.get("_computed"):
            continue
        children = [r for r in records if r["part_of"] == parent]
        for col in ("total",) + STATUSES:
            n_checked[CHECK_PARTS] += 1
            summed = sum(c[col] for c in children)
            if summed != parent_row[col]:
                label = "tasks" if col == "total" else col.replace("_", " ")
                findings.append(_finding(
                    CHECK_PARTS, parent, parent_row["_row"], col, parent_row[col], summed,
                    f"the {len(children)} rows that add into {parent!r} sum to {summed} {label}, not "
                    f"{parent_row[col]} (difference {parent_row[col] - summed:+d})"))

    # the output table
    rows = []
    for r in records:
        out = {"workstream": r["workstream"], "part_of": r["part_of"],
               "is_programme_total": r["workstream"] in programme, "total": r["total"]}
        exact = {}
        for m in MEASURES:
            count = r["complete"] + r["on_track"] if m == "complete_or_on_track" else r[m]
            out[m] = count
            p = percent(count, r["total"], decimals=decimals)
            out[f"{m}_pct"] = None if p is None else float(p)
            exact[f"{m}_pct"] = (100.0 * count / r["total"]) if r["total"] else None
        out["complete_or_on_track_pct_exact"] = exact["complete_or_on_track_pct"]
        out["rag"] = rag_status(exact, rules=rules) if r["total"] else "No tasks"
        rows.append(out)
    result = pd.DataFrame(rows)
    pct_cols = [f"{m}_pct" for m in MEASURES]
    result[pct_cols] = result[pct_cols].astype("Float64")
    result["complete_or_on_track_pct_exact"] = result["complete_or_on_track_pct_exact"].astype("Float64")

    findings_df = pd.DataFrame(findings, columns=_FINDING_COLUMNS)
    if headlines is not None:
        extra = check_headlines(result, headlines=headlines)
        n_checked[CHECK_HEADLINE] = extra.n_checked
        findings_df = pd.concat([findings_df, extra.table], ignore_index=True) if len(extra.table) else findings_df
    findings_df["row"] = findings_df["row"].astype("Int64")
    checks = pd.DataFrame({"check": list(n_checked), "n_checked": list(n_checked.values()),
                           "n_findings": [int((findings_df["check"] == c).sum()) for c in n_checked]})
    return ProgressSummary(result, findings_df, checks, rules, source)


def check_headlines(table, *, headlines, file=None) -> Findings:
    """Check percentages quoted in a report's text against a summarised table's counts.

    Parameters
    ----------
    table
        What :func:`summarise` returns, or its ``table``.
    headlines
        DataFrame or path with ``workstream, measure, reported_pct`` (measure one of
        ``complete, on_track, delayed, not_needed, not_started, complete_or_on_track``).
    file
        When ``headlines`` is a DataFrame read from a file: the file, named with its rows.

    Returns
    -------
    Findings
        ``.table`` of findings (same columns as :func:`summarise`'s) and ``.n_checked``.
    """
    import pandas as pd

    table = table.table if isinstance(table, ProgressSummary) else table
    hl, source = _as_frame(headlines, file, required=("workstream", "measure", "reported_pct"))
    by_name = {w: rec for w, rec in zip(table["workstream"], table.to_dict("records"))}
    findings = []
    for i, rec in enumerate(hl.to_dict("records")):
        row = _row_of(source, i)
        measure = _key(rec["measure"])
        match = {_key(m): m for m in MEASURES}.get(measure)
        if match is None:
            raise InputError(f"unknown measure {rec['measure']!r}; allowed: {', '.join(MEASURES)}",
                             file=source, row=row, column="measure")
        stated = _stated(rec["reported_pct"], file=source, row=row, column="reported_pct")
        name = str(rec["workstream"]).strip()
        if name not in by_name:
            findings.append(_finding(CHECK_HEADLINE, name, row, match, None if stated is None else stated[0], None,
                                     f"no row named {name!r} in the table"))
            continue
        if stated is None:
            continue
        value, dec = stated
        t = by_name[name]
        count, total = int(t[match]), int(t["total"])
        expected = percent(count, total, decimals=dec)
        if expected != value:
            exact = 100.0 * count / total if total else float("nan")
            truncated = percent(count, total, decimals=dec, rounding=ROUND_DOWN)
            why = f" ({value} is the value truncated, not rounded)" if truncated == value else ""
            findings.append(_finding(CHECK_HEADLINE, name, row, match, value, expected,
                                     f"text says {value}% {match.replace('_', ' ')} but {count}/{total} = "
                                     f"{format_number(exact, decimals=2)}% is {expected} at {dec} "
                                     f"decimal{'s' if dec != 1 else ''}{why}"))
    return Findings(pd.DataFrame(findings, columns=_FINDING_COLUMNS), len(hl))


def check_shares(table, *, count: str = "n", total: str = "total", pct: str = "pct_of_total",
                 label: str = "measure", file=None) -> Findings:
    """Check a published "n and % of total" table, such as the board report's PROMs delivery overview.

    Parameters
    ----------
    table
        DataFrame or path with one row per measure.
    count, total, pct, label
        Column names of the count, its denominator, the percentage as printed, and the row label.
    file
        When ``table`` is a DataFrame read from a file: the file, named with its rows.

    Returns
    -------
    Findings
        ``.table``: findings (columns as :func:`summarise`'s, the row label in ``workstream``)
        for percentages that do not equal count / total x 100 rounded half up at their printed
        decimals, and for counts above their total; ``.n_checked`` rows were checked.

    Examples
    --------
    >>> import pandas as pd
    >>> overview = pd.DataFrame({"measure": ["engaged", "not yet"], "n": [29, 3], "pct_of_total": ["90", "9"],
    ...                          "total": [32, 32]})
    >>> check_shares(overview).table["message"].tolist()
    ['pct_of_total reported 90 but 29/32 = 90.63% is 91 at 0 decimals (90 is the value truncated, not rounded)']
    """
    import pandas as pd

    df, source = _as_frame(table, file, required=(label, count, total, pct))
    for col in (count, total, pct, label):
        if col not in df.columns:
            raise InputError(f"missing column '{col}'; found {', '.join(map(str, df.columns))}", file=source)
    findings = []
    for i, rec in enumerate(df.to_dict("records")):
        row = _row_of(source, i)
        name = str(rec[label]).strip()
        n = _parse_count(rec[count], file=source, row=row, column=count)
        d = _parse_count(rec[total], file=source, row=row, column=total)
        if n > d:
            findings.append(_finding(CHECK_COUNTS, name, row, count, n, d, f"{count} {n} is more than the total {d}"))
        stated = _stated(rec[pct], file=source, row=row, column=pct)
        if stated is None or not d:
            continue
        value, dec = stated
        expected = percent(n, d, decimals=dec)
        if expected != value:
            exact = 100.0 * n / d
            why = f" ({value} is the value truncated, not rounded)" if percent(n, d, decimals=dec, rounding=ROUND_DOWN) == value \
                else ""
            findings.append(_finding(CHECK_PERCENT, name, row, pct, value, expected,
                                     f"{pct} reported {value} but {n}/{d} = {format_number(exact, decimals=2)}% is "
                                     f"{expected} at {dec} "
                                     f"decimal{'s' if dec != 1 else ''}{why}"))
    out = pd.DataFrame(findings, columns=_FINDING_COLUMNS)
    out["row"] = out["row"].astype("Int64")
    return Findings(out, len(df))
