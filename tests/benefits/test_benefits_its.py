"""Interrupted time series: known effects recovered from simulated series within their intervals."""

import numpy as np
import pandas as pd
import pytest

from cscs_eval.benefits import UnevenSeriesWarning, interrupted_time_series
from cscs_eval.errors import InputError, SmallSampleWarning, UsageError


def simulate(seed, *, n=48, change=24, level=4.0, slope=-0.2, base=0.1, rho=0.4, sd=1.0, season=0.0,
             second=None):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    e = np.zeros(n)
    e[0] = rng.normal(0, sd)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + rng.normal(0, sd)
    y = 20 + base * t + level * (t >= change) + slope * np.where(t >= change, t - change, 0) + e
    y = y + season * np.sin(2 * np.pi * t / 12)
    if second is not None:
        c2, l2, s2 = second
        y = y + l2 * (t >= c2) + s2 * np.where(t >= c2, t - c2, 0)
    dates = pd.date_range("2021-01-01", periods=n, freq="MS")
    return pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "value": y}), dates


def test_noiseless_series_is_recovered_exactly():
    df, dates = simulate(0, sd=0.0)
    r = interrupted_time_series(df, changes=dates[24])
    est = r.table.set_index("term")["estimate"]
    assert est["level_change"] == pytest.approx(4.0, abs=1e-9)
    assert est["slope_change"] == pytest.approx(-0.2, abs=1e-9)
    assert est["baseline_slope"] == pytest.approx(0.1, abs=1e-9)
    assert est["intercept"] == pytest.approx(20.0, abs=1e-9)


def test_known_effects_inside_intervals_one_series():
    df, dates = simulate(11)
    r = interrupted_time_series(df, changes="2023-01-01")
    c = r.table.set_index("term")
    assert r.table.columns.tolist() == ["term", "estimate", "lower", "upper", "p_value"]
    assert c.loc["level_change", "lower"] < 4.0 < c.loc["level_change", "upper"]
    assert c.loc["slope_change", "lower"] < -0.2 < c.loc["slope_change", "upper"]
    assert c.loc["level_change", "p_value"] < 0.001
    assert r.unit == "month"


def test_intervals_cover_the_truth_in_most_simulations():
    hits = {"level_change": 0, "slope_change": 0}
    runs = 120
    for seed in range(runs):
        df, dates = simulate(1000 + seed, rho=0.3)
        c = interrupted_time_series(df, changes=dates[24]).table.set_index("term")
        for term, truth in (("level_change", 4.0), ("slope_change", -0.2)):
            hits[term] += c.loc[term, "lower"] <= truth <= c.loc[term, "upper"]
    # Newey-West intervals are a little narrow in series of 48; they must still cover most of the time
    for term, h in hits.items():
        assert 0.80 <= h / runs <= 0.99, (term, h / runs)


def test_two_changes_named_and_recovered():
    df, dates = simulate(5, n=60, second=(42, -3.0, 0.3), sd=0.5, rho=0.0)
    r = interrupted_time_series(df, changes=[dates[24], dates[42]], alpha=0.01)
    c = r.table.set_index("term")
    assert list(c.index[:6]) == ["intercept", "baseline_slope", "level_change", "slope_change",
                                 "level_change_2", "slope_change_2"]
    assert c.loc["level_change_2", "lower"] < -3.0 < c.loc["level_change_2", "upper"]
    assert c.loc["slope_change_2", "lower"] < 0.3 < c.loc["slope_change_2", "upper"]
    assert "level changed" in r.text()


def test_seasonal_term_absorbs_seasonality():
    df, dates = simulate(3, season=3.0, sd=0.5, rho=0.0)
    plain = interrupted_time_series(df, changes=dates[24], alpha=0.01).table.set_index("term")
    seas = interrupted_time_series(df, changes=dates[24], seasonal=True, alpha=0.01).table.set_index("term")
    assert {"season_sin_1", "season_cos_1"} <= set(seas.index)
    # SE of the sine coefficient is about sd / sqrt(n / 2) = 0.1: allow 3.5 of them
    assert abs(seas.loc["season_sin_1", "estimate"] - 3.0) < 0.35
    width = lambda c: c.loc["level_change", "upper"] - c.loc["level_change", "lower"]  # noqa: E731
    assert width(seas) < width(plain)


def test_counterfactual_continues_the_pre_change_line():
    df, dates = simulate(0, sd=0.0)
    f = interrupted_time_series(df, changes=dates[24]).fitted
    np.testing.assert_allclose(f["counterfactual"], 20 + 0.1 * np.arange(48), atol=1e-9)
    assert f["segment"].tolist() == [0] * 24 + [1] * 24


def test_change_date_between_observations_starts_at_next_point():
    df, dates = simulate(0, sd=0.0)
    r = interrupted_time_series(df, changes="2022-12-15")  # dates[24] is 2023-01-01
    assert r.term("level_change")["estimate"] == pytest.approx(4.0, abs=1e-9)


def test_missing_month_keeps_the_gap():
    df, dates = simulate(0, sd=0.0)
    df = df.drop(index=10).reset_index(drop=True)
    with pytest.warns(UnevenSeriesWarning, match="1 month"):
        r = interrupted_time_series(df, changes=dates[24])
    assert r.term("slope_change")["estimate"] == pytest.approx(-0.2, abs=1e-9)


@pytest.mark.parametrize("changes,message", [
    ("2030-01-01", "change date 2030-01-01 is outside the series"),
    ("2021-01-01", "outside the series"),
    (["2023-01-01", "2022-01-01"], "must be in order"),
    ([], "at least one change date"),
])
def test_bad_change_dates(changes, message):
    df, _ = simulate(0)
    with pytest.raises(UsageError, match=message):
        interrupted_time_series(df, changes=changes)


def test_short_segment_warns_and_tiny_series_errors():
    df, dates = simulate(0, n=26)
    with pytest.warns(SmallSampleWarning, match="only 2 point"):
        interrupted_time_series(df, changes=dates[24])
    with pytest.raises(InputError, match="too few"), pytest.warns(SmallSampleWarning):
        interrupted_time_series(df.iloc[:4], changes=dates[2])


def test_duplicate_dates_error():
    df, dates = simulate(0)
    df = pd.concat([df, df.iloc[[5]]], ignore_index=True)
    with pytest.raises(InputError, match="appears 2 times"):
        interrupted_time_series(df, changes=dates[24])
