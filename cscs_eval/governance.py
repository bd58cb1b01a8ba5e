"""Small-number suppression and pseudonymised ids, as every published output applies them.

Rules (DESIGN.md, following NHS England's statistical disclosure practice for MHSDS
publications): a count of 0 is shown; 1 to 4 is shown as ``*``; any other count is
rounded to the nearest 5; a percentage is withheld (``*``) when its numerator or
denominator is suppressed. Row-level exports replace ids with HMAC-SHA256 of the id
under a secret key, which never lives in the repository.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from pathlib import Path

from cscs_eval.errors import UsageError

SUPPRESSED = "*"
KEY_VARIABLE = "CSCS_EVAL_PSEUDONYM_KEY"


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
        raise ValueError(f"a count cannot be negative, got {n}")
    if n == 0:
        return 0
    if n < 5:
        return SUPPRESSED
    return int(math.floor(n / 5 + 0.5) * 5)


def is_small(values):
    """True where a count is 1 to 4, the counts that publication must not reveal.

    Examples
    --------
    >>> is_small([0, 1, 4, 5]).tolist()
    [False, True, True, False]
    """
    import pandas as pd

    values = pd.Series(values)
    return (values > 0) & (values < 5)


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


def suppress_table(df, *, counts=(), percentages=None, enabled: bool = True):
    """A copy of ``df`` ready to publish: counts suppressed and rounded, dependent percentages withheld.

    Parameters
    ----------
    counts
        Count columns to suppress and round.
    percentages
        Mapping of a percentage (or rate) column to the ``(numerator, denominator)`` count
        columns it is computed from; the value is withheld when either is 1 to 4. Counts
        that appear only here are checked but not rounded.
    enabled
        ``False`` returns an unchanged copy (for internal, not published, use).
    """
    out = df.copy()
    if not enabled:
        return out
    percentages = percentages or {}
    for pct, cols in percentages.items():
        small = False
        for col in cols:
            small = small | is_small(df[col])
        out[pct] = out[pct].astype(object).where(~small, SUPPRESSED)
    for col in counts:
        out[col] = df[col].map(suppress_count).astype(object)
    return out


def load_key(key_file=None) -> bytes:
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
    return key


def pseudonymise(values, key: bytes, *, length: int = 16):
    """HMAC-SHA256 of each id under ``key``, as ``length`` hex characters.

    The same id and key always give the same pseudonym, so exports from one key can be
    linked with each other but not back to the source ids without the key.

    Examples
    --------
    >>> pseudonymise(["P001"], b"0123456789abcdef")[0] == pseudonymise(["P001"], b"0123456789abcdef")[0]
    True
    """
    import pandas as pd

    def one(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return v
        return hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:length]

    series = pd.Series(values)
    mapping = {v: one(v) for v in series.dropna().unique()}
    return series.map(mapping).astype(object).where(series.notna(), None)
