"""The report object behind benefits_analysis.ipynb: its parameter checks and when a section is shown."""

import re
import warnings

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from cscs_eval import benefits  # noqa: E402
from cscs_eval.dates import EXPECTED  # noqa: E402
from cscs_eval.errors import InputError, UsageError  # noqa: E402

SERIES = "data/sample/benefits/indicators.csv"
REGISTER = "data/sample/benefits/register.csv"
PROMS = {"data_path": "data/sample/proms.csv", "referrals_path": "data/sample/referrals.csv",
         "demographics_path": "data/sample/demographics.csv"}


def assemble(**changes):
    params = {"indicators_path": SERIES, "benefits_register_path": REGISTER, "change_dates": ["2023-10-01"],
              "its_indicator": "paired_proms_pct", **changes}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the report keeps warnings as notes: none may escape
        return benefits.assemble(**params)


@pytest.fixture(scope="module")
def full():
    return assemble(**PROMS, equality_groups=["imd_quintile", "ethnicity", "team"])


@pytest.mark.parametrize("changes,message", [
    ({"indicators": ["paired_proms"]}, "indicators must name indicators of indicators.csv: one of paired_proms_pct, "),
    ({"its_indicator": "PAIRED_PROMS_PCT"}, "its_indicator must name indicators of indicators.csv: one of "),
    ({"its_errors": "gls"}, "its_errors must be one of newey-west, ar1; got 'gls'"),
    ({"change_dates": ["2023-13-01"]}, f"change_dates must be {EXPECTED}, got '2023-13-01'"),
    ({"change_dates": []}, "change_dates must give the date of the service change"),
    ({"change_dates": "2023-10-01"}, "change_dates must be a list, got '2023-10-01'"),
    ({"equality_groups": "ethnicity"}, "equality_groups must be a list, got 'ethnicity'"),
    ({"data_path": "data/sample/proms.csv"}, "referrals_path is needed with data_path"),
])
def test_bad_parameters_are_one_line_usage_errors(changes, message):
    with pytest.raises(UsageError) as exc:
        assemble(**changes)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


def test_unknown_equality_group_lists_the_columns():
    with pytest.raises(UsageError) as exc:
        assemble(**PROMS, equality_groups=["Ethnicity"])
    text = str(exc.value)
    assert text.startswith("equality_groups must be columns of the referrals or demographics: one of team, ")
    assert "imd_quintile" in text and "ethnicity" in text and text.endswith("got 'Ethnicity'")
    assert "referral_id" not in text and "paired" not in text.split(":")[1]


def test_equality_groups_need_demographics():
    with pytest.raises(UsageError, match="got 'ethnicity'"):
        assemble(**{**PROMS, "demographics_path": ""}, equality_groups=["ethnicity"])
    rep = assemble(**{**PROMS, "demographics_path": ""}, equality_groups=["team"])
    assert rep.sii is None and rep.reqol is None  # no IMD decile: no gradient, no outcomes by deprivation
    assert [s.column for s in rep.equality_sections] == ["team"]


def test_a_missing_file_is_an_input_error_naming_it():
    with pytest.raises(InputError, match="nope.csv: file not found"):
        assemble(indicators_path="nope.csv")


def test_without_proms_the_proms_sections_are_left_out():
    rep = assemble(equality_groups=["no_such_column"])  # not checked: there is no PROMs extract to break down
    assert rep.teams is None and rep.eligible is None and rep.sii is None and rep.reqol is None
    assert rep.equality_sections == [] and len(rep.exclusions) == 0
    assert "teams" not in rep.summary_text() and rep.its is not None


def test_without_its_indicator_no_its_and_no_rebase():
    rep = assemble(its_indicator="", change_dates=[])
    assert rep.its is None
    assert rep.charts["paired_proms_pct"].rebase == []
    assert "stepped" not in rep.summary_text()


def test_full_report_sections(full):
    assert set(full.charts) == {"paired_proms_pct", "reqol_mean_change", "dna_rate_pct", "waiting_weeks"}
    assert full.charts["paired_proms_pct"].rebase  # rebased at the service change
    assert [s.column for s in full.equality_sections] == ["imd_quintile", "ethnicity", "team"]
    assert full.sources == {"indicators": "indicators.csv", "register": "indicators.csv and register.csv",
                            "proms": "proms.csv"}
    assert full.note == benefits.suppression_note(suppress=True)
    assert full.summary_text().startswith(full.register.text())
    assert full.register_table().columns[0] == "Benefit"
    assert full.its_caption().startswith(full.its.text())
    assert len(full.spc_figures()) == 4
    assert full.outlier_table().table.columns.tolist() == ["Team", "Paired", "Eligible", "Paired (%)", "Outside"]
    section = full.equality_sections[1]
    assert section.heading == "Ethnicity" and section.table.table.columns[:3].tolist() == ["Ethnicity", "Eligible", "Paired"]
    assert f"largest group ({section.largest})" in section.caption
    assert full.change_table().table.columns[:3].tolist() == ["IMD quintile", "Paired", "Mean change"]
    assert full.improvement_text().startswith("Of about ")


def test_suppression_thresholds(full):
    # the sample's Northcliffe CMHT has 1 paired referral of 80: hidden in the figure, starred in the table
    assert re.search(r"\d+ teams with a count of 1 to 4 \(or hidden so that such a count cannot be worked out\) are "
                     "not shown", full.funnel_caption())
    # Northcliffe lies outside the 95% limits, but its counts are hidden: it is not listed (that would tell its band)
    assert "Northcliffe CMHT" not in full.outlier_table().table["Team"].tolist()
    records = full.exclusions_table().table["n_rows"]
    assert all(v == "*" or v % 5 == 0 for v in records)
    exact = assemble(**PROMS, equality_groups=[], suppress=False)
    assert "not shown" not in exact.funnel_caption() and exact.note is None
    assert exact.outlier_table().table.set_index("Team").loc["Northcliffe CMHT", "Paired"] == 1
    assert exact.exclusions_table().table["n_rows"].tolist() == exact.exclusions["n_rows"].tolist()


def test_save_tables(full, tmp_path):
    out = full.save_tables(tmp_path / "tables")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["benefits_register_report.csv", "funnel_paired_by_team.csv",
                     "funnel_paired_by_team.structure.json", "its_coefficients.csv",
                     "spc_dna_rate_pct.csv", "spc_paired_proms_pct.csv", "spc_reqol_mean_change.csv",
                     "spc_waiting_weeks.csv"]
