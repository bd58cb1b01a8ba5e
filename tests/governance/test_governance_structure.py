"""Table structures: JSON round trips and clear errors for structures that cannot be right."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscs_eval.errors import InputError
from cscs_eval.governance import Breakdown, GroupTotal, Parts, Rate, TableStructure

CATS = ("improved", "no_change", "deteriorated")


def full_structure():
    return TableStructure(
        "proms_by_team", key=("measure", "team"), counts=("eligible", "paired", *CATS), latent=CATS,
        rates=(Rate("paired_pct", "paired", "eligible"), *(Rate(f"{c}_pct", c, "paired", decimals=1) for c in CATS)),
        parts=(Parts("paired", CATS),), group_total=GroupTotal("team", "All teams"),
        breakdowns=(Breakdown("other", row={"team": "All teams"}, counts={"paired": "paired"}, match=("measure",),
                              where={"measure": "reqol10"}),),
        labels={"paired_pct": "paired %"})


def test_json_round_trip_keeps_everything():
    s = full_structure()
    text = s.to_json()
    back = TableStructure.from_json(text)
    assert back == s
    assert TableStructure.from_dict(json.loads(text)) == s
    d = s.to_dict()
    assert d["rates"][0] == {"column": "paired_pct", "numerator": "paired", "denominator": "eligible",
                             "scale": "percent", "decimals": 1, "basis": "published"}
    assert d["group_total"] == {"column": "team", "total": "All teams", "counts": [], "complete": True}
    assert d["breakdowns"][0]["row"] == {"team": "All teams"} and d["breakdowns"][0]["counts"] == {"paired": "paired"}
    assert s.label("paired_pct") == "paired %" and s.label("paired") == "paired"


names = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)


@given(st.lists(names, min_size=2, max_size=6, unique=True), st.integers(0, 4), st.sampled_from(["percent", "fraction"]),
       st.booleans(), st.booleans())
def test_round_trip_of_random_structures(counts, decimals, scale, suppressed, secondary):
    rate = Rate("r_" + counts[0], counts[0], counts[1], scale=scale, decimals=decimals)
    s = TableStructure("t", key=("k",), counts=tuple(counts), latent=tuple(counts[2:3]), rates=(rate,),
                       parts=(Parts(counts[1], (counts[0],)),), suppressed=suppressed, secondary=secondary)
    assert TableStructure.from_json(s.to_json()) == s


@pytest.mark.parametrize("make, message", [
    (lambda: TableStructure("t", counts=("a",), rates=(Rate("r", "a", "b"),)), "'b', which is not a count"),
    (lambda: TableStructure("t", counts=("a", "a")), "listed twice"),
    (lambda: TableStructure("t", counts=("a",), latent=("b",)), "latent 'b' is not a count"),
    (lambda: TableStructure("t", counts=("a",), parts=(Parts("a", ("b",)),)), "'b', which is not a count"),
    (lambda: TableStructure("t", key=("team",), counts=("a",), group_total=GroupTotal("group")), "not a key column"),
    (lambda: Rate("r", "a", "b", scale="per mille"), "scale must be one of"),
    (lambda: Rate("r", "a", "b", basis="guess"), "basis must be one of"),
    (lambda: TableStructure(""), "table_id"),
])
def test_impossible_structures_are_refused(make, message):
    with pytest.raises(InputError, match=message):
        make()


def test_bad_json_names_the_file_and_the_problem():
    with pytest.raises(InputError, match="report.structure.json.*not valid JSON"):
        TableStructure.from_json("{", source="report.structure.json")
    with pytest.raises(InputError, match="unknown key"):
        TableStructure.from_dict({"table_id": "t", "colour": "blue"})
    with pytest.raises(InputError, match="version 2 is not supported"):
        TableStructure.from_dict({"table_id": "t", "version": 2})
