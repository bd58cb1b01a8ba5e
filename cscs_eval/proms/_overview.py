"""A first look at a PROMs extract: what it holds, by team and measure, and how complete it is.

This is the data overview an analyst runs before any outcome analysis: teams, patients,
assessments, date range, follow-up completeness. It reads dates with the package's one date
parser (:func:`cscs_eval.dates.parse_dates`: ISO or UK day-first) and names measures by their
keys (``ReQoL-10`` and ``reqol10`` are one measure).
"""

from __future__ import annotations

import pandas as pd

from cscs_eval.dates import parse_dates
from cscs_eval.stats import format_number


def _measure_keys(values: pd.Series) -> pd.Series:
    """Measure names as their keys (``ReQoL-10`` -> ``reqol10``); an unknown name stays as written."""
    from cscs_eval.proms._measures import alias_map, measure_registry, normalise_key

    aliases = alias_map(measure_registry())
    mapping = {v: aliases.get(normalise_key(v), str(v).strip()) for v in values.dropna().unique()}
    return values.map(mapping)


def assessments(data: pd.DataFrame) -> pd.DataFrame:
    """One row per assessment (team, referral, measure, date) with its number of rows: ``rows``."""
    frame = data.assign(date=parse_dates(data["assessment_date"]), measure=_measure_keys(data["measure"]))
    return (frame.groupby(["team", "referral_id", "measure", "date"], dropna=False, observed=True)
            .size().rename("rows").reset_index())


def extract_summary(data: pd.DataFrame) -> dict:
    """Headline counts of an extract: ``teams, patients, referrals, assessments, rows``, the
    ``first_date`` and ``last_date`` (NaT when no date can be read), ``unreadable_dates`` and
    ``uk_format_dates`` (rows whose date is written day-first with ``/``).

    Examples
    --------
    >>> df = pd.DataFrame({"patient_id": ["P1", "P1"], "referral_id": ["R1", "R1"], "team": "A",
    ...                    "measure": "ReQoL-10", "assessment_date": ["05/01/2024", "2024-03-01"]})
    >>> facts = extract_summary(df)
    >>> facts["assessments"], facts["uk_format_dates"], f"{facts['last_date']:%d %B %Y}"
    (2, 1, '01 March 2024')
    """
    dates = parse_dates(data["assessment_date"])
    return {
        "teams": int(data["team"].nunique()),
        "patients": int(data["patient_id"].nunique()),
        "referrals": int(data["referral_id"].nunique()),
        "assessments": len(assessments(data)),
        "rows": len(data),
        "first_date": dates.min(),
        "last_date": dates.max(),
        "unreadable_dates": int(dates.isna().sum()),
        "uk_format_dates": int(data["assessment_date"].astype("string").str.contains("/", regex=False).sum()),
    }


def measure_counts(data: pd.DataFrame) -> pd.DataFrame:
    """Referrals and assessments per measure, and the share of referrals with a later follow-up:
    ``measure, assessments, referrals, with_follow_up, follow_up_pct``."""
    per = assessments(data)
    by_referral = per.groupby(["measure", "referral_id"], observed=True)["date"].nunique()
    out = by_referral.groupby(level="measure").agg(
        referrals="size", with_follow_up=lambda s: int((s > 1).sum()))
    out["assessments"] = per.groupby("measure", observed=True).size()
    out["follow_up_pct"] = 100 * out["with_follow_up"] / out["referrals"]
    return out.reset_index()[["measure", "assessments", "referrals", "with_follow_up", "follow_up_pct"]]


def completeness_by_team(data: pd.DataFrame, *, referrals: pd.DataFrame | None = None,
                         measure: str = "reqol10") -> pd.DataFrame:
    """Per team: referrals, referrals with a baseline of ``measure``, with a follow-up, and rates:
    ``team, referrals, with_baseline, with_follow_up, baseline_pct, follow_up_pct``.

    With ``referrals`` the denominator is every referral of the team in that table; without,
    it is the referrals that appear in the extract.
    """
    from cscs_eval.proms._measures import load_measure

    key = load_measure(measure).key
    per = assessments(data)
    per = per[per["measure"] == key]
    dates = per.groupby(["team", "referral_id"], observed=True)["date"].nunique().rename("n").reset_index()
    team = dates.groupby("team", observed=True).agg(with_baseline=("n", "size"),
                                                    with_follow_up=("n", lambda s: int((s > 1).sum())))
    if referrals is not None:
        team = referrals.groupby("team").size().rename("referrals").to_frame().join(team, how="left")
    else:
        team = team.assign(referrals=team["with_baseline"])[["referrals", "with_baseline", "with_follow_up"]]
    team = team.fillna(0).astype(int)
    team["baseline_pct"] = 100 * team["with_baseline"] / team["referrals"]
    team["follow_up_pct"] = 100 * team["with_follow_up"] / team["with_baseline"].where(team["with_baseline"] > 0)
    return team.rename_axis("team").reset_index().sort_values("team").reset_index(drop=True)


def plot_follow_up_by_team(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Bars of each team's follow-up rate, with the rate across the teams shown as a dashed line.

    ``table`` is what :func:`completeness_by_team` returns; for a published figure first
    drop the teams whose counts are suppressed (:func:`cscs_eval.governance.drop_small`).
    """
    import matplotlib.pyplot as plt

    from cscs_eval.reporting.style import ACCENT, DARK

    shown = table.sort_values("follow_up_pct")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, max(2.5, 0.22 * len(shown))))
    ax.barh(shown["team"], shown["follow_up_pct"], color=ACCENT)
    if shown["with_baseline"].sum() > 0:
        overall = 100 * shown["with_follow_up"].sum() / shown["with_baseline"].sum()
        ax.axvline(overall, color=DARK, ls="--", lw=1, label=f"teams shown ({format_number(overall, decimals=0)}%)")
        ax.legend(loc="lower right")
    ax.set(title=title or "Follow-up rate by team", xlabel="Referrals with a baseline that were followed up (%)",
           ylabel="")
    return ax
