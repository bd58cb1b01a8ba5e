"""Validation of PROMs extracts: every problem listed with row, column and reason."""

import pandas as pd
import pytest

from cscs_eval.dates import parse_dates
from cscs_eval.errors import InputError, ValidationError
from cscs_eval.proms import read_demographics, validate_proms
from cscs_eval.proms._data import prepare_proms

TODAY = "2025-01-01"


def item_rows(pid, measure, date, responses, *, referral=None, team="North"):
    return [{"patient_id": pid, "referral_id": referral or f"R-{pid}", "team": team, "measure": measure,
             "assessment_date": date, "item": str(i), "response": None if r is None else str(r)}
            for i, r in enumerate(responses, 1)]


def frame(*parts):
    return pd.DataFrame([r for p in parts for r in p])


def reasons(df):
    return validate_proms(df, today=TODAY)[["row", "column", "reason"]].values.tolist()


def test_clean_data_has_no_problems():
    df = frame(item_rows("P1", "ReQoL-10", "2024-01-05", [2] * 10), item_rows("P1", "gbo", "05/01/2024", [3, 4]))
    assert validate_proms(df, today=TODAY).empty


def test_out_of_range_and_not_a_number_and_not_whole():
    df = frame(item_rows("P1", "reqol10", "2024-01-05", [2, 5, "x", 2.5, 2, 2, 2, 2, 2, 2]))
    assert reasons(df) == [[3, "response", "response out of range"], [4, "response", "response not a number"],
                           [5, "response", "response not a whole number"]]
    # Each message says what was expected.
    assert validate_proms(df, today=TODAY)["problem"].tolist() == [
        "out of range; allowed 0 to 4", "not a number; expected a number from 0 to 4",
        "not a whole number; expected a whole number from 0 to 4"]


def test_unknown_measure_and_item():
    df = frame(item_rows("P1", "CORE-10", "2024-01-05", [1]), item_rows("P1", "gbo", "2024-01-05", [1, 1, 1, 1]))
    assert reasons(df) == [[2, "measure", "unknown measure"], [6, "item", "unknown item"]]
    msg = validate_proms(df, today=TODAY).loc[1, "problem"]
    assert msg == "unknown item; goals are numbered 1 to 3 for gbo"


def test_dates_uk_missing_future_and_unreadable():
    df = frame(item_rows("P1", "gbo", "31/01/2024", [1]), item_rows("P2", "gbo", "", [1]),
               item_rows("P3", "gbo", "2026-02-01", [1]), item_rows("P4", "gbo", "01/31/2024", [1]))
    assert reasons(df) == [[3, "assessment_date", "missing date"], [4, "assessment_date", "future date"],
                           [5, "assessment_date", "unreadable date"]]


def test_parse_dates_uk_day_first():
    got = parse_dates(pd.Series(["03/04/2024", "2024-04-03", "3.4.2024", "2024-04-03 00:00:00", "30/02/2024"]))
    assert got[:4].dt.strftime("%Y-%m-%d").tolist() == ["2024-04-03"] * 4
    assert pd.isna(got[4])  # 30 February does not exist


def test_duplicates_exact_and_conflicting():
    exact = item_rows("P1", "gbo", "2024-01-05", [3]) * 2
    conflicting = item_rows("P2", "gbo", "2024-01-05", [3]) + item_rows("P2", "gbo", "2024-01-05", [4])
    df = frame(exact, conflicting)
    problems = validate_proms(df, today=TODAY)
    assert problems[["row", "reason"]].values.tolist() == [
        [3, "duplicate assessment"], [4, "conflicting duplicate assessment"], [5, "conflicting duplicate assessment"]]
    assert "repeats row 2" in problems.loc[0, "problem"]


def test_dialog_8_is_not_an_input_error():
    df = frame(item_rows("P1", "dialog", "2024-01-05", [8, 7, 1]))
    assert validate_proms(df, today=TODAY).empty


def test_missing_columns_named():
    df = pd.DataFrame({"patient_id": ["P1"], "team": ["A"], "measure": ["gbo"], "assessment_date": ["2024-01-01"]})
    with pytest.raises(InputError, match="missing column.*response"):
        validate_proms(df)


def test_score_rows_total_and_items():
    df = pd.DataFrame({"patient_id": ["P1"] * 4, "team": "A", "measure": ["reqol10", "reqol10", "dialog", "dialog"],
                       "assessment_date": ["2024-01-01", "2024-02-01", "2024-01-01", "2024-01-01"],
                       "item": [None, None, "1", None], "score": ["41", "30", "5", "5"]})
    assert reasons(df) == [[2, "score", "score out of range"], [5, "item", "no total score"]]


def test_conflicting_demographics_in_proms_file():
    df = frame(item_rows("P1", "gbo", "2024-01-05", [3]), item_rows("P1", "gbo", "2024-02-05", [3]))
    df["ethnicity"] = ["White", "Asian"]
    assert reasons(df) == [[2, "ethnicity", "conflicting demographics"], [3, "ethnicity", "conflicting demographics"]]


def test_conflicting_demographics_file():
    demo = pd.DataFrame({"patient_id": ["P1", "P1", "P2"], "ethnicity": ["White", "Black", "Asian"]})
    with pytest.raises(ValidationError, match="patient P1 has more than one ethnicity"):
        read_demographics(demo)
    clean = read_demographics(demo, drop_invalid=True)
    got = clean.table.set_index("patient_id")["ethnicity"]
    assert clean.problems[["row", "reason"]].values.tolist() == [[2, "conflicting demographics"],
                                                                   [3, "conflicting demographics"]]
    assert pd.isna(got["P1"]) and got["P2"] == "Asian"


def test_error_lists_every_problem_and_drop_invalid_counts_them():
    df = frame(item_rows("P1", "reqol10", "2024-01-05", [9, 9, 2, 2, 2, 2, 2, 2, 2, 2]),
               item_rows("P2", "nope", "2024-01-05", [1]))
    with pytest.raises(ValidationError) as info:
        prepare_proms(df, today=TODAY)
    assert len(info.value.problems) == 3
    assert "row 2, column 'response': out of range; allowed 0 to 4 (value '9')" in str(info.value)
    assert "--drop-invalid" in str(info.value)
    prep = prepare_proms(df, drop_invalid=True, today=TODAY)
    rows, excl = prep.rows, prep.exclusions
    assert len(rows) == 8
    assert excl.set_index("reason")["n_rows"].to_dict() == {"response out of range": 2, "unknown measure": 1}


def test_empty_response_is_missing_item_not_error():
    df = frame(item_rows("P1", "reqol10", "2024-01-05", [2] * 9 + [None]))
    assert validate_proms(df, today=TODAY).empty
    rows = prepare_proms(df, today=TODAY).rows
    assert len(rows) == 9


def test_csv_file_rows_and_excel(tmp_path):
    df = frame(item_rows("P1", "gbo", "05/01/2024", [3, 11]))
    path = tmp_path / "proms.csv"
    df.to_csv(path, index=False)
    assert reasons(str(path)) == [[3, "response", "response out of range"]]
    xlsx = tmp_path / "proms.xlsx"
    df.to_excel(xlsx, index=False)
    assert reasons(str(xlsx)) == [[3, "response", "response out of range"]]


def test_excel_real_dates(tmp_path):
    df = frame(item_rows("P1", "gbo", "2024-01-05", [3]), item_rows("P1", "gbo", "2024-03-05", [6]))
    df["assessment_date"] = pd.to_datetime(df["assessment_date"])
    df["item"] = df["item"].astype(int)
    df["response"] = df["response"].astype(int)
    path = tmp_path / "proms.xlsx"
    df.to_excel(path, index=False)
    from cscs_eval.proms import outcomes

    o = outcomes(str(path), today=TODAY).table
    assert o.loc[0, ["baseline_date", "follow_up_date"]].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-03-05"]


def test_engine_folder_is_private_and_removed_after_success_and_failure(tmp_path, monkeypatch):
    """The engine may spill row-level patient data to its temporary folder: the folder is the user's
    alone (mode 0700) and is removed when the run ends, whether it succeeded or raised."""
    import os

    from cscs_eval.proms import _engine

    seen = []
    real = _engine.connect

    def spy():
        con, tmp = real()
        seen.append((tmp, os.stat(tmp).st_mode & 0o777))
        return con, tmp

    monkeypatch.setattr(_engine, "connect", spy)
    good = frame(item_rows("P1", "reqol10", "2024-01-05", [2] * 10))
    path = tmp_path / "proms.parquet"
    good.to_parquet(path, index=False)
    assert validate_proms(str(path), today=TODAY).empty
    bad = frame(item_rows("P1", "reqol10", "2024-01-05", [9] * 10))
    with pytest.raises(ValidationError):
        prepare_proms(bad, today=TODAY)
    assert len(seen) == 2
    assert [mode for _, mode in seen] == [0o700, 0o700]
    assert not any(os.path.exists(folder) for folder, _ in seen)


def test_parquet_and_dataframe_give_the_same_problems(tmp_path):
    """A Parquet file is read by the engine itself, other input through pandas: the problems are the same."""
    df = frame(item_rows(" P1 ", "ReQoL 10", "2024-01-05", [2, 5, "x", 2.5, 2, 2, 2, 2, 2, None]),
               item_rows("P2", "nope", "05/01/2030", [1]), item_rows("", "gbo", "bad date", [3]))
    df.loc[len(df)] = df.loc[0]  # an exact copy
    path = tmp_path / "proms.parquet"
    df.to_parquet(path, index=False)
    from_frame = validate_proms(df, today=TODAY)
    assert len(from_frame) == 8  # 3 answers, unknown measure and future date, no patient and no date, a copy
    pd.testing.assert_frame_equal(validate_proms(str(path), today=TODAY), from_frame)
