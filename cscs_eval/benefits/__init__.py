"""Benefit analysis: Making Data Count SPC charts, funnel plots, interrupted time series,
inequality gaps and indices, and the benefits register.

SPC follows NHSRplotthedots, funnel limits FunnelPlotR; see each function's docstring for the
method and its source. Functions that compute more than one table return a result object
(:class:`SpcResult`, :class:`FunnelResult`, :class:`ItsResult`, :class:`SlopeIndexResult`,
:class:`RegisterResult`) with ``.table``, ``.summary()`` and ``.text()``. Plotting functions take
``ax=`` and return the Axes. :func:`assemble` builds the report notebook's :class:`BenefitsReport`.

Names are imported lazily so that the command line starts without pandas or matplotlib.
"""

from cscs_eval._lazy import lazy_exports

_EXPORTS = {
    # SPC (XmR) charts
    "spc": "_xmr", "SpcResult": "_xmr", "xmr_limits": "_xmr", "ShortSeriesWarning": "_xmr",
    "VARIATION_LABELS": "_xmr", "VARIATION_SHORT": "_xmr", "ASSURANCE_LABELS": "_xmr", "ASSURANCE_SHORT": "_xmr",
    # funnel limits, interrupted time series, inequalities
    "funnel": "_funnel_limits", "FunnelResult": "_funnel_limits",
    "interrupted_time_series": "_its", "ItsResult": "_its",
    "inequality_gaps": "_inequalities", "published_gaps": "_inequalities", "group_estimates": "_inequalities", "slope_index": "_inequalities",
    "sii_from_groups": "_inequalities", "SlopeIndexResult": "_inequalities", "imd_quintile": "_inequalities",
    # series and the benefits register
    "select_indicator": "_series", "UnevenSeriesWarning": "_series",
    "read_register": "_register", "register_report": "_register", "RegisterResult": "_register",
    "indicator_charts": "_register", "improvement_from": "_register", "indicator_labels": "_register",
    "benefit_titles": "_register",
    # PROMs outcomes as benefit data
    "imd_quintiles": "_paired", "paired_referrals": "_paired", "paired_counts": "_paired", "paired_by": "_paired", "paired_changes": "_paired",
    # figures, report tables and sentences
    "plot_spc": "_plots", "plot_funnel": "_plots", "plot_its": "_plots", "plot_gaps": "_plots",
    "register_table": "_tables", "its_table": "_tables", "outlier_table": "_tables", "gap_table": "_tables",
    "reference_group": "_tables", "group_label": "_tables", "suppression_note": "_tables", "save_tables": "_tables",
    "record_warnings": "_sentences", "collect_warnings": "_sentences", "summary_text": "_sentences",
    "register_sentences": "_sentences", "its_sentence": "_sentences", "funnel_sentence": "_sentences",
    "sii_sentence": "_sentences", "funnel_caption": "_sentences", "spc_caption": "_sentences",
    "deprivation_text": "_sentences", "improvement_text": "_sentences", "methods_text": "_sentences",
    # the report notebook's object
    "assemble": "_report", "BenefitsReport": "_report",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
