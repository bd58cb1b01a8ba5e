"""environment.yml must ask for the same packages, at the same lower bounds, as pyproject.toml."""

import re
import tomllib

import yaml

from conftest import ROOT

#: PyPI name -> conda-forge name where they differ.
CONDA_NAMES = {"duckdb": "python-duckdb"}


def _spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9_.-]+)\s*(.*)$", requirement.strip())
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["lab"],
              *project["optional-dependencies"]["dev"]]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_spec(d) for d in env["dependencies"] if isinstance(d, str))
    pip = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    pip_specs = dict(_spec(d) for d in pip if not d.startswith("-e"))
    assert "-e ." in pip, "environment.yml must install the package itself with pip -e ."
    assert env["channels"] == ["conda-forge"]
    assert conda["python"] == "=3.11"
    mismatches = []
    for requirement in wanted:
        name, bound = _spec(requirement)
        conda_name = CONDA_NAMES.get(name, name)
        got = conda.get(conda_name, pip_specs.get(name))
        if got != bound:
            mismatches.append(f"{name}: pyproject {bound!r}, environment.yml {got!r}")
    extra = set(conda) - {CONDA_NAMES.get(_spec(r)[0], _spec(r)[0]) for r in wanted} - {"python", "pip"}
    assert not mismatches, mismatches
    assert not extra, f"environment.yml has packages pyproject.toml lacks: {sorted(extra)}"
