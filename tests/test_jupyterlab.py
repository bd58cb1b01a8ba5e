"""A notebook in JupyterLab, as an analyst opens it (issue 14): it opens in the project's kernel
"Python (cscs-eval)", runs, and shows each figure with its caption and source.

JupyterLab runs from this Python on 127.0.0.1 with a token, a temporary root folder and temporary
settings, and the test drives Debian's Chromium headless through Playwright (the system browser:
nothing is downloaded). The project's kernel is registered in a temporary Jupyter path, pointing at
this Python, so the test needs no earlier `make`. Reused by the workbench's browser tests:
:func:`jupyterlab` starts a server and :func:`lab_page` opens a page in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"]
KERNEL = ("cscs-eval", "Python (cscs-eval)")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root: Path, home: Path, *, timeout: float = 90):
    """JupyterLab on 127.0.0.1 serving ``root``; yields ``(base URL, token)``; stopped on exit."""
    pytest.importorskip("jupyterlab")
    share = home / "share" / "jupyter"
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(home), "--name", KERNEL[0],
                    "--display-name", KERNEL[1]], check=True, capture_output=True)
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "JUPYTER_PATH": str(share), "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "MPLBACKEND": "Agg"}
    env.pop("CSCS_EVAL_ENCODING", None)
    log = open(home / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None",
         "--LabApp.extension_manager=readonly", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (home / "jupyterlab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextlib.contextmanager
def lab_page(base: str, token: str, path: str):
    """A headless Chromium page on ``path`` (``lab/tree/x.ipynb``) of the server, 1400 x 1000."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it for CI")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/{path}?token={token}", wait_until="domcontentloaded")
            yield page
        finally:
            browser.close()


def test_a_notebook_opens_in_the_project_kernel_runs_and_shows_captions(tmp_path):
    root, home = tmp_path / "root", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    shutil.copy(ROOT / "notebooks" / "data_overview.ipynb", root / "data_overview.ipynb")
    shutil.copytree(ROOT / "data" / "sample", root / "data" / "sample")
    with jupyterlab(root, home) as (base, token), lab_page(base, token, "lab/tree/data_overview.ipynb") as page:
        kernel = page.locator(".jp-Toolbar-kernelName").first
        kernel.wait_for(timeout=60_000)
        page.wait_for_function("() => { const k = document.querySelector('.jp-Toolbar-kernelName');"
                               " return k && /cscs-eval/.test(k.textContent); }", timeout=60_000)
        assert kernel.inner_text().strip() == KERNEL[1]
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=60_000)
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        caption = page.locator("figure.cscs-figure figcaption.cscs-caption").first
        caption.wait_for(timeout=180_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=180_000)
        text = caption.inner_text()
        assert "follow" in text.lower() and "Source: " in text  # the caption and the source under the figure
        image = page.locator("figure.cscs-figure img").first
        shown = image.bounding_box()
        area = page.locator(".jp-Notebook").first.bounding_box()
        assert 300 < shown["width"] <= min(area["width"], 1000)  # sized for the screen, not 1,500 px of PNG
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        caption.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "jupyterlab.png"))
