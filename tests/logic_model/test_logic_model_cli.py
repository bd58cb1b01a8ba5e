"""``cscs-eval logic-model`` through the real entry point."""

import pandas as pd
import pytest

from cscs_eval.cli import main
from cscs_eval.io import resolve_path

SAMPLE = str(resolve_path("data/sample/logic_model.yaml"))
TEAMS = str(resolve_path("data/sample/teams.csv"))


def summary_csv(tmp_path):
    path = tmp_path / "summary.csv"
    pd.DataFrame({"construct_id": ["III.A.2", "V.F", "I.C"],
                  "construct": ["Information Technology Infrastructure", "Engaging", "Innovation Relative Advantage"],
                  "domain": ["Inner Setting", "Implementation Process", "Innovation"],
                  "n_excerpts": [9, 12, 4], "n_cases": [3, 3, 2], "mean_rating": [-2.0, 1.7, 1.0],
                  "classification": ["strong barrier", "strong facilitator", "weak facilitator"]}).to_csv(path,
                                                                                                         index=False)
    return path


def test_render_markdown_to_stdout(capsys):
    assert main(["logic-model", "render", SAMPLE, "--to", "md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Implementation of PROMs") and "| 7 |" in out


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("html", b"<!DOCTYPE"),
                                        ("docx", b"PK\x03\x04"), ("md", b"# Impl")])
def test_render_each_format_to_a_file(tmp_path, capsys, fmt, magic):
    out = tmp_path / f"irlm.{fmt}"
    assert main(["logic-model", "render", SAMPLE, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(magic)
    assert f"wrote {out}" in capsys.readouterr().err


def test_render_from_a_cfir_summary(tmp_path, capsys):
    out = tmp_path / "draft.html"
    assert main(["logic-model", "render", str(summary_csv(tmp_path)), "--out", str(out)]) == 0
    assert "Change record systems" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    (["--to", "png"], "--to png writes a file, not text: give --out FILE.png"),
    ([], "give --to svg|png|html|md|docx"),
    (["--to", "pdf"], "invalid choice: 'pdf'"),
    (["--to", "md", "--out", "x.html"], "--to md does not match --out x.html"),
])
def test_render_usage_errors_exit_2(capsys, args, message):
    assert main(["logic-model", "render", SAMPLE, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_render_data_errors_exit_1_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    text = open(SAMPLE, encoding="utf-8").read().replace("mechanism: M5", "mechanism: M55")
    bad.write_text(text, encoding="utf-8")
    assert main(["logic-model", "render", str(bad), "--to", "md"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cscs-eval: error: ") and "link 7 names mechanism 'M55'" in err and str(bad) in err
    assert "Traceback" not in err
    assert main(["logic-model", "render", str(tmp_path / "missing.yaml"), "--to", "md"]) == 1
    assert "file not found" in capsys.readouterr().err
    assert main(["logic-model", "render", str(tmp_path / "model.txt2"), "--to", "md"]) == 2


def test_local_strategy_warning_is_one_line(tmp_path, capsys):
    path = tmp_path / "local.yaml"
    path.write_text(open(SAMPLE, encoding="utf-8").read().replace("    local: true\n", ""), encoding="utf-8")
    assert main(["logic-model", "render", str(path), "--to", "md"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cscs-eval: warning: ") and "local strategy" in err


def test_draft_then_render(tmp_path, capsys):
    out = tmp_path / "draft.yaml"
    assert main(["logic-model", "draft", str(summary_csv(tmp_path)), "--teams", TEAMS,
                 "--outcome", "Quality of life (ReQoL-10)=mean change +4.1", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "29 of 32 teams (91%)" in text and "mean change +4.1" in text
    assert main(["logic-model", "render", str(out), "--to", "md"]) == 0
    assert "Quality of life (ReQoL-10)" in capsys.readouterr().out
    # An existing draft may hold the evaluator's edits: not replaced without --force.
    assert main(["logic-model", "draft", str(summary_csv(tmp_path)), "--out", str(out)]) == 2
    assert main(["logic-model", "draft", str(summary_csv(tmp_path)), "--out", str(out), "--force"]) == 0


def test_draft_to_stdout_and_bad_options(tmp_path, capsys):
    assert main(["logic-model", "draft", str(summary_csv(tmp_path)), "--barriers", "1", "--facilitators", "0"]) == 0
    out = capsys.readouterr().out
    assert "construct: III.A.2" in out and "V.F" not in out
    assert main(["logic-model", "draft", str(summary_csv(tmp_path)), "--outcome", "Adoption"]) == 2
    assert "--outcome must be NAME=VALUE" in capsys.readouterr().err
    assert main(["logic-model", "draft", str(summary_csv(tmp_path)), "--out", str(tmp_path / "x.csv")]) == 2


def test_strategies_listing(tmp_path, capsys):
    assert main(["logic-model", "strategies", "--cluster", "consumers"]) == 0
    out = capsys.readouterr().out
    assert "Increase demand" in out and "Audit and provide feedback" not in out
    target = tmp_path / "eric.csv"
    assert main(["logic-model", "strategies", "--out", str(target)]) == 0
    assert len(pd.read_csv(target)) == 73


def test_help_texts(capsys):
    for args in (["logic-model", "--help"], ["logic-model", "render", "--help"], ["logic-model", "draft", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 0
    assert "CFIR summary" in capsys.readouterr().out


def test_cli_module_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, cscs_eval.logic_model._cli as c, argparse; p = argparse.ArgumentParser(); "
            "c.register(p.add_subparsers()); "
            "print(any(m in sys.modules for m in ('pandas', 'matplotlib', 'docx', 'yaml')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
