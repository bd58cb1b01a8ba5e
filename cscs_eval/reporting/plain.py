"""Plain English for reports: counts with the right noun, numbers in words, lists, and a glossary.

Every sentence a report writes goes through these, so no reader meets "3 team(s)" or a
sentence that opens with a digit, and each statistical term is explained once, in the same
words, in every report's methods (the glossary lives in ``data/glossary.yaml``).

Examples
--------
>>> count(1, "team"), count(3, "team"), count(2, "category", "categories")
('1 team', '3 teams', '2 categories')
>>> count(3, "concern", words=True), sentence(f"{count(12, 'team')} were trained.")
('three concerns', 'Twelve teams were trained.')
>>> listing(["IT", "cost", "time"]), listing(["IT"]), listing([])
('IT, cost and time', 'IT', 'none')
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

__all__ = ["plural", "count", "number_words", "sentence", "listing", "is_are", "percent", "glossary",
           "glossary_terms", "explain"]

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")
#: Nouns whose plural is not the singular plus "s" (others: -y after a consonant takes -ies, -s/-x/-ch/-sh -es).
_IRREGULAR = {"person": "people", "child": "children", "analysis": "analyses", "criterion": "criteria",
              "datum": "data", "index": "indices", "was": "were", "is": "are", "has": "have", "lies": "lie"}


def plural(singular: str, n=2, plural_form: str | None = None) -> str:
    """``singular`` as the noun for ``n`` things: "team" for 1, "teams" otherwise.

    The last word is inflected, so a phrase works: ``plural("eligible referral", 3)``.

    Examples
    --------
    >>> plural("team", 1), plural("team", 0), plural("eligible referral", 5), plural("category", 2)
    ('team', 'teams', 'eligible referrals', 'categories')
    >>> plural("box", 2), plural("person", 3), plural("benefit", 1)
    ('boxes', 'people', 'benefit')
    """
    if n == 1 or n == -1:
        return singular
    if plural_form:
        return plural_form
    head, _, last = singular.rpartition(" ")
    if last in _IRREGULAR:
        word = _IRREGULAR[last]
    elif re.search(r"[^aeiou]y$", last):
        word = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        word = last + "es"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def number_words(n, *, limit: int = 10) -> str:
    """A whole number as a sentence writes it: words up to ``limit`` (at most twenty), digits with commas above.

    Examples
    --------
    >>> number_words(0), number_words(7), number_words(12), number_words(12, limit=20), number_words(1964)
    ('no', 'seven', '12', 'twelve', '1,964')
    """
    n = int(n)
    if 0 <= n <= min(limit, len(_WORDS) - 1):
        return _WORDS[n]
    return f"{n:,}"


def count(n, singular: str, plural_form: str | None = None, *, words: bool = False) -> str:
    """``n`` and its noun: "1 team", "32 teams"; ``words=True`` writes small numbers as words ("no teams").

    ``n`` may be text already formatted for publication (``"fewer than 5"``, ``"1,235"``); the noun
    is then plural unless the text is "1".

    Examples
    --------
    >>> count(1, "benefit"), count(4, "benefit"), count(0, "problem", words=True), count(1234, "row")
    ('1 benefit', '4 benefits', 'no problems', '1,234 rows')
    >>> count("fewer than 5", "referral")
    'fewer than 5 referrals'
    """
    if isinstance(n, str):
        return f"{n} {plural(singular, 1 if n.strip() == '1' else 2, plural_form)}"
    n = int(n)
    shown = number_words(n) if words else f"{n:,}"
    return f"{shown} {plural(singular, n, plural_form)}"


def is_are(n) -> str:
    """"is" for one thing, "are" for any other number.

    Examples
    --------
    >>> f"{count(1, 'team')} {is_are(1)} late", f"{count(3, 'team')} {is_are(3)} late"
    ('1 team is late', '3 teams are late')
    """
    return "is" if int(n) == 1 else "are"


def sentence(text: str) -> str:
    """``text`` as a sentence opens: a capital first letter, and a number at the start in words.

    Style guides (the NHS's among them) spell out a number that starts a sentence; above twenty
    the sentence is rephrased by the caller, so only 0-20 are turned into words here.

    Examples
    --------
    >>> sentence("3 teams were trained."), sentence("0 rows were left out."), sentence("the end")
    ('Three teams were trained.', 'No rows were left out.', 'The end')
    >>> sentence("165 input rows could not be used.")
    '165 input rows could not be used.'
    """
    match = re.match(r"(\d+)(?![\d,.])", text)
    if match and int(match.group(1)) < len(_WORDS):
        text = _WORDS[int(match.group(1))] + text[match.end():]
    return text[:1].upper() + text[1:]


def listing(items, *, conjunction: str = "and", empty: str = "none") -> str:
    """Items joined as a sentence lists them: "a, b and c" (``empty`` when there are none).

    Examples
    --------
    >>> listing(["a", "b"]), listing(["a", "b", "c"], conjunction="or")
    ('a and b', 'a, b or c')
    """
    items = [str(i) for i in items]
    if not items:
        return empty
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def percent(value, *, decimals: int = 0, share: bool = True) -> str:
    """A share (0-1, ``share=True``) or a percentage (0-100) as text: "38%", halves rounded up.

    Examples
    --------
    >>> percent(0.375), percent(40.83, share=False, decimals=1), percent(18 / 32, decimals=1)
    ('38%', '40.8%', '56.3%')
    """
    from cscs_eval.stats import format_number

    return format_number(value, decimals=decimals, share=share) + ("" if share else "%")


@functools.lru_cache(maxsize=1)
def _glossary() -> dict:
    from cscs_eval.io import read_yaml

    data = read_yaml(Path(__file__).with_name("data") / "glossary.yaml") or {}
    return {str(k): str(v).strip() for k, v in data.items()}


def glossary_terms() -> list[str]:
    """Every term the glossary explains, in its order."""
    return list(_glossary())


def explain(term: str) -> str:
    """The glossary's explanation of ``term`` (a :class:`~cscs_eval.errors.UsageError` names the known terms).

    Examples
    --------
    >>> explain("effect size")[:40]
    'How large the average change is compared'
    """
    from cscs_eval.errors import UsageError

    known = _glossary()
    if term not in known:
        raise UsageError(f"term must be one of the glossary's terms ({', '.join(known)}), got {term!r}")
    return known[term]


def glossary(terms) -> str:
    """The methods' "terms used" list: each term in bold with its explanation, as Markdown bullets.

    Examples
    --------
    >>> print(glossary(["paired score"]))  # doctest: +ELLIPSIS
    - **Paired score**: a referral has a paired score when ...
    """
    lines = []
    for term in dict.fromkeys(terms):
        text = explain(term)
        # "How large ..." reads on after the colon; "NHS ...", "Expert Recommendations ..." keep their capitals.
        if re.match(r"[A-Z][a-z]*\W+[a-z]", text):
            text = text[:1].lower() + text[1:]
        lines.append(f"- **{term[:1].upper() + term[1:]}**: {text}")
    return "\n".join(lines)
