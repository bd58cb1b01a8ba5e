"""Benefit analysis: Making Data Count SPC charts, funnel plots, interrupted time series,
inequality gaps and indices, and the benefits register.

SPC follows NHSRplotthedots, funnel limits FunnelPlotR; see each module's docstring for the
method and its source. Plotting functions take ``ax=`` and return the Axes.

Names are imported lazily so that the command line starts without pandas or matplotlib.
"""

from cscs_eval._lazy import lazy_exports

_EXPORTS = {
    "spc": "xmr", "SpcResult": "xmr", "xmr_limits": "xmr", "ShortSeriesWarning": "xmr",
    "VARIATION_SHORT": "xmr", "ASSURANCE_SHORT": "xmr",
    "funnel": "funnel_plot", "FunnelResult": "funnel_plot",
    "interrupted_time_series": "its", "ItsResult": "its",
    "inequality_gaps": "inequalities", "group_estimates": "inequalities", "slope_index": "inequalities",
    "sii_from_groups": "inequalities", "SlopeIndexResult": "inequalities", "imd_quintile": "inequalities",
    "plot_spc": "plots", "plot_funnel": "plots", "plot_its": "plots", "plot_gaps": "plots",
    "read_register": "register", "register_report": "register", "indicator_charts": "register",
    "improvement_from": "register",
    "select_indicator": "_series", "UnevenSeriesWarning": "_series",
    "indicator_labels": "register", "benefit_titles": "register",
    "imd_quintiles": "paired", "paired_referrals": "paired", "paired_counts": "paired", "paired_changes": "paired",
    "register_table": "tables", "its_table": "tables", "outlier_table": "tables", "gap_table": "tables",
    "reference_group": "tables", "group_label": "tables", "suppression_note": "tables", "save_tables": "tables",
    "record_warnings": "sentences", "collect_warnings": "sentences", "summary_text": "sentences",
    "register_sentences": "sentences", "its_sentence": "sentences", "funnel_sentence": "sentences",
    "sii_sentence": "sentences", "funnel_caption": "sentences", "spc_caption": "sentences",
    "deprivation_text": "sentences",
    "improvement_text": "sentences", "methods_text": "sentences",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
