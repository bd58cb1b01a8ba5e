"""The CFIR 2.0 codebook, the crosswalk and construct lookup."""

import csv
from pathlib import Path

import pytest

from cscs_eval.cfir import codebook, crosswalk, cfir1_constructs, load_aliases, resolve_construct
from cscs_eval.errors import InputError

REF = Path(__file__).resolve().parents[1] / "reference" / "cfir"


def test_counts_match_the_2022_article():
    # Damschroder et al. 2022: 48 constructs and 19 subconstructs in 5 domains (reference README)
    counts = codebook()["level"].value_counts().to_dict()
    assert counts == {"domain": 5, "construct": 48, "subconstruct": 19}


def test_names_and_letters_match_reference_table():
    with open(REF / "cfir2_constructs.csv", encoding="utf-8") as fh:
        ref = list(csv.DictReader(fh))
    cb = codebook().set_index("id")
    expected = {}
    for r in ref:
        dom = r["domain"].split(".")[0]
        if r["subdomain"]:
            cid = f"{dom}.{'R' if r['subdomain'] == 'Roles' else 'C'}.{r['letter']}"
        else:
            cid = f"{dom}.{r['letter']}"
        if r["subletter"]:
            expected[f"{cid}.{r['subletter']}"] = r["subconstruct"]
        else:
            expected[cid] = r["construct"]
    got = cb.loc[cb["level"] != "domain", "name"].to_dict()
    assert got == expected


def test_parents_and_individuals_subdomains():
    cb = codebook().set_index("id")
    assert cb.loc["IV.R.H", "parent_id"] == "IV" and cb.loc["IV.R.H", "subdomain"] == "Roles"
    assert cb.loc["IV.C.D", "name"] == "Motivation" and cb.loc["IV.C.D", "subdomain"] == "Characteristics"
    assert cb.loc["V.F.2", "parent_id"] == "V.F"
    assert cb.loc["V.F.2", "label"] == "Engaging: Innovation Recipients"
    subs = cb[cb["level"] == "subconstruct"]
    assert (cb.loc[subs["parent_id"], "level"] == "construct").all()
    assert cb["label"].is_unique


def test_every_definition_is_own_words_and_not_empty():
    cb = codebook()
    assert cb["definition"].str.len().gt(20).all()


def test_crosswalk_is_many_to_many_with_known_relations():
    cw = crosswalk()
    assert set(cw["relation"]) <= {"renamed", "split", "merged", "relocated", "unchanged"}
    ids = set(codebook()["id"])
    assert set(cw["cfir2_id"]) <= ids
    # every CFIR 1.0 construct has at least one link (anchors section 1.5)
    assert set(cfir1_constructs()["id"]) == set(cw["cfir1_id"])
    assert len(cw[cw["cfir1_name"] == "External Policy & Incentives"]) == 3  # split
    assert len(cw[cw["cfir2_id"] == "IV.R.E"]) == 2  # merged: formal leaders and champions
    assert cw.loc[cw["cfir1_name"] == "Cosmopolitanism", "cfir2_id"].tolist() == ["II.D"]
    assert cw.loc[cw["cfir1_name"] == "Peer Pressure", "cfir2_id"].tolist() == ["II.G.2"]


@pytest.mark.parametrize("text,expected", [
    ("I.F", "I.F"), ("i.f", "I.F"), ("IV.R.H", "IV.R.H"), ("V.F.2", "V.F.2"),
    ("Innovation Complexity", "I.F"), ("complexity", "I.F"), ("COMPLEXITY", "I.F"),
    ("Partnerships and Connections", "II.D"), ("partnerships & connections", "II.D"),
    ("Performance Measurement Pressure", "II.G.3"), ("Innovation Evidence Base", "I.B"),
    ("evidence-base", "I.B"), ("Access to Knowledge and Information", "III.K"),
    ("Recipient-Centredness", "III.D.2"),
    # CFIR 1.0 names through the crosswalk
    ("Cosmopolitanism", "II.D"), ("Evidence Strength & Quality", "I.B"), ("Executing", "V.G"),
    ("Learning Climate", "III.D.4"), ("Champions", "IV.R.E"), ("Engaging: Opinion Leaders", "IV.R.C"),
    ("Intervention Source", "I.A"),
    # shared names: bare = the role; Parent: Name = the subconstruct
    ("Innovation Recipients", "IV.R.I"), ("Engaging: Innovation Recipients", "V.F.2"),
    ("Assessing Needs: Innovation Deliverers", "V.B.1"), ("Reflecting & Evaluating: Innovation", "V.H.2"),
    ("Available Resources: Funding", "III.J.1"),
])
def test_resolve(text, expected):
    assert resolve_construct(text) == expected


def test_split_cfir1_name_asks_to_choose():
    with pytest.raises(InputError) as err:
        resolve_construct("External Policy & Incentives")
    msg = str(err.value)
    assert "split" in msg and "Policies & Laws (II.E)" in msg and "Financing (II.F)" in msg and "II.G.3" in msg


def test_unknown_name_offers_three_nearest():
    with pytest.raises(InputError) as err:
        resolve_construct("Relatve advantge")
    msg = str(err.value)
    assert "nearest" in msg and "'Innovation Relative Advantage'" in msg and msg.count("', '") == 2


def test_domain_is_not_a_code():
    for text in ("III", "Inner Setting", "Innovation"):
        with pytest.raises(InputError, match="domain"):
            resolve_construct(text)


def test_unknown_subconstruct_lists_the_real_ones():
    with pytest.raises(InputError) as err:
        resolve_construct("Available Resources: Time")
    assert "Funding, Space, Materials & Equipment" in str(err.value)


def test_aliases_file_and_mapping(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text('NHS policy: Policies & Laws\nIT: III.A.2\nCo-production: "Engaging: Innovation Recipients"\n',
                    encoding="utf-8")
    aliases = load_aliases(path)
    assert resolve_construct("nhs POLICY", aliases=aliases) == "II.E"
    assert resolve_construct("IT", aliases=aliases) == "III.A.2"
    assert resolve_construct("Co-production", aliases=str(path)) == "V.F.2"
    assert resolve_construct("NHS policy", aliases={"NHS policy": "II.E"}) == "II.E"


def test_alias_with_bad_target_names_alias_and_file(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text("Money: Fundng stuff\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_aliases(path)
    assert "alias 'Money'" in str(err.value) and str(path) in str(err.value)


def test_alias_file_must_be_a_mapping(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InputError, match="mapping"):
        load_aliases(path)


def test_cfirguide_individuals_letters():
    # cfirguide letters Roles IV.A-IV.I and Characteristics IV.A-IV.D separately (anchors section 1.3)
    assert resolve_construct("IV.E") == "IV.R.E" and resolve_construct("iv.i") == "IV.R.I"
    with pytest.raises(InputError) as err:
        resolve_construct("IV.A")
    msg = str(err.value)
    assert "fits several" in msg and "High-level Leaders (IV.R.A)" in msg and "Need (IV.C.A)" in msg


def test_nearest_names_understand_abbreviations():
    with pytest.raises(InputError) as err:
        resolve_construct("IT infrastructure")
    assert "nearest: 'Information Technology Infrastructure'," in str(err.value)


def test_nearest_names_are_cfir2_constructs():
    # a misspelt CFIR 1.0 name leads to its CFIR 2.0 construct; a 1.0 name that 2.0 split is never offered
    with pytest.raises(InputError) as err:
        resolve_construct("Cosmopolitansm")
    assert "nearest: 'Partnerships & Connections'," in str(err.value)
    with pytest.raises(InputError) as err:
        resolve_construct("NHS policy")
    assert "nearest: 'Policies & Laws'," in str(err.value) and "CFIR 1.0" not in str(err.value)


def test_unknown_codebook_level_is_a_usage_error():
    from cscs_eval.errors import UsageError

    assert codebook(levels="domain")["id"].tolist() == ["I", "II", "III", "IV", "V"]
    with pytest.raises(UsageError, match="levels must be among domain, construct, subconstruct; got 'constructs'"):
        codebook(levels=("domain", "constructs"))
