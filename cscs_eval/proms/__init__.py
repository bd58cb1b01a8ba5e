"""PROMs outcome statistics: ReQoL-10, DIALOG, GBO (and PHQ-9, GAD-7) to NHS England's definitions.

Public functions
----------------
Measures: :func:`load_measure`, :func:`list_measures`, :func:`measure_registry`.
Reading and validation: :func:`read_proms`, :func:`validate_proms`, :func:`read_referrals`,
:func:`read_demographics`.
Scoring, pairing and change: :func:`score`, :func:`pair`, :func:`classify`, :func:`outcomes`,
:func:`eligible_referrals`, :func:`exclusions`, :func:`problems`, :func:`referral_table`.
Summaries: :func:`summarise`, :func:`summarise_by_team`, :func:`summarise_by_group`,
:func:`publishable`, :func:`wilson_interval`, :func:`paired_statistics`.
Models: :func:`mixed_model`, :func:`ancova`, :func:`pairing_model`.
Governance and figures: :func:`export_row_level`, :func:`plot_change_by_team`, :func:`plot_paired_rate`.
"""

from cscs_eval.proms.data import read_demographics, read_proms, read_referrals, validate_proms
from cscs_eval.proms.measures import list_measures, load_measure, measure_registry
from cscs_eval.proms.pairing import (classify, eligible_referrals, exclusions, outcomes, pair, problems,
                                      referral_table)
from cscs_eval.proms.scoring import score
from cscs_eval.proms.stats import paired_statistics, wilson_interval
from cscs_eval.proms.summary import publishable, summarise, summarise_by_group, summarise_by_team

__all__ = [
    "classify", "eligible_referrals", "exclusions", "list_measures", "load_measure", "measure_registry",
    "outcomes", "pair", "paired_statistics", "problems", "publishable", "read_demographics", "read_proms",
    "read_referrals", "referral_table", "score", "summarise", "summarise_by_group", "summarise_by_team",
    "validate_proms", "wilson_interval",
]
