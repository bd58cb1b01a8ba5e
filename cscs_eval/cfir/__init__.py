"""CFIR 2.0 coding: codebook, coded notes, ratings, summaries, figures, coder agreement, REFI-QDA.

Public functions
----------------
Syntax and ratings
    parse_inline_codes, format_codes, normalise_rating
Codebook
    codebook, crosswalk, cfir1_constructs, resolve_construct, load_aliases
Coding files
    load_coding, validate, read_case_ratings, to_coding_sheet, to_coded_notes, write_coded_notes
Ratings and summaries
    case_ratings, matrix, summarise, counts_by_domain, coverage, distinguishing_constructs, themes_table
Figures
    facilitators_barriers_figure, heatmap, domain_counts_plot
Agreement
    agreement, case_agreement, disagreements, cohen_kappa, pooled_kappa, weighted_kappa, krippendorff_alpha_ordinal
REFI-QDA
    export_qdc, export_qdpx, import_qdpx

Heavy modules (pandas, matplotlib) are imported when a name is first used.
"""

from cscs_eval._lazy import lazy_exports

from cscs_eval.cfir.codebook import codebook  # bound here: the function shadows its module's name
from cscs_eval.cfir.syntax import RATINGS, format_codes, normalise_rating, parse_inline_codes

_EXPORTS = {
    "crosswalk": "codebook", "cfir1_constructs": "codebook",
    "resolve_construct": "codebook", "load_aliases": "codebook", "construct_info": "codebook",
    "DOMAINS": "codebook",
    "COLUMNS": "coding", "load_coding": "coding", "validate": "coding", "read_case_ratings": "coding",
    "to_coding_sheet": "coding", "to_coded_notes": "coding", "write_coded_notes": "coding",
    "case_ratings": "ratings", "matrix": "ratings", "summarise": "ratings", "counts_by_domain": "ratings",
    "coverage": "ratings", "distinguishing_constructs": "ratings", "themes_table": "ratings",
    "CLASSIFICATIONS": "ratings", "PooledCodersWarning": "ratings",
    "facilitators_barriers_figure": "plots", "heatmap": "plots", "domain_counts_plot": "plots",
    "agreement": "reliability", "case_agreement": "reliability", "disagreements": "reliability",
    "cohen_kappa": "reliability", "pooled_kappa": "reliability", "weighted_kappa": "reliability",
    "krippendorff_alpha_ordinal": "reliability",
    "export_qdc": "refiqda", "export_qdpx": "refiqda", "import_qdpx": "refiqda", "read_qdc": "refiqda",
}

__all__ = ["RATINGS", "parse_inline_codes", "format_codes", "normalise_rating", "codebook", *sorted(_EXPORTS)]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
