"""Agreement between two coders: on which constructs apply, on ratings, and on case-level ratings.

Excerpts are matched by ``excerpt_id`` (coded notes and sheets without ids get an id made from case,
source and excerpt text, so the same excerpt matches across files); an excerpt whose id the other coder
does not use is matched by case, source and text. Only excerpts present in both coders' files are
compared.

* **Presence** (per construct, over the shared excerpts): percent agreement (both applied it or both
  did not) and Cohen's kappa on the 2 x 2 table.
* **Ratings** (per construct, over excerpts both coded to it with a numeric rating, X and M left out):
  linearly weighted Cohen's kappa over the five ordered categories -2..+2, and Krippendorff's alpha
  with the ordinal metric (Krippendorff 2011, "Computing Krippendorff's alpha-reliability").
* **Case level**: the same rating statistics on the two coders' case ratings (the rule of
  :func:`~cscs_eval.cfir.rate_cases`).

The ``overall`` row pools every construct coded by either coder: percent agreement over every
(construct, excerpt) pair, Cohen's kappa as De Vries et al.'s (2008) pooled kappa (chance agreement
worked out per construct, then averaged), and the rating statistics over every pair of ratings.
All values are on the 0-1 scale (kappa and alpha can be negative); a statistic that is undefined (no
variation, no pairs) is missing, and so are weighted kappa and alpha from a single rated pair: chance
agreement worked out from that one pair equals what was observed, so they come out 0 whatever the two
ratings are, which says nothing (:func:`blank_reason` words why a value is missing).

Notes
-----
Cohen's kappa: ``(po - pe) / (1 - pe)`` with ``pe`` from the margins. Weighted kappa:
``1 - sum(w * observed) / sum(w * expected)`` with ``w = |i - j|``. These match
``statsmodels.stats.inter_rater.cohens_kappa`` (tests compare them) and the ordinal alpha matches
the ``krippendorff`` package.
"""

from __future__ import annotations

import numpy as np

from cscs_eval.cfir._codebook import get_codebook
from cscs_eval.cfir._coding import load_coding
from cscs_eval.cfir._ratings import _order, rate_cases
from cscs_eval.cfir._tidy import excerpt_keys, unpack
from cscs_eval.errors import InputError, UsageError

__all__ = ["agreement", "case_agreement", "disagreements", "cohen_kappa", "pooled_kappa", "weighted_kappa",
           "krippendorff_alpha_ordinal", "blank_reason", "blank_note"]

_LEVELS = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])

#: The agreement table's columns as DESIGN.md names them (``construct`` and ``n_rated`` follow).
AGREEMENT_COLUMNS = ["construct_id", "n_excerpts", "percent_agreement", "kappa", "weighted_kappa",
                     "krippendorff_alpha"]


def _paired(a, b):
    """The two raters' labels as lists of the same length (a UsageError otherwise)."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise UsageError(f"a and b must hold one label per unit each, the same number; got {len(a)} and {len(b)}")
    return a, b


def _table(a, b, levels):
    index = {v: i for i, v in enumerate(levels)}
    unknown = [v for v in dict.fromkeys([*a, *b]) if v not in index]
    if unknown:
        raise UsageError(f"ratings must be among levels {', '.join(map(str, levels))}; got "
                         f"{', '.join(map(repr, unknown[:5]))}")
    t = np.zeros((len(levels), len(levels)))
    for x, y in zip(a, b):
        t[index[x], index[y]] += 1
    return t


def cohen_kappa(a, b, *, levels=None) -> float:
    """Cohen's kappa of two raters' labels (NaN when undefined).

    Examples
    --------
    >>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 3)
    0.5
    """
    a, b = _paired(a, b)
    if not a:
        return float("nan")
    levels = sorted(set(a) | set(b)) if levels is None else list(levels)
    t = _table(a, b, levels)
    n = t.sum()
    po = np.trace(t) / n
    pe = (t.sum(1) @ t.sum(0)) / n**2
    return float("nan") if np.isclose(pe, 1.0) else float((po - pe) / (1 - pe))


def pooled_kappa(observed, expected) -> float:
    """Pooled kappa over several codes (De Vries et al. 2008): ``(mean(po) - mean(pe)) / (1 - mean(pe))``.

    ``observed`` and ``expected`` hold each code's observed and chance agreement. Unlike a kappa of
    the pooled 2 x 2 table, chance agreement is worked out code by code, so a code that is common
    for one coder and rare for the other is not hidden by the others.

    Notes
    -----
    De Vries H, Elliott MN, Kanouse DE, Teleki SS. Using pooled kappa to summarize interrater agreement
    across many items. *Field Methods* 2008;20(3):272-282. Dedoose reports this statistic.

    Examples
    --------
    >>> round(pooled_kappa([0.5, 0.5], [0.625, 0.625]), 4)
    -0.3333
    """
    po, pe = float(np.mean(observed)), float(np.mean(expected))
    return float("nan") if np.isclose(pe, 1.0) else (po - pe) / (1 - pe)


def weighted_kappa(a, b, *, levels=_LEVELS) -> float:
    """Linearly weighted Cohen's kappa over ordered ``levels`` (default -2..+2).

    NaN with fewer than two pairs (one pair gives 0 whatever its ratings) or when both raters used
    one level only (no chance disagreement).

    Examples
    --------
    >>> round(weighted_kappa([1, 2, -1], [1, 1, -1]), 4), weighted_kappa([1], [-1])  # 1 - 1 / (11/3)
    (0.7273, nan)
    """
    a, b = _paired(a, b)
    if len(a) < 2:
        return float("nan")
    levels = np.asarray(levels, dtype=float)
    t = _table(a, b, list(levels))
    n = t.sum()
    k = len(levels)
    w = np.abs(np.subtract.outer(np.arange(k), np.arange(k)))
    expected = np.outer(t.sum(1), t.sum(0)) / n
    den = (w * expected).sum()
    return float("nan") if den == 0 else float(1 - (w * t).sum() / den)


def krippendorff_alpha_ordinal(units, *, levels=_LEVELS) -> float:
    """Krippendorff's alpha (ordinal metric) for units rated by two or more coders.

    Parameters
    ----------
    units
        Iterable of sequences, one per unit, holding the values given by the coders (NaN/None for a
        coder who gave none). Units with fewer than two values are not pairable and are skipped.
    levels
        The ordered value domain; the ordinal distance uses the frequencies of every level.

    Returns NaN with fewer than two pairable units (one unit gives 0 whatever its values) or no
    variation in the values.
    """
    levels = list(levels)
    index = {v: i for i, v in enumerate(levels)}
    k = len(levels)
    o = np.zeros((k, k))
    n_units = 0
    for unit in units:
        vals = [v for v in unit if v is not None and v == v]
        m = len(vals)
        if m < 2:
            continue
        counts = np.zeros(k)
        for v in vals:
            if v not in index:
                raise UsageError(f"ratings must be among levels {', '.join(map(str, levels))}; got {v!r}")
            counts[index[v]] += 1
        pair = np.outer(counts, counts) - np.diag(counts)
        o += pair / (m - 1)
        n_units += 1
    n_c = o.sum(1)
    n = n_c.sum()
    if n_units < 2:
        return float("nan")
    cum = np.cumsum(n_c)
    delta = np.zeros((k, k))
    for c in range(k):
        for g in range(c, k):
            d = (cum[g] - (cum[c - 1] if c else 0.0)) - (n_c[c] + n_c[g]) / 2
            delta[c, g] = delta[g, c] = d * d
    d_o = (o * delta).sum()
    d_e = (np.outer(n_c, n_c) * delta).sum()
    return float("nan") if d_e == 0 else float(1 - (n - 1) * d_o / d_e)


def blank_reason(n_rated) -> str:
    """Why weighted kappa and alpha are missing for a row that compared ``n_rated`` ratings.

    Examples
    --------
    >>> blank_reason(1)
    'only one rating was compared, and chance agreement from a single pair makes the statistic 0 whatever the ratings'
    """
    n_rated = int(n_rated)
    if n_rated == 0:
        return "no rating was compared: the coders gave no numeric rating to the same excerpt"
    if n_rated == 1:
        return ("only one rating was compared, and chance agreement from a single pair makes the statistic 0 "
                "whatever the ratings")
    return "every rating was the same, so chance agreement is perfect and the statistic undefined"


def blank_note(table, *, id_column: str = "construct_id", n_column: str = "n_rated") -> str | None:
    """One line saying which rows have weighted kappa or alpha blank and why (None if none).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"construct_id": ["I.F", "V.F"], "n_rated": [1, 4], "weighted_kappa": [float("nan"), 0.5],
    ...                   "krippendorff_alpha": [float("nan"), 0.4]})
    >>> blank_note(t)[:60]
    'Weighted kappa and alpha are blank for I.F (only one rating '
    """
    blank = table[table["weighted_kappa"].isna() | table["krippendorff_alpha"].isna()]
    if blank.empty:
        return None
    by_reason: dict[str, list] = {}
    for row_id, n in zip(blank[id_column], blank[n_column]):
        by_reason.setdefault(blank_reason(n), []).append(str(row_id))
    parts = [f"{', '.join(ids)} ({reason})" for reason, ids in by_reason.items()]
    return "Weighted kappa and alpha are blank for " + "; ".join(parts) + "."


def _load(coder, aliases, name):
    """A coder's coding table, from a Coding, a table, or files to read."""
    import pandas as pd

    if isinstance(coder, (str, list, tuple)) or hasattr(coder, "__fspath__"):
        return load_coding(coder, aliases=aliases).table
    if not isinstance(coder, pd.DataFrame) and not hasattr(coder, "table"):
        raise UsageError(f"{name} must be a Coding, a coding table or the path of a coder's files; "
                         f"got {type(coder).__name__}")
    return unpack(coder, name=name)[0]


def _aligned(a, b):
    """Coder B's table with its excerpt ids matched to coder A's (DESIGN.md "Agreement").

    An excerpt is matched by ``excerpt_id``; an excerpt of B whose id A does not use is matched by its
    case, source and text instead, so a sheet with ids can be compared with notes or a sheet without.
    """
    import pandas as pd

    ids_a = set(a["excerpt_id"])
    by_text = dict(zip(excerpt_keys(a["case"], a["source"], a["excerpt"]), a["excerpt_id"]))
    keys_b = excerpt_keys(b["case"], b["source"], b["excerpt"])
    matched = [eid if eid in ids_a else by_text.get(k, eid) for eid, k in zip(b["excerpt_id"], keys_b)]
    b = b.copy()
    b["excerpt_id"] = pd.array(matched, dtype="string")
    return a, b


def _shared(a, b):
    ids = set(a["excerpt_id"]) & set(b["excerpt_id"])
    if not ids:
        raise InputError("the two coders share no excerpt: match them by excerpt_id, or by identical case, "
                         "source and excerpt text")
    return sorted(ids)


def _pairs(a, b):
    """Outer join of the two coders' codes on shared excerpts: excerpt_id, construct_id, rating_a/b."""
    ids = _shared(a, b)
    cols = ["excerpt_id", "construct_id", "rating", "rating_value"]
    aa = a[a["excerpt_id"].isin(ids)][cols].drop_duplicates(["excerpt_id", "construct_id"])
    bb = b[b["excerpt_id"].isin(ids)][cols].drop_duplicates(["excerpt_id", "construct_id"])
    m = aa.merge(bb, on=["excerpt_id", "construct_id"], how="outer", suffixes=("_a", "_b"), indicator=True)
    return ids, m


def _rating_stats(va, vb):
    ok = ~(np.isnan(va) | np.isnan(vb))
    va, vb = va[ok], vb[ok]
    if len(va) == 0:
        return 0, float("nan"), float("nan"), float("nan")
    exact = float(np.mean(va == vb))
    return (len(va), exact, weighted_kappa(va, vb),
            krippendorff_alpha_ordinal(list(zip(va, vb))))


def agreement(coder_a, coder_b, *, aliases=None):
    """Agreement between two coders per construct and overall (DESIGN.md "Agreement").

    Parameters
    ----------
    coder_a, coder_b
        The two coders' codings: Codings, coding tables, or paths (files or folders).
    aliases
        Alias file or mapping used to read paths.

    Returns
    -------
    pandas.DataFrame
        ``construct_id, n_excerpts, percent_agreement, kappa, weighted_kappa, krippendorff_alpha``
        (DESIGN.md), then ``construct`` and ``n_rated``, with a last row ``overall``. ``n_excerpts`` is the number of
        shared excerpts either coder coded to the construct (for ``overall``: all shared excerpts);
        ``percent_agreement`` and ``kappa`` are on presence over all shared excerpts; the rating
        statistics use the ``n_rated`` excerpts both coders rated numerically.
    """
    import pandas as pd

    a, b = _aligned(_load(coder_a, aliases, "coder_a"), _load(coder_b, aliases, "coder_b"))
    ids, m = _pairs(a, b)
    n = len(ids)
    cb = get_codebook()
    rows = []
    pooled_a, pooled_b, pooled_po, pooled_pe = [], [], [], []
    order = _order()
    for cid, grp in sorted(m.groupby("construct_id"), key=lambda t: order[t[0]]):
        pa = np.zeros(n, dtype=int)
        pb = np.zeros(n, dtype=int)
        pos = {e: i for i, e in enumerate(ids)}
        for e, ind in zip(grp["excerpt_id"], grp["_merge"]):
            if ind in ("both", "left_only"):
                pa[pos[e]] = 1
            if ind in ("both", "right_only"):
                pb[pos[e]] = 1
        pooled_a.append(pa)
        pooled_b.append(pb)
        ma, mb = pa.mean(), pb.mean()
        pooled_po.append(float(np.mean(pa == pb)))
        pooled_pe.append(float(ma * mb + (1 - ma) * (1 - mb)))
        nr, _, wk, al = _rating_stats(grp["rating_value_a"].to_numpy(dtype=float),
                                      grp["rating_value_b"].to_numpy(dtype=float))
        rows.append({"construct_id": cid, "construct": cb.label(cid), "n_excerpts": len(grp),
                     "percent_agreement": float(np.mean(pa == pb)), "kappa": cohen_kappa(pa, pb, levels=[0, 1]),
                     "weighted_kappa": wk, "krippendorff_alpha": al, "n_rated": nr})
    pa, pb = np.concatenate(pooled_a), np.concatenate(pooled_b)
    nr, _, wk, al = _rating_stats(m["rating_value_a"].to_numpy(dtype=float), m["rating_value_b"].to_numpy(dtype=float))
    rows.append({"construct_id": "overall", "construct": "All constructs", "n_excerpts": n,
                 "percent_agreement": float(np.mean(pa == pb)), "kappa": pooled_kappa(pooled_po, pooled_pe),
                 "weighted_kappa": wk, "krippendorff_alpha": al, "n_rated": nr})
    out = pd.DataFrame(rows)[AGREEMENT_COLUMNS + ["construct", "n_rated"]]
    return out.astype({"construct_id": "string", "construct": "string", "n_excerpts": "int64", "n_rated": "int64"})


def case_agreement(coder_a, coder_b, *, aliases=None):
    """Agreement on case-level ratings (each coder's excerpts rated per case by the same rule).

    Both coders' case ratings are derived from the **shared excerpts only**, so that they rate the
    same evidence (a second coder who coded part of the notes is not compared with ratings drawn
    from notes they never saw); case-ratings files are not used, since they record the consensus.

    Returns ``construct_id, construct, n_cases, percent_agreement, weighted_kappa, krippendorff_alpha``
    per construct rated by both coders in at least one shared case, then ``overall``;
    ``percent_agreement`` is exact agreement of the two case ratings (X and M left out).
    """
    import pandas as pd

    a, b = _aligned(_load(coder_a, aliases, "coder_a"), _load(coder_b, aliases, "coder_b"))
    ids = _shared(a, b)
    # bare tables of the shared excerpts: derived ratings only, no case-ratings overrides
    ra = rate_cases(a[a["excerpt_id"].isin(ids)])
    rb = rate_cases(b[b["excerpt_id"].isin(ids)])
    m = ra.merge(rb, on=["case", "construct_id"], suffixes=("_a", "_b"))
    order = _order()
    rows = []
    for cid, grp in sorted(m.groupby("construct_id"), key=lambda t: order[t[0]]):
        nr, exact, wk, al = _rating_stats(grp["rating_value_a"].to_numpy(dtype=float),
                                          grp["rating_value_b"].to_numpy(dtype=float))
        rows.append({"construct_id": cid, "construct": grp["construct_a"].iloc[0], "n_cases": nr,
                     "percent_agreement": exact, "weighted_kappa": wk, "krippendorff_alpha": al})
    nr, exact, wk, al = _rating_stats(m["rating_value_a"].to_numpy(dtype=float), m["rating_value_b"].to_numpy(dtype=float))
    rows.append({"construct_id": "overall", "construct": "All constructs", "n_cases": nr, "percent_agreement": exact,
                 "weighted_kappa": wk, "krippendorff_alpha": al})
    return pd.DataFrame(rows).astype({"construct_id": "string", "n_cases": "int64"})


def disagreements(coder_a, coder_b, *, aliases=None):
    """Every difference between the two coders on shared excerpts, for the consensus meeting.

    Returns ``excerpt_id, case, source, excerpt, construct_id, construct, rating_a, rating_b, difference`` where
    ``difference`` is ``only coder A``, ``only coder B`` or ``rating`` (both coded it, ratings differ).
    """
    a, b = _aligned(_load(coder_a, aliases, "coder_a"), _load(coder_b, aliases, "coder_b"))
    _, m = _pairs(a, b)
    cb = get_codebook()
    diff = m[(m["_merge"] != "both") | (m["rating_a"] != m["rating_b"])].copy()
    diff["difference"] = diff["_merge"].map({"left_only": "only coder A", "right_only": "only coder B",
                                             "both": "rating"}).astype("string")
    info = a.drop_duplicates("excerpt_id").set_index("excerpt_id")[["case", "source", "excerpt", "line"]]
    diff = diff.join(info, on="excerpt_id")
    diff["construct"] = diff["construct_id"].map(cb.label).astype("string")
    diff = diff.sort_values(["case", "source", "line", "construct_id"]).reset_index(drop=True)
    return diff[["excerpt_id", "case", "source", "excerpt", "construct_id", "construct", "rating_a", "rating_b",
                 "difference"]]
