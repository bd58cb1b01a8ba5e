"""The coding notebook runs end to end on the sample data and writes its report and tables."""

from pathlib import Path

import pytest

from cscs_eval.reporting import notebook_parameters, run_notebook


NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "cfir_coding.ipynb"


def test_parameters_are_documented():
    params = notebook_parameters(NOTEBOOK)
    assert {"coding_paths", "aliases_path", "group_by", "output_dir"} <= set(params)
    assert all(p.help for p in params.values())


@pytest.mark.slow
def test_notebook_runs_and_writes_tables(tmp_path):
    tables = tmp_path / "tables"
    result = run_notebook(NOTEBOOK, tmp_path / "report", parameters={"output_dir": str(tables)})
    assert result.error is None
    text = result.html.read_text(encoding="utf-8")
    assert "Facilitators and barriers by domain" in text and "Agreement between coders" in text
    assert "Traceback" not in text
    assert {p.name for p in tables.iterdir()} >= {"cfir_summary.csv", "cfir_matrix.csv",
                                                  "cfir_facilitators_barriers.png"}
