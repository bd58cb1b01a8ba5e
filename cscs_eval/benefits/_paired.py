"""Paired PROMs as benefit data: per-referral paired flags, IMD quintiles and per-team counts.

These turn the table :func:`cscs_eval.proms.outcomes` returns into the row-level inputs of
the benefit analyses: one row per eligible referral with a 0/1 ``paired`` outcome (NHS
England's paired-rate numerator over its eligible-referral denominator), ready for
:func:`~cscs_eval.benefits.inequality_gaps` and :func:`~cscs_eval.benefits.slope_index`,
and one row per team ready for :func:`~cscs_eval.benefits.funnel`.
"""

from __future__ import annotations

import pandas as pd

from cscs_eval.errors import InputError, UsageError

IMPROVED = "reliable improvement"


def imd_quintiles(deciles) -> pd.Series:
    """IMD quintiles (1 most deprived) from IMD deciles, element-wise; missing stays missing.

    The vectorised form of :func:`~cscs_eval.benefits.imd_quintile`: deciles 1-2 are
    quintile 1, ..., 9-10 quintile 5. Deciles may be numbers or text (as read from CSV).

    Parameters
    ----------
    deciles
        A sequence or Series of IMD deciles; empty or missing values give ``<NA>``.

    Returns
    -------
    pandas.Series
        ``Int64`` quintiles, with the input's index when a Series is given.

    Raises
    ------
    InputError
        A value that is not a whole number from 1 to 10 (the first one is named).

    Examples
    --------
    >>> imd_quintiles(["1", "2", "10", None]).tolist()
    [1, 1, 5, <NA>]
    """
    raw = deciles if isinstance(deciles, pd.Series) else pd.Series(list(deciles), dtype=object)
    text = raw.astype(object).where(raw.notna(), None)
    blank = text.map(lambda v: v is None or str(v).strip() == "")
    num = pd.to_numeric(text.where(~blank, None), errors="coerce")
    bad = ~blank & (num.isna() | (num < 1) | (num > 10) | (num % 1 != 0))
    if bad.any():
        first = raw[bad].iloc[0]
        raise InputError(f"an IMD decile runs from 1 to 10; got {first!r} ({int(bad.sum())} such value(s))",
                         column=raw.name if isinstance(raw.name, str) else None)
    return ((num + 1) // 2).astype("Int64").rename(raw.name)


def paired_referrals(outcomes, *, eligible_only: bool = True) -> pd.DataFrame:
    """One row per referral with ``paired`` (1 if any unit of change is paired) and ``imd_quintile``.

    Parameters
    ----------
    outcomes
        What :func:`cscs_eval.proms.outcomes` returns, run with a referrals file (its
        eligibility table is the result's ``.referrals``).
    eligible_only
        Keep only NHS England's eligible referrals (the paired-rate denominator).

    Returns
    -------
    pandas.DataFrame
        The referral table (``referral_id, patient_id, team, ..., eligible`` and any
        demographics) with ``paired`` (0/1 int) and, when ``imd_decile`` is present,
        ``imd_quintile`` (``Int64``, missing where the decile is).

    Raises
    ------
    InputError
        ``outcomes`` carries no referral table (it was computed without referrals).

    Examples
    --------
    >>> import warnings
    >>> from cscs_eval import proms
    >>> from cscs_eval.io import resolve_path
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     out = proms.outcomes(resolve_path("data/sample/proms.csv"),
    ...                          referrals=resolve_path("data/sample/referrals.csv"), drop_invalid=True)
    >>> ref = paired_referrals(out)
    >>> bool(ref["eligible"].all()), sorted(ref["paired"].unique().tolist())
    (True, [0, 1])
    """
    referrals = outcomes.referrals
    if referrals is None:
        raise InputError("the PROMs outcomes carry no referral table: run cscs_eval.proms.outcomes with "
                         "referrals= to get the eligible-referral denominators")
    paired_ids = set(outcomes.table.loc[outcomes.table["paired"].fillna(False).astype(bool), "referral_id"])
    if eligible_only:
        referrals = referrals[referrals["eligible"].astype(bool)]
    out = referrals.assign(paired=referrals["referral_id"].isin(paired_ids).astype(int))
    if "imd_decile" in out.columns:
        out = out.assign(imd_quintile=imd_quintiles(out["imd_decile"]))
    return out.reset_index(drop=True)


def paired_counts(referrals: pd.DataFrame, *, by: str = "team", outcome: str = "paired") -> pd.DataFrame:
    """Per group: ``numerator`` (rows with the outcome) and ``denominator`` (rows), ready for ``funnel``.

    Parameters
    ----------
    referrals
        One row per referral with a 0/1 outcome, as :func:`paired_referrals` returns.
    by
        The grouping column (``team``).
    outcome
        The 0/1 column counted in the numerator.

    Returns
    -------
    pandas.DataFrame
        ``<by>, numerator, denominator``, one row per group, sorted by group.

    Examples
    --------
    >>> df = pd.DataFrame({"team": ["A", "A", "B"], "paired": [1, 0, 1]})
    >>> paired_counts(df).values.tolist()
    [['A', 1, 2], ['B', 1, 1]]
    """
    for role, col in (("by", by), ("outcome", outcome)):
        if col not in referrals.columns:
            raise UsageError(f"{role} column {col!r} not found; columns are {', '.join(map(str, referrals.columns))}")
    flag = pd.to_numeric(referrals[outcome], errors="coerce")
    if flag.isna().any() or not flag.isin([0, 1]).all():
        raise InputError(f"outcome column {outcome!r} must be 0 or 1 on every row", column=outcome)
    return (referrals.assign(**{outcome: flag.astype(int)})
            .groupby(by, as_index=False, sort=True)
            .agg(numerator=(outcome, "sum"), denominator=(outcome, "size")))


def paired_by(outcomes, *, by: str = "team", suppress: bool = True) -> pd.DataFrame:
    """Per group: ``paired`` (eligible referrals with a paired baseline and follow-up) and ``eligible``
    (NHS England's eligible referrals): the input of :func:`~cscs_eval.benefits.funnel`
    (``numerator="paired", denominator="eligible"``) and of ``cscs-eval benefits funnel``.

    Parameters
    ----------
    outcomes
        What :func:`cscs_eval.proms.outcomes` returns, run with a referrals file.
    by
        The grouping column of the referrals (``team``, or an equality group with demographics).
    suppress
        Publish the counts under the small-number rules (the default). A funnel needs the exact
        counts: pass ``suppress=False`` for its input and publish the funnel's own table.

    Examples
    --------
    Team A has three eligible referrals (R1 paired), team B one (R4, paired); R3 is not eligible:

    >>> from types import SimpleNamespace
    >>> ref = pd.DataFrame({"referral_id": ["R1", "R2", "R3", "R4", "R5"], "team": ["A", "A", "A", "B", "A"],
    ...                     "eligible": [True, True, False, True, True]})
    >>> out = SimpleNamespace(referrals=ref, table=pd.DataFrame({"referral_id": ["R1", "R3", "R4"],
    ...                                                          "paired": [True, True, True]}))
    >>> paired_by(out, suppress=False).values.tolist()
    [['A', 1, 3], ['B', 1, 1]]
    """
    from cscs_eval.governance import TableStructure, protect

    counts = paired_counts(paired_referrals(outcomes), by=by).rename(
        columns={"numerator": "paired", "denominator": "eligible"})
    if not suppress:  # the funnel's input: exact counts, no structure (it is not published)
        return counts
    return protect(counts.reset_index(drop=True), TableStructure(f"paired_by_{by}", key=(by,),
                                                                 counts=("paired", "eligible"))).table


def paired_changes(outcomes: pd.DataFrame, *, measure: str = "reqol10", unit: str = "total",
                   require_imd: bool = False, eligible_only: bool = False) -> pd.DataFrame:
    """The paired rows of one measure's unit with ``improved`` (0/1) and ``imd_quintile``.

    Parameters
    ----------
    outcomes
        The table :func:`cscs_eval.proms.outcomes` returns.
    measure, unit
        Which change: a measure key and a unit of change (``total``, ``item 1``, ``goal 1``).
    require_imd
        Keep only the rows with an IMD quintile (those a deprivation gradient can place);
        an error if the outcomes carry no ``imd_decile``.
    eligible_only
        Keep only NHS England's eligible referrals (an ``eligible`` column, from a referrals
        file), the cohort the PROMs outcomes report's reliable-improvement share counts.

    Returns
    -------
    pandas.DataFrame
        Paired rows with ``change``, ``improved`` (1 for a reliable improvement) and, when
        ``imd_decile`` is present, ``imd_quintile``.

    Examples
    --------
    >>> df = pd.DataFrame({"measure": ["reqol10"] * 3, "unit": ["total"] * 3, "paired": [True, True, False],
    ...                    "change": [6.0, 1.0, None],
    ...                    "category": ["reliable improvement", "no reliable change", None],
    ...                    "imd_decile": ["1", "10", "4"]})
    >>> paired_changes(df)[["improved", "imd_quintile"]].values.tolist()
    [[1, 1], [0, 5]]
    """
    if require_imd and "imd_decile" not in outcomes.columns:
        raise InputError("the PROMs outcomes have no imd_decile: join demographics (demographics= in "
                         "cscs_eval.proms.outcomes) to break changes down by deprivation")
    keep = ((outcomes["measure"].astype(str) == measure) & (outcomes["unit"].astype(str) == unit)
            & outcomes["paired"].fillna(False).astype(bool))
    if eligible_only and "eligible" in outcomes.columns:
        keep &= outcomes["eligible"].fillna(False).astype(bool)
    out = outcomes[keep]
    out = out.assign(improved=(out["category"].astype(str) == IMPROVED).astype(int))
    if "imd_decile" in out.columns:
        out = out.assign(imd_quintile=imd_quintiles(out["imd_decile"]))
    if require_imd:
        out = out[out["imd_quintile"].notna()]
    return out.reset_index(drop=True)
