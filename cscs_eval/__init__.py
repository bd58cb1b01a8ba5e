"""cscs-eval: evaluate how a change in mental-health care was implemented and what it achieved.

The top-level package stays light so that ``cscs-eval --help`` starts fast; each capability
lives in its own subpackage (``cscs_eval.cfir``, ``cscs_eval.proms``, ...).
"""

__version__ = "0.1.0"
