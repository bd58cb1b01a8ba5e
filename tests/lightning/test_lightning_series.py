from pathlib import Path

import pandas as pd
import pytest

from cscs_eval.cli import main
from cscs_eval.errors import InputError, UsageError
from cscs_eval.lightning import codes, parse_report, series, timeline

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "lightning"


def report(date, plus=(), delta=(), name=None):
    def lines(constructs):
        return "\n".join(f"- note [[{c}]]" for c in constructs)

    text = (f"---\ntitle: R {date}\nproject: P\nperiod: p\ndate: {date}\ncontacts: [A]\n"
            f"data_collection_status: s\n---\n## Summary\nx\n## Plus\n{lines(plus)}\n## Delta\n{lines(delta)}\n"
            "## Insights\n")
    return parse_report(text, file=name or date)


def row(df, cid):
    return df.set_index("construct_id").loc[cid]


def test_sample_series_by_the_documented_rule():
    result = series(SAMPLE)
    assert result.reports == ("2023-10-12", "2023-12-14", "2024-02-22", "2024-04-18", "2024-05-23")
    s = result.table
    it = row(s, "III.A.2")  # the record system: a Delta in every report
    assert (it["n_delta"], it["recurring_delta"], it["delta_status"], it["timeline"]) == (5, True, "open", "D D D D D")
    fin = row(s, "II.F")  # Financing: Delta in report 2, Plus in report 3
    assert (fin["delta_status"], fin["resolved_how"], fin["resolved_in"]) == ("resolved", "became a Plus", "2024-02-22")
    pri = row(s, "III.G")  # Relative priority: Delta in report 1 only, then four reports without it
    assert (pri["delta_status"], pri["resolved_how"], pri["resolved_in"]) == (
        "resolved", "no longer raised", "2023-12-14")
    assert row(s, "V.C")["delta_status"] == "open"  # Delta in report 4, only one report after
    comp = row(s, "I.F")  # Complexity: Delta in 3 and 4, Plus in 5
    assert (comp["timeline"], comp["resolved_how"]) == (". . D D P", "became a Plus")
    assert row(s, "V.F")["recurring_plus"] and row(s, "V.F")["n_plus"] == 3
    assert row(s, "V.F")["delta_status"] == ""
    assert s["delta_status"].iloc[0] == "open"  # open Deltas first
    assert set(s[s["delta_status"] == "open"]["construct_id"]) == {"III.A.2", "I.H", "III.J", "V.C"}


def test_relapse_is_judged_on_the_last_delta():
    reports = [report("2024-01-01", delta=["Teaming -1"]), report("2024-02-01", plus=["Teaming +1"]),
               report("2024-03-01", delta=["Teaming -2"]), report("2024-04-01")]
    s = series(reports).table
    t = row(s, "V.A")
    assert (t["delta_status"], t["timeline"], t["n_delta"]) == ("open", "D P D .", 2)
    assert row(series(reports, absent_for=1).table, "V.A")["resolved_how"] == "no longer raised"


def test_same_report_plus_and_delta_is_not_resolution():
    s = series([report("2024-01-01", plus=["Teaming +1"], delta=["Teaming -1"]), report("2024-02-01")]).table
    assert row(s, "V.A")[["timeline", "delta_status"]].tolist() == ["PD .", "open"]


def test_reports_sorted_by_date_not_order_given():
    a, b = report("2024-03-01", plus=["Teaming +1"]), report("2024-01-01", delta=["Teaming -1"])
    assert row(series([a, b]).table, "V.A")["resolved_how"] == "became a Plus"


def test_timeline_and_codes_tables():
    t = timeline(SAMPLE)
    assert t["report"].tolist() == [1, 2, 3, 4, 5]
    assert t["n_plus"].tolist() == [3, 3, 3, 3, 4]
    assert t.loc[0, "delta_constructs"].startswith("Information Technology Infrastructure")
    c = codes(SAMPLE)
    assert len(c) == 8 + 7 + 8 + 8 + 8
    assert set(c["section"]) == {"plus", "delta"}


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="no Lightning Reports"):
        series(tmp_path)
    with pytest.raises(InputError, match="not found"):
        series(tmp_path / "nope")
    with pytest.raises(UsageError, match="absent_for must be"):
        series(SAMPLE, absent_for=0)


def test_cli_series(tmp_path, capsys):
    assert main(["lightning", "series", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Information Technology Infrastructure" in out and "Rule: A Delta is resolved" in out
    dest = tmp_path / "series.csv"
    assert main(["lightning", "series", str(SAMPLE), "--out", str(dest)]) == 0
    assert pd.read_csv(dest)["construct_id"].iloc[0] == "III.A.2"


def test_cli_render(tmp_path, capsys):
    src = str(SAMPLE / "2023-10-lightning-report-1.md")
    assert main(["lightning", "render", src, "--to", "md"]) == 0
    assert capsys.readouterr().out.startswith("# Lightning Report 1")
    assert main(["lightning", "render", src, "--to", "html", "--out", str(tmp_path / "r.html")]) == 0
    assert "Lightning Report 1" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert main(["lightning", "render", src, "--to", "docx", "--out", str(tmp_path / "r.docx")]) == 0
    assert (tmp_path / "r.docx").stat().st_size > 0
    capsys.readouterr()
    assert main(["lightning", "render", src, "--to", "docx"]) == 2
    assert main(["lightning", "render", src, "--to", "pdf"]) == 2
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: x\n---\n", encoding="utf-8")
    assert main(["lightning", "render", str(bad), "--to", "html"]) == 1
    err = capsys.readouterr().err
    assert "bad.md, row 3: front matter lacks" in err and "Traceback" not in err


def test_plot_series_marks_plus_and_delta_by_shape():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cscs_eval.lightning import plot_series

    result = series(SAMPLE)
    s = result.table
    fig, ax = plt.subplots()
    assert plot_series(result, ax=ax) is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Information Technology Infrastructure (open)"
    assert "Policies & Laws" not in " ".join(labels)  # a one-off Plus is left out
    markers = [line.get_marker() for line in ax.get_lines()]
    assert markers.count("^") == int(s[(s["n_delta"] > 0) | (s["n_plus"] > 1)]["n_delta"].sum())
    assert markers.count("o") == int(s[(s["n_delta"] > 0) | (s["n_plus"] > 1)]["n_plus"].sum())
    assert tuple(t.get_text() for t in ax.get_xticklabels()) == result.reports
    ax.clear()
    plot_series(s, ax=ax)  # the table alone: reports numbered
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "4", "5"]
    plt.close(fig)


def test_cli_render_format_from_out_and_mismatch(tmp_path, capsys):
    from docx import Document

    src = str(SAMPLE / "2023-10-lightning-report-1.md")
    assert main(["lightning", "render", src, "--out", str(tmp_path / "r.docx")]) == 0
    assert Document(str(tmp_path / "r.docx")).paragraphs  # a real Word file, chosen by the extension
    assert main(["lightning", "render", src, "--out", str(tmp_path / "r.md")]) == 0
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Lightning Report 1")
    capsys.readouterr()
    # HTML written into a .docx file would not open: refuse the mismatch
    assert main(["lightning", "render", src, "--to", "html", "--out", str(tmp_path / "x.docx")]) == 2
    assert "--to html does not match --out" in capsys.readouterr().err
    assert not (tmp_path / "x.docx").exists()
    assert main(["lightning", "render", src]) == 2
    assert "give --to html|md|docx" in capsys.readouterr().err


def test_series_is_a_result_with_summary_and_text():
    from cscs_eval.lightning import LightningSeries
    from cscs_eval.results import Result

    result = series(SAMPLE, absent_for=3)
    assert isinstance(result, LightningSeries) and isinstance(result, Result)
    assert "at least 3 later reports" in result.rule
    summary = result.summary()
    assert list(summary.columns) == ["construct", "domain", "first_delta", "last_delta", "delta_status",
                                     "resolved_how", "resolved_in"]
    assert len(summary) == int((result.table["n_delta"] > 0).sum())
    assert result.open_deltas()[0] == "Information Technology Infrastructure"
    assert result.text().startswith(f"Across 5 Lightning Reports, {len(summary)} concerns were raised as a Delta; "
                                    f"{len(result.open_deltas())} are still open (Information Technology")
    one = series([report("2024-01-01", plus=["Teaming +1"])])
    assert one.text() == "Across 1 Lightning Report, 0 concerns were raised as a Delta."
