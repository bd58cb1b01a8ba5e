import datetime as dt
from pathlib import Path

import pytest

from cscs_eval.errors import InputError
from cscs_eval.lightning import SECTIONS, parse_report, read_report

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "lightning"

HEAD = """---
title: Report A
project: Proj
period: May 2024
date: 2024-05-01
contacts: [Lead, Manager]
data_collection_status: interview 1 of 2
---
"""


def body(plus="- Works well. [[Engaging +2]]", delta="- Late system. [[Information Technology Infrastructure -2]]"):
    return f"## Summary\nAll fine.\n\n## Plus\n{plus}\n\n## Delta\n{delta}\n\n## Insights\n- An idea.\n"


def write(tmp_path, text, name="r.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_reports_parse_with_codes():
    paths = sorted(SAMPLE.glob("*.md"))
    assert 4 <= len(paths) <= 6
    for p in paths:
        r = read_report(p)
        assert r.plus and r.delta and r.insights and r.summary
        assert all(i.codes for i in r.plus + r.delta)  # every Plus and Delta bullet is coded
    r = read_report(SAMPLE / "2023-10-lightning-report-1.md")
    assert r.date == dt.date(2023, 10, 12)
    assert r.contacts == ["Clinical Outcomes Lead", "Programme manager", "Clinical effectiveness manager"]
    first = r.plus[0]
    assert first.text.startswith("NHS England now expects") and "[[" not in first.text
    assert [(c.construct_id, c.construct, c.rating) for c in first.codes] == [("II.E", "Policies & Laws", "+2")]
    engaging = r.plus[2].codes[0]
    assert (engaging.construct_id, engaging.memo) == ("V.F", "service users as co-trainers")
    assert first.line == 19  # the bullet's line in the file


def test_codes_and_coding_sheet(tmp_path):
    text = HEAD + body(plus="- A. [[Engaging +2; Teaming +]]\n- B without code")
    r = read_report(write(tmp_path, text))
    c = r.codes()
    assert c[["section", "construct_id", "rating"]].values.tolist() == [
        ["plus", "V.F", "+2"], ["plus", "V.A", "+1"], ["delta", "III.A.2", "-2"]]
    sheet = r.coding_sheet()
    assert list(sheet.columns[:5]) == ["case", "source", "excerpt", "construct", "rating"]
    assert sheet["case"].unique().tolist() == ["Proj"] and sheet["source"].iloc[0] == "r.md"


def test_bullet_continuation_lines_join(tmp_path):
    r = parse_report(HEAD + body(plus="- first line\n  second line [[Engaging\n +2]]\n* next"))
    assert [i.text for i in r.plus] == ["first line second line", "next"]
    assert r.plus[0].codes[0].rating == "+2"


@pytest.mark.parametrize("text, line, words", [
    (HEAD + "## Summary\nx\n## Plus\n- a\n## Insights\n- c\n", 13, "missing section(s) Delta"),
    (HEAD + "## Summary\nx\n## Plus\n- a\n## Delta\n- b\n", 15, "missing section(s) Insights"),
    (HEAD + "## Summary\nx\n## Next steps\n- a\n", 11, "unknown section 'Next steps'"),
    (HEAD + "## Summary\nx\n## Plus\n## plus\n", 12, "section Plus appears twice"),
    (HEAD + "Intro text\n## Summary\n", 9, "text before the first section"),
    (HEAD.replace("date: 2024-05-01\n", "") + body(), 7, "front matter lacks date"),
    (HEAD.replace("2024-05-01", "31st of May") + body(), 5, "column 'date': '31st of May' is not a date"),
    ("# no front matter\n" + body(), 1, "starts with YAML front matter"),
    (HEAD + body(plus="- a [[Enthusiasm +2]]"), 13, "unknown CFIR construct 'Enthusiasm'"),
])
def test_bad_files_name_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as exc:
        read_report(path)
    msg = str(exc.value)
    assert words in msg
    assert exc.value.file == str(path) and exc.value.row == line
    assert msg.startswith(f"{path}, row {line}")


def test_missing_section_lists_allowed_sections(tmp_path):
    with pytest.raises(InputError, match="Summary, Plus, Delta, Insights"):
        parse_report(HEAD + "## Summary\nx\n")


def test_heading_variants_and_empty_sections():
    text = HEAD + "# Executive summary\nx\n### Plus: what works\n## Delta (what to change)\n## Insight\n"
    r = parse_report(text)
    assert r.plus == [] and r.delta == [] and r.insights == [] and r.summary[0].text == "x"
    assert SECTIONS == ("summary", "plus", "delta", "insights")


def test_uk_date_and_string_contacts():
    r = parse_report(HEAD.replace("2024-05-01", "'31/05/2024'").replace("[Lead, Manager]", "Lead; Manager") + body())
    assert r.date == dt.date(2024, 5, 31) and r.contacts == ["Lead", "Manager"]


def test_yaml_is_safe_loaded():
    evil = HEAD.replace("title: Report A", "title: !!python/object/apply:os.system ['echo hi']")
    with pytest.raises(InputError, match="not valid YAML"):
        parse_report(evil + body())


def test_aliases_for_local_construct_names(tmp_path):
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text("Rio delays: Information Technology Infrastructure\n", encoding="utf-8")
    r = read_report(write(tmp_path, HEAD + body(delta="- x [[Rio delays -2]]")), aliases=aliases)
    assert r.delta[0].codes[0].construct_id == "III.A.2"


def test_stray_code_bracket_is_an_error_with_its_line(tmp_path):
    # issue 11: '- Late system. [[...]] ]]' kept ']]' in the bullet's text
    text = HEAD + body(delta="- Late system. [[Information Technology Infrastructure -2]] ]]")
    with pytest.raises(InputError) as err:
        read_report(write(tmp_path, text))
    line = text.split("\n").index("- Late system. [[Information Technology Infrastructure -2]] ]]") + 1
    assert err.value.row == line
    assert "a ']]' with no '[[' before it" in err.value.message
