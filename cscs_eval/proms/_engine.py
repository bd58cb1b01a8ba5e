"""The PROMs engine: validation, duplicates, scoring and pairing as relational work in DuckDB.

Every step works per row or per referral, so it is written as SQL over one typed view of the
extract and DuckDB streams it, in parallel, spilling to a private temporary folder when the data
do not fit in memory. Python only touches what is small: each *distinct* text value is parsed
once with the package's own readers (dates, numbers, measure names), the measure definitions
become small tables, and problem messages are written for the flagged rows alone.

A Parquet file is read by DuckDB directly (no pandas copy of the item rows); any other input
(a DataFrame, or CSV/Excel read as text) is parsed column by column in pandas first and then
handed over as a typed frame. The rules and their order are those of DESIGN.md, unchanged:

1. per row: missing patient_id or team, unknown or missing measure, missing, unreadable or
   future date, missing or unknown item, no total score, answer not a number, missing score,
   out of range, not a whole number;
2. duplicates among the rows without a problem: exact copies (the first is kept) and
   conflicting copies (all dropped) of one patient, referral, measure, day (or assessment_id)
   and item;
3. demographic columns in the extract must agree within a patient.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cscs_eval.errors import InputError

#: The characters Python's ``str.strip()`` removes, so that SQL trims text exactly as pandas did.
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
#: DuckDB's working-memory cap; beyond it joins and groupings spill to the private temporary folder.
MEMORY_LIMIT = os.environ.get("CSCS_EVAL_MEMORY_LIMIT", "2GB")
ID_COLUMNS = ("patient_id", "referral_id", "team")


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _clean_sql(col: str, sql_type: str) -> str:
    """Text with outer white space removed and empty text as missing (``_categorical``'s rule)."""
    expr = _q(col) if sql_type == "VARCHAR" else f"CAST({_q(col)} AS VARCHAR)"
    return f"nullif(trim({expr}, {_lit(WHITESPACE)}), '')"


@dataclass
class Engine:
    """One DuckDB connection over one extract, with its typed view ``t`` and a private spill folder.

    Use as a context manager: the connection is closed and the folder removed on leaving,
    success or failure (the folder can hold row-level patient data).
    """

    con: object
    tmp: str
    n: int
    columns: list
    source: str | None
    frame: pd.DataFrame | None  # the DataFrame given (or read), for problem values; None for Parquet
    has_score: bool
    has_item: bool
    has_aid: bool
    demo_cols: list = field(default_factory=list)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def df(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def scalar(self, sql: str):
        return self.con.execute(sql).fetchone()[0]

    def raw_values(self, column: str, pos: np.ndarray) -> np.ndarray:
        """The values of ``column`` as given, at positions ``pos`` (only flagged rows are fetched)."""
        if self.frame is not None:
            if column not in self.frame.columns:
                return np.full(len(pos), "", dtype=object)
            return self.frame[column].iloc[pos].to_numpy(dtype=object)
        raw = self.columns_raw.get(column)
        if raw is None:
            return np.full(len(pos), "", dtype=object)
        self.con.register("_want", pd.DataFrame({"pos": pos.astype(np.int64), "k": np.arange(len(pos))}))
        got = self.con.execute(f"SELECT w.k, r.{_q(raw)} AS v FROM _want w JOIN raw r ON r.file_row_number = w.pos "
                               "ORDER BY w.k").to_arrow_table()
        self.con.unregister("_want")
        return got.to_pandas()["v"].to_numpy(dtype=object)


def connect():
    import duckdb

    tmp = tempfile.mkdtemp(prefix="cscs-eval-proms-")  # mode 0700: row-level data may spill here
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": tmp,
                                 "preserve_insertion_order": False})
    return con, tmp


def _distinct_map(con, name: str, values: pd.Series, mapped: pd.DataFrame):
    """Register a small mapping table (one row per distinct raw value)."""
    con.register(name, mapped)


def open_extract(data, *, registry, aliases) -> Engine:
    """Open ``data`` (a path or a DataFrame) as the typed view ``t``:
    ``pos, patient, referral, team, measure_missing, mkey, date, date_missing, item, item_missing,
    value, value_missing, aid`` and any demographic columns."""
    from cscs_eval.io import normalise_column, table_format

    if isinstance(data, pd.DataFrame):
        df = data
        if any(c != c.strip().lower() for c in map(str, df.columns)):
            df = df.rename(columns=normalise_column)
        return _open_frame(df, None, registry, aliases)
    p = Path(data)
    if p.is_file() and p.stat().st_size and table_format(p) == "parquet":
        return _open_parquet(p, registry, aliases)
    from cscs_eval.proms._data import read_proms

    return _open_frame(read_proms(data), str(data), registry, aliases)


def _check_columns(columns, source):
    from cscs_eval.proms._data import BASE_COLUMNS

    missing = [c for c in BASE_COLUMNS if c not in columns]
    has_response, has_score = "response" in columns, "score" in columns
    if not (has_response or has_score):
        missing.append("response (item rows) or score (score rows)")
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, columns))}",
                         file=source, row=1)
    if has_response and has_score:
        raise InputError("has both 'response' and 'score' columns; give item responses or scores, not both",
                         file=source, row=1)
    return has_score


def _measure_map(con, values, aliases):
    from cscs_eval.proms._measures import normalise_key

    vals = [v for v in values if v is not None]
    con.register("_mmap", pd.DataFrame({"raw": pd.Series(vals, dtype=object),
                                        "mkey": pd.Series([aliases.get(normalise_key(v)) for v in vals],
                                                          dtype=object)}))


def _open_parquet(p: Path, registry, aliases) -> Engine:
    from cscs_eval.dates import parse_dates
    from cscs_eval.io import normalise_column
    from cscs_eval.proms._data import DEMOGRAPHIC_COLUMNS, _blank, _numbers

    con, tmp = connect()
    try:
        try:
            rel = con.read_parquet(str(p), file_row_number=True)
            raw_names, types = rel.columns, [str(t) for t in rel.types]
        except Exception as exc:  # noqa: BLE001 - any unreadable file is an input error
            raise InputError(f"not a readable parquet file ({exc})", file=p) from None
        raw_names, types = raw_names[:-1], types[:-1]  # file_row_number is last
        names = [normalise_column(c) for c in raw_names]
        source = str(p)
        has_score = _check_columns(names, source)
        rel.create_view("raw")
        n = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        if not n:
            raise InputError("has a header but no data rows", file=p)
        col = dict(zip(names, raw_names))
        typ = dict(zip(names, types))
        sel = ["file_row_number AS pos"]
        joins = []
        for name, alias in (("patient_id", "patient"), ("referral_id", "referral"), ("team", "team"),
                            ("assessment_id", "aid")):
            sel.append(f"{_clean_sql(col[name], typ[name])} AS {alias}" if name in col else f"NULL::VARCHAR AS {alias}")
        # measure: each distinct cleaned name looked up once
        m_expr = _clean_sql(col["measure"], typ["measure"])
        distinct = con.execute(f"SELECT DISTINCT {m_expr} FROM raw").fetchall()
        _measure_map(con, [r[0] for r in distinct], aliases)
        sel += [f"{m_expr} IS NULL AS measure_missing", "_mmap.mkey AS mkey"]
        joins.append(f"LEFT JOIN _mmap ON _mmap.raw = {m_expr}")
        # dates: typed columns as they are; text parsed once per distinct value
        dcol, dtyp = col["assessment_date"], typ["assessment_date"]
        if dtyp.startswith(("DATE", "TIMESTAMP")):
            sel += [f"CAST({_q(dcol)} AS DATE) AS date", f"{_q(dcol)} IS NULL AS date_missing"]
        else:
            expr = f"CAST({_q(dcol)} AS VARCHAR)" if dtyp != "VARCHAR" else _q(dcol)
            vals = pd.Series([r[0] for r in con.execute(f"SELECT DISTINCT {expr} FROM raw WHERE {expr} IS NOT NULL")
                              .fetchall()], dtype=object)
            con.register("_dmap", pd.DataFrame({"raw": vals, "d": parse_dates(vals).dt.date if len(vals) else
                                                pd.Series(dtype="datetime64[ns]"),
                                                "blank": _blank(vals) if len(vals) else np.array([], dtype=bool)}))
            sel += ["_dmap.d AS date", f"coalesce(_dmap.blank, TRUE) AS date_missing"]
            joins.append(f"LEFT JOIN _dmap ON _dmap.raw = {expr}")
        has_item = "item" in col
        value_name = "score" if has_score else "response"
        for name, alias in (("item", "item"), (value_name, "value")):
            if name not in col:
                sel += [f"NULL::DOUBLE AS {alias}", f"TRUE AS {alias}_missing"]
                continue
            c, t = col[name], typ[name]
            if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                     "UBIGINT", "FLOAT", "DOUBLE") or t.startswith("DECIMAL"):
                sel += [f"CAST({_q(c)} AS DOUBLE) AS {alias}",
                        f"({_q(c)} IS NULL OR isnan(CAST({_q(c)} AS DOUBLE))) AS {alias}_missing"]
            else:
                expr = f"CAST({_q(c)} AS VARCHAR)" if t != "VARCHAR" else _q(c)
                vals = pd.Series([r[0] for r in con.execute(f"SELECT DISTINCT {expr} FROM raw WHERE {expr} IS NOT "
                                                            "NULL").fetchall()], dtype=object)
                m = f"_nmap_{alias}"
                con.register(m, pd.DataFrame({"raw": vals, "v": _numbers(vals) if len(vals) else np.array([]),
                                              "blank": _blank(vals) if len(vals) else np.array([], dtype=bool)}))
                sel += [f"{m}.v AS {alias}", f"coalesce({m}.blank, TRUE) AS {alias}_missing"]
                joins.append(f"LEFT JOIN {m} ON {m}.raw = {expr}")
        demo_cols = [c for c in DEMOGRAPHIC_COLUMNS if c in col]
        sel += [f"{_clean_sql(col[c], typ[c])} AS {c}" for c in demo_cols]
        con.execute(f"CREATE VIEW t AS SELECT {', '.join(sel)} FROM raw {' '.join(joins)}")
        eng = Engine(con, tmp, n, names, source, None, has_score, has_item, "assessment_id" in col, demo_cols)
        eng.columns_raw = col
        return eng
    except BaseException:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _open_frame(df: pd.DataFrame, source, registry, aliases) -> Engine:
    """A DataFrame parsed column by column (each distinct value once) into a typed frame for DuckDB."""
    from cscs_eval.dates import parse_dates
    from cscs_eval.proms._data import DEMOGRAPHIC_COLUMNS, _blank, _categorical, _numbers

    has_score = _check_columns(list(df.columns), source)
    n = len(df)
    if n == 0:
        raise InputError("has a header but no data rows", file=source)

    def text(name):
        if name not in df.columns:
            return pd.Series(np.full(n, None, dtype=object))
        c = _categorical(df[name])
        return pd.Series(c.astype(object)).where(pd.notna(c), None) if len(c.categories) else \
            pd.Series(np.full(n, None, dtype=object))

    con, tmp = connect()
    try:
        measure = _categorical(df["measure"])
        _measure_map(con, list(measure.categories), aliases)
        date = parse_dates(df["assessment_date"])
        typed = {"pos": np.arange(n, dtype=np.int64), "patient": text("patient_id"), "referral": text("referral_id"),
                 "team": text("team"), "aid": text("assessment_id"),
                 "measure_raw": pd.Series(measure.astype(object)).where(pd.notna(measure), None),
                 "date": date.to_numpy(), "date_missing": _blank(df["assessment_date"])}
        value_name = "score" if has_score else "response"
        for name, alias in (("item", "item"), (value_name, "value")):
            if name in df.columns:
                typed[alias], typed[f"{alias}_missing"] = _numbers(df[name]), _blank(df[name])
            else:
                typed[alias], typed[f"{alias}_missing"] = np.full(n, np.nan), np.ones(n, dtype=bool)
        demo_cols = [c for c in DEMOGRAPHIC_COLUMNS if c in df.columns]
        for c in demo_cols:
            typed[c] = text(c)
        frame = pd.DataFrame(typed)
        for c in ("patient", "referral", "team", "aid", "measure_raw", *demo_cols):
            if frame[c].isna().all():
                frame[c] = frame[c].astype(object)
        con.register("typed", frame)
        demo_sel = "".join(f", CAST({c} AS VARCHAR) AS {c}" for c in demo_cols)
        con.execute(f"""CREATE VIEW t AS SELECT pos, CAST(patient AS VARCHAR) AS patient,
            CAST(referral AS VARCHAR) AS referral, CAST(team AS VARCHAR) AS team, CAST(aid AS VARCHAR) AS aid,
            measure_raw IS NULL AS measure_missing, _mmap.mkey AS mkey, CAST(date AS DATE) AS date, date_missing,
            CASE WHEN isnan(item) THEN NULL ELSE item END AS item, item_missing,
            CASE WHEN isnan(value) THEN NULL ELSE value END AS value, value_missing {demo_sel}
            FROM typed LEFT JOIN _mmap ON _mmap.raw = CAST(typed.measure_raw AS VARCHAR)""")
        return Engine(con, tmp, n, list(df.columns), source, df, has_score, "item" in df.columns,
                      "assessment_id" in df.columns, demo_cols)
    except BaseException:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- the rules
def _measure_tables(eng: Engine, registry: dict):
    """The measure definitions as small tables: per measure, per excluded value, per score item."""
    rows, excl, score_items, scores = [], [], [], []
    for m in registry.values():
        total = m.total
        rows.append({"mkey": m.key, "n_items": m.n_items, "item_min": float(m.item_min),
                     "item_max": float(m.item_max), "whole": bool(m.whole_numbers),
                     "has_total": total is not None,
                     "total_min": float(total.min) if total is not None else np.nan,
                     "total_max": float(total.max) if total is not None else np.nan,
                     "total_whole": bool(total is not None and m.whole_numbers and total.method == "sum"),
                     "label": m.item_label})
        for v, why in m.excluded_values.items():
            excl.append({"mkey": m.key, "v": float(v), "reason": why})
        for order, s in enumerate(m.scores):
            scores.append({"mkey": m.key, "unit": s.name, "ord": order, "method": s.method, "k": len(s.items),
                           "max_missing": int(s.max_missing or 0) if s.method != "item" else 0,
                           "rule": ("all required" if not s.max_missing else f"at most {s.max_missing} missing")})
            for i in s.items:
                score_items.append({"mkey": m.key, "unit": s.name, "item": float(i)})
        for i in m.reversed:
            excl.append({"mkey": m.key, "v": None, "reason": None, "rev": float(i)})
    con = eng.con
    con.register("_mt", pd.DataFrame(rows))
    ex = pd.DataFrame(excl, columns=["mkey", "v", "reason", "rev"])
    con.register("_ex", ex[ex["rev"].isna()][["mkey", "v", "reason"]].astype({"v": float, "reason": object}))
    con.register("_rev", ex[ex["rev"].notna()][["mkey", "rev"]].astype({"rev": float}))
    con.register("_st", pd.DataFrame(scores))
    con.register("_si", pd.DataFrame(score_items, columns=["mkey", "unit", "item"]).astype({"item": float}))


#: (flag, column, reason, message) in the order the rules are checked; a message None is written per row.
def _rules(has_score: bool, value_col: str, known: str):
    return [
        ("patient IS NULL", "patient_id", "missing patient_id", "patient_id is empty"),
        ("team IS NULL", "team", "missing team", "team is empty"),
        ("mkey IS NULL AND NOT measure_missing", "measure", "unknown measure", known),
        ("measure_missing", "measure", "missing measure", "measure is empty"),
        ("date_missing", "assessment_date", "missing date", "assessment_date is empty"),
        ("date IS NULL AND NOT date_missing", "assessment_date", "unreadable date",
         "not a date; write ISO (2024-03-05) or UK day-first (05/03/2024)"),
        ("date > _today", "assessment_date", "future date", None),
        ("_item_missing_rule", "item", "missing item", "item is empty; item response rows need the item number"),
        ("known AND NOT item_missing AND NOT item_ok", "item", "unknown item", None),
        ("_no_total_rule", "item", "no total score",
         "this measure has no total score; give the item (DIALOG) or goal (GBO) number"),
        ("known AND NOT value_missing AND value IS NULL", value_col, f"{value_col} not a number", None),
        ("_score_missing_rule", value_col, "missing score", "score is empty"),
        ("known AND value IS NOT NULL AND NOT in_range AND excl IS NULL", value_col, f"{value_col} out of range", None),
        ("known AND in_range AND whole AND value <> round(value)", value_col, f"{value_col} not a whole number",
         None),
    ]


def check(eng: Engine, registry: dict, today) -> pd.DataFrame:
    """Every problem (``_pos, row, column, value, reason, problem``), as ``_check_proms`` listed them.

    Also creates the views ``c`` (every row, parsed and flagged) and ``v`` (the rows kept for scoring).
    """
    from cscs_eval.io import row_offset
    from cscs_eval.proms._data import HEADER_ROW, _finish_problems
    from cscs_eval.proms._results import PROBLEM_COLUMNS

    _measure_tables(eng, registry)
    con = eng.con
    value_col = "score" if eng.has_score else "response"
    known_text = (f"unknown measure; expected one of {', '.join(sorted(registry))} or a common spelling such as "
                  "ReQoL-10")
    rules = _rules(eng.has_score, value_col, known_text)
    item_missing_rule = "item_missing AND known" if (not eng.has_score and eng.has_item) else "FALSE"
    no_total_rule = "known AND NOT has_total AND item_missing" if eng.has_score else "FALSE"
    score_missing_rule = "known AND value_missing" if eng.has_score else "FALSE"
    total_row = "item_missing" if eng.has_score else "FALSE"
    flags = []
    for k, (cond, _, _, _) in enumerate(rules):
        cond = (cond.replace("_item_missing_rule", item_missing_rule).replace("_no_total_rule", no_total_rule)
                .replace("_score_missing_rule", score_missing_rule)
                .replace("_today", f"DATE '{today:%Y-%m-%d}'"))
        flags.append(f"coalesce({cond}, FALSE) AS f{k}")
    con.execute(f"""CREATE VIEW c0 AS SELECT t.*, t.mkey IS NOT NULL AS known, _mt.n_items, _mt.label,
        CASE WHEN {total_row} AND _mt.has_total THEN _mt.total_min ELSE _mt.item_min END AS lo,
        CASE WHEN {total_row} AND _mt.has_total THEN _mt.total_max ELSE _mt.item_max END AS hi,
        coalesce(CASE WHEN {total_row} AND _mt.has_total THEN _mt.total_whole ELSE _mt.whole END, FALSE) AS whole,
        _mt.has_total, _ex.reason AS excl,
        coalesce(t.item = round(t.item) AND t.item >= 1 AND t.item <= _mt.n_items, FALSE) AS item_ok
        FROM t LEFT JOIN _mt USING (mkey) LEFT JOIN _ex ON _ex.mkey = t.mkey AND _ex.v = t.value""")
    con.execute(f"""CREATE VIEW c AS SELECT *, coalesce(value >= lo AND value <= hi, FALSE) AS in_range FROM c0""")
    con.execute(f"CREATE VIEW cf AS SELECT *, {', '.join(flags)} FROM c")
    any_flag = " OR ".join(f"f{k}" for k in range(len(rules)))
    flagged = eng.df(f"SELECT pos, mkey, n_items, label, lo, hi, {', '.join(f'f{k}' for k in range(len(rules)))} "
                     f"FROM cf WHERE {any_flag} ORDER BY pos")
    parts = []
    for k, (_, column, reason, message) in enumerate(rules):
        sub = flagged[flagged[f"f{k}"].to_numpy(dtype=bool)]
        if not len(sub):
            continue
        pos = sub["pos"].to_numpy(dtype=np.int64)
        if reason == "future date":
            msgs = f"date is in the future (after {today:%Y-%m-%d})"
        elif reason == "unknown item":
            msgs = [f"unknown item; {'goals' if lab == 'goal' else 'items'} are numbered 1 to {int(ni)} for {mk}"
                    for lab, ni, mk in zip(sub["label"], sub["n_items"], sub["mkey"])]
        elif reason.endswith("not a number"):
            msgs = [f"not a number; expected a number from {lo:g} to {hi:g}" for lo, hi in zip(sub["lo"], sub["hi"])]
        elif reason.endswith("out of range"):
            msgs = [f"out of range; allowed {lo:g} to {hi:g}" for lo, hi in zip(sub["lo"], sub["hi"])]
        elif reason.endswith("not a whole number"):
            msgs = [f"not a whole number; expected a whole number from {lo:g} to {hi:g}"
                    for lo, hi in zip(sub["lo"], sub["hi"])]
        else:
            msgs = message
        values = np.full(len(pos), "", dtype=object) if reason == "no total score" else eng.raw_values(column, pos)
        vals = pd.Series(values, dtype=object)
        parts.append(pd.DataFrame({"_pos": pos, "column": column, "value": vals.where(vals.notna(), ""),
                                   "reason": reason, "problem": msgs}))
    problems = _finish_problems(parts)
    header = HEADER_ROW + 1
    con.register("_flagged", flagged[["pos"]])
    extra = [_duplicates(eng, header)]
    if eng.demo_cols:
        extra.append(_conflicting_demographics(eng))
    extra = [e for e in extra if len(e)]
    if extra:
        for e in extra:
            e["row"] = e["_pos"] + header
        problems = pd.concat([problems] + [e[["_pos"] + PROBLEM_COLUMNS] for e in extra], ignore_index=True) \
            .sort_values(["_pos", "column"], kind="stable").reset_index(drop=True)
    problems["row"] += row_offset(eng.source)
    con.register("_bad", pd.DataFrame({"pos": problems["_pos"].to_numpy(dtype=np.int64)}))
    # The rows kept: a value given and no problem. Items that are not valid item numbers are none.
    con.execute("""CREATE VIEW v AS SELECT pos, patient, referral, team, mkey, date, aid, value, excl,
        CASE WHEN item_ok THEN item END AS item,
        CASE WHEN referral IS NULL THEN patient END AS pp, CASE WHEN aid IS NULL THEN date END AS sd
        FROM c WHERE NOT value_missing AND pos NOT IN (SELECT pos FROM _bad)""")
    return problems


_KEY = "patient, referral, mkey, aid, sd, item"


def _duplicates(eng: Engine, header: int) -> pd.DataFrame:
    """Exact copies (the first is kept) and conflicting copies (all dropped) of one answer."""
    from cscs_eval.proms._results import PROBLEM_COLUMNS

    ok = """SELECT pos, patient, coalesce(referral, '') AS referral, referral IS NULL AS no_ref, mkey,
            coalesce(aid, '') AS aid, CASE WHEN aid IS NULL THEN date ELSE DATE '1970-01-01' END AS sd,
            aid IS NULL AS no_aid, coalesce(CASE WHEN item_ok THEN item END, 0) AS item, value
            FROM c WHERE NOT value_missing AND pos NOT IN (SELECT pos FROM _flagged)"""
    key = "patient, referral, no_ref, mkey, aid, sd, no_aid, item"
    d = eng.df(f"""WITH ok AS ({ok}),
        g AS (SELECT {key}, count(DISTINCT value) AS n_values, min(pos) AS first FROM ok GROUP BY ALL
              HAVING count(*) > 1)
        SELECT ok.pos, g.n_values, g.first FROM ok JOIN g USING ({key}) ORDER BY ok.pos""")
    rows = []
    for p, f, nv in zip(d["pos"], d["first"], d["n_values"]):
        if nv > 1:
            rows.append({"_pos": p, "column": "assessment_date", "value": "",
                         "reason": "conflicting duplicate assessment",
                         "problem": "the same patient, referral, measure, date (or assessment_id) and item appear "
                                    "more than once "
                                    "with different answers; all copies are excluded"})
        elif p != f:
            rows.append({"_pos": p, "column": "assessment_date", "value": "", "reason": "duplicate assessment",
                         "problem": f"repeats row {f + header} (same patient, referral, measure, date or "
                                    "assessment_id, item and answer); the first copy is kept"})
    return pd.DataFrame(rows, columns=["_pos"] + PROBLEM_COLUMNS)


def _conflicting_demographics(eng: Engine) -> pd.DataFrame:
    rows = []
    for col in eng.demo_cols:
        d = eng.df(f"""WITH s AS (SELECT pos, patient, {col} AS val FROM t WHERE patient IS NOT NULL AND {col} IS NOT NULL),
            bad AS (SELECT patient FROM s GROUP BY patient HAVING count(DISTINCT val) > 1)
            SELECT s.pos, s.patient, s.val FROM s SEMI JOIN bad USING (patient) ORDER BY s.pos""")
        for pos, pid, val in zip(d["pos"], d["patient"], d["val"]):
            rows.append({"_pos": pos, "column": col, "value": val, "reason": "conflicting demographics",
                         "problem": f"patient {pid} has more than one {col}"})
    return pd.DataFrame(rows, columns=["_pos", "row", "column", "value", "reason", "problem"])


# --------------------------------------------------------------------------- scoring
def create_scores(eng: Engine) -> None:
    """The table ``scores``: one row per assessment and score, as ``score_rows`` computes them.

    ``src`` (0 computed from items, 1 a given total) and ``tie`` order assessments on one date
    as the pandas engine did (``tie``: the assessment_id's first appearance, else the row).
    """
    con = eng.con
    con.execute("""CREATE TEMP TABLE _aidord AS SELECT aid, min(pos) AS first FROM t WHERE aid IS NOT NULL
                   GROUP BY aid""") if eng.has_aid else con.execute(
        "CREATE TEMP TABLE _aidord AS SELECT NULL::VARCHAR AS aid, NULL::BIGINT AS first WHERE FALSE")
    con.execute("""CREATE TEMP TABLE scores AS
    WITH items AS (
        SELECT v.*, CASE WHEN excl IS NOT NULL THEN NULL
                         WHEN _rev.rev IS NOT NULL THEN _mt.item_min + _mt.item_max - value ELSE value END AS adj
        FROM v JOIN _mt USING (mkey) LEFT JOIN _rev ON _rev.mkey = v.mkey AND _rev.rev = v.item
        WHERE v.item IS NOT NULL
    ), asmt AS (
        SELECT mkey, referral, pp, aid, sd, arg_min(patient, pos) AS patient, arg_min(team, pos) AS team,
               arg_min(date, pos) AS date
        FROM items GROUP BY ALL
    ), cells AS (
        SELECT mkey, referral, pp, aid, sd, item, arg_max({'v': adj, 'r': excl}, pos) AS cell
        FROM items GROUP BY ALL
    ), units AS (
        SELECT cells.mkey, referral, pp, aid, sd, _si.unit, count(cell.v) AS answered, sum(cell.v) AS total,
               any_value(cell) AS one
        FROM cells JOIN _si ON _si.mkey = cells.mkey AND _si.item = cells.item GROUP BY ALL
    )
    SELECT a.patient, a.referral, a.team, a.mkey AS measure, a.date AS assessment_date, u.unit,
           CASE WHEN st.method = 'item' THEN u.one.v
                WHEN st.k - u.answered <= st.max_missing AND u.answered > 0 THEN
                    CASE WHEN st.method = 'sum' THEN u.total * st.k / u.answered ELSE u.total / u.answered END
           END AS score,
           CASE WHEN st.method = 'item' THEN CASE WHEN u.one.v IS NULL THEN 0 ELSE 1 END ELSE u.answered END
               AS n_items,
           CASE WHEN st.method = 'item' THEN u.one.r
                WHEN NOT (st.k - u.answered <= st.max_missing AND u.answered > 0) THEN
                    'incomplete: ' || u.answered || ' of ' || st.k || ' items answered (' || st.rule || ')'
           END AS excluded_reason,
           st.ord, 0 AS src, coalesce(_aidord.first, -1) AS tie, a.aid, a.sd, a.pp
    FROM units u JOIN asmt a ON a.mkey = u.mkey AND a.referral IS NOT DISTINCT FROM u.referral
        AND a.pp IS NOT DISTINCT FROM u.pp AND a.aid IS NOT DISTINCT FROM u.aid AND a.sd IS NOT DISTINCT FROM u.sd
    JOIN _st st ON st.mkey = u.mkey AND st.unit = u.unit
    LEFT JOIN _aidord ON _aidord.aid = a.aid
    UNION ALL
    SELECT v.patient, v.referral, v.team, v.mkey, v.date, 'total', v.value, NULL, NULL,
           st.ord, 1, v.pos, v.aid, v.sd, v.pp
    FROM v LEFT JOIN _st st ON st.mkey = v.mkey AND st.unit = 'total'
    WHERE v.item IS NULL""")


def scores_frame(eng: Engine) -> pd.DataFrame:
    """The scores in ``score_rows``' order and types (``pair_id``: the referral's, else the patient's,
    first appearance)."""
    con = eng.con
    con.execute("""CREATE TEMP TABLE _pord AS
        WITH r AS (SELECT referral, min(pos) AS first FROM t WHERE referral IS NOT NULL GROUP BY referral),
             p AS (SELECT patient, min(pos) AS first FROM t WHERE patient IS NOT NULL GROUP BY patient)
        SELECT referral, NULL::VARCHAR AS pp, row_number() OVER (ORDER BY first) - 1 AS pair_id FROM r
        UNION ALL
        SELECT NULL, patient, (SELECT count(*) FROM r) + row_number() OVER (ORDER BY first) - 1 FROM p""")
    out = eng.df("""SELECT o.pair_id, s.patient AS patient_id, s.referral AS referral_id, s.team, s.measure,
            CAST(s.assessment_date AS TIMESTAMP_NS) AS assessment_date, s.unit, s.score, s.n_items, s.excluded_reason,
            s.src FROM scores s JOIN _pord o ON o.referral IS NOT DISTINCT FROM s.referral AND o.pp IS NOT DISTINCT FROM s.pp
        ORDER BY o.pair_id, s.measure, s.assessment_date, s.ord, s.src,
                 CASE WHEN s.src = 0 THEN (CASE WHEN s.aid IS NULL THEN 1 ELSE 0 END) END, s.tie, s.sd""")
    return _score_types(out)


def _score_types(out: pd.DataFrame) -> pd.DataFrame:
    for c in ("patient_id", "referral_id", "team", "excluded_reason"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    # pandas built each computed score's column apart and typed it as text when it held a reason,
    # so a score without one reads NaN there and None elsewhere; kept so that tables compare equal.
    computed = out.pop("src").to_numpy() == 0
    has = out["excluded_reason"].notna()
    texty = (has & computed).groupby([out["measure"], out["unit"]]).transform("any").to_numpy()
    out.loc[texty & computed & ~has.to_numpy(), "excluded_reason"] = np.nan
    out[["measure", "unit"]] = out[["measure", "unit"]].astype("str")  # as pandas types a column of Python str
    out["score"] = out["score"].astype(float)
    out["n_items"] = out["n_items"].astype("Float64").astype("Int64") if out["n_items"].notna().all() else \
        out["n_items"].astype("Float64")
    out["assessment_date"] = out["assessment_date"].astype("datetime64[ns]")
    return out


#: The order of scores on one date for one referral, as ``score_rows`` left them (see :func:`create_scores`).
_TIE = "{'d': assessment_date, 'src': src, 'a': CASE WHEN src = 0 AND aid IS NULL THEN 1 ELSE 0 END, 't': tie, 's': sd}"


def counts_in_score_order(eng: Engine, where: str, by: str) -> pd.DataFrame:
    """``value_counts`` of ``by`` over the scores matching ``where``: by count, ties in order of first appearance."""
    con = eng.con
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_pord'").fetchone()[0]:
        con.execute("""CREATE TEMP TABLE _pord AS
            WITH r AS (SELECT referral, min(pos) AS first FROM t WHERE referral IS NOT NULL GROUP BY referral),
                 p AS (SELECT patient, min(pos) AS first FROM t WHERE patient IS NOT NULL GROUP BY patient)
            SELECT referral, NULL::VARCHAR AS pp, row_number() OVER (ORDER BY first) - 1 AS pair_id FROM r
            UNION ALL
            SELECT NULL, patient, (SELECT count(*) FROM r) + row_number() OVER (ORDER BY first) - 1 FROM p""")
    d = eng.df(f"""SELECT {by} AS key, count(*) AS n,
            min({{'p': o.pair_id, 'm': s.measure, 'd': s.assessment_date, 'o': s.ord, 'src': s.src,
                 'a': CASE WHEN s.src = 0 AND s.aid IS NULL THEN 1 ELSE 0 END, 't': s.tie, 's': s.sd}}) AS first
        FROM scores s JOIN _pord o ON o.referral IS NOT DISTINCT FROM s.referral AND o.pp IS NOT DISTINCT FROM s.pp
        WHERE {where} GROUP BY 1""")
    if not len(d):
        return d[["key", "n"]]
    d["_first"] = [tuple(v.values()) for v in d["first"]]
    d = d.sort_values("_first", kind="stable").sort_values("n", ascending=False, kind="stable")
    return d[["key", "n"]].reset_index(drop=True)


def pairs_frame(eng: Engine, unit_table: pd.DataFrame, *, min_interval_days: int, period_start, period_end):
    """:func:`~cscs_eval.proms._pairing._pair` in SQL: (pairs, number of same-day follow-ups)."""
    con = eng.con
    con.register("_ut", unit_table[["measure", "unit", "_uorder"]])
    end = f"AND s.assessment_date <= DATE '{period_end:%Y-%m-%d}'" if period_end is not None else ""
    start = f"WHERE (l).date >= DATE '{period_start:%Y-%m-%d}'" if period_start is not None else ""
    row = "{'patient': patient, 'team': team, 'date': assessment_date, 'score': score}"
    out = eng.df(f"""WITH s AS (
            SELECT s.*, _ut._uorder FROM scores s JOIN _ut ON _ut.measure = s.measure AND _ut.unit = s.unit
            WHERE s.score IS NOT NULL {end}
        ), g AS (
            SELECT measure, referral, pp, _uorder, any_value(unit) AS unit, count(*) AS n,
                   arg_min({row}, {_TIE}) AS b, arg_max({row}, {_TIE}) AS l
            FROM s GROUP BY measure, referral, pp, _uorder
        ), p AS (
            SELECT *, date_diff('day', (b).date, (l).date) AS days FROM g {start}
        )
        SELECT (b).patient AS patient_id, referral AS referral_id, (b).team AS team, measure, unit, _uorder,
               CAST((b).date AS TIMESTAMP_NS) AS baseline_date, CAST((b).score AS DOUBLE) AS baseline,
               n AS n_assessments, n > 1 AND days >= {int(min_interval_days)} AS paired,
               CAST((l).date AS TIMESTAMP_NS) AS _last_date, CAST((l).score AS DOUBLE) AS _last, days
        FROM p ORDER BY measure, team, referral_id NULLS LAST, patient_id, _uorder""")
    paired = out["paired"].to_numpy(dtype=bool)
    days = out.pop("days").to_numpy()
    same_day = int((paired & (days == 0)).sum())
    for c in ("patient_id", "referral_id", "team"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out[["measure", "unit"]] = out[["measure", "unit"]].astype("str")
    out["n_assessments"] = out["n_assessments"].astype("int64")
    out["baseline_date"] = out["baseline_date"].astype("datetime64[ns]")
    last_date = out.pop("_last_date").astype("datetime64[ns]")
    last = out.pop("_last").to_numpy(dtype=float)
    paired_col = out.pop("paired")
    out["follow_up_date"] = last_date.where(paired)
    out["follow_up"] = np.where(paired, last, np.nan)
    out["days_between"] = pd.array(np.where(paired, days, 0), dtype="Int64")
    out.loc[~paired, "days_between"] = pd.NA
    out["paired"] = paired_col.to_numpy(dtype=bool)
    return out, same_day


def team_of(eng: Engine, pos: np.ndarray) -> np.ndarray:
    """The cleaned team of the rows at ``pos`` (missing as None)."""
    if not len(pos):
        return np.array([], dtype=object)
    eng.con.register("_want", pd.DataFrame({"pos": np.asarray(pos, dtype=np.int64), "k": np.arange(len(pos))}))
    d = eng.df("SELECT w.k, t.team FROM _want w JOIN t USING (pos) ORDER BY w.k")
    eng.con.unregister("_want")
    return d["team"].to_numpy(dtype=object)
