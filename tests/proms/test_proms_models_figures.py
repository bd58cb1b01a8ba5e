"""Models against hand-worked values; figures draw on the given Axes; row-level export pseudonymises."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cscs_eval.errors import UsageError  # noqa: E402
from cscs_eval.governance import pseudonymise  # noqa: E402
from cscs_eval.proms import (ancova, classify, export_row_level, mixed_model, pairing_model,  # noqa: E402
                              plot_change_by_team, plot_jacobson_truax, plot_paired_rate, summarise)

KEY = b"0123456789abcdef-key"


def balanced_scores():
    # 12 patients, each assessed at 0, 30.4375, 60.875 days (0, 1, 2 months); intercepts differ.
    rng = np.random.default_rng(7)
    rows = []
    for p in range(12):
        a = 15 + 2 * (p % 5)
        for k in range(3):
            rows.append({"patient_id": f"P{p}", "referral_id": f"R{p}", "team": "AB"[p % 2], "measure": "reqol10",
                         "unit": "total", "assessment_date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=30 * k),
                         "score": a + 1.5 * k + rng.normal(0, 1)})
    return pd.DataFrame(rows)


def test_mixed_model_slope_equals_ols_in_balanced_design():
    # With every patient measured at the same times, the GLS slope of a random-intercept model
    # equals the ordinary least-squares slope (time is orthogonal to the patient effects).
    s = balanced_scores()
    r = mixed_model(s, time_unit="days")
    slope_ols = np.polyfit((s["assessment_date"] - pd.Timestamp("2024-01-01")).dt.days, s["score"], 1)[0]
    est = r.table.set_index("term").loc["time", "estimate"]
    assert est == pytest.approx(slope_ols, rel=1e-6)
    assert r.n_groups == 12 and r.n_obs == 36
    assert list(r.table.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


def test_mixed_model_with_team_effects_runs():
    r = mixed_model(balanced_scores(), team_effects=True)
    assert {"time", "Intercept"} <= set(r.table["term"])
    with pytest.raises(UsageError, match="time_unit must be"):
        mixed_model(balanced_scores(), time_unit="weeks")


def paired_frame():
    rng = np.random.default_rng(3)
    n = 40
    base = rng.integers(5, 35, n).astype(float)
    team = np.where(np.arange(n) % 2, "North", "South")
    follow = 6 + 0.8 * base + np.where(team == "North", 2.0, 0.0) + rng.normal(0, 2, n)
    paired = np.arange(n) % 4 != 0
    df = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "referral_id": [f"R{i}" for i in range(n)],
                       "team": team, "measure": "reqol10", "unit": "total", "baseline": base,
                       "follow_up": np.where(paired, np.round(follow), np.nan), "paired": paired})
    return classify(df)


def test_ancova_matches_least_squares():
    df = paired_frame()
    r = ancova(df, by="team")
    p = df[df["paired"]]
    X = np.column_stack([np.ones(len(p)), p["baseline"], (p["team"] == "South").astype(float)])
    beta = np.linalg.lstsq(X, p["follow_up"].to_numpy(), rcond=None)[0]
    t = r.table.set_index("term")
    assert t.loc["Intercept", "estimate"] == pytest.approx(beta[0])
    assert t.loc["baseline", "estimate"] == pytest.approx(beta[1])
    assert t.loc["team = South", "estimate"] == pytest.approx(beta[2])


def test_pairing_model_log_odds_ratio_from_2x2_table():
    from cscs_eval.errors import SmallSampleWarning

    # Hand-worked: North paired 9 of 12 (odds 3), South 4 of 10 (odds 2/3): South vs North log OR = -log 4.5.
    rows = [("North", True)] * 9 + [("North", False)] * 3 + [("South", True)] * 4 + [("South", False)] * 6
    df = pd.DataFrame({"team": [t for t, _ in rows], "paired": [p for _, p in rows], "measure": "reqol10",
                       "unit": "total", "patient_id": range(22), "referral_id": range(22)})
    with pytest.warns(SmallSampleWarning, match="9 events for 2 parameters"):
        t = pairing_model(df, predictors="team").table.set_index("term")
    assert t.loc["team = South", "estimate"] == pytest.approx(np.log((4 / 6) / (9 / 3)), abs=1e-6)
    assert t.loc["Intercept", "estimate"] == pytest.approx(np.log(9 / 3), abs=1e-6)
    assert t.loc["team = South", "odds_ratio"] == pytest.approx((4 / 6) / (9 / 3), rel=1e-5)


def test_ancova_needs_two_groups():
    df = paired_frame().assign(team="North")
    with pytest.raises(UsageError, match="at least two values of 'team'"):
        ancova(df)


def test_figures_return_axes():
    df = paired_frame()
    fig, ax = plt.subplots()
    assert plot_change_by_team(df, ax=ax) is ax
    assert ax.get_title() == "ReQoL-10 total: change by team"
    assert len(ax.get_yticklabels()) == 2
    fig2, ax2 = plt.subplots()
    assert plot_paired_rate(summarise(df), ax=ax2) is ax2
    assert len(ax2.patches) == 2  # one bar per team
    plt.close("all")


def test_figures_leave_out_small_groups():
    df = paired_frame()
    df.loc[df.index[:3], "team"] = "Tiny"
    fig, ax = plt.subplots()
    plot_paired_rate(summarise(df), ax=ax)
    assert "Tiny" not in [t.get_text() for t in ax.get_yticklabels()]
    plt.close("all")


def test_export_row_level_pseudonymises(tmp_path):
    df = paired_frame()
    out = export_row_level(df, path=tmp_path / "rows.csv", key=KEY)
    assert out["patient_id"].tolist() == pseudonymise(df["patient_id"], KEY).tolist()
    text = (tmp_path / "rows.csv").read_text()
    assert "P1," not in text and "R1," not in text


def test_export_refused_without_key(monkeypatch):
    monkeypatch.delenv("CSCS_EVAL_PSEUDONYM_KEY", raising=False)
    with pytest.raises(UsageError, match="row-level export refused"):
        export_row_level(paired_frame())


def nested_data(*, n_teams, n_patients, var_team, var_patient, var_residual, seed, slope=0.5, visits=(1, 4)):
    # Scores simulated from known variance components: team and patient random intercepts, 1 to
    # 3 monthly visits per patient (unbalanced, as real follow-ups are).
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(n_teams):
        u = rng.normal(0, np.sqrt(var_team))
        for j in range(n_patients):
            v = rng.normal(0, np.sqrt(var_patient))
            for k in range(int(rng.integers(*visits))):
                rows.append({"patient_id": f"P{t}-{j}", "referral_id": f"R{t}-{j}", "team": f"T{t:02d}",
                             "measure": "reqol10", "unit": "total",
                             "assessment_date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=round(30.4375 * k)),
                             "score": 20 + u + v + slope * k + rng.normal(0, np.sqrt(var_residual))})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("reml", [True, False])
def test_nested_reml_equals_statsmodels_mixedlm(reml):
    # The closed-form likelihood against statsmodels' MixedLM fitted from its own default start
    # (team random intercept, patient variance component): the same optimum.
    import warnings

    import statsmodels.formula.api as smf

    from cscs_eval.proms._models import _nested_reml

    d = nested_data(n_teams=12, n_patients=8, var_team=4.0, var_patient=10.0, var_residual=9.0, seed=7)
    d["time"] = (d["assessment_date"] - pd.Timestamp("2024-01-01")).dt.days / 30.4375
    got = _nested_reml(d["score"], np.column_stack([np.ones(len(d)), d["time"]]), d["team"], d["patient_id"],
                       reml=reml)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("score ~ time", d, groups="team", re_formula="1",
                          vc_formula={"patient": "0 + C(patient_id)"}).fit(reml=reml)
    assert got["beta"] == pytest.approx(ref.fe_params.to_numpy(), rel=1e-5)
    # statsmodels' standard errors come from the full Hessian, ours with the variances fixed.
    assert np.sqrt(np.diag(got["cov_beta"])) == pytest.approx(ref.bse_fe.to_numpy(), rel=2e-3)
    assert got["var_team"] == pytest.approx(float(ref.cov_re.iloc[0, 0]), rel=1e-3)
    assert got["var_patient"] == pytest.approx(float(ref.vcomp[0]), rel=1e-4)
    assert got["var_residual"] == pytest.approx(float(ref.scale), rel=1e-4)


def test_mixed_model_recovers_known_variance_components():
    # 60 teams of 20 patients; true variances team 4, patient 16, residual 9, slope 0.5 a month.
    # Rough standard errors: team variance about 4 * sqrt(2 / 59) + patient noise ~ 0.9, patient
    # variance ~ 1.2, residual ~ 0.4; the bounds are about three of them.
    d = nested_data(n_teams=60, n_patients=20, var_team=4.0, var_patient=16.0, var_residual=9.0, seed=2024)
    r = mixed_model(d, team_effects=True)
    v = r.variance.set_index("component")
    assert list(v.index) == ["team", "patient", "residual"]
    assert v.loc["team", "variance"] == pytest.approx(4.0, abs=2.7)
    assert v.loc["patient", "variance"] == pytest.approx(16.0, abs=3.6)
    assert v.loc["residual", "variance"] == pytest.approx(9.0, abs=1.2)
    assert v["share"].sum() == pytest.approx(1.0)
    t = r.table.set_index("term")
    assert list(t.index) == ["Intercept", "time"]  # variance parameters are not in the coefficient table
    assert t.loc["time", "ci_low"] < 0.5 < t.loc["time", "ci_high"]
    assert r.n_groups == 60 and r.fit.converged
    # Without team effects in the truth the team variance is estimated near zero.
    d0 = nested_data(n_teams=30, n_patients=20, var_team=0.0, var_patient=16.0, var_residual=9.0, seed=5)
    v0 = mixed_model(d0, team_effects=True).variance.set_index("component")
    assert v0.loc["team", "variance"] < 0.6
    assert v0.loc["team", "share"] < 0.03


def test_mixed_model_team_effects_need_two_teams():
    d = nested_data(n_teams=1, n_patients=10, var_team=0.0, var_patient=4.0, var_residual=4.0, seed=1)
    with pytest.raises(UsageError, match="at least two teams"):
        mixed_model(d, team_effects=True)
    assert mixed_model(d).variance["component"].tolist() == ["patient", "residual"]


def test_jacobson_truax_plot_points_band_and_cutoff():
    from matplotlib.collections import PathCollection

    df = paired_frame()
    fig, ax = plt.subplots()
    assert plot_jacobson_truax(df, ax=ax) is ax
    assert ax.get_title() == "ReQoL-10 total: baseline against follow-up"
    assert ax.get_xlabel() == "ReQoL-10 total at baseline"
    assert ax.get_ylabel() == "ReQoL-10 total at follow-up (higher is better)"
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    counts = df[df["paired"]]["category"].value_counts()
    got = {c.get_label(): len(c.get_offsets()) for c in points}
    assert got == {"Reliable improvement": counts["reliable improvement"],
                   "No reliable change": counts["no reliable change"]}  # no deterioration in this fixture
    df.loc[df.index[1], ["follow_up", "change", "category"]] = [df.loc[df.index[1], "baseline"] - 9, -9,
                                                                "reliable deterioration"]
    fig, ax = plt.subplots()
    plot_jacobson_truax(df, ax=ax)
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points[2].get_offsets()) == 1 and points[2].get_label() == "Reliable deterioration"
    # Each category has its own marker shape, so the figure reads in black and white.
    shapes = {tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in points}
    assert len(shapes) == 3
    # The diagonal, the two band lines at +-5 and the cut-off at 25 on both axes.
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert "Reliable-change band (\u00b15)" in lines and "Clinical cut-off (25)" in lines
    band = lines["Reliable-change band (\u00b15)"].get_xydata()
    assert (band[:, 1] - band[:, 0]).tolist() == [5.0, 5.0]
    assert lines["Clinical cut-off (25)"].get_ydata()[0] == 25
    plt.close("all")


def _drawn(plot, data, **options):
    """The Axes ``plot`` drew ``data`` on."""
    _, ax = plt.subplots()
    assert plot(data, ax=ax, **options) is ax
    return ax


def test_jacobson_truax_plot_hides_fewer_than_five():
    from matplotlib.collections import PathCollection

    few = paired_frame().query("paired").head(3)
    ax = _drawn(plot_jacobson_truax, few)
    assert not [c for c in ax.collections if isinstance(c, PathCollection)]
    assert "Fewer than 5 paired referrals" in " ".join(t.get_text() for t in ax.texts)
    shown = _drawn(plot_jacobson_truax, few, suppress=False)
    assert sum(len(c.get_offsets()) for c in shown.collections if isinstance(c, PathCollection)) == 3
    plt.close("all")


def test_paired_rate_plot_with_a_zero_rate():
    # A group with 0 paired of 23: the interval starts exactly at 0 and the bar is drawn.
    s = pd.DataFrame({"team": ["A", "B"], "measure": "reqol10", "unit": "total", "n_referrals": [23, 20],
                      "n_eligible": [pd.NA, pd.NA], "n_paired": [0, 20]})
    from cscs_eval.proms._stats import rate_columns

    s = rate_columns(s.assign(_den=s["n_referrals"].astype(float)), "paired_rate", "n_paired", "_den")
    fig, ax = plt.subplots()
    plot_paired_rate(s, ax=ax)
    assert [p.get_width() for p in ax.patches] == [0.0, 100.0]
    plt.close("all")


def test_figures_say_so_when_every_group_is_suppressed():
    tiny = paired_frame().query("paired").head(3)
    assert "No team has 5 or more paired referrals" in [t.get_text() for t in _drawn(plot_change_by_team, tiny).texts]
    rates = _drawn(plot_paired_rate, summarise(tiny))
    assert not rates.patches and rates.texts
    plt.close("all")


def test_model_summary_formats_p_values():
    r = ancova(paired_frame(), by="team")
    t = r.summary()
    assert list(t.columns) == ["term", "estimate", "ci_low", "ci_high", "p_value"]
    assert t.set_index("term").loc["baseline", "p_value"] == "<0.001"
    rows = [("North", True)] * 9 + [("North", False)] * 3 + [("South", True)] * 4 + [("South", False)] * 6
    df = pd.DataFrame({"team": [t for t, _ in rows], "paired": [p for _, p in rows], "measure": "reqol10",
                       "unit": "total", "patient_id": range(22), "referral_id": range(22)})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        odds = pairing_model(df, predictors="team").summary(odds_ratios=True)
    assert odds["term"].tolist() == ["team = South"]  # the intercept is not an odds ratio
    assert odds.loc[0, "odds_ratio"] == round((4 / 6) / (9 / 3), 2)
    with pytest.raises(UsageError, match="odds_ratios needs a logistic model"):
        r.summary(odds_ratios=True)
    # The sentence a report prints: what was fitted, on how many (published as counts are).
    assert r.text() == "ANCOVA of reqol10 total follow-up (follow_up ~ baseline + C(team)) on 30 observations."


def test_group_labels_read_well():
    df = paired_frame().assign(imd_decile=lambda d: np.where(np.arange(len(d)) % 2, "1", "10"))
    fig, ax = plt.subplots()
    plot_paired_rate(summarise(df, by="imd_decile"), by="imd_decile", ax=ax)
    assert ax.get_ylabel() == "IMD decile" and ax.get_title().endswith("paired rate by IMD decile")
    plt.close("all")
