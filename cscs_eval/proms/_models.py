"""Models of PROMs outcomes with statsmodels, each returning a result with a tidy table.

* :func:`mixed_model`: score over time with a random intercept per patient (and optionally
  patients nested in teams: a team random intercept and a patient variance component),
  ``statsmodels.formula.api.mixedlm``; ``.variance`` holds the variance components;
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
from cscs_eval.governance import count_text
from cscs_eval.proms._results import table_of
from cscs_eval.results import Result
from cscs_eval.stats import format_number, round_half_up

TABLE_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


@dataclass(repr=False)
class ModelResult(Result):
    """A fitted model: a tidy ``table`` of its terms and the statsmodels results (``fit``).

    ``summary()`` gives the terms for a report and ``text()`` a sentence; statsmodels' own
    summary is ``fit.summary()``.
    """

    name: str
    formula: str
    n_obs: int
    table: pd.DataFrame
    fit: object = field(default=None, repr=False)
    n_groups: int | None = None
    notes: tuple = ()
    #: Mixed models only: ``component, variance, sd, share`` (share of the total variance).
    variance: pd.DataFrame | None = None

    def text(self, *, suppress: bool = True) -> str:
        """What was fitted, on how many observations (counts as a published sentence shows them).

        Examples
        --------
        >>> ModelResult("ANCOVA of reqol10 total follow-up", "y ~ x", 123, pd.DataFrame(), fit=None).text()
        'ANCOVA of reqol10 total follow-up (y ~ x) on 125 observations.'
        """
        groups = f" in {count_text(self.n_groups, suppress=suppress)} groups" if self.n_groups else ""
        notes = "".join(f"; {n}" for n in self.notes)
        n = count_text(self.n_obs, suppress=suppress)
        return f"{self.name} ({self.formula}) on {n} observations{groups}{notes}."

    def summary(self, *, odds_ratios: bool = False, decimals: int = 2) -> pd.DataFrame:
        """The terms for a report: ``term, estimate`` (or ``odds_ratio``), ``ci_low, ci_high`` rounded,
        and ``p_value`` as text (``<0.001`` below one in a thousand, else three decimals).

        With ``odds_ratios`` (logistic models) the intercept, which is not an odds ratio, is left out.

        Examples
        --------
        >>> r = ModelResult("m", "y ~ x", 10, pd.DataFrame({"term": ["Intercept", "x"], "estimate": [1.234, 0.5],
        ...                 "std_error": 0.1, "statistic": 1.0, "p_value": [0.00001, 0.0456], "ci_low": [1.0, 0.1],
        ...                 "ci_high": [1.5, 0.9]}), fit=None)
        >>> r.summary().values.tolist()
        [['Intercept', 1.23, 1.0, 1.5, '<0.001'], ['x', 0.5, 0.1, 0.9, '0.046']]
        """
        t = self.table
        if odds_ratios:
            if "odds_ratio" not in t.columns:
                raise UsageError("odds_ratios needs a logistic model (pairing_model)")
            t = t[t["term"] != "Intercept"]
            out = pd.DataFrame({"term": t["term"], "odds_ratio": t["odds_ratio"], "ci_low": t["or_ci_low"],
                                "ci_high": t["or_ci_high"]})
        else:
            out = t[["term", "estimate", "ci_low", "ci_high"]].copy()
        out = out.assign(**{c: round_half_up(out[c].astype(float), decimals=decimals) for c in out.columns[1:]})
        out["p_value"] = [("<0.001" if p < 0.001 else format_number(p, decimals=3)) if pd.notna(p) else ""
                          for p in t["p_value"]]
        return out.reset_index(drop=True)


def _tidy_term(term: str) -> str:
    """``C(team)[T.North]`` -> ``team = North``."""
    term = re.sub(r"C\((\w+)(?:,[^)]*)?\)\[T\.(.+?)\]", r"\1 = \2", term)
    return term


def _table(fit, *, exponentiate=False, terms=None) -> pd.DataFrame:
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
    if terms is not None:
        # MixedLM lists its variance parameters (divided by the residual variance) among the
        # params; they are not coefficients, so the tidy table keeps the fixed effects only.
        out = out[np.isin(params.index, list(terms))].reset_index(drop=True)
    if exponentiate:
        with np.errstate(over="ignore"):
                out = out.assign(odds_ratio=np.exp(out["estimate"]), or_ci_low=np.exp(out["ci_low"]),
                             or_ci_high=np.exp(out["ci_high"]))
    return out


def _select(df, measure, unit):
    from cscs_eval.proms._measures import load_measure

    key = load_measure(measure).key
    sub = df[df["measure"] == key]
    if unit is None:
        units = list(pd.unique(sub["unit"]))
        unit = "total" if "total" in units else (units[0] if units else None)
    sub = sub[sub["unit"] == unit]
    if sub.empty:
        raise UsageError(f"no rows for measure {key!r} and unit {unit!r}")
    return sub, key, unit


def _check_column(df, col, role="by"):
    if col not in df.columns:
        raise UsageError(f"{role} must be a column of the table ({', '.join(df.columns)}), got {col!r}")


def _nested_reml(y, X, team, patient, *, reml: bool = True) -> dict:
    """(RE)ML estimates of ``y = X b + u_team + v_patient + e`` with patients nested in teams.

    The likelihood of nested random intercepts has a closed form in per-patient and per-team
    sums (Woodbury's identity applied twice), so each evaluation costs one pass over the
    patients: the two variance ratios are found by L-BFGS-B in a fraction of a second where
    ``MixedLM`` with a patient variance component takes many seconds. :func:`mixed_model`
    uses these estimates as the starting point of statsmodels' fit.

    Notes
    -----
    With a = var_patient / var_e and b = var_team / var_e, within team i the covariance is
    var_e * H_i, H_i = P_i + b 11', P_i = I + a * blockdiag(11') over its patients j of n_j
    observations. Then P_i^-1 1 = 1 / (1 + a n_j) on patient j's rows, s_i = 1'P_i^-1 1 =
    sum_j n_j / (1 + a n_j), and for columns x, w of [X, y]
    x'H_i^-1 w = x'w - sum_j c_j x_j. w_j. - b q_i(x) q_i(w) / (1 + b s_i), with
    c_j = a / (1 + a n_j), x_j. the patient sum and q_i(x) = sum_j x_j. / (1 + a n_j);
    log|H_i| = sum_j log(1 + a n_j) + log(1 + b s_i). The profile (restricted) likelihood is
    -1/2 [m log(RSS/m) + log|H| (+ log|X'H^-1 X| for REML)], m = n - p for REML, n for ML.
    """
    from scipy import optimize

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    M = np.column_stack([X, y])
    k = M.shape[1]
    team_codes, team_names = pd.factorize(pd.Series(np.asarray(team, dtype=object)).astype(str))
    pat_key = pd.Series(np.asarray(team, dtype=object)).astype(str) + "\x00" + \
        pd.Series(np.asarray(patient, dtype=object)).astype(str)
    pat_codes, pat_names = pd.factorize(pat_key)
    n_pat, n_team = len(pat_names), len(team_names)
    pat_team = np.zeros(n_pat, dtype=np.int64)
    pat_team[pat_codes] = team_codes
    nj = np.bincount(pat_codes, minlength=n_pat).astype(float)
    S = np.zeros((n_pat, k))
    np.add.at(S, pat_codes, M)
    MM = M.T @ M
    SS = S[:, :, None] * S[:, None, :]
    m = n - p if reml else n

    def crossproducts(a, b):
        w = 1.0 / (1.0 + a * nj)
        A = MM - np.tensordot(a * w, SS, axes=1)
        Q = np.zeros((n_team, k))
        np.add.at(Q, pat_team, S * w[:, None])
        s = np.bincount(pat_team, weights=nj * w, minlength=n_team)
        d = b / (1.0 + b * s)
        A = A - np.einsum("i,ij,il->jl", d, Q, Q)
        return A, np.log1p(a * nj).sum() + np.log1p(b * s).sum()

    def solve(theta):
        a, b = np.exp(theta)
        A, logdet = crossproducts(a, b)
        beta = np.linalg.solve(A[:p, :p], A[:p, p])
        rss = A[p, p] - A[:p, p] @ beta
        return A, logdet, beta, rss

    def objective(theta):
        A, logdet, _, rss = solve(theta)
        value = m * np.log(max(rss, 1e-300) / m) + logdet
        if reml:
            value += np.linalg.slogdet(A[:p, :p])[1]
        return 0.5 * value

    best = None
    # A few starting points guard against a flat likelihood near a zero variance.
    for start in ((0.0, -2.0), (0.0, 0.0), (-2.0, -4.0), (1.0, -1.0)):
        res = optimize.minimize(objective, np.array(start), method="L-BFGS-B", bounds=[(-25, 12), (-25, 12)])
        if best is None or res.fun < best.fun:
            best = res
    A, _, beta, rss = solve(best.x)
    var_e = rss / m
    a, b = np.exp(best.x)
    return {"beta": beta, "cov_beta": var_e * np.linalg.inv(A[:p, :p]), "var_residual": float(var_e),
            "var_patient": float(a * var_e), "var_team": float(b * var_e), "n_patients": n_pat, "n_teams": n_team}


def _variance_table(parts: dict) -> pd.DataFrame:
    total = sum(parts.values())
    return pd.DataFrame({"component": list(parts), "variance": list(parts.values()),
                         "sd": np.sqrt(np.maximum(list(parts.values()), 0)),
                         "share": [v / total if total > 0 else np.nan for v in parts.values()]})


def mixed_model(scores, *, measure="reqol10", unit=None, time_unit: str = "months",
                team_effects: bool = False, reml: bool = True) -> ModelResult:
    """Linear mixed model of score over time since the patient's first assessment.

    ``score ~ time`` with a random intercept per patient (``groups=patient_id``). With
    ``team_effects=True`` patients are nested in teams: the groups are teams, each with a
    random intercept, and patients within a team are a variance component
    (``vc_formula={"patient": "0 + C(patient_id)"}``). ``time`` is in ``months``
    (days / 30.4375) or ``days``.

    Parameters
    ----------
    scores
        Scores as :func:`~cscs_eval.proms.score` returns them (the result or its table: every
        assessment).
    measure, unit
        Which score to model (default the measure's ``total``, else its first unit).
    team_effects
        Add the team level. The fit starts from closed-form (RE)ML estimates
        (:func:`_nested_reml`), which makes it a few seconds on a trust's extract.

    Returns
    -------
    ModelResult
        ``table`` holds the fixed effects (``Intercept``, ``time``: the mean change per month);
        ``variance`` the variance components (``team``, ``patient``, ``residual``) with their
        SDs and share of the total (the share of ``team`` is the intraclass correlation of two
        patients' scores in one team).

    Examples
    --------
    >>> s = pd.DataFrame({"patient_id": ["P1", "P1", "P2", "P2", "P3", "P3"], "team": "A", "measure": "reqol10",
    ...                   "unit": "total", "score": [10.0, 14.0, 20.0, 23.0, 15.0, 20.0],
    ...                   "assessment_date": pd.to_datetime(["2024-01-01", "2024-03-01"] * 3)})
    >>> r = mixed_model(s, time_unit="days")
    >>> round(float(r.table.set_index("term").loc["time", "estimate"] * 60), 2)  # mean change over the 60 days
    4.0
    >>> r.variance["component"].tolist()
    ['patient', 'residual']
    """
    if time_unit not in ("months", "days"):
        raise UsageError(f"time_unit must be 'months' or 'days', got {time_unit!r}")
    import statsmodels.formula.api as smf

    scores = table_of(scores)
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
            if data["team"].nunique() < 2:
                raise UsageError("team_effects needs at least two teams; for one team fit patients only")
            from statsmodels.regression.mixed_linear_model import MixedLMParams

            direct = _nested_reml(data["score"], np.column_stack([np.ones(len(data)), data["time"]]),
                                  data["team"], data["patient_id"], reml=reml)
            e = direct["var_residual"]
            start = MixedLMParams.from_components(direct["beta"], cov_re=np.array([[direct["var_team"] / e]]),
                                                  vcomp=np.array([direct["var_patient"] / e]))
            model = smf.mixedlm("score ~ time", data, groups="team", re_formula="1",
                                vc_formula={"patient": "0 + C(patient_id)"})
            fit = model.fit(reml=reml, start_params=start, method="lbfgs")
            groups = data["team"].nunique()
            variance = _variance_table({"team": float(fit.cov_re.iloc[0, 0]), "patient": float(fit.vcomp[0]),
                                        "residual": float(fit.scale)})
        else:
            model = smf.mixedlm("score ~ time", data, groups="patient_id")
            fit = model.fit(reml=reml)
            groups = data["patient_id"].nunique()
            variance = _variance_table({"patient": float(fit.cov_re.iloc[0, 0]), "residual": float(fit.scale)})
    if not getattr(fit, "converged", True):
        notes.append("the optimiser did not report convergence")
    table = _table(fit, terms=fit.fe_params.index)
    return ModelResult(name=f"mixed model of {key} {unit} over time", formula="score ~ time", n_obs=len(data),
                       n_groups=groups, table=table, fit=fit, notes=tuple(notes), variance=variance)


def ancova(outcomes, *, by: str = "team", measure="reqol10", unit=None) -> ModelResult:
    """ANCOVA: ``follow_up ~ baseline + C(by)`` by OLS on paired referrals.

    The group terms are differences in follow-up from the reference group (the first in sort
    order) at equal baseline. ``outcomes`` is what :func:`~cscs_eval.proms.outcomes` returns
    (or its table).
    """
    import statsmodels.formula.api as smf

    group = by
    outcomes = table_of(outcomes)
    _check_column(outcomes, group)
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


def pairing_model(outcomes, *, predictors=("team",), measure="reqol10", unit=None) -> ModelResult:
    """Logistic regression of having a paired score on categorical predictors (who goes missing?).

    One row per referral with a baseline: ``paired ~ C(p1) + C(p2) + ...``. The table adds odds
    ratios with their intervals.
    """
    import statsmodels.formula.api as smf

    outcomes = table_of(outcomes)
    predictors = [predictors] if isinstance(predictors, str) else list(predictors)
    for p in predictors:
        _check_column(outcomes, p, "predictors")
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
