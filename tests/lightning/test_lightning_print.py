"""Each sample Lightning Report prints on one A4 page (headless Chromium; skipped where it is not installed)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cscs_eval.lightning import write_report

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "lightning"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_longest_sample_report_prints_on_one_a4_page(tmp_path):
    longest = max(SAMPLE.glob("*.md"), key=lambda p: len(p.read_text(encoding="utf-8")))
    page = write_report(longest, tmp_path / "r.html")
    pdf = tmp_path / "r.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page.as_uri()], check=True, capture_output=True, timeout=120)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages == 1
