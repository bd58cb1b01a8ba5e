"""In a batch, outcomes_report reads, checks, scores and pairs the extract once, and each team's report
keeps its own rows: the same tables as a report computed on its own."""

from pathlib import Path

import pandas as pd

from cscs_eval import proms
from cscs_eval._batch import batch_folder

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
INPUTS = dict(referrals=SAMPLE / "referrals.csv", demographics=SAMPLE / "demographics.csv")


def tables(report) -> dict:
    return {"rows": report.rows, "scores": report.scores, "referrals": report.referrals, "overall": report.overall,
            "by_team": report.by_team, **{f"group {g}": t for g, t in report.by_group.items()},
            "exclusions": report.exclusions_table().table}


def test_a_batch_computes_every_team_once_and_each_report_slices_it():
    teams = ["Abbeydale CMHT", "Lowfield CMHT"]
    alone = {t: proms.outcomes_report(SAMPLE / "proms.csv", team=t, **INPUTS) for t in teams}
    with batch_folder() as folder:
        shared = {t: proms.outcomes_report(SAMPLE / "proms.csv", team=t, **INPUTS) for t in teams}
        stored = list(folder.glob("proms-outcomes-*.pickle"))
        assert len(stored) == 1  # the second team's report loaded what the first stored
        other = proms.outcomes_report(SAMPLE / "proms.csv", team=teams[0], period_end="2024-06-30", **INPUTS)
        assert len(list(folder.glob("proms-outcomes-*.pickle"))) == 2  # another period is another entry
    for team in teams:
        for name, table in tables(alone[team]).items():
            pd.testing.assert_frame_equal(tables(shared[team])[name], table, obj=f"{team}: {name}")
    assert other.rows["referral_id"].nunique() <= alone[teams[0]].rows["referral_id"].nunique()


def test_a_dataframe_input_is_not_shared():
    data = pd.read_csv(SAMPLE / "proms.csv", dtype=str)
    with batch_folder() as folder:
        proms.outcomes_report(data, team="Abbeydale CMHT", equality_groups=[])
        assert not list(folder.iterdir())
