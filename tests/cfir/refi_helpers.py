"""Codings, comparisons and the headless QualCoder run shared by the REFI-QDA tests.

The QualCoder environment is set up by hand (``/work/qualcoder-env``, see its README: QualCoder at commit
c3204641 in a Python 3.11 venv with a headless driver); ``QUALCODER_ENV`` points elsewhere. Tests that need it are
marked ``qualcoder`` and skip with the reason when it is absent, as on CI.

``python tests/cfir/refi_helpers.py`` runs the round trips again and rewrites the files QualCoder wrote in
``tests/reference/cfir/qualcoder/`` (do this when the export changes: ``test_cfir_qualcoder_files.py`` says so).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "cfir"
QUALCODER_FILES = ROOT / "tests" / "reference" / "cfir" / "qualcoder"
#: The creationDateTime of the committed exports, so that they can be compared with today's export.
CREATED = "2025-01-31T09:00:00Z"
COLUMNS = ["excerpt_id", "case", "source", "excerpt", "construct_id", "rating", "coder", "memo", "theme"]
#: What a round trip keeps from the QualCoder summary (the rest lists every row of its database).
SUMMARY_KEYS = ["error", "export_error", "codes", "categories", "sources", "text_codings", "text_codings_without_code",
                "cases", "case_text", "coding_memos", "attribute_types", "check_against_file", "qualcoder_log",
                "messages", "export_messages"]
EXPERIMENTAL = "REFI-QDA PROJECT IMPORT EXPERIMENTAL FUNCTION"  # the box QualCoder's import always shows


def sample_coding():
    from cscs_eval.cfir import load_coding

    return load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml", case_ratings=SAMPLE / "case_ratings.csv")


def awkward_coding():
    """Two coders, text from Word and phones, memos and themes that need quoting, a case rating with a bar."""
    from cscs_eval.cfir import load_coding

    sheet = pd.DataFrame({
        "excerpt_id": ["E1", "E1", "E1", "E2", "E3", "E4"],
        "case": ["Équipe A & B", "Équipe A & B", "Équipe A & B", "Équipe A & B", "Ward\x0b7", "Ward\x0b7"],
        "source": ["baseline", "baseline", "baseline", "baseline", "notes", "notes"],
        "excerpt": ["Über-friendly staff 😀 said “it’s fine”\r\nand the forms <really> helped."] * 3
        + ["Nobody asked\x0b what\x00 we needed.", "Agreed.", "Agreed."],
        "construct": ["III.B", "I.C", "III.B", "V.B.1", "I.H", "I.H"],
        "rating": ["+1", "X", "+2", "-2", "M", "0"],
        "coder": ["Zoë", "Zoë", "Sam O'Neil", "Zoë", None, None],
        "memo": ['Two lines;\nsecond with "quotes" & <tags>', None, "second coder", "  padded  ", None,
                 "cscs-eval: looks like a header"],
        "theme": ["Early days; before launch", "Early days; before launch", "theme=with equals", None,
                  '"quoted" theme', None]})
    ratings = pd.DataFrame({"case": ["Ward\x0b7"], "construct": ["III.B"], "rating": ["+1"],
                            "rationale": ["memo | with a bar\x0c"]})
    return load_coding(sheet, case_ratings=ratings)


#: The projects sent through QualCoder: name -> (coding, project name)
PROJECTS = {"cscs_sample": (sample_coding, "cscs-eval CFIR sample"),
            "cscs_awkward": (awkward_coding, "cscs-eval awkward text")}


def xml_clean(frame, columns=("excerpt_id", "case", "source", "excerpt", "coder", "memo", "theme", "rationale")):
    """``frame`` as an export writes it: characters XML cannot hold become spaces, and a rationale is one line."""
    import re

    from cscs_eval.io import xml_safe

    def clean(column, value):
        if pd.isna(value):
            return value
        value = xml_safe(value)
        return re.sub(r"\s+", " ", value).strip() if column == "rationale" else value

    present = [c for c in columns if c in frame.columns]
    return frame.assign(**{c: frame[c].map(lambda v, c=c: clean(c, v)).astype("string") for c in present})


def assert_same_coding(expected, got):
    """Every excerpt text, construct, rating, memo, theme, case and coder, every case rating and the summary."""
    from cscs_eval.cfir import rate_cases, summarise

    def rows(table):
        return xml_clean(table)[COLUMNS].sort_values(["excerpt_id", "construct_id", "coder"]).reset_index(drop=True)

    def by_case(table):
        return xml_clean(table).sort_values(["case", "construct_id"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(expected.table), rows(got.table))
    pd.testing.assert_frame_equal(by_case(rate_cases(expected)), by_case(rate_cases(got)))
    if expected.case_ratings is None:
        assert got.case_ratings is None
    else:
        pd.testing.assert_frame_equal(by_case(expected.case_ratings), by_case(got.case_ratings))
    if xml_clean(expected.table)["case"].equals(expected.table["case"].astype("string")):
        pd.testing.assert_frame_equal(summarise(expected), summarise(got))


# --------------------------------------------------------------------------------------------
# The real client
# --------------------------------------------------------------------------------------------

def qualcoder_run_sh() -> Path:
    return Path(os.environ.get("QUALCODER_ENV", "/work/qualcoder-env")) / "run.sh"


def qualcoder_missing() -> str | None:
    """Why QualCoder cannot be run here, or None when it can."""
    run_sh = qualcoder_run_sh()
    if not run_sh.is_file():
        return (f"QualCoder is not set up here (no {run_sh}; set QUALCODER_ENV to a folder made as "
                "/work/qualcoder-env/README.md describes)")
    done = subprocess.run(["bash", str(run_sh), "check"], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return f"QualCoder's environment is not usable ({run_sh} check: {done.stderr.strip()[-300:]})"
    return None


def qualcoder_round_trip(source: Path, out: Path) -> dict:
    """QualCoder imports ``source`` and its export writes ``out``; returns QualCoder's summary of the run."""
    done = subprocess.run(["bash", str(qualcoder_run_sh()), "roundtrip", str(source), str(out)],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"the QualCoder harness failed (exit {done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads(done.stdout)
    return {key: summary.get(key) for key in SUMMARY_KEYS}


def export_project(name: str, folder: Path) -> Path:
    from cscs_eval.cfir import export_qdpx

    make, title = PROJECTS[name]
    return export_qdpx(make(), folder / f"{name}_export.qdpx", name=title, created=CREATED)


def qde(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde")


def regenerate(folder: Path = QUALCODER_FILES) -> None:
    """Export each project, send it through QualCoder and keep what QualCoder wrote (run by hand)."""
    import tempfile

    reason = qualcoder_missing()
    if reason:
        raise SystemExit(reason)
    for name in PROJECTS:
        with tempfile.TemporaryDirectory() as tmp:
            exported = export_project(name, Path(tmp))
            back = Path(tmp) / f"{name}_qualcoder_roundtrip.qdpx"
            summary = qualcoder_round_trip(exported, back)
            if summary["error"] or summary["export_error"]:
                raise SystemExit(f"{name}: QualCoder failed: {summary['error'] or summary['export_error']}")
            shutil.copyfile(exported, folder / exported.name)
            shutil.copyfile(back, folder / back.name)
            (folder / f"{name}_qualcoder_roundtrip.json").write_text(
                json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"{name}: {summary['text_codings']} codings, {summary['cases']} cases, "
                  f"coding memos {summary['coding_memos']}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    regenerate()
