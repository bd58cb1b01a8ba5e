"""Small-number suppression, disclosure control and pseudonymised ids, as every published output applies them.

Rules (DESIGN.md, following NHS England's statistical disclosure practice for MHSDS
publications): a count of 0 is shown; 1 to 4 is shown as ``*``; any other count is
rounded to the nearest 5; a percentage is withheld (``*``) when its numerator or
denominator is suppressed. Row-level exports replace ids with HMAC-SHA256 of the id
under a secret key, which never lives in the repository.

The primary rule is not enough on its own: cells linked to a suppressed one can give it back.
Disclosure control (loaded on first use, so importing this module stays light):

- the structure of a published table: :class:`TableStructure` with :class:`Rate`, :class:`Parts`,
  :class:`GroupTotal`, :class:`Breakdown` (``structure`` module; JSON with ``to_dict``/``from_dict``);
- :func:`protect` and :func:`protect_tables`: primary and secondary suppression, rates from the
  published counts (``disclosure`` module, whose docstring gives the method and its sources);
  :func:`primary_suppression`, the primary rule alone (the baseline);
- :func:`audit`: every hidden or rounded count a reader could work out more closely, by integer
  programming; :func:`audit_path`, :func:`read_structured_table`, :func:`read_report_tables`,
  :func:`write_structured_table` and :func:`structure_script` for tables on disk (``files`` module).
"""

from __future__ import annotations

import hmac
import math
import os
from pathlib import Path

from cscs_eval._lazy import lazy_exports
from cscs_eval.errors import UsageError

__all__ = ["SUPPRESSED", "SMALL_MAX", "ROUND_TO", "KEY_VARIABLE", "is_small", "suppress_count", "count_text",
           "drop_small", "suppress_table", "SUPPRESSION_NOTE", "load_key", "pseudonymise",
           # disclosure control, loaded on first use
           "TableStructure", "Rate", "Parts", "GroupTotal", "Breakdown", "protect", "protect_tables",
           "primary_suppression", "audit", "ProtectedTable", "PROTECTED_NOTE", "SECONDARY_NOTE", "NOT_FOR_PUBLICATION",
           "audit_path", "read_structured_table", "read_report_tables", "write_structured_table",
           "structure_script"]

_EXPORTS = {
    "TableStructure": "structure", "Rate": "structure", "Parts": "structure", "GroupTotal": "structure",
    "Breakdown": "structure",
    "protect": "disclosure", "protect_tables": "disclosure", "primary_suppression": "disclosure",
    "audit": "disclosure", "ProtectedTable": "disclosure", "PROTECTED_NOTE": "disclosure",
    "SECONDARY_NOTE": "disclosure",
    "NOT_FOR_PUBLICATION": "disclosure",
    "audit_path": "files", "read_structured_table": "files", "read_report_tables": "files",
    "write_structured_table": "files", "structure_script": "files",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

SUPPRESSED = "*"
#: Counts from 1 to SMALL_MAX are never published; 0 is shown.
SMALL_MAX = 4
#: Published counts above SMALL_MAX are rounded to the nearest ROUND_TO.
ROUND_TO = 5
KEY_VARIABLE = "CSCS_EVAL_PSEUDONYM_KEY"
#: The line under a suppressed table, saying what its marks mean.
SUPPRESSION_NOTE = (f"* = 1 to {SMALL_MAX} (suppressed); other counts rounded to the nearest {ROUND_TO}; "
                    "percentages withheld when their numerator or denominator is suppressed.")


def suppress_count(n):
    """Return the published form of one count: ``0``, ``*`` for 1-4, else the nearest 5.

    Examples
    --------
    >>> [suppress_count(n) for n in (0, 3, 7, 12, 13)]
    [0, '*', 5, 10, 15]
    """
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return n
    n = int(n)
    if n < 0:
        raise UsageError(f"a count cannot be negative, got {n}")
    if n == 0:
        return 0
    if n <= SMALL_MAX:
        return SUPPRESSED
    return int(math.floor(n / ROUND_TO + 0.5) * ROUND_TO)


def is_small(values):
    """True where a count is 1 to 4, the counts that publication must not reveal.

    A single number gives a bool; a sequence or Series gives a boolean Series (missing is not small).

    Examples
    --------
    >>> is_small(3), is_small(0)
    (True, False)
    >>> is_small([0, 1, 4, 5]).tolist()
    [False, True, True, False]
    """
    import numbers

    if isinstance(values, numbers.Number):
        return bool(0 < values <= SMALL_MAX)
    import pandas as pd

    values = pd.Series(values)
    return (values > 0) & (values <= SMALL_MAX)


def count_text(n, *, suppress: bool = True) -> str:
    """A count as a sentence shows it: ``fewer than 5`` for 1-4, else rounded to 5 (with ``suppress``).

    Examples
    --------
    >>> count_text(3), count_text(1234), count_text(1234, suppress=False), count_text(0)
    ('fewer than 5', '1,235', '1,234', '0')
    """
    n = int(n)
    if not suppress:
        return f"{n:,}"
    shown = suppress_count(n)
    return f"fewer than {SMALL_MAX + 1}" if shown == SUPPRESSED else f"{shown:,}"


def drop_small(df, counts):
    """Rows fit for a published figure: those with no count of 1 to 4 in ``counts``.

    A figure cannot show ``*``: a point or bar placed exactly reveals the counts a table
    beside it suppresses, so such rows are left out and counted.

    Returns
    -------
    (kept, n_dropped)

    Examples
    --------
    >>> import pandas as pd
    >>> kept, n = drop_small(pd.DataFrame({"team": ["A", "B"], "n": [3, 40]}), ["n"])
    >>> kept["team"].tolist(), n
    (['B'], 1)
    """
    small = False
    for col in counts:
        small = small | is_small(df[col]).to_numpy()
    if small is False:
        return df, 0
    return df[~small], int(small.sum())


def suppress_table(df, *, counts=(), rates=None, suppress: bool = True):
    """A copy of ``df`` ready to publish: counts suppressed and rounded, dependent rates withheld.

    Parameters
    ----------
    counts
        Count columns to suppress and round.
    rates
        Mapping of a rate or percentage column to the ``(numerator, denominator)`` count
        columns it is computed from; the value is withheld when either is 1 to 4. Counts
        that appear only here are checked but not rounded.
    suppress
        ``False`` returns an unchanged copy (for internal, not published, use).
    """
    out = df.copy()
    if not suppress:
        return out
    rates = rates or {}
    for pct, cols in rates.items():
        small = False
        for col in cols:
            small = small | is_small(df[col])
        out[pct] = out[pct].astype(object).where(~small, SUPPRESSED)
    for col in counts:
        out[col] = df[col].map(suppress_count).astype(object)
    return out


def load_key(*, key_file=None) -> bytes:
    """The pseudonymisation key, from ``key_file`` or the environment; refuse without one."""
    if key_file is not None:
        path = Path(key_file)
        if not path.is_file():
            raise UsageError(f"{path}: key file not found")
        key = path.read_bytes().strip()
    else:
        key = os.environ.get(KEY_VARIABLE, "").encode()
    if len(key) < 16:
        raise UsageError(f"row-level export refused: set {KEY_VARIABLE} or pass --key-file with a secret "
                         "of at least 16 characters, so ids can be pseudonymised")
    if _placeholder(key):
        raise UsageError("row-level export refused: the key is a placeholder, not a secret; make one with "
                         "python -c \"import secrets; print(secrets.token_hex(32))\" > pseudonym.key and pass "
                         "--key-file pseudonym.key")
    return key


def _placeholder(key: bytes) -> bool:
    """A key copied from documentation rather than made: angle brackets, braces, an unexpanded
    ``$VARIABLE`` or dots standing for a value, or words such as 'your key' or 'change me'."""
    text = key.decode("utf-8", "replace").strip().lower()
    squeezed = text.replace(" ", "").replace("-", "").replace("_", "")
    return (text.startswith(("<", "$", "{")) or "..." in text
            or any(w in squeezed for w in ("yourkey", "yoursecret", "changeme", "placeholder", "secretkeyhere",
                                          "example", "replaceme")))


def pseudonymise(values, key: bytes, *, length: int = 16):
    """HMAC-SHA256 of each id under ``key``, as ``length`` hex characters.

    The same id and key always give the same pseudonym, so exports from one key can be
    linked with each other but not back to the source ids without the key.

    Examples
    --------
    >>> pseudonymise(["P001"], b"0123456789abcdef")[0] == pseudonymise(["P001"], b"0123456789abcdef")[0]
    True
    """
    import numpy as np
    import pandas as pd

    series = pd.Series(values)
    # Each distinct id once; hmac.digest is one C call (the same value as hmac.new(...).hexdigest()).
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    names = np.array([hmac.digest(key, str(v).encode(), "sha256").hex()[:length] for v in uniques] + [None],
                     dtype=object)
    return pd.Series(names[codes], index=series.index, dtype=object)
