"""Construct suggestions: obvious passages rank the obvious code first, the result's shape, only codable
codes are offered, the project's coding changes the ranking, and nothing is ever coded by it."""

from pathlib import Path

import pandas as pd
import pytest

from cscs_eval.cfir import codebook, load_coding
from cscs_eval.cfir._suggest import (LEXICON_PATH, Suggester, Suggestions, embeddings_available, load_lexicon,
                                     stem, suggest, tokenize, uncoded_passages)
from cscs_eval.errors import InputError, UsageError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "cfir"

#: Hand-made passages (written for this test, in no other file) and the code each plainly speaks to.
OBVIOUS = [
    ("We ran a pilot on one ward for a month, so we could drop it if it did not suit us.", "I.E"),
    ("The chief executive and the trust board backed the programme from the start.", "IV.R.A"),
    ("The electronic patient record has nowhere to store the scores, so the software needs changing.", "III.A.2"),
    ("Covid and the lockdown put everything on hold for six months.", "II.A"),
    ("Service users with lived experience co-designed the leaflet with us.", "V.F.2"),
    ("The licence fee is expensive and the running costs are more than the service can afford.", "I.H"),
    ("Staff are burnt out, morale is low and nobody seems to look after staff wellbeing.", "III.D.3"),
    ("There are too many competing priorities, so this initiative is on the back burner.", "III.G"),
    ("Clinicians had a workshop and an e-learning module, and the guidance is easy to find.", "III.K"),
    ("Being measured against national targets and key performance indicators pushed us to start.", "II.G.3"),
]

CODABLE = set(codebook(levels=("construct", "subconstruct"))["id"])

EMBEDDINGS = [False] + ([True] if embeddings_available() else [])


def notes(tmp_path, name, case, body):
    path = tmp_path / name
    path.write_text(f"---\ncase: {case}\nsource: interview\ncoder: AB\n---\n\n{body}", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("embeddings", EMBEDDINGS)
@pytest.mark.parametrize("passage, expected", OBVIOUS)
def test_obvious_passages_rank_the_obvious_code_first(passage, expected, embeddings):
    table = suggest([passage], embeddings=embeddings).table
    assert table["construct_id"].iloc[0] == expected, table[["construct_id", "score", "evidence"]]


def test_the_result_has_one_row_per_passage_and_candidate():
    passages = pd.Series([p for p, _ in OBVIOUS[:4]], index=["p1", "p2", "p3", "p4"])
    result = suggest(passages, top=5, embeddings=False)
    assert isinstance(result, Suggestions)
    t = result.table
    assert len(t) == 4 * 5
    assert list(t.columns) == ["passage_id", "passage", "rank", "construct_id", "construct", "domain", "score",
                               "codebook_score", "coded_score", "evidence"]
    assert t.groupby("passage_id")["rank"].apply(list).tolist() == [[1, 2, 3, 4, 5]] * 4
    assert list(dict.fromkeys(t["passage_id"])) == ["p1", "p2", "p3", "p4"]
    # scores fall with the rank, and a candidate appears once per passage
    for _, group in t.groupby("passage_id"):
        assert group["score"].is_monotonic_decreasing
        assert group["construct_id"].is_unique
    summary = result.summary()
    assert len(summary) == 4 and list(summary.columns) == ["passage_id", "passage", "suggestions"]
    assert summary["suggestions"].str.count(";").eq(4).all()
    assert "no coding was changed" in result.text() and "4 passage(s)" in result.text()
    assert "Suggestions" in repr(result)


def test_a_passages_table_keeps_its_own_columns_and_ids():
    frame = pd.DataFrame({"passage_id": ["a:3", "a:7"], "file": ["a.md", "a.md"], "line": [3, 7],
                          "passage": [OBVIOUS[0][0], OBVIOUS[1][0]]})
    t = suggest(frame, top=2, embeddings=False).table
    assert list(t.columns[:4]) == ["passage_id", "file", "line", "passage"]
    assert t["line"].tolist() == [3, 3, 7, 7]
    with pytest.raises(InputError, match="'passage' column"):
        suggest(pd.DataFrame({"text": ["x"]}))
    with pytest.raises(InputError, match="unique"):
        suggest(pd.DataFrame({"passage_id": [1, 1], "passage": ["a", "b"]}))


@pytest.mark.parametrize("embeddings", EMBEDDINGS)
def test_every_candidate_is_a_codable_code(embeddings):
    t = suggest([p for p, _ in OBVIOUS] + ["", "Nothing about implementation at all: the weather was fine."],
                top=len(CODABLE), embeddings=embeddings).table
    assert set(t["construct_id"]) == CODABLE  # all 48 constructs and 19 subconstructs, and nothing else
    assert len(CODABLE) == 67
    assert t.groupby("passage_id")["construct_id"].nunique().eq(67).all()
    top_more = suggest(["a pilot"], top=500, embeddings=embeddings).table
    assert len(top_more) == 67  # never more candidates than codable codes


def test_evidence_names_the_cue_words_found():
    t = suggest(["We ran a pilot before rolling it out everywhere."], embeddings=False).table
    assert t["construct_id"].iloc[0] == "I.E"
    assert "'pilot'" in t["evidence"].iloc[0]


@pytest.mark.skipif(not embeddings_available(), reason="the optional wordllama package is not installed")
def test_embeddings_give_evidence_when_no_word_is_shared():
    t = suggest(["Everyone felt unable to voice mistakes without being blamed."], top=67, embeddings=True).table
    assert t["evidence"].str.contains("close in meaning to").any()


@pytest.mark.skipif(embeddings_available(), reason="the optional wordllama package is installed")
def test_requiring_embeddings_without_the_package_is_a_usage_error():
    with pytest.raises(UsageError, match="wordllama"):
        Suggester(embeddings=True)


# ------------------------------------------------------------------------------------------------
PROJECT = """## Theme: Context

The blue folder round happens every Friday and everyone joins in. [[Culture +1]]

The blue folder round is how the ward shares its worries and its wins. [[Culture +2]]

Ward sisters guard the blue folder round and newcomers learn it in their first week. [[Culture +1]]
"""


def test_coded_excerpts_change_the_ranking(tmp_path):
    coding = load_coding(notes(tmp_path, "a.md", "Team A", PROJECT))
    passage = "Nobody on the night shift had heard of the blue folder round."
    for embeddings in EMBEDDINGS:
        cold = suggest([passage], top=67, embeddings=embeddings).table.set_index("construct_id")
        warm = suggest([passage], coding=coding, top=67, embeddings=embeddings).table.set_index("construct_id")
        assert cold.loc["III.D", "rank"] > 1
        assert warm.loc["III.D", "rank"] == 1
        assert warm.loc["III.D", "coded_score"] > 0 and cold.loc["III.D", "coded_score"] == 0
        assert "like coded excerpt" in warm.loc["III.D", "evidence"]
        assert "Team A" in warm.loc["III.D", "evidence"]


def test_the_coding_may_be_given_as_paths_and_is_never_changed(tmp_path):
    path = notes(tmp_path, "a.md", "Team A", PROJECT)
    before = path.read_bytes()
    coding = load_coding(path)
    copy = coding.table.copy(deep=True)
    result = suggest(["the blue folder round again"], coding=coding, embeddings=False)
    pd.testing.assert_frame_equal(coding.table, copy)
    assert path.read_bytes() == before
    from_paths = suggest(["the blue folder round again"], coding=[path], embeddings=False)
    pd.testing.assert_frame_equal(result.table, from_paths.table)
    assert result.n_coded == 3 and "3 coded excerpt(s)" in result.text()


def test_a_coded_excerpt_with_a_code_from_the_sample_is_used():
    coding = load_coding(SAMPLE / "notes", aliases=SAMPLE / "aliases.yaml")
    model = Suggester(coding, embeddings=False)
    assert len(model.excerpts) == coding.table["excerpt_id"].nunique()
    assert model.aliases  # the aliases the coding was loaded with join the code documents


def test_aliases_count_as_names_of_their_code():
    passage = "The huddle board ritual came up again."
    plain = suggest([passage], top=67, embeddings=False).table.set_index("construct_id")
    aliased = suggest([passage], top=67, aliases={"huddle board ritual": "Learning-Centeredness"},
                      embeddings=False).table.set_index("construct_id")
    assert aliased.loc["III.D.4", "rank"] == 1 < plain.loc["III.D.4", "rank"]
    assert "alias 'huddle board ritual'" in aliased.loc["III.D.4", "evidence"]


# ------------------------------------------------------------------------------------------------
def test_uncoded_passages_lists_only_paragraphs_without_codes(tmp_path):
    body = """# Heading

First paragraph, coded. [[Culture +1]]

Second paragraph has no code
and runs on to a second line.

- a bullet without a code
- a bullet with one [[Planning +1]]

```
[[not a code]] inside a fence
```
"""
    path = notes(tmp_path, "n.md", "Team B", body)
    got = uncoded_passages(path)
    assert got["passage"].tolist() == ["Second paragraph has no code and runs on to a second line.",
                                       "a bullet without a code"]
    assert got["line"].tolist() == [11, 14]
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[10].startswith("Second paragraph") and lines[13] == "- a bullet without a code"
    assert set(got["case"]) == {"Team B"}
    assert got["passage_id"].iloc[0] == f"{path}:11"
    t = suggest(got, embeddings=False).table
    assert set(t["file"]) == {str(path)}
    assert uncoded_passages(tmp_path)["passage"].tolist() == got["passage"].tolist()  # a folder works too


def test_the_sample_notes_have_no_uncoded_paragraphs():
    assert uncoded_passages(SAMPLE / "notes").empty


# ------------------------------------------------------------------------------------------------
def test_the_lexicon_covers_every_codable_code_with_8_to_20_cues():
    lexicon = load_lexicon()
    assert set(lexicon) == CODABLE
    assert all(8 <= len(cues) <= 20 for cues in lexicon.values()), {k: len(v) for k, v in lexicon.items()}
    assert all(len(set(cues)) == len(cues) for cues in lexicon.values())
    header = LEXICON_PATH.read_text(encoding="utf-8")[:1500]
    assert "doi:10.1186/s13012-022-01245-0" in header and "cfirguide.org" in header


def test_a_bad_lexicon_is_refused(tmp_path):
    bad = tmp_path / "lex.yaml"
    bad.write_text("I.Z:\n  name: Nothing\n  cues: [a]\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a codable"):
        load_lexicon(bad)
    bad.write_text("I.A:\n  name: Innovation Cost\n  cues: [a]\n", encoding="utf-8")
    with pytest.raises(InputError, match="codebook calls it"):
        load_lexicon(bad)


def test_a_custom_lexicon_is_used():
    model = Suggester(lexicon={"III.J.2": ["zorblat"]}, embeddings=False)
    assert model.suggest(["The zorblat was full again."]).table["construct_id"].iloc[0] == "III.J.2"


def test_words_are_folded_and_stemmed():
    assert stem("organisation") == stem("organization")
    assert stem("trialled") == stem("trial") == stem("trials")
    assert stem("prioritise") == stem("prioritize")
    assert tokenize("Co-production") == ["co", "product", "coproduct", "co product"]
    assert tokenize("the lack of resources") == ["lack", "resourc", "lack resourc"]


# ------------------------------------------------------------------------------------------------
# The review marker, the command line and the coding report
import subprocess  # noqa: E402
import sys  # noqa: E402

from cscs_eval import cfir  # noqa: E402
from cscs_eval.errors import ValidationError  # noqa: E402

HALF_CODED = PROJECT + """
Nobody on the night shift had heard of the blue folder round.

- The trust board asked for the scores every quarter.
"""


def cli(*args, cwd=None):
    root = Path(__file__).resolve().parents[2]
    return subprocess.run([sys.executable, "-m", "cscs_eval", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**__import__("os").environ, "PYTHONPATH": str(root)})


def test_review_markers_are_written_listed_by_validate_and_refused_by_the_analyses(tmp_path):
    path = notes(tmp_path, "a.md", "Team A", HALF_CODED)
    got = cfir.uncoded_passages(tmp_path)
    assert got["line"].tolist() == [15, 17] and got["end_line"].tolist() == [15, 17]
    result = cfir.suggest(got, coding=cfir.load_coding(path), top=2, embeddings=False)
    assert cfir.write_review_markers(result) == [path]
    lines = path.read_text(encoding="utf-8").split("\n")
    first = result.table[result.table["line"] == 15]["construct"].tolist()
    assert lines[14] == ("Nobody on the night shift had heard of the blue folder round. "
                         + cfir.review_marker(first))
    assert lines[16].startswith("- The trust board asked for the scores every quarter. [[? High-level Leaders; ")
    assert (tmp_path / "a.md.bak").read_text(encoding="utf-8").endswith("every quarter.\n")
    problems = cfir.validate(tmp_path)
    assert problems["column"].tolist() == ["review", "review"] and problems["line"].tolist() == [15, 17]
    assert problems["problem"].iloc[0] == f"suggested codes await review: {cfir.review_marker(first)}"
    with pytest.raises(ValidationError, match="suggested codes await review"):
        cfir.load_coding(tmp_path)
    assert cfir.uncoded_passages(tmp_path).empty  # a paragraph awaiting review is not suggested for again
    # accepting one: '? ' and the other candidates deleted, a rating added; rejecting the other: marker deleted
    lines[14] = f"Nobody on the night shift had heard of the blue folder round. [[{first[0]} -1]]"
    lines[16] = "- The trust board asked for the scores every quarter."
    path.write_text("\n".join(lines), encoding="utf-8")
    assert cfir.validate(tmp_path).empty and len(cfir.load_coding(tmp_path).table) == 4


def test_cfir_suggest_prints_writes_and_the_commands_refuse_markers(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    notes(folder, "a.md", "Team A", HALF_CODED)
    notes(folder, "b.md", "Team B", "Nothing coded here yet about the slow forms.\n")  # no code in the file yet
    done = cli("cfir", "suggest", folder, "--top", "2")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "a.md:15  Nobody on the night shift had heard of the blue folder round."
    assert out[1].startswith("  1. Culture (III.D)  ") and "like coded excerpt" in out[1]
    assert any(line.startswith("b.md:7  Nothing coded here yet") for line in out)
    assert "Top 2 suggested CFIR codes for 3 passage(s)" in done.stderr and "no coding was changed" in done.stderr
    assert not (folder / "a.md.bak").exists()  # nothing written without --write
    table = tmp_path / "suggestions.csv"
    assert cli("cfir", "suggest", folder, "--out", table).returncode == 0
    assert len(pd.read_csv(table)) == 3 * 3
    assert cli("cfir", "suggest", folder, "--write").returncode == 0
    assert "[[? Culture; " in (folder / "a.md").read_text(encoding="utf-8")
    validate = cli("cfir", "validate", folder)
    assert validate.returncode == 1 and validate.stdout.count("[review]: suggested codes await review") == 3
    for command in (["summarise", folder], ["export", folder, "--out", tmp_path / "p.qdpx"]):
        refused = cli("cfir", *command)
        assert refused.returncode == 1 and "suggested codes await review" in refused.stderr, refused.stderr
    again = cli("cfir", "suggest", folder)
    assert again.returncode == 0 and "nothing to suggest" in again.stderr
    assert cli("cfir", "suggest", folder, "--top", "0").returncode == 2


def test_the_coding_report_suggests_codes_for_uncoded_paragraphs(tmp_path):
    notes(tmp_path, "a.md", "Team A", HALF_CODED)
    report = cfir.coding_report([tmp_path])
    table = report.suggestions_table()
    assert table["line"].tolist() == [15, 17] and table.columns.tolist() == ["case", "source", "line", "passage",
                                                                               "suggestions"]
    assert table["suggestions"].iloc[0].startswith("Culture (III.D, ")
    assert report.suggestions_text().startswith("2 paragraphs of the notes carry no code yet")
    sample = cfir.coding_report([SAMPLE / "notes"], aliases=SAMPLE / "aliases.yaml")
    assert sample.suggestions_table() is None and "nothing to suggest" in sample.suggestions_text()
    with pytest.raises(ValidationError, match="await review"):
        cfir.write_review_markers(cfir.suggest(cfir.uncoded_passages(tmp_path), embeddings=False))
        cfir.coding_report([tmp_path])  # the report refuses notes that still hold a review marker
