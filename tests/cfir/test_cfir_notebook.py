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
    result = run_notebook(NOTEBOOK, out_dir=tmp_path / "report", parameters={"output_dir": str(tables)}, to=("html", "docx"))
    assert result.error is None
    text = result.html.read_text(encoding="utf-8")
    assert "Facilitators and barriers by domain" in text and "Agreement between coders" in text
    # the summary quotes the key numbers; no code, warnings or raw reprs reach the report
    assert "<strong>80 codes</strong>" in text and "<strong>4 strong barriers</strong>" in text
    assert "Eight of the 15 constructs rated in both groups distinguish" in text
    for raw in ("Traceback", "Warning", "dtype", "DataFrame", "<Axes", "Figure size", "[[", ">nan<", ">NaN<", "<NA>"):
        assert raw not in text, raw
    # the Word version has the same content: real tables with labelled headers, and the figures
    import docx

    doc = docx.Document(str(result.docx))
    headers = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    assert ["Construct", "Domain", "Excerpts", "Cases", "Mean case rating", "Classification"] in headers
    assert any(h[:2] == ["Construct", "Excerpts"] and "Weighted kappa (ratings)" in h for h in headers)
    assert len(doc.inline_shapes) >= 2  # the two figures (and any header image)
    assert {p.name for p in tables.iterdir()} >= {"cfir_summary.csv", "cfir_matrix.csv",
                                                  "cfir_facilitators_barriers.png", "cfir_heatmap.png"}
