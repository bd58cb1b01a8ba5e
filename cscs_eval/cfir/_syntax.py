"""Inline CFIR coding syntax for notes and Lightning Report bullets, and rating notation.

An excerpt (a paragraph or a bullet) is followed by its codes in double square brackets::

    Staff found the forms slow at first. [[Complexity -1; Available Resources: Funding -2 | said by two staff]]

Inside the brackets, codes are separated by ``;``. Each code is a construct (an id, a name, a
CFIR 1.0 name or a local alias) optionally followed by a rating as its last whitespace-separated
token. Everything after the first ``|`` is a memo that applies to every code in the brackets.
A code without a rating has rating ``None`` (read as ``M``, missing).

Ratings state a construct's effect on implementation (positive helps) on the CFIR scale
``+2 +1 0 -1 -2``, with ``X`` for mixed and ``M`` for missing; the notation of published CFIR
tables is accepted too: ``++`` = +2, ``+`` = +1, ``-`` = -1, ``--`` = -2, ``+-`` and ``±`` = X.
"""

from __future__ import annotations

import re

from cscs_eval.errors import InputError

__all__ = ["RATINGS", "RATING_VALUES", "parse_inline_codes", "normalise_rating", "format_codes",
           "is_rating", "bracket_problem"]

#: The canonical rating codes, strongest facilitator first.
RATINGS = ("+2", "+1", "0", "-1", "-2", "X", "M")

#: Numeric value of each canonical rating; X (mixed) and M (missing) have none.
RATING_VALUES = {"+2": 2.0, "+1": 1.0, "0": 0.0, "-1": -1.0, "-2": -2.0, "X": None, "M": None}

# Every spelling we accept, mapped to the canonical code (DESIGN.md "Ratings"). Unicode minus
# signs and dashes are folded to '-' first because word processors substitute them silently.
_ALIASES = {
    "+2": "+2", "2": "+2", "++": "+2",
    "+1": "+1", "1": "+1", "+": "+1",
    "0": "0", "-0": "0", "+0": "0",
    "-1": "-1", "-": "-1",
    "-2": "-2", "--": "-2",
    "x": "X", "+-": "X", "±": "X", "-+": "X", "mixed": "X",
    "m": "M", "missing": "M", "": "M",
}
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-",
                         "\uff0b": "+"})

# Tokens recognised as a trailing rating inside [[...]] (the brief's list; bare digits are
# NOT taken as ratings there, so a construct name ending in a number is never mangled).
_INLINE_RATING_TOKENS = {"+2", "+1", "0", "-1", "-2", "X", "x", "M", "m", "++", "+", "-", "--",
                         "+-", "±"}

_CODE_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_BRACKET = re.compile(r"\[\[|\]\]")
#: What to do about a misplaced bracket, said with every such error.
BRACKET_FIX = "close each code block: [[Construct rating; ... | memo]]"


def is_rating(token: str) -> bool:
    """True if ``token`` is a rating the inline syntax accepts as a code's last token."""
    return str(token).translate(_DASHES) in _INLINE_RATING_TOKENS


def normalise_rating(text, *, where=None) -> str:
    """Return the canonical rating ``+2 +1 0 -1 -2 X M`` for any accepted spelling.

    Parameters
    ----------
    text
        A rating as typed: ``+2``, ``2``, ``++``, ``+``, ``0``, ``-``, ``--``, ``+-``, ``±``, ``X``,
        ``M``; ``None``, NaN or an empty string read as ``M`` (missing).
    where
        Optional dict with ``file``, ``row`` and ``column`` for the error message.

    Raises
    ------
    InputError
        If the value is off the scale; the message names the value and the allowed values.

    Examples
    --------
    >>> normalise_rating("++"), normalise_rating("±"), normalise_rating(-1), normalise_rating(None)
    ('+2', 'X', '-1', 'M')
    """
    if text is None:
        return "M"
    if isinstance(text, float):
        if text != text:  # NaN
            return "M"
        if text.is_integer():
            text = int(text)
    if isinstance(text, int) and not isinstance(text, bool):
        text = f"{text:+d}" if text else "0"
    key = str(text).strip().translate(_DASHES).replace(" ", "").lower()
    if key in ("nan", "<na>", "none"):
        return "M"
    try:
        return _ALIASES[key]
    except KeyError:
        raise InputError(
            f"rating {str(text)!r} is not on the CFIR scale; allowed: +2 +1 0 -1 -2 X (mixed) M (missing), "
            "or the table notation ++ + - -- +- ±", **(where or {})) from None


def _split_code(code: str):
    code = code.strip()
    if not code:
        return None
    parts = code.rsplit(None, 1)
    if len(parts) == 2 and is_rating(parts[1]):
        return parts[0].strip(), normalise_rating(parts[1])
    if len(parts) == 1 and is_rating(parts[0]) and parts[0] not in ("X", "x", "M", "m"):
        # a rating with no construct, e.g. "[[+2]]": keep it so validation can report it
        return "", normalise_rating(parts[0])
    return code, None


def bracket_problem(text: str):
    """The first misplaced code bracket in ``text`` as (its offset, what is wrong), or None.

    Blocks do not nest: a ``[[`` opens one, the next ``]]`` closes it.

    Examples
    --------
    >>> bracket_problem("Slow. [[Complexity -1]]") is None
    True
    >>> bracket_problem("Slow. [[Complexity -1]] ]]")
    (24, "a ']]' with no '[[' before it")
    """
    opened = None
    for m in _BRACKET.finditer(text):
        if m.group() == "[[":
            if opened is not None:
                return m.start(), "a '[[' inside another code block"
            opened = m.start()
        elif opened is None:
            return m.start(), "a ']]' with no '[[' before it"
        else:
            opened = None
    return None if opened is None else (opened, "a '[[' code block is not closed")


def parse_inline_codes(text: str, *, file=None, line: int | None = None):
    """Split a paragraph or bullet into its clean text and its inline codes.

    Parameters
    ----------
    text
        One excerpt with zero or more ``[[...]]`` blocks.
    file, line
        Where the excerpt starts, named in the error about a misplaced bracket.

    Returns
    -------
    clean_text : str
        The text with the code blocks removed and whitespace tidied.
    codes : list of (construct_text, rating_or_None, memo_or_None)
        Ratings are canonical (``+2`` ... ``M``) or ``None`` when the code gave none.

    Examples
    --------
    >>> parse_inline_codes("Forms slow at first. [[Complexity -1; Available Resources -2 | two staff]]")
    ('Forms slow at first.', [('Complexity', '-1', 'two staff'), ('Available Resources', '-2', 'two staff')])
    >>> parse_inline_codes("No codes here.")
    ('No codes here.', [])

    Raises
    ------
    InputError
        For a ``]]`` without its ``[[``, a ``[[`` not closed or one inside another block (a stray
        bracket would otherwise stay in the excerpt's text); the row is the bracket's line.
    """
    problem = bracket_problem(text)
    if problem is not None:
        at, what = problem
        near = " ".join(text[max(0, at - 30):at + 2].split())
        raise InputError(f"{what} (at '...{near}'); {BRACKET_FIX}", file=file,
                         row=None if line is None else line + text.count("\n", 0, at))
    codes = []
    for block in _CODE_BLOCK.findall(text):
        body, sep, memo = block.partition("|")
        memo = memo.strip() if sep and memo.strip() else None
        for part in body.split(";"):
            parsed = _split_code(part)
            if parsed is not None:
                codes.append((parsed[0], parsed[1], memo))
    clean = _CODE_BLOCK.sub(" ", text)
    clean = re.sub(r"[ \t]+", " ", clean)
    clean = re.sub(r" *\n *", "\n", clean).strip()
    return clean, codes


def format_codes(codes) -> str:
    """Write codes back as one ``[[...]]`` block (the inverse of :func:`parse_inline_codes`).

    ``codes`` is a list of ``(construct, rating_or_None, memo_or_None)``; a rating of ``None``
    or ``M`` is left out. Codes with different memos become separate blocks.

    Examples
    --------
    >>> format_codes([("I.F", "-1", None), ("III.J", "+2", "two staff")])
    '[[I.F -1]] [[III.J +2 | two staff]]'
    """
    blocks = []
    for construct, rating, memo in codes:
        item = construct if rating in (None, "M") else f"{construct} {rating}"
        if blocks and blocks[-1][1] == memo:
            blocks[-1][0].append(item)
        else:
            blocks.append(([item], memo))
    out = []
    for items, memo in blocks:
        body = "; ".join(items)
        out.append(f"[[{body} | {memo}]]" if memo else f"[[{body}]]")
    return " ".join(out)
