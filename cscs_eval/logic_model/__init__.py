"""Implementation Research Logic Models (IRLM): read, draft, check, draw and tabulate.

Public functions (imported on first use, so ``cscs-eval --help`` stays light)
-----------------------------------------------------------------------------
read_logic_model(path)                       -- read and check a YAML logic model
draft_from_summary(summary, outcomes=...)    -- draft one from a CFIR summary and measured outcomes
implementation_outcomes(teams)               -- adoption and penetration from team implementation data
write_logic_model(model, path), to_yaml      -- write a model back to YAML for editing
draw(model)                                  -- the IRLM figure (a matplotlib Figure for a landscape A4 page)
draw_pages(model)                            -- the figure shortened or split until each part fits a page
to_table(model), strategies_table(model)     -- the links and the strategies as DataFrames
render(model, to=..., out=...)               -- svg, png, html, md or docx
eric_strategies(), match_eric(name)          -- the 73 ERIC strategies in their 9 clusters
outcome_names(kind), outcome_definitions()   -- Proctor's eight, the IOM six, client outcomes

A strategy that is not an ERIC strategy gives a :class:`LocalStrategyWarning`.
"""

from cscs_eval._lazy import lazy_exports

_EXPORTS = {
    "LocalStrategyWarning": "_catalogue", "eric_strategies": "_catalogue", "match_eric": "_catalogue",
    "outcome_definitions": "_catalogue", "outcome_names": "_catalogue",
    "draft_from_summary": "_draft", "implementation_outcomes": "_draft",
    "draw": "_draw", "draw_pages": "_draw",
    "Determinant": "_model", "Link": "_model", "LogicModel": "_model", "Mechanism": "_model", "Outcome": "_model",
    "Strategy": "_model", "read_logic_model": "_model", "to_yaml": "_model", "write_logic_model": "_model",
    "render": "_render", "strategies_table": "_render", "to_table": "_render",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
