"""Suggest CFIR 2.0 codes for passages: ranked candidates with a score and the evidence for each.

Suggestions are only offered; nothing here changes a coding. Every codable code is a candidate:
the 48 constructs and the 19 subconstructs.

How a passage is scored
-----------------------
Text is lower-cased, British spellings are folded to one form (``organise`` = ``organize``), stop
words dropped and the remaining words Porter-stemmed; adjacent stems also form two-word terms, so
a cue phrase counts more when its words appear together (each word of a several-word cue alone
counts half).

(a) **Codebook evidence.** Each code has a document made of its name and label (weight 3), its
    CFIR 1.0 names through the crosswalk (2) and the user's aliases (3), its definition (1) and
    the cue phrases of ``data/cue_lexicon.yaml`` (2). Documents and passages are TF-IDF vectors
    (sublinear term frequency, smoothed IDF); the word score is their cosine. When the optional
    ``wordllama`` package is installed, a meaning score is added: the cosine between the passage's
    WordLlama embedding (static token embeddings that ship inside the wheel and load offline) and
    the mean embedding of the code's name, definition and cues. Each score is calibrated per code:
    a code whose words turn up in CFIR talk of every kind (all codes' cues and definitions) would
    otherwise win too often, so it is standardised against that code's mean and spread over that
    background; the codebook score is the mean of the standardised scores, put back on the scale
    of a TF-IDF cosine.
(b) **Project evidence.** The excerpts the evaluator has already coded (a coding table from
    :func:`~cscs_eval.cfir.load_coding`) are TF-IDF vectors too. The passage's ``neighbours`` (5)
    nearest coded excerpts vote for their codes with their cosine similarity, a neighbour below
    ``min_similarity`` (0.15, a word or two in common) not voting; the votes are divided by
    ``neighbours``. The coded excerpts also join the corpus the IDF is computed on, so words that
    every excerpt of the project uses (the name of the measure, the team) count for less. So
    suggestions improve as the project is coded.

The final score is ``codebook + weight * project`` (``weight`` 1 by default). Evidence lists the
cue phrases and words of the passage that matched the code's document (or, with embeddings and no
word in common, the code's text closest in meaning), and the nearest coded excerpts that carry it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from cscs_eval.results import Result
from cscs_eval.stats import format_number, round_half_up

__all__ = ["suggest", "Suggester", "Suggestions", "uncoded_passages", "load_lexicon", "embeddings_available",
           "tokenize", "stem"]

LEXICON_PATH = Path(__file__).resolve().parent / "data" / "cue_lexicon.yaml"

#: Field weights of a code's document.
FIELD_WEIGHTS = {"name": 3.0, "alias": 3.0, "cfir1": 2.0, "cue": 2.0, "definition": 1.0}

# --------------------------------------------------------------------------------------------------
# Text: spelling folds, stop words, Porter stemmer
# --------------------------------------------------------------------------------------------------

_STOP = frozenset("""
a about above after again against all also am an and any are aren as at be because been before being
below between both but by can cannot could couldn did didn do does doesn doing don down during each few
for from further had hadn has hasn have haven having he her here hers herself him himself his i if in
into is isn it its itself just let ll me might more most mustn my myself nor of off on once only or other
ought our ours ourselves out over own re s same shan she should shouldn so some such t than that the
their theirs them themselves then there these they this those through to too under until up ve very was
wasn we were weren what when where which while who whom why will with won would wouldn you your yours
yourself yourselves d m o y ma one said says say saying told really quite yet still even much many
lot lots thing things get got getting go going went make made us
""".split())

_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?(?:-[a-z0-9]+)*")
_FOLDS = [
    (re.compile(r"^(.{3,})is(e|ed|es|ing|er|ers|ation|ations)$"), r"\1iz\2"),
    (re.compile(r"^(behavi|fav|col|lab|neighb|hon|rig|endeav|hum)our"), r"\1or"),
    (re.compile(r"centr(e|ed|es)$"), r"center\1"),
    (re.compile(r"^programme"), "program"),
    (re.compile(r"^(trial|travel|label|model|cancel|signal|counsel|channel|level|fuel|total|funnel)l(ed|ing|er|ers)$"),
     r"\1\2"),
    (re.compile(r"^licen[cs]e"), "license"),
    (re.compile(r"^judgement"), "judgment"),
]


def _fold(word: str) -> str:
    for pattern, repl in _FOLDS:
        word = pattern.sub(repl, word)
    return word.replace("centeredness", "centerness").replace("centredness", "centerness")


# Porter (1980) stemmer, written from the published algorithm.
_VOWELS = frozenset("aeiou")


def _cons(w, i):
    c = w[i]
    if c in _VOWELS:
        return False
    if c == "y":
        return i == 0 or not _cons(w, i - 1)
    return True


def _measure(stem):
    n, i, L = 0, 0, len(stem)
    while i < L and _cons(stem, i):
        i += 1
    while i < L:
        while i < L and not _cons(stem, i):
            i += 1
        if i >= L:
            break
        while i < L and _cons(stem, i):
            i += 1
        n += 1
    return n


def _has_vowel(stem):
    return any(not _cons(stem, i) for i in range(len(stem)))


def _double_cons(w):
    return len(w) >= 2 and w[-1] == w[-2] and _cons(w, len(w) - 1)


def _cvc(w):
    if len(w) < 3:
        return False
    return (_cons(w, len(w) - 3) and not _cons(w, len(w) - 2) and _cons(w, len(w) - 1)
            and w[-1] not in "wxy")


_STEP2 = sorted([("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
                 ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
                 ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
                 ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
                 ("logi", "log")], key=lambda t: -len(t[0]))
_STEP3 = sorted([("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""),
                 ("ness", "")], key=lambda t: -len(t[0]))
_STEP4 = sorted(["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou",
                 "ism", "ate", "iti", "ous", "ive", "ize"], key=len, reverse=True)


def _replace(w, table, min_m):
    for suffix, repl in table:
        if w.endswith(suffix):
            stem = w[:-len(suffix)]
            return stem + repl if _measure(stem) > min_m else w
    return w


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Porter-stem one lower-case word (after folding British spellings).

    Examples
    --------
    >>> [stem(w) for w in ("trialled", "organisation", "organization", "relational", "hopeful")]
    ['trial', 'organ', 'organ', 'relat', 'hope']
    """
    w = _fold(word)
    if len(w) <= 2:
        return w
    # step 1a
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("ss"):
        pass
    elif w.endswith("s"):
        w = w[:-1]
    # step 1b
    extra = False
    if w.endswith("eed"):
        if _measure(w[:-3]) > 0:
            w = w[:-1]
    elif w.endswith("ed") and _has_vowel(w[:-2]):
        w, extra = w[:-2], True
    elif w.endswith("ing") and _has_vowel(w[:-3]):
        w, extra = w[:-3], True
    if extra:
        if w.endswith(("at", "bl", "iz")):
            w += "e"
        elif _double_cons(w) and w[-1] not in "lsz":
            w = w[:-1]
        elif _measure(w) == 1 and _cvc(w):
            w += "e"
    # step 1c
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    w = _replace(w, _STEP2, 0)
    w = _replace(w, _STEP3, 0)
    # step 4
    for suffix in _STEP4:
        if w.endswith(suffix):
            stem_ = w[:-len(suffix)]
            if _measure(stem_) > 1 and (suffix != "ion" or stem_.endswith(("s", "t"))):
                w = stem_
            break
    # step 5
    if w.endswith("e"):
        stem_ = w[:-1]
        m = _measure(stem_)
        if m > 1 or (m == 1 and not _cvc(stem_)):
            w = stem_
    if _measure(w) > 1 and _double_cons(w) and w.endswith("l"):
        w = w[:-1]
    return w


def _words(text):
    """Lower-case words of a text; a hyphenated word gives its parts and the joined word."""
    out = []
    for m in _WORD.finditer(str(text).lower().replace("\u2019", "'")):
        tok = m.group(0)
        tok = tok.split("'")[0]
        if "-" in tok:
            parts = [p for p in tok.split("-") if p]
            out.extend((p, m.start()) for p in parts)
            out.append(("".join(parts), None))
        else:
            out.append((tok, m.start()))
    return out


def tokenize(text, *, bigrams=True):
    """The terms of a text: stems of its content words and, with ``bigrams``, adjacent stem pairs.

    Examples
    --------
    >>> tokenize("We piloted it on one ward first")
    ['pilot', 'ward', 'first', 'pilot ward', 'ward first']
    """
    stems, terms = [], []
    for word, pos in _words(text):
        if word in _STOP or len(word) < 2 or word.isdigit():
            continue  # stop words are skipped, so 'lack of resources' pairs 'lack' with 'resourc'
        s = stem(word)
        terms.append(s)
        if pos is not None:  # the joined form of a hyphenated word does not pair up
            stems.append(s)
    if bigrams:
        terms.extend(f"{a} {b}" for a, b in zip(stems, stems[1:]))
    return terms


# --------------------------------------------------------------------------------------------------
# The lexicon and the code documents
# --------------------------------------------------------------------------------------------------

def load_lexicon(path=None) -> dict:
    """The cue lexicon: ``{code id: [cue, ...]}`` (``data/cue_lexicon.yaml`` by default).

    Every id must be a codable code and its ``name`` must match the codebook.
    """
    from cscs_eval.errors import InputError
    from cscs_eval.io import read_yaml

    raw = read_yaml(path or LEXICON_PATH)
    cb = _codes()
    names = dict(zip(cb["id"], cb["name"]))
    if not isinstance(raw, dict):
        raise InputError("a cue lexicon must map code ids to {name, cues}", file=path)
    out = {}
    for cid, entry in raw.items():
        if cid not in names:
            raise InputError(f"cue lexicon: {cid!r} is not a codable CFIR 2.0 code", file=path)
        if not isinstance(entry, dict) or not isinstance(entry.get("cues"), list):
            raise InputError(f"cue lexicon: {cid} needs a list of cues", file=path)
        if entry.get("name") is not None and entry["name"] != names[cid]:
            raise InputError(f"cue lexicon: {cid} is named {entry['name']!r} but the codebook calls it "
                             f"{names[cid]!r}", file=path)
        out[cid] = [str(c) for c in entry["cues"]]
    return out


@lru_cache(maxsize=1)
def _codes():
    from cscs_eval.cfir import codebook

    return codebook(levels=("construct", "subconstruct")).reset_index(drop=True)


def _code_fields(aliases=None, lexicon=None):
    """For each codable code, the list of (field, text) its document is made of."""
    from cscs_eval.cfir import crosswalk

    cb = _codes()
    lexicon = load_lexicon() if lexicon is None else lexicon
    fields = {cid: [] for cid in cb["id"]}
    for cid, name, label, definition in zip(cb["id"], cb["name"], cb["label"], cb["definition"]):
        # a subconstruct whose name another code shares ('Innovation Recipients') is known by its label
        # only ('Engaging: Innovation Recipients'), as the codebook resolves it: the bare name would
        # make every passage that mentions recipients, or 'implementation', point at it
        fields[cid].append(("name", label))
        fields[cid].append(("definition", definition))
        for cue in lexicon.get(cid, []):
            fields[cid].append(("cue", cue))
    for cfir1_name, cid in zip(*(crosswalk()[c] for c in ("cfir1_name", "cfir2_id"))):
        if cid in fields:
            fields[cid].append(("cfir1", cfir1_name))
    for local, cid in (aliases or {}).items():
        if cid in fields:
            fields[cid].append(("alias", local))
    return fields


# --------------------------------------------------------------------------------------------------
# Vectors
# --------------------------------------------------------------------------------------------------

class _Vectorizer:
    """Sublinear TF-IDF over a fixed vocabulary (smoothed IDF, as scikit-learn computes it)."""

    def __init__(self, docs_terms):
        df = {}
        for terms in docs_terms:
            for t in set(terms):
                df[t] = df.get(t, 0) + 1
        n = len(docs_terms)
        self.vocab = {t: i for i, t in enumerate(sorted(df))}
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in sorted(df)])

    def transform(self, docs_terms, weights=None):
        """CSR matrix of L2-normalised TF-IDF rows; ``weights`` gives per-term counts instead of 1."""
        from scipy import sparse

        rows, cols, vals = [], [], []
        for r, terms in enumerate(docs_terms):
            counts = {}
            w = weights[r] if weights is not None else None
            for k, t in enumerate(terms):
                j = self.vocab.get(t)
                if j is not None:
                    counts[j] = counts.get(j, 0.0) + (1.0 if w is None else w[k])
            if not counts:
                continue
            js = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=float, count=len(counts))
            v = (1.0 + np.log(np.maximum(tf, 1e-3))) * self.idf[js]
            v /= np.sqrt((v * v).sum())
            rows.extend([r] * len(js))
            cols.extend(js.tolist())
            vals.extend(v.tolist())
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs_terms), len(self.vocab)))


# --------------------------------------------------------------------------------------------------
# Optional text embeddings: WordLlama's static token embeddings, read from the files in its wheel
# --------------------------------------------------------------------------------------------------

_WORDLLAMA_FILES = ("tokenizers/l2_supercat_tokenizer_config.json", "weights/l2_supercat_256.safetensors")


class _Embedder:
    """Mean-pooled WordLlama token embeddings (what ``WordLlama.embed`` computes), loaded offline.

    Only the tokenizer and weight files that ship inside the ``wordllama`` wheel are read, with
    ``tokenizers`` and ``safetensors``; ``wordllama`` itself is not imported (its import configures
    the root logger) and nothing is ever downloaded.
    """

    def __init__(self, root: Path):
        from safetensors import safe_open
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(root / _WORDLLAMA_FILES[0]))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        with safe_open(str(root / _WORDLLAMA_FILES[1]), framework="np", device="cpu") as fh:
            self.matrix = np.ascontiguousarray(fh.get_tensor("embedding.weight").astype(np.float32))

    def embed(self, texts) -> np.ndarray:
        """Unit-length embeddings, one row per text (a text without tokens gives a zero row)."""
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), self.matrix.shape[1]), dtype=np.float32)
        if not texts:
            return out
        encoded = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        lengths = np.array([len(e.ids) for e in encoded])
        ids = np.fromiter((i for e in encoded for i in e.ids), dtype=np.int64, count=int(lengths.sum()))
        ids = np.clip(ids, 0, self.matrix.shape[0] - 1)
        has = lengths > 0
        if has.any():
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[has]
            sums = np.add.reduceat(self.matrix[ids], starts, axis=0)
            out[has] = sums / lengths[has, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


@lru_cache(maxsize=1)
def _embedder():
    """The embedder, or None when ``wordllama`` (and ``tokenizers``, ``safetensors``) is not installed."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("wordllama")
        if spec is None or not spec.submodule_search_locations:
            return None
        root = Path(list(spec.submodule_search_locations)[0])
        if not all((root / f).is_file() for f in _WORDLLAMA_FILES):
            return None
        return _Embedder(root)
    except ImportError:
        return None


def embeddings_available() -> bool:
    """True when the optional WordLlama embeddings can be used (the ``wordllama`` package is installed)."""
    return _embedder() is not None


# --------------------------------------------------------------------------------------------------
# The suggester
# --------------------------------------------------------------------------------------------------

@dataclass
class _Scores:
    lexical: np.ndarray          # passages x codes, calibrated z-scores of the TF-IDF cosine
    semantic: np.ndarray | None  # passages x codes, calibrated z-scores of the embedding cosine
    codebook: np.ndarray         # passages x codes, the combined codebook evidence
    project: np.ndarray          # passages x codes, the nearest coded excerpts' votes
    near: list                   # per passage: ((excerpt index, similarity), ...), nearest first
    terms: list                  # per passage: its terms
    vectors: np.ndarray | None   # per passage: its embedding

    @property
    def total(self):
        return self.codebook + self.project


class Suggester:
    """A fitted suggestion model: the code documents and, optionally, the project's coded excerpts.

    Build it once and call :meth:`suggest` for many passages (:func:`suggest` does this for you and
    caches the model without a coding).

    Parameters
    ----------
    coding
        A :class:`~cscs_eval.cfir.Coding` (:func:`~cscs_eval.cfir.load_coding`), a bare coding
        table (``excerpt`` and ``construct_id`` columns), or paths that
        :func:`~cscs_eval.cfir.load_coding` reads; ``None`` for a cold start.
    aliases
        Local names (an alias YAML path or mapping, as for :func:`~cscs_eval.cfir.load_coding`);
        they join their code's document. Defaults to the aliases the coding was loaded with.
    embeddings
        Use the WordLlama text embeddings beside the words: ``None`` (default) when the ``wordllama``
        package is installed, ``True`` to require them, ``False`` never.
    weight
        Weight of the project evidence (nearest coded excerpts) against the codebook evidence.
    neighbours, min_similarity
        How many nearest coded excerpts vote, and the cosine similarity below which one does not.
    lexicon
        A ``{code id: [cue, ...]}`` mapping to use instead of ``data/cue_lexicon.yaml``.
    """

    #: Weight of each word of a several-word cue or name, against the pair terms that carry the phrase.
    phrase_word_weight = 0.5

    def __init__(self, coding=None, *, aliases=None, embeddings=None, weight=1.0, neighbours=5,
                 min_similarity=0.15, lexicon=None):
        from cscs_eval.cfir._codebook import load_aliases
        from cscs_eval.cfir._coding import load_coding
        from cscs_eval.cfir._tidy import unpack
        from cscs_eval.errors import UsageError

        coding_aliases = {}
        if coding is not None:
            if isinstance(coding, (str, Path, list, tuple)):
                coding = load_coding(coding, aliases=aliases)
            coding, _, coding_aliases = unpack(coding)
        if aliases is None:
            aliases = coding_aliases or None
        self.aliases = load_aliases(aliases) if aliases is not None else {}
        self.weight = float(weight)
        self.neighbours = max(1, int(neighbours))
        self.min_similarity = float(min_similarity)
        cb = _codes()
        self.ids = cb["id"].tolist()
        self.labels = dict(zip(cb["id"], cb["label"]))
        self.domains = dict(zip(cb["id"], cb["domain"]))
        self._index = {cid: i for i, cid in enumerate(self.ids)}

        fields = _code_fields(self.aliases, lexicon)
        doc_terms, doc_weights, self._cues = [], [], {}
        for cid in self.ids:
            terms, weights, cues = [], [], []
            for kind, text in fields[cid]:
                t = tokenize(text)
                terms.extend(t)
                weights.extend(self._term_weights(kind, t))
                if kind != "definition":
                    unis = tuple(dict.fromkeys(s for s in t if " " not in s))
                    if unis:
                        cues.append((kind, text, unis))
            doc_terms.append(terms)
            doc_weights.append(weights)
            self._cues[cid] = cues

        # the project's coded excerpts: one row per excerpt with the set of codes it carries
        self.excerpts, self._excerpt_codes, self._excerpt_case = [], [], []
        if coding is not None and len(coding):
            key = "excerpt_id" if "excerpt_id" in coding.columns else "excerpt"
            cases = coding["case"] if "case" in coding.columns else [None] * len(coding)
            grouped = {}
            for k, text, cid, case in zip(coding[key], coding["excerpt"], coding["construct_id"], cases):
                if cid not in self._index or not isinstance(text, str) or not text.strip():
                    continue
                grouped.setdefault(k, [text, set(), case])[1].add(cid)
            for text, codes, case in grouped.values():
                self.excerpts.append(text)
                self._excerpt_codes.append(codes)
                self._excerpt_case.append(None if case is None or case != case else str(case))
        ex_terms = [tokenize(t) for t in self.excerpts]
        self._vec = _Vectorizer(doc_terms + ex_terms)
        self._docs = self._vec.transform(doc_terms, doc_weights).T.tocsr()  # V x codes
        self._ex = None
        if self.excerpts:
            from scipy import sparse

            self._ex = self._vec.transform(ex_terms).T.tocsr()  # V x excerpts
            rows = [self._index[c] for codes in self._excerpt_codes for c in codes]
            cols = [j for j, codes in enumerate(self._excerpt_codes) for _ in codes]
            self._ex_codes = sparse.csr_matrix((np.ones(len(rows)), (cols, rows)),
                                               shape=(len(self.excerpts), len(self.ids)))

        # Calibration: how each code scores on CFIR talk of every kind (all codes' cues and
        # definitions), so a code whose words turn up everywhere does not win too often.
        background = [text for cid in self.ids for kind, text in fields[cid] if kind in ("cue", "definition")]
        raw = np.asarray((self._vec.transform([tokenize(t) for t in background]) @ self._docs).todense())
        self._lex_cal = _calibration(raw)

        self.embedder = None
        if embeddings is None or embeddings:
            self.embedder = _embedder()
            if self.embedder is None and embeddings:
                raise UsageError("embeddings=True needs the 'wordllama' package (pip install wordllama); "
                                 "its model ships inside the package and loads offline")
        if self.embedder is not None:
            self._cue_vectors = {}
            centroids = []
            for cid in self.ids:
                texts = [text for _, text in fields[cid]]
                vecs = self.embedder.embed(texts)
                self._cue_vectors[cid] = (texts, vecs, [kind for kind, _ in fields[cid]])
                c = vecs.mean(axis=0)
                centroids.append(c / (np.linalg.norm(c) or 1.0))
            self._centroids = np.array(centroids)
            self._sem_cal = _calibration(self.embedder.embed(background) @ self._centroids.T)

    def _term_weights(self, kind, terms):
        w = FIELD_WEIGHTS[kind]
        n_words = sum(" " not in t for t in terms)
        if n_words <= 1 or kind == "definition":
            return [w] * len(terms)
        return [w if " " in t else w * self.phrase_word_weight for t in terms]

    @property
    def evidence_used(self) -> str:
        """What the scores are made of, in words."""
        said = "the codebook and cue lexicon" + (" (words and WordLlama embeddings)" if self.embedder is not None
                                                 else " (words)")
        if self.excerpts:
            said += f" and {len(self.excerpts)} coded excerpt(s)"
        return said

    # ------------------------------------------------------------------
    def scores(self, passages) -> _Scores:
        """Every code's scores for every passage, with the parts they are made of."""
        passages = [str(p) for p in passages]
        terms = [tokenize(p) for p in passages]
        q = self._vec.transform(terms)
        lexical = _standardise(np.asarray((q @ self._docs).todense()), self._lex_cal)
        semantic = vectors = None
        if self.embedder is not None:
            vectors = self.embedder.embed(passages)
            semantic = _standardise(vectors @ self._centroids.T, self._sem_cal)
            z = (lexical + semantic) / 2.0
        else:
            z = lexical
        gmu, gsd = self._lex_cal[2], self._lex_cal[3]
        codebook = gmu + gsd * z  # back on the scale of a TF-IDF cosine, so it adds up with the votes
        project = np.zeros_like(codebook)
        near = [()] * len(passages)
        if self._ex is not None and passages:
            sims = np.asarray((q @ self._ex).todense())
            k = min(self.neighbours, sims.shape[1])
            idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            top = np.take_along_axis(sims, idx, axis=1)
            top = np.where(top >= self.min_similarity, top, 0.0)  # a word or two in common is no evidence
            mask = np.zeros_like(sims)
            np.put_along_axis(mask, idx, top, axis=1)
            project = self.weight * np.asarray(self._ex_codes.T.dot(mask.T).T) / self.neighbours
            order = np.argsort(-top, axis=1)
            idx, top = np.take_along_axis(idx, order, axis=1), np.take_along_axis(top, order, axis=1)
            near = [tuple((int(j), float(s)) for j, s in zip(ri, rs) if s > 0) for ri, rs in zip(idx, top)]
        return _Scores(lexical, semantic, codebook, project, near, terms, vectors)

    def suggest(self, passages, *, top=3):
        """Suggest the ``top`` codes for each passage; see :func:`suggest`."""
        import pandas as pd

        frame = _passages_frame(passages)
        texts = frame["passage"].tolist()
        top = max(1, min(int(top), len(self.ids)))
        s = self.scores(texts)
        total = s.total
        records = []
        if texts:
            best = np.argpartition(-total, top - 1, axis=1)[:, :top]
            best = np.take_along_axis(best, np.argsort(-np.take_along_axis(total, best, axis=1), axis=1), axis=1)
        for r, pid in enumerate(frame["passage_id"]):
            present = set(s.terms[r])
            vec = None if s.vectors is None else s.vectors[r]
            for rank, j in enumerate(best[r], start=1):
                cid = self.ids[j]
                records.append({
                    "passage_id": pid, "rank": rank, "construct_id": cid, "construct": self.labels[cid],
                    "domain": self.domains[cid], "score": round_half_up(total[r, j], decimals=4),
                    "codebook_score": round_half_up(s.codebook[r, j], decimals=4),
                    "coded_score": round_half_up(s.project[r, j], decimals=4),
                    "evidence": self._evidence(cid, present, vec, s.near[r])})
        table = pd.DataFrame(records, columns=["passage_id", "rank", "construct_id", "construct", "domain", "score",
                                               "codebook_score", "coded_score", "evidence"])
        extra = frame.drop(columns=["passage"])
        table = extra.merge(table, on="passage_id", how="right")
        table.insert(table.columns.get_loc("rank"), "passage",
                     table["passage_id"].map(dict(zip(frame["passage_id"], frame["passage"]))))
        return Suggestions(table=table, top=top, n_passages=len(frame), n_coded=len(self.excerpts),
                           evidence_used=self.evidence_used)

    def _evidence(self, cid, present, vector, near):
        matched, seen = [], set()
        for kind, text, unis in self._cues[cid]:
            hit = [u for u in unis if u in present]
            if not hit or (kind == "cue" and 1 == len(hit) < len(unis)):
                continue  # one word of a several-word cue is too little to show
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            label = f"'{text}'" if kind == "cue" else f"{_KIND_LABEL[kind]} '{text}'"
            if len(hit) < len(unis):
                label += " (in part)"
            matched.append((len(hit) < len(unis), -len(hit), label))
        matched.sort(key=lambda t: t[:2])
        parts = [m[2] for m in matched[:4]]
        if vector is not None and not matched:
            texts, vecs, kinds = self._cue_vectors[cid]
            sims = vecs @ vector
            j = int(np.argmax(sims))
            if sims[j] > 0:
                parts.append(f"close in meaning to '{texts[j]}'")
        for j, sim in [(j, sim) for j, sim in near if cid in self._excerpt_codes[j]][:2]:
            text = self.excerpts[j]
            text = text if len(text) <= 60 else text[:57].rstrip() + "..."
            case = self._excerpt_case[j]
            parts.append(f'like coded excerpt "{text}" ({case + ", " if case else ""}similarity '
                         f'{format_number(sim, decimals=2)})')
        return "; ".join(parts)


_KIND_LABEL = {"name": "name", "alias": "alias", "cfir1": "CFIR 1.0 name"}


def _calibration(raw):
    """Per-code mean and spread of background scores, and their averages over the codes."""
    mu, sd = raw.mean(axis=0), raw.std(axis=0)
    sd = np.where(sd > 0, sd, sd[sd > 0].mean() if (sd > 0).any() else 1.0)
    return mu, sd, float(mu.mean()), float(sd.mean())


def _standardise(raw, cal):
    return (raw - cal[0]) / cal[1]


@dataclass(repr=False)
class Suggestions(Result):
    """Suggested CFIR codes: ``table`` has one row per passage and candidate (``rank`` 1 is best).

    Columns: ``passage_id`` (and any other columns the passages came with, such as ``file`` and
    ``line``), ``passage``, ``rank``, ``construct_id``, ``construct``, ``domain``, ``score``,
    ``codebook_score``, ``coded_score`` and ``evidence``.
    """

    table: object = None
    top: int = 3
    n_passages: int = 0
    n_coded: int = 0
    evidence_used: str = ""

    def summary(self):
        """One row per passage: the passage and its candidates as ``Label (score)``, best first."""
        t = self.table
        if t is None or t.empty:
            return t
        keys = [c for c in t.columns if c not in ("rank", "construct_id", "construct", "domain", "score",
                                                   "codebook_score", "coded_score", "evidence")]
        cand = t.assign(candidate=t["construct"] + " (" + t["construct_id"] + ", "
                        + t["score"].map(lambda s: format_number(s, decimals=2)) + ")")
        out = cand.groupby("passage_id", sort=False).agg(
            **{k: (k, "first") for k in keys if k != "passage_id"},
            suggestions=("candidate", "; ".join)).reset_index()
        return out

    def text(self) -> str:
        src = self.evidence_used or "the codebook and cue lexicon"
        if not self.n_coded:
            src += " (no coded excerpts yet)"
        return (f"Top {self.top} suggested CFIR codes for {self.n_passages} passage(s), from {src}; "
                "suggestions only: no coding was changed.")


def _passages_frame(passages):
    import pandas as pd

    from cscs_eval.errors import InputError

    if isinstance(passages, str):
        passages = [passages]
    if isinstance(passages, pd.DataFrame):
        if "passage" not in passages.columns:
            raise InputError("a passages table needs a 'passage' column (and optionally 'passage_id')")
        frame = passages.copy()
        if "passage_id" not in frame.columns:
            frame.insert(0, "passage_id", range(1, len(frame) + 1))
    elif isinstance(passages, pd.Series):
        frame = pd.DataFrame({"passage_id": passages.index, "passage": passages.to_numpy()})
    else:
        texts = list(passages)
        frame = pd.DataFrame({"passage_id": range(1, len(texts) + 1), "passage": texts})
    if frame["passage_id"].duplicated().any():
        raise InputError("passage_id values must be unique")
    frame["passage"] = frame["passage"].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                                            else str(v))
    return frame.reset_index(drop=True)


@lru_cache(maxsize=4)
def _cold_model(alias_items, embeddings):
    return Suggester(aliases=dict(alias_items) if alias_items else None, embeddings=embeddings)


def suggest(passages, *, coding=None, top=3, aliases=None, embeddings=None):
    """Suggest the most likely CFIR 2.0 codes for each passage, with a score and the evidence.

    Candidates are every codable code (48 constructs, 19 subconstructs). Nothing is coded:
    the result only offers candidates for the evaluator to accept or reject.

    Parameters
    ----------
    passages
        A string, a list of strings, a Series (its index becomes ``passage_id``) or a DataFrame with a
        ``passage`` column (other columns, e.g. ``file`` and ``line`` from :func:`uncoded_passages`,
        are kept).
    coding
        The project's coding so far (a :class:`~cscs_eval.cfir.Coding`, a coding table, or paths
        to coded notes and sheets): its excerpts are the nearest-neighbour evidence. ``None`` = cold start.
    top
        How many candidates per passage.
    aliases
        Local names (alias YAML path or mapping); they count as names of their codes.
    embeddings
        Also compare meanings with WordLlama text embeddings: ``None`` (default) when the optional
        ``wordllama`` package is installed, ``True`` to require it, ``False`` for words only.

    Returns
    -------
    Suggestions
        ``.table`` (one row per passage and candidate), ``.summary()`` (one row per passage), ``.text()``.

    Examples
    --------
    >>> s = suggest(["We piloted the new form on one ward before rolling it out."], top=2)
    >>> s.table["construct_id"].iloc[0]
    'I.E'
    """
    if coding is None:
        from cscs_eval.cfir import load_aliases

        resolved = load_aliases(aliases) if aliases is not None else {}
        model = _cold_model(tuple(sorted(resolved.items())), embeddings)
    else:
        model = Suggester(coding, aliases=aliases, embeddings=embeddings)
    return model.suggest(passages, top=top)


# --------------------------------------------------------------------------------------------------
# Uncoded paragraphs of notes files, and review markers
# --------------------------------------------------------------------------------------------------

def notes_files(paths):
    """The coded-notes files among ``paths`` (a folder gives its own ``.md`` files, as ``load_coding`` reads it)."""
    from cscs_eval.cfir._coding import _expand, _is_notes

    return [p for p in _expand(paths) if _is_notes(p)]


def note_blocks(text, *, file=None):
    """The paragraphs, bullets and headings of a notes file's text, as ``load_coding`` splits them.

    Returns ``(meta, blocks)``: the front matter and a list of dicts ``line`` and ``end_line`` (the
    file's 1-based lines the block spans), ``kind`` (``text`` or ``heading``) and ``text`` (its lines,
    stripped and joined by line feeds; a bullet without its marker).
    """
    from cscs_eval.cfir._coding import _blocks, _front_matter

    meta, body, first = _front_matter(text, file, [])
    return meta, [{"line": line, "end_line": line + block.count("\n"), "kind": kind, "text": block}
                  for line, kind, block in _blocks(body, first)]


def uncoded_passages(paths, *, encoding=None):
    """The paragraphs and bullets of coded-notes files that carry no ``[[...]]`` code (nor review marker) yet.

    Returns a DataFrame ``passage_id, file, line, end_line, case, source, passage`` (``passage_id`` is
    ``file:line``) that :func:`suggest` accepts. Headings, front matter and fenced blocks are skipped;
    a folder gives the notes files in it, as :func:`~cscs_eval.cfir.load_coding` reads it.
    """
    import pandas as pd

    from cscs_eval.io import read_text

    rows = []
    for path in notes_files(paths):
        meta, blocks = note_blocks(read_text(path, encoding=encoding), file=path)
        case, source = meta.get("case"), meta.get("source") or path.stem
        for b in blocks:
            if b["kind"] == "text" and "[[" not in b["text"] and b["text"].strip():
                rows.append({"passage_id": f"{path}:{b['line']}", "file": str(path), "line": b["line"],
                             "end_line": b["end_line"], "case": None if case is None else str(case),
                             "source": str(source), "passage": " ".join(b["text"].split("\n"))})
    return pd.DataFrame(rows, columns=["passage_id", "file", "line", "end_line", "case", "source", "passage"])


def review_marker(labels) -> str:
    """The review marker for suggested codes, best first: ``[[? Innovation Complexity; Available Resources]]``.

    Examples
    --------
    >>> review_marker(["Innovation Complexity", "Available Resources"])
    '[[? Innovation Complexity; Available Resources]]'
    """
    return f"[[? {'; '.join(labels)}]]"


def append_to_line(lines, line, addition):
    """Append ``addition`` to the file line ``line`` (1-based) of ``lines``, after one space."""
    i = line - 1
    lines[i] = lines[i].rstrip() + " " + addition
    return lines


def write_review_markers(suggestions, *, encoding=None):
    """Add each passage's suggested codes as a review marker at the end of its paragraph.

    ``suggestions`` is a :class:`Suggestions` made from :func:`uncoded_passages` (it needs the
    ``file`` and ``end_line`` columns). Each file is rewritten atomically, its previous version kept
    as ``NAME.md.bak``; a paragraph that already holds a code or marker is left alone. Returns the
    files written.
    """
    from cscs_eval.cfir._workbench import NotesFile
    from cscs_eval.errors import UsageError

    t = suggestions.table
    if t is None or t.empty:
        return []
    if not {"file", "end_line"} <= set(t.columns):
        raise UsageError("review markers need suggestions for passages from uncoded_passages() (columns file and "
                         "end_line)")
    written = []
    for file, rows in t.sort_values(["file", "end_line", "rank"]).groupby("file", sort=True):
        notes = NotesFile.read(file, encoding=encoding)
        lines = notes.text.split("\n")
        for end_line, cands in rows.groupby("end_line", sort=False):
            if "[[" not in lines[int(end_line) - 1]:
                append_to_line(lines, int(end_line), review_marker(cands["construct"]))
        written.append(notes.write("\n".join(lines)))
    return written
