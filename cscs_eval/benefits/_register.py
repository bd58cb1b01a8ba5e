"""The benefits register, reported with each indicator's SPC variation and assurance.

Register file: ``benefit, indicator, baseline, target, current, owner, status`` (DESIGN.md),
where ``indicator`` names a series in an indicators file ``indicator, date, value``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscs_eval.benefits._series import indicator_names
from cscs_eval.benefits._xmr import ASSURANCE_LABELS, VARIATION_LABELS, spc
from cscs_eval.errors import InputError, ValidationError
from cscs_eval.io import read_table, row_number
from cscs_eval.results import Result

REGISTER_COLUMNS = ("benefit", "indicator", "baseline", "target", "current", "owner", "status")
INDICATOR_COLUMNS = ("indicator", "date", "value")


def read_register(path) -> pd.DataFrame:
    """Read and check a benefits register; every problem is listed at once.

    ``baseline``, ``target`` and ``current`` must be numbers (``current`` may be empty: the
    latest indicator value is then used); ``benefit`` and ``indicator`` must be filled in.
    """
    df = read_table(path, required=REGISTER_COLUMNS)
    return check_register(df, source=path)


def check_register(df: pd.DataFrame, *, source=None) -> pd.DataFrame:
    """Check a register DataFrame and convert its number columns; see :func:`read_register`.

    ``source`` names the file in the error.
    """
    problems = []
    out = df.copy()
    for col in ("benefit", "indicator"):
        for i, v in enumerate(df[col]):
            if pd.isna(v) or str(v).strip() == "":
                problems.append({"row": row_number(df, i), "column": col, "problem": f"{col} is empty"})
    for col in ("baseline", "target", "current"):
        num = pd.to_numeric(df[col], errors="coerce")
        for i, (raw, v) in enumerate(zip(df[col], num)):
            if pd.isna(v) and not (col == "current" and (pd.isna(raw) or str(raw).strip() == "")):
                what = "is empty" if pd.isna(raw) or str(raw).strip() == "" else f"'{raw}' is not a number"
                problems.append({"row": row_number(df, i), "column": col, "problem": f"{col} {what}"})
        out[col] = num.astype(float)
    dup = df["benefit"].astype(str).duplicated(keep=False) & df["benefit"].notna()
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append({"row": row_number(df, i), "column": "benefit",
                         "problem": f"benefit '{df['benefit'].iloc[i]}' is listed more than once"})
    if problems:
        first = problems[0]
        raise ValidationError(f"{len(problems)} problem(s) in the benefits register, first: row {first['row']}, "
                              f"column '{first['column']}': {first['problem']}", pd.DataFrame(problems),
                              file=source)
    return out


def improvement_from(baseline, target) -> str:
    """The improvement direction a register row implies: towards the target from the baseline.

    Examples
    --------
    >>> improvement_from(40, 60), improvement_from(12, 8), improvement_from(5, 5)
    ('increase', 'decrease', 'neutral')
    """
    if pd.isna(baseline) or pd.isna(target) or baseline == target:
        return "neutral"
    return "increase" if target > baseline else "decrease"


@dataclass(repr=False)
class RegisterResult(Result):
    """The benefits register reported with its indicators' SPC charts.

    ``table``: one row per benefit, ``benefit, indicator, owner, status, baseline, target, current,
    latest, latest_date, n_points, improvement, mean, lpl, upl, variation, assurance, summary``;
    ``charts``: the :class:`~cscs_eval.benefits.SpcResult` of each indicator, by name; ``text()``:
    what the charts say, in sentences naming the benefits.
    """

    table: pd.DataFrame = field()  # required, not the base class's None
    charts: dict = field(default_factory=dict)

    def text(self) -> str:
        from cscs_eval.benefits._sentences import register_sentences

        return " ".join(register_sentences(self))


def register_report(register: pd.DataFrame, indicators: pd.DataFrame, *, screen_outliers: bool = False,
                    rebase=None, labels=None, source=None, indicators_source=None) -> RegisterResult:
    """The register with each indicator's latest value, SPC variation and assurance against its target.

    Parameters
    ----------
    register
        A register (from :func:`read_register` or a DataFrame with its columns).
    indicators
        A long table ``indicator, date, value``.
    screen_outliers
        Passed to :func:`cscs_eval.benefits.spc`.
    rebase
        Optional mapping of indicator name to rebase date(s).
    labels
        Optional mapping of indicator name to the name its chart's sentences use.
    source, indicators_source
        The files the register and the indicators came from, named in error messages.

    Returns
    -------
    RegisterResult
        ``.table``: ``benefit, indicator, owner, status, baseline, target, current, latest,
        latest_date, n_points, improvement, mean, lpl, upl, variation, assurance, summary``, where
        ``current`` falls back to the latest value when the register leaves it empty; ``.charts``.
    """
    if not all(pd.api.types.is_numeric_dtype(register[c]) for c in ("baseline", "target", "current")):
        register = check_register(register, source=source)
    missing = [c for c in INDICATOR_COLUMNS if c not in indicators.columns]
    if missing:
        raise InputError(f"indicators table is missing column(s) {', '.join(missing)}", file=indicators_source)
    known = indicator_names(indicators)
    unknown = [(i, v) for i, v in enumerate(register["indicator"].astype(str)) if v not in known]
    if unknown:
        i, v = unknown[0]
        raise InputError(f"indicator '{v}' has no series in the indicators file (it has {', '.join(known)})",
                         file=source, row=row_number(register, i), column="indicator")
    charts = indicator_charts(register, indicators, screen_outliers=screen_outliers, rebase=rebase, labels=labels,
                              indicators_source=indicators_source)
    rows = []
    for _, r in register.iterrows():
        res = charts[str(r["indicator"])]
        last = res.table.iloc[-1]
        rows.append({
            "benefit": r["benefit"], "indicator": r["indicator"], "owner": r["owner"], "status": r["status"],
            "baseline": r["baseline"], "target": r["target"],
            "current": r["current"] if pd.notna(r["current"]) else float(last["value"]),
            "latest": float(last["value"]), "latest_date": last["date"], "n_points": len(res.table),
            "improvement": res.improvement, "mean": float(last["mean"]), "lpl": float(last["lpl"]),
            "upl": float(last["upl"]), "variation": res.variation, "assurance": res.assurance,
            "summary": _summary(res),
        })
    return RegisterResult(table=pd.DataFrame(rows), charts=charts)


def indicator_charts(register: pd.DataFrame, indicators: pd.DataFrame, *, names=None, screen_outliers: bool = False,
                     rebase=None, labels=None, indicators_source=None) -> dict:
    """The SPC chart of each register indicator, keyed by indicator name.

    Each chart takes its target from the register and its improvement direction from baseline
    towards target (:func:`improvement_from`). Indicators in ``names`` but not in the register
    are charted with a neutral direction and no target. ``rebase`` maps an indicator to its
    rebase date(s); ``labels`` maps an indicator to the name its chart's sentences use (default the
    indicator's own name). Warnings name the indicator they concern; errors name the row of the
    indicators file ``indicators_source``.
    """
    rebase = rebase or {}
    labels = labels or {}
    wanted = list(dict.fromkeys(register["indicator"].astype(str))) if names is None else [str(n) for n in names]
    charts = {}
    for name in wanted:
        rows = register[register["indicator"].astype(str) == name]
        if len(rows):
            target, improvement = float(rows["target"].iloc[0]), improvement_from(rows["baseline"].iloc[0],
                                                                                rows["target"].iloc[0])
        else:
            target, improvement = None, "neutral"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = spc(indicators, indicator=name, improvement=improvement, target=target,
                      screen_outliers=screen_outliers, rebase=rebase.get(name, ()), label=labels.get(name, name),
                      source=indicators_source)
        for w in caught:  # pass the warnings on, naming the indicator they concern
            warnings.warn(f"{name}: {w.message}", w.category, stacklevel=2)
        charts[name] = res
    return charts


def _summary(res) -> str:
    text = VARIATION_LABELS[res.variation]
    if res.assurance:
        text += "; " + ASSURANCE_LABELS[res.assurance].lower()
    return text


def indicator_labels(register: pd.DataFrame, *, names=None, labels=None) -> dict:
    """A label for each indicator charted: the one given in ``labels``, else its name in words.

    Parameters
    ----------
    register
        The benefits register (its ``indicator`` column).
    names
        The indicators wanted; empty or ``None`` means every indicator in the register.
    labels
        Labels given by the user (axis labels, names in sentences); they win.

    Examples
    --------
    >>> reg = pd.DataFrame({"indicator": ["dna_rate_pct", "waiting_weeks"]})
    >>> indicator_labels(reg, labels={"waiting_weeks": "Wait (weeks)"})
    {'dna_rate_pct': 'dna rate pct', 'waiting_weeks': 'Wait (weeks)'}
    """
    wanted = list(names) if names else list(dict.fromkeys(register["indicator"].astype(str)))
    return {**{str(n): str(n).replace("_", " ") for n in wanted}, **dict(labels or {})}


def benefit_titles(register: pd.DataFrame, *, labels=None) -> dict:
    """A chart title for each indicator: the benefit it measures, else its label.

    Examples
    --------
    >>> reg = pd.DataFrame({"indicator": ["waiting_weeks"], "benefit": ["Shorter waits"]})
    >>> benefit_titles(reg, labels={"waiting_weeks": "Wait (weeks)", "dna_rate_pct": "Missed (%)"})
    {'waiting_weeks': 'Shorter waits', 'dna_rate_pct': 'Missed (%)'}
    """
    return {**dict(labels or {}), **dict(zip(register["indicator"].astype(str), register["benefit"].astype(str)))}
