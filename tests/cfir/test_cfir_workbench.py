"""The evaluator's workbench without a browser: the file it writes (exact syntax, backup, atomic, refused
when the file changed on disk or the codes would add a problem), its state (coverage, matrix, problems worded
as `cfir validate` words them), and the server (token, Host check, Ctrl-C)."""

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cscs_eval.cfir._workbench import ConflictError, NotesFile, Workbench, theme_css
from cscs_eval.errors import InputError, UsageError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "cfir"

NOTE = """---
case: Team A
source: interview
---

## Theme: Context

Leaders backed it from the start. [[High-level Leaders ++]]

The forms were slow
and nobody had the time. [[? Innovation Complexity; Available Resources]]

- The trust board asked for the scores every quarter.
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "a.md").write_text(NOTE, encoding="utf-8")
    (tmp_path / "b.md").write_text(NOTE.replace("Team A", "Team B").split("## Theme")[0] +
                                   "Staff found the forms slow. [[Innovation Complexity -1]]\n", encoding="utf-8")
    return tmp_path


def sha(bench, name):
    return bench.load(name)["sha256"]


def test_codes_go_at_the_end_of_the_paragraph_in_the_notes_syntax(folder):
    bench = Workbench(folder, embeddings=False)
    out = bench.apply("a.md", line=13, sha256=sha(bench, "a.md"), codes=[{"id": "IV.R.A", "rating": "+1"}],
                      memo="asked in the board minutes", selection="asked for the scores")
    text = (folder / "a.md").read_text(encoding="utf-8")
    assert ("- The trust board asked for the scores every quarter. [[High-level Leaders +1 | asked in the board "
            "minutes]]\n") in text
    assert out["written"] == "[[High-level Leaders +1 | asked in the board minutes]]" and out["line"] == 13
    assert (folder / "a.md.bak").read_text(encoding="utf-8") == NOTE  # the previous version, kept
    assert out["file"]["sha256"] == hashlib.sha256((folder / "a.md").read_bytes()).hexdigest()  # the page's new checksum
    # the new code is in the coding the page shows: Team A's matrix column rates High-level Leaders
    matrix = out["project"]["matrix"]
    cases = matrix["columns"]
    row = next(r for r in matrix["rows"] if r[0] == "IV.R.A")
    assert row[cases.index("Team A")] == "+2"  # (+2 and +1: mean 1.5, a strong facilitator, rules.yaml)
    assert out["project"]["coverage"]["rows"][0][0] == "Team A"


def test_a_paragraph_over_two_lines_gets_its_codes_on_its_last_line_and_loses_its_review_marker(folder):
    bench = Workbench(folder, embeddings=False)
    bench.apply("a.md", line=10, sha256=sha(bench, "a.md"),
                codes=[{"id": "I.F", "rating": "-1"}, {"id": "III.J", "rating": "-2"}])
    lines = (folder / "a.md").read_text(encoding="utf-8").split("\n")
    assert lines[9] == "The forms were slow"
    assert lines[10] == "and nobody had the time. [[Innovation Complexity -1; Available Resources -2]]"
    assert bench.load("a.md")["problems"] == []  # the review marker went: the evaluator decided


def test_a_file_changed_on_disk_since_the_page_loaded_it_is_not_written(folder):
    bench = Workbench(folder, embeddings=False)
    loaded = sha(bench, "a.md")
    edited = NOTE + "\nA line typed in another editor.\n"
    (folder / "a.md").write_text(edited, encoding="utf-8")
    with pytest.raises(ConflictError, match="a.md changed on disk since the page loaded it; nothing was written"):
        bench.apply("a.md", line=8, sha256=loaded, codes=[{"id": "I.A", "rating": "+1"}])
    assert (folder / "a.md").read_text(encoding="utf-8") == edited
    assert not (folder / "a.md.bak").exists()


def test_codes_that_would_add_a_problem_are_refused_with_validates_words(folder):
    bench = Workbench(folder, embeddings=False)
    with pytest.raises(InputError) as err:
        bench.apply("a.md", line=8, sha256=sha(bench, "a.md"), codes=[{"id": "IV.R.A", "rating": "+1"}])
    assert "nothing was written" in err.value.message
    assert (f"{folder / 'a.md'}:8 [construct]: High-level Leaders (IV.R.A) is coded twice on the same excerpt\n"
            "    fix: keep one code per construct and excerpt (merge the ratings)") in err.value.message
    assert (folder / "a.md").read_text(encoding="utf-8") == NOTE
    with pytest.raises(UsageError, match="not a CFIR 2.0 construct"):
        bench.apply("a.md", line=8, sha256=sha(bench, "a.md"), codes=[{"id": "III", "rating": "+1"}])
    with pytest.raises(InputError, match="not on the CFIR scale"):
        bench.apply("a.md", line=8, sha256=sha(bench, "a.md"), codes=[{"id": "I.A", "rating": "+3"}])
    with pytest.raises(UsageError, match="cannot hold"):
        bench.apply("a.md", line=8, sha256=sha(bench, "a.md"), codes=[{"id": "I.A", "rating": "+1"}], memo="a ]] b")
    with pytest.raises(UsageError, match="not in a paragraph"):
        bench.apply("a.md", line=6, sha256=sha(bench, "a.md"), codes=[{"id": "I.A", "rating": "+1"}])
    with pytest.raises(ConflictError, match="no longer holds the selected text"):
        bench.apply("a.md", line=8, sha256=sha(bench, "a.md"), codes=[{"id": "I.A", "rating": "+1"}],
                    selection="words that are not there")
    with pytest.raises(UsageError, match="not a notes file"):
        bench.load("../etc/passwd")
    assert (folder / "a.md").read_text(encoding="utf-8") == NOTE


def test_the_page_shows_codes_markers_and_problems_as_validate_words_them(folder):
    bench = Workbench(folder, embeddings=False)
    state = bench.load("a.md")
    assert state["case"] == "Team A" and state["source"] == "interview"
    coded = next(b for b in state["blocks"] if b["line"] == 8)
    assert coded["clean"] == "Leaders backed it from the start."
    assert coded["codes"] == [{"code": "High-level Leaders", "rating": "+2", "memo": None}]
    marked = next(b for b in state["blocks"] if b["line"] == 10)
    assert marked["markers"] == ["Innovation Complexity; Available Resources"] and marked["end_line"] == 11
    bullet = next(b for b in state["blocks"] if b["line"] == 13)
    assert bullet["bullet"] and not bullet["codes"]
    assert [p["text"] for p in state["problems"]] == [
        f"{folder / 'a.md'}:11 [review]: suggested codes await review: [[? Innovation Complexity; Available "
        "Resources]]\n    fix: accept: delete '? ' and the candidates you reject, and add a rating ([[Innovation "
        "Complexity -1]]); reject: delete the marker"]
    project = bench.project()
    assert project["files"] == ["a.md", "b.md"] and project["cases"] == ["Team A", "Team B"]


def test_a_selection_gets_suggestions_that_learn_from_the_coding(folder):
    bench = Workbench(folder, embeddings=False)
    got = bench.suggest("Staff said the forms were slow and fiddly.", top=3)
    assert len(got["candidates"]) == 3 and got["candidates"][0]["id"] == "I.F"
    assert "like coded excerpt" in got["candidates"][0]["evidence"]  # b.md coded that sentence already
    assert got["ms"] >= 0 and "2 coded excerpt(s)" in got["evidence_used"]
    assert bench.suggest("   ")["candidates"] == []
    # after a write the suggester has learnt the new code: a like passage now hears of it
    before = {c["id"] for c in bench.suggest("The board asked for the scores again.", top=67)["candidates"]
              if "like coded excerpt" in c["evidence"]}
    bench.apply("a.md", line=13, sha256=sha(bench, "a.md"), codes=[{"id": "II.B", "rating": "+1"}])
    after = {c["id"] for c in bench.suggest("The board asked for the scores again.", top=67)["candidates"]
             if "like coded excerpt" in c["evidence"]}
    assert "II.B" in after - before


def test_a_notes_file_keeps_its_line_ends_and_byte_order_mark(tmp_path):
    path = tmp_path / "w.md"
    path.write_bytes(b"\xef\xbb\xbf" + NOTE.replace("\n", "\r\n").encode("utf-8"))
    notes = NotesFile.read(path)
    assert notes.crlf and notes.bom and "\r" not in notes.text
    notes.write(notes.text.replace("quarter.", "quarter. [[High-level Leaders +1]]"))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == NOTE.count("\n") and b"\n\n" not in raw
    assert b"quarter. [[High-level Leaders +1]]\r\n" in raw
    path.write_bytes(b"changed")
    with pytest.raises(ConflictError, match="changed on disk"):
        notes.write("again")


def test_the_page_colours_come_from_the_report_style():
    from cscs_eval.reporting import style

    css = theme_css()
    assert f"--accent: {style.ACCENT};" in css and f"--dark: {style.DARK};" in css


def test_a_folder_is_needed(tmp_path):
    with pytest.raises(UsageError, match="folder of notes"):
        Workbench(tmp_path / "missing")


# ------------------------------------------------------------------------------------------------
def start_server(folder, *extra):
    """The real command in a subprocess; returns (process, base URL, token)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "cscs_eval", "cfir", "workbench", str(folder), "--no-browser",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline()
    url = proc.stdout.readline().strip()
    assert first.startswith("cscs-eval workbench: "), first + proc.stderr.read()
    base, token = url.split("/?token=")
    assert base.startswith("http://127.0.0.1:")
    return proc, base, token


def get(url, token=None, host=None, data=None):
    headers = {}
    if token:
        headers["X-Workbench-Token"] = token
    if host:
        headers["Host"] = host
    req = urllib.request.Request(url, headers=headers, data=None if data is None else json.dumps(data).encode())
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_the_command_serves_on_127_0_0_1_with_a_token_and_stops_on_ctrl_c(folder):
    proc, base, token = start_server(folder)
    try:
        assert get(f"{base}/")[0] == 200  # the page itself holds no notes
        assert get(f"{base}/api/file?name=a.md")[0] == 403  # the notes need the token
        assert get(f"{base}/api/file?name=a.md", token="wrong")[0] == 403
        assert get(f"{base}/api/project", token=token, host="attacker.example:80")[0] == 403  # DNS rebinding
        status, body = get(f"{base}/api/file?name=a.md", token=token)
        assert status == 200 and json.loads(body)["file"]["case"] == "Team A"
        status, body = get(f"{base}/api/suggest", token=token, data={"text": "The forms were slow and fiddly."})
        assert status == 200 and json.loads(body)["candidates"]
        status, body = get(f"{base}/api/apply", token=token, data={"name": "a.md", "line": 8, "sha256": "0" * 64,
                                                                     "codes": [{"id": "I.A", "rating": "+1"}]})
        assert status == 409 and "changed on disk" in json.loads(body)["error"]
        status, body = get(f"{base}/static/theme.css")
        assert status == 200 and b"--accent" in body
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "cscs-eval workbench stopped" in out and "Traceback" not in err


# ------------------------------------------------------------------------------------------------
# In the browser: Debian's Chromium driven headless by Playwright (the system browser; nothing downloaded)

if __name__ == "__main__":  # run as a script to make the README's picture: tests/ holds the shared settings
    sys.path.insert(0, str(ROOT / "tests"))
from test_jupyterlab import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402  (the same driver as the JupyterLab test)


@contextlib.contextmanager
def workbench_page(folder, *extra, width=1500, height=950):
    """The workbench serving ``folder``, and a headless Chromium page on it; yields ``(page, errors)``."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it for CI")
    sync_api = pytest.importorskip("playwright.sync_api")
    proc, base, token = start_server(folder, *extra)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                errors = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
                page.on("request", lambda r: r.url.startswith(base) or errors.append(f"outside request: {r.url}"))
                page.goto(f"{base}/?token={token}")
                page.wait_for_selector("body[data-ready='1']", timeout=30_000)
                yield page, errors
            finally:
                browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def coverage_total(page, case):
    return page.locator("#coverage tr", has_text=case).locator("td").last.inner_text()


BULLET = "- The trust board asked for the scores every quarter."


@pytest.mark.browser
def test_select_a_sentence_apply_a_suggested_construct_and_find_it_in_the_file(folder):
    with workbench_page(folder) as (page, errors):
        assert page.locator("#file").input_value() == "a.md"
        assert coverage_total(page, "Team A") == "1"
        page.locator("#doc .block[data-line='13'] .clean").click(click_count=3)  # select the sentence
        suggested = page.locator("#suggestions input[value='IV.R.A']")
        suggested.wait_for(timeout=10_000)
        assert float(page.locator("#suggestions").get_attribute("data-ms")) > 0  # the answer's round trip, in ms
        suggested.check()
        page.locator("#chosen select").first.select_option("+1")
        page.locator("#memo").fill("asked at every board meeting")
        assert page.locator("#preview").inner_text() == ("Will write: [[High-level Leaders +1 | asked at every "
                                                         "board meeting]]")
        page.locator("#apply").click()
        page.locator("#message.ok").wait_for(timeout=10_000)
        lines = (folder / "a.md").read_text(encoding="utf-8").split("\n")
        assert lines[12] == f"{BULLET} [[High-level Leaders +1 | asked at every board meeting]]"
        assert (folder / "a.md.bak").read_text(encoding="utf-8") == NOTE
        assert coverage_total(page, "Team A") == "2"  # the coverage beside the notes updated
        assert page.locator("#doc .block[data-line='13'] .code").inner_text() == "High-level Leaders +1 | asked at " \
            "every board meeting"
        assert not errors, errors  # and every asset came from the workbench itself (no CDN)


@pytest.mark.browser
def test_a_file_edited_on_disk_meanwhile_is_refused_and_left_as_edited(folder):
    with workbench_page(folder) as (page, errors):
        page.locator("#doc .block[data-line='13'] .clean").click(click_count=3)
        page.locator("#suggestions input").first.wait_for(timeout=10_000)
        page.locator("#suggestions input").first.check()
        page.locator("#chosen select").first.select_option("-1")
        edited = NOTE + "\nA paragraph typed in another editor meanwhile.\n"
        (folder / "a.md").write_text(edited, encoding="utf-8")
        page.keyboard.press("Control+Enter")
        alert = page.locator("#message")
        page.wait_for_function("() => /changed on disk/.test(document.getElementById('message').textContent)",
                               timeout=10_000)
        assert "a.md changed on disk since the page loaded it; nothing was written" in alert.inner_text()
        assert (folder / "a.md").read_text(encoding="utf-8") == edited and not (folder / "a.md.bak").exists()
        page.keyboard.press("Enter")  # the focused "Reload the file" button
        page.locator("#doc .block", has_text="typed in another editor").wait_for(timeout=10_000)
        assert not errors, errors


@pytest.mark.browser
def test_coding_with_the_keyboard_only(folder):
    with workbench_page(folder) as (page, errors):
        page.keyboard.press("End")  # the notes have the focus: the last paragraph
        page.keyboard.press("Enter")  # take it; the first suggestion gets the focus
        page.wait_for_function("() => document.activeElement.closest('#suggestions')", timeout=10_000)
        first = page.evaluate("document.activeElement.value")
        page.keyboard.press("Space")  # tick it; its rating gets the focus
        assert page.evaluate("document.activeElement.tagName") == "SELECT"
        page.keyboard.press("ArrowDown")  # rating... -> +2
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # past the remove button, to the memo
        page.keyboard.type("said twice")
        page.keyboard.press("Control+Enter")
        page.locator("#message.ok").wait_for(timeout=10_000)
        label = page.evaluate(f"document.querySelector('#codebook input[value=\"{first}\"]')"
                              ".closest('li').querySelector('strong').textContent")
        assert (folder / "a.md").read_text(encoding="utf-8").split("\n")[12] == f"{BULLET} [[{label} +2 | said twice]]"
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "search"
        assert not errors, errors


def screenshot(path: Path) -> Path:
    """The README's picture: the sample's notes with one paragraph not coded yet, selected, a suggestion ticked
    and rated. ``python tests/cfir/test_cfir_workbench.py docs/workbench.png`` makes it again."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notes"
        shutil.copytree(SAMPLE / "notes", folder)
        with open(folder / "north_baseline.md", "a", encoding="utf-8") as fh:
            fh.write("\nNobody had time to fill in the questionnaires because the caseloads were far too high.\n")
        with workbench_page(folder, "--aliases", str(SAMPLE / "aliases.yaml"), width=1600, height=900) as (page, _):
            page.locator("#file").select_option("north_baseline.md")
            block = page.locator("#doc .block", has_text="Nobody had time")
            block.wait_for()
            block.locator(".clean").click(click_count=3)
            page.locator("#suggestions input").first.wait_for()
            page.locator("#suggestions input").first.check()
            page.locator("#chosen select").first.select_option("-2")
            page.locator("#memo").fill("said by three staff")
            block.scroll_into_view_if_needed()
            page.locator("#matrix").scroll_into_view_if_needed()
            page.screenshot(path=str(path))
    return path


if __name__ == "__main__":
    print(screenshot(Path(sys.argv[1])))
