"""PROMs outcome statistics: ReQoL-10, DIALOG, GBO (and PHQ-9, GAD-7) to NHS England's definitions.

Public names (imported on first use, so ``cscs-eval --help`` stays light); every module of
the package is private, and ``__all__`` is the public surface:

- measures: :func:`load_measure`, :func:`list_measures`, :func:`measure_registry`;
- reading and validation: :func:`read_proms`, :func:`validate_proms`, :func:`read_referrals`,
  :func:`read_demographics` (the last two return a :class:`ReadResult`);
- scoring, pairing and change: :func:`score` (a :class:`ScoresResult`), :func:`pair`,
  :func:`classify`, :func:`outcomes` (an :class:`OutcomesResult` with ``.table``,
  ``.exclusions``, ``.problems``, ``.referrals``), :func:`eligible_referrals`
  (a same-day follow-up warns with :class:`SameDayFollowUpWarning`);
- summaries: :func:`summarise`, :func:`publishable`, :func:`paired_statistics`;
- models: :func:`mixed_model`, :func:`ancova`, :func:`pairing_model` (each a :class:`ModelResult`);
- NHS Talking Therapies (PHQ-9 with GAD-7): :func:`talking_therapies`, :func:`summarise_talking_therapies`;
- governance and figures: :func:`export_row_level`, :func:`plot_jacobson_truax`,
  :func:`plot_change_by_team`, :func:`plot_paired_rate`;
- reliable and clinically significant change for any measure: :func:`clinical_significance`
  (a :class:`ClinicalSignificanceResult`);
- a first look at an extract: :func:`extract_summary`, :func:`assessments`, :func:`measure_counts`,
  :func:`completeness_by_team`, :func:`plot_follow_up_by_team`;
- the reports, built once for a notebook: :func:`outcomes_report` (:class:`OutcomesReport`) and
  :func:`overview_report` (:class:`OverviewReport`), whose sections return :class:`ReportItem`.
"""

from __future__ import annotations

from cscs_eval._lazy import lazy_exports

_EXPORTS = {
    "load_measure": "_measures", "list_measures": "_measures", "measure_registry": "_measures",
    "read_proms": "_data", "validate_proms": "_data", "read_referrals": "_data", "read_demographics": "_data",
    "ReadResult": "_data",
    "ScoresResult": "_results", "OutcomesResult": "_results",
    "score": "_scoring",
    "pair": "_pairing", "classify": "_pairing", "outcomes": "_pairing", "eligible_referrals": "_pairing",
    "SameDayFollowUpWarning": "_pairing",
    "summarise": "_summary", "publishable": "_summary",
    "paired_statistics": "_stats",
    "mixed_model": "_models", "ancova": "_models", "pairing_model": "_models", "ModelResult": "_models",
    "talking_therapies": "_talking_therapies", "summarise_talking_therapies": "_talking_therapies",
    "export_row_level": "_export",
    "plot_change_by_team": "_figures", "plot_paired_rate": "_figures", "plot_jacobson_truax": "_figures",
    "clinical_significance": "_reliable_change", "ClinicalSignificanceResult": "_reliable_change",
    "ClinicalSignificanceOptionError": "_reliable_change", "IncompleteCasesWarning": "_reliable_change",
    "assessments": "_overview", "extract_summary": "_overview", "measure_counts": "_overview",
    "completeness_by_team": "_overview", "plot_follow_up_by_team": "_overview",
    "outcomes_report": "_report", "OutcomesReport": "_report", "overview_report": "_report",
    "OverviewReport": "_report", "ReportItem": "_report",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
