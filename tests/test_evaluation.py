"""The implementation evaluation assembled from the sample: summary sentences and publishable tables."""

import re

import pytest

from cscs_eval import evaluation
from cscs_eval.errors import UsageError

SAMPLE = dict(coding_paths=["data/sample/cfir/notes"], aliases_path="data/sample/cfir/aliases.yaml",
              case_ratings_path="data/sample/cfir/case_ratings.csv", themes_path="data/sample/cfir/themes.yaml",
              lightning_path="data/sample/lightning", data_path="data/sample/proms.csv",
              referrals_path="data/sample/referrals.csv", teams_path="data/sample/teams.csv",
              delivery_path="data/public/proms_delivery_overview_2024-11.csv",
              register_path="data/public/cscs_programme_progress_2024-11.csv",
              logic_model_path="data/sample/logic_model.yaml")


@pytest.fixture(scope="module")
def ev():
    return evaluation.assemble(**SAMPLE)


def test_summary_quotes_the_key_numbers(ev):
    text = ev.summary(suppress=True)
    # Team counts from data/sample/teams.csv: 29 of 32 engaged, 12 of 32 trained (as the board report's overview).
    assert "**29 of 32 teams (91%)** were engaged" in text and "**12 of 32 teams (38%)**" in text
    # The board report's headline: 119 of 163 tasks complete or on track = 73%.
    assert "73% of its tasks complete or on track" in text
    reqol = ev.proms_summary.query("measure == 'reqol10' and unit == 'total'").iloc[0]
    shown = int(re.search(r"Of ([\d,]+) eligible referrals", text).group(1).replace(",", ""))
    assert shown % 5 == 0 and abs(shown - reqol["n_eligible"]) <= 2, "published counts are rounded to 5"
    assert f"{100 * reqol['paired_rate']:.0f}% had a paired ReQoL-10 score" in text
    exact = ev.summary(suppress=False)
    assert f"Of {int(reqol['n_eligible']):,} eligible referrals" in exact


def test_strongest_constructs_follow_the_ratings(ev):
    barriers = ev.strongest("barrier", 3)
    ratings = ev.cfir_summary.set_index("construct")["mean_rating"]
    assert all(ratings[b] < 0 for b in barriers)
    assert ratings[barriers[0]] == ratings[ratings.index.isin(barriers)].min()
    with pytest.raises(UsageError, match="kind must be 'facilitator' or 'barrier'"):
        ev.strongest("neutral")


def test_proms_table_is_publishable(ev):
    table = ev.proms_table(suppress=True)
    assert set(table["unit"]) <= set(evaluation.HEADLINE_UNITS)
    counts = [v for v in table["n_paired"] if v != "*"]
    assert all(int(v) % 5 == 0 for v in counts)
    reqol = table[(table["measure"] == "reqol10") & (table["unit"] == "total")].iloc[0]
    assert 0 < float(reqol["paired_rate"]) < 100, "rates are percentages"


def test_findings_sentences(ev):
    # The board report prints 29/32 teams as 90%; 90.6% rounds to 91 (data/public/README.md).
    assert "reported 90 but 29/32" in ev.delivery_findings()
    # Its workstream tables sum to 144 tasks against a programme total of 163.
    assert "sum to 144 tasks, not 163" in ev.programme_findings()
