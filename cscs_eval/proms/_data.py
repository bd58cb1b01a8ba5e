"""Reading and validating PROMs extracts in the long format of DESIGN.md.

Two row forms are accepted:

* item responses: ``patient_id, referral_id, team, measure, assessment_date, item, response``;
* scores: ``patient_id, referral_id, team, measure, assessment_date, [item,] score``, where a
  score row without ``item`` is the measure's total and with ``item`` a DIALOG item or a GBO goal.

Every problem is listed with the row a user sees, the column and the reason; nothing is
dropped silently. With ``drop_invalid=True`` the valid rows are kept and each excluded row
is counted with its reason. The rules run in the DuckDB engine (:mod:`cscs_eval.proms._engine`),
which parses each distinct text value once and brings only the flagged rows into Python.

Readers name the file in their messages when they read it themselves (a path); a DataFrame
carries no file name, so its problems name the row and column only. Rows are counted as a
user sees them in a spreadsheet: the header is row 1, so the first data row is row 2.
"""

from __future__ import annotations

import datetime as _dt
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscs_eval.dates import parse_dates
from cscs_eval.errors import InputError, ValidationError
from cscs_eval.io import row_offset
from cscs_eval.governance import count_text
from cscs_eval.proms._measures import alias_map, measure_registry, normalise_key
from cscs_eval.proms._results import PROBLEM_COLUMNS
from cscs_eval.results import Result

BASE_COLUMNS = ("patient_id", "team", "measure", "assessment_date")
DEMOGRAPHIC_COLUMNS = ("ethnicity", "imd_decile", "age_band", "gender")
#: The row of a table's header as a user sees it; the first data row is HEADER_ROW + 1.
HEADER_ROW = 1
#: How many problems an error message quotes before "... and N more".
MESSAGE_PROBLEMS = 20


# --------------------------------------------------------------------------- helpers
def _by_unique(series: pd.Series, func) -> np.ndarray:
    """Apply ``func`` (Series of distinct values -> float array) once per distinct value of ``series``."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.asarray(func(pd.Series(uniques, dtype=object)), dtype=float) if len(uniques) else np.array([])
    return np.append(mapped, np.nan)[codes]


def _text(series: pd.Series) -> pd.Series:
    """Strings with outer spaces removed and empty strings as missing, in pandas' string dtype."""
    s = series.astype("string").str.strip()
    return s.mask(s == "")


def _blank(series: pd.Series) -> np.ndarray:
    """True where a cell is missing or only spaces (each distinct value checked once)."""
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return np.asarray(series.isna(), dtype=bool)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    blank_u = np.array([isinstance(v, str) and not v.strip() for v in uniques] + [True], dtype=bool)
    return blank_u[codes]


def _categorical(series: pd.Series) -> pd.Categorical:
    """Text as a Categorical (outer spaces removed, empty = missing), cleaning each distinct value once."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    cleaned = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    text = cleaned.where(cleaned.isna(), cleaned.astype(str).str.strip())
    text = text.where(text != "", None)
    codes2, cats = pd.factorize(text, use_na_sentinel=True)
    lookup = np.append(codes2, -1)  # position -1 (missing) maps to -1
    return pd.Categorical.from_codes(lookup[codes], categories=pd.Index(np.asarray(cats, dtype=object), dtype=object))


def _numbers(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64").to_numpy(na_value=np.nan)
    return _by_unique(series, lambda u: pd.to_numeric(u.astype("string").str.strip(), errors="coerce")
                      .astype("float64").to_numpy(na_value=np.nan))


def _problems(mask, df, column, reason, message, values=None) -> pd.DataFrame:
    """Problem rows for the positions where ``mask`` is true.

    ``message`` is one text, or a function of the flagged positions giving one text each;
    only the flagged rows are ever touched, so a clean column of ten million rows costs nothing.
    """
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(idx):
        return pd.DataFrame(columns=["_pos"] + PROBLEM_COLUMNS)
    if values is None:
        vals = df[column].iloc[idx].to_numpy(dtype=object) if column in df.columns else np.full(len(idx), "")
    else:
        vals = np.asarray(values, dtype=object)[idx] if len(values) == len(df) else np.asarray(values, dtype=object)
    vals = pd.Series(vals, dtype=object)
    msgs = message if isinstance(message, str) else np.asarray(message(idx), dtype=object)
    return pd.DataFrame({"_pos": idx, "column": column, "value": vals.where(vals.notna(), ""),
                         "reason": reason, "problem": msgs})


def _finish_problems(parts) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("_pos", "row") else object)
                             for c in ["_pos"] + PROBLEM_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["row"] = out["_pos"].astype("int64") + HEADER_ROW + 1
    out["value"] = out["value"].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out.sort_values(["_pos", "column"], kind="stable")[["_pos"] + PROBLEM_COLUMNS].reset_index(drop=True)


def problems_message(problems: pd.DataFrame, *, what="problem", hint="") -> str:
    """A readable message quoting the first problems, one per line."""
    n = len(problems)
    lines = [f"{n} {what}{'s' if n != 1 else ''} found{hint}:"]
    for rec in problems.head(MESSAGE_PROBLEMS).itertuples():
        val = f" (value {rec.value!r})" if rec.value != "" else ""
        lines.append(f"  row {rec.row}, column '{rec.column}': {rec.problem}{val}")
    if n > MESSAGE_PROBLEMS:
        lines.append(f"  ... and {n - MESSAGE_PROBLEMS} more")
    return "\n".join(lines)


# --------------------------------------------------------------------------- PROMs
def read_proms(path, **kwargs) -> pd.DataFrame:
    """Read a PROMs extract (CSV, TSV, Excel or Parquet), ready for :func:`validate_proms`.

    CSV and Excel cells are read as text (so a reader can name the exact wrong value); Parquet
    text columns are read dictionary-encoded (as categoricals), which is faster and smaller.
    """
    from pathlib import Path

    from cscs_eval.io import normalise_column, read_table, table_format

    p = Path(path)
    if not kwargs and p.is_file() and p.stat().st_size and table_format(p) == "parquet":
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(p).names
            text = [n for n in names if normalise_column(n) in ("patient_id", "referral_id", "team", "measure")]
            df = pq.read_table(p, read_dictionary=text).to_pandas()
        except Exception as exc:  # noqa: BLE001 - any unreadable file is an input error
            raise InputError(f"not a readable parquet file ({exc})", file=p) from None
        df.columns = [normalise_column(c) for c in df.columns]
        missing = [c for c in BASE_COLUMNS if c not in df.columns]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}",
                             file=p, row=1)
        if df.empty:
            raise InputError("has a header but no data rows", file=p)
        return df
    return read_table(path, required=BASE_COLUMNS, **kwargs)


def _conflicting_demographics(parsed, cols) -> pd.DataFrame:
    rows = []
    for col in cols:
        sub = parsed[["_pos", "patient_id", col]].dropna().astype({"patient_id": object})
        counts = sub.groupby("patient_id")[col].nunique()
        bad = counts[counts > 1].index
        if len(bad):
            s = sub[sub["patient_id"].isin(bad)]
            for pos, pid, val in zip(s["_pos"], s["patient_id"], s[col]):
                rows.append({"_pos": pos, "column": col, "value": val,
                             "reason": "conflicting demographics",
                             "problem": f"patient {pid} has more than one {col}"})
    return pd.DataFrame(rows, columns=["_pos", "row", "column", "value", "reason", "problem"])


def validate_proms(data, *, measures=None, today=None) -> pd.DataFrame:
    """Every problem in a PROMs extract, one row each: ``row, column, value, reason, problem``.

    ``row`` is the row a user sees (the header is row 1). An empty table means the data are
    fine. ``data`` is a path or a DataFrame in the long format of DESIGN.md.

    Examples
    --------
    >>> df = pd.DataFrame({"patient_id": ["P1", "P1"], "team": ["A", "A"], "measure": ["GBO", "GBO"],
    ...                    "assessment_date": ["01/02/2024", "2024-02-01"], "item": ["1", "2"],
    ...                    "response": ["11", "5"]})
    >>> validate_proms(df)[["row", "column", "reason"]].values.tolist()
    [[2, 'response', 'response out of range']]
    """
    with checked(data, drop_invalid=True, measures=measures, today=today) as prep:
        return prep.problems


@dataclass
class Prepared:
    """Validated rows ready for scoring, with what was excluded and why.

    ``engine`` is the open DuckDB engine (:mod:`cscs_eval.proms._engine`) whose view ``v`` holds
    the kept rows; it lives only inside :func:`checked`.
    """

    rows: pd.DataFrame | None
    exclusions: pd.DataFrame  # stage, reason, n_rows
    problems: pd.DataFrame  # row, column, value, reason, problem
    registry: dict
    source: str | None = None
    exclusions_by_team: pd.DataFrame | None = None  # stage, reason, team, n_rows
    engine: object = None


@contextmanager
def checked(data, *, drop_invalid=False, measures=None, today=None):
    """Open and validate an extract in the engine; yields a :class:`Prepared` (``rows`` None) whose
    ``engine`` scores and pairs it. The engine, and its temporary folder, close on leaving."""
    from cscs_eval.proms._engine import check, open_extract

    registry = measure_registry(extra=measures)
    today = pd.Timestamp(today or _dt.date.today()).normalize()
    eng = open_extract(data, registry=registry, aliases=alias_map(registry))
    try:
        problems = check(eng, registry, today)
        source = eng.source
        if len(problems) and not drop_invalid:
            raise ValidationError(problems_message(problems, hint=(f" in {source}" if source else "") +
                                                   "; fix them or pass --drop-invalid (drop_invalid=True) to "
                                                   "analyse the rest"), problems.drop(columns=["_pos", "_team"]),
                                  file=None)
        first = problems.drop_duplicates("_pos")
        # The team of each excluded row, so a team's report counts its own exclusions.
        teams = first["_team"]
        by_team = (first.assign(team=teams.where(teams.notna(), "not known"))
                   .groupby(["reason", "team"], sort=True).size().rename("n_rows").reset_index()
                   .assign(stage="validation")[["stage", "reason", "team", "n_rows"]])
        exclusions = (first.groupby("reason", sort=True).size().rename("n_rows").reset_index()
                      .assign(stage="validation")[["stage", "reason", "n_rows"]])
        yield Prepared(None, exclusions, problems.drop(columns=["_pos", "_team"]), registry, source, by_team, eng)
    finally:
        eng.close()


def prepare_proms(data, *, drop_invalid=False, measures=None, today=None) -> Prepared:
    """Validate, then return the valid rows with the exclusions counted by reason.

    Without ``drop_invalid`` any problem raises :class:`~cscs_eval.errors.ValidationError`
    listing them all (``.problems``). With it, rows with a problem are excluded and
    ``exclusions`` counts them by reason (columns ``stage, reason, n_rows``). ``rows`` holds
    the kept rows (parsed), so this is for small extracts; :func:`checked` keeps them in the engine.
    """
    with checked(data, drop_invalid=drop_invalid, measures=measures, today=today) as prep:
        prep.rows = prep.engine.df("SELECT * EXCLUDE (pk, pnull, ak, sd, shadow) FROM v ORDER BY pos")
        prep.engine = None
        return prep


# --------------------------------------------------------------------------- referrals and demographics
@dataclass(repr=False)
class ReadResult(Result):
    """A referrals or demographics file as read: its usable rows and every problem found in it.

    Attributes
    ----------
    table
        The usable rows (with ``drop_invalid``, rows with a problem are left out of the referrals
        and conflicting demographic fields are set to missing).
    problems
        ``row, column, value, reason, problem``: every problem found (empty when there were none).
    kind
        ``"referrals"`` or ``"demographics"``.
    source
        The file read, or None for a DataFrame given as it is.
    """

    table: pd.DataFrame
    problems: pd.DataFrame = field(default_factory=lambda: _no_problems())
    kind: str = "referrals"
    source: str | None = None

    def summary(self, *, suppress: bool = True) -> pd.DataFrame:
        """Rows with a problem, by reason: ``reason, n_rows`` (each row once, under its first problem)."""
        from cscs_eval.governance import suppress_table

        first = self.problems.drop_duplicates("row")
        counts = first.groupby("reason", sort=True).size().rename("n_rows").reset_index() if len(first) else \
            pd.DataFrame({"reason": pd.Series(dtype=object), "n_rows": pd.Series(dtype="int64")})
        return suppress_table(counts, counts=["n_rows"], suppress=suppress)

    def text(self, *, suppress: bool = True) -> str:
        where = f" from {self.source}" if self.source else ""
        n_bad = self.problems["row"].nunique()
        found = "no problems found" if not n_bad else f"{count_text(n_bad, suppress=suppress)} rows with a problem"
        noun = "referrals" if self.kind == "referrals" else "patients' demographics"
        return f"{count_text(len(self.table), suppress=suppress)} {noun} read{where}; {found}."


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else object) for c in PROBLEM_COLUMNS})


def _read_input(data, required) -> tuple[pd.DataFrame, str | None]:
    """A referrals or demographics table from a path or a DataFrame, with the file it came from."""
    from cscs_eval.io import read_table

    if isinstance(data, ReadResult):
        return data.table, data.source
    if isinstance(data, pd.DataFrame):
        return data, None
    return read_table(data, required=required), str(data)


REFERRAL_COLUMNS = ("referral_id", "patient_id", "team", "referral_date", "discharge_date", "n_contacts")


def read_referrals(data, *, drop_invalid: bool = False) -> ReadResult:
    """Referrals for eligible-referral denominators: ``referral_id, patient_id, team, referral_date,
    discharge_date, n_contacts``; dates parsed (ISO or UK), ``n_contacts`` a whole number.

    Any problem raises :class:`~cscs_eval.errors.ValidationError` listing them all; with
    ``drop_invalid`` the rows with a problem are left out and listed in ``.problems``.

    Examples
    --------
    >>> ref = pd.DataFrame({"referral_id": ["A", "B"], "patient_id": ["1", "2"], "team": "North",
    ...                     "referral_date": ["01/02/2024", "2024-02-01"], "discharge_date": ["", "2023-01-01"],
    ...                     "n_contacts": ["2", "3"]})
    >>> read = read_referrals(ref, drop_invalid=True)
    >>> read.table["referral_id"].tolist(), read.problems[["row", "reason"]].values.tolist()
    (['A'], [[3, 'impossible date']])
    """
    df, source = _read_input(data, REFERRAL_COLUMNS)
    missing = [c for c in REFERRAL_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=source, row=HEADER_ROW)
    out = pd.DataFrame({"referral_id": _text(df["referral_id"]).to_numpy(dtype=object),
                        "patient_id": _text(df["patient_id"]).to_numpy(dtype=object),
                        "team": _text(df["team"]).to_numpy(dtype=object),
                        "referral_date": parse_dates(df["referral_date"]).to_numpy(),
                        "discharge_date": parse_dates(df["discharge_date"]).to_numpy(),
                        "n_contacts": _numbers(df["n_contacts"])})
    parts = [
        _problems(out["referral_id"].isna(), df, "referral_id", "missing referral_id", "referral_id is empty"),
        _problems(out["referral_date"].isna(), df, "referral_date", "unreadable date",
                  "referral_date is empty or not a date (ISO or UK day-first)"),
        _problems(out["discharge_date"].isna() & _text(df["discharge_date"].astype("string")).notna(), df,
                  "discharge_date", "unreadable date", "not a date (ISO or UK day-first); leave empty if open"),
        _problems(out["discharge_date"] < out["referral_date"], df, "discharge_date", "impossible date",
                  "discharge before referral"),
        _problems(np.isnan(out["n_contacts"]) | (out["n_contacts"] < 0) |
                  (out["n_contacts"] != np.round(out["n_contacts"])), df, "n_contacts", "bad n_contacts",
                  "n_contacts must be a whole number of 0 or more"),
        _problems(out["referral_id"].duplicated(keep="first") & out["referral_id"].notna(), df, "referral_id",
                  "duplicate referral", "referral_id appears more than once"),
    ]
    problems = _finish_problems(parts)
    problems["row"] += row_offset(source)
    if len(problems):
        if not drop_invalid:
            raise ValidationError(problems_message(problems, hint=f" in {source}" if source else " in the referrals"),
                                  problems.drop(columns="_pos"))
        out = out[~np.isin(np.arange(len(out)), problems["_pos"])]
    return ReadResult(out.reset_index(drop=True), problems.drop(columns="_pos"), "referrals", source)


def _one_row_per_patient(parsed: pd.DataFrame, cols) -> pd.DataFrame:
    """A patient's value of each column when their rows agree on one, else missing (none given, or a
    conflict). Whole-column group-bys, not a Python function per patient and column: 3,000 patients took
    2.3 s that way."""
    g = parsed.groupby("patient_id", sort=False)
    agreed = g[cols].nunique() == 1
    first = g[cols].first()  # each column's first non-missing value
    # None for missing, in an object array, so pandas infers each column's dtype as it did for the per-patient
    # function (text, or object when no patient has a value)
    return pd.DataFrame({c: np.where(agreed[c], first[c].to_numpy(dtype=object), None) for c in cols},
                        index=first.index).reset_index()


def read_demographics(data, *, drop_invalid: bool = False) -> ReadResult:
    """One row per patient: ``patient_id`` and any of ``ethnicity, imd_decile, age_band, gender``.

    A patient listed with conflicting values is a problem; with ``drop_invalid`` that
    patient's conflicting fields become missing (so they drop out of that breakdown only)
    and the problems are listed in ``.problems``.

    Examples
    --------
    >>> demo = pd.DataFrame({"patient_id": ["P1", "P2", "P2"], "ethnicity": ["White", "Asian", "Mixed"]})
    >>> read = read_demographics(demo, drop_invalid=True)
    >>> read.table["ethnicity"].isna().tolist(), read.text(suppress=False)
    ([False, True], "2 patients' demographics read; 2 rows with a problem.")
    """
    df, source = _read_input(data, ("patient_id",))
    if "patient_id" not in df.columns:
        raise InputError("missing column patient_id", file=source, row=HEADER_ROW)
    cols = [c for c in df.columns if c != "patient_id"]
    out = pd.DataFrame({"_pos": np.arange(len(df)), "patient_id": _text(df["patient_id"]).to_numpy(dtype=object)})
    for c in cols:
        out[c] = _text(df[c].astype("string")).to_numpy(dtype=object)
    conflict = _conflicting_demographics(out, cols)
    if len(conflict):
        conflict["row"] = conflict["_pos"] + HEADER_ROW + 1 + row_offset(source)
        if not drop_invalid:
            where = f" in {source}" if source else " in the demographics"
            raise ValidationError(problems_message(conflict, hint=where), conflict.drop(columns="_pos"))
    agg = _one_row_per_patient(out.drop(columns="_pos"), cols) if cols else out[["patient_id"]].drop_duplicates()
    problems = conflict.drop(columns="_pos")[PROBLEM_COLUMNS] if len(conflict) else _no_problems()
    return ReadResult(agg, problems.reset_index(drop=True), "demographics", source)
