"""The benefit-analysis notebook keeps the notebook rules (it is executed by nbval and `cscs-eval demo`)."""

import ast
import json
from pathlib import Path

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "benefits_analysis.ipynb"


def load():
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


def test_structure_and_no_outputs():
    nb = load()
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"] == {"name": "python3", "display_name": "Python 3", "language": "python"}
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
    assert {"data_path", "indicators", "change_dates", "grouping", "output_dir"} <= set(names)


def test_no_functions_or_classes_in_cells():
    for c in load()["cells"]:
        if c["cell_type"] == "code":
            tree = ast.parse("".join(c["source"]))
            assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
