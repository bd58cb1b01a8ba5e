"""Funnel limits against hand-worked examples from FunnelPlotR's formulas (see tests/reference/benefits/README.md)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval.benefits._funnel_limits import Z95, Z998, arcsine_limits, funnel, winsorise
from cscs_eval.errors import InputError, UsageError


def test_closed_form_at_one_half():
    # sin^2(pi/4 +/- h) = (1 +/- sin 2h) / 2, with h = z / (2 sqrt(n)); n = 100
    h95, h998 = Z95 / 20, Z998 / 20
    df = pd.DataFrame({"group": ["a", "b"], "numerator": [50, 50], "denominator": [100, 100]})
    t = funnel(df, overdispersion=False).table
    assert t["lower95"].iloc[0] == pytest.approx((1 - math.sin(2 * h95)) / 2, abs=1e-12)
    assert t["upper95"].iloc[0] == pytest.approx((1 + math.sin(2 * h95)) / 2, abs=1e-12)
    assert t["lower998"].iloc[0] == pytest.approx((1 - math.sin(2 * h998)) / 2, abs=1e-12)
    assert t["upper998"].iloc[0] == pytest.approx(0.6520641, abs=1e-7)  # (1 + sin 0.3090232) / 2
    assert t["outlier"].tolist() == ["within", "within"]


GROUPS = pd.DataFrame({
    "team": ["A", "B", "C", "D", "E", "F"],
    "paired": [12, 30, 45, 20, 70, 5],
    "referrals": [100, 150, 200, 80, 250, 60],
})


def hand_worked():
    """The FunnelPlotR steps written out one by one, independently of the module."""
    x = GROUPS["paired"].tolist()
    n = GROUPS["referrals"].tolist()
    p = sum(x) / sum(n)  # 182 / 840
    centre = math.asin(math.sqrt(p))
    s = [1 / (2 * math.sqrt(ni)) for ni in n]
    z = [(math.asin(math.sqrt(xi / ni)) - centre) / si for xi, ni, si in zip(x, n, s)]
    # R quantile type 7 at 0.1 and 0.9 of 6 values: position 1 + 0.1 * 5 = 1.5 and 1 + 0.9 * 5 = 5.5
    zs = sorted(z)
    lo = zs[0] + 0.5 * (zs[1] - zs[0])
    hi = zs[4] + 0.5 * (zs[5] - zs[4])
    zw = [min(max(v, lo), hi) for v in z]
    k = len(z)
    phi = sum(v * v for v in zw) / k
    w = [1 / si ** 2 for si in s]  # = 4 n
    tau2 = max(0.0, (k * phi - (k - 1)) / (sum(w) - sum(v * v for v in w) / sum(w))) if k * phi >= k - 1 else 0.0
    return p, z, phi, tau2


def test_hand_worked_six_teams_with_overdispersion():
    p, z, phi, tau2 = hand_worked()
    assert p == pytest.approx(182 / 840)
    r = funnel(GROUPS, by="team", numerator="paired", denominator="referrals")
    assert r.target == pytest.approx(p, abs=1e-15)
    np.testing.assert_allclose(r.table["z"], z, rtol=1e-12)
    assert r.phi == pytest.approx(phi, rel=1e-12)
    assert r.tau2 == pytest.approx(tau2, rel=1e-12)
    assert tau2 > 0  # these teams are over-dispersed, so the example exercises the adjustment
    t = r.table
    for i, n in enumerate(GROUPS["referrals"]):
        half95 = Z95 * math.sqrt(1 / (4 * n) + tau2)
        half998 = Z998 * math.sqrt(1 / (4 * n) + tau2)
        c = math.asin(math.sqrt(p))
        assert t["lower95"].iloc[i] == pytest.approx(math.sin(c - half95) ** 2, abs=1e-12)
        assert t["upper95"].iloc[i] == pytest.approx(math.sin(c + half95) ** 2, abs=1e-12)
        assert t["lower998"].iloc[i] == pytest.approx(math.sin(max(0, c - half998)) ** 2, abs=1e-12)
        assert t["upper998"].iloc[i] == pytest.approx(math.sin(c + half998) ** 2, abs=1e-12)


def test_hand_worked_values_pinned():
    # the same example, numbers written down once from the hand-worked steps above
    r = funnel(GROUPS, by="team", numerator="paired", denominator="referrals")
    assert r.target == pytest.approx(0.2166667, abs=1e-7)
    assert r.phi == pytest.approx(2.948384, abs=1e-6)
    assert r.tau2 == pytest.approx(0.004753772, abs=1e-9)
    assert r.table["z"].round(4).tolist() == [-2.6086, -0.5027, 0.2841, 0.7053, 2.3220, -2.9640]
    assert r.table.columns.tolist()[:9] == ["group", "numerator", "denominator", "rate", "lower95", "upper95",
                                            "lower998", "upper998", "outlier"]


def test_without_overdispersion_limits_are_binomial_and_narrower():
    od = funnel(GROUPS, by="team", numerator="paired", denominator="referrals").table
    plain = funnel(GROUPS, by="team", numerator="paired", denominator="referrals", overdispersion=False).table
    assert (plain["upper95"] < od["upper95"]).all() and (plain["lower95"] > od["lower95"]).all()
    # team F (5/60 = 8.3%) is below the plain 95% limit, team E (28%) above it
    assert plain.set_index("group").loc["F", "outlier"].startswith("below")
    assert plain.set_index("group").loc["E", "outlier"].startswith("above")


def test_underdispersed_groups_get_no_tau():
    df = pd.DataFrame({"group": list("abcd"), "numerator": [20, 21, 19, 20], "denominator": [100] * 4})
    r = funnel(df)
    assert r.phi < 1 and r.tau2 == 0.0


def test_outlier_categories_and_boundaries():
    df = pd.DataFrame({"group": list("abcde"), "numerator": [900, 550, 500, 450, 100],
                       "denominator": [1000] * 5})
    t = funnel(df, overdispersion=False).table.set_index("group")
    assert t.loc["a", "outlier"] == "above 99.8%"
    assert t.loc["e", "outlier"] == "below 99.8%"
    assert t.loc["c", "outlier"] == "within"


def test_limits_are_clamped_to_zero_and_one():
    lo, up = arcsine_limits(0.02, 5, Z998)
    assert float(lo) == 0.0 and 0 < float(up) < 1
    lo, up = arcsine_limits(0.99, 5, Z998)
    assert float(up) == 1.0


def test_winsorise_like_r_quantile_type7():
    z = np.arange(1, 11, dtype=float)  # R: quantile(1:10, c(.1, .9)) = 1.9, 9.1
    w = winsorise(z, 0.1)
    assert w[0] == pytest.approx(1.9) and w[-1] == pytest.approx(9.1) and w[4] == 5


@pytest.mark.parametrize("change,message", [
    ({"denominator": [100, 0, 50]}, "group 'b' has a denominator of 0"),
    ({"numerator": [10, 200, 5]}, "numerator 200 is larger than its denominator 100"),
    ({"numerator": ["10", "", "5"]}, "group 'b' has no data: numerator is missing"),
    ({"numerator": [10, -1, 5]}, "whole count of 0 or more"),
    ({"numerator": [10, 2.5, 5]}, "whole count of 0 or more"),
    ({"group": ["a", "a", "c"]}, "group 'a' appears 2 times"),
])
def test_bad_input(change, message):
    df = pd.DataFrame({"group": ["a", "b", "c"], "numerator": [10, 20, 5], "denominator": [100, 100, 50]})
    df = df.assign(**change)
    with pytest.raises(InputError, match=message):
        funnel(df)


def test_bad_options():
    df = pd.DataFrame({"group": ["a", "b"], "numerator": [1, 2], "denominator": [10, 10]})
    with pytest.raises(UsageError, match="numerator column 'x' not found"):
        funnel(df, numerator="x")
    with pytest.raises(UsageError, match="trim must be"):
        funnel(df, trim=0.6)
    with pytest.raises(InputError, match="at least 2"):
        funnel(df.iloc[:1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2000), st.floats(0, 1)), min_size=2, max_size=30))
def test_properties(groups):
    n = [g[0] for g in groups]
    x = [int(round(g[0] * g[1])) for g in groups]
    if sum(x) in (0, sum(n)):
        return
    df = pd.DataFrame({"group": [f"g{i}" for i in range(len(n))], "numerator": x, "denominator": n})
    r = funnel(df)
    t = r.table
    assert (t["lower998"] <= t["lower95"] + 1e-12).all() and (t["lower95"] <= r.target + 1e-12).all()
    assert (r.target <= t["upper95"] + 1e-12).all() and (t["upper95"] <= t["upper998"] + 1e-12).all()
    assert r.tau2 >= 0
    plain = funnel(df, overdispersion=False).table
    assert (plain["upper998"] <= t["upper998"] + 1e-12).all()
