"""Shared test fixtures: small notebooks, a headless browser, the project's folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from hypothesis import settings

# Property tests check values, not speed: no per-example deadline on a shared 2-core machine. "ci" (the default)
# runs Hypothesis's usual 100 examples a test; "fuzz" (HYPOTHESIS_PROFILE=fuzz, as `make fuzz` sets it) runs
# 2,000 a test, for the fuzz tests of tests/fuzz.
# derandomize: make test draws the same examples every run, so CI is not red by the luck of the draw; make fuzz
# (the fuzz profile) explores new ones.
settings.register_profile("ci", deadline=None, print_blob=True, max_examples=100, derandomize=True)
settings.register_profile("fuzz", deadline=None, print_blob=True, max_examples=2_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]


def make_notebook(path: Path, params: str, *cells: str, title: str = "# A small report") -> Path:
    """Write a notebook: a title, a tagged parameters cell, then code cells (Markdown if starting with '#md ')."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell(title))
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells.append(p)
    for src in cells:
        if src.startswith("#md "):
            nb.cells.append(nbformat.v4.new_markdown_cell(src[4:]))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(src))
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebook_factory(tmp_path):
    def factory(name="report.ipynb", params='n: int = 3  # how many\nlabel: str = "x"  # a label\n', *cells,
                title="# A small report"):
        return make_notebook(tmp_path / name, params, *cells, title=title)
    return factory


@pytest.fixture(scope="session")
def chromium():
    """Path of a headless Chromium; tests that need one skip with the reason when it is absent."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it for CI")


@pytest.fixture
def headless(chromium, tmp_path):
    """Run headless Chromium on a page with the flags that keep it off the network; returns stdout.

    ``headless(page, "--dump-dom")``, ``headless(page, f"--print-to-pdf={pdf}")``. A fresh profile
    each time, and no background networking: the machine has no network beyond package registries.
    """
    def run(page: Path, *flags: str, timeout: int = 120) -> bytes:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'chromium-profile'}", "--hide-scrollbars", *flags,
               Path(page).resolve().as_uri()]
        return subprocess.run(cmd, check=True, capture_output=True, timeout=timeout).stdout
    return run


@pytest.fixture
def screenshot(headless, tmp_path):
    """Render an HTML file in headless Chromium to a PNG and return the PNG's path."""
    def shoot(html: Path, *, width=1000, height=1400) -> Path:
        png = tmp_path / (Path(html).stem + ".png")
        headless(html, f"--window-size={width},{height}", f"--screenshot={png}")
        return png
    return shoot


@pytest.fixture(scope="session")
def demo_reports(tmp_path_factory):
    """One run of ``cscs-eval demo`` shared by every test that reads the demo's reports: ``(exit code, folder)``.

    The folder holds an earlier demo's marker and a stale file first, so the run also shows that a new
    demo replaces the previous one.
    """
    from cscs_eval.cli import main

    out = tmp_path_factory.mktemp("demo") / "reports" / "demo"
    out.mkdir(parents=True)
    (out / ".cscs-eval-demo").write_text("")  # an earlier demo's folder, which a new demo may replace
    (out / "stale.html").write_text("from an earlier demo")
    code = main(["demo", "--out", str(out)])
    return code, out
