"""NHS Talking Therapies outcomes from PHQ-9 and GAD-7 together (anchors section 4.5).

Per referral with both measures paired (first and last assessment of each):

* caseness: PHQ-9 at or above its cut-off (10) or GAD-7 at or above its cut-off (8);
* recovery: a case at the start and not a case at the end;
* reliable improvement: a fall of at least the reliable-change value on PHQ-9 (6) or GAD-7 (4),
  with no reliable deterioration on the other measure;
* reliable deterioration: a rise of at least that value on either measure;
* reliable recovery: recovery and reliable improvement.

Cut-offs and thresholds are read from the phq9 and gad7 measure files. The recovery rate's
denominator is the paired referrals that were a case at the start (Talking Therapies: finished
treatment minus not a case at the start).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscs_eval.proms._results import table_of
from cscs_eval.proms._stats import rate_columns

COLUMNS = ["patient_id", "referral_id", "team", "phq9_baseline", "phq9_follow_up", "gad7_baseline", "gad7_follow_up",
           "paired", "case_at_start", "case_at_end", "recovery", "reliable_improvement", "reliable_deterioration",
           "reliable_recovery"]


def talking_therapies(outcomes, *, measures=None) -> pd.DataFrame:
    """One row per referral with PHQ-9 or GAD-7 totals: Talking Therapies caseness, recovery and
    reliable change, from what :func:`~cscs_eval.proms.outcomes` returns (or its table).

    Referrals without both measures paired have ``paired`` False and no outcome flags.

    Examples
    --------
    >>> o = pd.DataFrame({"patient_id": "P1", "referral_id": "R1", "team": "A", "measure": ["phq9", "gad7"],
    ...                   "unit": "total", "baseline": [15.0, 9.0], "follow_up": [8.0, 7.0], "paired": True})
    >>> talking_therapies(o)[["recovery", "reliable_improvement", "reliable_recovery"]].values.tolist()
    [[True, True, True]]
    """
    from cscs_eval.proms._measures import load_measure

    outcomes = table_of(outcomes)
    phq = load_measure("phq9", extra=measures).score("total")
    gad = load_measure("gad7", extra=measures).score("total")
    rows = outcomes[outcomes["measure"].isin(["phq9", "gad7"]) & (outcomes["unit"] == "total")]
    rows = rows.assign(_ref=rows["referral_id"].astype(object).where(rows["referral_id"].notna(),
                                                                       rows["patient_id"]))
    ids = rows.groupby("_ref", sort=True).agg(patient_id=("patient_id", "first"),
                                              referral_id=("referral_id", "first"), team=("team", "first"))
    wide = ids.copy()
    for key in ("phq9", "gad7"):
        sub = rows[rows["measure"] == key].set_index("_ref")
        wide[f"{key}_baseline"] = sub["baseline"].astype(float)
        wide[f"{key}_follow_up"] = sub["follow_up"].astype(float).where(sub["paired"].astype(bool))
    pb, pf = wide["phq9_baseline"].to_numpy(), wide["phq9_follow_up"].to_numpy()
    gb, gf = wide["gad7_baseline"].to_numpy(), wide["gad7_follow_up"].to_numpy()
    paired = ~np.isnan(pb) & ~np.isnan(pf) & ~np.isnan(gb) & ~np.isnan(gf)
    case_start = phq.is_clinical(pb) == 1
    case_start |= gad.is_clinical(gb) == 1
    case_end = (phq.is_clinical(pf) == 1) | (gad.is_clinical(gf) == 1)
    # PHQ-9 and GAD-7: lower is better, so improvement is a fall.
    phq_imp = (pb - pf) >= phq.reliable_change
    gad_imp = (gb - gf) >= gad.reliable_change
    phq_det = (pf - pb) >= phq.reliable_change
    gad_det = (gf - gb) >= gad.reliable_change
    improvement = (phq_imp | gad_imp) & ~phq_det & ~gad_det
    deterioration = phq_det | gad_det
    recovery = case_start & ~case_end

    def flag(values):
        return pd.array(np.where(paired, values, None), dtype="boolean")

    wide["paired"] = paired
    wide["case_at_start"] = flag(case_start)
    wide["case_at_end"] = flag(case_end)
    wide["recovery"] = pd.array(np.where(paired & case_start, recovery, None), dtype="boolean")
    wide["reliable_improvement"] = flag(improvement)
    wide["reliable_deterioration"] = flag(deterioration)
    wide["reliable_recovery"] = pd.array(np.where(paired & case_start, recovery & improvement, None), dtype="boolean")
    return wide.reset_index(drop=True)[COLUMNS]


def summarise_talking_therapies(table: pd.DataFrame, *, by="team") -> pd.DataFrame:
    """Talking Therapies rates per group with 95% Wilson intervals: ``n_referrals, n_paired,
    n_case_at_start, n_recovery, recovery_rate, n_reliable_improvement, reliable_improvement_rate,
    n_reliable_deterioration, reliable_deterioration_rate, n_reliable_recovery, reliable_recovery_rate``
    (recovery rates over paired cases at the start; improvement and deterioration over paired)."""
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    df = table.assign(_all="all") if not keys else table
    keys = keys or ["_all"]
    g = df.groupby(keys, sort=True, dropna=False)
    flags = ["case_at_start", "recovery", "reliable_improvement", "reliable_deterioration", "reliable_recovery"]
    out = g.agg(n_referrals=("paired", "size"), n_paired=("paired", "sum"),
                **{f"n_{f}": (f, lambda s: int(s.fillna(False).astype(bool).sum())) for f in flags}).reset_index()
    out = rate_columns(out, "recovery_rate", "n_recovery", "n_case_at_start")
    out = rate_columns(out, "reliable_improvement_rate", "n_reliable_improvement", "n_paired")
    out = rate_columns(out, "reliable_deterioration_rate", "n_reliable_deterioration", "n_paired")
    out = rate_columns(out, "reliable_recovery_rate", "n_reliable_recovery", "n_case_at_start")
    return out.drop(columns=["_all"], errors="ignore")
