"""Measures as data: one YAML file per questionnaire, read by one loader.

The bundled definitions live in ``cscs_eval/proms/definitions/`` (ReQoL-10, DIALOG, GBO,
PHQ-9, GAD-7), each with its sources and the choices made where a fact is unverified.
A user adds a measure (CORE-10, SWEMWBS, ...) by writing one file in the same form and
passing its path wherever a measure is named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cscs_eval.errors import InputError, UsageError

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
_CLINICAL = ("below", "at or below", "above", "at or above")
_METHODS = ("sum", "mean")


def normalise_key(name) -> str:
    """``ReQoL-10``, ``reqol 10`` and ``REQOL10`` all become ``reqol10``."""
    return re.sub(r"[^0-9a-z+]", "", str(name).lower())


@dataclass(frozen=True)
class Score:
    """One score of a measure: a single item (``item 3``, ``goal 1``) or a sum/mean of items."""

    name: str
    items: tuple
    method: str  # "item", "sum" or "mean"
    min: float
    max: float
    max_missing: int = 0
    reliable_change: float | None = None
    cutoff: float | None = None
    clinical: str | None = None  # how a score relates to the cut-off when it is clinical

    def is_clinical(self, values):
        """Boolean array: which scores are in the clinical range (NaN where there is no cut-off)."""
        import numpy as np

        values = np.asarray(values, dtype=float)
        if self.cutoff is None:
            return np.full(values.shape, np.nan)
        c = self.cutoff
        out = {"below": values < c, "at or below": values <= c,
               "above": values > c, "at or above": values >= c}[self.clinical]
        return np.where(np.isnan(values), np.nan, out)


@dataclass(frozen=True)
class Measure:
    """A questionnaire defined by item numbers, ranges, direction and thresholds (no wording)."""

    key: str
    name: str
    aliases: tuple
    n_items: int
    item_min: float
    item_max: float
    whole_numbers: bool
    reversed: tuple
    excluded_values: dict
    direction: str
    scores: tuple
    units: dict
    item_label: str = "item"
    sources: tuple = ()
    choices: tuple = ()
    path: str | None = field(default=None, compare=False)

    @property
    def total(self) -> Score | None:
        """The score a score row without ``item`` stands for (``total``), if the measure has one."""
        return self.score("total", missing_ok=True)

    def score(self, name, *, missing_ok=False) -> Score | None:
        for s in self.scores:
            if s.name == name:
                return s
        if missing_ok:
            return None
        raise UsageError(f"measure {self.key} has no score {name!r}; it has {', '.join(s.name for s in self.scores)}")

    def unit_names(self, units="nhse") -> list:
        """The units of change of a unit set (``nhse`` or ``research``), or a list of score names."""
        if isinstance(units, str):
            if units not in self.units:
                raise UsageError(f"units must be one of {', '.join(sorted(self.units))} for {self.key}, got {units!r}")
            return list(self.units[units])
        names = list(units)
        for n in names:
            self.score(n)
        return names

    def item_unit(self, item: int) -> str:
        return f"{self.item_label} {int(item)}"

    @property
    def sign(self) -> int:
        """+1 when a higher score is better, -1 when lower is better."""
        return 1 if self.direction == "higher" else -1


def _fail(path, message):
    raise InputError(message, file=path)


def measure_from_dict(spec: dict, *, path=None) -> Measure:
    """Build a :class:`Measure` from the parsed YAML of a measure file, checking every field."""
    if not isinstance(spec, dict):
        _fail(path, "a measure file must be a mapping with key, name, items, direction, scores and units")
    for name in ("key", "items", "direction", "scores", "units"):
        if name not in spec:
            _fail(path, f"measure file lacks '{name}'")
    items = spec["items"]
    for name in ("count", "min", "max"):
        if name not in items:
            _fail(path, f"items lacks '{name}'")
    n_items = int(items["count"])
    direction = spec["direction"]
    if direction not in ("higher", "lower"):
        _fail(path, f"direction must be 'higher' or 'lower' (which is better), got {direction!r}")
    label = spec.get("item_label", "item")
    scores = []
    for s in spec["scores"]:
        rc = s.get("reliable_change")
        clinical = s.get("clinical")
        if s.get("cutoff") is not None and clinical not in _CLINICAL:
            _fail(path, f"score {s.get('name')!r}: clinical must be one of {', '.join(_CLINICAL)}, got {clinical!r}")
        common = dict(reliable_change=None if rc is None else float(rc),
                      cutoff=None if s.get("cutoff") is None else float(s["cutoff"]), clinical=clinical)
        if "per_item" in s:
            for n in s["per_item"]:
                if not 1 <= int(n) <= n_items:
                    _fail(path, f"score {s['name']!r}: item {n} is not between 1 and {n_items}")
                scores.append(Score(name=str(s["name"]).format(n=int(n)), items=(int(n),), method="item",
                                    min=float(s.get("min", items["min"])), max=float(s.get("max", items["max"])),
                                    **common))
        else:
            method = s.get("method", "sum")
            if method not in _METHODS:
                _fail(path, f"score {s.get('name')!r}: method must be one of {', '.join(_METHODS)}, got {method!r}")
            its = tuple(int(i) for i in s["items"])
            bad = [i for i in its if not 1 <= i <= n_items]
            if bad:
                _fail(path, f"score {s['name']!r}: items {bad} are not between 1 and {n_items}")
            k = len(its)
            lo = float(s.get("min", items["min"] * (k if method == "sum" else 1)))
            hi = float(s.get("max", items["max"] * (k if method == "sum" else 1)))
            scores.append(Score(name=str(s["name"]), items=its, method=method, min=lo, max=hi,
                                max_missing=int(s.get("max_missing", 0)), **common))
    names = [s.name for s in scores]
    units = {str(k): [str(u) for u in v] for k, v in spec["units"].items()}
    for set_name, unit_list in units.items():
        for u in unit_list:
            if u not in names:
                _fail(path, f"units.{set_name} names {u!r}, which is not a score ({', '.join(names)})")
    key = normalise_key(spec["key"])
    return Measure(
        key=key, name=str(spec.get("name", key)),
        aliases=tuple(str(a) for a in spec.get("aliases", ())),
        n_items=n_items, item_min=float(items["min"]), item_max=float(items["max"]),
        whole_numbers=bool(items.get("whole_numbers", True)),
        reversed=tuple(int(i) for i in items.get("reversed", ()) or ()),
        excluded_values={float(k): str(v) for k, v in (items.get("excluded_values") or {}).items()},
        direction=direction, scores=tuple(scores), units=units, item_label=label,
        sources=tuple(spec.get("sources", ())), choices=tuple(spec.get("choices", ())),
        path=None if path is None else str(path),
    )


def _read(path) -> Measure:
    from cscs_eval.io import read_yaml

    return measure_from_dict(read_yaml(path), path=path)


def bundled_measures() -> dict:
    """The measures shipped with cscs-eval, by key."""
    return {m.key: m for m in (_read(p) for p in sorted(DEFINITIONS_DIR.glob("*.yaml")))}


def measure_registry(*, extra=None) -> dict:
    """Bundled measures plus ``extra`` (Measure objects, measure files or folders of them), by key.

    A user file with the same key as a bundled one replaces it (to override a documented choice).
    """
    registry = bundled_measures()
    if extra is None:
        return registry
    if isinstance(extra, (str, Path, Measure)):
        extra = [extra]
    for item in extra:
        if isinstance(item, Measure):
            registry[item.key] = item
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(p.glob("*.y*ml"))
            if not files:
                raise UsageError(f"{p}: the measures folder holds no measure files (*.yaml)")
            for f in files:
                m = _read(f)
                registry[m.key] = m
        elif p.exists():
            m = _read(p)
            registry[m.key] = m
        else:
            raise UsageError(f"measure file or folder not found: {p}")
    return registry


def alias_map(registry: dict) -> dict:
    """Normalised spelling -> measure key, for every key and alias."""
    out = {}
    for m in registry.values():
        out[normalise_key(m.key)] = m.key
        out[normalise_key(m.name)] = m.key
        for a in m.aliases:
            out[normalise_key(a)] = m.key
    return out


def load_measure(name, *, extra=None) -> Measure:
    """One measure by key, common spelling or file path.

    Examples
    --------
    >>> load_measure("ReQoL-10").key
    'reqol10'
    >>> load_measure("ReQoL-10").score("total").reliable_change
    5.0
    """
    if isinstance(name, Measure):
        return name
    p = Path(str(name))
    if p.suffix.lower() in (".yaml", ".yml"):
        if not p.exists():
            raise UsageError(f"measure file not found: {p}")
        return _read(p)
    registry = measure_registry(extra=extra)
    key = alias_map(registry).get(normalise_key(name))
    if key is None:
        raise UsageError(f"measure must be one of {', '.join(sorted(registry))} (or a measure file), got {name!r}")
    return registry[key]


def list_measures(*, extra=None):
    """A table of the known measures: key, name, items, range, direction, units of change and thresholds."""
    import pandas as pd

    rows = []
    for m in measure_registry(extra=extra).values():
        for u in m.unit_names("nhse"):
            s = m.score(u)
            rows.append({"measure": m.key, "name": m.name, "n_items": m.n_items,
                         "item_range": f"{m.item_min:g}-{m.item_max:g}", "direction": m.direction,
                         "unit": u, "score_range": f"{s.min:g}-{s.max:g}",
                         "reliable_change": s.reliable_change, "cutoff": s.cutoff, "clinical": s.clinical})
    return pd.DataFrame(rows)
