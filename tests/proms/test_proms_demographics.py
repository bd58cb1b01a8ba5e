"""read_demographics gives, with whole-column group-bys, exactly the table the per-patient function gave."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cscs_eval.proms import read_demographics
from cscs_eval.proms._data import _read_input, _text

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "demographics.csv"


def per_patient_reference(data):
    """The previous implementation (main at d46c18c, cscs_eval/proms/_data.py), kept as the reference:
    a Python function per patient and column; a value when the patient's non-missing values agree on one."""
    df, _ = _read_input(data, ("patient_id",))
    cols = [c for c in df.columns if c != "patient_id"]
    out = pd.DataFrame({"patient_id": _text(df["patient_id"]).to_numpy(dtype=object)})
    for c in cols:
        out[c] = _text(df[c].astype("string")).to_numpy(dtype=object)
    if not cols:
        return out[["patient_id"]].drop_duplicates()
    return out.groupby("patient_id", sort=False).agg(
        {c: (lambda s: s.dropna().iloc[0] if s.dropna().nunique() == 1 else None) for c in cols}).reset_index()


EDGE_CASES = {
    "conflicts, blanks, spaces, a missing patient_id, numbers": pd.DataFrame({
        "patient_id": ["P1", "P2", "P2", None, "P3", " P1", "P4", "P2"],
        "ethnicity": ["White", "Asian", "Mixed", "x", None, "White", "  ", None],
        "imd_decile": [1, 2, 2, 3, np.nan, 1, 5, 2],
        "gender": [None] * 8}),
    "a column nobody answered": pd.DataFrame({"patient_id": ["P1", "P1"], "age_band": [None, None]}),
    "only patient_id": pd.DataFrame({"patient_id": ["P1", "P1", "P2"]}),
    "no rows": pd.DataFrame({"patient_id": pd.Series([], dtype=object), "ethnicity": pd.Series([], dtype=object)}),
}


def test_sample_demographics_identical_to_the_per_patient_function():
    got = read_demographics(SAMPLE, drop_invalid=True).table
    expected = per_patient_reference(SAMPLE)
    assert len(got) == 3000  # the sample's patients, one row each
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_edge_cases_identical_to_the_per_patient_function(case):
    data = EDGE_CASES[case]
    got = read_demographics(data, drop_invalid=True).table
    expected = per_patient_reference(data)
    pd.testing.assert_frame_equal(got, expected)
    # missing stays None where no value was ever given (an object column), as before
    assert [type(v) for v in got.to_numpy().ravel()] == [type(v) for v in expected.to_numpy().ravel()]


def test_conflict_and_agreement_by_hand():
    demo = pd.DataFrame({"patient_id": ["P1", "P1", "P2", "P2", "P3"],
                         "ethnicity": ["White", "Black", "Asian", None, None]})
    got = read_demographics(demo, drop_invalid=True).table.set_index("patient_id")["ethnicity"]
    # P1 conflicts (missing), P2 agrees on its one given value, P3 never gave one
    assert pd.isna(got["P1"]) and got["P2"] == "Asian" and pd.isna(got["P3"])
