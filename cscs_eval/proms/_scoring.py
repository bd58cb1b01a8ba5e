"""Scoring: item responses (or given scores) to one score per assessment and unit.

An assessment is one measure completed by one patient in one referral on one date.
Each measure file lists its scores: single items (``item 3``, ``goal 1``) and sums or means
of items (``total``, ``sqol``) with a missing-item rule. Negatively worded items are
reversed (``min + max - response``) before summing. A value the measure marks as not valid
for change (DIALOG's 8) gives no score, with that reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscs_eval.proms._data import prepare_proms
from cscs_eval.proms._results import ScoresResult, plain

SCORE_COLUMNS = ["patient_id", "referral_id", "team", "measure", "assessment_date", "unit", "score",
                 "n_items", "excluded_reason"]


def _score_measure(rows: pd.DataFrame, m) -> pd.DataFrame:
    """Score all rows of one measure (vectorised: assessments x items as one array)."""
    # One integer key per assessment: the pairing unit and the day (or the assessment_id).
    if "slot" in rows.columns:
        slot = rows["slot"].to_numpy(dtype=np.int64)
    else:
        slot = rows["assessment_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    slot = slot - (slot.min() if len(slot) else 0)
    span = int(slot.max()) + 1 if len(slot) else 1
    key = rows["pair_id"].to_numpy(dtype=np.int64) * span + slot
    aid, uniq = pd.factorize(key, sort=True)
    n_assess = len(uniq)
    # The first row of each assessment gives its patient, referral and team.
    idx = pd.Series(aid).drop_duplicates().index.to_numpy()
    first_row = np.empty(n_assess, dtype=np.int64)
    first_row[aid[idx]] = idx
    firsts = rows.iloc[first_row]
    base = pd.DataFrame({"pair_id": firsts["pair_id"].to_numpy(),
                         "assessment_date": firsts["assessment_date"].to_numpy(),
                         "patient_id": firsts["patient_id"].array, "referral_id": firsts["referral_id"].array,
                         "team": firsts["team"].array})

    item = rows["item"].to_numpy(dtype=float)
    value = rows["value"].to_numpy(dtype=float).copy()
    is_item_row = rows["is_item"].to_numpy(dtype=bool)
    # Reverse negatively worded items in raw responses; given item scores are already keyed.
    if m.reversed:
        rev = is_item_row & np.isin(item, m.reversed)
        value[rev] = m.item_min + m.item_max - value[rev]
    excl_cat = rows["excluded_reason"].array
    has_excl = np.asarray(excl_cat.codes >= 0) if hasattr(excl_cat, "codes") else pd.notna(excl_cat)
    excluded = np.asarray(excl_cat.astype(object)) if has_excl.any() else None
    per_item = ~np.isnan(item)
    grid = np.full((n_assess, m.n_items), np.nan)
    present = np.zeros((n_assess, m.n_items), dtype=bool)
    reason = np.full((n_assess, m.n_items), None, dtype=object)
    idx_a = aid[per_item]
    idx_i = item[per_item].astype(int) - 1
    grid[idx_a, idx_i] = np.where(has_excl[per_item], np.nan, value[per_item])
    present[idx_a, idx_i] = True
    if has_excl.any():
        sel = per_item & has_excl
        reason[aid[sel], item[sel].astype(int) - 1] = excluded[sel]

    out = []
    for s in m.scores:
        if s.method == "item":
            j = s.items[0] - 1
            mask = present[:, j]
            if not mask.any():
                continue
            out.append(base[mask].assign(unit=s.name, score=grid[mask, j], n_items=np.where(
                np.isnan(grid[mask, j]), 0, 1), excluded_reason=reason[mask, j]))
        else:
            cols = [i - 1 for i in s.items]
            sub = grid[:, cols]
            has_any = present[:, cols].any(axis=1)
            if not has_any.any():
                continue
            answered = (~np.isnan(sub)).sum(axis=1)
            k = len(cols)
            ok = (k - answered) <= s.max_missing
            ok &= answered > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                total = np.nansum(sub, axis=1)
                value_s = total * k / answered if s.method == "sum" else total / answered
            value_s = np.where(ok, value_s, np.nan)
            why = np.full(n_assess, None, dtype=object)
            bad = has_any & ~ok
            if bad.any():
                rule = "all required" if s.max_missing == 0 else f"at most {s.max_missing} missing"
                why[bad] = [f"incomplete: {a} of {k} items answered ({rule})" for a in answered[bad]]
            out.append(base[has_any].assign(unit=s.name, score=value_s[has_any], n_items=answered[has_any],
                                            excluded_reason=why[has_any]))
    # Score rows without an item: the total as given.
    total_rows = ~per_item
    if total_rows.any():
        t = rows[total_rows]
        out.append(pd.DataFrame({"pair_id": t["pair_id"].to_numpy(),
                                 "assessment_date": t["assessment_date"].to_numpy(),
                                 "patient_id": t["patient_id"].array, "referral_id": t["referral_id"].array,
                                 "team": t["team"].array, "unit": "total",
                                 "score": t["value"].to_numpy(dtype=float), "n_items": np.nan,
                                 "excluded_reason": None}))
    if not out:
        return pd.DataFrame(columns=["pair_id"] + SCORE_COLUMNS)
    res = pd.concat(out, ignore_index=True)
    res["measure"] = m.key
    order = {sc.name: i for i, sc in enumerate(m.scores)}
    res["_order"] = res["unit"].map(order).astype("int64")
    return res


def score_rows(rows: pd.DataFrame, registry: dict) -> pd.DataFrame:
    """Score prepared rows (from :func:`~cscs_eval.proms._data.prepare_proms`)."""
    codes = rows["measure"].cat.codes.to_numpy() if isinstance(rows["measure"].dtype, pd.CategoricalDtype) else None
    if codes is not None:
        parts = [_score_measure(rows[codes == i], registry[key]) for i, key in enumerate(rows["measure"].cat.categories)
                 if (codes == i).any()]
    else:
        parts = [_score_measure(rows[rows["measure"] == key], registry[key]) for key in sorted(pd.unique(rows["measure"]))]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["pair_id"] + SCORE_COLUMNS)
    res = pd.concat(parts, ignore_index=True)
    res["n_items"] = res["n_items"].astype("Float64").astype("Int64") if res["n_items"].notna().all() else \
        res["n_items"].astype("Float64")
    res = res.sort_values(["pair_id", "measure", "assessment_date", "_order"], kind="stable").reset_index(drop=True)
    return res[["pair_id"] + SCORE_COLUMNS]


def score(data, *, measures=None, drop_invalid: bool = False, today=None) -> ScoresResult:
    """Scores per assessment: one row per assessment and score.

    Parameters
    ----------
    data
        A PROMs file path or DataFrame in the long format (item responses or score rows).
    measures
        Extra or replacement measure files (a path, a folder or a list of them).
    drop_invalid
        Analyse the valid rows when some have problems, instead of raising
        :class:`~cscs_eval.errors.ValidationError`.

    Returns
    -------
    ScoresResult
        ``.table`` has the columns ``patient_id, referral_id, team, measure, assessment_date,
        unit, score, n_items, excluded_reason``; ``score`` is missing where ``excluded_reason``
        says why (an incomplete assessment, a DIALOG 8). ``.exclusions`` counts the input rows
        left out at validation by reason, ``.problems`` lists them.

    Examples
    --------
    >>> df = pd.DataFrame({"patient_id": "P1", "team": "A", "measure": "GBO", "assessment_date": "01/02/2024",
    ...                    "item": ["1", "2"], "response": ["3", "6"]})
    >>> score(df).table[["unit", "score"]].values.tolist()
    [['goal 1', 3.0], ['goal 2', 6.0], ['goal mean', 4.5]]
    """
    prep = prepare_proms(data, drop_invalid=drop_invalid, measures=measures, today=today)
    scores = score_rows(prep.rows, prep.registry)
    return ScoresResult(plain(scores.drop(columns="pair_id")), exclusions=prep.exclusions, problems=prep.problems)
