from pathlib import Path

import pandas as pd

from cscs_eval.progress import summarise
from cscs_eval.sample.programme import write

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "sample" / "programme_register.csv"


def test_same_seed_same_file_and_bundled_copy_is_current(tmp_path):
    (a,) = write(tmp_path, seed=20241127)
    assert a == tmp_path / "programme_register.csv"
    assert a.read_bytes() == BUNDLED.read_bytes()
    other = tmp_path / "other"
    other.mkdir()
    assert write(other, seed=1)[0].read_bytes() != a.read_bytes()


def test_register_covers_the_strategy_workstreams_and_reads_cleanly():
    reg = pd.read_csv(BUNDLED)
    assert list(reg.columns) == ["workstream", "task", "status"]
    assert set(reg["workstream"]) == {"Person centred", "Strengths based", "Trauma informed", "Evidence led",
                                      "Co-production", "Outcomes and inequalities"}
    assert reg["status"].nunique() > 5  # spelled the way people type them
    result = summarise(BUNDLED)
    table = result.table
    findings = result.findings
    assert findings.empty and table.iloc[0]["total"] == len(reg)
