"""CFIR 2.0 coding: codebook, inline coded notes, ratings, summaries, agreement, REFI-QDA.

Public functions
----------------
parse_inline_codes, normalise_rating, format_codes  -- the inline coding syntax and ratings
"""

from cscs_eval.cfir.syntax import RATINGS, format_codes, normalise_rating, parse_inline_codes

__all__ = ["RATINGS", "parse_inline_codes", "normalise_rating", "format_codes"]
