"""Reliable and clinically significant change, for any measure.

One function, :func:`clinical_significance`, classifies each person's change between two
time points as ``recovered``, ``improved``, ``unchanged``, ``deteriorated`` or ``harmed``
(or the three distribution categories when no clinical cut-off is asked for). It offers
the reliable change indices of the R package ``clinicalsignificance`` (Claus, Wager and
Bonnet 2024, J Stat Softw 111(1), doi:10.18637/jss.v111.i01) and reproduces its published
results. It returns a :class:`ClinicalSignificanceResult`: ``.table`` (one row per person),
``.details`` (every threshold and summary value used), ``.summary()`` (the categories counted)
and ``.text()``; :func:`~cscs_eval.proms.plot_jacobson_truax` draws baseline against follow-up.

Formulas (x1 = pre, x2 = post, s1 = SD of the complete-case pre scores with n - 1,
M1 and M2 the pre and post means, rxx the reliability, SE = s1 * sqrt(1 - rxx)):

========  ====================================================================
``jt``    Jacobson and Truax (1991): (x2 - x1) / sqrt(2 SE^2)
``gln``   Gulliksen-Lord-Novick (Hsu 1989): ((x2 - M1) - rxx (x1 - M1)) / (s1 sqrt(1 - rxx^2))
``hll``   Hsu-Linn-Lord: ((x2 - M2) - rxx (x1 - M1)) / (s1 sqrt(1 - rxx^2))
``en``    Edwards-Nunnally (Speer 1992): (x2 - (rxx (x1 - M1) + M1)) / SE
``nk``    Nunnally-Kotsch (1983): as ``en`` over sqrt(rxx^2 s1^2 (1 - rxx) + s1^2 (1 - rxx_post))
``ha``    Hageman and Arrindell (1999): ((x2 - x1) r_dd + (M2 - M1)(1 - r_dd)) / (sqrt(r_dd) sqrt(2 SE^2)),
          one-sided critical value (1.645 at alpha .05), "true" cut-offs and CS_indiv
``hlm``   Raudenbush and Bryk: random-slope mixed model over all time points; the
          empirical-Bayes slope deviation over its conditional SD
========  ====================================================================
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscs_eval.errors import CscsEvalWarning, InputError, UsageError
from cscs_eval.governance import count_text, suppress_table
from cscs_eval.results import Result
from cscs_eval.stats import format_number

#: Method keys and their names in the literature.
METHODS = {
    "jt": "Jacobson-Truax",
    "gln": "Gulliksen-Lord-Novick",
    "en": "Edwards-Nunnally",
    "hll": "Hsu-Linn-Lord",
    "nk": "Nunnally-Kotsch",
    "ha": "Hageman-Arrindell",
    "hlm": "Hierarchical linear model",
}
DIRECTIONS = ("higher", "lower")
CUTOFFS = ("a", "b", "c")
CUTOFF_B_SDS = ("functional", "clinical")
#: Categories of the combined approach (with a cut-off), best first.
CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
#: Categories of the distribution approach (no cut-off).
DISTRIBUTION_CATEGORIES = ("improved", "unchanged", "deteriorated")

# Default significance level: two-sided for every index but HA's, which is one-sided,
# as in clinicalsignificance (qnorm(1 - alpha/2) and qnorm(1 - alpha)).
_ALPHA = 0.05
# HLM needs enough time points per person for a slope to be separated from noise. The
# package documents "at least three" measurements (some versions of R/prep_data.R filter
# n > 3); claus_2020 gives the same 40 people either way.
_HLM_MIN_POINTS = 3


class ClinicalSignificanceOptionError(UsageError, ValueError):
    """An option of :func:`clinical_significance` has a value it does not accept."""


class IncompleteCasesWarning(CscsEvalWarning):
    """People were left out because a value they need is missing (counted in the result's ``.details``)."""


# ---------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------


def _choice(name, value, allowed):
    key = value.lower() if isinstance(value, str) else value
    if key not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ClinicalSignificanceOptionError(f"{name} must be one of {shown}, got {value!r}")
    return key


def _number(name, value, *, low=None, high=None, low_open=False, high_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ClinicalSignificanceOptionError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ClinicalSignificanceOptionError(f"{name} must be a finite number, got {value!r}")
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
        rule = " and ".join(x for x in (lo, hi) if x)
        raise ClinicalSignificanceOptionError(f"{name} must be {rule}, got {value!r}")
    return value


def _numeric_outcome(data, outcome):
    """The outcome column as floats; text that is not a number is an error, blanks are missing."""
    col = data[outcome]
    if pd.api.types.is_bool_dtype(col):
        raise InputError(f"outcome column '{outcome}' holds true/false values, not scores", column=outcome)
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    text = col.astype("string").str.strip()
    blank = text.isna() | (text == "")
    values = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = np.flatnonzero((values.isna() & ~blank).to_numpy())
    if len(bad):
        examples = ", ".join(f"row {_row(data, i)} ({str(col.iloc[i])!r})" for i in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise InputError(
            f"outcome column '{outcome}' must hold numbers; {len(bad)} value(s) are not: {examples}{more}",
            row=_row(data, bad[0]),
            column=outcome,
        )
    return values.astype(float)


def _row(data, position):
    # The row a user sees in their file (header is row 1), as cscs_eval.io counts it.
    return int(position) + 2


def _plain(value):
    """A numpy scalar as the Python value it holds (for messages and ``.details``)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _time_keys(data, time, wanted):
    """Comparable keys for the time column and for the wanted values (pre, post).

    Numbers are compared as numbers (a time column read as text "1" or "1.0" matches
    ``pre=1``); anything else is compared as stripped text.
    """
    col = data[time]
    numeric_col = pd.to_numeric(col, errors="coerce") if not pd.api.types.is_bool_dtype(col) else None
    col_is_numeric = numeric_col is not None and bool((numeric_col.notna() | col.isna()).all())
    wanted_numeric = []
    for w in wanted:
        if _is_number(w):
            wanted_numeric.append(float(w))
        else:
            try:
                wanted_numeric.append(float(str(w).strip()))
            except ValueError:
                wanted_numeric = None
                break
    if col_is_numeric and wanted_numeric is not None:
        return numeric_col.astype(float), wanted_numeric, True
    keys = col.astype("string").str.strip()
    return keys, [str(w).strip() for w in wanted], False


# ---------------------------------------------------------------------------------------
# the main function
# ---------------------------------------------------------------------------------------


def clinical_significance(
    data,
    *,
    id,
    time,
    outcome,
    pre,
    post,
    reliability,
    direction,
    method="jt",
    cutoff=None,
    m_functional=None,
    sd_functional=None,
    reliability_post=None,
    critical_value=None,
    cutoff_b_sd="functional",
    by=None,
):
    """Classify each person's change as reliable and clinically significant, or not.

    Parameters
    ----------
    data : pandas.DataFrame
        Long format: one row per person and time point.
    id, time, outcome : str
        Column names: the person, the time point, the score.
    pre, post
        The values of ``time`` that mark the baseline and the follow-up. For ``method="hlm"``
        they bound the time points used (all points from ``pre`` to ``post``); either may be
        ``None`` there to use every time point.
    reliability : float
        The measure's reliability (0 < r < 1): test-retest or internal consistency. Not used by
        ``"hlm"`` (give ``None``).
    direction : {"higher", "lower"}
        Which scores are better.
    method : {"jt", "gln", "en", "hll", "nk", "ha", "hlm"}, default "jt"
        The reliable change index (see the module documentation).
    cutoff : {None, "a", "b", "c"}
        Jacobson and Truax's (1991) cut-off for clinically significant change: ``"a"`` two SDs
        beyond the clinical (pre) mean, ``"b"`` two SDs inside the functional mean, ``"c"`` the
        point between the two means weighted by the SDs. ``None`` gives the distribution
        categories only. For ``"ha"`` the "true" cut-offs of Hageman and Arrindell are used.
    m_functional, sd_functional : float
        Mean and SD of a functional (non-clinical) population; needed for cut-offs b and c.
    reliability_post : float, optional
        Reliability at follow-up, for ``"nk"`` only (default: ``reliability``).
    critical_value : float, optional
        The critical value of the index; default 1.96 (two-sided, alpha .05), for ``"ha"``
        1.645 (one-sided, alpha .05).
    cutoff_b_sd : {"functional", "clinical"}, default "functional"
        The SD in cut-off b. Jacobson and Truax (1991) use the functional population's SD
        (b = M_functional -/+ 2 SD_functional); the R package ``clinicalsignificance``
        (2.1 and 3.0) uses the clinical SD. Pass ``"clinical"`` to match the package.
    by : str, optional
        A column naming each person's group (e.g. treatment arm or team), carried into the
        result's table so that ``.summary(by=...)`` counts within each group. As in
        ``clinicalsignificance``, the thresholds come from the whole sample, not from each group.

    Returns
    -------
    ClinicalSignificanceResult
        ``.table``: one row per person used: the ``id`` column, ``pre``, ``post``, ``change``
        (post - pre), ``rci`` (the method's statistic), ``critical_value``, for ``"en"``,
        ``"nk"`` the predicted true pre score ``pre_true``, for ``"ha"`` ``cs_indiv``, for
        ``"hlm"`` ``n_points``, ``eb_slope`` and ``eb_sd``; with a cut-off also ``cutoff``,
        ``clinical_pre`` and ``functional_post``; last ``category`` (ordered categorical).
        ``.details`` holds every threshold and summary value used (``cutoff``,
        ``critical_value``, ``se_measurement``, ``s_diff``, ``band``, ``m_pre``, ``sd_pre``,
        ``n_original``, ``n_used``, ``n_dropped``, ``dropped_ids`` ...).

    Raises
    ------
    ClinicalSignificanceOptionError
        An unknown method, direction or cut-off, a reliability outside (0, 1), missing
        functional mean or SD for cut-offs b and c (a :class:`~cscs_eval.errors.UsageError`
        and a ``ValueError``).
    cscs_eval.errors.InputError
        A missing column, ``pre`` or ``post`` not found in the time column, a score that is
        not a number, the same person and time point twice, fewer than two complete cases.

    Warns
    -----
    IncompleteCasesWarning
        When people are left out for a missing pre or post score (HLM: fewer than three
        scores); their number and ids are in ``.details``.

    Notes
    -----
    Categories follow ``clinicalsignificance`` (``R/calc_rci*.R``, ``create_summary_table.R``):
    improved if direction * rci > critical value, deteriorated if direction * rci < -critical
    value (strict). With a cut-off, clinical at pre if direction * pre < direction * cutoff,
    functional at post if direction * post > direction * cutoff; recovered = improved,
    clinical at pre and functional at post; harmed = deteriorated, not clinical at pre and
    not functional at post. For ``"ha"`` "functional at post" means CS_indiv beyond the
    critical value (reliably past the true cut-off), and "harmed" reliably short of it.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"pid": [1, 1, 2, 2, 3, 3], "when": ["pre", "post"] * 3,
    ...                    "score": [10, 25, 12, 13, 14, 4]})
    >>> res = clinical_significance(df, id="pid", time="when", outcome="score", pre="pre",
    ...                             post="post", reliability=0.8, direction="higher")
    >>> res.table["category"].tolist()
    ['improved', 'unchanged', 'deteriorated']
    >>> round(res.details["reliable_change"], 2)
    2.48
    >>> res.text(suppress=False)
    'Jacobson-Truax: of 3 people with both scores, 1 improved, 1 unchanged and 1 deteriorated.'
    >>> res.summary(suppress=False)["n"].tolist()
    [1, 1, 1]
    """
    method = _choice("method", method, tuple(METHODS))
    direction_name = _choice("direction", direction, DIRECTIONS)
    sign = 1.0 if direction_name == "higher" else -1.0
    if cutoff is not None:
        cutoff = _choice("cutoff", cutoff, CUTOFFS)
    cutoff_b_sd = _choice("cutoff_b_sd", cutoff_b_sd, CUTOFF_B_SDS)
    if method == "hlm":
        if reliability is not None:
            reliability = _number("reliability", reliability, low=0, high=1, low_open=True, high_open=True)
    else:
        if reliability is None:
            raise ClinicalSignificanceOptionError(f"reliability is needed for method {method!r}, got None")
        reliability = _number("reliability", reliability, low=0, high=1, low_open=True, high_open=True)
    if reliability_post is not None:
        if method != "nk":
            raise ClinicalSignificanceOptionError(
                f"reliability_post is used only by method 'nk', got it with method {method!r}"
            )
        reliability_post = _number("reliability_post", reliability_post, low=0, high=1, low_open=True, high_open=True)
    if critical_value is not None:
        critical_value = _number("critical_value", critical_value, low=0, low_open=True)
    if cutoff in ("b", "c"):
        need = ["m_functional"] + (["sd_functional"] if cutoff == "c" or cutoff_b_sd == "functional" or method == "ha" else [])
        missing = [n for n, v in (("m_functional", m_functional), ("sd_functional", sd_functional)) if n in need and v is None]
        if missing:
            raise ClinicalSignificanceOptionError(
                f"cutoff {cutoff!r} needs the functional population's mean and SD: give "
                + " and ".join(missing)
            )
    if m_functional is not None:
        m_functional = _number("m_functional", m_functional)
    if sd_functional is not None:
        sd_functional = _number("sd_functional", sd_functional, low=0, low_open=True)

    if not isinstance(data, pd.DataFrame):
        raise ClinicalSignificanceOptionError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    roles = (("id", id), ("time", time), ("outcome", outcome)) + ((("by", by),) if by is not None else ())
    for role, col in roles:
        if col not in data.columns:
            raise InputError(
                f"{role} column '{col}' not found; columns are: {', '.join(map(str, data.columns))}",
                column=col,
            )

    values = _numeric_outcome(data, outcome)
    null_id = np.flatnonzero(data[id].isna().to_numpy())
    if len(null_id):
        raise InputError(f"{len(null_id)} row(s) have no {id}", row=_row(data, null_id[0]), column=id)

    if method == "hlm":
        wide, extra = _prepare_hlm(data, id, time, outcome, values, pre, post)
    else:
        wide, extra = _prepare_pair(data, id, time, values, pre, post)

    n_original = extra.pop("n_original")
    dropped = extra.pop("dropped_ids")
    if dropped:
        shown = ", ".join(map(str, dropped[:10])) + (" ..." if len(dropped) > 10 else "")
        reason = (
            f"fewer than {_HLM_MIN_POINTS} scores" if method == "hlm" else f"no score at pre ({pre!r}) or post ({post!r})"
        )
        warnings.warn(
            f"{len(dropped)} of {n_original} people left out as incomplete ({reason}): {shown}",
            IncompleteCasesWarning,
            stacklevel=2,
        )
    n = len(wide)
    if n < 2:
        raise InputError(
            f"clinical significance needs at least 2 people with both scores; {n} of {n_original} have them",
            column=outcome,
        )

    pre_v = wide["pre"].to_numpy(float)
    post_v = wide["post"].to_numpy(float)
    m_pre, sd_pre = float(pre_v.mean()), float(pre_v.std(ddof=1))
    m_post, sd_post = float(post_v.mean()), float(post_v.std(ddof=1))
    if method != "hlm" and sd_pre == 0:
        raise InputError(f"every pre score of '{outcome}' is the same ({m_pre:g}); the SD needed is 0", column=outcome)

    if critical_value is None:
        from scipy.stats import norm

        critical_value = float(norm.ppf(1 - _ALPHA)) if method == "ha" else float(norm.ppf(1 - _ALPHA / 2))

    details = {
        "method": method,
        "method_name": METHODS[method],
        "direction": direction_name,
        "outcome": outcome,
        "pre": pre,
        "post": post,
        "reliability": reliability,
        "critical_value": critical_value,
        "m_pre": m_pre,
        "sd_pre": sd_pre,
        "m_post": m_post,
        "sd_post": sd_post,
    }

    out = pd.DataFrame({id: wide.index.to_list(), "pre": pre_v, "post": post_v, "change": post_v - pre_v})
    if by is not None:
        out.insert(1, by, _group_of(data, id, by, out[id]))
    if method == "hlm":
        for col in ("n_points", "eb_slope", "eb_sd"):
            out[col] = extra[col]
        rci = out["eb_slope"].to_numpy() / out["eb_sd"].to_numpy()
        details.update({"se_measurement": None, "s_diff": None, "reliable_change": None, "band": None,
                      "fixed_slope": extra["fixed_slope"], "min_points": _HLM_MIN_POINTS})
    else:
        rci, band, method_details, method_cols = _index(
            method, pre_v, post_v, reliability, reliability_post, m_pre, sd_pre, m_post, sd_post, critical_value
        )
        for col, val in method_cols.items():
            out[col] = val
        details.update(method_details)
        if method == "ha":
            details["ha_group_percent_changed"] = _ha_group_changed(sign, post_v - pre_v, details["r_dd"])
        details["band"] = band
    out["rci"] = rci
    out["critical_value"] = critical_value
    improved = sign * rci > critical_value
    deteriorated = sign * rci < -critical_value

    if cutoff is None:
        category = np.where(improved, "improved", np.where(deteriorated, "deteriorated", "unchanged"))
        levels = DISTRIBUTION_CATEGORIES
        details.update({"cutoff_type": None, "cutoff": None})
    else:
        info = _cutoff(method, cutoff, sign, m_pre, sd_pre, m_functional, sd_functional, reliability, cutoff_b_sd)
        details.update(info)
        value = info["cutoff"]
        clinical_pre = sign * pre_v < sign * value
        if method == "ha":
            # CS_indiv (Hageman & Arrindell 1999): the post score's true-score estimate against
            # the true cut-off, in units of its standard error; "functional" only when reliably past it.
            se = details["se_measurement"]
            r_xx2 = details["reliability_post_ha"]
            cs_indiv = (m_post + (post_v - m_post) * r_xx2 - value) / (math.sqrt(r_xx2) * se)
            out["cs_indiv"] = cs_indiv
            functional_post = sign * cs_indiv > critical_value
            reliably_clinical_post = sign * cs_indiv < -critical_value
        else:
            functional_post = sign * post_v > sign * value
            reliably_clinical_post = ~functional_post
        recovered = clinical_pre & functional_post & improved
        harmed = ~clinical_pre & reliably_clinical_post & deteriorated
        category = np.select(
            [recovered, improved, harmed, deteriorated], ["recovered", "improved", "harmed", "deteriorated"], "unchanged"
        )
        out["cutoff"] = value
        if method == "ha":
            details["ha_group_percent_functional"] = _ha_group_functional(sign, value, m_post, sd_post, r_xx2)
        out["clinical_pre"] = clinical_pre
        out["functional_post"] = functional_post
        levels = CATEGORIES

    out["category"] = pd.Categorical(category, categories=list(levels), ordered=True)
    details.update(
        {
            "categories": list(levels),
            "n_original": int(n_original),
            "n_used": int(n),
            "n_dropped": len(dropped),
            "dropped_ids": [_plain(i) for i in dropped],
        }
    )
    return ClinicalSignificanceResult(out, details)


def _group_of(data, id, group, ids):
    """Each person's group; a person in two groups is an error (the row of the second is named)."""
    pairs = pd.DataFrame({"id": data[id].to_numpy(), "g": data[group].to_numpy()}).dropna(subset=["g"])
    distinct = pairs.drop_duplicates()
    clash = distinct.duplicated("id", keep="first").to_numpy()
    if clash.any():
        pos = distinct.index[np.flatnonzero(clash)[0]]
        who = _plain(pairs.at[pos, "id"])
        shown = ", ".join(repr(_plain(g)) for g in distinct.loc[distinct["id"] == who, "g"])
        raise InputError(f"{id} {who!r} is in more than one {group}: {shown}", row=_row(data, pos), column=group)
    return ids.map(distinct.set_index("id")["g"]).to_numpy()


def _prepare_pair(data, id, time, values, pre, post):
    if pre is None or post is None:
        raise ClinicalSignificanceOptionError("pre and post must both be given (values of the time column)")
    keys, (pre_k, post_k), _ = _time_keys(data, time, [pre, post])
    if pre_k == post_k:
        raise ClinicalSignificanceOptionError(f"pre and post must differ, got {pre!r} for both")
    present = keys.dropna().unique().tolist()
    for name, want, shown in (("pre", pre_k, pre), ("post", post_k, post)):
        if want not in set(present):
            listed = ", ".join(repr(p) for p in sorted(map(str, data[time].dropna().unique()))[:12])
            raise InputError(f"{name}={shown!r} not found in time column '{time}'; it holds {listed}", column=time)
    frame = pd.DataFrame({"id": data[id].to_numpy(), "key": keys.to_numpy(), "value": values.to_numpy()})
    ids = pd.unique(frame["id"])
    used = frame[frame["key"].isin([pre_k, post_k])]
    _one_row_per_visit(used, "key", data, id, time, lambda pos: repr(_plain(data[time].iloc[pos])))
    pre_s = used[used["key"] == pre_k].set_index("id")["value"]
    post_s = used[used["key"] == post_k].set_index("id")["value"]
    wide = pd.DataFrame({"pre": pre_s.reindex(ids), "post": post_s.reindex(ids)}, index=pd.Index(ids, name=id))
    complete = wide.notna().all(axis=1)
    dropped = wide.index[~complete].tolist()
    return wide[complete], {"n_original": len(ids), "dropped_ids": dropped}


def _one_row_per_visit(frame, key, data, id, time, shown):
    """A person with two rows at one time point is an error naming the first repeat's row."""
    dup = frame.duplicated(["id", key], keep="first").to_numpy()
    if dup.any():
        pos = frame.index[np.flatnonzero(dup)[0]]
        raise InputError(
            f"{int(dup.sum())} duplicate row(s): {id} {_plain(frame.at[pos, 'id'])!r} has more than one row at "
            f"time {shown(pos)}; keep one score per person and time point",
            row=_row(data, pos),
            column=time,
        )


def _prepare_hlm(data, id, time, outcome, values, pre, post):
    tnum = pd.to_numeric(data[time], errors="coerce")
    bad = np.flatnonzero((tnum.isna() & data[time].notna()).to_numpy())
    if len(bad) or data[time].isna().any():
        pos = bad[0] if len(bad) else int(np.flatnonzero(data[time].isna().to_numpy())[0])
        raise InputError(
            f"method 'hlm' needs a numeric time column (time is the model's slope); '{time}' holds "
            f"{data[time].iloc[pos]!r}",
            row=_row(data, pos),
            column=time,
        )
    tnum = tnum.astype(float)
    keep = pd.Series(True, index=data.index)
    for name, bound in (("pre", pre), ("post", post)):
        if bound is None:
            continue
        if not _is_number(bound):
            try:
                bound = float(str(bound).strip())
            except ValueError:
                raise ClinicalSignificanceOptionError(f"{name} must be a number for method 'hlm', got {bound!r}") from None
        if not (tnum == float(bound)).any():
            listed = ", ".join(f"{v:g}" for v in sorted(tnum.unique())[:12])
            raise InputError(f"{name}={bound!r} not found in time column '{time}'; it holds {listed}", column=time)
        keep &= tnum >= float(bound) if name == "pre" else tnum <= float(bound)
    frame = pd.DataFrame({"id": data[id].to_numpy(), "time": tnum.to_numpy(), "y": values.to_numpy()})
    ids = pd.unique(frame["id"])
    frame = frame[keep.to_numpy()]
    _one_row_per_visit(frame, "time", data, id, time, lambda pos: f"{frame.at[pos, 'time']:g}")
    frame = frame.dropna(subset=["y"]).sort_values(["time"], kind="stable")
    counts = frame.groupby("id", sort=False).size().reindex(ids).fillna(0).astype(int)
    used_ids = [i for i in ids if counts[i] >= _HLM_MIN_POINTS]
    dropped = [i for i in ids if counts[i] < _HLM_MIN_POINTS]
    model_data = frame[frame["id"].isin(used_ids)].copy()
    if len(used_ids) < 2:
        wide = pd.DataFrame({"pre": [], "post": []})
        return wide, {"n_original": len(ids), "dropped_ids": dropped}
    # Keys as text so statsmodels groups mixed-type ids safely.
    model_data["g"] = model_data["id"].astype(str)
    first = model_data.groupby("id", sort=False)["y"].first()
    last = model_data.groupby("id", sort=False)["y"].last()

    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # REML on few people often reports a boundary fit; the estimates are still the ones
        # lme4 gives, and the result says how many people it rests on.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = smf.mixedlm("y ~ time", model_data, groups=model_data["g"], re_formula="~time").fit(reml=True)
    slopes, sds = [], []
    for i in used_ids:
        key = str(i)
        slopes.append(float(fit.random_effects[key]["time"]))
        sds.append(float(math.sqrt(fit.random_effects_cov[key].loc["time", "time"])))
    wide = pd.DataFrame(
        {"pre": first.reindex(used_ids).to_numpy(), "post": last.reindex(used_ids).to_numpy()},
        index=pd.Index(used_ids, name=id),
    )
    return wide, {
        "n_original": len(ids),
        "dropped_ids": dropped,
        "n_points": counts.reindex(used_ids).to_numpy(),
        "eb_slope": np.array(slopes),
        "eb_sd": np.array(sds),
        "fixed_slope": float(fit.fe_params["time"]),
    }


def _index(method, x1, x2, r, r_post, m1, s1, m2, s2, crit):
    """The method's index, its band in pre/post space and the values it used.

    The band is the set of post scores counted as no reliable change:
    ``intercept + slope * pre -/+ half_width``.
    """
    se = s1 * math.sqrt(1 - r)
    s_diff = math.sqrt(2 * se**2)
    details = {"se_measurement": se, "s_diff": s_diff}
    cols = {}
    if method == "jt":
        rci = (x2 - x1) / s_diff
        band = {"intercept": 0.0, "slope": 1.0, "half_width": crit * s_diff}
        details["reliable_change"] = crit * s_diff
    elif method in ("gln", "hll"):
        se_pred = s1 * math.sqrt(1 - r**2)
        centre_post = m1 if method == "gln" else m2
        rci = ((x2 - centre_post) - r * (x1 - m1)) / se_pred
        band = {"intercept": centre_post - r * m1, "slope": r, "half_width": crit * se_pred}
        details.update({"se_prediction": se_pred, "reliable_change": None})
    elif method in ("en", "nk"):
        pre_true = r * (x1 - m1) + m1
        cols["pre_true"] = pre_true
        if method == "en":
            denom = se
        else:
            r_post = r if r_post is None else r_post
            details["reliability_post"] = r_post
            denom = math.sqrt(r**2 * s1**2 * (1 - r) + s1**2 * (1 - r_post))
            details["se_nk"] = denom
        rci = (x2 - pre_true) / denom
        band = {"intercept": m1 * (1 - r), "slope": r, "half_width": crit * denom}
        details["reliable_change"] = None
    elif method == "ha":
        r_xx1 = (s1**2 - se**2) / s1**2
        r_xx2 = (s2**2 - se**2) / s2**2
        if not (r_xx2 > 0):
            raise InputError(
                f"the post scores' SD ({s2:.3g}) is not above the standard error of measurement ({se:.3g}), so "
                "Hageman-Arrindell's post reliability is not above 0; use another method for these data"
            )
        r12 = float(np.corrcoef(x1, x2)[0, 1])
        var_change = s1**2 + s2**2 - 2 * s1 * s2 * r12
        if not (var_change > 1e-12 * (s1**2 + s2**2)):
            raise InputError(
                "every change score is the same, so Hageman-Arrindell's reliability of change cannot be computed"
            )
        r_dd = (s1**2 * r_xx1 + s2**2 * r_xx2 - 2 * s1 * s2 * r12) / var_change
        if not (r_dd > 0):
            raise InputError(
                f"the Hageman-Arrindell reliability of change scores is {r_dd:.3g}; it must be above 0 "
                "(change scores here are mostly measurement error)"
            )
        rci = ((x2 - x1) * r_dd + (m2 - m1) * (1 - r_dd)) / (math.sqrt(r_dd) * s_diff)
        # Solve the index for post - pre: the no-change band is a shifted diagonal.
        band = {
            "intercept": -(m2 - m1) * (1 - r_dd) / r_dd,
            "slope": 1.0,
            "half_width": crit * math.sqrt(r_dd) * s_diff / r_dd,
        }
        details.update(
            {"r_dd": r_dd, "reliability_pre_ha": r_xx1, "reliability_post_ha": r_xx2, "r_pre_post": r12,
             "reliable_change": None}
        )
    else:  # pragma: no cover - guarded by _choice
        raise AssertionError(method)
    return rci, band, details, cols


def _ha_group_changed(sign, change, r_dd):
    """Hageman and Arrindell's (1999) group-level percentage reliably changed (0-100).

    The share of the true change-score distribution beyond 0 in the better direction:
    z = (0 - mean change) / (SD change * sqrt(r_dd)), as ``clinicalsignificance`` computes it.
    """
    from scipy.stats import norm

    z = (0 - float(np.mean(change))) / (float(np.std(change, ddof=1)) * math.sqrt(r_dd))
    return float(100 * (norm.sf(z) if sign > 0 else norm.cdf(z)))


def _ha_group_functional(sign, cutoff, m_post, sd_post, r_xx2):
    """Hageman and Arrindell's group-level percentage past the true cut-off at post (0-100)."""
    from scipy.stats import norm

    z = (cutoff - m_post) / (sd_post * math.sqrt(r_xx2))
    return float(100 * (norm.sf(z) if sign > 0 else norm.cdf(z)))


def _cutoff(method, kind, sign, m1, s1, m0, s0, r, b_sd):
    """Jacobson-Truax cut-offs (0 = functional, 1 = clinical); HA's "true" cut-offs for "ha"."""
    info = {"cutoff_type": kind, "m_clinical": m1, "sd_clinical": s1, "m_functional": m0, "sd_functional": s0,
            "cutoff_b_sd": b_sd if kind == "b" else None}
    if method == "ha":
        se = s1 * math.sqrt(1 - r)
        r1 = (s1**2 - se**2) / s1**2
        r0 = (s0**2 - se**2) / s0**2 if s0 is not None else None
        if r0 is not None and r0 <= 0:
            raise ClinicalSignificanceOptionError(
                f"sd_functional={s0:g} is not above the standard error of measurement ({se:.3g}); "
                "Hageman-Arrindell's functional reliability would be negative"
            )
        info.update({"reliability_clinical": r1, "reliability_functional": r0})
        # The "true" cut-offs use the SDs of true scores: SD * sqrt(reliability).
        s1, s0 = s1 * math.sqrt(r1), (None if s0 is None else s0 * math.sqrt(r0))
        info["cutoff_type"] = f"{kind}_true"
    if kind == "a":
        value = m1 + sign * 2 * s1
    elif kind == "b":
        value = m0 - sign * 2 * (s0 if b_sd == "functional" else s1)
    else:
        value = (s1 * m0 + s0 * m1) / (s1 + s0)
    info["cutoff"] = float(value)
    return info


# ---------------------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------------------


@dataclass(repr=False)
class ClinicalSignificanceResult(Result):
    """What :func:`clinical_significance` returns.

    Attributes
    ----------
    table
        One row per person used, with ``pre``, ``post``, ``change``, ``rci``, the method's
        extras and ``category`` (an ordered categorical).
    details
        Every threshold and summary value used: ``method``, ``method_name``, ``direction``,
        ``critical_value``, ``cutoff`` and ``cutoff_type``, ``band`` (the no-change band in
        pre/post space, or None), ``m_pre``, ``sd_pre``, ``categories``, ``n_original``,
        ``n_used``, ``n_dropped``, ``dropped_ids`` and the method's own values.
    """

    table: pd.DataFrame
    details: dict = field(default_factory=dict)

    @property
    def categories(self) -> list:
        """The categories of this result, best first (five with a cut-off, else three)."""
        return list(self.details.get("categories") or self.table["category"].cat.categories)

    def summary(self, *, by=None, suppress: bool = True) -> pd.DataFrame:
        """Counts and percentages per category: ``category, n, percent``.

        Every category appears, with 0 where nobody falls in it; percentages are of the
        people counted (all people used, or those in the group with ``by``), on a 0-100 scale.
        With ``suppress`` counts of 1 to 4 are published as ``*`` (and their percentages
        withheld), other counts rounded to 5; ``suppress=False`` gives the exact counts.

        Parameters
        ----------
        by : str, optional
            A column of ``table`` (such as the ``by`` given to :func:`clinical_significance`)
            to count within; its values come first in the output.
        """
        if by is not None:
            if by not in self.table.columns:
                raise ClinicalSignificanceOptionError(f"by must be a column of the result, got {by!r}")
            parts = [ClinicalSignificanceResult(part, self.details).summary(suppress=suppress).assign(**{by: key})
                     for key, part in self.table.groupby(by, sort=True, dropna=False, observed=True)]
            return pd.concat(parts, ignore_index=True)[[by, "category", "n", "percent"]]
        levels = self.categories
        counts = self.table["category"].value_counts().reindex(levels, fill_value=0)
        total = int(counts.sum())
        out = pd.DataFrame({
            "category": levels,
            "n": counts.to_numpy().astype(int),
            "percent": (100 * counts.to_numpy() / total) if total else np.zeros(len(levels)),
        })
        if not suppress:
            return out
        return suppress_table(out.assign(_total=total), counts=["n"],
                              rates={"percent": ("n", "_total")}).drop(columns="_total")

    def text(self, *, suppress: bool = True) -> str:
        """How many people fell in each category, as a sentence."""
        d = self.details
        counts = self.summary(suppress=False)
        parts = [f"{count_text(n, suppress=suppress)} {cat}" for cat, n in zip(counts["category"], counts["n"])]
        listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
        who = ("people with both scores" if d.get("method") != "hlm"
               else f"people with {d.get('min_points', _HLM_MIN_POINTS)} or more scores")
        extras = []
        if d.get("cutoff") is not None:
            extras.append(f"cut-off {d['cutoff_type']} = {format_number(d['cutoff'], decimals=1)}")
        if d.get("n_dropped"):
            extras.append(f"{count_text(d['n_dropped'], suppress=suppress)} left out as incomplete")
        extra = f" ({'; '.join(extras)})" if extras else ""
        n = count_text(d.get("n_used", len(self.table)), suppress=suppress)
        return f"{d.get('method_name', 'Reliable change')}: of {n} {who}, {listed}{extra}."
