"""Helpers the benefit tests share (imported by name, as tests/conftest.py's ROOT is: no __init__ here)."""

import pandas as pd

from cscs_eval.cli import main


def run_cli(capsys, *argv):
    """Run ``cscs-eval ARGS...`` through the real entry point; ``(exit code, stdout, stderr)``, never a traceback."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def binary_rows(counts, *, outcome="y"):
    """Row-level data from ``{group: (events, n)}``: a ``group`` column and a 0/1 ``outcome`` column."""
    out = []
    for g, (x, n) in counts.items():
        out += [{"group": g, outcome: 1}] * x + [{"group": g, outcome: 0}] * (n - x)
    return pd.DataFrame(out)
