"""What a new user meets first (issue 14): exit codes, the key, copying the notebooks out, a notebook's
parameters, figures as JupyterLab shows them, and a package that says what it is and needs."""

import base64
import re
import subprocess
import sys
import tomllib
from unittest import mock

import pytest

from cscs_eval.cli import main
from cscs_eval.errors import UsageError
from cscs_eval.governance import load_key

from conftest import ROOT


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv", [[], ["proms"], ["notebooks"], ["cfir"], ["benefits"]])
def test_a_command_group_without_its_command_is_a_usage_error(capsys, argv):
    code, _, err = _run(capsys, *argv)
    assert code == 2 and ("usage:" in err or "required: COMMAND" in err)


def test_documented_placeholders_are_not_keys(monkeypatch, tmp_path):
    for placeholder in ("<your pseudonymisation key>", "...".ljust(20, "."), "your-secret-key-goes-here",
                        "$CSCS_EVAL_PSEUDONYM_KEY", "change-me-change-me"):
        monkeypatch.setenv("CSCS_EVAL_PSEUDONYM_KEY", placeholder)
        with pytest.raises(UsageError, match="placeholder, not a secret; make one with python -c"):
            load_key()
    made = subprocess.run([sys.executable, "-c", "import secrets; print(secrets.token_hex(32))"],
                          capture_output=True, text=True, check=True).stdout  # as the README makes one
    (tmp_path / "pseudonym.key").write_text(made)
    assert load_key(key_file=tmp_path / "pseudonym.key") == made.strip().encode()
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"PSEUDONYM_KEY=(?!\"\$\(cat )\S", readme), "the README must not print a key"


def test_outputs_and_keys_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert {"out/", "reports/", "*.key"} <= set(ignored)


def test_notebooks_copy(tmp_path, capsys):
    target = tmp_path / "mine"
    code, out, _ = _run(capsys, "notebooks", "copy", target)
    assert code == 0 and "copied notebooks" in out
    assert {p.name for p in (target / "notebooks").glob("*.ipynb")} == {p.name for p in (ROOT / "notebooks").glob(
        "*.ipynb")}
    assert (target / "templates" / "report" / "report.html.j2").is_file()
    assert (target / "data" / "sample" / "proms.csv").read_bytes() == (ROOT / "data/sample/proms.csv").read_bytes()
    assert not [p for p in target.iterdir() if p.name.startswith(".")]  # no staging folder left behind
    (target / "notebooks" / "data_overview.ipynb").write_text("{}")
    code, _, err = _run(capsys, "notebooks", "copy", target)
    assert code == 2 and "already holds notebooks, templates, data" in err and "--force" in err
    assert (target / "notebooks" / "data_overview.ipynb").read_text() == "{}"  # nothing replaced
    code, _, _ = _run(capsys, "notebooks", "copy", target, "--force")
    assert code == 0 and (target / "notebooks" / "data_overview.ipynb").read_text() != "{}"


def test_list_parameters(capsys):
    code, out, _ = _run(capsys, "run", "proms_outcomes", "--list-parameters")
    assert code == 0 and out.startswith("proms_outcomes.ipynb: ")
    assert re.search(r"^  data_path +str += 'data/sample/proms.csv'$", out, flags=re.M)
    assert re.search(r"^  header_row +int += 1$", out, flags=re.M)
    assert "row of data_path that holds the column names" in out
    code, _, err = _run(capsys, "run", "no_such_notebook", "--list-parameters")
    assert code == 2 and "notebook not found" in err


def test_a_figure_shows_in_jupyterlab_with_its_caption_and_source_at_screen_size():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cscs_eval.reporting.display import FIGURE_MIME, show_figure

    fig, ax = plt.subplots(figsize=(7.5, 10.5))  # a tall figure: 1,125 x 1,575 PNG pixels at 150 dpi
    ax.plot([1, 2])
    with mock.patch("IPython.display.display") as display:
        show_figure(fig, caption="Teams <above> the line improved more", source="PROMs extract")
    (data,), options = display.call_args
    html = data["text/html"]
    assert "Teams &lt;above&gt; the line improved more" in html and "Source: PROMs extract" in html
    png = base64.b64decode(data["image/png"])
    pixels = int.from_bytes(png[16:20], "big")
    width = int(re.search(r'width="(\d+)"', html).group(1))
    assert width == pixels * 96 // 150 and width <= 760 and "max-width:100%" in html  # 7.5 in shown ~720 px
    assert options["metadata"]["image/png"]["width"] == width
    assert data[FIGURE_MIME]["caption"] == "Teams <above> the line improved more"  # the report's caption
    assert data["text/plain"].startswith("Teams <above>")


def test_the_package_says_its_licence_and_needs_no_nbconvert():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert not [d for d in project["dependencies"] if d.startswith("nbconvert")]
    imports = [p for p in (ROOT / "cscs_eval").rglob("*.py") if re.search(r"^\s*(import|from) nbconvert\b",
                                                                         p.read_text(), flags=re.M)]
    assert not imports, imports
