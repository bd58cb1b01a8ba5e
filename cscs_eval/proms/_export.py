"""Row-level exports with pseudonymised ids (DESIGN.md: never the raw id; no key, no export)."""

from __future__ import annotations

import pandas as pd

from cscs_eval.governance import load_key, pseudonymise
from cscs_eval.proms._results import table_of

ID_COLUMNS = ("patient_id", "referral_id")


def export_row_level(data, *, path=None, key: bytes | None = None, key_file=None,
                     id_columns=ID_COLUMNS) -> pd.DataFrame:
    """Replace ids with HMAC-SHA256 pseudonyms and (optionally) write the table atomically.

    Parameters
    ----------
    data
        A row-level table, or a result whose ``.table`` is one (such as
        :func:`~cscs_eval.proms.outcomes` returns).
    path
        Where to write (.csv, .parquet or .xlsx); ``None`` only returns the table.
    key, key_file
        The secret; without either, ``CSCS_EVAL_PSEUDONYM_KEY`` is used, and with no key at all
        the export is refused (:class:`~cscs_eval.errors.UsageError`).

    Examples
    --------
    >>> out = export_row_level(pd.DataFrame({"patient_id": ["P1"], "score": [3]}), key=b"0123456789abcdef")
    >>> out["patient_id"][0] != "P1", len(out["patient_id"][0])
    (True, 16)
    """
    if key is None:
        key = load_key(key_file=key_file)
    out = table_of(data).copy()
    for col in id_columns:
        if col in out.columns:
            out[col] = pseudonymise(out[col].astype(object).where(out[col].notna(), None), key).to_numpy(dtype=object)
    if path is not None:
        from cscs_eval.io import write_table

        write_table(out, path)
    return out
