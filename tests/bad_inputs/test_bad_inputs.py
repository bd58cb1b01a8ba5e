"""Run the bad-input corpus (bad_input_cases.py) through the command line, in-process.

Each case must end with its exit code and exactly one 'cscs-eval: error:' line matching its message (other stderr
lines may only be 'cscs-eval: warning:' lines), no traceback, nothing left in the output folder (not even a hidden
temporary file) and every input file as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from bad_input_cases import CASES

from cscs_eval import cli
from cscs_eval.cli import main

#: One parser for every case: building it takes about 50 ms, a third of the corpus's time if done 500 times.
PARSER = cli.build_parser()


def _write(folder: Path, files: dict) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        content = content() if callable(content) else content
        if content == "FOLDER":
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def _read_only(folder: Path) -> bool:
    """Make ``folder`` read-only; False when that does not stop this process writing (root)."""
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / ".probe").touch()
    except PermissionError:
        return True
    (folder / ".probe").unlink()
    return False


def test_the_corpus_is_big_and_covers_every_command():
    from test_cli import _subcommand_paths

    from cscs_eval.cli import build_parser

    assert len(CASES) >= 150
    leaves = {" ".join(p) for p in _subcommand_paths(build_parser())}
    covered = set()
    for c in CASES:
        words = [w for w in c.argv if not w.startswith("-") and "{" not in w]
        covered.update(" ".join(words[:n]) for n in (1, 2))
    groups = {p.split()[0] for p in leaves if " " in p}
    missing = sorted(p for p in leaves - groups if p not in covered and p != "cfir summarize")
    assert not missing, f"commands with no bad-input case: {missing}"


def _message(case, captured) -> tuple[str, str]:
    """The one error line, and the text its message must be found in (a validator's problem list)."""
    lines, listing = [], False
    for line in captured.err.strip().splitlines():
        # A validation error with several problems lists them, indented, under its one line.
        if listing and line.startswith("  "):
            continue
        listing = line.startswith("cscs-eval: error: ") and line.endswith(":")
        lines.append(line)
    errors = [line for line in lines if line.startswith("cscs-eval: error: ")]
    # Other lines: warnings and what a long command is doing ('cscs-eval: running report.ipynb ...').
    others = [line for line in lines if not line.startswith("cscs-eval: ")]
    if case.validator and not errors and len(others) == 1 and re.match(r"\d+ problem(s|\(s\))? found", others[0]):
        return others[0], captured.out
    assert len(errors) == 1 and not others, f"expected one error line, got:\n{captured.err}"
    return errors[0], errors[0]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, tmp_path, capsys, monkeypatch):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    _write(inputs, case.files)
    if any("{out}/ro/" in a for a in case.argv) and not _read_only(out / "ro"):
        pytest.skip("a read-only folder does not stop root; run the tests as a user to check this case")
    before = _snapshot(inputs)
    # Row-level PROMs outputs need a pseudonymisation key; a case about the key gives its own --key-file.
    monkeypatch.setenv("CSCS_EVAL_PSEUDONYM_KEY", "a secret of more than sixteen characters")
    for name, value in case.env:
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(cli, "build_parser", lambda: PARSER)
    monkeypatch.chdir(tmp_path)  # anything written relative to the working folder lands here, and is checked
    argv = [a.replace("{in}", str(inputs)).replace("{out}", str(out)) for a in case.argv]

    try:
        code = main(argv)
    except SystemExit as exc:  # pragma: no cover - argparse exits only for --help and --version
        code = exc.code
    captured = capsys.readouterr()

    assert "Traceback" not in captured.err + captured.out
    message, text = _message(case, captured)
    assert re.search(case.message, text), f"{message!r} does not match {case.message!r}"
    assert code == case.code if case.code is not None else code in (1, 2), (code, message)
    if (out / "ro").exists():
        (out / "ro").chmod(0o755)
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.name != "ro")
    assert not left, f"left in the output folder: {left}"
    assert sorted(os.listdir(tmp_path)) == ["in", "out"], "wrote beside the inputs"
    assert _snapshot(inputs) == before, "an input file changed"


def _well_formed(data: bytes) -> None:
    import xml.dom.minidom

    xml.dom.minidom.parseString(data)  # raises on a control character XML 1.0 cannot hold


def test_control_characters_give_well_formed_outputs(tmp_path, capsys):
    """A vertical tab pasted from Word (and other C0 controls) in a report's text, a model's title or an excerpt:
    Word, SVG and REFI-QDA outputs stay well formed, and the export reads back (it crashed python-docx with 'All
    strings must be XML compatible', and cfir export wrote XML its own import refused)."""
    import zipfile

    import bad_input_files as f
    import pandas as pd

    report = tmp_path / "r.md"
    report.write_text(f.report(meta=f.REPORT_META.replace("PROMs", '"PROMs\\vnow"'),
                               body=f.REPORT_BODY.replace("Slow IT.", "Slow\x0b IT\x01.").replace("Started.",
                                                                                                  "Sta\x0crted.")))
    assert main(["lightning", "render", str(report), "--to", "docx", "--out", str(tmp_path / "r.docx")]) == 0
    _well_formed(zipfile.ZipFile(tmp_path / "r.docx").read("word/document.xml"))

    model = tmp_path / "m.yaml"
    model.write_text(f.sample("logic_model.yaml").decode().replace(
        "title: Implementation of PROMs in community mental-health teams", 'title: "Implementation\\vof PROMs"'))
    for to in ("docx", "svg"):
        assert main(["logic-model", "render", str(model), "--to", to, "--out", str(tmp_path / f"m.{to}")]) == 0
    _well_formed(zipfile.ZipFile(tmp_path / "m.docx").read("word/document.xml"))
    _well_formed((tmp_path / "m.svg").read_bytes())

    sheet = tmp_path / "a.csv"
    sheet.write_text(f.CODING_SHEET.replace("Forms cost time.", "Forms\x0bcost\x1ftime."))
    assert main(["cfir", "export", str(sheet), "--out", str(tmp_path / "p.qdpx")]) == 0
    _well_formed(zipfile.ZipFile(tmp_path / "p.qdpx").read("project.qde"))
    assert main(["cfir", "import", str(tmp_path / "p.qdpx"), "--out", str(tmp_path / "b.csv")]) == 0
    assert "Forms cost time." in pd.read_csv(tmp_path / "b.csv")["excerpt"].tolist()
    assert "Traceback" not in capsys.readouterr().err
