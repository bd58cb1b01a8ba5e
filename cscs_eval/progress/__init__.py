"""Programme progress: workstream task tallies, percentages, RAG status and checks that they add up.

Public functions (imported on first use, so ``cscs-eval --help`` stays light)
-----------------------------------------------------------------------------
summarise         -- the progress table with its checks' findings (a ProgressSummary: ``.table``, ``.findings``)
tally             -- count a task register's statuses per workstream
check_headlines   -- check percentages quoted in a report's text against the counts (Findings)
check_shares      -- check an 'n and % of total' table, e.g. the PROMs delivery overview (Findings)
plot_progress     -- a stacked bar per workstream (``ax=``, returns the Axes)
load_rag_rules, rag_status, normalise_status, read_progress, percent
"""

from cscs_eval._lazy import lazy_exports

_EXPORTS = {
    "STATUSES": "_core", "STATUS_LABELS": "_core", "SUMMARY_COLUMNS": "_core",
    "ProgressSummary": "_core", "Findings": "_core",
    "summarise": "_core", "tally": "_core", "check_headlines": "_core", "check_shares": "_core",
    "load_rag_rules": "_core", "rag_status": "_core", "normalise_status": "_core", "read_progress": "_core",
    "percent": "_core",
    "plot_progress": "_plot",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
