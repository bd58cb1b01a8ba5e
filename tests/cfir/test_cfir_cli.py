"""`cscs-eval cfir ...` through the real entry point: output, exit codes, no tracebacks."""

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd

from cscs_eval.io import read_table
import pytest

from cscs_eval.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "cfir"
NOTES, ALIASES = str(SAMPLE / "notes"), str(SAMPLE / "aliases.yaml")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_codebook_csv(capsys):
    code, out, _ = run(capsys, "cfir", "codebook", "--to", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["id", "level", "domain", "name", "parent_id"]
    levels = [r["level"] for r in rows]
    assert (levels.count("domain"), levels.count("construct"), levels.count("subconstruct")) == (5, 48, 19)
    assert {"id": "V.F.2", "level": "subconstruct", "domain": "Implementation Process",
            "name": "Innovation Recipients", "parent_id": "V.F"} in rows


def test_codebook_json_and_crosswalk(capsys):
    code, out, _ = run(capsys, "cfir", "codebook", "--to", "json", "--definitions")
    assert code == 0 and '"definition"' in out
    code, out, _ = run(capsys, "cfir", "codebook", "--crosswalk")
    assert code == 0 and "Cosmopolitanism" in out


def test_codebook_out_writes_a_file(capsys, tmp_path):
    path = tmp_path / "codebook.xlsx"
    code, out, err = run(capsys, "cfir", "codebook", "--out", str(path))
    assert code == 0 and out == "" and "wrote" in err
    assert len(pd.read_excel(path)) == 72


def test_validate_exit_codes(capsys, tmp_path):
    code, out, err = run(capsys, "cfir", "validate", NOTES)
    assert code == 1 and "NHS policy" in out and "fix:" in out and "problem(s)" in err
    assert out.count("fix:") == 12
    code, out, _ = run(capsys, "cfir", "validate", NOTES, "--aliases", ALIASES)
    assert code == 0 and "no problems" in out
    report = tmp_path / "problems.csv"
    code, _, _ = run(capsys, "cfir", "validate", NOTES, "--out", str(report))
    assert code == 1 and len(pd.read_csv(report)) == 12


def test_summarise_to_file_and_printed(capsys, tmp_path):
    out_file = tmp_path / "summary.csv"
    code, _, err = run(capsys, "cfir", "summarise", NOTES, "--aliases", ALIASES, "--case-ratings",
                       str(SAMPLE / "case_ratings.csv"), "--out", str(out_file))
    assert code == 0 and "wrote" in err
    df = pd.read_csv(out_file)
    assert list(df.columns) == ["construct_id", "construct", "domain", "n_excerpts", "n_cases", "mean_rating",
                                "classification"]
    assert df.set_index("construct_id").loc["III.A.2", "classification"] == "strong barrier"
    code, out, _ = run(capsys, "cfir", "summarise", NOTES, "--aliases", ALIASES, "--by-domain")
    assert code == 0 and "Implementation Process" in out


def test_summarise_with_problems_exits_1_and_writes_nothing(capsys, tmp_path):
    out_file = tmp_path / "summary.csv"
    code, _, err = run(capsys, "cfir", "summarise", NOTES, "--out", str(out_file))
    assert code == 1 and "12 problem(s)" in err and "cscs-eval cfir validate" in err
    assert not out_file.exists()


def test_matrix_distinguishing_themes(capsys):
    code, out, _ = run(capsys, "cfir", "matrix", NOTES, "--aliases", ALIASES)
    assert code == 0 and "CMHT North" in out and "Forensic and Rehab" in out
    code, out, _ = run(capsys, "cfir", "distinguishing", NOTES, "--aliases", ALIASES, "--groups",
                       str(SAMPLE / "groups.csv"))
    assert code == 0 and "strongly distinguishing" in out
    code, out, _ = run(capsys, "cfir", "themes", NOTES, "--aliases", ALIASES, "--themes", str(SAMPLE / "themes.yaml"))
    assert code == 0 and "Drivers of implementation" in out


def test_agreement(capsys):
    code, out, _ = run(capsys, "cfir", "agreement", NOTES, str(SAMPLE / "second_coder.csv"), "--aliases", ALIASES)
    assert code == 0 and out.strip().splitlines()[-1].split()[0] == "overall"
    code, out, _ = run(capsys, "cfir", "agreement", NOTES, str(SAMPLE / "second_coder.csv"), "--aliases", ALIASES,
                       "--disagreements")
    assert code == 0 and "only coder B" in out
    code, out, _ = run(capsys, "cfir", "agreement", NOTES, str(SAMPLE / "second_coder.csv"), "--aliases", ALIASES,
                       "--level", "case")
    assert code == 0 and "overall" in out


def test_export_import_convert(capsys, tmp_path):
    qdpx, qdc, sheet = tmp_path / "p.qdpx", tmp_path / "c.qdc", tmp_path / "sheet.csv"
    assert run(capsys, "cfir", "export", NOTES, "--aliases", ALIASES, "--to", "qdpx", "--out", str(qdpx))[0] == 0
    assert run(capsys, "cfir", "export", "--to", "qdc", "--out", str(qdc))[0] == 0
    assert qdc.read_bytes().startswith(b"<?xml")
    assert run(capsys, "cfir", "import", str(qdpx), "--out", str(sheet))[0] == 0
    assert len(pd.read_csv(sheet)) == 80
    notes_dir = tmp_path / "notes"
    assert run(capsys, "cfir", "convert", str(sheet), "--to", "notes", "--out", str(notes_dir))[0] == 0
    assert len(list(notes_dir.glob("*.md"))) == 10


def test_export_and_convert_take_the_format_from_out_when_to_is_omitted(capsys, tmp_path):
    qdpx, qdc = tmp_path / "p.qdpx", tmp_path / "c.qdc"
    assert run(capsys, "cfir", "export", NOTES, "--aliases", ALIASES, "--out", str(qdpx))[0] == 0
    assert zipfile.is_zipfile(qdpx)
    assert run(capsys, "cfir", "export", "--out", str(qdc))[0] == 0 and not zipfile.is_zipfile(qdc)
    sheet, notes_dir = tmp_path / "sheet.tsv", tmp_path / "notes"
    assert run(capsys, "cfir", "convert", NOTES, "--aliases", ALIASES, "--out", str(sheet))[0] == 0
    assert len(pd.read_csv(sheet, sep="\t")) == 80
    assert run(capsys, "cfir", "convert", str(sheet), "--out", str(notes_dir))[0] == 0
    assert len(list(notes_dir.glob("*.md"))) == 10


@pytest.mark.parametrize("argv, said", [
    (["export", NOTES, "--to", "qdc", "--out", "x.qdpx"], "--to qdc writes a file ending in .qdc, but --out is x.qdpx"),
    (["export", NOTES, "--out", "x.zip"], "cannot tell the format from '.zip'; give --to, one of qdpx (.qdpx), "
                                          "qdc (.qdc)"),
    (["export", "--to", "qdpx", "--out", "x.qdpx"], "export --to qdpx needs the coding files"),
    (["convert", NOTES, "--to", "csv", "--out", "x.xlsx"],
     "--to csv writes a file ending in .csv, but --out is x.xlsx"),
    (["convert", NOTES, "--to", "notes", "--out", "x.csv"], "--to notes writes a folder, but --out is x.csv"),
    (["codebook", "--to", "csv", "--out", "x.csv"], "give --to (the format printed) or --out"),
])
def test_to_is_a_format_and_out_a_path(capsys, tmp_path, monkeypatch, argv, said):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "cfir", *argv)
    assert code == 2 and said in err and not list(tmp_path.iterdir())


def test_import_qualcoder_without_and_with_aliases(capsys, tmp_path):
    ref = Path(__file__).resolve().parents[1] / "reference" / "cfir" / "qualcoder_sample_export.qdpx"
    sheet = tmp_path / "qc.csv"
    code, _, err = run(capsys, "cfir", "import", str(ref), "--out", str(sheet))
    assert code == 1 and not sheet.exists()
    assert "3 code(s) are not CFIR constructs and need mapping: 'Isolation' (2 codings), 'Coping' (1 coding)" in err
    aliases = tmp_path / "map.yaml"
    aliases.write_text("Isolation: Relational Connections\nCoping: Capability\n", encoding="utf-8")
    code, _, err = run(capsys, "cfir", "import", str(ref), "--aliases", str(aliases), "--out", str(sheet))
    assert code == 1 and "1 code(s)" in err and "'Community' (2 codings)" in err and "add them to the alias file" in err
    aliases.write_text("Isolation: Relational Connections\nCoping: Capability\nCommunity: II.D\n", encoding="utf-8")
    code, _, _ = run(capsys, "cfir", "import", str(ref), "--aliases", str(aliases), "--out", str(sheet))
    df = pd.read_csv(sheet)
    assert code == 0 and len(df) == 5 and sorted(df["construct"]) == ["II.D", "II.D", "III.B", "III.B", "IV.C.B"]


@pytest.mark.parametrize("argv", [
    ["cfir"], ["cfir", "bogus"], ["cfir", "codebook", "--to", "xml"], ["cfir", "export", "--to", "x.zip"],
    ["cfir", "export", "--to", "qdpx"],  # --out is required
    ["cfir", "summarise", NOTES, "--nope"], ["cfir", "import", "p.qdpx"],  # DESIGN.md: import ... --out FILE
    ["cfir", "agreement", NOTES],
])
def test_usage_errors_exit_2(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and "error" in err


def test_alias_file_problems_are_reported_alone(capsys, tmp_path):
    # a missing or broken alias file would otherwise bury itself under one 'unknown construct' per local name
    code, out, err = run(capsys, "cfir", "validate", NOTES, "--aliases", str(tmp_path / "nope.yaml"))
    assert code == 1 and out.count("fix:") == 1 and "nope.yaml" in out and "not found" in out
    assert "check the path given to --aliases" in out
    broken = tmp_path / "broken.yaml"
    broken.write_text("NHS policy: [Policies\n", encoding="utf-8")
    out_file = tmp_path / "summary.csv"
    code, _, err = run(capsys, "cfir", "summarise", NOTES, "--aliases", str(broken), "--out", str(out_file))
    assert code == 1 and "broken.yaml" in err and "1 problem(s)" in err and "YAML" in err
    assert not out_file.exists()


def test_qdc_export_says_it_ignores_coding_files(capsys, tmp_path):
    code, _, err = run(capsys, "cfir", "export", NOTES, "--to", "qdc", "--out", str(tmp_path / "c.qdc"))
    assert code == 0 and "codebook only" in err and (tmp_path / "c.qdc").exists()


def test_bad_qdpx_import_exits_1_and_writes_nothing(capsys, tmp_path):
    import zipfile

    bad = tmp_path / "evil.qdpx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("project.qde", "<Project xmlns='urn:QDA-XML:project:1.0' name='x' origin='y'/>")
        zf.writestr("../x", "escaped")
    out_file = tmp_path / "sheet.csv"
    code, _, err = run(capsys, "cfir", "import", str(bad), "--out", str(out_file))
    assert code == 1 and "evil.qdpx" in err and "'../x'" in err and "leaves the archive folder" in err
    assert not out_file.exists()
    bomb = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(bomb, "w") as zf:
        zf.writestr("project.qde", '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Project name="&b;"/>')
    code, _, err = run(capsys, "cfir", "import", str(bomb), "--out", str(out_file))
    assert code == 1 and "entities" in err and not out_file.exists()


def test_data_error_names_file_row_column_and_what_was_expected(capsys, tmp_path):
    sheet = tmp_path / "bad.csv"
    sheet.write_text("case,source,excerpt,construct,rating\nA,s,text,Cost,+3\n", encoding="utf-8")
    code, out, err = run(capsys, "cfir", "summarise", str(sheet))
    assert code == 1 and out == ""
    assert "bad.csv, row 2, column 'rating': rating '+3' is not on the CFIR scale; allowed: +2 +1 0 -1 -2" in err
    code, _, err = run(capsys, "cfir", "matrix", NOTES)
    assert code == 1 and "forensic_contact1.md, line 18, column 'construct': unknown CFIR construct" in err


def test_groups_file_errors_name_file_row_and_column(capsys, tmp_path):
    groups = tmp_path / "groups.csv"
    groups.write_text("case,group\nCMHT North,high\nCMHT West,hi\n", encoding="utf-8")
    code, _, err = run(capsys, "cfir", "distinguishing", NOTES, "--aliases", ALIASES, "--groups", str(groups))
    assert code == 1 and "groups.csv, row 3, column 'group': group must be 'high' or 'low', got 'hi'" in err
    groups.write_text("case,group\nCMHT North,high\nCMHT South,low\n", encoding="utf-8")
    code, _, err = run(capsys, "cfir", "distinguishing", NOTES, "--aliases", ALIASES, "--groups", str(groups))
    assert code == 1 and "groups.csv: cases without a group: CMHT West, Forensic and Rehab" in err


def test_reverse_complexity_option(capsys, tmp_path):
    notes = tmp_path / "n.md"
    notes.write_text("---\ncase: A\n---\n\nVery complex forms. [[Complexity ++]]\n", encoding="utf-8")
    for command, plain, flipped in (("summarise", "strong facilitator", "strong barrier"), ("matrix", "+2", "-2")):
        code, out, _ = run(capsys, "cfir", command, str(notes))
        assert code == 0 and plain in out and flipped not in out
        code, out, _ = run(capsys, "cfir", command, str(notes), "--reverse-complexity")
        assert code == 0 and flipped in out and plain not in out


def test_empty_folder_is_named(capsys, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    code, _, err = run(capsys, "cfir", "summarise", str(folder))
    assert code == 1 and f"{folder}: the folder holds no coding sheets" in err


def test_pooled_coders_warning_is_one_line(capsys):
    code, out, err = run(capsys, "cfir", "summarise", NOTES, str(SAMPLE / "second_coder.csv"), "--aliases", ALIASES)
    assert code == 0 and "construct_id" in out
    assert err.strip().splitlines() == [err.strip()] and err.startswith("cscs-eval: warning: 21 excerpt(s)")


def test_encoding_option_reads_windows_1252(capsys, tmp_path):
    # --encoding is the top-level option (accepted after any command); the readers honour it through
    # CSCS_EVAL_ENCODING, which it sets for the run only
    import os

    sheet = tmp_path / "cp.csv"
    sheet.write_bytes("case,source,excerpt,construct,rating\nA,s,caf\u00e9 staff,Cost,-1\n".encode("cp1252"))
    notes = tmp_path / "cp.md"
    notes.write_bytes("---\ncase: A\n---\n\nCaf\u00e9 staff were slow. [[Cost -1]]\n".encode("cp1252"))
    code, out, err = run(capsys, "cfir", "validate", str(sheet), str(notes))
    assert code == 1 and out.count("is not valid utf-8; it looks like Windows-1252") == 2
    code, out, _ = run(capsys, "cfir", "validate", str(sheet), str(notes), "--encoding", "cp1252")
    assert code == 0 and "no problems" in out
    code, out, _ = run(capsys, "cfir", "summarise", str(sheet), "--encoding", "cp1252")
    assert code == 0 and "weak barrier" in out
    code, out, _ = run(capsys, "--encoding", "cp1252", "cfir", "convert", str(notes), "--out", str(tmp_path / "s.csv"))
    assert code == 0 and "Café" in (tmp_path / "s.csv").read_text(encoding="utf-8")
    assert "CSCS_EVAL_ENCODING" not in os.environ
    code, _, err = run(capsys, "cfir", "summarise", str(sheet), "--encoding", "klingon")
    assert code == 2 and "--encoding must be a text encoding such as utf-8 or cp1252, got 'klingon'" in err


def test_convert_notes_to_a_sheet_keeps_every_code(capsys, tmp_path):
    sheet = tmp_path / "sheet.xlsx"
    code, _, err = run(capsys, "cfir", "convert", NOTES, "--aliases", ALIASES, "--to", "xlsx", "--out", str(sheet))
    assert code == 0 and "80 codes" in err
    df = read_table(sheet)  # labelled headers read back as the sheet's column names
    assert list(df.columns) == ["excerpt_id", "case", "source", "excerpt", "construct", "rating", "coder", "memo",
                                "theme"]
    assert len(df) == 80 and df["construct"].str.match(r"^(I|II|III|IV|V)\.").all()  # written as CFIR 2.0 ids
    code, out, _ = run(capsys, "cfir", "validate", str(sheet))
    assert code == 0 and "no problems" in out  # the local names are resolved, so no alias file is needed


def test_validate_checks_a_case_ratings_file_and_recognises_one(capsys, tmp_path):
    ratings = SAMPLE / "case_ratings.csv"
    code, out, _ = run(capsys, "cfir", "validate", str(ratings))
    assert code == 1 and "looks like a case-ratings file" in out and "--case-ratings" in out
    code, out, _ = run(capsys, "cfir", "validate", NOTES, "--aliases", ALIASES, "--case-ratings", str(ratings))
    assert code == 0 and "no problems" in out
    bad = tmp_path / "cr.csv"
    bad.write_text("case,construct,rating,rationale\nCMHT North,Cost,+5,why\n", encoding="utf-8")
    code, out, _ = run(capsys, "cfir", "validate", NOTES, "--aliases", ALIASES, "--case-ratings", str(bad))
    assert code == 1 and "cr.csv:2 [rating]: rating '+5' is not on the CFIR scale" in out


def test_import_writes_the_case_ratings_it_carries(capsys, tmp_path):
    qdpx, sheet, ratings = tmp_path / "p.qdpx", tmp_path / "sheet.csv", tmp_path / "ratings.csv"
    assert run(capsys, "cfir", "export", NOTES, "--aliases", ALIASES, "--case-ratings",
               str(SAMPLE / "case_ratings.csv"), "--out", str(qdpx))[0] == 0
    code, _, err = run(capsys, "cfir", "import", str(qdpx), "--out", str(sheet))
    assert code == 0 and "3 case rating(s)" in err and "--case-ratings-out" in err
    code, _, _ = run(capsys, "cfir", "import", str(qdpx), "--out", str(sheet), "--case-ratings-out", str(ratings))
    assert code == 0
    code, out, _ = run(capsys, "cfir", "matrix", str(sheet), "--case-ratings", str(ratings))
    assert code == 0
    code, original, _ = run(capsys, "cfir", "matrix", NOTES, "--aliases", ALIASES, "--case-ratings",
                            str(SAMPLE / "case_ratings.csv"))
    assert out == original
