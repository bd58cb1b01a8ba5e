"""Draft a logic model from a CFIR summary and measured outcomes, for an evaluator to edit.

The strongest barriers and facilitators of the CFIR summary become determinants; each gets
a starting ERIC strategy and mechanism from ``data/draft_suggestions.yaml`` (by construct,
then its parent, then its domain), and a link to the measured outcomes. Adoption and
penetration come from team implementation data with :func:`implementation_outcomes`.
"""

from __future__ import annotations

import math
import warnings

from cscs_eval.errors import InputError, SuspiciousDataWarning, UsageError
from cscs_eval.logic_model._catalogue import OUTCOME_TYPES, draft_suggestions, match_eric, match_outcome
from cscs_eval.logic_model._model import LogicModel
from cscs_eval.stats import format_number, round_half_up

CLASSIFICATIONS = ("strong facilitator", "weak facilitator", "mixed", "weak barrier", "strong barrier",
                   "insufficient data")
SUMMARY_COLUMNS = ("construct_id", "construct", "domain", "n_excerpts", "n_cases", "mean_rating", "classification")
TEAM_COLUMNS = ("team", "eligible", "approached_date", "engaged_date", "pathway_mapped_date", "trained_date")

_TRUE = {"yes", "y", "true", "1", "eligible"}
_FALSE = {"no", "n", "false", "0", "not eligible"}


def _as_frame(data, required, what, file=None):
    """``(DataFrame, file)``: a file is read (cells as text); a DataFrame is copied with normalised columns."""
    import pandas as pd

    from cscs_eval.io import normalise_column, read_table

    if isinstance(data, pd.DataFrame):
        df = data.copy()
        df.columns = [normalise_column(c) for c in df.columns]
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise InputError(f"{what} lacks column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}",
                             file=file)
        return df, None if file is None else str(file)
    return read_table(data, required=required), str(data)


def _row(file, i):
    """The row a user sees: in a file (header on row 1) or, for a DataFrame, its 1-based position."""
    return i + 2 if file else i + 1


def implementation_outcomes(teams, *, file=None):
    """Adoption and penetration from team implementation data.

    Adoption is the share of eligible teams that engaged (``engaged_date`` filled);
    penetration the share of eligible teams whose staff were trained after mapping their
    pathway (``trained_date`` filled), as in the board report's PROMs delivery overview.

    Parameters
    ----------
    teams
        A file or DataFrame with columns ``team, eligible, approached_date, engaged_date,
        pathway_mapped_date, trained_date`` (empty date = not yet; ``eligible`` yes or no).
    file
        When ``teams`` is a DataFrame read from a file: the file, named with its rows in errors.

    Returns
    -------
    pandas.DataFrame
        Rows ``Adoption`` and ``Penetration`` with columns ``outcome, type, numerator,
        denominator, value`` (percentage), ``label`` and ``measure`` (text for a logic model).

    Warns
    -----
    SuspiciousDataWarning
        A team that reached a later stage without an earlier one, or with dates out of order.

    Examples
    --------
    >>> import pandas as pd
    >>> teams = pd.DataFrame({"team": ["A", "B", "C", "D"], "eligible": ["yes", "yes", "yes", "no"],
    ...     "approached_date": ["2024-01-05", "2024-01-09", None, None],
    ...     "engaged_date": ["2024-02-01", "2024-02-11", None, None],
    ...     "pathway_mapped_date": ["2024-03-01", None, None, None],
    ...     "trained_date": ["2024-04-01", None, None, None]})
    >>> implementation_outcomes(teams)[["outcome", "numerator", "denominator", "value"]].values.tolist()
    [['Adoption', 2, 3, 66.7], ['Penetration', 1, 3, 33.3]]
    """
    import pandas as pd

    from cscs_eval.dates import parse_date

    df, file = _as_frame(teams, TEAM_COLUMNS, "team implementation data", file)
    stages = ("approached_date", "engaged_date", "pathway_mapped_date", "trained_date")
    eligible_n = engaged_n = trained_n = 0
    seen = set()
    for i, rec in enumerate(df.to_dict("records")):
        team = rec["team"]
        if team is None or str(team).strip() in ("", "nan", "<NA>"):
            raise InputError("team is empty", file=file, row=_row(file, i), column="team")
        if str(team).strip() in seen:
            raise InputError(f"team {team!r} appears twice; give one row per team", file=file,
                             row=_row(file, i), column="team")
        seen.add(str(team).strip())
        flag = str(rec["eligible"]).strip().lower()
        if flag in _TRUE:
            eligible = True
        elif flag in _FALSE:
            eligible = False
        else:
            raise InputError(f"eligible must be yes or no, got {rec['eligible']!r}", file=file,
                             row=_row(file, i), column="eligible")
        # An empty cell is "not yet"; anything else must be a date.
        dates = [parse_date(rec[c], file=file, row=_row(file, i), column=c, required=False) for c in stages]
        reached = [d is not None for d in dates]
        for k in range(1, len(stages)):
            if reached[k] and not all(reached[:k]):
                missing = [stages[j] for j in range(k) if not reached[j]]
                warnings.warn(SuspiciousDataWarning(
                    f"team {team!r} has {stages[k]} but no {', '.join(missing)} (row {_row(file, i)})"), stacklevel=2)
                break
        known = [(stages[k], d) for k, d in enumerate(dates) if d is not None]
        for (c1, d1), (c2, d2) in zip(known, known[1:]):
            if d2 < d1:
                warnings.warn(SuspiciousDataWarning(
                    f"team {team!r}: {c2} {d2} is before {c1} {d1} (row {_row(file, i)})"), stacklevel=2)
                break
        if not eligible:
            continue
        eligible_n += 1
        engaged_n += reached[1]
        trained_n += reached[3]
    if eligible_n == 0:
        raise InputError("no team is marked eligible, so adoption and penetration have no denominator",
                         file=file, column="eligible")
    rows = []
    for name, n, label in (("Adoption", engaged_n, "eligible teams engaged"),
                           ("Penetration", trained_n, "eligible teams with a mapped pathway and trained staff")):
        # both figures from the exact share, so the whole percentage is not rounded twice
        rows.append({"outcome": name, "type": "implementation", "numerator": n, "denominator": eligible_n,
                     "value": round_half_up(100 * n / eligible_n, decimals=1), "label": label,
                     "measure": f"{n} of {eligible_n} teams ({format_number(n / eligible_n, decimals=0, share=True)})"})
    return pd.DataFrame(rows)


def _outcome_entries(outcomes) -> list:
    """Normalise the outcomes argument to dicts with name, type, label, measure."""
    import pandas as pd

    if outcomes is None:
        return []
    entries = []
    if isinstance(outcomes, pd.DataFrame):
        df = outcomes.copy()
        df.columns = [str(c).strip().lower() for c in df.columns]
        name_col = "outcome" if "outcome" in df.columns else "name" if "name" in df.columns else None
        if name_col is None:
            raise InputError("outcomes needs a column 'outcome' (the outcome's name) and 'measure' or 'value'; "
                             f"found {', '.join(df.columns)}")
        for rec in df.to_dict("records"):
            entries.append({"name": rec[name_col], "type": rec.get("type"), "label": rec.get("label"),
                            "measure": rec.get("measure"), "value": rec.get("value")})
    elif isinstance(outcomes, dict):
        for name, value in outcomes.items():
            if isinstance(value, dict):
                unknown = set(value) - {"type", "label", "measure", "value"}
                if unknown:
                    raise InputError(f"outcome {name!r} has unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                                     "type, label, measure, value")
                entries.append({"name": name, **value})
            else:
                entries.append({"name": name, "value": value})
    else:
        raise UsageError(f"outcomes must be a DataFrame or a dict, got {type(outcomes).__name__}")

    out = []
    for e in entries:
        name = str(e["name"]).strip()
        kind = e.get("type")
        kind = None if kind is None or (isinstance(kind, float) and math.isnan(kind)) else str(kind).strip().lower()
        if kind == "client":
            kind = "clinical"
        if kind is not None and kind not in OUTCOME_TYPES:
            raise InputError(f"outcome {name!r} has type {kind!r}; expected one of {', '.join(OUTCOME_TYPES)}")
        found = match_outcome(name, kind if kind in ("implementation", "service") else None)
        if found and (kind is None or kind == found[1]):
            name, kind = found
        elif kind in ("implementation", "service"):
            raise InputError(f"outcome {name!r} is not one of the {kind} outcomes; see "
                             "cscs_eval.logic_model.outcome_names()")
        kind = kind or "clinical"
        measure = e.get("measure")
        measure = None if measure is None or (isinstance(measure, float) and math.isnan(measure)) else str(measure)
        value = e.get("value")
        if measure is None and value is not None and not (isinstance(value, float) and math.isnan(value)):
            if isinstance(value, (int, float)):
                # Implementation outcomes such as adoption are percentages of teams.
                measure = f"{format_number(value, decimals=0)}%" if kind == "implementation" else f"{value:g}"
            else:
                measure = str(value)
        label = e.get("label")
        label = None if label is None or (isinstance(label, float) and math.isnan(label)) else str(label)
        out.append({"name": name, "type": kind, "label": label, "measure": measure})
    return out


def _suggestion(construct_id, valence):
    table = draft_suggestions()
    key = str(construct_id).strip().upper()
    candidates = []
    parts = key.split(".")
    for k in range(len(parts), 0, -1):
        candidates.append(".".join(parts[:k]))
    candidates.append("default")
    for c in candidates:
        entry = table.get(c, {}) or {}
        if valence in entry:
            return entry[valence]
    raise AssertionError("draft_suggestions.yaml has no default entry")  # pragma: no cover


def draft_from_summary(summary, *, outcomes=None, n_barriers: int = 3, n_facilitators: int = 3,
                       title: str = "Draft Implementation Research Logic Model", intervention=None, file=None):
    """Draft a logic model from a CFIR summary and measured outcomes.

    Parameters
    ----------
    summary
        The CFIR summary (a DataFrame or file) with columns ``construct_id, construct,
        domain, n_excerpts, n_cases, mean_rating, classification`` as ``cscs-eval cfir
        summarise`` writes it; ``classification`` is one of strong facilitator, weak
        facilitator, mixed, weak barrier, strong barrier, insufficient data.
    outcomes
        Measured outcomes: a dict ``{name: value}`` (e.g. ``{"Adoption": 90.6,
        "Quality of life (ReQoL-10)": "mean change +4.1"}``; a number for an implementation
        outcome is a percentage) or a DataFrame with ``outcome`` and ``measure`` or ``value``
        and optional ``type`` and ``label``, such as :func:`implementation_outcomes` returns.
        Names of Proctor's outcomes are implementation outcomes, names of the IOM aims
        service outcomes, anything else clinical. Without outcomes, Adoption and Penetration
        are added unmeasured.
    n_barriers, n_facilitators
        How many of the strongest barriers and facilitators become determinants: strong
        before weak, then by mean rating, cases and excerpts.
    title, intervention
        Written into the model.
    file
        When ``summary`` is a DataFrame read from a file: the file, named with its rows in errors.

    Returns
    -------
    LogicModel
        Write it with :func:`write_logic_model` for the evaluator to edit.

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({"construct_id": ["III.A.2", "V.F", "I.C"],
    ...     "construct": ["Information Technology Infrastructure", "Engaging", "Innovation Relative Advantage"],
    ...     "domain": ["Inner Setting", "Implementation Process", "Innovation"], "n_excerpts": [9, 12, 4],
    ...     "n_cases": [3, 3, 2], "mean_rating": [-2.0, 1.7, 1.0],
    ...     "classification": ["strong barrier", "strong facilitator", "weak facilitator"]})
    >>> model = draft_from_summary(summary, outcomes={"Adoption": 90.6, "Penetration": 37.5})
    >>> [(d.construct, d.valence_text) for d in model.determinants]
    [('III.A.2', 'strong barrier'), ('V.F', 'strong facilitator'), ('I.C', 'weak facilitator')]
    >>> [s.label for s in model.strategies]
    ['Change record systems', 'Identify and prepare champions']
    """
    import pandas as pd

    for name, n in (("n_barriers", n_barriers), ("n_facilitators", n_facilitators)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise UsageError(f"{name} must be a whole number from 0, got {n!r}")
    df, source = _as_frame(summary, ("construct_id", "construct", "classification"), "the CFIR summary", file)
    records = []
    seen = set()
    for i, rec in enumerate(df.to_dict("records")):
        cls = str(rec["classification"]).strip().lower()
        if cls not in CLASSIFICATIONS:
            raise InputError(f"classification {rec['classification']!r} is not one of {', '.join(CLASSIFICATIONS)}",
                             file=source, row=_row(source, i), column="classification")
        cid = str(rec["construct_id"]).strip()
        if cid in seen:
            raise InputError(f"construct_id {cid!r} appears twice; a summary has one row per construct",
                             file=source, row=_row(source, i), column="construct_id")
        seen.add(cid)
        mean = pd.to_numeric(pd.Series([rec.get("mean_rating")]), errors="coerce").iloc[0]
        n_cases = pd.to_numeric(pd.Series([rec.get("n_cases")]), errors="coerce").iloc[0]
        n_exc = pd.to_numeric(pd.Series([rec.get("n_excerpts")]), errors="coerce").iloc[0]
        records.append({"id": cid, "name": str(rec["construct"]).strip(), "cls": cls,
                        "mean": None if pd.isna(mean) else float(mean),
                        "n_cases": 0 if pd.isna(n_cases) else int(n_cases),
                        "n_excerpts": 0 if pd.isna(n_exc) else int(n_exc), "order": i})

    def pick(valence, n):
        chosen = [r for r in records if r["cls"].endswith(valence)]
        sign = -1 if valence == "barrier" else 1
        chosen.sort(key=lambda r: (not r["cls"].startswith("strong"),
                                   -sign * (r["mean"] if r["mean"] is not None else 0.0),
                                   -r["n_cases"], -r["n_excerpts"], r["order"]))
        return chosen[:n]

    picked = [(r, "barrier") for r in pick("barrier", n_barriers)] + \
             [(r, "facilitator") for r in pick("facilitator", n_facilitators)]
    if not picked:
        raise InputError("the CFIR summary has no construct classified as a barrier or a facilitator, so there is "
                         "no determinant to draft from", file=source, column="classification")

    entries = _outcome_entries(outcomes)
    if not entries:
        entries = [{"name": "Adoption", "type": "implementation", "label": None, "measure": "not yet measured"},
                   {"name": "Penetration", "type": "implementation", "label": None, "measure": "not yet measured"}]
    outcome_nodes = [{"id": f"O{k}", "name": e["name"], "type": e["type"], "label": e["label"],
                      "measure": e["measure"]} for k, e in enumerate(entries, 1)]

    determinants, strategies, mechanisms, links = [], [], [], []
    strategy_ids: dict = {}
    mechanism_ids: dict = {}
    for k, (rec, valence) in enumerate(picked, 1):
        strength = rec["cls"].split()[0]
        note_bits = [f"{rec['n_cases']} case(s)", f"{rec['n_excerpts']} excerpt(s)"]
        if rec["mean"] is not None:
            note_bits.append(f"mean rating {format_number(rec['mean'], decimals=1, sign=True)}")
        determinants.append({"id": f"D{k}", "construct": rec["id"], "label": rec["name"],
                             "valence": f"{strength} {valence}",
                             "note": "From the CFIR summary: " + ", ".join(note_bits)})
        suggestion = _suggestion(rec["id"], valence)
        eric = match_eric(suggestion["strategy"])["strategy"]
        if eric not in strategy_ids:
            strategy_ids[eric] = f"S{len(strategy_ids) + 1}"
            strategies.append({"id": strategy_ids[eric], "label": eric})
        mech = suggestion["mechanism"]
        if mech not in mechanism_ids:
            mechanism_ids[mech] = f"M{len(mechanism_ids) + 1}"
            mechanisms.append({"id": mechanism_ids[mech], "label": mech})
        links.append({"number": k, "determinant": f"D{k}", "strategy": strategy_ids[eric],
                      "mechanism": mechanism_ids[mech], "outcomes": [o["id"] for o in outcome_nodes]})

    data = {
        "title": title,
        "intervention": intervention,
        "description": "Drafted by cscs-eval from the CFIR summary's strongest barriers and facilitators. "
                       "Strategies and mechanisms are starting suggestions, not the CFIR-ERIC matching "
                       "tool's results: edit them, and the links, to say what the implementation team did "
                       "and why it worked.",
        "determinants": determinants, "strategies": strategies, "mechanisms": mechanisms,
        "outcomes": [{k: v for k, v in o.items() if v is not None} for o in outcome_nodes],
        "links": links,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return LogicModel.from_dict(data)
