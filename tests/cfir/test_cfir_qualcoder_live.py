"""cscs-eval -> QualCoder -> cscs-eval with the real client, run headless.

Needs the QualCoder environment (``/work/qualcoder-env``, or ``QUALCODER_ENV``; see ``refi_helpers``): QualCoder
4.0 Beta (commit c3204641) and its REFI-QDA import and export driven by the reference harness. Where it is absent,
as on CI, every test here skips and says why; ``test_cfir_qualcoder_files.py`` then checks the files QualCoder
wrote when it last ran. Each round trip takes 10 to 40 seconds.
"""

import warnings

import pytest

from refi_helpers import (EXPERIMENTAL, PROJECTS, assert_same_coding, export_project, qualcoder_missing,
                          qualcoder_round_trip)

from cscs_eval.cfir import RefiWarning, import_qdpx

pytestmark = pytest.mark.qualcoder


@pytest.fixture(scope="module")
def qualcoder():
    reason = qualcoder_missing()
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("name", list(PROJECTS))
def test_a_round_trip_through_qualcoder_keeps_everything(qualcoder, name, tmp_path):
    make, _ = PROJECTS[name]
    exported = export_project(name, tmp_path)
    back = tmp_path / "back.qdpx"
    run = qualcoder_round_trip(exported, back)
    # QualCoder's import and export report no error, and it shows only its usual warning box
    assert run["error"] is None and run["export_error"] is None
    assert [m["title"] for m in run["messages"]] == ["REFI-QDA Project import"]
    assert EXPERIMENTAL in run["messages"][0]["text"]
    assert run["check_against_file"]["text_mismatches"] == []
    n_codings = len(make().table)
    assert run["text_codings"] == n_codings and run["coding_memos"] == [[n_codings, n_codings]]
    # every excerpt text, construct, rating, memo, theme and case, and every case rating, identical; no rule
    # was needed to assign a case
    with warnings.catch_warnings():
        warnings.simplefilter("error", RefiWarning)
        assert_same_coding(make(), import_qdpx(back))
