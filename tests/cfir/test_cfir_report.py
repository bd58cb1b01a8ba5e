"""The CFIR coding report object: built once from the sample, its sentences, thresholds and files."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cscs_eval import cfir  # noqa: E402
from cscs_eval.errors import InputError, UsageError  # noqa: E402

S = "data/sample/cfir"
FULL = dict(aliases=f"{S}/aliases.yaml", case_ratings=f"{S}/case_ratings.csv", second_coder=f"{S}/second_coder.csv",
            themes=f"{S}/themes.yaml", groups=f"{S}/groups.csv")


@pytest.fixture(scope="module")
def report():
    return cfir.coding_report([f"{S}/notes"], **FULL)


def test_report_is_a_result_with_the_construct_summary(report):
    assert isinstance(report, cfir.CodingReport)
    pd.testing.assert_frame_equal(report.table, report.coding.summary())
    assert report.summary() is report.table
    # the sample's figures (as the notebook test reads them in the HTML report)
    text = report.text(markdown=True)
    # numbers of ten or fewer in words where a sentence needs them (cscs_eval.reporting.plain)
    assert text.startswith("The coding holds **80 codes** on 49 excerpts from three kinds of contact across "
                           "**four cases**, touching **39 CFIR constructs** in all five domains.")
    assert "**4 strong barriers**" in text and "**" not in report.text()
    assert "Eight constructs distinguished the high from the low implementation cases (3 strongly)." in text
    assert report.distinguishing_text().startswith("Eight of the 15 constructs rated in both groups distinguish")


def test_agreement_table_leaves_out_statistics_on_too_few_ratings(report):
    table = report.agreement_table()
    few = table["n_rated"] < cfir.CodingReport.min_rated
    assert few.any() and (~few).any()
    assert table.loc[few, ["weighted_kappa", "krippendorff_alpha"]].isna().all().all()
    assert table.loc[~few, "weighted_kappa"].notna().all()
    # the threshold is a parameter: with 1, only constructs without a numeric pair stay empty
    assert report.agreement_table(min_rated=1)["weighted_kappa"].notna().sum() > table["weighted_kappa"].notna().sum()
    diff = report.disagreements_table()
    assert diff.columns.tolist() == ["case", "source", "construct", "ratings", "difference_kind"]
    assert "+1 / not coded" in diff["ratings"].tolist()


def test_sections_without_their_inputs_say_so():
    plain = cfir.coding_report(f"{S}/notes", aliases=f"{S}/aliases.yaml", second_coder="", groups="", themes="")
    assert plain.coding.case_ratings is None
    assert plain.distinguishing is None and plain.distinguishing_table() is None
    assert plain.distinguishing_text().startswith("No grouping of cases")
    assert plain.agreement is None and plain.agreement_table() is None and plain.disagreements_table() is None
    assert plain.agreement_text().startswith("No second coder")
    assert "distinguished" not in plain.text() and "coders agreed" not in plain.text()
    assert not plain.themes.empty  # from the theme column of the notes


def test_bad_parameters_fail_before_any_table_is_computed():
    with pytest.raises(UsageError, match="by must be a column of the coding table such as 'case' or 'source'.*"
                                         "got 'team'"):
        cfir.coding_report(f"{S}/notes", aliases=f"{S}/aliases.yaml", by="team")
    with pytest.raises(UsageError, match="coding_paths must name at least one"):
        cfir.coding_report([])
    with pytest.raises(InputError, match="nope.csv"):
        cfir.coding_report(f"{S}/notes", aliases=f"{S}/aliases.yaml", case_ratings="nope.csv")
    with pytest.raises(UsageError, match="kind must be 'facilitator' or 'barrier', got 'neutral'"):
        cfir.coding_report(f"{S}/notes", aliases=f"{S}/aliases.yaml").strongest("neutral")


def test_write_puts_tables_and_figures_in_place(report, tmp_path):
    folder = report.write(tmp_path / "out", outcomes={"Adoption": "all teams"})
    assert {p.name for p in folder.iterdir()} == {
        "cfir_summary.csv", "cfir_matrix.csv", "cfir_by_domain.csv", "cfir_themes.csv", "cfir_coding.csv",
        "cfir_facilitators_barriers.png", "cfir_heatmap.png"}
    assert len(pd.read_csv(folder / "cfir_coding.csv")) == 80
    assert Path(folder / "cfir_heatmap.png").read_bytes().startswith(b"\x89PNG")
