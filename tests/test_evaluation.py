"""The implementation evaluation assembled from the sample: summary sentences and publishable tables."""

import re

import pandas as pd
import pytest

from cscs_eval import evaluation
from cscs_eval.errors import UsageError

SAMPLE = dict(coding_paths=["data/sample/cfir/notes"], aliases_path="data/sample/cfir/aliases.yaml",
              case_ratings_path="data/sample/cfir/case_ratings.csv", themes_path="data/sample/cfir/themes.yaml",
              lightning_path="data/sample/lightning", data_path="data/sample/proms.csv",
              referrals_path="data/sample/referrals.csv", teams_path="data/sample/teams.csv",
              delivery_path="data/public/proms_delivery_overview_2024-11.csv",
              register_path="data/public/cscs_programme_progress_2024-11.csv",
              logic_model_path="data/sample/logic_model.yaml")


@pytest.fixture(scope="module")
def ev():
    return evaluation.assemble(**SAMPLE)


def test_summary_quotes_the_key_numbers(ev):
    text = ev.summary(suppress=True)
    # Team counts from data/sample/teams.csv: 29 of 32 engaged, 12 of 32 trained (as the board report's overview).
    assert "**29 of 32 teams (91%)** were engaged" in text and "**12 of 32 teams (38%)**" in text
    # The board report's headline: 119 of 163 tasks complete or on track = 73%.
    assert "73% of its tasks complete or on track" in text
    reqol = ev.proms_summary.query("measure == 'reqol10' and unit == 'total'").iloc[0]
    shown = int(re.search(r"Of ([\d,]+) eligible referrals", text).group(1).replace(",", ""))
    assert shown % 5 == 0 and abs(shown - reqol["n_eligible"]) <= 2, "published counts are rounded to 5"
    assert f"{100 * reqol['paired_rate']:.0f}% had a paired ReQoL-10 score" in text
    exact = ev.summary(suppress=False)
    assert f"Of {int(reqol['n_eligible']):,} eligible referrals" in exact


def test_strongest_constructs_follow_the_ratings(ev):
    barriers = ev.strongest("barrier", 3)
    ratings = ev.cfir_summary.set_index("construct")["mean_rating"]
    assert all(ratings[b] < 0 for b in barriers)
    assert ratings[barriers[0]] == ratings[ratings.index.isin(barriers)].min()
    with pytest.raises(UsageError, match="kind must be 'facilitator' or 'barrier'"):
        ev.strongest("neutral")


def test_proms_table_is_publishable(ev):
    table = ev.proms_table(suppress=True)
    assert set(table["unit"]) <= set(evaluation.HEADLINE_UNITS)
    counts = [v for v in table["n_paired"] if v != "*"]
    assert all(int(v) % 5 == 0 for v in counts)
    reqol = table[(table["measure"] == "reqol10") & (table["unit"] == "total")].iloc[0]
    assert 0 < float(reqol["paired_rate"]) < 100, "rates are percentages"


def test_findings_sentences(ev):
    # The board report prints 29/32 teams as 90%; 90.6% rounds to 91 (data/public/README.md).
    assert "% of total is published as 90, but 29/32" in ev.delivery_findings()
    # Its workstream tables sum to 144 tasks against a programme total of 163.
    assert "sum to 144 tasks, not 163" in ev.programme_findings()


# ---------------------------------------------------------------- findings by construct, insights, conclusions
FINDINGS = dict(SAMPLE, groups_path="data/sample/cfir/groups.csv", memos_path="data/sample/cfir/memos.md")


@pytest.fixture(scope="module")
def full():
    return evaluation.assemble(**FINDINGS)


def test_findings_headings_show_construct_and_rating_and_quote_the_coding(full):
    findings = full.findings()
    assert findings, "the sample has strong facilitators and barriers"
    coded = set(full.coding.table["excerpt"].astype(str))
    symbols = set(evaluation.SYMBOLS.values())
    for f in findings:
        name, rating = re.fullmatch(r"(.+) \((\S+)\)", f.heading).groups()
        assert rating in symbols and rating == evaluation.SYMBOLS[f.classification], f.heading
        quoted = re.findall(r"“(.+?)”", f.paragraph)
        assert 1 <= len(quoted) <= full.quote_rule.per_construct, f.heading
        assert all(q in coded for q in quoted), f"{f.heading}: a quote that is not a coded excerpt, verbatim"
        # every quote comes from an excerpt coded to this very construct
        mine = set(full.coding.table.loc[full.coding.table["construct_id"] == f.construct_id, "excerpt"])
        assert set(quoted) <= mine, f.heading
    headings = [f.heading for f in findings]
    # The sample's strongest: relative advantage (mean case rating +2, "++") and available resources (-2, "−−").
    assert "Relative advantage (++)" in headings and "Available resources (−−)" in headings
    # A construct that distinguished the cases (Policies & Laws: high cases 2.0, low 0.0) is written up too.
    assert "Policies & laws (+)" in headings


def test_findings_carry_the_evaluator_narrative_from_the_memos(full):
    finding = {f.heading: f for f in full.findings()}["Relative advantage (++)"]
    assert finding.narrative.startswith("Staff could see what PROMs would add.")
    section = full.findings_markdown()
    assert "### Relative advantage (++)\n\nStaff could see" in section


def test_quote_rule_orders_by_strength_cases_and_length():
    excerpts = pd.DataFrame({"excerpt_id": list("abcd"), "case": ["N", "N", "W", "S"],
                             "excerpt": ["one two", "one two three four", "a b c", "x " * 60],
                             "rating_value": [1.0, 2.0, 2.0, 2.0]})
    # strength first: the two +2 excerpts within the word limit (d has 60 words, over 45); neither case has a
    # quote yet, so brevity decides: c (3 words) before b (4).
    assert evaluation.QuoteRule(per_construct=2).choose(excerpts, direction=1)["excerpt_id"].tolist() == ["c", "b"]
    # covering cases before strength: a second quote from a case not yet quoted, though its rating is weaker
    two_cases = pd.DataFrame({"excerpt_id": list("abc"), "case": ["N", "N", "W"], "excerpt": ["p q", "p q r", "s t u v"],
                              "rating_value": [2.0, 2.0, 1.0]})
    assert evaluation.QuoteRule(per_construct=2).choose(two_cases, direction=1)["excerpt_id"].tolist() == ["a", "b"]
    by_case = evaluation.QuoteRule(per_construct=2, order=("cases", "strength", "length"))
    assert by_case.choose(two_cases, direction=1)["excerpt_id"].tolist() == ["a", "c"]
    # length first: the shortest
    short = evaluation.QuoteRule(per_construct=1, order=("length",))
    assert short.choose(excerpts, direction=1)["excerpt_id"].tolist() == ["a"]
    # a barrier's strongest excerpts are its most negative
    barrier = excerpts.assign(rating_value=[-2.0, -1.0, 1.0, -2.0])
    assert evaluation.QuoteRule(per_construct=1).choose(barrier, direction=-1)["excerpt_id"].tolist() == ["a"]
    with pytest.raises(UsageError, match="quotes per construct must be 1, 2 or 3"):
        evaluation.QuoteRule(per_construct=4)
    with pytest.raises(UsageError, match="quote order must list some of strength, cases, length"):
        evaluation.QuoteRule(order=("size",))


def test_insights_and_conclusions_tie_barriers_to_the_logic_model(full):
    insights = full.insights_markdown()
    assert insights.count("**Report ") == 5 and "Put the IT infrastructure in place before training" in insights
    text = full.conclusions_markdown()
    # data/sample/logic_model.yaml: IT infrastructure (III.A.2) is answered by links 1 and 2.
    assert ("Information technology infrastructure was answered by *Develop and organize quality monitoring "
            "systems* and *Paper forms as a stop-gap while the record is delayed* (links 1 and 2") in text
    # Reflecting & evaluating: innovation (-1.5) has no determinant in the sample's logic model.
    assert "No strategy in the logic model answers reflecting & evaluating: innovation" in text
    assert "Recommendations:" in text


def test_a_section_without_its_input_is_left_out():
    bare = evaluation.assemble(coding_paths=[], lightning_path="data/sample/lightning")
    assert bare.has("lightning") and not any(bare.has(s) for s in evaluation.SECTIONS if s != "lightning")
    assert bare.findings() == [] and bare.findings_markdown() == ""
    summary = bare.summary()
    assert "Lightning Reports" in summary and "CFIR" not in summary and "referrals" not in summary
    assert "Lightning Report" in bare.terms() and "Paired score" not in bare.terms()
    nothing = evaluation.assemble(coding_paths=[])
    assert nothing.summary() == "" and nothing.conclusions_markdown() == "" and nothing.terms() == ""


def test_memo_headings_must_name_constructs(tmp_path):
    memo = tmp_path / "memos.md"
    memo.write_text("## Relative Advantage\n\nSeen as better.\n\n## Not a construct at all\n\nText.\n")
    from cscs_eval.errors import InputError

    with pytest.raises(InputError, match=r"row 5.*'Not a construct at all' names no CFIR construct"):
        evaluation.read_memos(memo)
    memo.write_text("## Relative Advantage\n\nSeen as better.\n")
    assert evaluation.read_memos(memo) == {"I.C": "Seen as better."}
