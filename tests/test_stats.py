"""One rounding rule for printed figures: halves up (issue 11), through cscs_eval.stats.format_number."""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval.stats import format_number, percent_value, round_half_up


def test_the_issues_halves_print_rounded_up():
    # 262 / 40 = 6.55 and 18 / 32 = 56.25% printed 6.5 and 56.2 (Python rounds halves to even, on the
    # binary value); the progress checks, published tables and people round them up.
    assert f"{262 / 40:.1f}" == "6.5" and f"{18 / 32:.1%}" == "56.2%"  # what the reports printed
    assert format_number(262 / 40) == "6.6"
    assert format_number(18 / 32, share=True) == "56.3%"
    assert format_number(100 * 18 / 32) == "56.3"
    assert format_number(0.565, decimals=0, share=True) == "57%"  # f"{0.565:.0%}" is "56%"
    assert format_number(-2.5, decimals=0) == "-3" and format_number(-0.04) == "0.0"
    assert format_number(1.25, decimals=1, sign=True) == "+1.3" and format_number(1234.55, thousands=True) == "1,234.6"


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), st.integers(0, 2))
def test_a_share_prints_as_its_exact_percentage_rounded_half_up(kn, decimals):
    k, n = kn
    # k/n as a float, then its shortest decimal, is what a reader of the share sees; exact arithmetic on it
    exact = Decimal(repr(k / n)) * 100
    expected = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    assert format_number(k / n, decimals=decimals, share=True) == f"{expected:z.{decimals}f}%"
    assert float(Decimal(repr(percent_value(k / n)))) == float(exact)


def test_round_half_up_rounds_series_and_arrays_value_by_value():
    s = pd.Series([0.125, None, 2.675, -0.125])
    assert s.round(2).tolist()[0] == 0.12  # pandas rounds the half to even
    assert round_half_up(s, decimals=2).tolist()[::2] == [0.13, 2.68]
    assert np.isnan(round_half_up(s, decimals=2)[1])
    assert round_half_up(np.array([[0.5, 1.5], [2.5, -0.5]])).tolist() == [[1.0, 2.0], [3.0, -1.0]]


def test_printed_figures_in_reports_use_the_rule():
    from cscs_eval.benefits import funnel
    from cscs_eval.benefits._sentences import funnel_sentence
    from cscs_eval.proms._summary import headline
    from cscs_eval.reporting.display import format_table
    from cscs_eval.reporting.plain import percent

    assert percent(18 / 32, decimals=1) == "56.3%"
    assert format_table(pd.DataFrame({"mean_change": [262 / 40, 1.25]}))["Mean change"].tolist() == ["6.6", "1.3"]
    # 18 of 32 teams' referrals paired overall: the funnel's target is 18/32
    df = pd.DataFrame({"group": ["a", "b"], "numerator": [9, 9], "denominator": [16, 16]})
    assert funnel_sentence(funnel(df, overdispersion=False), what="paired").startswith("Across 2 teams 56.3% paired")
    s = pd.DataFrame({"unit": ["total"], "n_referrals": [32], "n_eligible": [32], "n_paired": [18],
                      "paired_rate": [18 / 32], "paired_rate_low": [0.394], "paired_rate_high": [0.7225]})
    said = headline(s, measure="reqol10", suppress=False)
    assert "a paired rate of 56.3% (95% CI 39.4% to 72.3%)" in said
