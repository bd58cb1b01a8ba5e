"""Pairing and change to NHS England's community mental-health PROMs dashboard definitions.

Source: ``nhsengland/MHSDS``, file ``CMH PROMs /CMH PROMs Dashboard`` (anchors section 4.1):

* pairing is per referral (the patient where there is no referral id) and per unit of change
  (ReQoL-10 total, each DIALOG item 1-8, each GBO goal);
* baseline = the first valid assessment; follow-up = the latest valid later assessment on or
  before the reporting-period end; no minimum interval unless one is asked for;
* change = follow-up - baseline; reliable improvement when change is in the better direction by
  at least the threshold (ReQoL-10 5, DIALOG 1, GBO 3), reliable deterioration the other way,
  otherwise no reliable change;
* ReQoL-10: clinical at baseline below 25; reliable recovery = clinical at baseline, 25 or more
  at follow-up and a reliable improvement;
* eligible referrals: at least 2 contacts, and closed, or open for at least 180 days.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cscs_eval.dates import option_date
from cscs_eval.errors import SuspiciousDataWarning, UsageError
from cscs_eval.proms._data import ReadResult, checked, read_demographics, read_referrals
from cscs_eval.proms._engine import counts_in_score_order, create_scores, pairs_frame
from cscs_eval.proms._results import (CATEGORIES, EXCLUSION_COLUMNS, TEAM_EXCLUSION_COLUMNS, Note, OutcomesResult,
                                      plain, table_of)

OUTCOME_COLUMNS = ["patient_id", "referral_id", "team", "measure", "unit", "baseline_date", "follow_up_date",
                   "days_between", "n_assessments", "baseline", "follow_up", "change", "paired", "category",
                   "clinical_baseline", "reliable_recovery"]


class SameDayFollowUpWarning(SuspiciousDataWarning):
    """A follow-up on the same day as its baseline (two assessment ids on one date): allowed, as in
    NHS England's dashboard, but suspicious. Filter it with ``warnings.filterwarnings``, or
    require a gap with ``min_interval_days``."""


#: NHS England eligible-referral rules (CMH PROMs dashboard).
MIN_CONTACTS = 2
MIN_OPEN_DAYS = 180


def _unit_table(registry, units) -> pd.DataFrame:
    rows = []
    for m in registry.values():
        try:
            names = m.unit_names(units)
        except UsageError:
            if isinstance(units, str):
                names = m.unit_names("nhse")
            else:
                continue
        for order, u in enumerate(names):
            s = m.score(u)
            rows.append({"measure": m.key, "unit": u, "_uorder": order, "_threshold": s.reliable_change,
                         "_sign": m.sign})
    return pd.DataFrame(rows)


def pair(scores, *, registry=None, measures=None, units="nhse", min_interval_days: int = 0,
         period_start=None, period_end=None) -> pd.DataFrame:
    """Baseline and follow-up per referral and unit of change.

    Parameters
    ----------
    scores
        Scores as :func:`~cscs_eval.proms.score` returns them (the result or its table;
        ``referral_id`` may be empty: the patient is then the pairing unit).
    units
        ``"nhse"`` (default: the dashboard's units) or ``"research"`` (DIALOG SQoL and
        treatment means, the GBO goal mean), or a list of score names.
    min_interval_days
        A follow-up counts only if at least this many days after the baseline (0: any later date).
    period_start, period_end
        Assessments after ``period_end`` are ignored; a referral and unit is kept only if its
        last assessment is on or after ``period_start``.

    Returns
    -------
    pandas.DataFrame
        One row per referral and unit with ``baseline_date, follow_up_date, days_between,
        n_assessments, baseline, follow_up, paired``; unpaired rows have no follow-up.

    Warns
    -----
    SameDayFollowUpWarning
        When a follow-up falls on the day of its baseline (another ``assessment_id``).
    """
    out, same_day = _pair(table_of(scores), registry=registry, measures=measures, units=units,
                          min_interval_days=min_interval_days, period_start=period_start, period_end=period_end)
    if same_day:
        _warn_same_day(same_day)
    return out


def _warn_same_day(n: int) -> None:
    were = "follow-up is" if n == 1 else "follow-ups are"
    warnings.warn(f"{n} {were} on the same day as the baseline (a different assessment_id); "
                  "counted as paired, as in NHS England's dashboard; set a minimum interval to require a gap",
                  SameDayFollowUpWarning, stacklevel=3)


#: How a same-day follow-up reads in a report (its count is added there, suppressed).
SAME_DAY_NOTE = ("Follow-ups on the same day as their baseline (another assessment that day), counted as paired "
                 "as in NHS England's dashboard")
#: How referral rows outside the referrals file read in a report.
UNKNOWN_REFERRAL_NOTE = ("Referral-unit rows whose referral_id is not in the referrals file (outside the eligible "
                         "cohort)")


def _pair(s: pd.DataFrame, *, registry, measures, units, min_interval_days, period_start, period_end):
    """:func:`pair` without the warning: (pairs, number of same-day follow-ups)."""
    if min_interval_days is None:
        min_interval_days = 0
    if int(min_interval_days) < 0:
        raise UsageError(f"min_interval_days must be 0 or more, got {min_interval_days}")
    if registry is None:
        from cscs_eval.proms._measures import measure_registry

        registry = measure_registry(extra=measures)
    period_start = option_date(period_start, "period_start")
    period_end = option_date(period_end, "period_end")
    if period_start is not None and period_end is not None and period_start > period_end:
        raise UsageError(f"period_start ({period_start:%Y-%m-%d}) must be on or before period_end "
                         f"({period_end:%Y-%m-%d})")
    if "pair_id" not in s.columns:
        s = s.assign(pair_id=s["referral_id"].astype(object).where(s["referral_id"].notna(), s["patient_id"]))
    s = s[s["score"].notna()]
    if period_end is not None:
        s = s[s["assessment_date"] <= period_end]
    ut = _unit_table(registry, units)
    s = s.merge(ut[["measure", "unit", "_uorder"]], on=["measure", "unit"], how="inner")
    s = s.sort_values(["pair_id", "measure", "_uorder", "assessment_date"], kind="stable")
    g = s.groupby(["pair_id", "measure", "_uorder"], sort=False)
    first = g.head(1).reset_index(drop=True)
    last = g.tail(1).reset_index(drop=True)
    n = g.size().to_numpy()
    out = pd.DataFrame({
        "pair_id": first["pair_id"].array,
        "patient_id": first["patient_id"].array,
        "referral_id": first["referral_id"].array,
        "team": first["team"].array,
        "measure": first["measure"].array,
        "unit": first["unit"].array,
        "_uorder": first["_uorder"].to_numpy(),
        "baseline_date": first["assessment_date"].to_numpy(),
        "baseline": first["score"].to_numpy(dtype=float),
        "_last_date": last["assessment_date"].to_numpy(),
        "_last": last["score"].to_numpy(dtype=float),
        "n_assessments": n,
    })
    days = (out["_last_date"] - out["baseline_date"]).dt.days.to_numpy()
    # A later assessment: a later date, or (with assessment ids) another assessment on the same day.
    paired = (n > 1) & (days >= int(min_interval_days))
    same_day = int((paired & (days == 0)).sum())
    out["follow_up_date"] = out["_last_date"].where(paired)
    out["follow_up"] = np.where(paired, out["_last"], np.nan)
    out["days_between"] = pd.array(np.where(paired, days, 0), dtype="Int64")
    out.loc[~paired, "days_between"] = pd.NA
    out["paired"] = paired
    if period_start is not None:
        out = out[out["_last_date"] >= period_start]
    out = out.drop(columns=["_last_date", "_last"])
    return out.sort_values(["measure", "team", "pair_id", "_uorder"], kind="stable").reset_index(drop=True), same_day


def classify(pairs: pd.DataFrame, *, registry=None, measures=None) -> pd.DataFrame:
    """Add ``change, category, clinical_baseline, reliable_recovery`` to paired rows.

    ``category`` is ``reliable improvement`` when the change is in the better direction by at
    least the unit's reliable-change threshold, ``reliable deterioration`` the other way, else
    ``no reliable change``; missing for unpaired rows or units without a threshold.
    ``clinical_baseline`` and ``reliable_recovery`` are missing for measures without a cut-off.

    Examples
    --------
    >>> p = pd.DataFrame({"measure": "reqol10", "unit": "total", "baseline": [20.0, 20.0, 30.0],
    ...                   "follow_up": [25.0, 24.0, 25.0], "paired": True})
    >>> classify(p)[["change", "category", "reliable_recovery"]].values.tolist()
    [[5.0, 'reliable improvement', True], [4.0, 'no reliable change', False], [-5.0, 'reliable deterioration', False]]
    """
    if registry is None:
        from cscs_eval.proms._measures import measure_registry

        registry = measure_registry(extra=measures)
    out = pairs.copy()
    # Round away floating-point noise so a change of exactly the threshold is not missed.
    change = np.round(out["follow_up"].to_numpy(dtype=float) - out["baseline"].to_numpy(dtype=float), 9)
    out["change"] = change
    threshold = np.full(len(out), np.nan)
    sign = np.ones(len(out))
    clin_base = np.full(len(out), np.nan)
    clin_follow = np.full(len(out), np.nan)
    meas = out["measure"].to_numpy(dtype=object)
    unit = out["unit"].to_numpy(dtype=object)
    for (mk, uk) in set(zip(meas, unit)):
        m = registry[mk]
        sc = m.score(uk)
        rows = (meas == mk) & (unit == uk)
        sign[rows] = m.sign
        if sc.reliable_change is not None:
            threshold[rows] = sc.reliable_change
        if sc.cutoff is not None:
            clin_base[rows] = sc.is_clinical(out["baseline"].to_numpy(dtype=float)[rows])
            clin_follow[rows] = sc.is_clinical(out["follow_up"].to_numpy(dtype=float)[rows])
    better = sign * change
    ok = ~np.isnan(change) & ~np.isnan(threshold)
    cat = np.full(len(out), None, dtype=object)
    cat[ok] = CATEGORIES[1]
    cat[ok & (better >= threshold)] = CATEGORIES[0]
    cat[ok & (better <= -threshold)] = CATEGORIES[2]
    out["category"] = pd.array(cat, dtype="string")
    cb = pd.array(np.where(np.isnan(clin_base), None, clin_base == 1), dtype="boolean")
    out["clinical_baseline"] = cb
    rec = (clin_base == 1) & (clin_follow == 0) & (cat == CATEGORIES[0])
    has = ~np.isnan(clin_base) & ~np.isnan(clin_follow) & ok
    out["reliable_recovery"] = pd.array(np.where(has, rec, None), dtype="boolean")
    return out


def eligible_referrals(referrals, *, period_end=None, min_contacts: int = MIN_CONTACTS,
                       min_open_days: int = MIN_OPEN_DAYS, drop_invalid: bool = False) -> pd.DataFrame:
    """NHS England's eligible referrals at ``period_end``: the denominator of the paired rate.

    A referral counts if it started on or before ``period_end``, had at least ``min_contacts``
    contacts, and is closed by ``period_end`` or has been open at least ``min_open_days`` days.
    ``referrals`` is a path, a DataFrame or what :func:`~cscs_eval.proms.read_referrals` returns.

    Returns the referrals with ``status`` (open/closed), ``length_days`` and ``eligible``.
    """
    if isinstance(referrals, pd.DataFrame) and {"eligible", "status"} <= set(referrals.columns):
        ref = referrals
    else:
        ref = (referrals if isinstance(referrals, ReadResult) else
               read_referrals(referrals, drop_invalid=drop_invalid)).table
    end = option_date(period_end, "period_end")
    if end is None:
        end = pd.concat([ref["referral_date"], ref["discharge_date"]]).max()
    ref = ref[ref["referral_date"] <= end].copy()
    closed = ref["discharge_date"].notna() & (ref["discharge_date"] <= end)
    stop = ref["discharge_date"].where(closed, end)
    ref["status"] = np.where(closed, "closed", "open")
    ref["length_days"] = (stop - ref["referral_date"]).dt.days
    ref["eligible"] = (ref["n_contacts"] >= min_contacts) & (closed | (ref["length_days"] >= min_open_days))
    return ref.reset_index(drop=True)


def outcomes(data, *, referrals=None, demographics=None, drop_invalid: bool = False, measures=None, units="nhse",
             min_interval_days: int = 0, period_start=None, period_end=None, today=None) -> OutcomesResult:
    """Paired change per referral and unit of change, to NHS England's definitions.

    Parameters
    ----------
    data
        PROMs file path or DataFrame (item responses or scores; DESIGN.md long format).
    referrals
        Optional referrals (path or DataFrame ``referral_id, patient_id, team, referral_date,
        discharge_date, n_contacts``). With it each row gets ``eligible``, and the summaries use
        eligible referrals as the cohort and the paired-rate denominator.
    demographics
        Optional ``patient_id, ethnicity, imd_decile, age_band, gender`` (any), joined by patient.
    drop_invalid
        Analyse the valid rows and count the excluded ones (``.exclusions``) instead of
        raising :class:`~cscs_eval.errors.ValidationError`.
    units, min_interval_days, period_start, period_end
        See :func:`pair`. ``period_end`` also fixes when referral eligibility is judged
        (default: the latest date in the data).

    Returns
    -------
    OutcomesResult
        ``.table``: one row per referral and unit, ``patient_id, referral_id, team, measure, unit,
        baseline_date, follow_up_date, days_between, n_assessments, baseline, follow_up, change,
        paired, category, clinical_baseline, reliable_recovery`` (+ ``eligible``, demographics);
        ``.exclusions`` (``stage, reason, n_rows``; :meth:`~OutcomesResult.exclusions_for` for one
        team), ``.problems`` (every problem row), ``.referrals`` (the eligibility table, or
        None) and ``.notes`` (the data warnings raised, as data).

    Warns
    -----
    SameDayFollowUpWarning
        A follow-up on the day of its baseline (another ``assessment_id``).
    cscs_eval.errors.SuspiciousDataWarning
        Rows whose ``referral_id`` is not in the referrals file.

    Examples
    --------
    >>> df = pd.DataFrame({"patient_id": "P1", "referral_id": "R1", "team": "A", "measure": "ReQoL-10",
    ...                    "assessment_date": ["01/02/2024", "01/06/2024"], "score": ["18", "26"]})
    >>> result = outcomes(df)
    >>> result.table[["baseline", "follow_up", "category"]].values.tolist()
    [[18.0, 26.0, 'reliable improvement']]
    >>> result.text(suppress=False)  # doctest: +NORMALIZE_WHITESPACE
    'reqol10: 1 referrals with a baseline score, 1 of them paired (a baseline and a later follow-up);
     0 input rows or scores excluded.'
    """
    if min_interval_days is None:
        min_interval_days = 0
    if int(min_interval_days) < 0:
        raise UsageError(f"min_interval_days must be 0 or more, got {min_interval_days}")
    start = option_date(period_start, "period_start")
    end = option_date(period_end, "period_end")
    if start is not None and end is not None and start > end:
        raise UsageError(f"period_start ({start:%Y-%m-%d}) must be on or before period_end ({end:%Y-%m-%d})")
    with checked(data, drop_invalid=drop_invalid, measures=measures, today=today) as prep:
        eng, registry = prep.engine, prep.registry
        exclusions = [prep.exclusions]
        by_team = [prep.exclusions_by_team]
        notes = []
        create_scores(eng, registry)
        ut = _unit_table(registry, units)
        eng.con.register("_used", ut[["measure", "unit"]])
        not_scored = ("s.score IS NULL AND EXISTS (SELECT 1 FROM _used u WHERE u.measure = s.measure "
                      "AND u.unit = s.unit)")
        # Reasons with their counts of items as "some", so that one reason is one line.
        why = r"regexp_replace(s.excluded_reason, '\d+ of \d+', 'some')"
        counts = counts_in_score_order(eng, not_scored, why)
        if len(counts):
            exclusions.append(pd.DataFrame({"stage": "scoring", "reason": counts["key"].to_numpy(dtype=object),
                                            "n_rows": counts["n"].to_numpy(dtype="int64")})[EXCLUSION_COLUMNS])
            by_team.append(eng.df(f"""SELECT {why} AS reason, s.team, count(*) AS n_rows FROM scores s
                                      WHERE {not_scored} GROUP BY ALL ORDER BY reason, team""")
                           .assign(stage="scoring"))
        if end is not None:
            late_where = f"s.score IS NOT NULL AND s.assessment_date > DATE '{end:%Y-%m-%d}'"
            late = counts_in_score_order(eng, late_where, "s.team")
            if len(late):
                exclusions.append(pd.DataFrame(
                    [{"stage": "pairing", "reason": "assessment after the period end",
                      "n_rows": int(late["n"].sum())}]))
                by_team.append(pd.DataFrame({"team": late["key"].to_numpy(dtype=object),
                                             "n_rows": late["n"].to_numpy(dtype="int64")})
                               .assign(stage="pairing", reason="assessment after the period end"))
        pairs, same_day = pairs_frame(eng, ut, min_interval_days=min_interval_days, period_start=start,
                                      period_end=end)
        # Eligibility is judged at the period end, else at the latest assessment kept.
        data_end = end if end is not None or referrals is None else \
            pd.Timestamp(eng.scalar("SELECT max(date) FROM v"))
    if same_day:
        _warn_same_day(same_day)
        notes.append(Note(SameDayFollowUpWarning, same_day, SAME_DAY_NOTE))
    out = plain(classify(pairs, registry=registry))
    out = out.sort_values(["measure", "team", "referral_id", "patient_id", "_uorder"], kind="stable",
                          na_position="last")
    ref_table = None
    if referrals is not None:
        if isinstance(referrals, pd.DataFrame) and "eligible" in referrals.columns:
            ref = referrals
        else:
            read = referrals if isinstance(referrals, ReadResult) else \
                read_referrals(referrals, drop_invalid=drop_invalid)
            exclusions.append(read.summary(suppress=False).assign(stage="referrals")[EXCLUSION_COLUMNS])
            ref = read.table
        if end is None:
            data_end = max(data_end, pd.concat([ref["referral_date"], ref["discharge_date"]]).max())
        ref_table = eligible_referrals(ref, period_end=data_end)
        elig = dict(zip(ref_table["referral_id"], ref_table["eligible"]))
        out["eligible"] = pd.array(out["referral_id"].map(elig).astype(object), dtype="boolean")
        unknown = int(out["eligible"].isna().sum())
        if unknown:
            warnings.warn(f"{unknown} referral-unit rows have a referral_id not in the referrals file; "
                          "they are outside the eligible cohort", SuspiciousDataWarning, stacklevel=2)
            notes.append(Note(SuspiciousDataWarning, unknown, UNKNOWN_REFERRAL_NOTE))
            exclusions.append(pd.DataFrame([{
                "stage": "referrals", "reason": "referral_id not in the referrals file (outside the eligible cohort)",
                "n_rows": unknown}]))
    if demographics is not None:
        demo = demographics if isinstance(demographics, ReadResult) else \
            read_demographics(demographics, drop_invalid=drop_invalid)
        conflicts = demo.summary(suppress=False)
        exclusions.append(conflicts.assign(stage="demographics",
                                           reason=conflicts["reason"] + " (those fields set to not known)")
                          [EXCLUSION_COLUMNS])
        demo_cols = [c for c in demo.table.columns if c != "patient_id"]
        out = out.drop(columns=[c for c in demo_cols if c in out.columns]).merge(demo.table, on="patient_id",
                                                                                 how="left")
        if ref_table is not None:
            ref_table = ref_table.merge(demo.table, on="patient_id", how="left")
    keep = OUTCOME_COLUMNS + [c for c in out.columns if c not in OUTCOME_COLUMNS and not c.startswith("_")
                              and c != "pair_id"]
    by_team = pd.concat([b for b in by_team if b is not None and len(b)] or
                        [pd.DataFrame(columns=TEAM_EXCLUSION_COLUMNS)], ignore_index=True)
    exclusions = pd.concat([e for e in exclusions if len(e)] or [pd.DataFrame(columns=EXCLUSION_COLUMNS)],
                           ignore_index=True)
    return OutcomesResult(
        out[keep].reset_index(drop=True), exclusions=exclusions.astype({"n_rows": "int64"}), problems=prep.problems,
        referrals=ref_table, exclusions_by_team=by_team[TEAM_EXCLUSION_COLUMNS].astype({"n_rows": "int64"}),
        notes=tuple(notes),
        options={"units": units, "min_interval_days": min_interval_days, "period_start": period_start,
                 "period_end": end})
