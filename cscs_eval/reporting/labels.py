"""Human labels for column names and category codes, from one file (``data/labels.yaml``).

Every place that shows a table to people uses :func:`label`; every reader that takes a column
name also takes its label (:func:`column_name`), so a table written for people can be read back.
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["label", "column_name", "category", "label_names"]


@functools.lru_cache(maxsize=1)
def _labels() -> dict:
    from cscs_eval.io import read_yaml

    data = read_yaml(Path(__file__).with_name("data") / "labels.yaml") or {}
    return {"columns": dict(data.get("columns") or {}), "categories": dict(data.get("categories") or {})}


def label(column) -> str:
    """The heading people read for a column name.

    Examples
    --------
    >>> label("n_paired"), label("follow_up_pct"), label("team")
    ('Paired referrals', 'Followed up %', 'Team')
    """
    name = str(column)
    known = _labels()["columns"].get(name)
    if known:
        return known
    text = name.replace("_", " ").strip()
    text = text.replace(" pct", " %").replace("pct ", "% ")
    return text[:1].upper() + text[1:]


def category(value) -> str:
    """The name people read for a category code (``reqol10`` -> ``ReQoL-10``); others as given.

    Examples
    --------
    >>> category("reqol10"), category("CMHT North")
    ('ReQoL-10', 'CMHT North')
    """
    return _labels()["categories"].get(str(value), str(value))


def column_name(text, columns) -> str | None:
    """The column of ``columns`` that ``text`` names, by name or by label (case and spaces ignored)."""
    from cscs_eval.io import normalise_column

    wanted = normalise_column(text)
    for c in columns:
        if normalise_column(c) == wanted or normalise_column(label(c)) == wanted:
            return c
    return None


@functools.lru_cache(maxsize=1)
def _label_names() -> tuple:
    from cscs_eval.io import normalise_column

    return tuple((normalise_column(text), name) for name, text in _labels()["columns"].items()
                 if normalise_column(text) != name)


def label_names() -> dict:
    """Each labelled column's heading, normalised as readers normalise column names, mapped to its
    name (``paired_%`` -> ``paired_rate``); a heading with ``%`` made by rule maps back by rule
    (``follow_up_%`` -> ``follow_up_pct``) in the readers.

    Examples
    --------
    >>> label_names()["paired_referrals"]
    'n_paired'
    """
    return dict(_label_names())
