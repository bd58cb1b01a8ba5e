"""Parameterised notebook reports: the runner, the report renderer and the helpers notebooks call.

Notebook helpers: :func:`set_report_style`, :func:`show_table`, :func:`show_figure`,
:func:`show_markdown`. Runner: :func:`run_notebook`, :func:`run_for_each`,
:func:`notebook_parameters`. Rendering: :func:`render_html`, :func:`render_docx`.

Names are imported lazily so that the command line starts without pandas or matplotlib.
"""

from cscs_eval._lazy import lazy_exports

_EXPORTS = {
    "ACCENT": "cscs_eval.reporting.style",
    "PALETTE": "cscs_eval.reporting.style",
    "set_report_style": "cscs_eval.reporting.style",
    "show_table": "cscs_eval.reporting.display",
    "show_figure": "cscs_eval.reporting.display",
    "show_markdown": "cscs_eval.reporting.display",
    "format_table": "cscs_eval.reporting.display",
    "label": "cscs_eval.reporting.labels",
    "category": "cscs_eval.reporting.labels",
    "notebook_parameters": "cscs_eval.reporting.params",
    "resolve_parameters": "cscs_eval.reporting.params",
    "run_notebook": "cscs_eval.reporting.runner",
    "run_for_each": "cscs_eval.reporting.runner",
    "RunResult": "cscs_eval.reporting.runner",
    "render_html": "cscs_eval.reporting.document",
    "render_docx": "cscs_eval.reporting.document",
    "report_blocks": "cscs_eval.reporting.document",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
