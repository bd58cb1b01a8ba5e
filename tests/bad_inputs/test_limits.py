"""The resource limits: the README's table gives each one's value and how to raise it, and raising works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cscs_eval.cfir import QDPX_LIMITS
from cscs_eval.errors import InputError, UsageError
from cscs_eval.io import YAML_MAX_ALIASES, YAML_MAX_BYTES, YAML_MAX_DEPTH, configured_limit, load_yaml
from cscs_eval.reporting.params import MAX_HASHED_BYTES, MAX_HASHED_FILES

README = Path(__file__).resolve().parents[2] / "README.md"
VALUES = {"cscs_eval.io.YAML_MAX_BYTES": YAML_MAX_BYTES, "cscs_eval.io.YAML_MAX_ALIASES": YAML_MAX_ALIASES,
          "cscs_eval.io.YAML_MAX_DEPTH": YAML_MAX_DEPTH,
          'cscs_eval.cfir.QDPX_LIMITS["member_bytes"]': QDPX_LIMITS["member_bytes"],
          'cscs_eval.cfir.QDPX_LIMITS["total_bytes"]': QDPX_LIMITS["total_bytes"],
          'cscs_eval.cfir.QDPX_LIMITS["members"]': QDPX_LIMITS["members"],
          "cscs_eval.reporting.params.MAX_HASHED_FILES": MAX_HASHED_FILES,
          "cscs_eval.reporting.params.MAX_HASHED_BYTES": MAX_HASHED_BYTES}


def _table() -> dict:
    """README 'Limits' rows: Python name -> (default text, environment variable)."""
    text = README.read_text()
    section = text[text.index("### Limits"):text.index("### Excel files in and out")]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[4].startswith("`cscs_eval"):
            rows[cells[4].strip("`")] = (cells[1], cells[3].strip("`"))
    return rows


def test_the_readme_lists_every_limit_with_its_value_and_variable():
    rows = _table()
    assert set(rows) == set(VALUES)
    for name, (default, variable) in rows.items():
        numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", default)]
        assert VALUES[name] in numbers, (name, default)
        key = re.search(r'QDPX_LIMITS\["(\w+)"\]', name)
        assert variable == "CSCS_EVAL_" + (f"QDPX_{key.group(1).upper()}" if key else name.split(".")[-1]), variable


ALIASES = "a: &a [x]\n" + "".join(f"b{n}: *a\n" for n in range(30))  # 30 aliases, over the default 20


def test_raising_a_limit_lets_the_file_through(monkeypatch):
    with pytest.raises(InputError, match="more than 20 YAML aliases"):
        load_yaml(ALIASES)
    monkeypatch.setenv("CSCS_EVAL_YAML_MAX_ALIASES", "30")
    assert load_yaml(ALIASES)["b29"] == ["x"]
    monkeypatch.delenv("CSCS_EVAL_YAML_MAX_ALIASES")
    monkeypatch.setattr("cscs_eval.io.YAML_MAX_ALIASES", 30)  # the Python way
    assert len(load_yaml(ALIASES)) == 31


@pytest.mark.parametrize("text", ["lots", "0", "-5", "1.5"])
def test_a_limit_that_is_not_a_whole_number_is_a_usage_error(monkeypatch, text):
    monkeypatch.setenv("CSCS_EVAL_YAML_MAX_DEPTH", text)
    with pytest.raises(UsageError, match="CSCS_EVAL_YAML_MAX_DEPTH must be a whole number of 1 or more"):
        configured_limit("YAML_MAX_DEPTH", 40)
