"""Reading, checking and writing logic-model YAML files."""

import textwrap
import warnings

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval.errors import CscsEvalWarning, InputError
from cscs_eval.io import resolve_path
from cscs_eval.logic_model import LocalStrategyWarning, LogicModel, read_logic_model, to_yaml, write_logic_model

SAMPLE = resolve_path("data/sample/logic_model.yaml")

BASE = """\
title: Test model
determinants:
  - {id: D1, construct: III.A.2, label: EPR delayed, valence: strong barrier}
  - {id: D2, construct: Engaging, label: Engaging teams, valence: "++"}
strategies:
  - {id: S1, label: Change record systems}
  - {id: S2, label: identify & prepare champions}
mechanisms:
  - {id: M1, label: Results visible in the record}
  - {id: M2, label: Peers persuade peers}
outcomes:
  implementation:
    - {id: O1, name: Adoption, measure: 91%}
  service:
    - {id: O2, name: Patient-centredness}
  clinical:
    - {id: O3, name: Quality of life}
links:
  - {number: 1, determinant: D1, strategy: S1, mechanism: M1, outcomes: [O1, O2, O3]}
  - {number: 2, determinant: D2, strategy: S2, mechanism: M2, outcomes: [O1]}
"""


def write(tmp_path, text, name="model.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_sample_reads_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = read_logic_model(SAMPLE)
    assert len(model.determinants) == 7 and len(model.links) == 8
    assert {d.valence for d in model.determinants} == {"barrier", "facilitator", "mixed"}
    assert [s.eric for s in model.strategies][:3] == ["Develop and organize quality monitoring systems",
                                                       "Tailor strategies", "Conduct educational meetings"]
    assert model.strategies[-1].is_local and model.strategies[-1].declared_local
    assert {o.type for o in model.outcomes} == {"implementation", "service", "clinical"}
    assert model.path == str(SAMPLE)


def test_base_model_parses_types_and_edges(tmp_path):
    model = read_logic_model(write(tmp_path, BASE))
    d1, d2 = model.determinants
    assert (d1.construct, d1.valence, d1.strength, d1.symbol) == ("III.A.2", "barrier", "strong", "−−")
    assert (d2.construct, d2.valence, d2.strength, d2.symbol) == ("V.F", "facilitator", "strong", "++")
    assert model.strategies[1].eric == "Identify and prepare champions"
    assert model.outcomes[1].name == "Patient-centeredness"
    # Outcomes of a link chain in Proctor's order: implementation -> service -> clinical.
    assert model.edges() == [("D1", "S1", (1,)), ("S1", "M1", (1,)), ("M1", "O1", (1,)), ("O1", "O2", (1,)),
                             ("O2", "O3", (1,)), ("D2", "S2", (2,)), ("S2", "M2", (2,)), ("M2", "O1", (2,))]


def test_round_trip_through_yaml(tmp_path):
    model = read_logic_model(SAMPLE)
    out = write_logic_model(model, tmp_path / "again.yaml")
    again = read_logic_model(out)
    assert again == model
    assert to_yaml(model).startswith("# Implementation Research Logic Model")


def test_link_to_unknown_node_names_link_file_and_line(tmp_path):
    path = write(tmp_path, BASE.replace("mechanism: M2,", "mechanism: M9,"))
    with pytest.raises(InputError) as info:
        read_logic_model(path)
    message = str(info.value)
    assert "link 2 names mechanism 'M9', which is not defined (defined mechanism ids: M1, M2)" in message
    assert str(path) in message and info.value.row == 20  # the line of link 2


def test_path_link_to_unknown_node(tmp_path):
    path = write(tmp_path, BASE + "  - {number: 3, path: [D1, S1, X1]}\n")
    with pytest.raises(InputError, match=r"link 3 names 'X1', which is not a determinant"):
        read_logic_model(path)


def test_cycle_is_an_error_naming_links(tmp_path):
    path = write(tmp_path, BASE + "  - {number: 3, path: [O3, O1]}\n")
    with pytest.raises(InputError) as info:
        read_logic_model(path)
    message = str(info.value)
    assert "links 1, 3 form a cycle O1 -> O2 -> O3 -> O1" in message
    assert str(path) in message and info.value.row == 21  # the line of link 3, which closed it


def test_self_loop_is_a_cycle(tmp_path):
    with pytest.raises(InputError, match="link 3 is a cycle: 'S1' leads to itself"):
        read_logic_model(write(tmp_path, BASE + "  - {number: 3, path: [S1, S1]}\n"))


@pytest.mark.parametrize("old, new, message", [
    ("title: Test model", "title: Test model\ncolour: blue", "the logic model has unknown key(s) 'colour'"),
    ("{id: M1, label: Results visible in the record}", "{id: M1, label: x, weight: 2}",
     "mechanism 'M1' has unknown key(s) 'weight'; allowed keys: id, label, note"),
    ("{number: 1, determinant: D1,", "{number: 1, determinnt: D1,", "link 1 has unknown key(s) 'determinnt'"),
    ("  service:", "  services:", "outcomes has unknown key 'services'"),
    ("{id: M2, label: Peers persuade peers}", "{id: S1, label: Peers persuade peers}",
     "id 'S1' is already used by a strategy"),
    ("{number: 2,", "{number: 1,", "number 1 is used twice"),
    ("valence: strong barrier", "valence: awful", "valence 'awful'; expected one of facilitator, barrier, mixed"),
    ("{id: O1, name: Adoption, measure: 91%}", "{id: O1, name: Popularity}",
     "not one of Proctor's eight implementation outcomes: Acceptability, Adoption"),
    ("{id: O2, name: Patient-centredness}", "{id: O2, name: Speed}", "not one of the six IOM service outcomes"),
    ("{id: S1, label: Change record systems}", "{id: S1, label: EPR work, eric: Change recrd systems}",
     "eric 'Change recrd systems' is not one of the 73 ERIC strategies; did you mean 'Change record systems'"),
    ("construct: III.A.2,", "construct: Wibble,", "determinant 'D1': unknown CFIR construct 'Wibble'"),
    ("determinant: D1, strategy: S1,", "determinant: S1, strategy: S1,",
     "link 1 lists 'S1' as a determinant, but it is a strategy"),
    ("  - {id: M1, label: Results visible in the record}", "  - just text", "mechanisms entry 1 must be a mapping"),
])
def test_bad_files_give_clear_errors(tmp_path, old, new, message):
    assert old in BASE
    with pytest.raises(InputError) as info:
        read_logic_model(write(tmp_path, BASE.replace(old, new, 1)))
    assert message in str(info.value)
    assert "model.yaml" in str(info.value)


def test_yaml_syntax_error_and_empty_file(tmp_path):
    with pytest.raises(InputError, match="not valid YAML"):
        read_logic_model(write(tmp_path, "title: [unclosed\n"))
    with pytest.raises(InputError, match="file is empty"):
        read_logic_model(write(tmp_path, ""))
    with pytest.raises(InputError, match="must be a YAML mapping"):
        read_logic_model(write(tmp_path, "- a\n- b\n"))


def test_yaml_limits_hold_for_a_logic_model(tmp_path):
    # Aliases that would multiply a small file without end, and a key given twice, are refused with the line.
    bomb = "a: &a [x, x]\n" + "".join(f"b{i}: &b{i} [*{'a' if i == 0 else f'b{i - 1}'}, *{'a' if i == 0 else f'b{i - 1}'}]\n"
                                       for i in range(12))
    with pytest.raises(InputError, match="more than 20 YAML aliases") as info:
        read_logic_model(write(tmp_path, bomb))
    assert info.value.row is not None
    with pytest.raises(InputError, match="key 'title' appears twice") as info:
        read_logic_model(write(tmp_path, "title: A\ntitle: B\n"))
    assert info.value.row == 2


def test_yaml_tags_are_not_executed(tmp_path):
    with pytest.raises(InputError, match="not valid YAML"):
        read_logic_model(write(tmp_path, "title: !!python/object/apply:os.system ['echo hi']\n"))


def test_local_strategy_warns_with_its_own_class(tmp_path):
    path = write(tmp_path, BASE.replace("{id: S1, label: Change record systems}", "{id: S1, label: Chnage record systems}"))
    with pytest.warns(LocalStrategyWarning) as record:
        model = read_logic_model(path)
    assert issubclass(LocalStrategyWarning, CscsEvalWarning)
    text = str(record[0].message)
    assert "strategy 'S1' 'Chnage record systems' is not one of the 73 ERIC strategies" in text
    assert "did you mean 'Change record systems'" in text and str(path) in text
    assert model.strategies[0].is_local and model.strategies[0].eric is None


def test_declared_local_strategy_does_not_warn(tmp_path):
    path = write(tmp_path, BASE.replace("{id: S1, label: Change record systems}",
                                        "{id: S1, label: Weekly huddles, local: true}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = read_logic_model(path)
    assert model.strategies[0].is_local


def test_eric_field_keeps_local_wording(tmp_path):
    path = write(tmp_path, BASE.replace("{id: S1, label: Change record systems}",
                                        "{id: S1, label: Build PROMs into Rio, eric: change record systems}"))
    s = read_logic_model(path).strategies[0]
    assert (s.label, s.eric, s.cluster) == ("Build PROMs into Rio", "Change record systems", "Change infrastructure")


def test_outcomes_as_a_list_with_types_and_auto_numbered_links():
    data = yaml.safe_load(BASE)
    data["outcomes"] = [{"id": "O1", "type": "implementation", "name": "uptake"},
                        {"id": "O2", "type": "service", "name": "Equity"},
                        {"id": "O3", "type": "client", "label": "Symptoms (PHQ-9)"}]
    for link in data["links"]:
        del link["number"]
    model = LogicModel.from_dict(data)
    assert [o.name for o in model.outcomes] == ["Adoption", "Equity", "Symptoms (PHQ-9)"]
    assert [link.number for link in model.links] == [1, 2]


def _random_model(draw_ints):
    n_d, n_s, n_m, n_o, links = draw_ints
    kinds = ["implementation", "service", "clinical"]
    data = {
        "determinants": [{"id": f"D{i}", "label": f"d {i}", "valence": "barrier" if i % 2 else "facilitator"}
                         for i in range(n_d)],
        "strategies": [{"id": f"S{i}", "label": "Audit and provide feedback" if i % 2 else "Facilitation"}
                       for i in range(n_s)],
        "mechanisms": [{"id": f"M{i}", "label": f"m {i}"} for i in range(n_m)],
        "outcomes": [{"id": f"O{i}", "type": kinds[i % 3], "name": ["Adoption", "Safety", "Mood"][i % 3]}
                     for i in range(n_o)],
        "links": [{"number": k + 1, "determinant": f"D{d % n_d}", "strategy": f"S{s % n_s}",
                   "mechanism": f"M{m % n_m}", "outcomes": sorted({f"O{o % n_o}" for o in os})}
                  for k, (d, s, m, os) in enumerate(links)],
    }
    return data


model_shapes = st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6), st.integers(1, 7),
                         st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9),
                                            st.lists(st.integers(0, 9), min_size=1, max_size=3)),
                                  min_size=1, max_size=8))


@settings(max_examples=40, deadline=None)
@given(model_shapes)
def test_keyed_links_never_form_cycles_and_round_trip(shape):
    model = LogicModel.from_dict(_random_model(shape))
    assert LogicModel.from_dict(yaml.safe_load(to_yaml(model))) == model
    # Every edge runs forward through the columns, or within the outcome columns in Proctor's order.
    for src, dst, _ in model.edges():
        assert model.column(model.node(src)) < model.column(model.node(dst))


@settings(max_examples=40, deadline=None)
@given(model_shapes)
def test_a_path_back_from_an_outcome_to_its_determinant_is_a_cycle(shape):
    data = _random_model(shape)
    first = data["links"][0]
    data["links"].append({"number": 99, "path": [first["outcomes"][-1], first["determinant"]]})
    with pytest.raises(InputError, match=r"links .*99 form a cycle"):
        LogicModel.from_dict(data)
