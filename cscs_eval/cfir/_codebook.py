"""The CFIR 2.0 codebook, the CFIR 1.0 names, the 1.0 to 2.0 crosswalk, and construct lookup.

The tables live in ``cscs_eval/cfir/data`` (see the README there for their sources); this module
only reads them and applies the lookup rules:

1. an id (``I.F``, ``iv.r.h``, ``V.F.2``) is taken as it is;
2. a user alias (``--aliases`` YAML: local name -> construct name or id) wins next;
3. a CFIR 2.0 name, compared ignoring case, ``&``/``and``, hyphens, punctuation and the
   ``Innovation`` prefix; a bare name means the construct or role, and a subconstruct that shares
   its name with another is written ``Parent: Name`` (``Engaging: Innovation Recipients``);
4. a CFIR 1.0 name through the crosswalk; a 1.0 construct that was split asks the user to choose;
5. anything else is an error that offers the three nearest names.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cscs_eval.errors import InputError, UsageError

__all__ = ["codebook", "crosswalk", "cfir1_constructs", "resolve_construct", "load_aliases", "construct_info",
           "DOMAINS", "get_codebook"]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Domain ids and names, in CFIR order.
DOMAINS = {"I": "Innovation", "II": "Outer Setting", "III": "Inner Setting", "IV": "Individuals",
           "V": "Implementation Process"}


def _read_csv(name):
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def normalise_name(text) -> str:
    """Key used to compare construct names: lower case, '&' = 'and', no punctuation or hyphens.

    Examples
    --------
    >>> normalise_name("Partnerships & Connections") == normalise_name("partnerships and connections")
    True
    """
    s = str(text).strip().lower().replace("&", " and ").replace("centredness", "centeredness")
    s = re.sub(r"[-_/\u2010\u2011\u2013\u2014]", " ", s)
    s = re.sub(r"[^\w\s:]", "", s)
    return re.sub(r"\s+", " ", s).strip()


def _strip_prefix(key: str) -> str:
    return key[len("innovation "):] if key.startswith("innovation ") else key


@dataclass
class _Codebook:
    rows: list
    by_id: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)        # normalised name -> list of ids
    labels: dict = field(default_factory=dict)       # normalised label -> id
    cfir1: dict = field(default_factory=dict)        # normalised 1.0 name -> list of (2.0 id, relation)
    cfir1_rows: list = field(default_factory=list)
    crosswalk_rows: list = field(default_factory=list)

    @classmethod
    def load(cls):
        cb = cls(rows=_read_csv("codebook.csv"))
        for row in cb.rows:
            cb.by_id[row["id"].upper()] = row
            if row["level"] == "domain":
                continue
            cb.labels[normalise_name(row["label"])] = row["id"]
            if row["label"] != row["name"]:
                continue  # a shared subconstruct name is only addressed as 'Parent: Name'
            for key in {normalise_name(row["name"]), _strip_prefix(normalise_name(row["name"]))}:
                cb.names.setdefault(key, []).append(row["id"])
        cb.cfir1_rows = _read_csv("cfir1.csv")
        cb.crosswalk_rows = _read_csv("crosswalk.csv")
        for row in cb.crosswalk_rows:
            for key in {normalise_name(row["cfir1_name"]), _strip_prefix(normalise_name(row["cfir1_name"]))}:
                cb.cfir1.setdefault(key, []).append((row["cfir2_id"], row["relation"]))
        return cb

    def label(self, cid):
        return self.by_id[cid]["label"]

    def choices(self):
        return [r["label"] for r in self.rows if r["level"] != "domain"]


@lru_cache(maxsize=1)
def get_codebook() -> _Codebook:
    """The parsed codebook (cached); most callers want :func:`codebook` or :func:`resolve_construct`."""
    return _Codebook.load()


def codebook(*, levels=("domain", "construct", "subconstruct"), definitions=True):
    """The CFIR 2.0 codebook as a DataFrame.

    Columns ``id, level, domain, name, parent_id`` (DESIGN.md) plus ``subdomain``, ``label`` and,
    with ``definitions=True``, ``definition`` (a paraphrase written for this project).

    Examples
    --------
    >>> cb = codebook()
    >>> cb["level"].value_counts().to_dict()
    {'construct': 48, 'subconstruct': 19, 'domain': 5}
    """
    import pandas as pd

    allowed = ("domain", "construct", "subconstruct")
    levels = [levels] if isinstance(levels, str) else list(levels)
    bad = [level for level in levels if level not in allowed]
    if bad:
        raise UsageError(f"levels must be among {', '.join(allowed)}; got {', '.join(map(repr, bad))}")
    df = pd.DataFrame(get_codebook().rows)
    df = df[df["level"].isin(levels)].reset_index(drop=True)
    cols = ["id", "level", "domain", "name", "parent_id", "subdomain", "label"] + (
        ["definition"] if definitions else [])
    return df[cols]


def cfir1_constructs():
    """The CFIR 1.0 (2009) constructs and subconstructs as a DataFrame (``id, level, domain, name, parent_id``)."""
    import pandas as pd

    return pd.DataFrame(get_codebook().cfir1_rows)


def crosswalk():
    """The CFIR 1.0 to 2.0 crosswalk as an edge list.

    Columns ``cfir1_id, cfir1_name, cfir2_id, cfir2_name, relation, evidence``; one 1.0 construct
    may have several rows (``split``) and several 1.0 constructs may share a target (``merged``).
    """
    import pandas as pd

    cb = get_codebook()
    df = pd.DataFrame(cb.crosswalk_rows)
    return df.assign(cfir2_name=df["cfir2_id"].map(lambda i: cb.label(i)))[
        ["cfir1_id", "cfir1_name", "cfir2_id", "cfir2_name", "relation", "evidence"]]


def construct_info(construct_id) -> dict:
    """Row of the codebook for an id: ``id, level, domain, name, label, parent_id, definition``."""
    try:
        return dict(get_codebook().by_id[str(construct_id).upper()])
    except KeyError:
        raise InputError(f"unknown CFIR 2.0 id {construct_id!r}") from None


def load_aliases(path_or_mapping):
    """Read a local-name alias file (YAML mapping ``local name: construct name or id``).

    Every target is checked against the codebook, so a bad alias file fails at once with the
    alias and the nearest names. Returns a dict ``normalised local name -> construct id``.
    """
    from cscs_eval.io import read_yaml

    if path_or_mapping is None:
        return {}
    if isinstance(path_or_mapping, dict):
        mapping, source = path_or_mapping, None
        if all(k == normalise_name(k) for k in mapping) and all(
                str(v).upper() in get_codebook().by_id for v in mapping.values()):
            return dict(mapping)  # already resolved
    else:
        source = path_or_mapping
        mapping = read_yaml(path_or_mapping)
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, dict):
            raise InputError("an alias file must be a YAML mapping of local name to CFIR construct name or id, "
                             f"e.g. 'NHS policy: Policies & Laws'; got a {type(mapping).__name__}", file=source)
    out = {}
    for local, target in mapping.items():
        if target is None or str(target).strip() == "":
            raise InputError(f"alias {local!r} has no target construct", file=source)
        try:
            out[normalise_name(local)] = resolve_construct(str(target))
        except InputError as exc:
            raise InputError(f"alias {local!r}: {exc.message}", file=source) from None
    return out


def _nearest(text, cb, n=3):
    key = normalise_name(text)
    labels = cb.choices()
    keyed = {normalise_name(lbl): lbl for lbl in labels}
    keyed.update({_strip_prefix(normalise_name(lbl)): lbl for lbl in labels})
    for name, links in cb.cfir1.items():
        # a CFIR 1.0 name leads to its CFIR 2.0 construct; one that 2.0 split would only raise another error
        targets = {t for t, _ in links}
        if len(targets) == 1:
            keyed.setdefault(name, cb.label(targets.pop()))
    def stems(s):
        return {w[:5] for w in re.split(r"[\s:]+", s) if len(w) >= 3 and w not in ("and", "the", "innovation")}

    qs = stems(key)
    acronyms = {w for w in key.split() if 2 <= len(w) <= 4}

    def initials(k):
        words = [w for w in re.split(r"[\s:]+", k) if w and w not in ("and", "the", "of", "to")]
        return {"".join(w[0] for w in words[i:j]) for i in range(len(words)) for j in range(i + 2, len(words) + 1)}

    def score(k):
        # spelling similarity, plus shared word stems so 'NHS policy' finds 'Policies & Laws', plus
        # abbreviations so 'IT infrastructure' finds 'Information Technology Infrastructure'
        shared = len(qs & stems(k)) / max(len(qs), 1)
        abbrev = 0.5 if acronyms & initials(k) else 0.0
        return difflib.SequenceMatcher(None, key, k).ratio() + 0.6 * shared + abbrev

    scores = sorted(((score(k), v) for k, v in keyed.items()), key=lambda t: -t[0])
    out = []
    for _, label in scores:
        if label not in out:
            out.append(label)
        if len(out) == n:
            break
    return out


def _describe(ids, cb):
    return ", ".join(f"{cb.label(i)} ({i})" for i in ids)


def resolve_construct(text, *, aliases=None) -> str:
    """Return the CFIR 2.0 id for a construct written as an id, a name, a CFIR 1.0 name or an alias.

    Parameters
    ----------
    text
        What the coder wrote.
    aliases
        A mapping from :func:`load_aliases`, a raw ``{local: target}`` dict, or a path to an alias YAML.

    Raises
    ------
    InputError
        Unknown name (with the three nearest), a domain rather than a construct, a name that fits
        several constructs, or a CFIR 1.0 construct that was split in 2.0 (with its targets).

    Examples
    --------
    >>> resolve_construct("innovation complexity"), resolve_construct("Cosmopolitanism")
    ('I.F', 'II.D')
    >>> resolve_construct("Engaging: Innovation Recipients"), resolve_construct("Innovation Recipients")
    ('V.F.2', 'IV.R.I')
    """
    cb = get_codebook()
    raw = "" if text is None else str(text).strip()
    if not raw:
        raise InputError("construct is empty; give a CFIR 2.0 id or name")
    upper = raw.upper()
    if upper in cb.by_id:
        row = cb.by_id[upper]
        if row["level"] == "domain":
            raise InputError(f"{raw!r} is the {row['name']} domain; code one of its constructs, not the domain")
        return row["id"]
    m = re.fullmatch(r"IV\.([A-I])\.?", upper)
    if m:
        # cfirguide letters roles IV.A-IV.I and characteristics IV.A-IV.D: IV.E-IV.I can only be roles
        fits = [i for i in (f"IV.R.{m.group(1)}", f"IV.C.{m.group(1)}") if i in cb.by_id]
        if len(fits) == 1:
            return fits[0]
        raise InputError(f"construct {raw!r} fits several CFIR 2.0 entries: {_describe(fits, cb)} (cfirguide letters "
                         "roles and characteristics separately); write the id IV.R.x for a role or IV.C.x for a "
                         "characteristic")
    key = normalise_name(raw)
    domain_keys = {normalise_name(n): i for i, n in DOMAINS.items()}
    if key in domain_keys:
        raise InputError(f"{raw!r} is the {DOMAINS[domain_keys[key]]} domain; code one of its constructs, "
                         "not the domain")
    if aliases:
        if not isinstance(aliases, dict) or not all(k == normalise_name(k) for k in aliases):
            aliases = load_aliases(aliases)
        if key in aliases:
            return aliases[key]
    if key in cb.labels:
        return cb.labels[key]
    for candidate in (key, _strip_prefix(key)):
        ids = cb.names.get(candidate)
        if ids:
            top = [i for i in ids if cb.by_id[i]["level"] == "construct"] or ids
            if len(top) == 1:
                return top[0]
            raise InputError(f"construct {raw!r} fits several CFIR 2.0 entries: {_describe(top, cb)}; "
                             "write 'Parent: Name' or the id")
    if ":" in key:
        parent_text, _, child = key.partition(":")
        parent_ids = cb.names.get(parent_text.strip()) or cb.names.get(_strip_prefix(parent_text.strip()))
        if parent_ids:
            pid = parent_ids[0]
            kids = [r for r in cb.rows if r["parent_id"] == pid]
            for kid in kids:
                if normalise_name(kid["name"]) == child.strip():
                    return kid["id"]
            if kids:
                hint = f"{cb.label(pid)} has the subconstructs " + ", ".join(r["name"] for r in kids)
            else:
                hint = f"{cb.label(pid)} has no subconstructs"
            if not any(c in cb.cfir1 for c in (key, key.split(":")[-1].strip())):
                raise InputError(f"unknown subconstruct {raw!r}: {hint}; use one of those, or {cb.label(pid)!r} "
                                 "itself (or map the local name in an alias file)")
    for candidate in (key, _strip_prefix(key), key.split(":")[-1].strip()):
        links = cb.cfir1.get(candidate)
        if links:
            targets = list(dict.fromkeys(t for t, _ in links))
            if len(targets) == 1:
                return targets[0]
            raise InputError(f"{raw!r} is a CFIR 1.0 construct that CFIR 2.0 split into {_describe(targets, cb)}; "
                             "choose one (or map it in an alias file)")
    near = _nearest(raw, cb)
    raise InputError(f"unknown CFIR construct {raw!r}; nearest: {', '.join(repr(n) for n in near)} "
                     "(or add it to an alias file: 'local name: construct name or id')")
