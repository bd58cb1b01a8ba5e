"""Fixtures the benefit tests share: the command line run as a user runs it, and 0/1 rows by group."""

import pandas as pd
import pytest

from cscs_eval.cli import main


@pytest.fixture
def cli(capsys):
    """Run ``cscs-eval ARGS...`` through the real entry point; ``(exit code, stdout, stderr)``, never a traceback."""

    def run(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return run


@pytest.fixture(scope="session")
def binary_rows():
    """Row-level data from ``{group: (events, n)}``: a ``group`` column and a 0/1 ``outcome`` column."""

    def rows(counts, *, outcome="y"):
        out = []
        for g, (x, n) in counts.items():
            out += [{"group": g, outcome: 1}] * x + [{"group": g, outcome: 0}] * (n - x)
        return pd.DataFrame(out)

    return rows
