"""A notebook's parameters: read from its ``parameters`` cell, checked before anything runs.

Papermill injects whatever it is given and only warns about an unknown name, and it
turns ``-p code 007`` into the integer 7. cscs-eval checks every name and type against the
annotated literals of the ``parameters`` cell first, so a typo is a usage error and
nothing executes.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import Path

from cscs_eval.errors import CscsEvalWarning, InputError, UsageError

_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: object
    help: str


#: Input-file parameters end in these: only they are checked for existence and checksummed.
FILE_SUFFIXES = ("_path", "_paths")
#: Limits on what one report's checksums read from a folder parameter: a folder of notes is
#: tens of files; a parameter naming /usr or /proc by mistake must not hash for minutes.
#: Raise one in Python, or with the environment variable CSCS_EVAL_MAX_HASHED_FILES / _BYTES.
MAX_HASHED_FILES = 2_000
MAX_HASHED_BYTES = 2_000_000_000
_PARAMS = "cscs_eval.reporting.params."


class IgnoredParameterWarning(CscsEvalWarning):
    """A parameters file (``-f``) sets a parameter the notebook does not declare; it is ignored."""


def is_file_parameter(name: str) -> bool:
    """True for the parameters that name input files or folders (``data_path``, ``coding_paths``)."""
    return name.endswith(FILE_SUFFIXES)


def load_notebook_json(path) -> dict:
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: notebook not found")
    if path.suffix != ".ipynb" or not path.is_file():
        raise UsageError(f"{path}: not a notebook (expected a .ipynb file)")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a readable notebook ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or \
            not all(isinstance(c, dict) for c in nb["cells"]):
        raise UsageError(f"{path}: not a notebook (a Jupyter notebook is a JSON object with a list of cells)")
    return nb


def parameters_cell(nb: dict, path) -> dict:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    raise UsageError(f"{path}: the notebook has no cell tagged 'parameters'; tag the cell of default "
                     "values 'parameters' (JupyterLab: property inspector, Add Tag)")


def _comments(source: str) -> dict[int, str]:
    comments = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


def notebook_parameters(path) -> dict[str, Parameter]:
    """The parameters of a notebook: name, declared type, default value and help text.

    Every assignment in the ``parameters`` cell must be an annotated literal
    (``period_end: str = "2024-03-31"  # last day of the reporting period``).
    """
    nb = load_notebook_json(path)
    cell = parameters_cell(nb, path)
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise UsageError(f"{path}: the parameters cell is not valid Python ({exc.msg}, line {exc.lineno})") from None
    comments = _comments(source)
    params = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            ann = node.annotation
            base = ann.value if isinstance(ann, ast.Subscript) else ann
            type_name = base.id if isinstance(base, ast.Name) else ast.unparse(ann)
            value_node = node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            type_name, value_node = None, node.value
        else:
            continue
        name = node.target.id if isinstance(node, ast.AnnAssign) else node.targets[0].id
        try:
            default = ast.literal_eval(value_node) if value_node is not None else None
        except ValueError:
            raise UsageError(f"{path}: parameter '{name}' must have a literal default value") from None
        if type_name is None:
            type_name = type(default).__name__ if default is not None else "str"
        params[name] = Parameter(name, type_name, default, comments.get(node.end_lineno, ""))
    return params


def coerce(param: Parameter, value, *, from_text: bool):
    """Convert a value given on the command line (text) or in YAML to the parameter's type."""
    kind = param.type
    if kind not in _TYPES:
        return value
    if from_text:
        text = str(value).strip()
        if kind == "str":
            return str(value)
        if kind == "bool":
            lowered = text.lower()
            if lowered in ("true", "yes", "1", "on"):
                return True
            if lowered in ("false", "no", "0", "off"):
                return False
        elif kind == "int":
            try:
                return int(text)
            except ValueError:
                pass
        elif kind == "float":
            try:
                return float(text)
            except ValueError:
                pass
        else:
            from cscs_eval.io import load_yaml

            try:
                parsed = load_yaml(text)
            except InputError:
                parsed = None
            if isinstance(parsed, _TYPES[kind]):
                return _plain(parsed)
            if kind == "list" and isinstance(parsed, str):
                return [parsed]
        raise UsageError(f"parameter '{param.name}' must be {_article(kind)}, got '{value}'")
    value = _plain(value)
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "str" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind == "list" and isinstance(value, str):
        return [value]
    expected = _TYPES[kind]
    if not isinstance(value, expected) or (kind in ("int", "float") and isinstance(value, bool)):
        raise UsageError(f"parameter '{param.name}' must be {_article(kind)}, got {value!r}")
    return value


def _plain(value):
    """YAML dates become ISO strings: papermill passes only JSON-like values."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _article(kind: str) -> str:
    return {"int": "a whole number (int)", "float": "a number (float)", "bool": "true or false (bool)",
            "str": "text (str)", "list": "a list", "dict": "a mapping (dict)"}[kind]


def read_params_file(path) -> dict:
    from cscs_eval.io import read_yaml

    try:
        data = read_yaml(path)
    except InputError as exc:
        raise UsageError(f"parameters file {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a parameters file must map names to values, got {type(data).__name__}")
    return data


def resolve_parameters(notebook, *, given=(), params_file=None) -> dict:
    """Check and convert parameters for ``notebook``; return only the values to inject.

    ``given`` holds ``(name, text)`` pairs from ``-p``; ``params_file`` a YAML mapping.
    ``-p`` values win over the file's, as in papermill. A name the notebook does not declare
    is an error from ``-p`` but only a warning from the file, so one parameters file can serve
    every notebook (they share parameter names: README, "One house").
    """
    import warnings

    declared = notebook_parameters(notebook)
    values = {}
    sources = []
    if params_file is not None:
        file_values = read_params_file(params_file)
        ignored = [k for k in file_values if k not in declared]
        if ignored:
            warnings.warn(f"{Path(notebook).name} has no parameter {', '.join(map(str, ignored))}; "
                          f"ignored from {params_file}", IgnoredParameterWarning, stacklevel=2)
        sources += [(k, v, False) for k, v in file_values.items() if k in declared]
    sources += [(k, v, True) for k, v in given]
    for name, value, from_text in sources:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise UsageError(f"{notebook}: unknown parameter '{name}'; the notebook's parameters are: {known}")
        values[name] = coerce(declared[name], value, from_text=from_text)
    return values


def file_parameters(values: dict) -> dict[str, list[Path]]:
    """Files named by input-file parameters (``*_path``, ``*_paths``): each existing file, or the
    files of an existing folder (hidden ones left out), within ``MAX_HASHED_FILES``/``_BYTES``."""
    from cscs_eval.io import configured_limit, raise_hint, resolve_path

    max_files = configured_limit("MAX_HASHED_FILES", MAX_HASHED_FILES)
    max_bytes = configured_limit("MAX_HASHED_BYTES", MAX_HASHED_BYTES)
    found, n_files, n_bytes = {}, 0, 0
    for name, value in values.items():
        if not is_file_parameter(name):
            continue
        paths = []
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str) or not item.strip():
                continue
            path = resolve_path(item)
            if path.is_file():
                paths.append(path)
            elif path.is_dir():
                for p in sorted(path.rglob("*")):
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts):
                        paths.append(p)
                        if len(paths) + n_files > max_files:
                            raise UsageError(f"parameter '{name}' names {item}, a folder of more than "
                                             f"{max_files:,} files to checksum; name the files the notebook "
                                             "reads, or "
                                             + raise_hint("MAX_HASHED_FILES", _PARAMS + "MAX_HASHED_FILES"))
        for p in paths:
            n_bytes += p.stat().st_size
        n_files += len(paths)
        if n_bytes > max_bytes:
            raise UsageError(f"the input files named by the parameters hold more than {max_bytes:,} bytes "
                             "to checksum; name only the files the notebook reads, or "
                             + raise_hint("MAX_HASHED_BYTES", _PARAMS + "MAX_HASHED_BYTES"))
        if paths:
            found[name] = paths
    return found


def check_input_files(values: dict) -> None:
    """An input-file parameter (``*_path``, ``*_paths``) naming nothing that exists is a data error
    before anything runs."""
    from cscs_eval.io import resolve_path

    for name, value in values.items():
        if not is_file_parameter(name):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip() and not resolve_path(item).exists():
                raise InputError(f"parameter '{name}' names {item}, which does not exist; "
                                 "give the path of an existing file or folder")
