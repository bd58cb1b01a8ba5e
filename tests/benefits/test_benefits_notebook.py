"""The benefit-analysis notebook keeps the notebook rules (it is executed by nbval and `cscs-eval demo`)."""

import ast
import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "benefits_analysis.ipynb"


def load():
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


def test_structure_and_no_outputs():
    nb = load()
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "cscs-eval"
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    assert cells[1]["metadata"].get("tags") == ["parameters"]
    for c in cells:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None


def test_parameters_are_annotated_literals_with_help():
    src = "".join(load()["cells"][1]["source"])
    tree = ast.parse(src)
    names = []
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), ast.dump(node)
        ast.literal_eval(node.value)
        names.append(node.target.id)
    for line in src.splitlines():
        assert "  # " in line, line
        # papermill's --help-notebook and -p skip a line with a second "=" (e.g. in its help comment)
        assert line.count("=") == 1, line
    # the common names of every notebook: data_path is the PROMs extract, equality_groups a list
    assert {"indicators_path", "benefits_register_path", "data_path", "referrals_path", "demographics_path",
            "indicators", "change_dates", "equality_groups", "suppress", "output_dir"} <= set(names)
    assert "equality_groups: list = [" in src
    assert "suppress: bool = True  # " in src


def test_no_functions_or_classes_in_cells():
    for c in load()["cells"]:
        if c["cell_type"] == "code":
            tree = ast.parse("".join(c["source"]))
            assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


def test_executed_report_reads_like_a_report(tmp_path):
    """Run the notebook on the sample data and read its outputs as a board member would see them."""
    import re

    import papermill

    root = NOTEBOOK.parents[1]
    out = tmp_path / "run.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(root), kernel_name="python3", progress_bar=False,
                               log_output=False)
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
    # no code output, warnings, errors or reprs: only displayed tables, figures and sentences
    assert {o["output_type"] for o in outputs} == {"display_data"}
    texts = ["".join(o["data"]["text/markdown"]) for o in outputs if "text/markdown" in o["data"]]
    summary = texts[0]
    assert "More people have their outcomes measured twice" in summary  # benefits by name, not indicator ids
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", summary), summary
    assert re.search(r"stepped by \d+\.\d at the service change of 2023-10-01 \(95% CI", summary)
    assert re.search(r"Across \d+ teams \d+\.\d% of eligible referrals", summary)
    figures = [o["data"]["application/vnd.cscs-eval.figure+json"] for o in outputs
               if "application/vnd.cscs-eval.figure+json" in o["data"]]
    assert len(figures) >= 8
    for f in figures:
        assert f["caption"] and f["source"]
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", f["caption"]), f["caption"]
    tables = [o["data"]["application/vnd.cscs-eval.table+json"] for o in outputs
              if "application/vnd.cscs-eval.table+json" in o["data"]]
    for t in tables:
        assert t["caption"] and all(c and "_" not in c for c in t["columns"]), t["columns"]
    # a team with a count of 1 to 4 is not drawn in the funnel plot, and the caption says how many
    funnel_caption = [f["caption"] for f in figures if f["caption"].startswith("Across 32 teams")][0]
    hidden = re.search(r"(\d+) teams with a count of 1 to 4 \(or hidden so that such a count cannot be worked out\) "
                       r"are not shown, nor counted above", funnel_caption)
    assert hidden and int(hidden.group(1)) >= 3, funnel_caption  # 3 with 1 to 4, and any hidden beside them
    outliers = [t for t in tables if t["caption"] == "Teams outside the 95% funnel limits"][0]
    # Northcliffe's counts are hidden, so it is not listed among the outliers either (that would tell its band)
    assert not [r for r in outliers["rows"] if r[0] == "Northcliffe CMHT"]
    # published counts: 1 to 4 never shown, other counts rounded to 5 (the exclusions table and group tables)
    excluded = [t for t in tables if t["caption"].startswith("PROMs records left out")][0]
    shown = [r[excluded["columns"].index("Records")] for r in excluded["rows"]]
    assert all(v == "*" or int(v.replace(",", "")) % 5 == 0 for v in shown), shown


def test_runs_without_proms_or_interrupted_time_series(tmp_path):
    import papermill

    out = tmp_path / "run.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parents[1]), kernel_name="python3",
                               parameters={"data_path": "", "its_indicator": ""}, progress_bar=False)
    outputs = [o for c in json.loads(out.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"
               for o in c["outputs"]]
    assert {o["output_type"] for o in outputs} == {"display_data"}
    texts = " ".join("".join(o["data"]["text/markdown"]) for o in outputs if "text/markdown" in o["data"])
    assert "No indicator was chosen for the interrupted time series." in texts
    # without a PROMs extract its sections are left out, headings and all (no empty headings)
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    shown = texts + " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "Comparing teams" not in shown and "Inequalities" not in shown and "Outcomes by deprivation" not in shown
    assert "Paired score" not in texts, "the terms used are those of the sections shown"


def test_suppression_can_be_turned_off_for_analysts(tmp_path):
    import papermill

    out = tmp_path / "run.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parents[1]), kernel_name="python3",
                               parameters={"suppress": False, "its_indicator": "", "equality_groups": ["gender"]},
                               progress_bar=False)
    outputs = [o for c in json.loads(out.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"
               for o in c["outputs"]]
    figures = [o["data"]["application/vnd.cscs-eval.figure+json"] for o in outputs
               if "application/vnd.cscs-eval.figure+json" in o["data"]]
    tables = [o["data"]["application/vnd.cscs-eval.table+json"] for o in outputs
              if "application/vnd.cscs-eval.table+json" in o["data"]]
    texts = " ".join("".join(o["data"]["text/markdown"]) for o in outputs if "text/markdown" in o["data"])
    funnel_caption = [f["caption"] for f in figures if f["caption"].startswith("Across 32 teams")][0]
    assert "not shown" not in funnel_caption
    outliers = [t for t in tables if t["caption"] == "Teams outside the 95% funnel limits"][0]
    assert [r[1] for r in outliers["rows"] if r[0] == "Northcliffe CMHT"] == ["1"]
    assert outliers["note"] == "Not for publication: small numbers shown"  # issue 10: every output says so
    assert "Small-number suppression is off" in texts


def test_thin_cells_only_display():
    """The logic lives in cscs_eval.benefits.assemble; cells call it once and show what it gives."""
    code = [("".join(c["source"])) for c in load()["cells"] if c["cell_type"] == "code"][1:]
    assert sum(len(src.splitlines()) for src in code) < 60
    calls = {n.func.attr for src in code for n in ast.walk(ast.parse(src))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
             and n.func.value.id == "benefits"}
    assert calls == {"assemble"}
    assert "assemble(" in code[0] and not any("assemble(" in src for src in code[1:])


def test_a_bad_parameter_stops_the_first_cell_with_one_line(tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError) as exc:
        papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "run.ipynb"), cwd=str(NOTEBOOK.parents[1]),
                                   kernel_name="python3", parameters={"equality_groups": ["Ethnicity"]},
                                   progress_bar=False)
    assert exc.value.ename == "UsageError"
    assert exc.value.evalue.startswith("equality_groups must be columns of the referrals or demographics: one of ")
    assert "ethnicity" in exc.value.evalue and "\n" not in exc.value.evalue
    cells = json.loads((tmp_path / "run.ipynb").read_text(encoding="utf-8"))["cells"]
    failed = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and any(
        o["output_type"] == "error" for o in c.get("outputs", []))]
    shown = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and any(
        o["output_type"] == "display_data" for o in c.get("outputs", []))]
    assert "benefits.assemble(" in "".join(cells[failed[0]]["source"]) and shown == []
