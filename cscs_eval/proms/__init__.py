"""PROMs outcome statistics: ReQoL-10, DIALOG, GBO (and PHQ-9, GAD-7) to NHS England's definitions.

Public functions (imported on first use, so ``cscs-eval --help`` stays light):

- measures: :func:`load_measure`, :func:`list_measures`, :func:`measure_registry`;
- reading and validation: :func:`read_proms`, :func:`validate_proms`, :func:`read_referrals`,
  :func:`read_demographics`;
- scoring, pairing and change: :func:`score`, :func:`pair`, :func:`classify`, :func:`outcomes`,
  :func:`eligible_referrals`, :func:`exclusions`, :func:`problems`, :func:`referral_table`
  (a same-day follow-up warns with :class:`SameDayFollowUpWarning`);
- summaries: :func:`summarise`, :func:`summarise_by_team`, :func:`summarise_by_group`,
  :func:`publishable`, :func:`wilson_interval`, :func:`paired_statistics`;
- models: :func:`mixed_model`, :func:`ancova`, :func:`pairing_model` (results with ``.table``);
- NHS Talking Therapies (PHQ-9 with GAD-7): :func:`talking_therapies`, :func:`summarise_talking_therapies`;
- governance and figures: :func:`export_row_level`, :func:`plot_jacobson_truax`,
  :func:`plot_change_by_team`, :func:`plot_paired_rate`;
- reliable and clinically significant change: :func:`clinical_significance`.
"""

from __future__ import annotations

from cscs_eval._lazy import lazy_exports

_EXPORTS = {
    "load_measure": "measures", "list_measures": "measures", "measure_registry": "measures",
    "read_proms": "data", "validate_proms": "data", "read_referrals": "data", "read_demographics": "data",
    "score": "scoring",
    "pair": "pairing", "classify": "pairing", "outcomes": "pairing", "eligible_referrals": "pairing",
    "exclusions": "pairing", "problems": "pairing", "referral_table": "pairing",
    "SameDayFollowUpWarning": "pairing",
    "summarise": "summary", "summarise_by_team": "summary", "summarise_by_group": "summary",
    "publishable": "summary",
    "wilson_interval": "stats", "paired_statistics": "stats",
    "mixed_model": "models", "ancova": "models", "pairing_model": "models",
    "talking_therapies": "talking_therapies", "summarise_talking_therapies": "talking_therapies",
    "export_row_level": "export",
    "plot_change_by_team": "figures", "plot_paired_rate": "figures", "plot_jacobson_truax": "figures",
    "clinical_significance": "reliable_change", "clinical_significance_summary": "reliable_change",
    "jacobson_truax_plot": "reliable_change",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
