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
