import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval.cli import main
from cscs_eval.errors import InputError
from cscs_eval.progress import STATUSES, normalise_status, percent, plot_progress, rag_status, summarise, tally


def tallies(**kw):
    base = {"workstream": ["A", "B"], "total": [10, 5], "complete": [5, 1], "on_track": [2, 1],
            "delayed": [1, 1], "not_needed": [1, 1], "not_started": [1, 1]}
    base.update(kw)
    return pd.DataFrame(base)


@pytest.mark.parametrize("typed, canonical", [
    ("On track", "on_track"), ("ON_TRACK", "on_track"), (" on  track ", "on_track"), ("NotStarted", "not_started"),
    ("not needed", "not_needed"), ("Delayed", "delayed"), ("complete", "complete")])
def test_status_spellings(typed, canonical):
    assert normalise_status(typed) == canonical


def test_unknown_status_names_row_value_and_allowed(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text("workstream,task,status\nA,t1,complete\nA,t2,done\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        summarise(path)
    msg = str(exc.value)
    assert "reg.csv" in msg and "row 3" in msg and "'done'" in msg
    assert "complete, on track, delayed, not needed, not started" in msg


def test_register_tallies_and_computed_total():
    reg = pd.DataFrame({"workstream": ["A", "A", "B", "A"],
                        "task": list("wxyz"), "status": ["Complete", "on track", "Not_Started", "delayed"]})
    t = tally(reg)
    assert t.set_index("workstream").loc["A", ["total", "complete", "on_track", "delayed"]].tolist() == [3, 1, 1, 1]
    result = summarise(reg)
    table = result.table
    findings = result.findings
    checks = result.checks
    assert table["workstream"].tolist() == ["Programme total", "A", "B"]
    assert table.iloc[0]["total"] == 4 and table.iloc[0]["complete_or_on_track_pct"] == 50.0
    assert findings.empty and checks["n_checked"].sum() == 0


def test_counts_not_adding_up_is_a_finding_not_an_error():
    result = summarise(tallies(total=[11, 5]))
    table = result.table
    findings = result.findings
    f = findings[findings["check"] == "counts add up to total"]
    assert len(f) == 1 and f.iloc[0]["workstream"] == "A" and f.iloc[0]["expected"] == "10"
    assert table.set_index("workstream").loc["A", "complete_pct"] == pytest.approx(45.5)  # 5/11 as reported


def test_total_row_by_name_and_parts_check():
    df = pd.concat([tallies(), pd.DataFrame({"workstream": ["TOTAL"], "total": [16], "complete": [6],
                                             "on_track": [3], "delayed": [2], "not_needed": [2],
                                             "not_started": [2]})], ignore_index=True)
    result = summarise(df)
    table = result.table
    findings = result.findings
    assert table.set_index("workstream").loc["TOTAL", "is_programme_total"]
    parts = findings[findings["check"] == "workstreams add up to programme total"]
    # A + B = 15 tasks (6, 3, 2, 2, 2): only the total is off
    assert parts[["column", "reported", "expected"]].values.tolist() == [["total", "16", "15"]]


def test_percentage_rounding_is_read_from_the_text():
    df = tallies(complete_pct=["50", "20.0"], delayed_pct=["10.0", "20"])
    result = summarise(df)
    findings = result.findings
    checks = result.checks
    assert findings.empty
    result = summarise(tallies(complete_pct=["50.1", "20"]))
    findings = result.findings
    assert findings["reported"].tolist() == ["50.1"] and findings["expected"].tolist() == ["50.0"]


def test_part_of_unknown_row_is_input_error():
    with pytest.raises(InputError, match="part_of names 'Nope'"):
        summarise(tallies(part_of=["Nope", None]))


def test_count_not_a_number_is_input_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("workstream,total,complete,on_track,delayed,not_needed,not_started\nA,3,1,1,x,0,0\n")
    with pytest.raises(InputError) as exc:
        summarise(path)
    assert "row 2" in str(exc.value) and "column 'delayed'" in str(exc.value)


def test_custom_rag_rules_as_data(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - status: Red\n    any:\n      - [delayed_pct, '>=', 10]\ndefault: Green\n")
    result = summarise(tallies(), rules=rules)
    table = result.table
    assert table.set_index("workstream")["rag"].to_dict() == {"Programme total": "Red", "A": "Red", "B": "Red"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - status: Red\n    any:\n      - [speed, '>', 1]\ndefault: Green\n")
    with pytest.raises(InputError, match="unknown metric 'speed'"):
        summarise(tallies(), rules=bad)


def test_rag_boundaries():
    assert rag_status({"complete_or_on_track_pct": 70.0, "delayed_pct": 10.0}) == "Green"
    assert rag_status({"complete_or_on_track_pct": 69.9, "delayed_pct": 0.0}) == "Amber"
    assert rag_status({"complete_or_on_track_pct": 90.0, "delayed_pct": 20.1}) == "Red"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 40)] * 5), min_size=1, max_size=6))
def test_properties_of_consistent_tallies(rows):
    rows = [r for r in rows if sum(r)] or [(1, 0, 0, 0, 0)]
    df = pd.DataFrame([dict(zip(STATUSES, r), workstream=f"W{i}", total=sum(r)) for i, r in enumerate(rows)])
    for s in STATUSES:  # report percentages as a careful person would: rounded half up, 1 decimal
        df[f"{s}_pct"] = [str(percent(c, t, decimals=1)) for c, t in zip(df[s], df["total"])]
    result = summarise(df)
    table = result.table
    findings = result.findings
    assert findings.empty
    total = table[table["is_programme_total"]].iloc[0]
    assert total["total"] == sum(map(sum, rows))
    assert ((table[list(STATUSES)].sum(axis=1)) == table["total"]).all()
    assert (table["complete_or_on_track_pct"] <= 100).all()


@given(st.integers(0, 500), st.integers(1, 500), st.integers(0, 2))
def test_percent_rounds_half_up(count, total, decimals):
    count = min(count, total)
    p = percent(count, total, decimals=decimals)
    assert abs(float(p) - 100 * count / total) <= 0.5 * 10 ** -decimals + 1e-12


def test_plot_progress_hatched_stacks():
    import matplotlib.pyplot as plt

    result = summarise(tallies())
    table = result.table
    fig, ax = plt.subplots()
    out = plot_progress(table, ax=ax)
    assert out is ax
    hatches = {p.get_hatch() for p in ax.patches}
    assert {"///", "xx", ".."} <= hatches  # distinguishable without colour
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 3 * 5
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title(loc="left")
    plt.close(fig)


def test_cli_summarise_prints_table_and_findings(tmp_path, capsys):
    path = tmp_path / "t.csv"
    tallies(total=[11, 5], complete_pct=["50", "20"]).to_csv(path, index=False)
    assert main(["progress", "summarise", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Programme total" in out and "rag" in out
    assert "counts add up to total" in out and "row 2" in out
    assert main(["progress", "summarise", str(path), "--fail-on-findings"]) == 1


def test_cli_out_and_errors(tmp_path, capsys):
    path = tmp_path / "reg.csv"
    path.write_text("workstream,task,status\nA,t1,complete\nA,t2,finished\n")
    assert main(["progress", "summarise", str(path)]) == 1
    err = capsys.readouterr().err
    assert "unknown status 'finished'" in err and "Traceback" not in err
    path.write_text("workstream,task,status\nA,t1,complete\n")
    out = tmp_path / "table.csv"
    assert main(["progress", "summarise", str(path), "--out", str(out)]) == 0
    assert pd.read_csv(out)["workstream"].tolist() == ["Programme total", "A"]
    assert main(["progress", "summarise"]) == 2


def test_nullable_and_float_inputs():
    df = pd.DataFrame({"workstream": ["A", "B"], "total": pd.array([21, pd.NA], dtype="Int64"),
                       "complete": pd.array([13, 1], dtype="Int64"), "on_track": [3, 0], "delayed": [1, 0],
                       "not_needed": [4, 0], "not_started": pd.array([0, pd.NA], dtype="Int64"),
                       "delayed_pct": [4.7, None], "not_needed_pct": [19.0, float("nan")]})
    result = summarise(df)
    table = result.table
    findings = result.findings
    assert table.set_index("workstream").loc["B", "total"] == 1  # no total given: the counts' sum
    # 4.7 (1 decimal) is off; a float 19.0 has lost its printed decimals and is read as 0 decimals: 19 matches
    assert findings["column"].tolist() == ["delayed_pct"]


def test_plot_progress_takes_the_summary_itself_and_refuses_other_tables():
    import matplotlib.pyplot as plt
    import pandas as pd

    from cscs_eval.errors import UsageError

    fig, ax = plt.subplots()
    plot_progress(summarise(tallies()), ax=ax)  # what summarise returns, not only its table
    assert len(ax.patches) == 3 * 5
    with pytest.raises(UsageError, match="missing complete, on_track"):
        plot_progress(pd.DataFrame({"workstream": ["a"], "total": [3]}), ax=ax)
    plt.close(fig)


def test_summary_is_a_result_with_summary_and_text():
    from cscs_eval.progress import SUMMARY_COLUMNS, ProgressSummary
    from cscs_eval.results import Result

    result = summarise(tallies(total=[11, 5]))
    assert isinstance(result, ProgressSummary) and isinstance(result, Result)
    assert list(result.summary().columns) == SUMMARY_COLUMNS
    assert result.rules["default"] == "Green" and result.file is None
    # Programme total: 7 + 2 complete or on track of 16 tasks = 56.25%, Amber below 70%.
    assert result.text() == ("56% of the programme's 16 tasks are complete or on track (RAG status Amber). "
                             "The checks found 1 point(s) where the published figures do not add up.")
    assert "ProgressSummary, 3 rows: 56%" in repr(result)
    assert summarise(tallies()).text().endswith("All 2 checks passed: the published figures add up.")


def test_a_frame_read_elsewhere_names_its_file_and_rows(tmp_path):
    df = tallies(delayed=["1", "x"])
    with pytest.raises(InputError) as exc:
        summarise(df, file="progress.xlsx")
    # the file a user opens: header on row 1, so the second data row is row 3
    assert (exc.value.file, exc.value.row, exc.value.column) == ("progress.xlsx", 3, "delayed")
    result = summarise(tallies(total=[11, 5]), file="progress.xlsx")
    assert result.file == "progress.xlsx" and result.findings["row"].tolist() == [2]
    assert summarise(tallies(total=[11, 5])).findings["row"].isna().all()  # no file: no row to name


def test_findings_results_of_check_shares_and_check_headlines():
    from cscs_eval.progress import Findings, check_headlines, check_shares

    overview = pd.DataFrame({"measure": ["engaged", "trained"], "n": [29, 12], "pct_of_total": ["90", "38"],
                             "total": [32, 32]})
    shares = check_shares(overview, file="overview.csv")
    assert isinstance(shares, Findings) and shares.n_checked == 2 and shares.table["row"].tolist() == [2]
    assert shares.text().startswith("1 of 2 figure(s) checked do not add up: pct_of_total reported 90 but 29/32")
    summary = summarise(tallies())
    headlines = pd.DataFrame({"workstream": ["A"], "measure": ["complete"], "reported_pct": ["50"]})
    found = check_headlines(summary, headlines=headlines)  # the result itself or its table
    assert found.n_checked == 1 and found.table.empty and found.text() == "All 1 figure(s) checked add up."
    assert check_headlines(summary.table, headlines=headlines).table.empty
