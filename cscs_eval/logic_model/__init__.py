"""Implementation Research Logic Models (IRLM): read, draft, check, draw and tabulate.

Public functions
----------------
read_logic_model(path)                      -- read and check a YAML logic model
draft_from_summary(summary, outcomes=None)  -- draft one from a CFIR summary and measured outcomes
implementation_outcomes(teams)              -- adoption and penetration from team implementation data
write_logic_model(model, path), to_yaml     -- write a model back to YAML for editing
draw(model)                                 -- the IRLM figure (a matplotlib Figure)
to_table(model), strategies_table(model)    -- the links and the strategies as DataFrames
render(model, to, out=None)                 -- svg, png, html, md or docx
eric_strategies(), match_eric(name)         -- the 73 ERIC strategies in their 9 clusters
outcome_names(kind), outcome_definitions()  -- Proctor's eight, the IOM six, client outcomes

A strategy that is not an ERIC strategy gives a :class:`LocalStrategyWarning`.
"""

from cscs_eval.logic_model._catalogue import (
    LocalStrategyWarning,
    eric_strategies,
    match_eric,
    outcome_definitions,
    outcome_names,
)
from cscs_eval.logic_model._draft import draft_from_summary, implementation_outcomes
from cscs_eval.logic_model._draw import draw
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
from cscs_eval.logic_model._render import render, strategies_table, to_docx, to_html, to_markdown, to_table

__all__ = [
    "Determinant", "Link", "LocalStrategyWarning", "LogicModel", "Mechanism", "Outcome", "Strategy",
    "draft_from_summary", "draw", "eric_strategies", "implementation_outcomes", "match_eric",
    "outcome_definitions", "outcome_names", "read_logic_model", "render", "strategies_table", "to_docx",
    "to_html", "to_markdown", "to_table", "to_yaml", "write_logic_model",
]
