"""The ``cscs-eval:`` line of a REFI-QDA selection's Description: written, read back, read after a person edits it."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscs_eval.cfir import format_description, parse_description
from cscs_eval.cfir._refi_description import DescriptionFields


def test_the_line_a_person_reads():
    text = format_description("+2", theme="Drivers of implementation", excerpt_id="xaa93dcdb1c7cae7d",
                              memo="Said by two staff.")
    assert text == ("cscs-eval: rating=+2; theme=Drivers of implementation; excerpt=xaa93dcdb1c7cae7d\n"
                    "Said by two staff.")
    assert parse_description(text) == DescriptionFields("+2", "Drivers of implementation", "xaa93dcdb1c7cae7d",
                                                        "Said by two staff.", True)


def test_only_what_is_given_is_written():
    assert format_description("M") == "cscs-eval: rating=M"
    assert parse_description("cscs-eval: rating=M") == DescriptionFields(rating="M", has_header=True)


@pytest.mark.parametrize("value, written", [
    ("Early days; before launch", '"Early days; before launch"'),
    ('"quoted" theme', '"\\"quoted\\" theme"'),
    ("back\\slash", '"back\\\\slash"'),
    ("two\nlines", '"two\\nlines"'),
    (" padded ", '" padded "'),
    ("a=b", "a=b"),            # '=' needs no quotes: a value runs to the next ';'
    ("Über 😀 “curly”", "Über 😀 “curly”"),
])
def test_values_are_quoted_only_when_they_must_be(value, written):
    text = format_description("+1", theme=value)
    assert text == f"cscs-eval: rating=+1; theme={written}"
    assert parse_description(text).theme == value


def test_a_description_without_the_line_is_all_memo():
    # a coding memo written in QualCoder, or by any other client
    got = parse_description("Staff said this twice.\nSee the end-point notes.")
    assert got == DescriptionFields(memo="Staff said this twice.\nSee the end-point notes.")
    assert parse_description(None) == DescriptionFields() == parse_description("")


def test_edits_a_person_makes_in_a_client_are_read():
    # the memo typed above the line, spaces and case changed, fields reordered, an unknown field added,
    # a rating in the table notation and Windows line ends
    text = "I changed my mind.\r\n  CSCS-EVAL:  excerpt = E7 ;Rating=  ++ ; colour=red; theme =Late\r\nSecond line."
    assert parse_description(text) == DescriptionFields("++", "Late", "E7", "I changed my mind.\nSecond line.", True)


def test_only_the_first_line_is_the_header():
    text = format_description("0", memo="cscs-eval: rating=+2 is what the team said")
    got = parse_description(text)
    assert got.rating == "0" and got.memo == "cscs-eval: rating=+2 is what the team said"


def test_a_blank_memo_is_none():
    assert parse_description("cscs-eval: rating=+1\n\n  \n").memo is None


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=30)


@settings(deadline=None)
@given(rating=st.sampled_from(["+2", "+1", "0", "-1", "-2", "X", "M"]), theme=_text, excerpt=_text, memo=_text)
def test_every_value_comes_back(rating, theme, excerpt, memo):
    got = parse_description(format_description(rating, theme=theme, excerpt_id=excerpt, memo=memo))
    assert got.has_header and got.rating == rating
    assert got.theme == (theme or None) and got.excerpt_id == (excerpt or None)
    assert got.memo == (memo if memo.strip() else None)
