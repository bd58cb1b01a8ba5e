"""The tidy coding table: what the readers (``_coding``) and the analyses (``_ratings``,
``_reliability``, ``_refiqda``) both need, one level below them, so that the analyses never import
the readers (``_coding`` imports ``_ratings`` for ``Coding.summary()``; nothing imports back).

* :data:`COLUMNS`, the tidy table's columns, and :func:`unpack`, which takes a
  :class:`~cscs_eval.cfir.Coding` or a bare coding table;
* the stable excerpt keys that match one excerpt across files and coders;
* :func:`read_case_ratings`, the reader of the CFIR memo step's case-ratings file;
* :func:`load_rules`, the rating rules of ``data/rules.yaml``.
"""

from __future__ import annotations

from functools import lru_cache

from cscs_eval.cfir._codebook import DATA_DIR, load_aliases, resolve_construct
from cscs_eval.cfir._syntax import RATING_VALUES, normalise_rating
from cscs_eval.errors import InputError, UsageError

__all__ = ["COLUMNS", "CASE_RATING_COLUMNS", "unpack", "excerpt_key", "excerpt_keys", "excerpt_key_array", "squash",
           "read_case_ratings", "load_rules"]

#: Columns of the tidy coding table, in order.
COLUMNS = ["file", "line", "excerpt_id", "case", "source", "excerpt", "code", "construct_id", "construct", "domain",
           "rating", "rating_value", "coder", "memo", "theme"]

#: Columns of the case ratings a case-ratings file gives (the CFIR memo step).
CASE_RATING_COLUMNS = ["case", "construct_id", "rating", "rating_value", "rationale"]


def unpack(coding, *, name: str = "coding"):
    """``(table, case_ratings, aliases)`` of a :class:`~cscs_eval.cfir.Coding` or of a bare coding table.

    A bare table (a DataFrame with the tidy columns) carries no case ratings and no aliases.
    """
    import pandas as pd

    if isinstance(coding, pd.DataFrame):
        return coding, None, {}
    table = getattr(coding, "table", None)
    if isinstance(table, pd.DataFrame) and hasattr(coding, "case_ratings"):
        return table, coding.case_ratings, coding.aliases
    raise UsageError(f"{name} must be a Coding (from cscs_eval.cfir.load_coding) or a coding table (a DataFrame); "
                     f"got {type(coding).__name__}")


# --------------------------------------------------------------------------------------------
# Excerpt keys
# --------------------------------------------------------------------------------------------

def squash(series):
    """Lower case, whitespace runs to one space, trimmed; vectorised in Arrow (no per-row Python)."""
    import pyarrow as pa

    return _squash_array(pa.array(series.astype("string").fillna(""), type=pa.large_string()))


def _squash_array(arr):
    """:func:`squash` of an Arrow string array without nulls.

    The regular expression runs only where it changes something (two whitespace characters in a row,
    or one that is not a space): on a million excerpts it was most of the time. A column with few
    distinct values (case, source) is squashed once per value.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    # a first look at 2,000 values tells the few-valued columns from the excerpts (mostly distinct)
    if len(arr) > 2_000 and pc.count_distinct(arr.slice(0, 2_000)).as_py() <= 1_000:
        encoded = pc.dictionary_encode(arr)
        if 2 * len(encoded.dictionary) <= len(arr):
            return pc.take(_squash_array(encoded.dictionary), encoded.indices)
    runs = pc.match_substring_regex(arr, r"\s\s|[^\S ]")
    if pc.any(runs).as_py():
        spaced = pc.replace_substring_regex(pc.filter(arr, runs), r"\s+", " ")
        arr = pc.replace_with_mask(arr, runs, spaced)
    return pc.utf8_lower(pc.utf8_trim_whitespace(arr))


def excerpt_keys(case, source, excerpt):
    """Vectorised :func:`excerpt_key` over three aligned Series: 'x' + 16 hex digits of a fixed-key hash."""
    return excerpt_key_array(case, source, excerpt).to_pylist()


def excerpt_key_array(case, source, excerpt, *, squashed_excerpt=None):
    """:func:`excerpt_keys` as an Arrow string array (no Python string per row); ``squashed_excerpt``
    is ``squash(excerpt)`` when the caller has it already."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    sep = pa.scalar("\x1f", type=pa.large_string())
    text = squash(excerpt) if squashed_excerpt is None else squashed_excerpt
    joined = pc.binary_join_element_wise(squash(case), squash(source), text, sep)
    hashed = pd.util.hash_array(joined.to_numpy(zero_copy_only=False).astype(object), categorize=False)
    # 'x' and 16 lower-case hex digits per key, written as one block of bytes (what format(h, "016x") gives)
    n = len(hashed)
    hex_pairs = np.frombuffer("".join(f"{i:02x}" for i in range(256)).encode(), dtype=np.uint8).reshape(256, 2)
    chars = np.empty((n, 17), dtype=np.uint8)
    chars[:, 0] = ord("x")
    chars[:, 1:] = hex_pairs[hashed.astype(">u8").view(np.uint8).reshape(n, 8)].reshape(n, 16)  # high byte first
    offsets = np.arange(0, 17 * (n + 1), 17, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars))


def excerpt_key(case, source, excerpt) -> str:
    """Stable id of an excerpt from its case, source and whitespace-normalised text.

    Examples
    --------
    >>> excerpt_key("A", "s", "Some  text") == excerpt_key("A", "s", "some text")
    True
    """
    import pandas as pd

    one = [pd.Series([v], dtype="string") for v in (case, source, excerpt)]
    return excerpt_keys(*one)[0]


# --------------------------------------------------------------------------------------------
# Case ratings (the CFIR memo step) and the rating rules
# --------------------------------------------------------------------------------------------

def read_case_ratings(data, *, aliases=None):
    """Read a case-ratings file (``case, construct, rating, rationale``), the CFIR memo step.

    Parameters
    ----------
    data
        The file (CSV, Excel, Parquet) or a DataFrame with those columns (``rationale`` optional).
    aliases
        Alias file or mapping for local construct names.

    Returns
    -------
    pandas.DataFrame
        ``case, construct_id, rating, rating_value, rationale``. A case and construct given twice,
        an unknown construct or an off-scale rating is an :class:`~cscs_eval.errors.InputError`
        naming the row.
    """
    import pandas as pd

    from cscs_eval.io import normalise_column, read_table, row_number

    if isinstance(data, pd.DataFrame):
        df, source = data.copy(), None
        df.columns = [normalise_column(c) for c in df.columns]
        for col in ("case", "construct", "rating"):
            if col not in df.columns:
                raise InputError(f"case ratings need the column {col!r}; found {', '.join(df.columns)}")
    else:
        source = data
        df = read_table(data, required=("case", "construct", "rating"))
    alias_map = load_aliases(aliases) if aliases is not None and not isinstance(aliases, dict) else aliases
    out = []
    for i, (case, construct, rating) in enumerate(zip(df["case"], df["construct"], df["rating"])):
        row = row_number(df, i)
        if pd.isna(case) or not str(case).strip():
            raise InputError("case is empty", file=source, row=row, column="case")
        try:
            cid = resolve_construct(construct, aliases=alias_map)
        except InputError as exc:
            raise InputError(exc.message, file=source, row=row, column="construct") from None
        r = normalise_rating(rating, where={"file": source, "row": row, "column": "rating"})
        out.append((str(case).strip(), cid, r))
    res = pd.DataFrame(out, columns=["case", "construct_id", "rating"]).astype("string")
    res["rating_value"] = res["rating"].map(RATING_VALUES).astype("float64")
    res["rationale"] = (df["rationale"].astype("string").reset_index(drop=True) if "rationale" in df.columns
                        else pd.Series(pd.NA, index=res.index, dtype="string"))
    dup = res.duplicated(["case", "construct_id"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(f"case {res.loc[i, 'case']!r} rates {res.loc[i, 'construct_id']} twice",
                         file=source, row=row_number(df, i))
    return res[CASE_RATING_COLUMNS]


@lru_cache(maxsize=1)
def load_rules() -> dict:
    """The rating rules of ``data/rules.yaml`` (thresholds with their sources)."""
    from cscs_eval.io import read_yaml

    return read_yaml(DATA_DIR / "rules.yaml")
