"""Tables on disk with their structure: sidecars, Parquet's typed cells, HTML reports, folders, `cscs-eval audit`."""

import pandas as pd
import pytest

from cscs_eval.cli import main
from cscs_eval.errors import InputError
from cscs_eval.governance import (Parts, Rate, TableStructure, audit_path, primary_suppression, protect,
                                  read_report_tables, read_structured_table, structure_script, write_structured_table)

CATS = ("improved", "no_change", "deteriorated")
SHARES = TableStructure(
    "proms_by_team", key=("team",), counts=("paired", *CATS), latent=CATS, parts=(Parts("paired", CATS),),
    rates=tuple(Rate(f"{c}_pct", c, "paired") for c in CATS), labels={"improved_pct": "improved %"})
TRUTH = pd.DataFrame({"team": ["Birchfield", "Abbeydale"], "paired": [23, 40], "improved": [5, 20],
                      "no_change": [17, 15], "deteriorated": [1, 5]})
EXACT = TRUTH.assign(**{f"{c}_pct": 100 * TRUTH[c] / TRUTH["paired"] for c in CATS})


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_round_trip_and_audit_of_a_table_file(tmp_path, ext):
    out = protect(TRUTH, SHARES)
    path = write_structured_table(out.table, out.structure, tmp_path / f"by_team.{ext}")
    assert (tmp_path / "by_team.structure.json").is_file()
    df, structure = read_structured_table(path)
    assert structure == out.structure
    assert df["paired"].astype(str).tolist() == ["25", "40"]
    assert df["deteriorated_pct"].iloc[0] == "*"
    if ext == "parquet":
        raw = pd.read_parquet(path)
        assert raw["deteriorated_pct"].isna().iloc[0] and raw["deteriorated_pct_suppressed"].iloc[0]
        assert str(raw["paired"].dtype) == "Int64"
    result = audit_path(path)
    assert result.table.empty and result.n_tables == 1 and result.text() == "audit: no leaks in 1 table(s)"


def test_the_command_lists_leaks_and_exits_1(tmp_path, capsys):
    leaky = primary_suppression(EXACT, SHARES)
    write_structured_table(leaky.table, leaky.structure, tmp_path / "leaky.csv")
    assert main(["audit", str(tmp_path / "leaky.csv")]) == 1
    printed = capsys.readouterr().out
    assert "table proms_by_team, team=Birchfield, column deteriorated:" in printed
    assert "true value 1;" in printed and "audit:" in printed
    safe = protect(TRUTH, SHARES)
    (tmp_path / "safe").mkdir()
    write_structured_table(safe.table, safe.structure, tmp_path / "safe" / "by_team.csv")
    assert main(["audit", str(tmp_path / "safe")]) == 0
    assert "audit: no leaks in 1 table(s)" in capsys.readouterr().out
    assert main(["audit", str(tmp_path / "leaky.csv"), "--out", str(tmp_path / "leaks.csv")]) == 1
    assert len(pd.read_csv(tmp_path / "leaks.csv")) >= 1


def html_report(tables):
    parts = ["<html><body><h1>Report</h1>"]
    for table, structure in tables:
        shown = table.rename(columns=dict(structure.labels))
        parts += [f"<h2>{structure.table_id}</h2>", structure_script(structure),
                  shown.to_html(index=False, na_rep="")]
    return "\n".join(parts + ["</body></html>"])


def test_html_reports_carry_their_structures(tmp_path, capsys):
    out = protect(TRUTH, SHARES)
    (tmp_path / "report.html").write_text(html_report([(out.table, out.structure)]), encoding="utf-8")
    [(df, structure)] = read_report_tables(tmp_path)[0][0][1]
    assert structure == out.structure and "improved_pct" in df.columns   # the label is mapped back
    assert main(["audit", str(tmp_path / "report.html")]) == 0
    leaky = primary_suppression(EXACT, SHARES)
    (tmp_path / "leaky.html").write_text(html_report([(leaky.table, leaky.structure)]), encoding="utf-8")
    assert main(["audit", str(tmp_path)]) == 1
    assert "leaky.html: table proms_by_team, team=Birchfield, column deteriorated" in capsys.readouterr().out


def test_structure_script_is_safe_inside_html():
    s = TableStructure("</script><b>x", counts=("a",))
    text = structure_script(s)
    assert text.count("</script>") == 1 and "<b>" not in text


def test_a_folder_without_structures_is_an_error(tmp_path, capsys):
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "plain.csv", index=False)
    with pytest.raises(InputError, match="no table with a structure"):
        audit_path(tmp_path)
    assert main(["audit", str(tmp_path)]) == 1
    assert "no table with a structure" in capsys.readouterr().err


def test_unaudited_tables_are_reported(tmp_path, capsys):
    out = protect(TRUTH, SHARES)
    write_structured_table(out.table, out.structure, tmp_path / "by_team.csv")
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "plain.csv", index=False)
    assert main(["audit", str(tmp_path)]) == 0
    assert "1 table file(s) without a structure not audited" in capsys.readouterr().out
