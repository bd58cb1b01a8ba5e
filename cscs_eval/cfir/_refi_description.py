"""The ``cscs-eval:`` line in a REFI-QDA selection's ``Description``: a coding's rating, theme and excerpt id.

A REFI-QDA coding has no place for a rating. cscs-eval writes each rating into a ``Note`` that the coding refers to,
but QualCoder ignores those notes. Every client tested keeps the selection's ``Description``: QualCoder shows it as
the coding memo and writes it back unchanged. So cscs-eval writes one selection per coding. The selection's
``Description`` starts with one line of fields, and the memo follows on the next lines::

    cscs-eval: rating=+2; theme=Drivers of implementation; excerpt=xaa93dcdb1c7cae7d
    Said by two staff.

Grammar (a person editing the memo can read the line and keep it)::

    description = { memo line } [ header ] { memo line }    the header is the first line that starts "cscs-eval:"
    header      = "cscs-eval:" field { ";" field }
    field       = key "=" value
    key         = "rating" | "theme" | "excerpt"              case does not matter; other keys are ignored
    value       = bare | quoted
    bare        = characters other than ";" (spaces around the value are dropped); it does not start with '"'
    quoted      = '"' { character other than '"' and "\\" | '\\"' | "\\\\" | "\\n" } '"'
    memo        = every other line of the description, in order

``rating`` takes any spelling :func:`~cscs_eval.cfir.normalise_rating` accepts (``+2 +1 0 -1 -2 X M``, ``++``, ...).
A value is quoted only when it must be: when it holds ``;``, ``"``, ``\\`` or a line break, or starts or ends with a
space. A description with no ``cscs-eval:`` line, such as a memo written in another client, is all memo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["HEADER", "DescriptionFields", "format_description", "parse_description"]

#: The start of the line that carries a coding's fields.
HEADER = "cscs-eval:"

_KEYS = {"rating": "rating", "theme": "theme", "excerpt": "excerpt_id"}
_NEEDS_QUOTES = re.compile(r'[;"\\\n\r]|^\s|\s$|^$')


@dataclass(frozen=True)
class DescriptionFields:
    """What a selection's ``Description`` says: the fields of its ``cscs-eval:`` line and the memo.

    ``has_header`` is False when there is no ``cscs-eval:`` line. The fields are then None, and the whole text is
    the memo.
    """

    rating: str | None = None
    theme: str | None = None
    excerpt_id: str | None = None
    memo: str | None = None
    has_header: bool = False


def _quote(value: str) -> str:
    if not _NEEDS_QUOTES.search(value):
        return value
    body = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\n").replace("\r", "\n")
    return '"' + body.replace("\n", "\\n") + '"'


def format_description(rating, *, theme=None, excerpt_id=None, memo=None) -> str:
    """The ``Description`` of a selection: the ``cscs-eval:`` line, then the memo.

    Examples
    --------
    >>> print(format_description("+2", theme="Drivers; early", excerpt_id="E1", memo="Said by two staff."))
    cscs-eval: rating=+2; theme="Drivers; early"; excerpt=E1
    Said by two staff.
    """
    fields = [f"rating={_quote(str(rating))}"]
    if theme not in (None, ""):
        fields.append(f"theme={_quote(str(theme))}")
    if excerpt_id not in (None, ""):
        fields.append(f"excerpt={_quote(str(excerpt_id))}")
    head = f"{HEADER} " + "; ".join(fields)
    if memo in (None, ""):
        return head
    return head + "\n" + str(memo).replace("\r\n", "\n").replace("\r", "\n")


def _fields(line: str) -> dict:
    """The key=value fields after ``cscs-eval:``, in a single pass so quoted values may hold ``;``."""
    out, i, n = {}, len(HEADER), len(line)
    while i < n:
        eq = line.find("=", i)
        if eq < 0:
            break
        key = line[i:eq].strip(" \t;").lower()
        i = eq + 1
        while i < n and line[i] in " \t":
            i += 1
        if i < n and line[i] == '"':
            value, i = [], i + 1
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    value.append({"n": "\n"}.get(line[i + 1], line[i + 1]))
                    i += 2
                else:
                    value.append(line[i])
                    i += 1
            text = "".join(value)
            i = line.find(";", i + 1)
            i = n if i < 0 else i + 1
        else:
            end = line.find(";", i)
            end = n if end < 0 else end
            text, i = line[i:end].strip(), end + 1
        if key in _KEYS and _KEYS[key] not in out:
            out[_KEYS[key]] = text
    return out


def parse_description(text) -> DescriptionFields:
    """Read a selection's ``Description`` (the inverse of :func:`format_description`).

    Examples
    --------
    >>> parse_description('cscs-eval: rating=-1; theme="Drivers; early"; excerpt=E1\\nSaid by two staff.')
    DescriptionFields(rating='-1', theme='Drivers; early', excerpt_id='E1', memo='Said by two staff.', has_header=True)
    >>> parse_description("A memo written in QualCoder.").memo
    'A memo written in QualCoder.'
    """
    if text is None or text == "":
        return DescriptionFields()
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    at = next((k for k, line in enumerate(lines) if line.lstrip().lower().startswith(HEADER)), None)
    if at is None:
        return DescriptionFields(memo=str(text))
    fields = _fields(lines[at].lstrip())
    memo = "\n".join(lines[:at] + lines[at + 1:])
    return DescriptionFields(**fields, memo=memo if memo.strip() else None, has_header=True)
