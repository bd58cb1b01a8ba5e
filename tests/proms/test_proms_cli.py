"""``cscs-eval proms ...`` through the real entry point."""

import pandas as pd
import pytest

from cscs_eval.cli import main

KEY = "0123456789abcdef-test-key"


def write_proms(tmp_path, *, bad=False):
    rows = []
    for pid, dates_totals in {"P1": [("2024-01-05", [2] * 10), ("05/06/2024", [0, 4, 0, 4, 4, 0, 4, 4, 0, 4])],
                              "P2": [("2024-02-01", [1] * 10)]}.items():
        for date, resp in dates_totals:
            rows += [{"patient_id": pid, "referral_id": f"R{pid}", "team": "North", "measure": "ReQoL-10",
                      "assessment_date": date, "item": i, "response": r} for i, r in enumerate(resp, 1)]
    df = pd.DataFrame(rows)
    if bad:
        df.loc[3, "response"] = 7
    path = tmp_path / "proms.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("CSCS_EVAL_PSEUDONYM_KEY", KEY)


def test_outcomes_writes_columns_of_the_issue(tmp_path, key, capsys):
    out = tmp_path / "out.csv"
    assert main(["proms", "outcomes", str(write_proms(tmp_path)), "--out", str(out)]) == 0
    df = pd.read_csv(out)
    for col in ["referral_id", "team", "measure", "unit", "baseline_date", "follow_up_date", "baseline", "follow_up",
                "change", "category", "clinical_baseline", "reliable_recovery"]:
        assert col in df.columns
    p1 = df[df["paired"]].iloc[0]
    # P1: keyed baseline 2*10 = 20 (reversed items 4-2 = 2), follow-up 4*10 = 40 -> +20, recovered.
    assert (p1["baseline"], p1["follow_up"], p1["category"], p1["reliable_recovery"]) == \
        (20.0, 40.0, "reliable improvement", True)
    assert p1["follow_up_date"] == "2024-06-05"  # UK day-first
    assert "RP1" not in out.read_text() and "P1" not in set(df["patient_id"])  # pseudonymised


def test_outcomes_parquet_and_excel(tmp_path, key):
    for ext in ("parquet", "xlsx"):
        out = tmp_path / f"out.{ext}"
        assert main(["proms", "outcomes", str(write_proms(tmp_path)), "--out", str(out)]) == 0
        df = pd.read_parquet(out) if ext == "parquet" else pd.read_excel(out)
        assert len(df) == 2


def test_score_prints_table(tmp_path, key, capsys):
    assert main(["proms", "score", str(write_proms(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "total" in out and "20.0" in out and "40.0" in out


def test_row_level_refused_without_key(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CSCS_EVAL_PSEUDONYM_KEY", raising=False)
    assert main(["proms", "outcomes", str(write_proms(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "row-level export refused" in err and "Traceback" not in err


def test_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CSCS_EVAL_PSEUDONYM_KEY", raising=False)
    kf = tmp_path / "key.txt"
    kf.write_text(KEY)
    assert main(["proms", "score", str(write_proms(tmp_path)), "--key-file", str(kf)]) == 0


def test_invalid_data_exit_1_lists_rows(tmp_path, key, capsys):
    assert main(["proms", "outcomes", str(write_proms(tmp_path, bad=True))]) == 1
    err = capsys.readouterr().err
    assert "row 5, column 'response': out of range; allowed 0 to 4 (value '7')" in err
    assert "Traceback" not in err


def test_drop_invalid_counts_excluded_rows(tmp_path, key, capsys):
    assert main(["proms", "outcomes", str(write_proms(tmp_path, bad=True)), "--drop-invalid"]) == 0
    err = capsys.readouterr().err
    # each reason counted as every published count is (issue 10: the 1 printed here was a count of 1 to 4)
    assert "validation: response out of range: *" in err
    assert "scoring: incomplete: some items answered (all required): *" in err
    assert "excluded: fewer than 5 rows or scores" in err


def test_validate_command(tmp_path, capsys):
    assert main(["proms", "validate", str(write_proms(tmp_path))]) == 0
    assert "no problems found" in capsys.readouterr().out
    bad = write_proms(tmp_path, bad=True)
    out = tmp_path / "problems.csv"
    # Every problem on stdout, one a line, exit 1; --debug and --encoding are accepted after the command.
    assert main(["proms", "validate", str(bad), "--out", str(out), "--debug", "--encoding", "utf-8"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"{bad}, row 5, column 'response': out of range; allowed 0 to 4 (value '7')"]
    assert "1 problem(s) found" in captured.err and "Traceback" not in captured.err
    assert pd.read_csv(out)[["row", "reason"]].values.tolist() == [[5, "response out of range"]]


def test_summarise_is_suppressed_unless_no_suppress(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["proms", "summarise", str(write_proms(tmp_path)), "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert df.loc[0, "n_paired"] == "*"
    assert "Not for publication" not in capsys.readouterr().err
    assert main(["proms", "summarise", str(write_proms(tmp_path)), "--out", str(out), "--no-suppress"]) == 0
    assert pd.read_csv(out).loc[0, "n_paired"] == 1
    assert "Not for publication" in capsys.readouterr().err
    # One verb for one action: the old spelling is not a command.
    assert main(["proms", "summary", str(write_proms(tmp_path))]) == 2


def test_usage_errors_exit_2(tmp_path, key, capsys):
    assert main(["proms", "outcomes", str(write_proms(tmp_path)), "--units", "fancy"]) == 2
    assert main(["proms", "outcomes", str(write_proms(tmp_path)), "--period-end", "soon"]) == 2
    assert "period_end must be a date" in capsys.readouterr().err
    assert main(["proms", "outcomes", str(write_proms(tmp_path)), "--period-start", "01/06/2024",
                 "--period-end", "2024-01-31"]) == 2
    assert "period_start (2024-06-01) must be on or before period_end (2024-01-31)" in capsys.readouterr().err
    assert main(["proms", "outcomes", str(tmp_path / "missing.csv")]) == 1


def test_measures_command(capsys):
    assert main(["proms", "measures"]) == 0
    out = capsys.readouterr().out
    assert "reqol10" in out and "NaN" not in out


def test_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["proms", "outcomes", "--help"])
    assert info.value.code == 0
    assert "--drop-invalid" in capsys.readouterr().out


def test_problems_file(tmp_path, key, capsys):
    probs = tmp_path / "problems.csv"
    assert main(["proms", "score", str(write_proms(tmp_path, bad=True)), "--drop-invalid", "--problems",
                 str(probs)]) == 0
    table = pd.read_csv(probs)
    assert table[["row", "column", "reason"]].values.tolist() == [[5, "response", "response out of range"]]


CORE10 = """
key: core10
name: CORE-10
aliases: [CORE-10]
sources: ["the user's own notes"]
items: {count: 10, min: 0, max: 4}
direction: lower
scores:
  - {name: total, items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], method: sum, reliable_change: 6, cutoff: 11,
     clinical: at or above}
units: {nhse: [total]}
"""


def test_user_measure_through_the_cli(tmp_path, key):
    measure = tmp_path / "core10.yaml"
    measure.write_text(CORE10)
    data = tmp_path / "core.csv"
    pd.DataFrame({"patient_id": "P1", "referral_id": "R1", "team": "North", "measure": "CORE-10",
                  "assessment_date": ["01/02/2024", "01/05/2024"], "score": [20, 12]}).to_csv(data, index=False)
    out = tmp_path / "out.csv"
    assert main(["proms", "outcomes", str(data), "--measures", str(measure), "--out", str(out)]) == 0
    row = pd.read_csv(out).iloc[0]
    # 20 -> 12: a fall of 8 >= 6 on a lower-is-better measure; clinical (>= 11) at both ends, so no recovery.
    assert (row["category"], row["clinical_baseline"], row["reliable_recovery"]) == \
        ("reliable improvement", True, False)
    assert main(["proms", "outcomes", str(data), "--out", str(out)]) == 1  # unknown without the file


def test_same_day_follow_up_warns_in_one_line(tmp_path, key, capsys):
    rows = []
    for aid, r in (("A1", 1), ("A2", 3)):
        rows += [{"patient_id": "P1", "referral_id": "R1", "team": "North", "measure": "ReQoL-10",
                  "assessment_date": "01/02/2024", "assessment_id": aid, "item": i, "response": r}
                 for i in range(1, 11)]
    data = tmp_path / "sameday.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    assert main(["proms", "outcomes", str(data), "--out", str(tmp_path / "o.csv")]) == 0
    err = capsys.readouterr().err
    assert "warning: 1 follow-up is on the same day as the baseline" in err
    assert "SameDayFollowUpWarning" not in err and "pairing.py" not in err  # no Python location line
    assert main(["proms", "outcomes", str(data), "--min-interval", "1", "--out", str(tmp_path / "o.csv")]) == 0
    assert "same day" not in capsys.readouterr().err
    assert not pd.read_csv(tmp_path / "o.csv")["paired"].any()


def test_summarise_prints_a_short_table(tmp_path, capsys):
    assert main(["proms", "summarise", str(write_proms(tmp_path)), "--by", "none"]) == 0
    out = capsys.readouterr().out
    # labelled as the --out workbook is (one unit: no unit column)
    assert out.splitlines()[0].split()[:5] == ["Measure", "Referrals", "Paired", "Paired", "%"]
    assert "t_p_value" not in out and "NaN" not in out and "<NA>" not in out
    assert "reqol10" in out.splitlines()[1] and "*" in out.splitlines()[1]  # 1 paired of 2: suppressed
