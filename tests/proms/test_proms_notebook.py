"""notebooks/proms_outcomes.ipynb runs with papermill for one team and measure, with no warnings shown."""

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "proms_outcomes.ipynb"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "proms.csv"


def test_parameters_cell_is_literals_with_help():
    nb = json.loads(NOTEBOOK.read_text())
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    lines = "".join(params[0]["source"]).splitlines()
    names = [ln.split(":")[0] for ln in lines]
    assert names[0] == "data_path" and {"measure", "team", "period_start", "period_end", "grouping", "suppress",
                                        "output_dir"} <= set(names)
    assert all("  # " in ln for ln in lines)
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLE.exists(), reason="sample data not generated")
def test_notebook_runs_for_one_team(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parents[1]), kernel_name="python3",
                               progress_bar=False,
                               parameters={"measure": "dialog", "team": "Abbeydale CMHT", "output_dir": str(tmp_path)})
    nb = json.loads(out.read_text())
    streams = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] in ("stream", "error")]
    assert streams == []
    assert (tmp_path / "proms_dialog_by_team.csv").exists()


def _texts(nb):
    return " ".join(str(o.get("data", {}).get("text/markdown", o.get("data", {}).get("text/html", "")))
                    for c in nb["cells"] for o in c.get("outputs", []))


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLE.exists(), reason="sample data not generated")
def test_notebook_for_a_team_without_that_measure_reads_well(tmp_path):
    # Queensway CMHT has eligible referrals but no GBO baseline in the sample: the report says so in
    # sentences instead of failing or drawing empty figures.
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parents[1]), kernel_name="python3",
                               progress_bar=False, parameters={"measure": "gbo", "team": "Queensway CMHT"})
    nb = json.loads(out.read_text())
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] in ("stream", "error")]
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    text = _texts(nb)
    assert "For GBO in Queensway CMHT there were no assessments with a baseline score" in text
    assert "No GBO assessments with a baseline score for Queensway CMHT." in text


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLE.exists(), reason="sample data not generated")
def test_counts_in_sentences_and_captions_are_published_rounded(tmp_path):
    # Every count a reader sees is suppressed or rounded to 5, captions and sentences included.
    import re

    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parents[1]), kernel_name="python3",
                               progress_bar=False, parameters={})
    nb = json.loads(out.read_text())
    text = _texts(nb) + " ".join(json.dumps(o.get("data", {})) for c in nb["cells"] for o in c.get("outputs", []))
    found = re.findall(r"([\d,]+) (?:patients|assessments;|referrals\)|paired referrals;|eligible referrals had)", text)
    assert len(found) >= 5
    assert all(int(n.replace(",", "")) % 5 == 0 for n in found), found
    assert "between the dashed lines" in text  # the Jacobson-Truax figure and its caption are there
