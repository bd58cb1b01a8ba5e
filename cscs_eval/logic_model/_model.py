"""The Implementation Research Logic Model as a typed graph, and its YAML file format.

Nodes are determinants (a CFIR construct with a valence), implementation strategies (ERIC
names, or local strategies), mechanisms and outcomes (implementation, service or
clinical). Numbered links chain a determinant through a strategy and a mechanism to the
outcomes it serves; every link adds directed edges to the graph, which must not contain
a cycle.

Smith JD, Li DH, Rafferty MR. The Implementation Research Logic Model: a method for
planning, executing, reporting, and synthesizing implementation projects. Implement Sci
2020;15:84.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from cscs_eval.errors import InputError
from cscs_eval.logic_model._catalogue import (
    OUTCOME_TYPES,
    LocalStrategyWarning,
    close_eric_names,
    match_eric,
    match_outcome,
    outcome_names,
)

VALENCES = ("facilitator", "barrier", "mixed")
STRENGTHS = ("strong", "weak")

#: Column of each node type in the IRLM layout (outcomes split in three).
COLUMNS = ("determinant", "strategy", "mechanism", "implementation", "service", "clinical")

# Rating notation of published CFIR tables, accepted as a valence.
_RATING_VALENCE = {"++": ("facilitator", "strong"), "+2": ("facilitator", "strong"),
                   "+": ("facilitator", "weak"), "+1": ("facilitator", "weak"),
                   "--": ("barrier", "strong"), "-2": ("barrier", "strong"),
                   "-": ("barrier", "weak"), "-1": ("barrier", "weak"),
                   "+-": ("mixed", None), "±": ("mixed", None), "x": ("mixed", None), "0": ("mixed", None)}

_OUTCOME_TYPE_ALIASES = {"client": "clinical", "patient": "clinical", "clinical/client": "clinical"}


@dataclass(frozen=True)
class Determinant:
    """A barrier or facilitator: a CFIR construct and how it acted on implementation."""

    id: str
    label: str
    construct: str | None = None
    valence: str = "barrier"
    strength: str | None = None
    note: str | None = None

    kind = "determinant"

    @property
    def symbol(self) -> str:
        """The rating notation of published CFIR tables: ``++``, ``+``, ``--``, ``-`` or ``±``."""
        if self.valence == "mixed":
            return "±"
        sign = "+" if self.valence == "facilitator" else "−"
        return sign * 2 if self.strength == "strong" else sign

    @property
    def valence_text(self) -> str:
        return f"{self.strength} {self.valence}" if self.strength else self.valence


@dataclass(frozen=True)
class Strategy:
    """An implementation strategy; ``eric`` is the matched ERIC name, None for a local strategy."""

    id: str
    label: str
    eric: str | None = None
    eric_id: int | None = None
    cluster: str | None = None
    declared_local: bool = False
    note: str | None = None

    kind = "strategy"

    @property
    def is_local(self) -> bool:
        return self.eric is None


@dataclass(frozen=True)
class Mechanism:
    """How a strategy is thought to work."""

    id: str
    label: str
    note: str | None = None

    kind = "mechanism"


@dataclass(frozen=True)
class Outcome:
    """An implementation (Proctor), service (IOM) or clinical outcome, with what was measured."""

    id: str
    type: str
    name: str
    label: str | None = None
    measure: str | None = None
    note: str | None = None

    kind = "outcome"

    @property
    def text(self) -> str:
        """Name, detail and measure in one line, as a table cell shows them."""
        out = self.name
        if self.label and self.label != self.name:
            out += f": {self.label}"
        if self.measure:
            out += f", {self.measure}" if self.label and self.label != self.name else f": {self.measure}"
        return out


@dataclass(frozen=True)
class Link:
    """A numbered chain: each step is a group of node ids; every node of a step leads to every node of the next."""

    number: int
    steps: tuple
    note: str | None = None

    def edges(self):
        for a, b in zip(self.steps, self.steps[1:]):
            for src in a:
                for dst in b:
                    yield src, dst

    @property
    def node_ids(self) -> tuple:
        return tuple(i for step in self.steps for i in step)


@dataclass(frozen=True)
class LogicModel:
    """An Implementation Research Logic Model: typed nodes and numbered links.

    Build one with :func:`read_logic_model`, :func:`draft_from_summary` or
    :meth:`LogicModel.from_dict`; they check it. ``path`` is the file it came from.
    """

    title: str = "Implementation Research Logic Model"
    intervention: str | None = None
    description: str | None = None
    determinants: tuple = ()
    strategies: tuple = ()
    mechanisms: tuple = ()
    outcomes: tuple = ()
    links: tuple = ()
    path: str | None = field(default=None, compare=False)

    # --- the graph -------------------------------------------------------------------------
    @property
    def nodes(self) -> dict:
        """Every node by id, in column order."""
        return {n.id: n for n in (*self.determinants, *self.strategies, *self.mechanisms, *self.outcomes)}

    def node(self, node_id):
        return self.nodes[node_id]

    @staticmethod
    def column(node) -> int:
        """Position of a node's column: 0 determinants ... 3-5 implementation, service, clinical outcomes."""
        return COLUMNS.index(node.type if node.kind == "outcome" else node.kind)

    def edges(self) -> list:
        """Unique directed edges ``(source id, target id, (link numbers...))`` in link order."""
        found: dict = {}
        for link in self.links:
            for edge in link.edges():
                numbers = found.setdefault(edge, [])
                if link.number not in numbers:
                    numbers.append(link.number)
        return [(a, b, tuple(n)) for (a, b), n in found.items()]

    def check(self, *, lines=None) -> LogicModel:
        """Raise :class:`InputError` for a duplicate id, a link to an unknown node or a cycle."""
        lines = lines or {}
        where = self.path
        seen: dict = {}
        for section, nodes in (("determinants", self.determinants), ("strategies", self.strategies),
                               ("mechanisms", self.mechanisms), ("outcomes", self.outcomes)):
            for i, n in enumerate(nodes):
                if n.id in seen:
                    raise InputError(f"{section} entry {i + 1}: id '{n.id}' is already used by a {seen[n.id]}; "
                                     "every node needs its own id", file=where, row=lines.get((section, i)))
                seen[n.id] = n.kind
        numbers: dict = {}
        for i, link in enumerate(self.links):
            row = lines.get(("links", i))
            if link.number in numbers:
                raise InputError(f"link {link.number}: number {link.number} is used twice (links entries "
                                 f"{numbers[link.number] + 1} and {i + 1})", file=where, row=row)
            numbers[link.number] = i
            for node_id in link.node_ids:
                if node_id not in seen:
                    known = ", ".join(seen) or "none"
                    raise InputError(f"link {link.number} names '{node_id}', which is not a determinant, strategy, "
                                     f"mechanism or outcome of this model (known ids: {known})", file=where, row=row)
            if len(link.node_ids) < 2:
                raise InputError(f"link {link.number} joins fewer than two nodes; a link chains a determinant "
                                 "through a strategy and a mechanism to outcomes", file=where, row=row)
            for src, dst in link.edges():
                if src == dst:
                    raise InputError(f"link {link.number} is a cycle: '{src}' leads to itself",
                                     file=where, row=row)
        cycle = _find_cycle(self.edges())
        if cycle:
            ids, link_numbers = cycle
            # The line shown is that of the cycle's last link in the file, most often the one just added.
            index = max(i for i, link in enumerate(self.links) if link.number in link_numbers)
            nums = ", ".join(map(str, sorted(link_numbers)))
            word = "link" if len(link_numbers) == 1 else "links"
            raise InputError(f"{word} {nums} form a cycle {' -> '.join(ids)}; a logic model runs one way, from "
                             "determinants to outcomes", file=where, row=lines.get(("links", index)))
        return self

    # --- plain data ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The model as plain data in the YAML file format (what :func:`write_logic_model` writes)."""
        out: dict = {"title": self.title}
        if self.intervention:
            out["intervention"] = self.intervention
        if self.description:
            out["description"] = self.description
        out["determinants"] = [_clean({"id": d.id, "construct": d.construct, "label": d.label,
                                       "valence": d.valence_text, "note": d.note})
                               for d in self.determinants]
        out["strategies"] = [_clean({"id": s.id, "label": s.label,
                                     "eric": s.eric if s.eric and s.eric != s.label else None,
                                     "local": True if s.declared_local else None, "note": s.note})
                             for s in self.strategies]
        out["mechanisms"] = [_clean({"id": m.id, "label": m.label, "note": m.note}) for m in self.mechanisms]
        out["outcomes"] = {kind: [_clean({"id": o.id, "name": o.name, "label": o.label, "measure": o.measure,
                                          "note": o.note})
                                  for o in self.outcomes if o.type == kind]
                           for kind in OUTCOME_TYPES if any(o.type == kind for o in self.outcomes)}
        out["links"] = [self._link_dict(link) for link in self.links]
        return out

    def _link_dict(self, link) -> dict:
        nodes = self.nodes
        ids = link.node_ids
        groups = {kind: tuple(i for i in ids if nodes[i].kind == kind)
                  for kind in ("determinant", "strategy", "mechanism", "outcome")}
        if len(set(ids)) == len(ids) and _keyed_steps(nodes, groups) == link.steps:
            # A link in the usual order is written in the keyed form an evaluator reads easily.
            out: dict = {"number": link.number}
            for kind, key in (("determinant", "determinant"), ("strategy", "strategy"),
                              ("mechanism", "mechanism"), ("outcome", "outcomes")):
                if groups[kind]:
                    out[key] = list(groups[kind]) if key == "outcomes" or len(groups[kind]) > 1 else groups[kind][0]
        else:
            out = {"number": link.number,
                   "path": [step[0] if len(step) == 1 else list(step) for step in link.steps]}
        if link.note:
            out["note"] = link.note
        return out

    @classmethod
    def from_dict(cls, data, *, path=None, lines=None) -> LogicModel:
        """Build and check a model from plain data in the YAML file format.

        A strategy that is not an ERIC strategy gives a :class:`LocalStrategyWarning`
        unless it says ``local: true``.
        """
        return _parse(data, path=path, lines=lines or {})


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _keyed_steps(nodes, groups) -> tuple:
    """Steps of a link given in keyed form: determinants, strategies, mechanisms, then its outcomes by
    type in Proctor's order (implementation outcomes lead to service outcomes, which lead to clinical ones)."""
    steps = [tuple(g) for g in (groups["determinant"], groups["strategy"], groups["mechanism"]) if g]
    for kind in OUTCOME_TYPES:
        g = tuple(x for x in groups["outcome"] if nodes[x].type == kind)
        if g:
            steps.append(g)
    return tuple(steps)


def _find_cycle(edges):
    """A cycle as (ids from start back to start, link numbers on it), or None. Iterative DFS."""
    graph: dict = {}
    numbers: dict = {}
    for a, b, nums in edges:
        graph.setdefault(a, []).append(b)
        numbers[(a, b)] = nums
    state: dict = {}
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(graph.get(start, ())))]
        trail = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    ids = trail[trail.index(child):] + [child]
                    links = {n for a, b in zip(ids, ids[1:]) for n in numbers[(a, b)]}
                    return ids, links
                if not state.get(child):
                    state[child] = 1
                    trail.append(child)
                    stack.append((child, iter(graph.get(child, ()))))
                    break
            else:
                state[node] = 2
                trail.pop()
                stack.pop()
    return None


# --- parsing ---------------------------------------------------------------------------------

_TOP_KEYS = ("title", "intervention", "description", "determinants", "strategies", "mechanisms", "outcomes",
             "links")
_NODE_KEYS = {
    "determinants": ("id", "label", "construct", "valence", "strength", "note"),
    "strategies": ("id", "label", "eric", "local", "note"),
    "mechanisms": ("id", "label", "note"),
    "outcomes": ("id", "type", "name", "label", "measure", "note"),
}
_LINK_KEYS = ("number", "determinant", "determinants", "strategy", "strategies", "mechanism", "mechanisms",
              "outcome", "outcomes", "path", "note")


class _Ctx:
    def __init__(self, path, lines):
        self.path = None if path is None else str(path)
        self.lines = lines

    def error(self, message, key=None):
        return InputError(message, file=self.path, row=self.lines.get(key) if key else None)


def _text(value, what, ctx, key, *, required=True):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ctx.error(f"{what} is missing or empty", key)
        return None
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise ctx.error(f"{what} must be text, got {type(value).__name__} {value!r}", key)
    return str(value).strip()


def _unknown(entry, allowed, what, ctx, key):
    extra = [k for k in entry if k not in allowed]
    if extra:
        raise ctx.error(f"{what} has unknown key(s) {', '.join(map(repr, map(str, extra)))}; "
                        f"allowed keys: {', '.join(allowed)}", key)


def _entries(data, section, ctx):
    value = data.get(section)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ctx.error(f"'{section}' must be a list of entries, got {type(value).__name__}", (section,))
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ctx.error(f"{section} entry {i + 1} must be a mapping with keys such as 'id' and 'label', "
                            f"got {entry!r}", (section, i))
    return value


def _parse_valence(entry, what, ctx, key):
    raw = entry.get("valence")
    strength = entry.get("strength")
    if raw is None:
        raise ctx.error(f"{what} needs a valence: one of {', '.join(VALENCES)} (optionally 'strong' or 'weak' "
                        "before it) or a rating ++, +, --, -, ±", key)
    text = str(raw).strip().casefold()
    if text in _RATING_VALENCE:
        valence, implied = _RATING_VALENCE[text]
    else:
        words = text.split()
        implied = words[0] if len(words) == 2 and words[0] in STRENGTHS else None
        valence = words[-1] if words else ""
        if valence not in VALENCES or (len(words) == 2 and implied is None) or len(words) > 2:
            raise ctx.error(f"{what} has valence {raw!r}; expected one of {', '.join(VALENCES)}, optionally "
                            "with 'strong' or 'weak' before it, or a rating ++, +, --, -, ±", key)
    if strength is not None:
        strength = str(strength).strip().casefold()
        if strength not in STRENGTHS:
            raise ctx.error(f"{what} has strength {entry.get('strength')!r}; expected strong or weak", key)
        if implied and implied != strength:
            raise ctx.error(f"{what} says valence {raw!r} but strength {strength!r}", key)
    strength = strength or implied
    return valence, (None if valence == "mixed" else strength)


def _parse_outcome(entry, kind, i, ctx, key):
    what = f"outcome '{entry.get('id', i + 1)}'"
    _unknown(entry, _NODE_KEYS["outcomes"], what, ctx, key)
    node_id = _text(entry.get("id"), f"outcomes entry {i + 1}: id", ctx, key)
    given_type = entry.get("type")
    if given_type is not None:
        t = str(given_type).strip().casefold()
        t = _OUTCOME_TYPE_ALIASES.get(t, t)
        if kind is not None and t != kind:
            raise ctx.error(f"{what} is listed under '{kind}' but says type {given_type!r}", key)
        kind = t
    if kind not in OUTCOME_TYPES:
        raise ctx.error(f"{what} has type {given_type!r}; expected one of {', '.join(OUTCOME_TYPES)}", key)
    name = _text(entry.get("name"), f"{what}: name", ctx, key, required=False)
    label = _text(entry.get("label"), f"{what}: label", ctx, key, required=False)
    if name is None and label is None:
        raise ctx.error(f"{what} needs a name (e.g. {outcome_names(kind)[0]}) or a label", key)
    if kind in ("implementation", "service"):
        found = match_outcome(name if name is not None else label, kind)
        if found is None:
            family = "Proctor's eight implementation outcomes" if kind == "implementation" else \
                "the six IOM service outcomes"
            raise ctx.error(f"{what} has name {name if name is not None else label!r}, which is not one of "
                            f"{family}: {', '.join(outcome_names(kind))}", key)
        canonical = found[0]
        if name is None:
            label = None
        name = canonical
    elif name is None:
        name, label = label, None
    measure = entry.get("measure")
    measure = None if measure is None else _text(measure, f"{what}: measure", ctx, key)
    return Outcome(id=node_id, type=kind, name=name, label=label, measure=measure,
                   note=_text(entry.get("note"), f"{what}: note", ctx, key, required=False))


def _resolve_construct(text, what, ctx, key):
    """A CFIR 2.0 id for a construct written as an id, a name, a CFIR 1.0 name (the CFIR codebook's rules)."""
    from cscs_eval.cfir import resolve_construct

    try:
        return resolve_construct(text)
    except InputError as exc:
        raise ctx.error(f"{what}: {exc.message}", key) from None


def _ids(value, what, ctx, key):
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, (dict, list, bool)) or item is None:
            raise ctx.error(f"{what} must name node ids, got {item!r}", key)
        out.append(str(item).strip())
    return tuple(out)


def _parse(data, *, path, lines) -> LogicModel:
    ctx = _Ctx(path, lines)
    if not isinstance(data, dict):
        raise ctx.error("a logic-model file must be a YAML mapping with keys " + ", ".join(_TOP_KEYS)
                        + f"; got {type(data).__name__}")
    _unknown(data, _TOP_KEYS, "the logic model", ctx, None)

    determinants = []
    for i, e in enumerate(_entries(data, "determinants", ctx)):
        key = ("determinants", i)
        what = f"determinant '{e.get('id', i + 1)}'"
        _unknown(e, _NODE_KEYS["determinants"], what, ctx, key)
        node_id = _text(e.get("id"), f"determinants entry {i + 1}: id", ctx, key)
        construct = _text(e.get("construct"), f"{what}: construct", ctx, key, required=False)
        if construct is not None:
            construct = _resolve_construct(construct, what, ctx, key)
        label = _text(e.get("label"), f"{what}: label", ctx, key, required=construct is None) or construct
        valence, strength = _parse_valence(e, what, ctx, key)
        determinants.append(Determinant(id=node_id, label=label, construct=construct, valence=valence,
                                        strength=strength,
                                        note=_text(e.get("note"), f"{what}: note", ctx, key, required=False)))

    strategies = []
    for i, e in enumerate(_entries(data, "strategies", ctx)):
        key = ("strategies", i)
        what = f"strategy '{e.get('id', i + 1)}'"
        _unknown(e, _NODE_KEYS["strategies"], what, ctx, key)
        node_id = _text(e.get("id"), f"strategies entry {i + 1}: id", ctx, key)
        eric_name = _text(e.get("eric"), f"{what}: eric", ctx, key, required=False)
        label = _text(e.get("label"), f"{what}: label", ctx, key, required=eric_name is None)
        local = e.get("local", False)
        if not isinstance(local, bool):
            raise ctx.error(f"{what}: local must be true or false, got {local!r}", key)
        if eric_name is not None:
            match = match_eric(eric_name)
            if match is None:
                hint = close_eric_names(eric_name)
                raise ctx.error(f"{what}: eric {eric_name!r} is not one of the 73 ERIC strategies"
                                + (f"; did you mean {' or '.join(map(repr, hint))}?" if hint else
                                   "; drop 'eric' to keep it as a local strategy"), key)
        else:
            match = match_eric(label)
            if match is None and not local:
                hint = close_eric_names(label)
                where = f"{ctx.path}: " if ctx.path else ""
                warnings.warn(LocalStrategyWarning(
                    f"{where}{what} {label!r} is not one of the 73 ERIC strategies; kept as a local strategy"
                    + (f" (did you mean {' or '.join(map(repr, hint))}?)" if hint else "")
                    + "; add 'local: true' to say it is meant to be local"), stacklevel=4)
        strategies.append(Strategy(id=node_id, label=label or match["strategy"],
                                   eric=match["strategy"] if match else None,
                                   eric_id=match["eric_id"] if match else None,
                                   cluster=match["cluster"] if match else None, declared_local=bool(local),
                                   note=_text(e.get("note"), f"{what}: note", ctx, key, required=False)))

    mechanisms = []
    for i, e in enumerate(_entries(data, "mechanisms", ctx)):
        key = ("mechanisms", i)
        what = f"mechanism '{e.get('id', i + 1)}'"
        _unknown(e, _NODE_KEYS["mechanisms"], what, ctx, key)
        mechanisms.append(Mechanism(id=_text(e.get("id"), f"mechanisms entry {i + 1}: id", ctx, key),
                                    label=_text(e.get("label"), f"{what}: label", ctx, key),
                                    note=_text(e.get("note"), f"{what}: note", ctx, key, required=False)))

    outcomes = []
    raw_outcomes = data.get("outcomes")
    if isinstance(raw_outcomes, dict):
        for kind, entries in raw_outcomes.items():
            t = _OUTCOME_TYPE_ALIASES.get(str(kind).casefold(), str(kind).casefold())
            if t not in OUTCOME_TYPES:
                raise ctx.error(f"outcomes has unknown key {kind!r}; allowed keys: {', '.join(OUTCOME_TYPES)}",
                                ("outcomes",))
            if entries is None:
                continue
            if not isinstance(entries, list):
                raise ctx.error(f"outcomes: {kind} must be a list of entries", ("outcomes",))
            for i, e in enumerate(entries):
                key = ("outcomes", str(kind), i)
                if not isinstance(e, dict):
                    raise ctx.error(f"outcomes: {kind} entry {i + 1} must be a mapping, got {e!r}", key)
                outcomes.append(_parse_outcome(e, t, i, ctx, key))
    else:
        for i, e in enumerate(_entries(data, "outcomes", ctx)):
            outcomes.append(_parse_outcome(e, None, i, ctx, ("outcomes", i)))

    # Outcomes are kept in column order (implementation, service, clinical), as the file writes them.
    outcomes.sort(key=lambda o: OUTCOME_TYPES.index(o.type))
    by_id = {}
    for section, nodes in (("determinants", determinants), ("strategies", strategies),
                           ("mechanisms", mechanisms), ("outcomes", outcomes)):
        for i, n in enumerate(nodes):
            if n.id in by_id:
                raise ctx.error(f"{section} entry {i + 1}: id '{n.id}' is already used by a {by_id[n.id].kind}; "
                                "every node needs its own id", (section, i) if section != "outcomes" else None)
            by_id[n.id] = n
    links = []
    used_numbers = set()
    raw_links = _entries(data, "links", ctx)
    explicit = [e.get("number") for e in raw_links if e.get("number") is not None]
    next_number = 1
    for i, e in enumerate(raw_links):
        key = ("links", i)
        number = e.get("number")
        if number is None:
            while next_number in used_numbers or next_number in explicit:
                next_number += 1
            number = next_number
        elif isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ctx.error(f"links entry {i + 1}: number must be a whole number from 1, got {number!r}", key)
        used_numbers.add(number)
        what = f"link {number}"
        _unknown(e, _LINK_KEYS, what, ctx, key)
        note = _text(e.get("note"), f"{what}: note", ctx, key, required=False)
        if "path" in e:
            if any(k in e for k in _LINK_KEYS if k not in ("number", "path", "note")):
                raise ctx.error(f"{what} has both 'path' and named steps; use one form", key)
            raw_path = e["path"]
            if not isinstance(raw_path, list):
                raise ctx.error(f"{what}: path must be a list of node ids, got {raw_path!r}", key)
            steps = tuple(_ids(step, f"{what}: path", ctx, key) for step in raw_path)
        else:
            groups = {}
            for kind, keys in (("determinant", ("determinant", "determinants")),
                               ("strategy", ("strategy", "strategies")),
                               ("mechanism", ("mechanism", "mechanisms")),
                               ("outcome", ("outcome", "outcomes"))):
                ids = tuple(x for k in keys for x in _ids(e.get(k), f"{what}: {k}", ctx, key))
                for node_id in ids:
                    node = by_id.get(node_id)
                    if node is None:
                        known = ", ".join(n.id for n in by_id.values() if n.kind == kind) or "none"
                        raise ctx.error(f"{what} names {kind} '{node_id}', which is not defined (defined "
                                        f"{kind} ids: {known})", key)
                    if node.kind != kind:
                        raise ctx.error(f"{what} lists '{node_id}' as a {kind}, but it is a {node.kind}", key)
                groups[kind] = ids
            steps = _keyed_steps(by_id, groups)
        links.append(Link(number=number, steps=steps, note=note))

    model = LogicModel(title=_text(data.get("title"), "title", ctx, ("title",), required=False)
                       or "Implementation Research Logic Model",
                       intervention=_text(data.get("intervention"), "intervention", ctx, ("intervention",),
                                          required=False),
                       description=_text(data.get("description"), "description", ctx, ("description",),
                                         required=False),
                       determinants=tuple(determinants), strategies=tuple(strategies),
                       mechanisms=tuple(mechanisms), outcomes=tuple(outcomes), links=tuple(links), path=ctx.path)
    return model.check(lines=lines)


def _yaml_lines(text) -> dict:
    """Line numbers (1-based) of the top-level keys and of each entry of each section."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key_node, value_node in root.value:
        name = key_node.value
        lines[(name,)] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.SequenceNode):
            for i, item in enumerate(value_node.value):
                lines[(name, i)] = item.start_mark.line + 1
        elif isinstance(value_node, yaml.MappingNode):
            for sub_key, sub_value in value_node.value:
                if isinstance(sub_value, yaml.SequenceNode):
                    for i, item in enumerate(sub_value.value):
                        lines[(name, sub_key.value, i)] = item.start_mark.line + 1
    return lines


def read_logic_model(path) -> LogicModel:
    """Read and check a logic model from a YAML file.

    Parameters
    ----------
    path
        A YAML file with ``title``, ``intervention``, ``determinants``, ``strategies``,
        ``mechanisms``, ``outcomes`` and ``links`` (format in the README).

    Returns
    -------
    LogicModel

    Raises
    ------
    InputError
        For a YAML syntax error, an unknown key, a link to an unknown node, a cycle, an
        implementation outcome that is not one of Proctor's eight or a service outcome
        that is not one of the IOM six; the message names the file and line.

    Warns
    -----
    LocalStrategyWarning
        For a strategy that is not an ERIC strategy and is not marked ``local: true``.
    """
    from cscs_eval.io import read_text, read_yaml

    data = read_yaml(path)
    if data is None:
        raise InputError("file is empty; expected a logic model with determinants, strategies, mechanisms, "
                         "outcomes and links", file=path)
    return _parse(data, path=Path(path), lines=_yaml_lines(read_text(path)))


_HEADER = """\
# Implementation Research Logic Model (IRLM) for cscs-eval.
# Edit freely: determinants (CFIR construct, valence), strategies (ERIC names; 'local: true' for others),
# mechanisms, outcomes (implementation: Proctor's eight; service: the IOM six; clinical: any measure) and
# numbered links that chain a determinant through a strategy and a mechanism to outcomes.
# Render it with: cscs-eval logic-model render THIS_FILE --to html|md|docx|svg|png --out FILE
"""


def to_yaml(model: LogicModel) -> str:
    """The model as YAML text with a short explanatory header."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _list(dumper, data):
        # Lists of ids read best on one line; lists of entries as blocks.
        flow = all(isinstance(x, (str, int, float)) for x in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    _Dumper.add_representer(list, _list)
    body = yaml.dump(model.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110,
                     default_flow_style=False)
    return _HEADER + body


def write_logic_model(model: LogicModel, path) -> Path:
    """Write a model to a YAML file (atomically) for an evaluator to edit; returns the path."""
    from cscs_eval.io import write_text

    return write_text(to_yaml(model), path)


__all__ = ["Determinant", "Strategy", "Mechanism", "Outcome", "Link", "LogicModel", "read_logic_model",
           "write_logic_model", "to_yaml", "replace"]
