"""The one Jinja2 environment for every report template: notebook reports, Lightning Reports, logic models.

Templates live in the top-level ``templates/`` folder (one subfolder a capability:
``report/``, ``lightning/``, ``logic_model/``), which users may edit or replace with a folder of
their own; a wheel carries a copy (see ``cscs_eval.io.resource_dir``).

Autoescaping is on for every template, so any text from a user's file shows as text in HTML. A
Markdown template escapes its values with the ``md`` filter (a table cell: line breaks as
``<br>``) or ``md_line`` (one line: line breaks as spaces), which also escape what would start
markup in Markdown and return markup-safe text, so autoescaping leaves it alone.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

__all__ = ["environment", "markdown_text"]

#: "&" is escaped only where it would start a character reference, so "A&E" stays readable.
_REFERENCE = re.compile(r"&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")


def markdown_text(value, *, newline: str = "<br>"):
    """Text safe in Markdown and in the HTML a Markdown viewer makes of it; ``None`` is empty.

    ``<``, ``>`` and an ``&`` that would start a character reference are escaped as HTML,
    ``|`` so it cannot split a table cell; line breaks become ``newline``. Apostrophes and
    quotes stay as typed, so the Markdown file reads well.

    Examples
    --------
    >>> str(markdown_text("<b>A&E</b> | 5 &lt; 6"))
    '&lt;b&gt;A&E&lt;/b&gt; \\\\| 5 &amp;lt; 6'
    >>> str(markdown_text("two\\nlines", newline=" "))
    'two lines'
    """
    from markupsafe import Markup

    text = "" if value is None else str(value)
    text = _REFERENCE.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline)
    return Markup(text)


def _markdown_line(value):
    return markdown_text(value, newline=" ")


@functools.lru_cache(maxsize=16)
def environment(template_dir=None, *, folder: str | None = None):
    """The Jinja2 environment for report templates.

    Parameters
    ----------
    template_dir
        A folder of the user's own templates, used instead of the shipped one; it must exist.
    folder
        The shipped templates' subfolder (``"lightning"``, ``"logic_model"``); ``None`` for the
        top folder (whose ``report/`` holds the notebook report templates).

    Autoescaping is on; undefined variables are errors; block tags take their line with them
    (``trim_blocks``, ``lstrip_blocks``) and a template's last newline is kept.
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from cscs_eval.errors import UsageError
    from cscs_eval.io import resource_dir

    if template_dir is not None:
        path = Path(template_dir)
        if not path.is_dir():
            raise UsageError(f"template_dir {str(path)!r} is not a folder")
    else:
        path = resource_dir("templates") / folder if folder else resource_dir("templates")
    env = Environment(
        loader=FileSystemLoader(str(path)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_text
    env.filters["md_line"] = _markdown_line
    return env
