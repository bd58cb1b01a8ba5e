"""Reading tables: every problem names the file and row; writing: atomic, never into data/raw."""

import pandas as pd
import pytest

from cscs_eval.errors import InputError, UsageError
from cscs_eval.io import atomic_write, read_table, read_yaml, resolve_path, row_number, write_table


def test_csv_columns_are_normalised_and_values_kept_as_text(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Patient ID,Response\nP1,007\nP2,\n", encoding="utf-8")
    df = read_table(path, required=["patient_id"])
    assert list(df.columns) == ["patient_id", "response"]
    assert df["response"].tolist()[0] == "007" and pd.isna(df["response"].tolist()[1])
    assert row_number(df, 1) == 3


def test_windows_1252_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_bytes("case,excerpt\nA,fine\nB,caf\u00e9 \u2013 slow\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"notes.csv, row 3: byte 0x\w\w is not valid utf-8; .*Windows-1252"):
        read_table(path)
    assert read_table(path, encoding="cp1252")["excerpt"].tolist()[1] == "caf\u00e9 \u2013 slow"


def test_encoding_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "notes.csv"
    path.write_bytes("case,excerpt\nB,caf\u00e9\n".encode("cp1252"))
    monkeypatch.setenv("CSCS_EVAL_ENCODING", "cp1252")
    assert read_table(path)["excerpt"].tolist() == ["caf\u00e9"]


@pytest.mark.parametrize("content, message", [
    (b"", "file is empty"),
    (b"   \n", "file is empty"),
    (b"case,excerpt\n", "has a header but no data rows"),
    (b"case\nA\n", "missing column\\(s\\) excerpt"),
])
def test_bad_tables(tmp_path, content, message):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(path, required=["case", "excerpt"])


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(UsageError, match="cannot tell the table format"):
        read_table(tmp_path / "x.json")


def test_excel_header_not_on_first_row_is_explained(tmp_path):
    path = tmp_path / "sheet.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Coding sheet for site A"], [None]]).to_excel(writer, index=False, header=False)
        pd.DataFrame({"case": ["A"], "excerpt": ["x"]}).to_excel(writer, index=False, startrow=3)
    with pytest.raises(InputError, match="header seems to be on row 4: choose it with --header-row 4"):
        read_table(path, required=["case", "excerpt"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".tsv"])
def test_write_read_round_trip(tmp_path, suffix):
    df = pd.DataFrame({"team": ["A", "B"], "n": ["1", "2"]})
    path = write_table(df, tmp_path / f"out{suffix}")
    back = read_table(path)
    assert back.astype(str).equals(df.astype(str))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as fh:
            fh.write("half")
            raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_data_raw_is_read_only(tmp_path):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    with pytest.raises(UsageError, match="data/raw is read-only"):
        write_table(pd.DataFrame({"a": [1]}), raw / "x.csv")


def test_yaml_error_names_the_line(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\nb: [2\n")
    with pytest.raises(InputError, match=r"a.yaml, row \d: not valid YAML"):
        read_yaml(path)
    path.write_text("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(InputError, match="not valid YAML"):
        read_yaml(path)


def test_resolve_path_finds_project_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_path("data/sample/proms.csv").is_file()
    assert resolve_path("elsewhere.csv") == resolve_path("elsewhere.csv")


@pytest.mark.parametrize("header, message", [
    ("patient_id,Patient ID,team", "column 'Patient ID' and 'patient_id' are the same column"),
    ("patient_id,team,team", "column 'team' is given twice"),
])
def test_columns_that_collide_are_named(tmp_path, header, message):
    path = tmp_path / "a.csv"
    path.write_text(f"{header}\nP1,P1,A\n")
    with pytest.raises(InputError, match=message):
        read_table(path)


@pytest.mark.parametrize("name, content", [
    ("broken.xlsx", b"PK\x03\x04 not really a zip"),
    ("truncated.xlsx", None),
    ("bad.parquet", b"PAR1 not parquet PAR1"),
])
def test_files_that_are_not_what_they_claim(tmp_path, name, content):
    path = tmp_path / name
    if content is None:  # a real workbook cut short, as an interrupted download leaves it
        whole = tmp_path / "whole.xlsx"
        pd.DataFrame({"a": range(50)}).to_excel(whole, index=False)
        content = whole.read_bytes()[:600]
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"{name}: not a readable (Excel workbook|Parquet file)"):
        read_table(path)


def test_writing_where_it_cannot_be_written_is_one_error_and_leaves_nothing(tmp_path, monkeypatch):
    import errno
    import tempfile

    from cscs_eval.errors import OutputError

    def read_only(*args, **kwargs):  # a read-only folder (root ignores chmod, so it is simulated)
        raise PermissionError(errno.EACCES, "Permission denied")

    with monkeypatch.context() as m:
        m.setattr(tempfile, "mkstemp", read_only)
        with pytest.raises(OutputError, match="t.csv: cannot write it \\(Permission denied\\); nothing was written"):
            write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    with pytest.raises(OutputError, match="cannot write it"):
        write_table(pd.DataFrame({"a": [1]}), "/proc/cscs-eval-test.csv")
    with pytest.raises(UsageError, match="not a regular file"):
        with atomic_write("/dev/null") as fh:
            fh.write("x")


def test_a_full_disk_leaves_no_temporary_file(tmp_path, monkeypatch):
    import errno

    from cscs_eval.errors import OutputError

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    assert list(tmp_path.iterdir()) == []
