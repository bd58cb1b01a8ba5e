"""The report runner end to end, with real kernels: reports, checksums, failures, --for-each."""

import hashlib
import os
from pathlib import Path

import nbformat
import pytest
from docx import Document

from cscs_eval.cli import main
from cscs_eval.errors import UsageError
from cscs_eval.reporting.runner import run_for_each, run_notebook

SHOW = ("from cscs_eval.reporting import show_table, show_markdown, show_figure\n"
        "import pandas as pd, matplotlib.pyplot as plt\n"
        "df = pd.read_csv(data_path)\n"
        "show_markdown(f'There are **{len(df)} rows** for {team or \"all teams\"}; <script>alert(1)</script>')\n"
        "show_table(df, caption='The rows.', source='test data')\n"
        "fig, ax = plt.subplots(); ax.plot([1, 2], [3, 4]); ax.set(title='A line', xlabel='x', ylabel='y')\n"
        "show_figure(fig, caption='A rising line.', source='test data')\n"
        "print('printed text')\n"
        "import warnings; warnings.warn('a warning nobody should see')")
PARAMS = 'data_path: str = "data.csv"  # the data\nteam: str = ""  # one team\n'


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("team,value\nNorth,1\nSouth,2\nNorth,3\nEast & West,4\n")
    return path


def test_report_has_content_parameters_and_checksums(notebook_factory, data, tmp_path):
    nb = notebook_factory("report.ipynb", PARAMS, "#md ## Results", SHOW)
    result = run_notebook(nb, out_dir=tmp_path / "out", parameters={"data_path": str(data), "team": "North"},
                          to=("html", "docx"))
    html = result.html.read_text()
    assert "<h1>A small report: North</h1>" in html, "one team's report names its team in the title"
    assert 'href="#results"' in html, "contents list links the sections"
    assert "There are <strong>4 rows</strong> for North" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "Table 1. The rows." in html and "Figure 1.</strong> A rising line." in html
    assert "data:image/png;base64," in html
    assert "printed text" in html
    assert "a warning nobody should see" not in html and "show_table(" not in html, "no code, no warnings"
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    assert digest in html and "cscs-eval 0.1.0" in html
    executed = nbformat.read(result.notebook, as_version=4)
    assert executed.metadata["cscs_eval"]["parameters"]["team"] == "North"
    assert "<th scope=\"row\">One team</th><td>North</td>" in html, "parameters labelled from their help"
    doc = Document(result.docx)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "A small report: North" in text and "Figure 1. A rising line." in text and "Source: test data" in text
    headers = [t.rows[0].cells[0].text for t in doc.tables]
    assert headers[0] == "Team", "the report's content comes first"
    assert headers[-2:] == ["Parameter", "Parameter"], "parameters and data files in the appendix at the end"
    assert text.index("Appendix: about this run") > text.index("Figure 1. A rising line.")
    assert ["One team", "North", "team"] in [[c.text for c in row.cells] for row in doc.tables[-2].rows]
    assert digest[:32] in doc.tables[-1].rows[1].cells[2].text
    assert len(doc.inline_shapes) == 1


def test_failing_cell_keeps_notebook_and_names_cell(notebook_factory, tmp_path, capsys):
    nb = notebook_factory("bad.ipynb", "n: int = 1  # n\n", "x = 1", "raise ValueError('no such team')")
    code = main(["run", str(nb), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "cell In [3] failed with ValueError: no such team" in err and "Traceback" not in err
    assert (tmp_path / "out" / "bad.ipynb").exists()
    assert not (tmp_path / "out" / "bad.html").exists()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")], "no partial files left"


def test_never_overwrites_without_force(notebook_factory, data, tmp_path):
    nb = notebook_factory("r.ipynb", PARAMS, "x = 1")
    out = tmp_path / "out"
    first = run_notebook(nb, out_dir=out, parameters={"data_path": str(data)})
    before = first.html.read_bytes()
    with pytest.raises(UsageError, match="already holds a report"):
        run_notebook(nb, out_dir=out, parameters={"data_path": str(data)})
    assert first.html.read_bytes() == before
    again = run_notebook(nb, out_dir=out, parameters={"data_path": str(data), "team": "X"}, force=True)
    assert "X" in again.html.read_text()


def test_default_out_is_a_new_folder_each_run(notebook_factory, data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb = notebook_factory("r.ipynb", PARAMS, "x = 1")
    first = run_notebook(nb, parameters={"data_path": str(data)})
    second = run_notebook(nb, parameters={"data_path": str(data)})
    assert first.html.parent.parent == second.html.parent.parent == Path("reports") / "r"
    assert first.html.parent != second.html.parent and first.html.exists()


def test_output_folder_that_is_a_file(notebook_factory, data, tmp_path, capsys):
    nb = notebook_factory("r.ipynb", PARAMS, "x = 1")
    (tmp_path / "taken").write_text("")
    assert main(["run", str(nb), "-p", "data_path", str(data), "--out", str(tmp_path / "taken")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_unknown_parameter_runs_nothing(notebook_factory, tmp_path, capsys):
    nb = notebook_factory("r.ipynb", PARAMS, "open('ran', 'w').write('yes')")
    assert main(["run", str(nb), "-p", "tema", "North", "--out", str(tmp_path / "out")]) == 2
    assert "unknown parameter 'tema'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not os.path.exists("ran")


def test_for_each_runs_once_per_value_and_writes_an_index(notebook_factory, data, tmp_path):
    nb = notebook_factory("team.ipynb", PARAMS,
                          "import pandas as pd\nfrom cscs_eval.reporting import show_markdown\n"
                          "n = (pd.read_csv(data_path).team == team).sum()\nshow_markdown(f'{team} has {n} rows')")
    results, index = run_for_each(nb, "team", out_dir=tmp_path / "batch", parameters={"data_path": str(data)},
                                  progress=False)
    assert sorted(r.label for r in results) == ["East & West", "North", "South"]
    assert all(r.ok for r in results)
    north = next(r for r in results if r.label == "North")
    assert "North has 2 rows" in north.html.read_text()
    page = index.read_text()
    assert page.count("<a href=") >= 3 and "East &amp; West" in page


def test_for_each_unknown_column(notebook_factory, data, tmp_path, capsys):
    nb = notebook_factory("team.ipynb", PARAMS, "x = 1")
    assert main(["run", str(nb), "-p", "data_path", str(data), "--for-each", "label",
                 "--out", str(tmp_path / "b")]) == 2
    assert "no parameter 'label'" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["run", "no_such_notebook"], "notebook not found; give a path or one of: "),
    (["run", "data_overview", "-f", "missing.yaml"], "missing.yaml: file not found"),
    (["run", "data_overview", "--to", "pdf"], "invalid choice: 'pdf'"),
])
def test_runner_usage_errors(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "reports").exists()


def test_word_columns_fit_the_page_and_their_words():
    from cscs_eval.reporting.word import PORTRAIT_WIDTH_IN, column_widths

    narrow = column_widths(["Team", "N"], [["Abbeydale CMHT", "12"]])
    assert narrow[0] > narrow[1] and sum(narrow) < PORTRAIT_WIDTH_IN
    wide = column_widths(["Determinant", "Strategy", "Mechanism", "Outcomes"] * 3,
                          [["Implementation " * 5, "Develop and organize quality monitoring systems" * 2] * 6])
    assert abs(sum(wide) - PORTRAIT_WIDTH_IN) < 1e-9


def test_a_table_too_wide_for_portrait_gets_a_landscape_page():
    from docx.enum.section import WD_ORIENT

    from cscs_eval.reporting.word import add_table, new_document

    doc = new_document()
    add_table(doc, ["Team"], [["Abbeydale CMHT"]])
    add_table(doc, [f"Column {i}" for i in range(14)], [["Brookmoor CMHT"] * 14], caption="Wide")
    orientations = [section.orientation for section in doc.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert doc.sections[1].page_width > doc.sections[1].page_height


def test_a_package_error_in_a_cell_is_its_one_line_message(notebook_factory, tmp_path, capsys):
    # A notebook validates its parameters through the package: the runner reports that error as the
    # package does anywhere else (one line, its exit code) and leaves no output folder behind.
    nb = notebook_factory("v.ipynb", 'team: str = ""  # one team\n',
                          "from cscs_eval.errors import UsageError\n"
                          "raise UsageError(f\"team must be one of Abbeydale CMHT, Birchfield CMHT; got {team!r}\")")
    code = main(["run", str(nb), "-p", "team", "abbeydale", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "cscs-eval: error: team must be one of Abbeydale CMHT, Birchfield CMHT; got 'abbeydale'" in err
    assert "Traceback" not in err and "cell" not in err.split("error:")[1]
    assert not (tmp_path / "out").exists()


def test_a_second_run_into_a_claimed_folder_is_refused(notebook_factory, tmp_path):
    from cscs_eval.reporting.runner import claim

    nb = notebook_factory("c.ipynb", "n: int = 1  # n\n", "x = n")
    out = tmp_path / "out"
    out.mkdir()
    with claim(out):  # as if another run were writing here now
        with pytest.raises(UsageError, match="another cscs-eval run .* is writing here"):
            run_notebook(nb, out_dir=out)
    # A claim left by a killed run (no such process) and its staging folder are cleaned up.
    (out / ".cscs-eval-run").write_text("999999999")
    (out / ".partial-abc").mkdir()
    result = run_notebook(nb, out_dir=out)
    assert result.html.exists() and not (out / ".partial-abc").exists() and not (out / ".cscs-eval-run").exists()


def test_output_into_the_root_or_a_non_notebook_is_refused(notebook_factory, tmp_path):
    nb = notebook_factory("r.ipynb", "n: int = 1  # n\n", "x = n")
    with pytest.raises(UsageError, match="refusing to write reports into /"):
        run_notebook(nb, out_dir="/")
    fake = tmp_path / "fake.ipynb"
    fake.write_text("[1]")
    with pytest.raises(UsageError, match="not a notebook"):
        run_notebook(fake, out_dir=tmp_path / "out")


def test_for_each_values_that_slug_alike_get_their_own_folders(notebook_factory, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("team,value\nNorth/South,1\nNorth South,2\n")
    nb = notebook_factory("e.ipynb", PARAMS, "x = team")
    results, index = run_for_each(nb, "team", out_dir=tmp_path / "batch", parameters={"data_path": str(data)},
                                  progress=False, max_workers=1)
    folders = sorted(r.out_dir.name for r in results)
    assert folders == ["North-South", "North-South-2"] and all(r.ok for r in results)


def _trust_template(path):
    """A trust's Word template: its own fonts and colours, 25 mm margins, and no Caption style of its own."""
    from docx.shared import Mm, RGBColor

    doc = Document()
    doc.styles["Heading 1"].font.name = "Georgia"
    doc.styles["Heading 1"].font.color.rgb = RGBColor(0x7C, 0x28, 0x55)
    doc.styles["Normal"].font.name = "Garamond"
    caption = doc.styles["Caption"].element
    caption.getparent().remove(caption)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(25))
    doc.add_paragraph("Template body text that must not appear in a report")
    doc.save(str(path))
    return path


def test_a_trusts_reference_template_styles_the_word_report(notebook_factory, data, tmp_path):
    from docx.shared import Mm

    template = _trust_template(tmp_path / "trust.docx")
    wide = ("import pandas as pd\nfrom cscs_eval.reporting import show_table\n"
            "show_table(pd.DataFrame({f'Column {i}': ['Brookmoor CMHT'] for i in range(14)}), caption='Wide.')")
    nb = notebook_factory("report.ipynb", PARAMS, "#md ## Results", SHOW, "#md ## A wide table", wide)
    result = run_notebook(nb, out_dir=tmp_path / "out", parameters={"data_path": str(data)},
                          reference_docx=template)  # implies a Word version
    doc = Document(result.docx)
    assert doc.styles["Heading 1"].font.name == "Georgia" and doc.styles["Normal"].font.name == "Garamond"
    assert "Caption" in [s.name for s in doc.styles], "a style the template lacks is added"
    assert "Template body text" not in "\n".join(p.text for p in doc.paragraphs)
    assert all(abs(s.left_margin - Mm(25)) < Mm(0.5) for s in doc.sections), "the template's margins, every section"
    assert any(s.page_width > s.page_height for s in doc.sections), "the wide table turned its page"
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings.index("A wide table") < headings.index("Appendix: about this run")


def test_reference_docx_must_be_a_word_file(notebook_factory, data, tmp_path, capsys):
    nb = notebook_factory("report.ipynb", PARAMS, "x = 1")
    assert main(["run", str(nb), "-p", "data_path", str(data), "--reference-docx", str(data),
                 "--out", str(tmp_path / "a")]) == 2
    assert "--reference-docx must be a Word .docx file" in capsys.readouterr().err
    assert main(["run", str(nb), "-p", "data_path", str(data), "--reference-docx", str(tmp_path / "gone.docx"),
                 "--out", str(tmp_path / "b")]) == 1
    assert "reference Word template not found" in capsys.readouterr().err
