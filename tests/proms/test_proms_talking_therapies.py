"""NHS Talking Therapies caseness, recovery and reliable change (anchors 4.5), hand-worked."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cscs_eval.proms import summarise_talking_therapies, talking_therapies

# referral: (PHQ-9 baseline, follow-up, GAD-7 baseline, follow-up) and the expected
# (case at start, recovery, reliable improvement, reliable deterioration, reliable recovery).
CASES = {
    # PHQ 15->8 (fall 7 >= 6), GAD 9->7: case at start (15 >= 10), not at end (8 < 10, 7 < 8): all good.
    "R1": ((15, 8, 9, 7), (True, True, True, False, True)),
    # PHQ 15->11 (fall 4), GAD 12->7 (fall 5 >= 4): improved on GAD; still a case at the end (11 >= 10).
    "R2": ((15, 11, 12, 7), (True, False, True, False, False)),
    # PHQ 14->7 (fall 7) but GAD 5->9 (rise 4 >= 4): reliable deterioration on GAD blocks improvement.
    "R3": ((14, 7, 5, 9), (True, False, False, True, False)),
    # Not a case at the start (PHQ 8 < 10, GAD 6 < 8): no recovery counted; PHQ rise 8->15 deteriorates.
    "R4": ((8, 15, 6, 6), (False, None, False, True, None)),
    # PHQ 12->9 (fall 3), GAD 10->7 (fall 3): recovered (neither a case at the end) without reliable change.
    "R5": ((12, 9, 10, 7), (True, True, False, False, False)),
}


def outcomes_table():
    rows = []
    for ref, ((pb, pf, gb, gf), _) in CASES.items():
        for m, b, f in (("phq9", pb, pf), ("gad7", gb, gf)):
            rows.append({"patient_id": f"P{ref}", "referral_id": ref, "team": "North" if ref < "R4" else "South",
                         "measure": m, "unit": "total", "baseline": float(b), "follow_up": float(f), "paired": True})
    # R6 has only PHQ-9: not paired on both.
    rows.append({"patient_id": "PR6", "referral_id": "R6", "team": "South", "measure": "phq9", "unit": "total",
                 "baseline": 20.0, "follow_up": 5.0, "paired": True})
    return pd.DataFrame(rows)


def test_hand_worked_cases():
    got = talking_therapies(outcomes_table()).set_index("referral_id")
    cols = ["case_at_start", "recovery", "reliable_improvement", "reliable_deterioration", "reliable_recovery"]
    for ref, (_, expected) in CASES.items():
        values = [None if pd.isna(v) else bool(v) for v in got.loc[ref, cols]]
        assert values == list(expected), ref
    assert not got.loc["R6", "paired"] and pd.isna(got.loc["R6", "recovery"])


def test_summary_rates():
    s = summarise_talking_therapies(talking_therapies(outcomes_table()), by=None).iloc[0]
    # 6 referrals, 5 paired; cases at start 4 (R1, R2, R3, R5); recovered 2 (R1, R5) -> 50%.
    assert (s["n_referrals"], s["n_paired"], s["n_case_at_start"], s["n_recovery"]) == (6, 5, 4, 2)
    assert s["recovery_rate"] == pytest.approx(0.5)
    lo, hi = proportion_confint(2, 4, method="wilson")
    assert (s["recovery_rate_low"], s["recovery_rate_high"]) == pytest.approx((lo, hi))
    assert s["reliable_improvement_rate"] == pytest.approx(2 / 5)
    assert s["reliable_recovery_rate"] == pytest.approx(1 / 4)
    by_team = summarise_talking_therapies(talking_therapies(outcomes_table()), by="team")
    assert by_team["team"].tolist() == ["North", "South"]
    # North: R1-R3, cases 3, recovered 1 (R1). South: R4-R6, one case (R5), recovered.
    assert by_team["recovery_rate"].tolist() == pytest.approx([1 / 3, 1.0])
