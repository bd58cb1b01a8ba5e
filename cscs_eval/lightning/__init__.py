"""Lightning Reports: rapid Plus / Delta / Insights feedback, rendered and followed over time.

Public functions
----------------
read_report      -- read one report (Markdown with front matter) into a LightningReport
parse_report     -- the same from text
render           -- HTML or Markdown text; write_docx / write_report write files (HTML, Markdown, Word)
series           -- constructs recurring under Plus and Delta across reports, and resolved Deltas (DataFrame)
timeline         -- one row per report in date order (DataFrame)
codes            -- every CFIR code of every report (DataFrame)
read_reports     -- read a folder of reports in date order
plot_series      -- constructs by report, Plus and Delta marks (``ax=``, returns the Axes)
"""

from cscs_eval.lightning.plot import plot_series
from cscs_eval.lightning.render import build_docx, render, render_html, render_markdown, write_docx, write_report
from cscs_eval.lightning.report import SECTIONS, Code, Item, LightningReport, parse_report, read_report
from cscs_eval.lightning.series import RESOLUTION_RULE, codes, read_reports, series, timeline

__all__ = ["read_report", "parse_report", "LightningReport", "Item", "Code", "SECTIONS", "render",
           "render_html", "render_markdown", "build_docx", "write_docx", "write_report", "series", "timeline",
           "codes", "read_reports", "RESOLUTION_RULE", "plot_series"]
