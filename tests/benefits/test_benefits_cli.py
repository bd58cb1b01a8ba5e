"""``cscs-eval benefits ...`` through the real entry point; register, sample data and figures."""

import warnings

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from benefits_helpers import run_cli  # noqa: E402
from cscs_eval.benefits import (funnel, indicator_charts, inequality_gaps, interrupted_time_series,  # noqa: E402
                                plot_funnel, plot_gaps, plot_its, plot_spc, read_register, register_report, spc)
from cscs_eval.cli import main  # noqa: E402
from cscs_eval.dates import EXPECTED  # noqa: E402
from cscs_eval.errors import InputError, ValidationError  # noqa: E402
from cscs_eval.io import read_table  # noqa: E402
from cscs_eval.sample import benefits as sample  # noqa: E402


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    paths = sample.write(out, 20241127)
    assert [p.name for p in paths] == ["indicators.csv", "register.csv"]
    return out / "benefits"



def test_sample_is_reproducible_and_has_a_real_step(sample_dir, tmp_path):
    again = sample.write(tmp_path, 20241127)
    assert again[0].read_bytes() == (sample_dir / "indicators.csv").read_bytes()
    ind = read_table(sample_dir / "indicators.csv")
    assert ind["indicator"].nunique() == 4
    assert ind.groupby("indicator").size().min() >= 36
    paired = ind[ind["indicator"] == "paired_proms_pct"]
    r = interrupted_time_series(paired, changes=sample.SERVICE_CHANGE)
    lv = r.term("level_change")
    assert lv["lower"] > 5  # the step of 14 points is found
    reg = read_table(sample_dir / "register.csv")
    assert reg.columns.tolist() == ["benefit", "indicator", "baseline", "target", "current", "owner", "status"]


def test_cli_spc_writes_table_and_prints_summary(sample_dir, tmp_path, capsys):
    out = tmp_path / "spc.csv"
    code, stdout, _ = run_cli(capsys, "benefits", "spc", str(sample_dir / "indicators.csv"), "--indicator",
                          "paired_proms_pct", "--rebase", "2023-10-01", "--target", "40", "--out", str(out))
    assert code == 0
    t = pd.read_csv(out)
    assert t.columns.tolist() == ["date", "value", "mean", "lpl", "upl", "point_type"]
    assert len(t) == 42 and t["date"].iloc[0] == "2022-04-01"
    assert "variation: special_cause_improvement" in stdout
    assert "assurance: inconsistent" in stdout


def test_cli_spc_prints_table_without_out(sample_dir, capsys):
    code, stdout, _ = run_cli(capsys, "benefits", "spc", str(sample_dir / "indicators.csv"), "--indicator",
                          "reqol_mean_change", "--improvement", "increase")
    assert code == 0
    assert "point_type" in stdout and "variation: common_cause" in stdout


def test_cli_spc_needs_indicator_when_several(sample_dir, capsys):
    code, _, err = run_cli(capsys, "benefits", "spc", str(sample_dir / "indicators.csv"))
    assert code == 2
    assert "pick one with --indicator NAME" in err


def test_cli_spc_bad_improvement_and_missing_file(sample_dir, tmp_path, capsys):
    code, _, err = run_cli(capsys, "benefits", "spc", str(sample_dir / "indicators.csv"), "--improvement", "up")
    assert code == 2 and "invalid choice" in err
    code, _, err = run_cli(capsys, "benefits", "spc", str(tmp_path / "nope.csv"))
    assert code == 1 and "file not found" in err




def test_cli_spc_short_series_warns(tmp_path, capsys):
    f = tmp_path / "s.csv"
    f.write_text("date,value\n" + "".join(f"2024-{m:02d}-01,{m}\n" for m in range(1, 7)))
    code, _, err = run_cli(capsys, "benefits", "spc", str(f))
    assert code == 0 and "warning: SPC limits" in err and "fewer than 13" in err


def test_cli_its(sample_dir, tmp_path, capsys):
    out = tmp_path / "its.csv"
    code, stdout, _ = run_cli(capsys, "benefits", "its", str(sample_dir / "indicators.csv"), "--indicator",
                          "paired_proms_pct", "--change", "2023-10-01", "--seasonal", "--out", str(out))
    assert code == 0
    t = pd.read_csv(out)
    assert t.columns.tolist() == ["term", "estimate", "lower", "upper", "p_value"]
    assert {"level_change", "slope_change", "season_sin_1"} <= set(t["term"])
    assert "level changed by" in stdout


def test_cli_its_change_outside_series(sample_dir, capsys):
    code, _, err = run_cli(capsys, "benefits", "its", str(sample_dir / "indicators.csv"), "--indicator",
                       "paired_proms_pct", "--change", "2019-01-01")
    assert code == 2 and "outside the series" in err


@pytest.mark.parametrize("maxlags", ["-5", "42", "100000"])
def test_cli_its_maxlags_outside_the_series_is_a_usage_error(sample_dir, tmp_path, capsys, maxlags):
    # 42 monthly points: lags 0 to 41. -5 was an IndexError; 100000 printed a collapsed interval
    # (13.53 to 13.56 where the default 3 lags give 11.80 to 15.29).
    out = tmp_path / "its.csv"
    code, stdout, err = run_cli(capsys, "benefits", "its", str(sample_dir / "indicators.csv"), "--indicator",
                                "paired_proms_pct", "--change", "2023-10-01", "--maxlags", maxlags, "--out", str(out))
    assert code == 2 and not out.exists() and "Traceback" not in err
    assert f"maxlags (--maxlags) must be a whole number from 0 to 41 (the series has 42 points); got {maxlags}" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_its_maxlags_at_the_ends_of_its_range(sample_dir, capsys):
    for maxlags in ("0", "41"):
        code, _, err = run_cli(capsys, "benefits", "its", str(sample_dir / "indicators.csv"), "--indicator",
                               "paired_proms_pct", "--change", "2023-10-01", "--maxlags", maxlags)
        assert code == 0, err


def test_cli_its_requires_change(sample_dir, capsys):
    code, _, err = run_cli(capsys, "benefits", "its", str(sample_dir / "indicators.csv"))
    assert code == 2 and "--change" in err


def test_cli_funnel(tmp_path, capsys):
    f = tmp_path / "teams.csv"
    f.write_text("team,paired,referrals\nA,12,100\nB,30,150\nC,45,200\nD,20,80\nE,70,250\nF,5,60\n")
    out = tmp_path / "funnel.xlsx"
    code, stdout, _ = run_cli(capsys, "benefits", "funnel", str(f), "--by", "team", "--numerator", "paired",
                          "--denominator", "referrals", "--no-overdispersion", "--out", str(out))
    assert code == 0
    t = read_table(out)  # the workbook's headers are labels; its "columns" sheet maps them back
    assert t.columns.tolist() == ["group", "numerator", "denominator", "rate", "lower95", "upper95", "lower998",
                                  "upper998", "outlier"]
    assert set(t["outlier"]) <= {"above 99.8%", "above 95%", "within", "below 95%", "below 99.8%"}
    assert "no allowance for over-dispersion" in stdout



def test_cli_register(sample_dir, tmp_path, capsys):
    out = tmp_path / "reg.csv"
    code, _, _ = run_cli(capsys, "benefits", "register", str(sample_dir / "register.csv"), "--indicators",
                     str(sample_dir / "indicators.csv"), "--out", str(out))
    assert code == 0
    t = pd.read_csv(out)
    assert len(t) == 4
    assert {"variation", "assurance", "summary"} <= set(t.columns)
    assert t["current"].notna().all()  # empty 'current' filled from the latest value


def test_register_bad_rows_all_listed(tmp_path):
    f = tmp_path / "reg.csv"
    f.write_text("benefit,indicator,baseline,target,current,owner,status\n"
                 "B1,,10,x,,me,on track\nB1,a,1,2,3,me,on track\n")
    with pytest.raises(ValidationError) as exc:
        read_register(f)
    problems = exc.value.problems
    assert len(problems) == 4  # empty indicator, bad target, duplicated benefit twice
    assert "row 2" in str(exc.value)


def test_register_unknown_indicator(sample_dir):
    reg = read_register(sample_dir / "register.csv")
    ind = read_table(sample_dir / "indicators.csv")
    reg.loc[0, "indicator"] = "nonexistent"
    with pytest.raises(InputError, match="indicator 'nonexistent' has no series"):
        register_report(reg, ind)


def test_register_report_directions(sample_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rep = register_report(read_register(sample_dir / "register.csv"),
                              read_table(sample_dir / "indicators.csv")).table
    d = rep.set_index("indicator")
    assert d.loc["dna_rate_pct", "improvement"] == "decrease"
    assert d.loc["paired_proms_pct", "improvement"] == "increase"
    assert set(rep["assurance"]) <= {"consistent_pass", "consistent_fail", "inconsistent"}


def test_figures_draw_with_badges(sample_dir):
    import matplotlib.pyplot as plt

    ind = read_table(sample_dir / "indicators.csv")
    paired = ind[ind["indicator"] == "paired_proms_pct"]
    r = spc(paired, rebase=["2023-10-01"], target=40, label="Paired PROMs (%)")
    fig, ax = plt.subplots()
    assert plot_spc(r, ax=ax) is ax
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("Variation: Improvement") for t in texts)
    assert any("Target: hit and miss" in t for t in texts)
    fig, axes = plt.subplots(1, 3)
    assert plot_its(interrupted_time_series(paired, changes="2023-10-01"), ax=axes[0]) is axes[0]
    df = pd.DataFrame({"group": list("abcd"), "numerator": [5, 20, 30, 50], "denominator": [50, 80, 100, 120]})
    assert plot_funnel(funnel(df), ax=axes[1]) is axes[1]
    rows = pd.DataFrame({"g": ["x"] * 30 + ["y"] * 40 + ["z"] * 3, "o": [1, 0] * 15 + [1, 0, 0, 0] * 10 + [1, 1, 0]})
    assert plot_gaps(inequality_gaps(rows, by="g", outcome="o"), ax=axes[2]) is axes[2]
    plt.close("all")


def test_help_lists_benefit_commands(capsys):
    with pytest.raises(SystemExit):
        main(["benefits", "--help"])
    out = capsys.readouterr().out
    for cmd in ("spc", "its", "funnel", "register"):
        assert cmd in out


def test_cli_column_names_match_like_read_table(tmp_path, capsys):
    f = tmp_path / "s.csv"
    f.write_text("Month,Paired Rate\n" + "".join(f"2024-{m:02d}-01,{m % 3}\n" for m in range(1, 13)) +
                 "2025-01-01,1\n")
    code, stdout, _ = run_cli(capsys, "benefits", "spc", str(f), "--date", "Month", "--value", "Paired Rate")
    assert code == 0 and "variation: common_cause" in stdout


@pytest.mark.parametrize("argv,message", [
    (["its", "--change", "notadate"], f"change date must be {EXPECTED}, got 'notadate'"),
    (["its", "--change", "31/02/2024"], f"change date must be {EXPECTED}, got '31/02/2024'"),
    (["spc", "--rebase", "2024-13-01"], f"rebase date must be {EXPECTED}, got '2024-13-01'"),
])
def test_cli_bad_option_dates_are_usage_errors(tmp_path, capsys, argv, message):
    f = tmp_path / "s.csv"
    f.write_text("date,value\n" + "".join(f"2024-{m:02d}-01,{m % 4}\n" for m in range(1, 13)))
    code, _, err = run_cli(capsys, "benefits", argv[0], str(f), *argv[1:])
    assert code == 2
    assert message in err and "row" not in err  # an option, not a row of the file



def test_report_wording_helpers(sample_dir):
    from cscs_eval.benefits import ASSURANCE_LABELS, ASSURANCE_SHORT, VARIATION_LABELS, VARIATION_SHORT

    assert set(VARIATION_SHORT) == set(VARIATION_LABELS) and set(ASSURANCE_SHORT) == set(ASSURANCE_LABELS)
    df = pd.DataFrame({"group": list("abc"), "numerator": [5, 20, 30], "denominator": [50, 80, 100]})
    assert funnel(df).text(unit="teams").startswith("Across 3 teams the overall rate is 23.9%")
    reg = read_register(sample_dir / "register.csv")
    ind = read_table(sample_dir / "indicators.csv")
    charts = indicator_charts(reg, ind, labels={"dna_rate_pct": "Missed first appointments (%)"})
    assert charts["dna_rate_pct"].text().startswith("Missed first appointments (%): ")
    assert charts["waiting_weeks"].text().startswith("waiting_weeks: ")
    r = interrupted_time_series(ind[ind["indicator"] == "paired_proms_pct"], changes=["2023-10-01", "2024-10-01"])
    labels = r.term_labels()
    assert set(labels) == set(r.table["term"])
    assert labels["level_change_2"] == "Step at 2024-10-01"
    assert labels["slope_change"] == "Change in trend from 2023-10-01 (per month)"


def test_cli_its_ar1_errors(sample_dir, tmp_path, capsys):
    out = tmp_path / "its.csv"
    code, stdout, _ = run_cli(capsys, "benefits", "its", str(sample_dir / "indicators.csv"), "--indicator",
                          "paired_proms_pct", "--change", "2023-10-01", "--errors", "ar1", "--out", str(out))
    assert code == 0 and "Errors modelled as AR(1)" in stdout
    t = pd.read_csv(out).set_index("term")
    assert t.loc["level_change", "lower"] > 5  # the sample's step of about 14 points
    code, _, err = run_cli(capsys, "benefits", "its", str(sample_dir / "indicators.csv"), "--indicator",
                       "paired_proms_pct", "--change", "2023-10-01", "--errors", "gls")
    assert code == 2 and "invalid choice" in err


def test_cli_register_rebase_per_indicator(sample_dir, tmp_path, capsys):
    out = tmp_path / "reg.csv"
    args = ["benefits", "register", str(sample_dir / "register.csv"), "--indicators",
            str(sample_dir / "indicators.csv")]
    code, _, _ = run_cli(capsys, *args, "--rebase", "paired_proms_pct=2023-10-01", "--out", str(out))
    assert code == 0
    t = pd.read_csv(out).set_index("indicator")
    # limits from the months after the service change only, as in the spc command with --rebase
    ind = read_table(sample_dir / "indicators.csv")
    alone = spc(ind[ind["indicator"] == "paired_proms_pct"], rebase=["2023-10-01"]).table.iloc[-1]
    assert t.loc["paired_proms_pct", "mean"] == pytest.approx(alone["mean"])
    assert t.loc["paired_proms_pct", "n_points"] == 42
    code, _, err = run_cli(capsys, *args, "--rebase", "2023-10-01")
    assert code == 2 and "INDICATOR=DATE" in err
    code, _, err = run_cli(capsys, *args, "--rebase", "nope=2023-10-01")
    assert code == 2 and "not in the register: nope" in err


@pytest.mark.parametrize("command,text,message", [
    (["spc"], "date,value\n2024-01-01,1\n2024-02-01,2\n2024-02-01,3\n", "appears 2 times (rows 3, 4)"),
    (["spc", "--indicator", "a"], "indicator,date,value\na,2024-01-01,1\nb,2024-01-01,1\na,2024-02-01,x\n",
     "row 4, column 'value': value 'x' is not a number"),  # the row of the file, not of indicator a's rows
    (["spc"], "date,value\n2024-01-01,1\n31/02/2024,2\n", "row 3, column 'date': '31/02/2024' is not a date"),
    (["its", "--change", "2024-02-01"], "date,value\n2024-01-01,1\n2024-02-01,2\n2024-03-01,2\n", "too few"),
    (["funnel"], "group,numerator,denominator\nA,1,10\nB,0,0\n", "row 3, column 'denominator': group 'B' has a "
                                                                    "denominator of 0"),
])
def test_cli_data_errors_exit_1_naming_file_and_row(tmp_path, capsys, command, text, message):
    f = tmp_path / "data.csv"
    f.write_text(text)
    code, _, err = run_cli(capsys, "benefits", command[0], str(f), *command[1:])
    assert code == 1
    assert str(f) in err and message in err


def test_date_labels_of_a_long_series_never_overlap(sample_dir):
    """30 months of an SPC and an interrupted time series chart at report size: concise date labels, no two
    tick labels overlapping (issue 13: overlapping date labels on a 30-month series)."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import pandas as pd

    from cscs_eval.benefits import interrupted_time_series, plot_its
    from cscs_eval.reporting import set_report_style

    with matplotlib.rc_context():  # the report style only inside this test
        set_report_style()
        _check_date_labels(sample_dir)


def _check_date_labels(sample_dir):
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import pandas as pd

    from cscs_eval.benefits import interrupted_time_series, plot_its

    ind = read_table(sample_dir / "indicators.csv")
    series = ind[ind["indicator"] == "paired_proms_pct"].head(30)
    for draw in ("spc", "its"):
        fig, ax = plt.subplots(figsize=(8, 3.6))
        if draw == "spc":
            plot_spc(spc(series, target=40, label="Paired PROMs (%)"), ax=ax)
        else:
            plot_its(interrupted_time_series(series.assign(date=pd.to_datetime(series["date"])),
                                             changes="2023-10-01"), ax=ax)
        assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
        fig.canvas.draw()
        boxes = [t.get_window_extent() for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
        assert len(boxes) >= 3, draw
        for a, b in zip(boxes, boxes[1:]):
            assert a.x1 < b.x0, f"{draw}: tick labels overlap"
        plt.close(fig)
