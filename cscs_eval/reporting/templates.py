"""The Jinja2 environment for report templates, with autoescaping on for HTML.

Templates live in the top-level ``templates/`` folder, which users may edit; a wheel
carries a copy (see ``cscs_eval.io.resource_dir``).
"""

from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=4)
def environment(template_dir=None):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from cscs_eval.io import resource_dir

    folder = Path(template_dir) if template_dir else resource_dir("templates")
    return Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(["html", "htm", "xml", "html.j2", "xml.j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
