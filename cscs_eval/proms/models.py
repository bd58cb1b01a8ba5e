"""Models of PROMs outcomes with statsmodels, each returning a result with a tidy table.

* :func:`mixed_model`: score over time with a random intercept per patient (and optionally
  patients nested in teams), ``statsmodels.formula.api.mixedlm``;
* :func:`ancova`: follow-up on baseline and group (OLS), the usual adjusted comparison;
* :func:`pairing_model`: logistic regression of having a paired score (who goes missing?).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscs_eval.errors import SmallSampleWarning, UsageError

TABLE_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


@dataclass
class ModelResult:
    """A fitted model: the statsmodels results (``fit``) and a tidy ``table`` of its terms."""

    name: str
    formula: str
    n_obs: int
    table: pd.DataFrame
    fit: object = field(repr=False)
    n_groups: int | None = None
    notes: tuple = ()

    def summary(self):
        """statsmodels' own summary of the fit."""
        return self.fit.summary()


def _tidy_term(term: str) -> str:
    """``C(team)[T.North]`` -> ``team = North``."""
    term = re.sub(r"C\((\w+)(?:,[^)]*)?\)\[T\.(.+?)\]", r"\1 = \2", term)
    return term


def _table(fit, *, exponentiate=False) -> pd.DataFrame:
    params = fit.params
    ci = fit.conf_int()
    stat = getattr(fit, "tvalues", None)
    out = pd.DataFrame({
        "term": [_tidy_term(t) for t in params.index],
        "estimate": params.to_numpy(dtype=float),
        "std_error": np.asarray(fit.bse, dtype=float),
        "statistic": np.asarray(stat, dtype=float) if stat is not None else np.nan,
        "p_value": np.asarray(fit.pvalues, dtype=float),
        "ci_low": ci.iloc[:, 0].to_numpy(dtype=float),
        "ci_high": ci.iloc[:, 1].to_numpy(dtype=float),
    })
    if exponentiate:
        with np.errstate(over="ignore"):
                out = out.assign(odds_ratio=np.exp(out["estimate"]), or_ci_low=np.exp(out["ci_low"]),
                             or_ci_high=np.exp(out["ci_high"]))
    return out


def _select(df, measure, unit):
    from cscs_eval.proms.measures import load_measure

    key = load_measure(measure).key
    sub = df[df["measure"] == key]
    if unit is None:
        units = list(pd.unique(sub["unit"]))
        unit = "total" if "total" in units else (units[0] if units else None)
    sub = sub[sub["unit"] == unit]
    if sub.empty:
        raise UsageError(f"no rows for measure {key!r} and unit {unit!r}")
    return sub, key, unit


def _check_group(df, col):
    if col not in df.columns:
        raise UsageError(f"group must be a column of the table ({', '.join(df.columns)}), got {col!r}")


def mixed_model(scores: pd.DataFrame, *, measure="reqol10", unit=None, time_unit: str = "months",
                team_effects: bool = False, reml: bool = True) -> ModelResult:
    """Linear mixed model of score over time since the patient's first assessment.

    ``score ~ time`` with a random intercept per patient (``groups=patient_id``); with
    ``team_effects=True`` the groups are teams, each with a random intercept and a variance
    component for patients within the team. ``time`` is in ``months`` (days / 30.4375) or ``days``.

    Parameters
    ----------
    scores
        Scores as :func:`~cscs_eval.proms.scoring.score` returns them (every assessment).
    measure, unit
        Which score to model (default the measure's ``total``, else its first unit).
    """
    if time_unit not in ("months", "days"):
        raise UsageError(f"time_unit must be 'months' or 'days', got {time_unit!r}")
    import statsmodels.formula.api as smf

    sub, key, unit = _select(scores[scores["score"].notna()], measure, unit)
    first = sub.groupby("patient_id")["assessment_date"].transform("min")
    days = (sub["assessment_date"] - first).dt.days.astype(float)
    data = pd.DataFrame({"score": sub["score"].astype(float).to_numpy(),
                         "time": (days / 30.4375 if time_unit == "months" else days).to_numpy(),
                         "patient_id": sub["patient_id"].astype(str).to_numpy(),
                         "team": sub["team"].astype(str).to_numpy()})
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if team_effects:
            model = smf.mixedlm("score ~ time", data, groups="team", re_formula="1",
                                vc_formula={"patient": "0 + C(patient_id)"})
            groups = data["team"].nunique()
        else:
            model = smf.mixedlm("score ~ time", data, groups="patient_id")
            groups = data["patient_id"].nunique()
        fit = model.fit(reml=reml)
    if not getattr(fit, "converged", True):
        notes.append("the optimiser did not report convergence")
    table = _table(fit)
    return ModelResult(name=f"mixed model of {key} {unit} over time", formula="score ~ time", n_obs=len(data),
                       n_groups=groups, table=table, fit=fit, notes=tuple(notes))


def ancova(outcomes: pd.DataFrame, *, group: str = "team", measure="reqol10", unit=None) -> ModelResult:
    """ANCOVA: ``follow_up ~ baseline + C(group)`` by OLS on paired referrals.

    The group terms are differences in follow-up from the reference group (the first in sort
    order) at equal baseline.
    """
    import statsmodels.formula.api as smf

    _check_group(outcomes, group)
    sub, key, unit = _select(outcomes[outcomes["paired"].astype(bool)], measure, unit)
    data = pd.DataFrame({"follow_up": sub["follow_up"].astype(float).to_numpy(),
                         "baseline": sub["baseline"].astype(float).to_numpy(),
                         group: sub[group].astype(object).where(sub[group].notna(), "not known").astype(str)
                         .to_numpy()})
    if data[group].nunique() < 2:
        raise UsageError(f"ancova needs at least two values of {group!r}")
    if len(data) < 10:
        warnings.warn(f"ANCOVA on {len(data)} paired referrals", SmallSampleWarning, stacklevel=2)
    formula = f"follow_up ~ baseline + C({group})"
    fit = smf.ols(formula, data).fit()
    return ModelResult(name=f"ANCOVA of {key} {unit} follow-up", formula=formula, n_obs=len(data),
                       table=_table(fit), fit=fit)


def pairing_model(outcomes: pd.DataFrame, *, predictors=("team",), measure="reqol10", unit=None) -> ModelResult:
    """Logistic regression of having a paired score on categorical predictors (who goes missing?).

    One row per referral with a baseline: ``paired ~ C(p1) + C(p2) + ...``. The table adds odds
    ratios with their intervals.
    """
    import statsmodels.formula.api as smf

    predictors = [predictors] if isinstance(predictors, str) else list(predictors)
    for p in predictors:
        _check_group(outcomes, p)
    sub, key, unit = _select(outcomes, measure, unit)
    data = pd.DataFrame({"paired": sub["paired"].astype(bool).astype(int).to_numpy()})
    for p in predictors:
        data[p] = sub[p].astype(object).where(sub[p].notna(), "not known").astype(str).to_numpy()
    formula = "paired ~ " + " + ".join(f"C({p})" for p in predictors)
    n_params = 1 + sum(data[p].nunique() - 1 for p in predictors)
    events = min(int(data["paired"].sum()), int((1 - data["paired"]).sum()))
    if events < 10 * n_params:
        # The usual rule of thumb: about 10 events (the rarer outcome) per parameter.
        warnings.warn(f"logistic model with {events} events for {n_params} parameters; estimates may be unstable",
                      SmallSampleWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.logit(formula, data).fit(disp=False)
    table = _table(fit, exponentiate=True)
    return ModelResult(name=f"logistic model of a paired {key} {unit}", formula=formula, n_obs=len(data),
                       table=table, fit=fit)
