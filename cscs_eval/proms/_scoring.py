"""Scoring: item responses (or given scores) to one score per assessment and unit.

An assessment is one measure completed by one patient in one referral on one date.
Each measure file lists its scores: single items (``item 3``, ``goal 1``) and sums or means
of items (``total``, ``sqol``) with a missing-item rule. Negatively worded items are
reversed (``min + max - response``) before summing. A value the measure marks as not valid
for change (DIALOG's 8) gives no score, with that reason.
"""

from __future__ import annotations

import pandas as pd

from cscs_eval.proms._data import checked
from cscs_eval.proms._engine import create_scores, scores_frame
from cscs_eval.proms._results import ScoresResult, plain

SCORE_COLUMNS = ["patient_id", "referral_id", "team", "measure", "assessment_date", "unit", "score",
                 "n_items", "excluded_reason"]


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
    with checked(data, drop_invalid=drop_invalid, measures=measures, today=today) as prep:
        create_scores(prep.engine, prep.registry)
        scores = scores_frame(prep.engine)
    return ScoresResult(plain(scores.drop(columns="pair_id")), exclusions=prep.exclusions, problems=prep.problems)
