"""The command line: help everywhere, version, exit codes, no tracebacks, lazy imports."""

import subprocess
import sys

import pytest

from cscs_eval import __version__
from cscs_eval.cli import build_parser, main


def _subcommand_paths(parser, prefix=()):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _subcommand_paths(sub, (*prefix, name))


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"cscs-eval {__version__}"


def test_every_subcommand_has_help(capsys):
    paths = list(_subcommand_paths(build_parser()))
    assert ("run",) in paths and ("demo",) in paths and ("sample-data",) in paths
    for path in paths:
        with pytest.raises(SystemExit) as exc:
            main([*path, "--help"])
        assert exc.value.code == 0, path
        out = capsys.readouterr().out
        assert "usage: cscs-eval" in out, path


def test_usage_error_exits_2_without_traceback(capsys):
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cscs-eval: error:") and "Traceback" not in err


def test_data_error_exits_1_and_names_the_file(tmp_path, capsys):
    nb = tmp_path / "nb.ipynb"
    nb.write_text('{"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": '
                  '"data_path: str = \\"x.csv\\"  # data", "outputs": [], "execution_count": null}], '
                  '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    code = main(["run", str(nb), "-p", "data_path", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1
    assert "missing.csv" in err and "does not exist" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists(), "nothing may be written when the input is missing"


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(Exception):
        main(["--debug", "run", str(tmp_path / "nope.ipynb")])


def test_help_does_not_import_heavy_libraries():
    code = ("import sys, contextlib, io\n"
            "from cscs_eval.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "    main(['--help'])\n"
            "import cscs_eval.reporting\n"
            "heavy = [m for m in ('pandas', 'statsmodels', 'seaborn', 'matplotlib', 'numpy') if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "", f"cscs-eval --help imported {out.strip()}"


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "cscs_eval", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and __version__ in out.stdout


def test_warnings_are_one_line_each_and_shown_once(monkeypatch, capsys):
    import warnings

    from cscs_eval import cli
    from cscs_eval.errors import SuspiciousDataWarning

    def handler(args):
        for _ in range(3):
            warnings.warn("1 follow-up is on the same day as the baseline", SuspiciousDataWarning)
        return 0

    assert cli.run_with_warnings(handler, None) == 0
    err = capsys.readouterr().err
    assert err == "cscs-eval: warning: 1 follow-up is on the same day as the baseline\n"


LIGHTNING = ("---\ntitle: R\nproject: P\nperiod: May 2024\ndate: 2024-05-01\ncontacts: [Lead]\n"
             "data_collection_status: done\n---\n## Summary\nFine.\n\n## Plus\n- Works. [[Engaging +2]]\n\n"
             "## Delta\n- Late. [[Cost -1]]\n\n## Insights\n- Idea.\n")


@pytest.mark.parametrize("name, text, argv, role", [
    # issue 11: this replaced the report with its own rendering and exited 0
    ("x.md", LIGHTNING, ["lightning", "render", "{path}", "--to", "md", "--out", "{same}"], "file"),
    ("s.csv", "date,value\n" + "".join(f"2024-{m:02d}-01,{m}\n" for m in range(1, 13)),
     ["benefits", "spc", "{path}", "--out", "{same}"], "data"),
])
def test_out_over_an_input_is_a_usage_error_and_the_input_stays(tmp_path, capsys, monkeypatch, name, text, argv,
                                                                role):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.write_text(text)
    same = f"./{name}"  # the same file written another way
    code = main([a.format(path=path, same=same) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and path.read_text() == text
    assert err.strip() == (f"cscs-eval: error: --out {same} is also an input of this command ({role}); write to "
                           "another file or folder")
