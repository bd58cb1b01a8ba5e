"""Benefit analysis: SPC, funnel plots, interrupted time series, inequalities, benefits register."""
