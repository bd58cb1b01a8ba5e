"""Small-number suppression and pseudonyms, as DESIGN.md sets them."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscs_eval.errors import UsageError
from cscs_eval.governance import load_key, pseudonymise, suppress_count, suppress_table


@pytest.mark.parametrize("n, shown", [(0, 0), (1, "*"), (4, "*"), (5, 5), (7, 5), (8, 10), (12, 10),
                                      (13, 15), (102, 100), (103, 105)])
def test_suppress_count_hand_worked(n, shown):
    # Rule: 0 shown; 1-4 as *; others to the nearest 5 (halves, e.g. 7.5, cannot occur for integers).
    assert suppress_count(n) == shown


@given(st.integers(min_value=0, max_value=10**6))
def test_suppression_never_reveals_a_small_count(n):
    shown = suppress_count(n)
    if 1 <= n <= 4:
        assert shown == "*"
    else:
        assert shown % 5 == 0 and abs(shown - n) <= 2


def test_percentage_withheld_when_its_counts_are_small():
    df = pd.DataFrame({"team": ["A", "B", "C"], "paired": [3, 20, 0], "eligible": [40, 50, 2],
                       "rate": [7.5, 40.0, 0.0]})
    out = suppress_table(df, counts=["paired", "eligible"], rates={"rate": ("paired", "eligible")})
    assert out["paired"].tolist() == ["*", 20, 0]
    assert out["eligible"].tolist() == [40, 50, "*"]
    assert out["rate"].tolist() == ["*", 40.0, "*"]
    assert df["paired"].tolist() == [3, 20, 0], "the input is never modified"


def test_pseudonyms_are_keyed_and_stable(monkeypatch, tmp_path):
    key = b"a-secret-of-sixteen+"
    ids = ["P1", "P2", "P1", None]
    out = pseudonymise(ids, key)
    assert out[0] == out[2] != out[1] and out[3] is None
    assert "P1" not in "".join(out[:3])
    assert pseudonymise(ids, b"another-secret-key")[0] != out[0]
    # Known HMAC-SHA256 value, computed with Python's hmac module independently of this code:
    # hmac.new(b"a-secret-of-sixteen+", b"P1", "sha256").hexdigest()[:16]
    import hashlib
    import hmac
    assert out[0] == hmac.new(key, b"P1", hashlib.sha256).hexdigest()[:16]


def test_no_key_no_export(monkeypatch, tmp_path):
    monkeypatch.delenv("CSCS_EVAL_PSEUDONYM_KEY", raising=False)
    with pytest.raises(UsageError, match="row-level export refused"):
        load_key()
    monkeypatch.setenv("CSCS_EVAL_PSEUDONYM_KEY", "x" * 20)
    assert load_key() == b"x" * 20
    f = tmp_path / "key"
    f.write_text("k" * 32 + "\n")
    assert load_key(key_file=f) == b"k" * 32


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=20))
def test_drop_small_leaves_no_count_a_figure_could_reveal(rows):
    from cscs_eval.governance import drop_small

    df = pd.DataFrame(rows, columns=["num", "den"])
    kept, dropped = drop_small(df, ["num", "den"])
    assert len(kept) + dropped == len(df)
    assert not (((kept["num"] > 0) & (kept["num"] < 5)) | ((kept["den"] > 0) & (kept["den"] < 5))).any()


def test_the_package_keeps_every_public_name_and_stays_light():
    import subprocess
    import sys

    import cscs_eval.governance as g

    for name in ("SUPPRESSED", "SMALL_MAX", "ROUND_TO", "KEY_VARIABLE", "SUPPRESSION_NOTE", "is_small",
                 "suppress_count", "count_text", "drop_small", "suppress_table", "load_key", "pseudonymise"):
        assert hasattr(g, name), name
    assert (g.SUPPRESSED, g.SMALL_MAX, g.ROUND_TO) == ("*", 4, 5)
    # disclosure control loads on first use: importing the rules does not pull in pandas or scipy
    code = ("import sys, cscs_eval.governance as g; g.suppress_count(3); "
            "print('scipy' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    assert callable(g.protect) and callable(g.audit)
