"""The vocabularies a logic model is checked against: ERIC strategies and outcome types.

The lists live as data beside this module (``data/eric_strategies.csv``,
``data/outcomes.yaml``), each with its source in its header; this module only reads them
and matches names.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
from pathlib import Path

from cscs_eval.errors import CscsEvalWarning, UsageError

DATA_DIR = Path(__file__).resolve().parent / "data"

#: The three outcome columns of an IRLM, in the order Proctor's model chains them.
OUTCOME_TYPES = ("implementation", "service", "clinical")

# British spellings an NHS user types for the ERIC names written in US English.
_SPELLING = (("organis", "organiz"), ("centralis", "centraliz"), ("utilis", "utiliz"),
             ("centred", "centered"))


class LocalStrategyWarning(CscsEvalWarning):
    """A strategy whose name is not one of the 73 ERIC strategies; it is kept as a local strategy."""


def name_key(text) -> str:
    """The form in which names are compared: lower case, British '-ise' as '-ize', letters and digits only.

    Examples
    --------
    >>> name_key("Recruit, designate, and train for leadership") == name_key("recruit designate and train for LEADERSHIP")
    True
    >>> name_key("Develop and organise quality-monitoring systems")
    'developandorganizequalitymonitoringsystems'
    """
    key = str(text).casefold()
    for british, american in _SPELLING:
        key = key.replace(british, american)
    return re.sub(r"[^0-9a-z]", "", key)


@functools.lru_cache(maxsize=1)
def _eric_rows() -> tuple:
    path = DATA_DIR / "eric_strategies.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return tuple(dict(row) for row in csv.DictReader(lines))


def eric_strategies():
    """The 73 ERIC implementation strategies with their concept-mapping clusters.

    Returns
    -------
    pandas.DataFrame
        Columns ``eric_id`` (1-73, the alphabetical order of Powell et al. 2015 Table 3),
        ``strategy``, ``cluster_id`` and ``cluster`` (the 9 clusters of Waltz et al. 2015).

    Examples
    --------
    >>> df = eric_strategies()
    >>> len(df), df["cluster"].nunique()
    (73, 9)
    """
    import pandas as pd

    df = pd.DataFrame(list(_eric_rows()))
    return df.assign(eric_id=df["eric_id"].astype(int), cluster_id=df["cluster_id"].astype(int))


@functools.lru_cache(maxsize=1)
def _eric_index() -> dict:
    return {name_key(row["strategy"]): row for row in _eric_rows()}


def match_eric(name):
    """Find the ERIC strategy a name stands for, ignoring case, spaces and punctuation.

    Returns
    -------
    dict or None
        ``{"eric_id", "strategy", "cluster_id", "cluster"}`` with the exact ERIC name, or
        None when the name is not an ERIC strategy.

    Examples
    --------
    >>> match_eric("identify & prepare CHAMPIONS.")["strategy"]
    'Identify and prepare champions'
    >>> match_eric("Develop and organise quality monitoring systems")["cluster"]
    'Use evaluative and iterative strategies'
    >>> match_eric("Weekly huddles") is None
    True
    """
    if name is None:
        return None
    key = name_key(name)
    row = _eric_index().get(key)
    if row is None:
        # "&" for "and" is common in slides and notes.
        row = _eric_index().get(name_key(str(name).replace("&", " and ")))
    if row is None:
        return None
    return {"eric_id": int(row["eric_id"]), "strategy": row["strategy"],
            "cluster_id": int(row["cluster_id"]), "cluster": row["cluster"]}


def close_eric_names(name, n: int = 3) -> list:
    """ERIC names that look like ``name``, for a 'did you mean' hint."""
    names = [row["strategy"] for row in _eric_rows()]
    by_key = {name_key(s): s for s in names}
    keys = difflib.get_close_matches(name_key(name), list(by_key), n=n, cutoff=0.6)
    return [by_key[k] for k in keys]


def _package_yaml(name: str):
    """One of the package's own YAML files, read with the limits every YAML file gets."""
    from cscs_eval.io import load_yaml

    path = DATA_DIR / name
    return load_yaml(path.read_text(encoding="utf-8"), file=path)


@functools.lru_cache(maxsize=1)
def _outcome_vocab() -> dict:
    return _package_yaml("outcomes.yaml")


def outcome_names(kind: str) -> list:
    """The standard outcome names of one type.

    ``implementation``: Proctor's eight; ``service``: the IOM six; ``clinical``: Proctor's
    client outcomes (suggestions only).

    Examples
    --------
    >>> outcome_names("implementation")[:3]
    ['Acceptability', 'Adoption', 'Appropriateness']
    >>> len(outcome_names("service"))
    6
    """
    if kind not in OUTCOME_TYPES:
        raise UsageError(f"kind must be one of {', '.join(OUTCOME_TYPES)}, got {kind!r}")
    return [entry["name"] for entry in _outcome_vocab()[kind]]


def outcome_definitions():
    """All standard outcomes as a DataFrame ``type, name, definition`` (definitions paraphrased)."""
    import pandas as pd

    rows = [{"type": kind, "name": e["name"], "definition": e["definition"]}
            for kind in OUTCOME_TYPES for e in _outcome_vocab()[kind]]
    return pd.DataFrame(rows)


def match_outcome(name, kind=None):
    """The standard name and type of an outcome name, or None.

    With ``kind`` only that type's names are searched.

    Examples
    --------
    >>> match_outcome("person-centredness")
    ('Patient-centeredness', 'service')
    >>> match_outcome("uptake", "implementation")
    ('Adoption', 'implementation')
    """
    if name is None:
        return None
    key = name_key(name)
    kinds = OUTCOME_TYPES if kind is None else (kind,)
    for k in kinds:
        for entry in _outcome_vocab()[k]:
            keys = {name_key(entry["name"])} | {name_key(a) for a in entry.get("aliases", ())}
            if key in keys:
                return entry["name"], k
    return None


@functools.lru_cache(maxsize=1)
def draft_suggestions() -> dict:
    """The starting strategy and mechanism per CFIR id and valence used by the drafter."""
    return _package_yaml("draft_suggestions.yaml")
