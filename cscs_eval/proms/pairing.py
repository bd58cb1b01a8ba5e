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

from cscs_eval.errors import SuspiciousDataWarning, UsageError
from cscs_eval.proms.data import check_option_date, prepare_proms, read_demographics, read_referrals
from cscs_eval.proms.scoring import plain, score_rows

CATEGORIES = ("reliable improvement", "no reliable change", "reliable deterioration")
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


class RunInfo:
    """What a run excluded and used, carried in ``DataFrame.attrs["proms"]``.

    pandas copies and compares ``attrs`` on every operation; this holder is shared rather than
    copied and compares by identity, so large tables ride along at no cost.
    """

    def __init__(self, *, exclusions=None, problems=None, referrals=None, options=None, exclusions_by_team=None):
        self.exclusions = exclusions
        self.exclusions_by_team = exclusions_by_team
        self.problems = problems
        self.referrals = referrals
        self.options = options or {}

    def __deepcopy__(self, memo):
        return self

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__

    def __repr__(self):
        return f"RunInfo({len(self.exclusions) if self.exclusions is not None else 0} exclusion reasons)"


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


def pair(scores: pd.DataFrame, *, registry=None, measures=None, units="nhse", min_interval_days: int = 0,
         period_start=None, period_end=None) -> pd.DataFrame:
    """Baseline and follow-up per referral and unit of change.

    Parameters
    ----------
    scores
        Scores as :func:`~cscs_eval.proms.scoring.score` returns them (``referral_id`` may be
        empty: the patient is then the pairing unit).
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
    """
    if min_interval_days is None:
        min_interval_days = 0
    if int(min_interval_days) < 0:
        raise UsageError(f"min_interval_days must be 0 or more, got {min_interval_days}")
    if registry is None:
        from cscs_eval.proms.measures import measure_registry

        registry = measure_registry(measures)
    period_start = check_option_date(period_start, "period_start")
    period_end = check_option_date(period_end, "period_end")
    if period_start is not None and period_end is not None and period_start > period_end:
        raise UsageError(f"period_start ({period_start:%Y-%m-%d}) must be on or before period_end "
                         f"({period_end:%Y-%m-%d})")
    s = scores
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
    if same_day:
        were = "follow-up is" if same_day == 1 else "follow-ups are"
        warnings.warn(f"{same_day} {were} on the same day as the baseline (a different assessment_id); "
                      "counted as paired, as in NHS England's dashboard; set a minimum interval to require a gap",
                      SameDayFollowUpWarning, stacklevel=2)
    out["follow_up_date"] = out["_last_date"].where(paired)
    out["follow_up"] = np.where(paired, out["_last"], np.nan)
    out["days_between"] = pd.array(np.where(paired, days, 0), dtype="Int64")
    out.loc[~paired, "days_between"] = pd.NA
    out["paired"] = paired
    if period_start is not None:
        out = out[out["_last_date"] >= period_start]
    out = out.drop(columns=["_last_date", "_last"])
    return out.sort_values(["measure", "team", "pair_id", "_uorder"], kind="stable").reset_index(drop=True)


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
        from cscs_eval.proms.measures import measure_registry

        registry = measure_registry(measures)
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
                       min_open_days: int = MIN_OPEN_DAYS, drop_invalid=False) -> pd.DataFrame:
    """NHS England's eligible referrals at ``period_end``: the denominator of the paired rate.

    A referral counts if it started on or before ``period_end``, had at least ``min_contacts``
    contacts, and is closed by ``period_end`` or has been open at least ``min_open_days`` days.

    Returns the referrals with ``status`` (open/closed), ``length_days`` and ``eligible``.
    """
    ref = referrals if {"eligible", "status"} <= set(getattr(referrals, "columns", ())) else \
        read_referrals(referrals, drop_invalid=drop_invalid)
    end = check_option_date(period_end, "period_end")
    if end is None:
        end = pd.concat([ref["referral_date"], ref["discharge_date"]]).max()
    ref = ref[ref["referral_date"] <= end].copy()
    closed = ref["discharge_date"].notna() & (ref["discharge_date"] <= end)
    stop = ref["discharge_date"].where(closed, end)
    ref["status"] = np.where(closed, "closed", "open")
    ref["length_days"] = (stop - ref["referral_date"]).dt.days
    ref["eligible"] = (ref["n_contacts"] >= min_contacts) & (closed | (ref["length_days"] >= min_open_days))
    ref = ref.reset_index(drop=True)
    ref.attrs.clear()
    return ref


def outcomes(data, *, referrals=None, demographics=None, drop_invalid=False, measures=None, units="nhse",
             min_interval_days: int = 0, period_start=None, period_end=None, today=None) -> pd.DataFrame:
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
        Analyse the valid rows and count the excluded ones (see :func:`exclusions`) instead of
        raising :class:`~cscs_eval.errors.ValidationError`.
    units, min_interval_days, period_start, period_end
        See :func:`pair`. ``period_end`` also fixes when referral eligibility is judged
        (default: the latest date in the data).

    Returns
    -------
    pandas.DataFrame
        One row per referral and unit: ``patient_id, referral_id, team, measure, unit,
        baseline_date, follow_up_date, days_between, n_assessments, baseline, follow_up, change,
        paired, category, clinical_baseline, reliable_recovery`` (+ ``eligible``, demographics).
        What was excluded (``stage, reason, n_rows``), every problem row and the eligibility
        table travel with it: read them with :func:`exclusions`, :func:`problems` and
        :func:`referral_table`.
    """
    prep = prepare_proms(data, drop_invalid=drop_invalid, measures=measures, today=today)
    rows, exclusions, registry = prep.rows, prep.exclusions, prep.registry
    by_team = [prep.exclusions_by_team]
    scores = score_rows(rows, registry)
    used = _unit_table(registry, units)[["measure", "unit"]]
    not_scored = scores[scores["score"].isna()].merge(used, on=["measure", "unit"], how="inner")
    if len(not_scored):
        why = not_scored["excluded_reason"].astype(str).str.replace(r"\d+ of \d+", "some", regex=True)
        extra = why.value_counts().rename_axis("reason").rename("n_rows").reset_index().assign(stage="scoring")
        exclusions = pd.concat([exclusions, extra[["stage", "reason", "n_rows"]]], ignore_index=True)
        by_team.append(pd.DataFrame({"reason": why.to_numpy(), "team": not_scored["team"].astype(object).to_numpy()})
                       .groupby(["reason", "team"], sort=True).size().rename("n_rows").reset_index()
                       .assign(stage="scoring"))
    end = check_option_date(period_end, "period_end")
    if end is not None:
        late_rows = scores["score"].notna() & (scores["assessment_date"] > end)
        late = int(late_rows.sum())
        if late:
            exclusions = pd.concat([exclusions, pd.DataFrame(
                [{"stage": "pairing", "reason": "assessment after the period end", "n_rows": late}])],
                ignore_index=True)
            by_team.append(scores.loc[late_rows, "team"].astype(object).value_counts().rename("n_rows")
                           .rename_axis("team").reset_index().assign(stage="pairing",
                                                                    reason="assessment after the period end"))
    pairs = pair(scores, registry=registry, units=units, min_interval_days=min_interval_days,
                 period_start=period_start, period_end=end)
    out = plain(classify(pairs, registry=registry))
    out = out.sort_values(["measure", "team", "referral_id", "patient_id", "_uorder"], kind="stable",
                          na_position="last")
    ref_table = None
    if referrals is not None:
        data_end = end if end is not None else rows["assessment_date"].max()
        ref = read_referrals(referrals, drop_invalid=drop_invalid) if not isinstance(referrals, pd.DataFrame) or \
            "eligible" not in referrals.columns else referrals
        extra = _file_exclusions(ref.attrs.get("problems"), "referrals")
        if len(extra):
            exclusions = pd.concat([exclusions, extra], ignore_index=True)
        if end is None:
            data_end = max(data_end, pd.concat([ref["referral_date"], ref["discharge_date"]]).max())
        ref_table = eligible_referrals(ref, period_end=data_end)
        elig = dict(zip(ref_table["referral_id"], ref_table["eligible"]))
        out["eligible"] = pd.array(out["referral_id"].map(elig).astype(object), dtype="boolean")
        unknown = int(out["eligible"].isna().sum())
        if unknown:
            warnings.warn(f"{unknown} referral-unit rows have a referral_id not in the referrals file; "
                          "they are outside the eligible cohort", SuspiciousDataWarning, stacklevel=2)
            exclusions = pd.concat([exclusions, pd.DataFrame([{
                "stage": "referrals", "reason": "referral_id not in the referrals file (outside the eligible cohort)",
                "n_rows": unknown}])], ignore_index=True)
    if demographics is not None:
        demo = read_demographics(demographics, drop_invalid=drop_invalid)
        extra = _file_exclusions(demo.attrs.get("problems"), "demographics",
                                 note=" (those fields set to not known)")
        if len(extra):
            exclusions = pd.concat([exclusions, extra], ignore_index=True)
        demo_cols = [c for c in demo.columns if c != "patient_id"]
        out = out.drop(columns=[c for c in demo_cols if c in out.columns]).merge(demo, on="patient_id", how="left")
        if ref_table is not None:
            ref_table = ref_table.merge(demo, on="patient_id", how="left")
    keep = OUTCOME_COLUMNS + [c for c in out.columns if c not in OUTCOME_COLUMNS and not c.startswith("_")
                              and c != "pair_id"]
    result = out[keep].reset_index(drop=True)
    by_team = pd.concat([b for b in by_team if b is not None and len(b)] or
                        [pd.DataFrame(columns=["stage", "reason", "team", "n_rows"])], ignore_index=True)
    result.attrs["proms"] = RunInfo(exclusions=exclusions.reset_index(drop=True), problems=prep.problems,
                                    referrals=ref_table,
                                    exclusions_by_team=by_team[["stage", "reason", "team", "n_rows"]],
                        options={"units": units, "min_interval_days": min_interval_days,
                                 "period_start": period_start, "period_end": end})
    return result


def _file_exclusions(problems, stage, *, note="") -> pd.DataFrame:
    """Rows of a referrals or demographics file left out with ``drop_invalid``, counted by reason
    (each row once, under its first problem)."""
    if not problems:
        return pd.DataFrame(columns=["stage", "reason", "n_rows"])
    first = pd.DataFrame(problems).drop_duplicates("row")
    return (first.groupby("reason", sort=True).size().rename("n_rows").reset_index()
            .assign(stage=stage, reason=lambda d: d["reason"] + note)[["stage", "reason", "n_rows"]])


def _info(result):
    info = result.attrs.get("proms") if hasattr(result, "attrs") else None
    return info if isinstance(info, RunInfo) else None


def exclusions(result: pd.DataFrame, *, team=None) -> pd.DataFrame:
    """What was excluded and why, from a table :func:`outcomes` or ``score`` returned:
    ``stage`` (validation, scoring, pairing, referrals, demographics), ``reason``, ``n_rows``.

    With ``team`` (a name or a list; :func:`outcomes` only) just the rows of those teams are
    counted, so a team's own report lists its own exclusions.
    """
    info = _info(result)
    empty = pd.DataFrame(columns=["stage", "reason", "n_rows"])
    if info is None:
        return empty
    if team is None:
        return info.exclusions.copy()
    if info.exclusions_by_team is None:
        raise UsageError("exclusions by team need the table outcomes() returned")
    teams = [team] if isinstance(team, str) else list(team)
    sub = info.exclusions_by_team[info.exclusions_by_team["team"].isin(teams)]
    if sub.empty:
        return empty
    # Keep the order of the whole-extract table (validation, scoring, pairing; reasons as listed).
    order = {(st, r): i for i, (st, r) in enumerate(zip(info.exclusions["stage"], info.exclusions["reason"]))}
    out = sub.groupby(["stage", "reason"], sort=False)["n_rows"].sum().reset_index()
    out["_o"] = [order.get((st, r), len(order)) for st, r in zip(out["stage"], out["reason"])]
    return out.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def problems(result: pd.DataFrame) -> pd.DataFrame:
    """Every problem row found in the input: ``row, column, value, reason, problem``."""
    info = _info(result)
    return pd.DataFrame(columns=["row", "column", "value", "reason", "problem"]) if info is None else \
        info.problems.copy()


def referral_table(result: pd.DataFrame):
    """The referrals with ``status``, ``length_days`` and ``eligible`` (None without a referrals file)."""
    info = _info(result)
    return None if info is None or info.referrals is None else info.referrals.copy()
