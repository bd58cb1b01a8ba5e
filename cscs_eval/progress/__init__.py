"""Programme progress: workstream task tallies, percentages, RAG status and checks that they add up.

Public functions
----------------
summarise         -- the progress table with its checks' findings: ``table, findings, checks = summarise(data)``
tally             -- count a task register's statuses per workstream
check_headlines   -- check percentages quoted in a report's text against the counts
check_shares      -- check an 'n and % of total' table (e.g. the PROMs delivery overview)
plot_progress     -- a stacked bar per workstream (``ax=``, returns the Axes)
load_rag_rules, rag_status, normalise_status, read_progress, percent
"""

from cscs_eval.progress.core import (
    STATUS_LABELS,
    STATUSES,
    ProgressSummary,
    check_headlines,
    check_shares,
    load_rag_rules,
    normalise_status,
    percent,
    rag_status,
    read_progress,
    summarise,
    tally,
)
from cscs_eval.progress.plot import plot_progress

__all__ = ["STATUSES", "STATUS_LABELS", "ProgressSummary", "summarise", "tally", "check_headlines",
           "check_shares", "plot_progress", "load_rag_rules", "rag_status", "normalise_status", "read_progress", "percent"]
