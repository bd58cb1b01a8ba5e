"""The inline coding syntax and rating notation (DESIGN.md "Ratings")."""

import pytest
from hypothesis import given, strategies as st

from cscs_eval.cfir import format_codes, normalise_rating, parse_inline_codes
from cscs_eval.errors import InputError


def test_brief_example():
    text = "Staff found the forms slow at first. [[Complexity -1; Available Resources: Time -2 | said by two staff]]"
    clean, codes = parse_inline_codes(text)
    assert clean == "Staff found the forms slow at first."
    assert codes == [("Complexity", "-1", "said by two staff"),
                     ("Available Resources: Time", "-2", "said by two staff")]


def test_code_without_rating_and_without_memo():
    clean, codes = parse_inline_codes("- Leaders backed it [[High-level Leaders]] and more")
    assert clean == "- Leaders backed it and more"
    assert codes == [("High-level Leaders", None, None)]


@pytest.mark.parametrize("token,expected", [("++", "+2"), ("+", "+1"), ("0", "0"), ("-", "-1"), ("--", "-2"),
                                            ("+-", "X"), ("±", "X"), ("X", "X"), ("M", "M"), ("+2", "+2")])
def test_table_notation_inline(token, expected):
    assert parse_inline_codes(f"x [[Culture {token}]]")[1] == [("Culture", expected, None)]


def test_several_blocks_and_unicode_minus():
    _, codes = parse_inline_codes("a [[I.F \u22121]] b [[III.J ++]]")
    assert codes == [("I.F", "-1", None), ("III.J", "+2", None)]


def test_name_ending_in_non_rating_token_kept_whole():
    assert parse_inline_codes("x [[Innovation Cost]]")[1] == [("Innovation Cost", None, None)]


@pytest.mark.parametrize("value,expected", [("++", "+2"), ("+", "+1"), ("-", "-1"), ("--", "-2"), ("+-", "X"),
                                            ("±", "X"), ("x", "X"), ("m", "M"), ("", "M"), (None, "M"),
                                            (2, "+2"), (-1.0, "-1"), (0, "0"), ("1", "+1"), (float("nan"), "M")])
def test_normalise_rating(value, expected):
    assert normalise_rating(value) == expected


@pytest.mark.parametrize("bad", ["+3", "-5", "good", "3", "+++"])
def test_off_scale_rating_names_value_and_allowed(bad):
    with pytest.raises(InputError) as err:
        normalise_rating(bad)
    assert repr(bad) in str(err.value) and "+2 +1 0 -1 -2 X" in str(err.value)


_construct = st.sampled_from(["I.F", "Innovation Complexity", "Engaging: Innovation Recipients", "Culture"])
_rating = st.sampled_from(["+2", "+1", "0", "-1", "-2", "X", None])
_memo = st.one_of(st.none(), st.text(alphabet="abc def,.", min_size=1, max_size=20).filter(lambda s: s.strip()))


@given(st.lists(st.tuples(_construct, _rating), min_size=1, max_size=4), _memo)
def test_format_then_parse_round_trip(codes, memo):
    memo = memo.strip() if memo else None
    full = [(c, r, memo) for c, r in codes]
    clean, back = parse_inline_codes("Some text. " + format_codes(full))
    assert clean == "Some text."
    assert back == full


@pytest.mark.parametrize("text, row, said", [
    # issue 11: a stray ']]' stayed in the excerpt: ('Forms slow. ]]', [('Complexity', '-1', None)])
    ("Forms slow. [[Complexity -1]] ]]", 7, "a ']]' with no '[[' before it (at '...Forms slow. [[Complexity -1]] ]]')"),
    ("Forms slow ]] at first.\nStill. [[Complexity -1]]", 7, "a ']]' with no '[[' before it (at '...Forms slow ]]')"),
    ("Forms slow.\nSo: [[Complexity -1]]]]", 8, "a ']]' with no '[[' before it"),
    ("Forms slow.\n[[Complexity -1 [[Cost -2]]", 8, "a '[[' inside another code block"),
    ("Forms slow.\n\nStill [[Complexity -1", 9, "a '[[' code block is not closed (at '...Forms slow. Still [[')"),
])
def test_misplaced_bracket_is_an_error_with_its_line(text, row, said):
    with pytest.raises(InputError) as err:
        parse_inline_codes(text, file="notes.md", line=7)
    assert (err.value.file, err.value.row) == ("notes.md", row)
    assert said in str(err.value) and "close each code block: [[Construct rating; ... | memo]]" in str(err.value)
