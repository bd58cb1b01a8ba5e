"""Excerpt keys and the reused-id check, written as whole-column work, give what the per-row forms gave."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cscs_eval.cfir import validate
from cscs_eval.cfir._tidy import excerpt_key, excerpt_keys, squash

PIECES = ["a", "B", " ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\u00a0", "\u2003", "é", "É", "x y", "\x1f"]


def squash_reference(series):
    """The previous squash (main at d46c18c): the regular expression over every value."""
    arr = pa.array(series.astype("string").fillna(""), type=pa.large_string())
    return pc.utf8_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, r"\s+", " ")))


def keys_reference(case, source, excerpt):
    """The previous excerpt_keys: one Python format() per row of the same fixed-key hash."""
    joined = pc.binary_join_element_wise(squash_reference(case), squash_reference(source), squash_reference(excerpt),
                                         pa.scalar("\x1f", type=pa.large_string()))
    hashed = pd.util.hash_array(joined.to_numpy(zero_copy_only=False).astype(object), categorize=False)
    return ["x" + format(int(h), "016x") for h in hashed]


def random_text(rng, n):
    return pd.Series([None if rng.random() < 0.05 else "".join(rng.choice(PIECES, rng.integers(0, 6)))
                      for _ in range(n)], dtype=object)


def test_squash_and_keys_match_the_per_row_forms():
    rng = np.random.default_rng(15)
    for n in (40, 5_000):  # 5,000 rows take the few-distinct-values path for case and source
        case = pd.Series(rng.choice(["North", " north ", "South  team", None], n))
        source, excerpt = random_text(rng, n), random_text(rng, n)
        assert squash(excerpt).to_pylist() == squash_reference(excerpt).to_pylist()
        assert squash(case).to_pylist() == squash_reference(case).to_pylist()
        assert excerpt_keys(case, source, excerpt) == keys_reference(case, source, excerpt)
    assert excerpt_key("A", "s", "Some  text") == keys_reference(*(pd.Series([v]) for v in ("A", "s", "Some  text")))[0]


def test_an_id_reused_for_another_excerpt_is_found_with_its_rows():
    sheet = pd.DataFrame({
        "excerpt_id": ["E1", "E1", "E1", "E2", "E2", "E3", "E3"],
        "case": ["A", "A", "B", "A", "A", "A\x1fx", "A"],
        "source": ["s", "s", "s", "s", "s", "s", "x\x1fs"],
        # E1: row 4 is another case; E2: the same text but for whitespace and case (one excerpt);
        # E3: joined with the separator both read 'A\x1fx\x1fs\x1ft' and so count as one, as before
        "excerpt": ["Some text", "Some text", "Some text", "One  Two", "one two", "t", "t"],
        "construct": ["I.A", "I.B", "I.A", "I.A", "I.B", "I.A", "I.B"], "rating": "+1"})
    problems = validate(sheet)
    reused = problems[problems["column"] == "excerpt_id"]
    assert reused[["line", "problem"]].values.tolist() == [
        [3, "duplicate excerpt id 'E1' used for different excerpts (rows 2, 3, 4)"]]
