"""Case-level ratings, the construct x case matrix, construct summaries, distinguishing constructs, themes.

Rules (thresholds in ``data/rules.yaml``)
-----------------------------------------
**Case rating** of a construct, from that case's excerpt ratings (Damschroder & Lowery 2013 rate per
case; this derives a first rating that the case memo can overrule):

* no rated excerpt (only ``M``) gives ``M``;
* if at least half of the rated excerpts are ``X``, or excerpts pull both ways and the mean of the
  numeric ratings is within 0.5 of zero, the case is ``X`` (mixed);
* otherwise the mean of the numeric ratings: ``|mean| >= 1.5`` is strong (``+2``/``-2``),
  ``|mean| >= 0.5`` weak (``+1``/``-1``), below that ``0``.

A **case-ratings file** (``case, construct, rating, rationale``) overrides the derived rating for
that case and construct and may rate constructs no excerpt was coded to.

**Classification** of a construct across cases, from the mean of its numeric case ratings:
``>= 1.5`` strong facilitator, ``>= 0.5`` weak facilitator, ``<= -1.5`` strong barrier,
``<= -0.5`` weak barrier, otherwise mixed (also when only ``0``/``X`` ratings exist); only ``M``
gives insufficient data. So +2/-2 evidence is strong, +1/-1 weak, X or 0 mixed (DESIGN.md).

**Distinguishing constructs** (Damschroder & Lowery 2013): with cases in a high and a low group,
a construct is *strongly distinguishing* when every high case is rated at least 2 points above
every low case (lowest high rating minus highest low rating >= 2), *weakly distinguishing* when
the high group's mean case rating exceeds the low group's by at least 1, *not distinguishing*
otherwise (Damschroder & Lowery's "mixed"), and has *insufficient data* when a group has no
numeric rating. This reproduces every labelled row of a published CFIR matrix that used the method
(J Med Internet Res 2015;17(11):e262, doi:10.2196/jmir.5091, Table 2; see ``tests/reference/cfir``).

Every function takes a :class:`~cscs_eval.cfir.Coding` (whose case ratings it applies) or a bare
coding table (which has none); ``case_ratings=`` gives a case-ratings file or table instead.
"""

from __future__ import annotations

import numpy as np

from cscs_eval.cfir._codebook import DOMAINS, get_codebook, resolve_construct
from cscs_eval.cfir._syntax import RATING_VALUES
from cscs_eval.cfir._tidy import load_rules, read_case_ratings, unpack
from cscs_eval.errors import InputError, SuspiciousDataWarning, UsageError
from cscs_eval.stats import round_half_up

__all__ = ["rate_cases", "matrix", "summarise", "counts_by_domain", "coverage", "distinguishing_constructs",
           "themes_table", "CLASSIFICATIONS", "PooledCodersWarning"]


class PooledCodersWarning(SuspiciousDataWarning):
    """Excerpts coded by more than one coder are pooled in a summary, so they count more than once."""


def _warn_pooled_coders(coding):
    import warnings

    if "coder" not in coding.columns or coding["coder"].nunique() < 2:
        return
    per_excerpt = coding.dropna(subset=["coder"]).groupby("excerpt_id")["coder"].nunique()
    shared = int((per_excerpt > 1).sum())
    if shared:
        coders = ", ".join(sorted(coding["coder"].dropna().unique()))
        warnings.warn(f"{shared} excerpt(s) were coded by more than one coder ({coders}) and are pooled, so they "
                      "count more than once; summarise the consensus coding or one coder's files "
                      "(compare coders with 'cscs-eval cfir agreement')", PooledCodersWarning, stacklevel=3)

#: Construct classifications, from most helpful to most hindering.
CLASSIFICATIONS = ["strong facilitator", "weak facilitator", "mixed", "weak barrier", "strong barrier",
                   "insufficient data"]

SUMMARY_COLUMNS = ["construct_id", "construct", "domain", "n_excerpts", "n_cases", "mean_rating", "classification"]


def _order():
    return {r["id"]: i for i, r in enumerate(get_codebook().rows)}


def _values_to_rating(mean, n_pos, n_neg, n_x, n_rated):
    """Vectorised case rule; arguments are aligned numpy arrays."""
    rule = load_rules()["case_rating"]
    absm = np.abs(mean)
    sign = np.where(mean >= 0, "+", "-")
    out = np.where(absm >= rule["strong_mean_at_least"], np.char.add(sign, "2"),
                   np.where(absm >= 0.5, np.char.add(sign, "1"), "0"))
    with np.errstate(invalid="ignore", divide="ignore"):
        mixed = (n_x / np.where(n_rated == 0, 1, n_rated) >= rule["mixed_share"]) | (
            (n_pos > 0) & (n_neg > 0) & (absm < rule["mixed_mean_below"]))
    out = np.where(mixed | np.isnan(mean), "X", out)
    return np.where(n_rated == 0, "M", out)


def _overrides(coding, case_ratings):
    """The coding table and the case ratings that apply: those given, else the Coding's own."""
    table, stored, aliases = unpack(coding)
    if case_ratings is None:
        return table, stored
    return table, read_case_ratings(case_ratings, aliases=aliases or None)


def rate_cases(coding, *, case_ratings=None, by="case"):
    """Rate each construct per case from the excerpt ratings, then apply the case-ratings overrides.

    Parameters
    ----------
    coding
        A :class:`~cscs_eval.cfir.Coding` from :func:`~cscs_eval.cfir.load_coding`, or a coding table.
    case_ratings
        Case-ratings file or DataFrame (``case, construct, rating, rationale``); default: the Coding's
        own (those given to ``load_coding``). Overrides apply only when ``by="case"``.
    by
        The unit that is rated: ``case`` (the CFIR default) or another column such as ``source``.

    Returns
    -------
    pandas.DataFrame
        ``case, construct_id, construct, domain, n_excerpts, rating, rating_value, basis, rationale``
        where ``basis`` is ``excerpts`` or ``case rating``; the first column is named after ``by``.

    Examples
    --------
    >>> import pandas as pd
    >>> coding = pd.DataFrame({"case": ["A", "A", "B"], "construct_id": ["I.F"] * 3,
    ...                        "rating": ["-2", "-1", "+1"], "rating_value": [-2.0, -1.0, 1.0]})
    >>> rate_cases(coding)[["case", "rating"]].to_dict("list")
    {'case': ['A', 'B'], 'rating': ['-2', '+1']}
    """
    import pandas as pd

    table, overrides = _overrides(coding, case_ratings)
    _check_by(table, by)
    cb = get_codebook()
    df = table.dropna(subset=["construct_id"])
    val = df["rating_value"]
    g = pd.DataFrame({
        by: df[by], "construct_id": df["construct_id"],
        "n": 1, "num": val.notna().astype("int64"), "sum": val.fillna(0.0),
        "pos": (val > 0).astype("int64"), "neg": (val < 0).astype("int64"),
        "x": (df["rating"] == "X").astype("int64"),
    }).groupby([by, "construct_id"], sort=False, observed=True).sum().reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (g["sum"] / g["num"].where(g["num"] > 0)).to_numpy(dtype="float64")
    rated = (g["num"] + g["x"]).to_numpy()
    rating = _values_to_rating(mean, g["pos"].to_numpy(), g["neg"].to_numpy(), g["x"].to_numpy(), rated)
    out = pd.DataFrame({by: g[by].astype("string"), "construct_id": g["construct_id"].astype("string"),
                        "n_excerpts": g["n"].astype("int64"), "rating": pd.array(rating, dtype="string"),
                        "basis": "excerpts", "rationale": pd.Series(pd.NA, index=g.index, dtype="string")})
    if by == "case" and overrides is not None and len(overrides):
        ov = overrides.rename(columns={"rating": "rating_cr", "rationale": "rationale_cr"})[
            ["case", "construct_id", "rating_cr", "rationale_cr"]]
        out = out.merge(ov, on=["case", "construct_id"], how="outer")
        has = out["rating_cr"].notna()
        out["rating"] = out["rating_cr"].where(has, out["rating"])
        out["rationale"] = out["rationale_cr"].where(has, out["rationale"])
        out["basis"] = out["basis"].where(~has, "case rating")
        out["n_excerpts"] = out["n_excerpts"].fillna(0).astype("int64")
        out = out.drop(columns=["rating_cr", "rationale_cr"])
    labels = {r["id"]: r["label"] for r in cb.rows}
    domains = {r["id"]: r["domain"] for r in cb.rows}
    order = _order()
    out = out.assign(construct=out["construct_id"].map(labels).astype("string"),
                     domain=out["construct_id"].map(domains).astype("string"),
                     rating_value=out["rating"].map(RATING_VALUES).astype("float64"),
                     _o=out["construct_id"].map(order))
    out = out.sort_values(["_o", by], kind="stable").drop(columns="_o").reset_index(drop=True)
    return out[[by, "construct_id", "construct", "domain", "n_excerpts", "rating", "rating_value", "basis",
                "rationale"]]


def _check_by(table, by):
    if by not in table.columns:
        allowed = [c for c in ("case", "source", "coder") if c in table.columns]
        raise UsageError(f"by must be a column of the coding table such as {' or '.join(map(repr, allowed))}, "
                         f"got {by!r}")


def matrix(coding, *, case_ratings=None, by="case", fill="M", values="rating"):
    """The construct x case matrix of case ratings (Damschroder & Lowery 2013).

    Rows are the constructs coded anywhere, in codebook order (``construct_id``, ``construct``,
    ``domain`` columns first); one column per case with its rating (``values="rating"``, missing
    shown as ``fill``) or its numeric value (``values="rating_value"``, missing as NaN).
    """
    if values not in ("rating", "rating_value"):
        raise UsageError(f"values must be 'rating' or 'rating_value', got {values!r}")
    _warn_pooled_coders(unpack(coding)[0])
    cr = rate_cases(coding, case_ratings=case_ratings, by=by)
    wide = cr.pivot(index=["construct_id", "construct", "domain"], columns=by, values=values)
    order = _order()
    wide = wide.reset_index()
    wide = wide.assign(_o=wide["construct_id"].map(order)).sort_values("_o").drop(columns="_o")
    wide.columns.name = None
    cases = [c for c in wide.columns if c not in ("construct_id", "construct", "domain")]
    if values == "rating":
        wide[cases] = wide[cases].astype("string").fillna(fill)
    return wide.reset_index(drop=True)


def _classify(mean, any_rated, any_x):
    cls = load_rules()["classification"]
    strong, weak = cls["strong_at_least"], cls["weak_at_least"]
    out = np.select([mean >= strong, mean >= weak, mean <= -strong, mean <= -weak],
                    ["strong facilitator", "weak facilitator", "strong barrier", "weak barrier"], "mixed")
    out = np.where(np.isnan(mean) & ~any_x, "insufficient data", out)
    return np.where(~any_rated, "insufficient data", out)


def summarise(coding, *, case_ratings=None, by="case", all_constructs=False):
    """One row per construct: ``construct_id, construct, domain, n_excerpts, n_cases, mean_rating,
    classification`` (DESIGN.md), plus ``n_facilitating``, ``n_hindering`` and ``n_mixed`` cases.

    ``n_excerpts`` counts coded excerpts, ``n_cases`` the cases with evidence (coded excerpts or a
    case rating), ``mean_rating`` is the mean of the numeric case ratings (X and M left out) and
    ``classification`` follows the module's rule. Vectorised: no per-row Python.

    Parameters
    ----------
    coding
        A :class:`~cscs_eval.cfir.Coding`, or a coding table.
    case_ratings
        Case-ratings overrides (file or DataFrame); default: the Coding's own.
    by
        The rated unit (``case``).
    all_constructs
        Also list the constructs no one coded (``insufficient data``), for a full codebook table.

    Examples
    --------
    >>> import pandas as pd
    >>> coding = pd.DataFrame({"case": ["A", "B", "A"], "construct_id": ["I.C", "I.C", "I.H"],
    ...     "rating": ["+2", "+2", "-1"], "rating_value": [2.0, 2.0, -1.0]})
    >>> summarise(coding)[["construct_id", "n_cases", "classification"]].values.tolist()
    [['I.C', 2, 'strong facilitator'], ['I.H', 1, 'weak barrier']]
    """
    import pandas as pd

    _warn_pooled_coders(unpack(coding)[0])
    cr = rate_cases(coding, case_ratings=case_ratings, by=by)
    v = cr["rating_value"]
    agg = pd.DataFrame({
        "construct_id": cr["construct_id"], "n_excerpts": cr["n_excerpts"], "n_cases": 1,
        "_num": v.notna().astype("int64"), "_sum": v.fillna(0.0),
        "n_facilitating": (v > 0).astype("int64"), "n_hindering": (v < 0).astype("int64"),
        "n_mixed": cr["rating"].isin(["X", "0"]).astype("int64"),
        "_rated": (cr["rating"] != "M").astype("int64"), "_x": (cr["rating"] == "X").astype("int64"),
    }).groupby("construct_id", sort=False).sum()
    if all_constructs:
        ids = [r["id"] for r in get_codebook().rows if r["level"] != "domain"]
        agg = agg.reindex(ids, fill_value=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (agg["_sum"] / agg["_num"].where(agg["_num"] > 0)).to_numpy(dtype="float64")
    cls = _classify(mean, agg["_rated"].to_numpy() > 0, agg["_x"].to_numpy() > 0)
    cb = get_codebook()
    labels = {r["id"]: r["label"] for r in cb.rows}
    domains = {r["id"]: r["domain"] for r in cb.rows}
    order = _order()
    ids = agg.index.to_series()
    out = pd.DataFrame({
        "construct_id": ids.astype("string").to_numpy(),
        "construct": ids.map(labels).astype("string").to_numpy(),
        "domain": ids.map(domains).astype("string").to_numpy(),
        "n_excerpts": agg["n_excerpts"].astype("int64").to_numpy(),
        "n_cases": agg["n_cases"].astype("int64").to_numpy(),
        "mean_rating": round_half_up(mean, decimals=2),
        "classification": pd.array(cls, dtype="string"),
        "n_facilitating": agg["n_facilitating"].to_numpy(), "n_hindering": agg["n_hindering"].to_numpy(),
        "n_mixed": agg["n_mixed"].to_numpy(),
        "_o": ids.map(order).to_numpy(),
    })
    return out.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def counts_by_domain(data, *, case_ratings=None):
    """Per CFIR domain: excerpts, constructs coded, and how many constructs fall in each classification.

    Parameters
    ----------
    data
        A construct summary (from :func:`summarise` or ``Coding.summary()``), or a Coding or coding
        table to summarise first (with ``case_ratings`` as :func:`summarise` takes them).

    Returns
    -------
    pandas.DataFrame
        Columns ``domain, n_excerpts, n_constructs`` and one per classification; domains in CFIR
        order, a domain without codes shows zeros.
    """
    import pandas as pd

    is_summary = isinstance(data, pd.DataFrame) and "classification" in data.columns
    if is_summary and case_ratings is not None:
        raise UsageError("case_ratings apply to a coding, not to a construct summary (it already has them); "
                         "pass the Coding, or leave case_ratings out")
    s = data if is_summary else summarise(data, case_ratings=case_ratings)
    base = s.groupby("domain").agg(n_excerpts=("n_excerpts", "sum"), n_constructs=("construct_id", "size"))
    cls = pd.crosstab(s["domain"], s["classification"])
    out = base.join(cls).reindex(list(DOMAINS.values())).fillna(0)
    for c in CLASSIFICATIONS:
        if c not in out.columns:
            out[c] = 0
    out = out[["n_excerpts", "n_constructs"] + CLASSIFICATIONS].astype("int64")
    return out.rename_axis("domain").reset_index()


def coverage(coding, *, by="case"):
    """Excerpt codes per case (rows) and CFIR domain (columns), with totals: where the evidence is."""
    import pandas as pd

    table = unpack(coding)[0]
    _check_by(table, by)
    tab = pd.crosstab(table[by], table["domain"])
    tab = tab.reindex(columns=[d for d in DOMAINS.values()], fill_value=0)
    tab["total"] = tab.sum(axis=1)
    tab.columns.name = None
    return tab.rename_axis(by).reset_index()


def _groups_series(groups, coding, allowed=("high", "low")):
    import pandas as pd

    from cscs_eval.io import read_table

    if isinstance(groups, str) and groups in coding.columns:
        return coding.groupby("case")[groups].first()
    if isinstance(groups, (str,)) or hasattr(groups, "__fspath__"):
        from cscs_eval.io import row_number

        df = read_table(groups, required=("case", "group"))
        labels = df["group"].astype("string").str.strip()
        for i, (case, label) in enumerate(zip(df["case"], labels)):
            if pd.isna(case) or not str(case).strip():
                raise InputError("case is empty", file=groups, row=row_number(df, i), column="case")
            if pd.isna(label) or label not in allowed:
                raise InputError(f"group must be {' or '.join(map(repr, allowed))}, got "
                                 f"{'nothing' if pd.isna(label) else repr(str(label))}", file=groups,
                                 row=row_number(df, i), column="group")
        return pd.Series(labels.to_numpy(), index=df["case"].astype("string").str.strip())
    if isinstance(groups, pd.DataFrame):
        missing = [c for c in ("case", "group") if c not in groups.columns]
        if missing:
            raise InputError(f"groups need the column(s) {', '.join(missing)}; found "
                             f"{', '.join(map(str, groups.columns))}")
        return pd.Series(groups["group"].to_numpy(), index=groups["case"])
    if isinstance(groups, (dict, pd.Series)):
        return pd.Series(groups)
    raise UsageError("groups must be a mapping of case to group, a table or file with the columns case and group, "
                     f"or a column of the coding; got {type(groups).__name__}")


def distinguishing_constructs(coding, *, groups, case_ratings=None, high="high", low="low"):
    """Which constructs distinguish cases that implemented well from those that did not.

    Parameters
    ----------
    coding
        A :class:`~cscs_eval.cfir.Coding`, or a coding table.
    groups
        Case -> group label: a dict or Series, a DataFrame or file with ``case, group`` columns, or
        the name of a column of the coding table.
    case_ratings
        Case-ratings overrides (file or DataFrame); default: the Coding's own.
    high, low
        The two group labels compared.

    Returns
    -------
    pandas.DataFrame
        ``construct_id, construct, domain, n_high, n_low, mean_high, mean_low, difference,
        distinguishing`` (strongly / weakly / not distinguishing, insufficient data), strongest first.
    """
    import pandas as pd

    table = unpack(coding)[0]
    is_file = hasattr(groups, "__fspath__") or (isinstance(groups, str) and groups not in table.columns)
    source = groups if is_file else None  # named in errors
    g = _groups_series(groups, table, (high, low)).astype("string")
    unknown = sorted(set(g.dropna()) - {high, low})
    if unknown:
        raise InputError(f"groups must be {high!r} or {low!r}; got {', '.join(map(repr, unknown))}", file=source)
    missing = sorted(set(table["case"].dropna()) - set(g.index))
    if missing:
        raise InputError(f"cases without a group: {', '.join(missing[:5])}; add a row 'case, group' for each "
                         f"(group {high!r} or {low!r})", file=source)
    _warn_pooled_coders(table)
    cr = rate_cases(coding, case_ratings=case_ratings)
    cr = cr.assign(group=cr["case"].map(g)).dropna(subset=["rating_value"])
    stats = cr.groupby(["construct_id", "group"])["rating_value"].agg(["size", "mean", "min", "max"]).unstack(
        "group")
    def col(stat, grp):
        return stats[(stat, grp)] if (stat, grp) in stats.columns else pd.Series(np.nan, index=stats.index)
    n_high, n_low = col("size", high).fillna(0), col("size", low).fillna(0)
    mh, ml = col("mean", high), col("mean", low)
    diff = mh - ml
    rule = load_rules()["distinguishing"]
    gap = col("min", high) - col("max", low)  # how far the lowest high case sits above the highest low case
    label = np.select([(n_high == 0) | (n_low == 0),
                       gap >= rule["strong_gap"],
                       diff >= rule["weak_difference"]],
                      ["insufficient data", "strongly distinguishing", "weakly distinguishing"],
                      "not distinguishing")
    cb = get_codebook()
    out = pd.DataFrame({"construct_id": stats.index.astype("string"),
                        "construct": [cb.label(i) for i in stats.index],
                        "domain": [cb.by_id[i]["domain"] for i in stats.index],
                        "n_high": n_high.astype("int64").to_numpy(), "n_low": n_low.astype("int64").to_numpy(),
                        "mean_high": round_half_up(mh, decimals=2).to_numpy(),
                        "mean_low": round_half_up(ml, decimals=2).to_numpy(),
                        "difference": round_half_up(diff, decimals=2).to_numpy(), "distinguishing": label})
    rank = {"strongly distinguishing": 0, "weakly distinguishing": 1, "not distinguishing": 2,
            "insufficient data": 3}
    order = _order()
    out = out.assign(_r=out["distinguishing"].map(rank), _o=out["construct_id"].map(order))
    return out.sort_values(["_r", "_o"]).drop(columns=["_r", "_o"]).reset_index(drop=True)


def _read_themes(themes, aliases):
    """A themes file (YAML ``theme: [constructs]`` or a table ``theme, construct``) as (theme, id) pairs."""
    import pandas as pd

    from cscs_eval.io import read_table, read_yaml

    if isinstance(themes, pd.DataFrame):
        rows = list(zip(themes["theme"], themes["construct"]))
        source = None
    elif isinstance(themes, dict):
        rows = [(t, c) for t, cs in themes.items() for c in cs]
        source = None
    elif str(themes).lower().endswith((".yaml", ".yml")):
        data = read_yaml(themes)
        if not isinstance(data, dict):
            raise InputError("a themes YAML file maps each theme to a list of constructs", file=themes)
        rows = [(t, c) for t, cs in data.items() for c in (cs or [])]
        source = themes
    else:
        df = read_table(themes, required=("theme", "construct"))
        rows = list(zip(df["theme"], df["construct"]))
        source = themes
    out = []
    for theme, construct in rows:
        try:
            out.append((str(theme), resolve_construct(construct, aliases=aliases)))
        except InputError as exc:
            raise InputError(f"theme {theme!r}: {exc.message}", file=source) from None
    return out


def themes_table(coding, *, themes=None, aliases=None):
    """Themes with the CFIR domains and constructs they draw on (like Table 1 of the source evaluation).

    Themes come from a themes file or mapping (theme -> constructs) when given, else from the
    ``theme`` column of the coding. Columns ``theme, domains, constructs, n_excerpts``; domains and
    constructs in CFIR order, joined with '; '. ``aliases`` name local constructs in the themes
    file; default: those the Coding was read with.
    """
    import pandas as pd

    coding, _, read_with = unpack(coding)
    cb = get_codebook()
    order = _order()
    if themes is not None:
        pairs = _read_themes(themes, aliases if aliases is not None else read_with or None)
        df = pd.DataFrame(pairs, columns=["theme", "construct_id"])
        # a theme naming a construct also covers the codes on its subconstructs
        parent = {r["id"]: r["parent_id"] for r in cb.rows if r["level"] == "subconstruct"}
        ids = coding["construct_id"].dropna()
        counts = ids.value_counts().add(ids.map(parent).dropna().value_counts(), fill_value=0)
        df["n"] = df["construct_id"].map(counts).fillna(0).astype("int64")
    else:
        sub = coding.dropna(subset=["theme", "construct_id"])
        df = sub.groupby(["theme", "construct_id"], sort=False).size().rename("n").reset_index()
    if df.empty:
        return pd.DataFrame(columns=["theme", "domains", "constructs", "n_excerpts"])
    dom_order = {d: i for i, d in enumerate(DOMAINS.values())}
    rows = []
    for theme, grp in df.groupby("theme", sort=False):
        ids = sorted(set(grp["construct_id"]), key=order.get)
        doms = sorted({cb.by_id[i]["domain"] for i in ids}, key=dom_order.get)
        rows.append({"theme": theme, "domains": "; ".join(doms), "constructs": "; ".join(cb.label(i) for i in ids),
                     "n_excerpts": int(grp["n"].sum())})
    return pd.DataFrame(rows)
