"""notebooks/proms_outcomes.ipynb and data_overview.ipynb run with papermill, thin and without warnings shown."""

import ast
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK = NOTEBOOKS / "proms_outcomes.ipynb"
OVERVIEW = NOTEBOOKS / "data_overview.ipynb"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "proms.csv"
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="sample data not generated")


def _code(path):
    nb = json.loads(path.read_text())
    return nb, [("".join(c["source"]), c) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", [NOTEBOOK, OVERVIEW], ids=lambda p: p.stem)
def test_parameters_cell_is_literals_with_help(path):
    nb, cells = _code(path)
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    lines = "".join(params[0]["source"]).splitlines()
    names = [ln.split(":")[0] for ln in lines]
    assert names[0] == "data_path" and {"measure", "team", "suppress", "output_dir"} <= set(names)
    assert all("  # " in ln for ln in lines)
    assert 'team: str = ""' in "".join(params[0]["source"])  # "" is every team, in every notebook
    assert all(not c.get("outputs") for _, c in cells)


def test_outcomes_parameters_use_the_common_names():
    nb, _ = _code(NOTEBOOK)
    params = "".join("".join(c["source"]) for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    assert {"period_start", "period_end", "referrals_path", "demographics_path"} <= \
        {ln.split(":")[0] for ln in params.splitlines()}
    assert 'equality_groups: list = ["ethnicity"]' in params


@pytest.mark.parametrize("path", [NOTEBOOK, OVERVIEW], ids=lambda p: p.stem)
def test_notebooks_are_thin(path):
    # Display calls only: under 100 lines of code, no def or class, and every branch shows or skips a part.
    _, cells = _code(path)
    source = "\n".join(src for src, _ in cells)
    assert len(source.splitlines()) < 100
    tree = ast.parse(source)
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            assert not node.orelse
            calls = {c.func.id for c in ast.walk(ast.Module(body=node.body, type_ignores=[]))
                     if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
            assert calls <= {"show_table", "show_figure", "show_markdown"}, ast.unparse(node)


def _run(tmp_path, path=NOTEBOOK, **parameters):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(path), str(out), cwd=str(path.parents[1]), kernel_name="python3",
                               progress_bar=False, parameters=parameters)
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("stream", "error")]  # no warnings, no errors
    return outputs


def _texts(outputs):
    return " ".join(str(o.get("data", {}).get("text/markdown", o.get("data", {}).get("text/html", "")))
                    for o in outputs)


@pytest.mark.slow
@needs_sample
def test_notebook_runs_for_one_team(tmp_path):
    _run(tmp_path, measure="dialog", team="Abbeydale CMHT", output_dir=str(tmp_path),
         equality_groups=["ethnicity", "imd_decile"])
    assert (tmp_path / "proms_dialog_by_team.csv").exists()
    assert (tmp_path / "proms_dialog_by_imd_decile.csv").exists()


@pytest.mark.slow
@needs_sample
def test_notebook_for_a_team_without_that_measure_reads_well(tmp_path):
    # Queensway CMHT has eligible referrals but no GBO baseline in the sample: the report says so in
    # sentences instead of failing or drawing empty figures.
    outputs = _run(tmp_path, measure="gbo", team="Queensway CMHT")
    assert not [o for o in outputs if "image/png" in o.get("data", {})]
    text = _texts(outputs)
    assert "For GBO in Queensway CMHT there were no assessments with a baseline score" in text
    assert "No GBO assessments with a baseline score for Queensway CMHT." in text


@pytest.mark.slow
@needs_sample
def test_counts_in_sentences_and_captions_are_published_rounded(tmp_path):
    # Every count a reader sees is suppressed or rounded to 5, captions and sentences included.
    outputs = _run(tmp_path)
    text = _texts(outputs) + " ".join(json.dumps(o.get("data", {})) for o in outputs)
    found = re.findall(r"([\d,]+) (?:patients|assessments;|referrals\)|paired referrals;|eligible referrals had)", text)
    assert len(found) >= 5
    assert all(int(n.replace(",", "")) % 5 == 0 for n in found), found
    assert "between the dashed lines" in text  # the Jacobson-Truax figure and its caption are there


@pytest.mark.slow
@needs_sample
def test_overview_runs_for_one_team(tmp_path):
    outputs = _run(tmp_path, OVERVIEW, team="Abbeydale CMHT", measure="DIALOG", output_dir=str(tmp_path))
    assert "The extract holds" in _texts(outputs) and (tmp_path / "completeness_by_team.csv").exists()


@pytest.mark.slow
@needs_sample
@pytest.mark.parametrize("path", [NOTEBOOK, OVERVIEW], ids=lambda p: p.stem)
def test_a_team_in_the_wrong_case_gets_the_package_message(tmp_path, path):
    # Before the change data_overview failed deep inside with "NaTType does not support strftime".
    papermill = pytest.importorskip("papermill")
    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(str(path), str(tmp_path / "out.ipynb"), cwd=str(path.parents[1]),
                                   kernel_name="python3", progress_bar=False,
                                   parameters={"team": "abbeydale cmht"})
    assert info.value.ename == "UsageError"
    assert info.value.evalue.startswith("team must be one of Abbeydale CMHT, Birchfield CMHT")
    assert "did you mean 'Abbeydale CMHT'?" in info.value.evalue
