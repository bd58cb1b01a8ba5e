"""CFIR 2.0 coding: codebook, coded notes, ratings, summaries, figures, coder agreement, REFI-QDA.

Public names
------------
Syntax and ratings
    parse_inline_codes, format_codes, normalise_rating, RATINGS, RATING_VALUES
Codebook
    codebook, crosswalk, cfir1_constructs, resolve_construct, construct_info, load_aliases, DOMAINS
Coding files
    load_coding -> Coding (``.table``, ``.case_ratings``), validate, read_case_ratings, to_coding_sheet,
    to_coded_notes, write_coded_notes, COLUMNS
Ratings and summaries
    rate_cases, matrix, summarise, counts_by_domain, coverage, distinguishing_constructs, themes_table,
    CLASSIFICATIONS, PooledCodersWarning
The coding report
    coding_report -> CodingReport
Figures
    facilitators_barriers_figure, heatmap, domain_counts_plot
Agreement
    agreement, case_agreement, disagreements, cohen_kappa, pooled_kappa, weighted_kappa, krippendorff_alpha_ordinal
REFI-QDA
    export_qdc, export_qdpx, import_qdpx, read_qdc, QDPX_LIMITS, CASE_VARIABLE, format_description,
    parse_description (the ``cscs-eval:`` line of a selection's Description), RefiWarning,
    DescriptionConflictWarning, CaseAssignmentWarning

The implementation modules are private (``_coding``, ``_ratings``, ...); heavy ones (pandas,
matplotlib) are imported when a name is first used.
"""

from cscs_eval._lazy import lazy_exports

from cscs_eval.cfir._codebook import codebook
from cscs_eval.cfir._syntax import RATING_VALUES, RATINGS, format_codes, normalise_rating, parse_inline_codes

_EXPORTS = {
    "crosswalk": "_codebook", "cfir1_constructs": "_codebook", "resolve_construct": "_codebook",
    "load_aliases": "_codebook", "construct_info": "_codebook", "DOMAINS": "_codebook",
    "COLUMNS": "_tidy", "read_case_ratings": "_tidy",
    "Coding": "_coding", "load_coding": "_coding", "validate": "_coding",
    "to_coding_sheet": "_coding", "to_coded_notes": "_coding", "write_coded_notes": "_coding",
    "rate_cases": "_ratings", "matrix": "_ratings", "summarise": "_ratings", "counts_by_domain": "_ratings",
    "coverage": "_ratings", "distinguishing_constructs": "_ratings", "themes_table": "_ratings",
    "CLASSIFICATIONS": "_ratings", "PooledCodersWarning": "_ratings",
    "CodingReport": "_report", "coding_report": "_report",
    "facilitators_barriers_figure": "_plots", "heatmap": "_plots", "domain_counts_plot": "_plots",
    "agreement": "_reliability", "case_agreement": "_reliability", "disagreements": "_reliability",
    "cohen_kappa": "_reliability", "pooled_kappa": "_reliability", "weighted_kappa": "_reliability",
    "krippendorff_alpha_ordinal": "_reliability",
    "export_qdc": "_refiqda", "export_qdpx": "_refiqda", "import_qdpx": "_refiqda", "read_qdc": "_refiqda",
    "QDPX_LIMITS": "_refiqda", "CASE_VARIABLE": "_refiqda", "RefiWarning": "_refiqda",
    "DescriptionConflictWarning": "_refiqda", "CaseAssignmentWarning": "_refiqda",
    "format_description": "_refi_description", "parse_description": "_refi_description",
}

__all__ = ["RATINGS", "RATING_VALUES", "parse_inline_codes", "format_codes", "normalise_rating", "codebook",
           *sorted(_EXPORTS)]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
