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

#: DuckDB's working-memory cap; beyond it joins and groupings spill to the private temporary folder.
MEMORY_LIMIT = os.environ.get("CSCS_EVAL_MEMORY_LIMIT", "2GB")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "FLOAT", "DOUBLE")


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text) -> str:
    return "NULL" if text is None else "'" + str(text).replace("'", "''") + "'"


@dataclass
class Engine:
    """One DuckDB connection over one extract, with its typed view ``t`` and a private spill folder.

    Use as a context manager: the connection is closed and the folder removed on leaving,
    success or failure (the folder can hold row-level patient data).
    """

    con: object
    tmp: str
    source: str | None
    frame: pd.DataFrame | None  # the DataFrame given (or read), for problem values; None for Parquet
    has_score: bool
    has_item: bool
    has_aid: bool
    measures: list = field(default_factory=list)  # the known measures in the extract
    demo_cols: list = field(default_factory=list)
    raw_cols: dict = field(default_factory=dict)  # Parquet: column -> its name in the file

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
        return self.con.sql(sql).df()

    def scalar(self, sql: str):
        return self.con.execute(sql).fetchone()[0]

    def raw_values(self, columns, pos: np.ndarray) -> pd.DataFrame:
        """The values of ``columns`` as given, at positions ``pos`` (one read for all flagged rows)."""
        pos = np.asarray(pos, dtype=np.int64)
        if self.frame is not None:
            return pd.DataFrame({c: (self.frame[c].iloc[pos].to_numpy(dtype=object) if c in self.frame.columns
                                     else np.full(len(pos), "", dtype=object)) for c in columns}, index=pos)
        have = [c for c in columns if c in self.raw_cols]
        self.con.register("_want", pd.DataFrame({"pos": pos}))
        sel = "".join(f", {_q(self.raw_cols[c])} AS {_q(c)}" for c in have)
        got = self.con.sql(f"SELECT file_row_number AS pos{sel} FROM raw WHERE file_row_number IN "
                           "(SELECT pos FROM _want)").to_arrow_table().to_pandas().set_index("pos")
        self.con.unregister("_want")
        out = got.reindex(pos)
        for c in columns:
            if c not in have:
                out[c] = ""
        return out


def connect():
    import duckdb

    tmp = tempfile.mkdtemp(prefix="cscs-eval-proms-")  # mode 0700: row-level data may spill here
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": tmp,
                                 "preserve_insertion_order": False})
    return con, tmp


def open_extract(data, *, registry, aliases) -> Engine:
    """Open ``data`` (a path or a DataFrame) as the typed view ``t``: ``pos, patient, referral,
    team, aid, measure_missing, mkey, date, date_missing, item, item_missing, value,
    value_missing`` and any demographic columns (text cleaned, empty text missing)."""
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


def _measure_keys(values, aliases) -> dict:
    """Each distinct cleaned measure spelling -> its key (None when unknown)."""
    from cscs_eval.proms._measures import normalise_key

    return {v: aliases.get(normalise_key(v)) for v in values if v is not None}


def _open_parquet(p: Path, registry, aliases) -> Engine:
    from cscs_eval.dates import parse_dates
    from cscs_eval.io import normalise_column
    from cscs_eval.proms._data import BASE_COLUMNS, DEMOGRAPHIC_COLUMNS, _blank, _numbers

    con, tmp = connect()
    try:
        try:
            rel = con.read_parquet(str(p), file_row_number=True)
            raw_names, types = rel.columns[:-1], [str(t) for t in rel.types][:-1]  # file_row_number is last
        except Exception as exc:  # noqa: BLE001 - any unreadable file is an input error
            raise InputError(f"not a readable parquet file ({exc})", file=p) from None
        names = [normalise_column(c) for c in raw_names]
        missing = [c for c in BASE_COLUMNS if c not in names]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(names)}", file=p, row=1)
        rel.create_view("raw")
        if not con.execute("SELECT count(*) FROM raw").fetchone()[0]:
            raise InputError("has a header but no data rows", file=p)
        source = str(p)
        has_score = _check_columns(names, source)
        col, typ = dict(zip(names, raw_names)), dict(zip(names, types))
        sel, joins = ["file_row_number AS pos"], []

        def as_text(name):
            return _q(col[name]) if typ[name] == "VARCHAR" else f"CAST({_q(col[name])} AS VARCHAR)"

        def clean(name, alias):
            """Outer white space off, empty text missing; only the distinct values that need it are touched."""
            if name not in col:
                return "NULL::VARCHAR"
            x = as_text(name)
            cands = con.execute(f"""SELECT x FROM (SELECT DISTINCT {x} AS x FROM raw) WHERE x IS NOT NULL AND
                (x = '' OR NOT (ord(x[1]) BETWEEN 33 AND 126 AND ord(x[-1]) BETWEEN 33 AND 126))""").fetchall()
            dirty = [(v, v.strip() or None) for (v,) in cands if v != v.strip() or not v]
            if not dirty:
                return x
            m = f"_clean_{alias}"
            con.register(m, pd.DataFrame(dirty, columns=["raw", "clean"], dtype=object))
            joins.append(f"LEFT JOIN {m} ON {m}.raw = {x}")
            return f"CASE WHEN {m}.raw IS NULL THEN {x} ELSE {m}.clean END"

        for name, alias in (("patient_id", "patient"), ("referral_id", "referral"), ("team", "team"),
                            ("assessment_id", "aid")):
            sel.append(f"{clean(name, alias)} AS {alias}")
        # measure: each distinct spelling looked up once
        x = as_text("measure")
        spellings = [r[0] for r in con.execute(f"SELECT DISTINCT {x} FROM raw").fetchall()]
        keys = _measure_keys({v: (v.strip() or None) for v in spellings if v is not None}.values(), aliases)
        to_key = {v: keys.get(v.strip() or None) for v in spellings if v is not None}
        blank = [v for v in spellings if v is not None and not v.strip()]
        # One join brings each row its measure's key and facts (a CASE would be copied into every rule).
        spelled = pd.DataFrame({"raw": list(to_key), "mkey": list(to_key.values())}, dtype=object)
        con.register("_mmap", spelled.merge(_facts(registry), on="mkey", how="left"))
        joins.append(f"LEFT JOIN _mmap ON _mmap.raw = {x}")
        sel += ["_mmap.mkey AS mkey"] + [f"_mmap.{f} AS {f}" for f in FACTS]
        sel.append(f"({x} IS NULL" + (f" OR {x} IN ({', '.join(map(_lit, blank))})" if blank else "") +
                   ") AS measure_missing")
        # dates: typed columns as they are; text parsed once per distinct value
        d, dtyp = _q(col["assessment_date"]), typ["assessment_date"]
        if dtyp.startswith(("DATE", "TIMESTAMP")):
            sel += [f"CAST({d} AS DATE) AS date", f"{d} IS NULL AS date_missing"]
        else:
            x = as_text("assessment_date")
            vals = pd.Series([r[0] for r in con.execute(f"SELECT DISTINCT {x} FROM raw WHERE {x} IS NOT NULL")
                              .fetchall()], dtype=object)
            con.register("_dmap", pd.DataFrame({"raw": vals, "d": parse_dates(vals).dt.date.astype(object),
                                                "blank": _blank(vals)}))
            sel += ["_dmap.d AS date", "coalesce(_dmap.blank, TRUE) AS date_missing"]
            joins.append(f"LEFT JOIN _dmap ON _dmap.raw = {x}")
        value_name = "score" if has_score else "response"
        for name, alias in (("item", "item"), (value_name, "value")):
            if name not in col:
                sel += [f"NULL::DOUBLE AS {alias}", f"TRUE AS {alias}_missing"]
                continue
            c, t = _q(col[name]), typ[name]
            if t in _NUMERIC or t.startswith("DECIMAL"):
                sel += [f"CASE WHEN isnan(CAST({c} AS DOUBLE)) THEN NULL ELSE CAST({c} AS DOUBLE) END AS {alias}",
                        f"({c} IS NULL OR isnan(CAST({c} AS DOUBLE))) AS {alias}_missing"]
            else:
                x = as_text(name)
                vals = pd.Series([r[0] for r in con.execute(f"SELECT DISTINCT {x} FROM raw WHERE {x} IS NOT NULL")
                                  .fetchall()], dtype=object)
                m = f"_nmap_{alias}"
                con.register(m, pd.DataFrame({"raw": vals, "v": _numbers(vals) if len(vals) else np.array([]),
                                              "blank": _blank(vals) if len(vals) else np.array([], dtype=bool)}))
                sel += [f"CASE WHEN isnan({m}.v) THEN NULL ELSE {m}.v END AS {alias}",
                        f"coalesce({m}.blank, TRUE) AS {alias}_missing"]
                joins.append(f"LEFT JOIN {m} ON {m}.raw = {x}")
        demo_cols = [c for c in DEMOGRAPHIC_COLUMNS if c in col]
        sel += [f"{clean(c, c)} AS {c}" for c in demo_cols]
        con.execute(f"CREATE VIEW t AS SELECT {', '.join(sel)} FROM raw {' '.join(joins)}")
        present = sorted({k for k in to_key.values() if k is not None})
        return Engine(con, tmp, source, None, has_score, "item" in col, "assessment_id" in col, present, demo_cols,
                      col)
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
            return np.full(n, None, dtype=object)
        c = _categorical(df[name])
        return np.asarray(c.astype(object), dtype=object) if len(c.categories) else np.full(n, None, dtype=object)

    con, tmp = connect()
    try:
        measure = _categorical(df["measure"])
        keys = _measure_keys(list(measure.categories), aliases)
        mkey = np.array([keys[c] for c in measure.categories] + [None], dtype=object)[measure.codes]
        typed = {"pos": np.arange(n, dtype=np.int64), "patient": text("patient_id"), "referral": text("referral_id"),
                 "team": text("team"), "aid": text("assessment_id"), "mkey": mkey,
                 "measure_missing": np.asarray(measure.codes < 0),
                 "date": parse_dates(df["assessment_date"]).to_numpy(),
                 "date_missing": _blank(df["assessment_date"])}
        value_name = "score" if has_score else "response"
        for name, alias in (("item", "item"), (value_name, "value")):
            if name in df.columns:
                typed[alias], typed[f"{alias}_missing"] = _numbers(df[name]), _blank(df[name])
            else:
                typed[alias], typed[f"{alias}_missing"] = np.full(n, np.nan), np.ones(n, dtype=bool)
        demo_cols = [c for c in DEMOGRAPHIC_COLUMNS if c in df.columns]
        for c in demo_cols:
            typed[c] = text(c)
        con.register("typed", pd.DataFrame(typed))
        con.register("_mt", _facts(registry))
        text_cols = ("patient", "referral", "team", "aid", "mkey", *demo_cols)
        con.execute(f"""CREATE VIEW t AS SELECT pos, {', '.join(f'CAST(typed.{c} AS VARCHAR) AS {c}' for c in text_cols)},
            measure_missing, CAST(date AS DATE) AS date, date_missing,
            CASE WHEN isnan(item) THEN NULL ELSE item END AS item, item_missing,
            CASE WHEN isnan(value) THEN NULL ELSE value END AS value, value_missing,
            {', '.join(f'_mt.{f}' for f in FACTS)}
            FROM typed LEFT JOIN _mt ON _mt.mkey = CAST(typed.mkey AS VARCHAR)""")
        present = sorted({k for k in keys.values() if k is not None})
        return Engine(con, tmp, source, df, has_score, "item" in df.columns, "assessment_id" in df.columns,
                      present, demo_cols)
    except BaseException:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- the rules
#: What each row carries of its measure's definition.
FACTS = ("n_items", "item_min", "item_max", "whole", "has_total", "total_min", "total_max", "total_whole", "label")


def _facts(registry: dict) -> pd.DataFrame:
    """One row per measure: its items' number and range, whether answers are whole, its total's range."""
    rows = []
    for m in registry.values():
        total = m.total
        rows.append({"mkey": m.key, "n_items": m.n_items, "item_min": float(m.item_min),
                     "item_max": float(m.item_max), "whole": bool(m.whole_numbers),
                     "has_total": total is not None,
                     "total_min": float(total.min) if total is not None else np.nan,
                     "total_max": float(total.max) if total is not None else np.nan,
                     "total_whole": bool(total is not None and m.whole_numbers and total.method == "sum"),
                     "label": m.item_label})
    return pd.DataFrame(rows, columns=["mkey", *FACTS])


def _num(x) -> str:
    return "NULL::DOUBLE" if x is None or x != x else repr(float(x))


def _rules(has_score: bool, has_item: bool, value_col: str, known: str):
    """(condition, column, reason, message) in the order the rules are checked; a message None is
    written per row from the measure's range."""
    total_row = "item_missing" if has_score else "FALSE"
    return [
        ("patient IS NULL", "patient_id", "missing patient_id", "patient_id is empty"),
        ("team IS NULL", "team", "missing team", "team is empty"),
        ("mkey IS NULL AND NOT measure_missing", "measure", "unknown measure", known),
        ("measure_missing", "measure", "missing measure", "measure is empty"),
        ("date_missing", "assessment_date", "missing date", "assessment_date is empty"),
        ("date IS NULL AND NOT date_missing", "assessment_date", "unreadable date",
         "not a date; write ISO (2024-03-05) or UK day-first (05/03/2024)"),
        ("date > _today", "assessment_date", "future date", None),
        ("item_missing AND known" if (not has_score and has_item) else "FALSE", "item", "missing item",
         "item is empty; item response rows need the item number"),
        ("known AND NOT item_missing AND NOT item_ok", "item", "unknown item", None),
        (f"known AND NOT has_total AND {total_row}", "item", "no total score",
         "this measure has no total score; give the item (DIALOG) or goal (GBO) number"),
        ("known AND NOT value_missing AND value IS NULL", value_col, f"{value_col} not a number", None),
        ("known AND value_missing" if has_score else "FALSE", value_col, "missing score", "score is empty"),
        ("known AND value IS NOT NULL AND NOT in_range AND excl IS NULL", value_col, f"{value_col} out of range",
         None),
        ("known AND in_range AND whole_ AND value <> round(value)", value_col, f"{value_col} not a whole number",
         None),
    ]


def check(eng: Engine, registry: dict, today) -> pd.DataFrame:
    """Every problem (``_pos, row, column, value, reason, problem, _team``), as the rules list them.

    Creates the views ``c`` (every row, parsed, with its measure's facts) and ``v`` (the rows kept).
    """
    from cscs_eval.io import row_offset
    from cscs_eval.proms._data import HEADER_ROW, _finish_problems
    from cscs_eval.proms._results import PROBLEM_COLUMNS

    con = eng.con
    value_col = "score" if eng.has_score else "response"
    known_text = (f"unknown measure; expected one of {', '.join(sorted(registry))} or a common spelling such as "
                  "ReQoL-10")
    rules = _rules(eng.has_score, eng.has_item, value_col, known_text)

    total_row = "item_missing" if eng.has_score else "FALSE"
    excl = [(m.key, v, why) for m in registry.values() for v, why in m.excluded_values.items()]
    if excl:
        con.register("_ex", pd.DataFrame(excl, columns=["mkey", "v", "reason"]).astype({"v": float, "reason": object}))
    has_excl = any(registry[k].excluded_values for k in eng.measures if k in registry)
    con.execute(f"""CREATE VIEW c AS SELECT *, coalesce(value >= lo AND value <= hi, FALSE) AS in_range FROM (
        SELECT t.*, t.mkey IS NOT NULL AS known,
            CASE WHEN {total_row} AND has_total THEN total_min ELSE item_min END AS lo,
            CASE WHEN {total_row} AND has_total THEN total_max ELSE item_max END AS hi,
            coalesce(CASE WHEN {total_row} AND has_total THEN total_whole ELSE whole END, FALSE) AS whole_,
            {'_ex.reason' if has_excl else 'NULL::VARCHAR'} AS excl,
            coalesce(t.item = round(t.item) AND t.item >= 1 AND t.item <= n_items, FALSE) AS item_ok
        FROM t {'LEFT JOIN _ex ON _ex.mkey = t.mkey AND _ex.v = t.value' if has_excl else ''})""")
    today_sql = f"DATE '{today:%Y-%m-%d}'"
    flags = [f"coalesce({cond.replace('_today', today_sql)}, FALSE) AS f{k}" for k, (cond, _, _, _) in enumerate(rules)]
    names = [f"f{k}" for k in range(len(rules))]
    flagged = eng.df(f"""SELECT * FROM (SELECT pos, team, mkey, n_items, label, lo, hi, {', '.join(flags)} FROM c)
                         WHERE {' OR '.join(names)} ORDER BY pos""")
    raw = eng.raw_values(sorted({r[1] for k, r in enumerate(rules) if flagged[f"f{k}"].any()}),
                         flagged["pos"].to_numpy()) if len(flagged) else None
    parts = []
    for k, (_, column, reason, message) in enumerate(rules):
        sub = flagged[flagged[f"f{k}"].to_numpy(dtype=bool)]
        if not len(sub):
            continue
        lohi = list(zip(sub["lo"], sub["hi"]))
        if reason == "future date":
            msgs = f"date is in the future (after {today:%Y-%m-%d})"
        elif reason == "unknown item":
            msgs = [f"unknown item; {'goals' if lab == 'goal' else 'items'} are numbered 1 to {int(ni)} for {mk}"
                    for lab, ni, mk in zip(sub["label"], sub["n_items"], sub["mkey"])]
        elif reason.endswith("not a number"):
            msgs = [f"not a number; expected a number from {lo:g} to {hi:g}" for lo, hi in lohi]
        elif reason.endswith("out of range"):
            msgs = [f"out of range; allowed {lo:g} to {hi:g}" for lo, hi in lohi]
        elif reason.endswith("not a whole number"):
            msgs = [f"not a whole number; expected a whole number from {lo:g} to {hi:g}" for lo, hi in lohi]
        else:
            msgs = message
        pos = sub["pos"].to_numpy(dtype=np.int64)
        vals = pd.Series(np.full(len(pos), "", dtype=object) if reason == "no total score" else
                         raw[column].loc[pos].to_numpy(dtype=object), dtype=object)
        parts.append(pd.DataFrame({"_pos": pos, "column": column, "value": vals.where(vals.notna(), ""),
                                   "reason": reason, "problem": msgs}))
    problems = _finish_problems(parts)
    teams = dict(zip(flagged["pos"], flagged["team"]))
    header = HEADER_ROW + 1
    con.register("_flagged", flagged[["pos"]])
    dups, shadow, dup_teams = _duplicates(eng, registry, header)
    extra = [dups]
    teams.update(dup_teams)
    if eng.demo_cols:
        demo, demo_teams = _conflicting_demographics(eng)
        extra.append(demo)
        teams.update(demo_teams)
    extra = [e for e in extra if len(e)]
    if extra:
        for e in extra:
            e["row"] = e["_pos"] + header
        problems = pd.concat([problems] + [e[["_pos"] + PROBLEM_COLUMNS] for e in extra], ignore_index=True) \
            .sort_values(["_pos", "column"], kind="stable").reset_index(drop=True)
    problems["row"] += row_offset(eng.source)
    problems["_team"] = problems["_pos"].map(teams).astype(object)
    # The rows kept: a value given and no problem. ``shadow``: an item answered twice in one assessment by
    # two patients of one referral, overwritten by the later row (as the pandas engine's grid did).
    con.register("_drop", pd.DataFrame({"pos": problems["_pos"].to_numpy(dtype=np.int64)}))
    if len(shadow):
        con.register("_shadow", pd.DataFrame({"pos": shadow}))
    con.execute(f"""CREATE VIEW v AS SELECT pos, patient, referral, team, mkey, date, aid, value, excl,
        CASE WHEN item_ok THEN item END AS item, coalesce(referral, patient) AS pk, referral IS NULL AS pnull,
        coalesce(aid, '') AS ak, CASE WHEN aid IS NULL THEN date ELSE DATE '1970-01-01' END AS sd,
        {'pos IN (SELECT pos FROM _shadow)' if len(shadow) else 'FALSE'} AS shadow
        FROM c WHERE NOT value_missing AND pos NOT IN (SELECT pos FROM _drop)""")
    return problems


#: One answer: referral (else the patient), measure, day (or assessment_id) and item; duplicates are
#: the same answer from one patient.
_ANSWER = "pk, pnull, mkey, ak, sd, item0"
_ASSESSMENT = "pk, pnull, mkey, ak, sd"


def _duplicates(eng: Engine, registry: dict, header: int):
    """Exact copies (the first is kept) and conflicting copies (all dropped) of one answer; and the
    rows overwritten in one assessment (``shadow``). Returns (problems, shadow positions, teams).

    The candidates are found per assessment and checked in Python by the exact answer."""
    from cscs_eval.proms._results import PROBLEM_COLUMNS

    # Candidates first, per assessment (a tenth of the rows): one holding an item twice, or two given
    # totals. Only their rows come to Python, where the exact answer is grouped.
    big = max((m.n_items for m in registry.values()), default=0) > 62
    items = "count(DISTINCT item0) FILTER (WHERE item0 > 0)" if big else \
        "bit_count(bit_or(CAST(1 AS UBIGINT) << CAST(item0 AS INTEGER)) FILTER (WHERE item0 > 0))"
    eng.con.execute("""CREATE VIEW _ok AS
        SELECT pos, patient, team, value, coalesce(referral, patient) AS pk, referral IS NULL AS pnull, mkey,
               coalesce(aid, '') AS ak, CASE WHEN aid IS NULL THEN date ELSE DATE '1970-01-01' END AS sd,
               coalesce(CASE WHEN item_ok THEN item END, 0) AS item0
        FROM c WHERE NOT value_missing AND pos NOT IN (SELECT pos FROM _flagged)""")
    d = eng.df(f"""SELECT * FROM _ok SEMI JOIN (
            SELECT {_ASSESSMENT} FROM _ok GROUP BY {_ASSESSMENT}
            HAVING count(*) FILTER (WHERE item0 > 0) > {items} OR count(*) FILTER (WHERE item0 = 0) > 1
        ) USING ({_ASSESSMENT}) ORDER BY pos""")
    teams = dict(zip(d["pos"], d["team"]))
    if not len(d):
        return pd.DataFrame(columns=["_pos"] + PROBLEM_COLUMNS), np.array([], dtype=np.int64), teams
    key = d[["pk", "pnull", "mkey", "ak", "sd", "item0"]].astype(str).agg("\x1f".join, axis=1)
    g = d.assign(key=key).groupby(["key", "patient"], sort=False)
    d["n"], d["n_values"], d["first"] = g["pos"].transform("size"), g["value"].transform("nunique"), \
        g["pos"].transform("min")
    rows, kept = [], np.ones(len(d), dtype=bool)
    for i, (p, f, nv, n) in enumerate(zip(d["pos"], d["first"], d["n_values"], d["n"])):
        if n < 2:
            continue
        if nv > 1:
            kept[i] = False
            rows.append({"_pos": p, "column": "assessment_date", "value": "",
                         "reason": "conflicting duplicate assessment",
                         "problem": "the same patient, referral, measure, date (or assessment_id) and item appear "
                                    "more than once "
                                    "with different answers; all copies are excluded"})
        elif p != f:
            kept[i] = False
            rows.append({"_pos": p, "column": "assessment_date", "value": "", "reason": "duplicate assessment",
                         "problem": f"repeats row {f + header} (same patient, referral, measure, date or "
                                    "assessment_id, item and answer); the first copy is kept"})
    # Item rows of different patients left in one cell: the last row's answer stands.
    rest = d[kept & (d["item0"].to_numpy() != 0)]
    last = rest.groupby(key[rest.index], sort=False)["pos"].transform("max")
    shadow = rest["pos"][rest["pos"] != last].to_numpy(dtype=np.int64)
    return pd.DataFrame(rows, columns=["_pos"] + PROBLEM_COLUMNS), shadow, teams


def _conflicting_demographics(eng: Engine):
    rows, teams = [], {}
    for col in eng.demo_cols:
        d = eng.df(f"""WITH s AS (SELECT pos, patient, team, {col} AS val FROM t
                                  WHERE patient IS NOT NULL AND {col} IS NOT NULL),
            bad AS (SELECT patient FROM s GROUP BY patient HAVING count(DISTINCT val) > 1)
            SELECT s.* FROM s SEMI JOIN bad USING (patient) ORDER BY s.pos""")
        teams.update(zip(d["pos"], d["team"]))
        for pos, pid, val in zip(d["pos"], d["patient"], d["val"]):
            rows.append({"_pos": pos, "column": col, "value": val, "reason": "conflicting demographics",
                         "problem": f"patient {pid} has more than one {col}"})
    return pd.DataFrame(rows, columns=["_pos", "row", "column", "value", "reason", "problem"]), teams


# --------------------------------------------------------------------------- scoring
def create_scores(eng: Engine, registry: dict) -> None:
    """The table ``scores``: one row per assessment and score, as the measure definitions say.

    One pass groups the kept rows by assessment (referral, or patient; measure; day or
    assessment_id) and computes every score of the measures present with filtered aggregates.
    ``src`` (0 computed from items, 1 a given total) and ``tie`` (the assessment_id's first row,
    else the row) order several assessments on one date as the pandas engine did.
    """
    con = eng.con
    if eng.has_aid:
        con.execute("CREATE TEMP TABLE _aidord AS SELECT aid, min(pos) AS first FROM t WHERE aid IS NOT NULL "
                    "GROUP BY aid")
    aggs, parts = [], []
    for m in (registry[k] for k in eng.measures if k in registry):
        for order, s in enumerate(m.scores):
            j = len(aggs)
            items = ", ".join(str(float(i)) for i in s.items)
            cond = f"mkey = {_lit(m.key)} AND NOT shadow AND item IN ({items})"
            aggs.append(f"count(*) FILTER (WHERE {cond}) AS n{j}, count(adj) FILTER (WHERE {cond}) AS a{j}, "
                        f"sum(adj) FILTER (WHERE {cond}) AS t{j}, max(excl) FILTER (WHERE {cond}) AS r{j}")
            if s.method == "item":
                score, n_items, why = f"t{j}", f"CASE WHEN t{j} IS NULL THEN 0 ELSE 1 END", f"r{j}"
            else:
                k = len(s.items)
                ok = f"({k} - a{j} <= {int(s.max_missing or 0)} AND a{j} > 0)"
                value = f"t{j} * {k} / a{j}" if s.method == "sum" else f"t{j} / a{j}"
                rule = "all required" if not s.max_missing else f"at most {s.max_missing} missing"
                score, n_items = f"CASE WHEN {ok} THEN {value} END", f"a{j}"
                why = f"CASE WHEN NOT {ok} THEN 'incomplete: ' || a{j} || ' of {k} items answered ({rule})' END"
            parts.append(f"""SELECT patient, CASE WHEN pnull THEN NULL ELSE pk END AS referral, team, mkey AS measure,
                date AS assessment_date, {_lit(s.name)} AS unit, CAST({score} AS DOUBLE) AS score,
                CAST({n_items} AS DOUBLE) AS n_items, CAST({why} AS VARCHAR) AS excluded_reason, {order} AS ord,
                0 AS src, {'coalesce(_aidord.first, -1)' if eng.has_aid else '-1'} AS tie,
                CASE WHEN ak = '' THEN NULL ELSE ak END AS aid, sd, pk, pnull
                FROM _asmt {'LEFT JOIN _aidord ON _aidord.aid = _asmt.ak' if eng.has_aid else ''}
                WHERE mkey = {_lit(m.key)} AND n{j} > 0""")
    # Negatively worded items are reversed (min + max - response) before summing.
    rev = " ".join(f"WHEN mkey = {_lit(m.key)} AND item IN ({', '.join(_num(i) for i in m.reversed)}) "
                   f"THEN {_num(m.item_min + m.item_max)} - value" for m in registry.values() if m.reversed)
    if aggs:
        con.execute(f"""CREATE TEMP TABLE _asmt AS
            SELECT mkey, pk, pnull, ak, sd, arg_min(patient, pos) AS patient, arg_min(team, pos) AS team,
                   {'arg_min(date, pos)' if eng.has_aid else 'sd'} AS date, {', '.join(aggs)}
            FROM (SELECT *, CASE WHEN excl IS NOT NULL THEN NULL {rev} ELSE value END AS adj
                  FROM v WHERE item IS NOT NULL)
            GROUP BY mkey, pk, pnull, ak, sd""")
    totals = [f"WHEN {_lit(m.key)} THEN {i}" for m in registry.values() for i, s in enumerate(m.scores)
              if s.name == "total"]
    # Rows without an item are given totals; item responses without an item number were flagged, so an
    # extract of item responses has none and is not read again for them.
    if eng.has_score or not eng.has_item or not parts:
        parts.append(f"""SELECT patient, referral, team, mkey, date, 'total', value, NULL::DOUBLE, NULL::VARCHAR,
            {f"CASE mkey {' '.join(totals)} END" if totals else 'NULL'}, 1, pos, aid, sd, pk, pnull
            FROM v WHERE item IS NULL""")
    con.execute("CREATE TEMP TABLE scores AS " + "\nUNION ALL\n".join(parts))


def _pair_order(eng: Engine) -> None:
    """``_pord``: each pairing unit's number in order of first appearance (referrals first, then the
    patients without one), the order the pandas engine's integer codes gave."""
    con = eng.con
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_pord'").fetchone()[0]:
        return
    con.execute("""CREATE TEMP TABLE _pord AS
        WITH r AS (SELECT referral, min(pos) AS first FROM t WHERE referral IS NOT NULL GROUP BY referral),
             p AS (SELECT patient, min(pos) AS first FROM t WHERE patient IS NOT NULL GROUP BY patient)
        SELECT referral AS pk, FALSE AS pnull, row_number() OVER (ORDER BY first) - 1 AS pair_id FROM r
        UNION ALL
        SELECT patient, TRUE, (SELECT count(*) FROM r) + row_number() OVER (ORDER BY first) - 1 FROM p""")


#: The order of scores within one referral and date, as the pandas engine left them (see create_scores).
_ORDER = "s.ord, s.src, CASE WHEN s.src = 0 AND s.aid IS NULL THEN 1 ELSE 0 END, s.tie, s.sd"


def scores_frame(eng: Engine) -> pd.DataFrame:
    """The scores in the pandas engine's order and types (``pair_id``: the pairing unit's number)."""
    _pair_order(eng)
    out = eng.df(f"""SELECT o.pair_id, s.patient AS patient_id, s.referral AS referral_id, s.team, s.measure,
            CAST(s.assessment_date AS TIMESTAMP_NS) AS assessment_date, s.unit, s.score, s.n_items,
            s.excluded_reason, s.src
        FROM scores s JOIN _pord o USING (pk, pnull)
        ORDER BY o.pair_id, s.measure, s.assessment_date, {_ORDER}""")
    for c in ("patient_id", "referral_id", "team", "excluded_reason"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out[["measure", "unit"]] = out[["measure", "unit"]].astype("str")  # as pandas types a column of Python str
    # pandas built each computed score's column apart and typed it as text when it held a reason,
    # so a score without one reads NaN there and None elsewhere; kept so that tables compare equal.
    computed = out.pop("src").to_numpy() == 0
    has = out["excluded_reason"].notna()
    texty = (has & computed).groupby([out["measure"], out["unit"]]).transform("any").to_numpy()
    out.loc[texty & computed & ~has.to_numpy(), "excluded_reason"] = np.nan
    out["score"] = out["score"].astype(float)
    out["n_items"] = out["n_items"].astype("Float64").astype("Int64") if out["n_items"].notna().all() else \
        out["n_items"].astype("Float64")
    out["assessment_date"] = out["assessment_date"].astype("datetime64[ns]")
    return out


def counts_in_score_order(eng: Engine, where: str, by: str) -> pd.DataFrame:
    """``value_counts()`` of ``by`` over the scores matching ``where``: ``key, n`` by count, ties in
    order of first appearance among the scores (the order is worked out only when counts tie)."""
    d = eng.df(f"SELECT {by} AS key, count(*) AS n FROM scores s WHERE {where} GROUP BY 1")
    if len(d) < 2 or not d["n"].duplicated().any():
        return d.sort_values("n", ascending=False, kind="stable").reset_index(drop=True)
    _pair_order(eng)
    d = eng.df(f"""SELECT {by} AS key, count(*) AS n,
            min({{'p': o.pair_id, 'm': s.measure, 'd': s.assessment_date, 'o': s.ord, 'src': s.src,
                 'a': CASE WHEN s.src = 0 AND s.aid IS NULL THEN 1 ELSE 0 END, 't': s.tie, 's': s.sd}}) AS first
        FROM scores s JOIN _pord o USING (pk, pnull) WHERE {where} GROUP BY 1""")
    d["_first"] = [tuple(v.values()) for v in d["first"]]
    d = d.sort_values("_first", kind="stable").sort_values("n", ascending=False, kind="stable")
    return d[["key", "n"]].reset_index(drop=True)


def pairs_frame(eng: Engine, unit_table: pd.DataFrame, *, min_interval_days: int, period_start, period_end):
    """Baseline and follow-up per referral and unit in SQL: (pairs, number of same-day follow-ups)."""
    con = eng.con
    con.register("_ut", unit_table[["measure", "unit", "_uorder"]])
    end = f"AND s.assessment_date <= DATE '{period_end:%Y-%m-%d}'" if period_end is not None else ""
    start = f"WHERE (l).date >= DATE '{period_start:%Y-%m-%d}'" if period_start is not None else ""
    row = "{'patient': patient, 'team': team, 'date': assessment_date, 'score': score}"
    # The first and the last assessment: by date, then as the scores were ordered on one date.
    tie = ("{'d': assessment_date, 'src': src, 'a': CASE WHEN src = 0 AND aid IS NULL THEN 1 ELSE 0 END, "
           "'t': tie, 's': sd}")
    out = eng.df(f"""WITH s AS (
            SELECT s.*, _ut._uorder FROM scores s JOIN _ut ON _ut.measure = s.measure AND _ut.unit = s.unit
            WHERE s.score IS NOT NULL {end}
        ), g AS (
            SELECT measure, pk, pnull, _uorder, any_value(unit) AS unit, count(*) AS n,
                   arg_min({row}, {tie}) AS b, arg_max({row}, {tie}) AS l
            FROM s GROUP BY measure, pk, pnull, _uorder
        ), p AS (
            SELECT *, date_diff('day', (b).date, (l).date) AS days FROM g {start}
        )
        SELECT (b).patient AS patient_id, CASE WHEN pnull THEN NULL ELSE pk END AS referral_id, (b).team AS team,
               measure, unit, _uorder, CAST((b).date AS TIMESTAMP_NS) AS baseline_date,
               CAST((b).score AS DOUBLE) AS baseline, n AS n_assessments,
               n > 1 AND days >= {int(min_interval_days)} AS paired,
               CAST((l).date AS TIMESTAMP_NS) AS _last_date, CAST((l).score AS DOUBLE) AS _last, days
        FROM p ORDER BY measure, team, referral_id NULLS LAST, patient_id, _uorder""")
    paired = out.pop("paired").to_numpy(dtype=bool)
    days = out.pop("days").to_numpy()
    same_day = int((paired & (days == 0)).sum())
    for c in ("patient_id", "referral_id", "team"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out[["measure", "unit"]] = out[["measure", "unit"]].astype("str")
    out["n_assessments"] = out["n_assessments"].astype("int64")
    out["baseline_date"] = out["baseline_date"].astype("datetime64[ns]")
    last_date = out.pop("_last_date").astype("datetime64[ns]")
    last = out.pop("_last").to_numpy(dtype=float)
    out["follow_up_date"] = last_date.where(paired)
    out["follow_up"] = np.where(paired, last, np.nan)
    out["days_between"] = pd.array(np.where(paired, days, 0), dtype="Int64")
    out.loc[~paired, "days_between"] = pd.NA
    out["paired"] = paired
    return out, same_day
