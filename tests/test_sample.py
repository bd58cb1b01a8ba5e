"""The synthetic sample: same files every time, realistic shape, and the defects real extracts have."""

import hashlib

import pandas as pd

from cscs_eval.io import resource_dir
from cscs_eval.dates import parse_dates
from cscs_eval.proms import completeness_by_team
from cscs_eval.sample import SEED, proms


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_same_seed_same_files_and_committed_copy_is_current(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        proms.write(folder, SEED)
    assert _digest(a) == _digest(b)
    committed = resource_dir("data") / "sample"
    for name, digest in _digest(a).items():
        assert hashlib.sha256((committed / name).read_bytes()).hexdigest() == digest, (
            f"data/sample/{name} is stale: run 'cscs-eval sample-data'")


def test_shape_and_follow_up_rates():
    teams, demographics, referrals, extract = proms.build(SEED)
    assert len(teams) == 32 and demographics["patient_id"].nunique() == 3000
    rates = completeness_by_team(extract, referrals=referrals)
    rates = rates[rates["with_baseline"] >= 20]
    assert rates["follow_up_pct"].between(20, 60).all()
    assert rates["follow_up_pct"].std() > 5, "paired rates differ by team"


def test_defects_are_present():
    _, demographics, _, extract = proms.build(SEED)
    response = pd.to_numeric(extract["response"], errors="coerce")
    assert response.isna().any(), "non-numeric responses"
    assert ((extract["measure"] == "reqol10") & (response > 4)).any(), "out-of-range ReQoL responses"
    assert ((extract["measure"] == "dialog") & (response == 8)).any(), "a DIALOG 8"
    assert extract.duplicated().any(), "duplicate assessments"
    assert extract["assessment_date"].str.contains("/").any() and parse_dates(extract["assessment_date"]).notna().all()
    conflicting = demographics.groupby("patient_id")["ethnicity"].nunique()
    assert (conflicting > 1).sum() == 1


def test_sample_data_command_writes_a_complete_sample(tmp_path, capsys):
    from cscs_eval.cli import main

    out = tmp_path / "sample"
    assert main(["sample-data", "--out", str(out)]) == 0
    committed = resource_dir("data") / "sample"
    expected = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
    written = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert expected == written
    for rel in expected:
        assert (out / rel).read_bytes() == (committed / rel).read_bytes(), rel


def test_the_sample_tells_one_story():
    """The hand-written texts count what the generated teams data holds (issue 13: Lightning Reports 3 and 5
    said every community team was trained while teams.csv has 12 of 32)."""
    import json
    import re

    from cscs_eval.reporting.plain import number_words

    sample = resource_dir("data") / "sample"
    teams = pd.read_csv(sample / "teams.csv", parse_dates=["engaged_date", "pathway_mapped_date", "trained_date"])

    def by(column, day):
        return int((teams[column] <= pd.Timestamp(day)).sum())

    report3 = (sample / "lightning" / "2024-02-lightning-report-3.md").read_text()
    # 22 February 2024: 8 teams trained, 18 with a mapped pathway.
    assert f"{number_words(by('trained_date', '2024-02-22')).capitalize()} of the 32 community teams have now " \
           "mapped their pathway and been trained" in report3
    assert f"{by('pathway_mapped_date', '2024-02-22')} have mapped their pathway" in report3
    report5 = (sample / "lightning" / "2024-05-lightning-report-5.md").read_text()
    # 23 May 2024: 29 engaged, 10 trained.
    assert f"{by('engaged_date', '2024-05-23')} of the 32 community teams are engaged, and " \
           f"{by('trained_date', '2024-05-23')} have mapped their pathway and been trained" in report5
    for text in (report3, report5):
        assert not re.search(r"(every|all (three )?)community (mental health )?teams?", text, re.I)
    engaged, trained = int(teams["engaged_date"].notna().sum()), int(teams["trained_date"].notna().sum())
    model = (sample / "logic_model.yaml").read_text()
    assert f"{engaged} of 32 eligible teams" in model and f"{trained} of 32 eligible teams" in model
    notebook = json.loads((resource_dir("notebooks") / "cfir_coding.ipynb").read_text())
    params = "".join(next(c["source"] for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", [])))
    assert f"{engaged} of 32 teams engaged" in params and f"{trained} of 32 teams mapped and trained" in params
