"""A batch of reports: one private folder for what it computes once, removed when it ends; one warm
kernel per worker, cleared between reports."""

import os
import stat
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cscs_eval._batch import BATCH_DIR_ENV, batch_folder, computed_once
from cscs_eval.reporting.runner import run_for_each

PARAMS = 'data_path: str = "data.csv"  # the data\nteam: str = ""  # one team\n'
# Each report says where its batch folder is, its mode, which kernel process ran it, and whether
# anything of an earlier report was still defined in the kernel.
PROBE = ("import os\nfrom cscs_eval.reporting import show_markdown\n"
         "folder = os.environ.get('CSCS_EVAL_BATCH_DIR', '')\n"
         "mode = oct(os.stat(folder).st_mode & 0o777) if folder else 'none'\n"
         "earlier = globals().get('seen')\nseen = team\n"
         "show_markdown(f'folder={folder} mode={mode} pid={os.getpid()} earlier={earlier}')\n")


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("team,value\nNorth,1\nSouth,2\nNorth,3\nWest,4\n")
    return path


def probe(result) -> dict:
    text = result.html.read_text()
    start = text.index("folder=")
    return dict(part.split("=", 1) for part in text[start:text.index("<", start)].split())


def test_batch_folder_is_private_and_removed_after_success():
    assert BATCH_DIR_ENV not in os.environ
    with batch_folder() as folder:
        assert os.environ[BATCH_DIR_ENV] == str(folder)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        (folder / "rows.pickle").write_bytes(b"patient rows")
    assert not folder.exists() and BATCH_DIR_ENV not in os.environ


def test_batch_folder_is_removed_after_failure():
    with pytest.raises(RuntimeError, match="a report failed"):
        with batch_folder() as folder:
            (folder / "rows.pickle").write_bytes(b"patient rows")
            raise RuntimeError("a report failed")
    assert not folder.exists() and BATCH_DIR_ENV not in os.environ


def test_computed_once_in_a_batch_and_every_time_outside():
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"n": [len(calls)]})

    computed_once("table", ("a",), compute)
    computed_once("table", ("a",), compute)
    assert len(calls) == 2  # no batch: nothing is kept
    with batch_folder():
        first = computed_once("table", ("a",), compute)
        again = computed_once("table", ("a",), compute)
        other = computed_once("table", ("b",), compute)  # another key is another value
    assert len(calls) == 4
    pd.testing.assert_frame_equal(first, again)
    assert first["n"].item() == 3 and other["n"].item() == 4


def test_for_each_shares_a_private_folder_and_a_cleared_kernel(notebook_factory, data, tmp_path):
    nb = notebook_factory("team.ipynb", PARAMS, PROBE)
    results, _ = run_for_each(nb, "team", out_dir=tmp_path / "batch", parameters={"data_path": str(data)},
                              progress=False, max_workers=1)
    assert all(r.ok for r in results)
    seen = [probe(r) for r in results]
    folders = {s["folder"] for s in seen}
    assert len(folders) == 1 and seen[0]["mode"] == "0o700"
    assert not Path(folders.pop()).exists()  # removed when the batch ended
    assert len({s["pid"] for s in seen}) == 1  # one warm kernel ran the worker's three reports
    assert {s["earlier"] for s in seen} == {"None"}  # and nothing of one report reached the next
    assert BATCH_DIR_ENV not in os.environ


def test_for_each_removes_the_folder_when_reports_fail(notebook_factory, data, tmp_path):
    nb = notebook_factory("team.ipynb", PARAMS, PROBE + "assert team != 'South', 'no South report'")
    results, _ = run_for_each(nb, "team", out_dir=tmp_path / "batch", parameters={"data_path": str(data)},
                              progress=False, max_workers=1)
    by_team = {r.label: r for r in results}
    assert not by_team["South"].ok and "no South report" in by_team["South"].error
    north = probe(by_team["North"])
    assert north["mode"] == "0o700" and not Path(north["folder"]).exists()
    # the report after the failed one ran in the same kernel, cleared
    assert probe(by_team["West"])["earlier"] == "None"


def test_a_warm_kernel_shows_warnings_again_and_runs_in_the_working_folder(notebook_factory, data, tmp_path):
    # Python shows a warning once per place in a process; each report of a batch shows it, as a new kernel would
    (tmp_path / "warner.py").write_text("import warnings\ndef warn():\n    warnings.warn('a note for the reader')\n")
    cell = (f"import os, sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport warner\nwarner.warn()\n"
            "print(f'cwd={os.getcwd()}')\nos.chdir('/')")
    nb = notebook_factory("team.ipynb", PARAMS, cell)
    results, _ = run_for_each(nb, "team", out_dir=tmp_path / "batch", parameters={"data_path": str(data)},
                              progress=False, max_workers=1)
    for r in results:
        outputs = [o for c in nbformat.read(r.notebook, as_version=4).cells for o in c.get("outputs", [])]
        streams = {o.name: o.text for o in outputs if o.output_type == "stream"}
        assert "a note for the reader" in streams.get("stderr", ""), r.label
        assert f"cwd={os.getcwd()}" in streams["stdout"], r.label  # not '/', where the report before it went


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
def test_a_worker_closes_what_each_report_opened(notebook_factory, tmp_path, monkeypatch):
    from cscs_eval.reporting import runner

    monkeypatch.setattr(runner, "_IN_WORKER", False)  # _run_one makes this process a worker; undone after
    nb = notebook_factory("n.ipynb", 'team: str = ""  # one team\n', "x = 1")
    try:
        opened = []
        for i in range(4):
            assert runner._run_one(dict(notebook=str(nb), out_dir=str(tmp_path / f"r{i}"))).ok
            opened.append(len(list(Path("/proc/self/fd").iterdir())))
        assert len(runner._WARM_KERNELS) == 1  # one kernel ran the four reports
        assert opened[-1] == opened[1], opened  # nbclient's channels to it closed after each report
    finally:
        runner._stop_warm_kernels()
