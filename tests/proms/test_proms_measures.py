"""Measure definitions as data: bundled files, spellings, user files and checks."""

import pytest

from cscs_eval.errors import InputError, UsageError
from cscs_eval.proms import list_measures, load_measure, measure_registry


@pytest.mark.parametrize("spelling", ["ReQoL-10", "reqol10", "REQOL 10", "ReQoL10"])
def test_reqol_spellings(spelling):
    assert load_measure(spelling).key == "reqol10"


@pytest.mark.parametrize("spelling,key", [("DIALOG", "dialog"), ("Goal Based Outcomes", "gbo"), ("PHQ-9", "phq9"),
                                          ("GAD-7", "gad7"), ("gbo", "gbo")])
def test_other_spellings(spelling, key):
    assert load_measure(spelling).key == key


def test_nhse_definitions():
    # nhsengland/MHSDS 'CMH PROMs /CMH PROMs Dashboard': ReQoL-10 total, threshold 5, clinical below 25;
    # DIALOG items 1-8 threshold 1; GBO each goal threshold 3 (anchors section 0).
    reqol = load_measure("reqol10")
    assert reqol.unit_names() == ["total"]
    total = reqol.score("total")
    assert (total.min, total.max, total.reliable_change, total.cutoff, total.clinical) == (0, 40, 5, 25, "below")
    dialog = load_measure("dialog")
    assert dialog.unit_names() == [f"item {i}" for i in range(1, 9)]
    assert {dialog.score(f"item {i}").reliable_change for i in range(1, 9)} == {1.0}
    assert 8.0 in dialog.excluded_values
    gbo = load_measure("gbo")
    assert gbo.unit_names() == ["goal 1", "goal 2", "goal 3"]
    assert gbo.score("goal 2").reliable_change == 3
    assert gbo.unit_names("research") == ["goal mean"]
    assert dialog.unit_names("research") == ["sqol", "treatment satisfaction"]


def test_talking_therapies_definitions():
    # Fingertips glossary: caseness PHQ-9 >= 10, GAD-7 >= 8; reliable change 6 and 4 (anchors 4.5).
    phq, gad = load_measure("phq9"), load_measure("gad7")
    assert phq.direction == gad.direction == "lower"
    assert (phq.score("total").cutoff, phq.score("total").reliable_change, phq.score("total").max) == (10, 6, 27)
    assert (gad.score("total").cutoff, gad.score("total").reliable_change, gad.score("total").max) == (8, 4, 21)
    assert phq.score("total").clinical == "at or above"


def test_every_bundled_measure_has_sources_and_choices():
    for m in measure_registry().values():
        assert m.sources, m.key
        assert m.choices, m.key


def test_unknown_measure_names_allowed_values():
    with pytest.raises(UsageError, match=r"measure must be one of dialog, gad7, gbo, phq9, reqol10.*'CORE-10'"):
        load_measure("CORE-10")


CORE10 = """
key: core10
name: CORE-10
aliases: [CORE-10, CORE10]
sources: ["user's own notes"]
items: {count: 10, min: 0, max: 4, reversed: [2, 3]}
direction: lower
scores:
  - {name: total, items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], method: sum, max_missing: 1, reliable_change: 6,
     cutoff: 11, clinical: at or above}
units: {nhse: [total]}
"""


def test_user_measure_file(tmp_path):
    path = tmp_path / "core10.yaml"
    path.write_text(CORE10)
    m = load_measure(path)
    assert m.key == "core10" and m.score("total").max == 40
    assert load_measure("CORE-10", extra=[tmp_path]).key == "core10"
    assert "core10" in set(list_measures(extra=path)["measure"])


def test_bad_user_measure_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(CORE10.replace("direction: lower", "direction: up"))
    with pytest.raises(InputError, match="direction must be 'higher' or 'lower'.*'up'"):
        load_measure(path)
    path.write_text(CORE10.replace("nhse: [total]", "nhse: [sum]"))
    with pytest.raises(InputError, match="units.nhse names 'sum'"):
        load_measure(path)


def test_units_option_checked():
    with pytest.raises(UsageError, match="units must be one of nhse, research"):
        load_measure("gbo").unit_names("fancy")


def test_module_doctests():
    import doctest
    import importlib

    for name in ("measures", "data", "results", "scoring", "pairing", "stats", "summary", "export",
                 "talking_therapies", "models", "overview"):
        module = importlib.import_module(f"cscs_eval.proms._{name}")
        failures, _ = doctest.testmod(module)
        assert failures == 0, name
