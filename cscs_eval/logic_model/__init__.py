"""Implementation Research Logic Models: read, draft, check, draw and tabulate.

Public functions: :func:`read_logic_model`, :func:`write_logic_model`, :func:`draft_from_summary`,
:func:`implementation_outcomes`, :func:`draw`, :func:`to_table`, :func:`render`, :func:`eric_strategies`,
:func:`match_eric`; the model classes :class:`LogicModel` and its nodes; and the warning
:class:`LocalStrategyWarning` for a strategy that is not in ERIC.
"""

from cscs_eval.logic_model._catalogue import (
    LocalStrategyWarning,
    eric_strategies,
    match_eric,
    outcome_definitions,
    outcome_names,
)
from cscs_eval.logic_model._model import (
    Determinant,
    Link,
    LogicModel,
    Mechanism,
    Outcome,
    Strategy,
    read_logic_model,
    to_yaml,
    write_logic_model,
)

__all__ = [
    "Determinant", "Link", "LocalStrategyWarning", "LogicModel", "Mechanism", "Outcome", "Strategy",
    "eric_strategies", "match_eric", "outcome_definitions", "outcome_names", "read_logic_model", "to_yaml",
    "write_logic_model",
]
