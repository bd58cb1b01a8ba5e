"""One vocabulary across the package (README, "One house"): read from the public signatures, the
command-line parsers, the notebooks' parameters and the source itself, so a drift fails here."""

import argparse
import ast
import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

from cscs_eval.cli import build_parser
from cscs_eval.results import Result

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cscs_eval"
CAPABILITIES = ("cfir", "proms", "lightning", "logic_model", "progress", "benefits")
SHARED = ("io", "dates", "stats", "governance", "results", "reporting")
#: Words that mean "grouping" and must be spelled ``by``.
GROUPING_WORDS = {"group", "groupby", "group_by", "grouping"}


def _public_functions():
    for name in CAPABILITIES + SHARED:
        module = importlib.import_module(f"cscs_eval.{name}")
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isfunction(obj):
                yield f"cscs_eval.{name}.{attr}", obj


PUBLIC = sorted(_public_functions(), key=lambda item: item[0])


def test_the_public_surface_is_declared():
    for name in CAPABILITIES + SHARED:
        module = importlib.import_module(f"cscs_eval.{name}")
        assert getattr(module, "__all__", None), f"cscs_eval.{name} has no __all__"
        for attr in module.__all__:
            assert hasattr(module, attr), f"cscs_eval.{name}.__all__ names {attr}, which does not exist"


def test_capability_modules_are_private():
    # httpx style: a capability's implementation modules start with "_"; its __init__ is the surface.
    for name in CAPABILITIES:
        public = [p.name for p in (PACKAGE / name).glob("*.py") if not p.name.startswith("_")]
        assert not public, f"cscs_eval.{name} has public modules {public}; name them _module.py"


@pytest.mark.parametrize("qualname, func", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_data_first_then_keyword_only(qualname, func):
    params = list(inspect.signature(func).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    # Positional parameters are the data (and where a function writes, its destination): required.
    with_default = [p.name for p in positional if p.default is not p.empty]
    assert not with_default, f"{qualname}: options {with_default} must be keyword-only (after *)"
    names = {p.name for p in params}
    assert not names & GROUPING_WORDS, f"{qualname}: grouping is spelled by=, not {names & GROUPING_WORDS}"
    if "suppress" in names:
        suppress = inspect.signature(func).parameters["suppress"]
        assert suppress.default is True, f"{qualname}: suppress must default to True (privacy by default)"


def _result_types():
    for name in CAPABILITIES + ("evaluation",):
        importlib.import_module(f"cscs_eval.{name}")
    seen, todo = [], list(Result.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(seen, key=lambda c: c.__qualname__)


def test_every_result_has_table_summary_and_text():
    types = _result_types()
    assert len(types) >= 8, [t.__name__ for t in types]
    for cls in types:
        assert "table" in getattr(cls, "__dataclass_fields__", {}) or isinstance(
            getattr(cls, "table", None), property), f"{cls.__qualname__} has no table"
        assert cls.text is not Result.text, f"{cls.__qualname__} does not say its sentence (text())"
        assert not hasattr(cls, "describe"), f"{cls.__qualname__}.describe(): call it text()"


def _subparsers(parser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield path + (name,), sub
                yield from _subparsers(sub, path + (name,))


COMMANDS = list(_subparsers(build_parser()))


@pytest.mark.parametrize("path, parser", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_line_vocabulary(path, parser):
    options = parser._option_string_actions
    assert "summary" not in path, "one verb: summarise"
    if "--to" in options:
        assert options["--to"].choices, f"{' '.join(path)} --to must be a format with choices, not a path"
    if "--out" in options:
        assert options["--out"].metavar in ("FILE", "DIR", "PATH"), f"{' '.join(path)} --out is a path"
    assert "--suppress" not in options, "suppression is on by default; --no-suppress turns it off"
    if "--no-suppress" in options:
        assert options["--no-suppress"].dest == "suppress"
    for flag in ("--debug", "--encoding"):
        assert flag in options, f"{' '.join(path)} does not accept {flag}"


def _notebook_parameters():
    from cscs_eval.reporting.params import notebook_parameters

    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for name, param in notebook_parameters(nb).items():
            yield nb.stem, name, param


def test_notebook_parameters_share_names_and_types():
    types = {}
    for nb, name, param in _notebook_parameters():
        assert not name.endswith(("_file", "_dir", "_files")) or name == "output_dir", \
            f"{nb}: input files end in _path or _paths, not {name}"
        assert name not in GROUPING_WORDS - {"group_by"}, f"{nb}: {name}"
        types.setdefault(name, {})[nb] = param.type
        if name == "team":
            assert param.default == "", f"{nb}: team defaults to '' for all teams"
        if name == "suppress":
            assert param.default is True, f"{nb}: suppress defaults to True"
    clashes = {n: t for n, t in types.items() if len(set(t.values())) > 1}
    assert not clashes, f"a parameter name with two types: {clashes}"


def _source_files():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_no_run_state_in_dataframe_attrs():
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in _source_files()
            for i, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"(?<!DataFrame)\.attrs\b", line)]
    assert not hits, f"DataFrame.attrs used at {hits}; return a result object instead"


def test_small_numbers_are_decided_only_by_governance():
    # "< 5" or ">= 5" next to a count is the small-number rule written out again.
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in _source_files()
            if p.name != "governance.py" and "governance" not in p.parts
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if re.search(r"(< 5|>= 5)(?![\d.])", line) and not line.strip().startswith("#")]
    assert not hits, "small-number tests belong in cscs_eval.governance:\n" + "\n".join(hits)


def test_one_palette():
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in _source_files() if p.name != "style.py"
            for i, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"#[0-9A-Fa-f]{6}\b", line)]
    assert not hits, f"colours belong in cscs_eval/reporting/style.py: {hits}"


def test_yaml_only_through_the_one_loader():
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in _source_files() if p.name != "io.py"
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if re.search(r"yaml\.(safe_load|load|compose|full_load|unsafe_load)\b", line)]
    assert not hits, f"read YAML with cscs_eval.io.load_yaml/read_yaml: {hits}"


def test_errors_raised_at_users_are_the_package_s_own():
    hits = []
    for p in _source_files():
        tree = ast.parse(p.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                    getattr(node.exc.func, "id", None) in ("ValueError", "TypeError", "KeyError"):
                hits.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert not hits, f"raise InputError or UsageError (cscs_eval.errors) instead: {hits}"


def test_notebooks_declare_the_project_kernel_and_one_parameters_cell():
    # JupyterLab opens them in the project's Python, not whatever "python3" is on the machine.
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        data = json.loads(nb.read_text())
        assert (data["nbformat"], data["nbformat_minor"]) >= (4, 5) and all("id" in c for c in data["cells"]), nb.name
        assert data["metadata"]["kernelspec"] == {"display_name": "Python (cscs-eval)", "language": "python",
                                                  "name": "cscs-eval"}, nb.name
        tagged = [c for c in data["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, nb.name
