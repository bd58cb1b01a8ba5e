"""Parameters are read from the notebook's parameters cell and checked before anything runs."""

import pytest

from cscs_eval.errors import UsageError
from cscs_eval.reporting.params import notebook_parameters, resolve_parameters

PARAMS = '''data_path: str = "data/sample/proms.csv"  # PROMs extract
team: str = ""  # one team, or "" for all
min_days: int = 0  # shortest interval
alpha: float = 0.05  # significance level
suppress: bool = True  # suppress small numbers
groups: list = ["ethnicity"]  # grouping columns
'''


def test_reads_names_types_defaults_and_help(notebook_factory):
    params = notebook_parameters(notebook_factory("p.ipynb", PARAMS))
    assert list(params) == ["data_path", "team", "min_days", "alpha", "suppress", "groups"]
    assert params["min_days"].type == "int" and params["min_days"].default == 0
    assert params["groups"].default == ["ethnicity"]
    assert params["data_path"].help == "PROMs extract"


def test_text_values_take_the_declared_type(notebook_factory):
    nb = notebook_factory("p.ipynb", PARAMS)
    values = resolve_parameters(nb, given=[("team", "007"), ("min_days", "30"), ("alpha", "1"),
                                           ("suppress", "no"), ("groups", "[age_band, gender]")])
    # papermill alone would turn "007" into the integer 7.
    assert values == {"team": "007", "min_days": 30, "alpha": 1.0, "suppress": False,
                      "groups": ["age_band", "gender"]}


@pytest.mark.parametrize("given, message", [
    ([("tema", "A")], "unknown parameter 'tema'"),
    ([("min_days", "thirty")], "parameter 'min_days' must be a whole number (int), got 'thirty'"),
    ([("suppress", "maybe")], "parameter 'suppress' must be true or false (bool), got 'maybe'"),
])
def test_bad_parameters_are_usage_errors(notebook_factory, given, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_parameters(notebook_factory("p.ipynb", PARAMS), given=given)


def test_params_file_types_and_dates(notebook_factory, tmp_path):
    nb = notebook_factory("p.ipynb", PARAMS + 'period_end: str = "2024-03-31"  # end\n')
    f = tmp_path / "params.yaml"
    f.write_text("period_end: 2024-06-30\nmin_days: 14\n")
    assert resolve_parameters(nb, params_file=f) == {"period_end": "2024-06-30", "min_days": 14}
    f.write_text("min_days: 1.5\n")
    with pytest.raises(UsageError, match="min_days"):
        resolve_parameters(nb, params_file=f)
    f.write_text("min_days: [1\n")
    with pytest.raises(UsageError, match="not valid YAML"):
        resolve_parameters(nb, params_file=f)


def test_notebook_without_parameters_cell(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    path = tmp_path / "plain.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(UsageError, match="no cell tagged 'parameters'"):
        notebook_parameters(path)


def test_project_notebooks_document_every_parameter():
    """Each notebook's parameters are annotated literals with help, so papermill --help-notebook documents them."""
    from cscs_eval.io import resource_dir

    import papermill

    notebooks = sorted(resource_dir("notebooks").glob("*.ipynb"))
    assert notebooks
    for nb in notebooks:
        ours = notebook_parameters(nb)
        for p in ours.values():
            assert p.type in {"str", "int", "float", "bool", "list", "dict"}, (nb.name, p.name)
            assert p.help, f"{nb.name}: parameter {p.name} has no trailing help comment"
        # papermill's own parser skips a line with a second '=' (e.g. in its help text).
        theirs = papermill.inspect_notebook(str(nb))
        assert {n: (v["inferred_type_name"], v["help"]) for n, v in theirs.items()} == {
            n: (p.type, p.help) for n, p in ours.items()}, f"papermill --help-notebook misreads {nb.name}"


def test_papermill_runs_a_project_notebook_directly(tmp_path):
    """`papermill NOTEBOOK OUT -p NAME VALUE` works without cscs-eval's runner, from any folder."""
    import json
    import subprocess
    import sys

    from cscs_eval.io import resource_dir

    notebook = resource_dir("notebooks") / "data_overview.ipynb"
    help_text = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(notebook)],
                               capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    for name, p in notebook_parameters(notebook).items():
        assert name in help_text and p.help in help_text
    out = tmp_path / "out.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", str(notebook), str(out), "-p", "team", "Abbeydale CMHT",
                    "--no-progress-bar"], capture_output=True, text=True, cwd=tmp_path, check=True)
    executed = json.loads(out.read_text())
    shown = json.dumps([c.get("outputs", []) for c in executed["cells"]])
    assert "1 team" in shown and "Abbeydale CMHT" in shown


def test_checksums_cover_files_lists_and_folders_but_not_outputs(tmp_path):
    import hashlib

    from cscs_eval.reporting.runner import checksums

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("a")
    (tmp_path / "notes" / ".hidden").write_text("x")
    (tmp_path / "data.csv").write_text("team\nA\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.csv").write_text("old")
    sums = checksums({"data_path": str(tmp_path / "data.csv"), "coding_paths": [str(tmp_path / "notes")],
                      "output_dir": str(tmp_path / "out"), "team": "A", "n": 3})
    assert [(name, digest) for name, _, digest in sums] == [
        ("data_path", hashlib.sha256(b"team\nA\n").hexdigest()),
        ("coding_paths", hashlib.sha256(b"a").hexdigest()),
    ]


def test_a_params_file_may_hold_parameters_of_other_notebooks(notebook_factory, tmp_path):
    # One parameters file serves every notebook: names a notebook lacks are ignored with a warning
    # from -f, but are an error from -p.
    from cscs_eval.reporting.params import IgnoredParameterWarning

    nb = notebook_factory("p.ipynb", PARAMS)
    f = tmp_path / "params.yaml"
    f.write_text("team: North\nlogic_model_path: model.yaml\n")
    with pytest.warns(IgnoredParameterWarning, match="no parameter logic_model_path"):
        assert resolve_parameters(nb, params_file=f) == {"team": "North"}
    with pytest.raises(UsageError, match="unknown parameter 'logic_model_path'"):
        resolve_parameters(nb, given=[("logic_model_path", "model.yaml")])


def test_only_path_parameters_are_checksummed_and_folders_are_limited(tmp_path, monkeypatch):
    from cscs_eval.reporting import params

    (tmp_path / "notes").mkdir()
    for i in range(3):
        (tmp_path / "notes" / f"{i}.md").write_text("x")
    (tmp_path / "notes" / ".hidden").write_text("x")
    values = {"coding_paths": [str(tmp_path / "notes")], "team": str(tmp_path), "output_dir": str(tmp_path)}
    found = params.file_parameters(values)
    assert list(found) == ["coding_paths"] and len(found["coding_paths"]) == 3
    monkeypatch.setattr(params, "MAX_HASHED_FILES", 2)
    with pytest.raises(UsageError, match="a folder of more than 2 files"):
        params.file_parameters(values)
