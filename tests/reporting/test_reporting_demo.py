"""`cscs-eval demo`: every sample report, an index linking them, shown correctly in a browser."""

import re
from pathlib import Path

import pytest
from PIL import Image

from cscs_eval.cli import main
from cscs_eval.reporting.demo import demo_notebooks


@pytest.fixture(scope="module")
def demo(demo_reports):
    return demo_reports  # one demo run for every test that reads it (tests/conftest.py)


def test_demo_writes_every_report_and_an_index(demo):
    code, out = demo
    assert code == 0
    assert not (out / "stale.html").exists(), "a new demo replaces the previous one"
    index = (out / "index.html").read_text()
    links = re.findall(r'href="([^"]+\.html)"', index)
    for nb in demo_notebooks():
        assert f"{nb.stem}/{nb.stem}.html" in links, nb.stem
        assert (out / nb.stem / f"{nb.stem}.docx").exists()
    for link in links:
        assert (out / link).is_file(), link
    assert "failed" not in index
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "no staging folders left behind"
    assert out.stat().st_mode & 0o077, "the demo folder gets the usual permissions, not mkdtemp's 0700"


def test_the_demo_publishes_nothing_the_disclosure_audit_can_work_out(demo):
    # issue 10: every table of counts carries its structure, and no hidden or rounded count can be worked
    # out from them (the demo audits each report itself, so this is what it let through)
    from cscs_eval.governance import audit_path

    code, out = demo
    assert code == 0
    result = audit_path(out)
    assert result.table.empty, result.table.to_string()
    assert result.n_tables >= 15  # exclusions, teams, groups, overview, funnel, inequalities ... in every report
    team_pages = sorted(out.glob("proms_outcomes-by-team/*/proms_outcomes.html"))
    assert len(team_pages) == 4
    for page in team_pages:
        assert audit_path(page).n_tables >= 2, page


def test_demo_never_replaces_a_folder_it_did_not_make(tmp_path, capsys):
    mine = tmp_path / "v"
    mine.mkdir()
    (mine / "important.txt").write_text("thesis")
    assert main(["demo", "--out", str(mine)]) == 2
    assert "a demo did not write" in capsys.readouterr().err
    assert (mine / "important.txt").read_text() == "thesis"


def _ink(png: Path) -> float:
    """Share of pixels that are not white: a blank or broken page has almost none."""
    image = Image.open(png).convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / sum(histogram)


@pytest.mark.browser
def test_reports_show_in_a_browser(demo, screenshot):
    _, out = demo
    index_png = screenshot(out / "index.html", height=900)
    assert _ink(index_png) > 0.01
    for nb in demo_notebooks():
        png = screenshot(out / nb.stem / f"{nb.stem}.html")
        assert Image.open(png).size == (1000, 1400)
        assert _ink(png) > 0.03, f"{nb.stem}: the page looks blank in Chromium"
