"""Lightning Reports: rapid Plus / Delta / Insights feedback, rendered and followed over time.

Public functions (imported on first use, so ``cscs-eval --help`` stays light)
-----------------------------------------------------------------------------
read_report      -- read one report (Markdown with front matter) into a LightningReport
parse_report     -- the same from text
render           -- HTML or Markdown text, or a file (HTML, Markdown, Word): ``render(report, to=..., out=...)``
series           -- constructs recurring under Plus and Delta across reports, and resolved Deltas (LightningSeries)
timeline         -- one row per report in date order (DataFrame)
codes            -- every CFIR code of every report (DataFrame)
read_reports     -- read a folder of reports in date order
plot_series      -- constructs by report, Plus and Delta marks (``ax=``, returns the Axes)
"""

from cscs_eval._lazy import lazy_exports

_EXPORTS = {
    "read_report": "_report", "parse_report": "_report", "LightningReport": "_report", "Item": "_report",
    "Code": "_report", "SECTIONS": "_report",
    "render": "_render",
    "series": "_series", "LightningSeries": "_series", "timeline": "_series", "codes": "_series",
    "read_reports": "_series", "RESOLUTION_RULE": "_series",
    "plot_series": "_plot",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
