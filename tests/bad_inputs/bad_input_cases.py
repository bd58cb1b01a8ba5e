"""The bad-input corpus: hostile, broken and impossible inputs to every command, as data.

Each :class:`Case` gives the command line (``{in}`` is the folder holding the case's input files, ``{out}`` an
empty output folder), the input files (name -> text, bytes, or a function returning either), the exit code and a
regular expression the one-line error must match (``re.search``). test_bad_inputs.py runs each through
``cscs_eval.cli.main`` in-process and checks, besides those two, that the error is one line with no traceback,
that nothing is left in the output folder and that no input file changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bad_input_files as f


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple
    files: dict = field(default_factory=dict)
    code: int = 1
    message: str = ""
    #: "not root": skip when the tests run as root (a read-only folder does not stop root).
    needs: str | None = None
    #: A validator (``cfir validate``, ``proms validate``) lists the problems on stdout, where ``message`` must be
    #: found, and says how many on stderr in one line.
    validator: bool = False
    #: Environment variables for the case (a lowered limit).
    env: tuple = ()


CASES: list[Case] = []


def case(id, argv, files=None, code=1, message="", needs=None, env=None):
    if any(c.id == id for c in CASES):  # pragma: no cover - a copy-paste slip in this table
        raise ValueError(f"duplicate case id {id}")
    argv = tuple(argv.split() if isinstance(argv, str) else argv)
    validator = argv[1:2] == ("validate",) and "--out" not in argv
    CASES.append(Case(id, argv, files or {}, code, message, needs, validator, tuple((env or {}).items())))


# --- every command that reads a table, given a table that is not one ------------------------------------------
# {data} is the bad table; the other files each command needs are good ones from the sample.

#: A pseudonymisation key: row-level PROMs outputs are refused without one.
KEY = {"key.txt": "a secret of more than sixteen characters\n"}
SAMPLE_PROMS = {"referrals.csv": f.REFERRALS}
TABLE_COMMANDS = {
    "cfir validate": ("cfir validate {data}", {}),
    "cfir summarise": ("cfir summarise {data} --out {out}/summary.csv", {}),
    "cfir matrix": ("cfir matrix {data} --out {out}/matrix.csv", {}),
    "cfir distinguishing": ("cfir distinguishing {data} --groups {in}/groups.csv --out {out}/d.csv",
                            {"groups.csv": lambda: f.sample("cfir/groups.csv")}),
    "cfir themes": ("cfir themes {data} --out {out}/themes.csv", {}),
    "cfir agreement": ("cfir agreement {data} {in}/b.csv --out {out}/agreement.csv",
                       {"b.csv": lambda: f.sample("cfir/second_coder.csv")}),
    "cfir convert": ("cfir convert {data} --to notes --out {out}/notes", {}),
    "cfir export": ("cfir export {data} --out {out}/project.qdpx", {}),
    "cfir suggest": ("cfir suggest {data} --out {out}/suggestions.csv", {}),
    "cfir groups": ("cfir distinguishing {in}/a.csv --groups {data} --out {out}/d.csv", {"a.csv": f.CODING_SHEET}),
    "cfir case ratings": ("cfir summarise {in}/a.csv --case-ratings {data} --out {out}/s.csv",
                          {"a.csv": f.CODING_SHEET}),
    "proms validate": ("proms validate {data}", {}),
    "proms score": ("proms score {data} --key-file {in}/key.txt --out {out}/scores.csv", KEY),
    "proms outcomes": ("proms outcomes {data} --key-file {in}/key.txt --out {out}/outcomes.csv", KEY),
    "proms summarise": ("proms summarise {data} --out {out}/summary.csv", {}),
    "proms referrals": ("proms outcomes {in}/proms.csv --key-file {in}/key.txt --referrals {data} --out {out}/o.csv",
                        {"proms.csv": f.PROMS, **KEY}),
    "logic-model render": ("logic-model render {data} --to svg --out {out}/model.svg", {}),
    "logic-model draft": ("logic-model draft {data} --out {out}/model.yaml", {}),
    "progress summarise": ("progress summarise {data} --out {out}/progress.csv", {}),
    "benefits spc": ("benefits spc {data} --out {out}/spc.csv", {}),
    "benefits its": ("benefits its {data} --change 2023-01-01 --out {out}/its.csv", {}),
    "benefits funnel": ("benefits funnel {data} --out {out}/funnel.csv", {}),
    "benefits register": ("benefits register {data} --indicators {in}/indicators.csv --out {out}/register.csv",
                          {"indicators.csv": lambda: f.sample("benefits/indicators.csv")}),
    "benefits indicators": ("benefits register {in}/register.csv --indicators {data} --out {out}/register.csv",
                            {"register.csv": lambda: f.sample("benefits/register.csv")}),
    "benefits paired": ("benefits paired {data} --referrals {in}/referrals.csv --out {out}/paired.csv",
                        SAMPLE_PROMS),
}

#: What each kind of broken table is, and the error it must give whichever command reads it.
BAD_TABLES = {
    "missing": ("nope.csv", None, 1, r"nope\.csv.*(not found|does not exist)"),
    "folder": ("folder.csv", "FOLDER", 1, r"folder\.csv.*folder"),
    "empty": ("empty.csv", "", 1, r"empty\.csv.*empty"),
    "not utf-8": ("cp1252.csv", f.CP1252, 1, r"cp1252\.csv(, row |:)2.*0xe9.*not valid utf-8.*cp1252"),
    "exact duplicate header": ("dup.csv", f.DUPLICATE_HEADER, 1, r"dup\.csv.*column 'team' is given twice"),
    "columns differing in case": ("case.csv", f.CASE_HEADER, 1,
                                  r"case\.csv.*'Patient ID' and 'patient_id' are the same column"),
    "truncated xlsx": ("cut.xlsx", f.truncated_xlsx, 1, r"cut\.xlsx.*not a readable Excel workbook"),
    "corrupt xlsx": ("bad.xlsx", f.corrupt_xlsx, 1, r"bad\.xlsx.*not a readable Excel workbook"),
    "text named xlsx": ("text.xlsx", "team,value\nNorth,3\n", 1, r"text\.xlsx.*not a readable Excel workbook"),
    "unknown extension": ("data.dat", "team,value\nNorth,3\n", None,
                          r"data\.dat: (cannot tell the table format from '\.dat'|expected .*got '\.dat')"),
}

for command, (argv, extra) in TABLE_COMMANDS.items():
    for kind, (name, content, code, message) in BAD_TABLES.items():
        files = dict(extra)
        if content is not None:
            files[name] = content
        case(f"{command}: {kind}", argv.replace("{data}", "{in}/" + name), files, code, message)


# --- YAML that would run away, or that cannot be read ----------------------------------------------------------
# Every YAML the package reads: notes front matter, Lightning Reports, logic models, aliases, themes, measures,
# RAG rules and run parameters.

YAML_READERS = {
    "notes front matter": ("cfir validate {in}/note.md", "note.md",
                           lambda text: f.front_matter(text, f.NOTE_BODY)),
    "lightning report": ("lightning render {in}/report.md --to html --out {out}/r.html", "report.md",
                         lambda text: f.front_matter(text, f.REPORT_BODY)),
    "logic model": ("logic-model render {in}/model.yaml --to svg --out {out}/m.svg", "model.yaml", str),
    "aliases": ("cfir validate {in}/a.csv --aliases {in}/aliases.yaml", "aliases.yaml", str),
    "lightning aliases": ("lightning render {in}/r.md --aliases {in}/aliases.yaml --to md --out {out}/r.md",
                          "aliases.yaml", str),
    "themes": ("cfir themes {in}/a.csv --themes {in}/themes.yaml --out {out}/t.csv", "themes.yaml", str),
    "measures": ("proms measures --measures {in}/measure.yaml --out {out}/m.csv", "measure.yaml", str),
    "rag rules": ("progress summarise {in}/register.csv --rules {in}/rules.yaml --out {out}/p.csv", "rules.yaml",
                  str),
    "run parameters": ("run {in}/report.ipynb -f {in}/params.yaml --out {out}/report", "params.yaml", str),
}
#: A bad parameters file is a usage error of 'run' (exit 2), like a bad -p; every other bad YAML is a data error.
YAML_EXIT = {"run parameters": 2}
YAML_SUPPORT = {
    "a.csv": f.CODING_SHEET,
    "r.md": lambda: f.report(),
    "register.csv": lambda: f.sample("programme_register.csv"),
    "report.ipynb": lambda: f.notebook(),
}

#: Every refusal at a limit says how to raise it, for the command line and in Python.
LIMIT = r"CSCS_EVAL_{0}=N \(in Python, cscs_eval\.io\.{0}\)"
BAD_YAML = {
    "alias bomb": (f.ALIAS_BOMB, r"more than 20 YAML aliases.*" + LIMIT.format("YAML_MAX_ALIASES")),
    "too deep": (f.DEEP_YAML, r"nested more than 40 levels.*" + LIMIT.format("YAML_MAX_DEPTH")),
    "too big": (f.BIG_YAML, r"larger than 1,000,000 bytes.*" + LIMIT.format("YAML_MAX_BYTES")),
    "duplicate key": ("team: North\ndate: 2024-01-02\nteam: South\n", r"key 'team' appears twice \(first on line"),
    "date 2024-02-30": ("date: 2024-02-30\n", r"2024-02-30|day is out of range"),
    "date 0000-01-01": ("date: 0000-01-01\n", r"year 0 is out of range|0000-01-01"),
    "time T25:00": ("date: 2024-01-01T25:00:00\n", r"hour must be in 0\.\.23|T25"),
    "vertical tab": ("title: a\x0bb\n", r"control character \(U\+000B\)"),
    "python tag": ("x: !!python/object/apply:os.system ['true']\n", r"not valid YAML.*python/object"),
    "unclosed quote": ('title: "never closed\n', r"not valid YAML"),
    "tab indentation": ("a:\n\t- b\n", r"not valid YAML"),
}

for reader, (argv, name, wrap) in YAML_READERS.items():
    for kind, (text, message) in BAD_YAML.items():
        # Each reader gets the three limits and the impossible values; the rest are spread across readers.
        if kind in ("python tag", "unclosed quote", "tab indentation") and reader not in (
                "notes front matter", "logic model", "run parameters", "measures"):
            continue
        files = {k: v for k, v in YAML_SUPPORT.items() if "{in}/" + k in argv}
        files[name] = (lambda t=text, w=wrap: w(t))
        if kind == "too big" and reader in ("notes front matter", "lightning report"):
            files[name] = (lambda w=wrap: w("title: x\nnote: " + "x" * 1_100_000))
        case(f"{reader}: {kind}", argv, files, YAML_EXIT.get(reader, 1), message)


# --- .qdpx projects that are not what they claim ---------------------------------------------------------------

QDPX = {
    "encrypted member": (lambda: f.patched_qdpx("encrypted"), r"bad\.qdpx.*'Sources/s\.txt' is encrypted"),
    "encrypted project.qde": (lambda: f.patched_qdpx("encrypted", "project.qde"), r"'project\.qde' is encrypted"),
    "bad CRC": (lambda: f.patched_qdpx("bad crc"), r"'Sources/s\.txt' is damaged: its CRC-32 check fails"),
    "size larger than held": (lambda: f.patched_qdpx("size too big"), r"holds 1,280 bytes but its header says 1,380"),
    "size smaller than held": (lambda: f.patched_qdpx("size too small"), r"damaged: its CRC-32 check fails"),
    "compression method 99": (lambda: f.patched_qdpx("method 99"), r"uses compression method 99"),
    "zstandard compression": (lambda: f.patched_qdpx("method 93"), r"uses compression method 93"),
    "truncated archive": (lambda: f.qdpx()[:300], r"bad\.qdpx.*(not a|damaged|truncated|ZIP)"),
    "not a zip": (b"<Project/>", r"bad\.qdpx.*(not a|ZIP)"),
    "empty file": (b"", r"bad\.qdpx.*(empty|not a|ZIP)"),
    "no project.qde": (lambda: f.qdpx({"Sources/s.txt": f.TEXT}),
                       r"bad\.qdpx: a \.qdpx must hold exactly one \.qde file"),
    "project.qde not XML": (lambda: f.qdpx({"project.qde": b"<Project", "Sources/s.txt": f.TEXT}),
                            r"bad\.qdpx.*(XML|not well-formed|project\.qde)"),
}
for kind, (content, message) in QDPX.items():
    case(f"cfir import: {kind}", "cfir import {in}/bad.qdpx --out {out}/sheet.csv", {"bad.qdpx": content}, 1,
         message)


# --- outputs that cannot be written, or that would replace an input ---------------------------------------------

UNWRITABLE = {
    "proms score": "proms score {in}/proms.csv --out /proc/x.csv",
    "lightning render": "lightning render {in}/r.md --to html --out /proc/x.html",
    "lightning render docx": "lightning render {in}/r.md --to docx --out /proc/x.docx",
    "logic-model render": "logic-model render {in}/model.yaml --to svg --out /proc/x.svg",
    "logic-model draft": "logic-model draft {in}/summary.csv --out /proc/x.yaml",
    "cfir export": "cfir export {in}/a.csv --out /proc/x.qdpx",
    "cfir codebook": "cfir codebook --out /proc/x.csv",
    "cfir import": "cfir import {in}/good.qdpx --out /proc/x.csv",
    "progress summarise": "progress summarise {in}/register.csv --out /proc/x.csv",
    "benefits spc": "benefits spc {in}/indicators.csv --indicator paired_proms_pct --out /proc/x.csv",
    "sample-data": "sample-data --out /proc/x",
    "run": "run {in}/report.ipynb --out /proc/x",
    "demo": "demo --out /proc/x",
}
UNWRITABLE_FILES = {
    "proms.csv": f.PROMS,
    "r.md": lambda: f.report(),
    "model.yaml": lambda: f.sample("logic_model.yaml"),
    "summary.csv": f.SUMMARY,
    "a.csv": f.CODING_SHEET,
    "good.qdpx": f.qdpx,
    "register.csv": lambda: f.sample("programme_register.csv"),
    "indicators.csv": lambda: f.sample("benefits/indicators.csv"),
    "report.ipynb": lambda: f.notebook(),
}
for command, argv in UNWRITABLE.items():
    files = {k: v for k, v in UNWRITABLE_FILES.items() if "{in}/" + k in argv}
    case(f"{command}: unwritable /proc path", argv, files, None, r"/proc/x")

READ_ONLY = {
    "proms score": "proms score {in}/proms.csv --out {out}/ro/x.csv",
    "lightning render": "lightning render {in}/r.md --to html --out {out}/ro/x.html",
    "logic-model render": "logic-model render {in}/model.yaml --to svg --out {out}/ro/x.svg",
    "cfir export": "cfir export {in}/a.csv --out {out}/ro/x.qdpx",
    "sample-data": "sample-data --out {out}/ro/sample",
    "run": "run {in}/report.ipynb --out {out}/ro/report",
}
for command, argv in READ_ONLY.items():
    files = {k: v for k, v in UNWRITABLE_FILES.items() if "{in}/" + k in argv}
    case(f"{command}: read-only folder", argv, files, None, r"/ro", needs="not root")
    # /sys refuses new files even to root (EACCES), so this runs wherever the tests do.
    case(f"{command}: folder that refuses new files", argv.replace("{out}/ro", "/sys"), files, None, r"/sys")

SAME_FILE = {
    "lightning render": ("lightning render {in}/r.md --to md --out {in}/r.md", "r.md"),
    "proms score": ("proms score {in}/proms.csv --out {in}/proms.csv", "proms.csv"),
    "cfir convert": ("cfir convert {in}/a.csv --to csv --out {in}/a.csv", "a.csv"),
    "progress summarise": ("progress summarise {in}/register.csv --out {in}/register.csv", "register.csv"),
    "benefits spc": ("benefits spc {in}/indicators.csv --indicator paired_proms_pct --out {in}/indicators.csv",
                     "indicators.csv"),
}
for command, (argv, name) in SAME_FILE.items():
    case(f"{command}: output is the input", argv, {name: UNWRITABLE_FILES[name]}, 2, r"input")

for command in ("demo --out /", "sample-data --out /", "run {in}/report.ipynb --out /"):
    files = {"report.ipynb": UNWRITABLE_FILES["report.ipynb"]} if "{in}" in command else {}
    case(f"{command.split()[0]}: --out /", command, files, 2, r"'/'|root|/")

case("proms score: --out /dev/null", "proms score {in}/proms.csv --out /dev/null",
     {"proms.csv": UNWRITABLE_FILES["proms.csv"]}, 2, r"/dev/null: cannot tell the table format")
case("proms score: --out a folder", "proms score {in}/proms.csv --out {in}/folder.csv",
     {"proms.csv": UNWRITABLE_FILES["proms.csv"], "folder.csv": "FOLDER"}, 2, r"folder\.csv: is a folder")
case("proms score: --out into a missing folder", "proms score {in}/proms.csv --out {in}/no/such/x.csv",
     {"proms.csv": UNWRITABLE_FILES["proms.csv"]}, 2, r"folder .*no/such does not exist")


# --- the runner ------------------------------------------------------------------------------------------------

NB = {"report.ipynb": lambda: f.notebook()}
case("run: notebook that is a JSON list", "run {in}/nb.ipynb --out {out}/report", {"nb.ipynb": "[1]"}, 2,
     r"nb\.ipynb.*not a (readable |Jupyter )?notebook")
case("run: notebook that is not JSON", "run {in}/nb.ipynb --out {out}/report", {"nb.ipynb": "{cells: "}, 2,
     r"nb\.ipynb.*not a (readable |Jupyter )?notebook")
case("run: empty notebook file", "run {in}/nb.ipynb --out {out}/report", {"nb.ipynb": ""}, 2,
     r"nb\.ipynb.*not a (readable |Jupyter )?notebook")
case("run: missing notebook", "run {in}/nope.ipynb --out {out}/report", {}, 2, r"nope\.ipynb")
case("run: unknown parameter", "run {in}/report.ipynb -p colour red --out {out}/report", NB, 2, r"colour")
case("run: -p without its value", "run {in}/report.ipynb -p team", NB, 2, r"-p")
case("run: params file a list", "run {in}/report.ipynb -f {in}/p.yaml --out {out}/report",
     {**NB, "p.yaml": "- team\n- North\n"}, 2, r"p\.yaml")
case("run: params file missing", "run {in}/report.ipynb -f {in}/p.yaml --out {out}/report", NB, 2,
     r"p\.yaml.*not found")
case("run: -j not a number", "run {in}/report.ipynb -j many --out {out}/report", NB, 2, r"-j")
case("run: --for-each unknown column", "run {in}/report.ipynb --for-each colour --out {out}/report", NB, 2,
     r"colour")
case("run: --to pdf", "run {in}/report.ipynb --to pdf --out {out}/report", NB, 2, r"--to")
case("run: reference docx not a docx", "run {in}/report.ipynb --to docx --reference-docx {in}/t.docx "
     "--out {out}/report", {**NB, "t.docx": "not a zip"}, None, r"t\.docx")
case("notebooks copy: into a file", "notebooks copy {in}/x.txt", {"x.txt": "x"}, None, r"x\.txt")


# --- options -----------------------------------------------------------------------------------------------------

IND = {"indicators.csv": lambda: f.sample("benefits/indicators.csv")}
PROMS = {"proms.csv": f.PROMS}
case("benefits its: --change not a date", "benefits its {in}/indicators.csv --indicator paired_proms_pct "
     "--change soon", IND, 2, r"--change|soon")
case("benefits its: --change 2024-02-30", "benefits its {in}/indicators.csv --indicator paired_proms_pct "
     "--change 2024-02-30", IND, 2, r"2024-02-30")
case("benefits spc: --rebase 0000-01-01", "benefits spc {in}/indicators.csv --indicator paired_proms_pct "
     "--rebase 0000-01-01", IND, 2, r"0000-01-01")
case("benefits spc: unknown --value column", "benefits spc {in}/indicators.csv --value colour", IND, None,
     r"colour")
case("benefits spc: --target not a number", "benefits spc {in}/indicators.csv --indicator paired_proms_pct "
     "--target high", IND, 2, r"--target|high")
case("benefits spc: unknown indicator", "benefits spc {in}/indicators.csv --indicator nope", IND, None, r"nope")
case("benefits funnel: unknown --by", "benefits funnel {in}/indicators.csv --by colour", IND, None, r"colour")
case("benefits register: --rebase without =", "benefits register {in}/register.csv --indicators "
     "{in}/indicators.csv --rebase x", {**IND, "register.csv": lambda: f.sample("benefits/register.csv")}, 2,
     r"--rebase")
case("proms outcomes: --period-start 2024-02-30", "proms outcomes {in}/proms.csv --period-start 2024-02-30", PROMS,
     2, r"2024-02-30")
case("proms outcomes: --min-interval -3", "proms outcomes {in}/proms.csv --min-interval -3", PROMS, 2,
     r"min.interval.*-3")
case("proms summarise: unknown --by", "proms summarise {in}/proms.csv --by colour", PROMS, None, r"colour")
case("proms measures: folder with no measures", "proms measures --measures {in}/none", {"none/x.txt": "x"}, 2,
     r"none")
case("proms score: --key-file missing", "proms score {in}/proms.csv --key-file {in}/nope.txt", PROMS, 2,
     r"nope\.txt: key file not found")
case("proms score: --key-file empty", "proms score {in}/proms.csv --key-file {in}/key.txt --out {out}/s.csv",
     {**PROMS, "key.txt": ""}, 2, r"at least 16 characters")
case("proms score: --key-file too short", "proms score {in}/proms.csv --key-file {in}/key.txt --out {out}/s.csv",
     {**PROMS, "key.txt": "short\n"}, 2, r"at least 16 characters")
case("proms score: --key-file a folder", "proms score {in}/proms.csv --key-file {in}/k --out {out}/s.csv",
     {**PROMS, "k/x": "x"}, 2, r"k: key file")
case("proms measures: measure not a mapping", "proms measures --measures {in}/m.yaml", {"m.yaml": "- a\n- b\n"}, 1,
     r"m\.yaml")
case("proms score: --sheet on a CSV", "proms score {in}/proms.csv --sheet Data", PROMS, 2, r"sheet")
case("proms score: --header-row 0", "proms score {in}/proms.csv --header-row 0", PROMS, 2, r"--header-row")
case("proms score: --header-row past the end", "proms score {in}/proms.csv --header-row 999999", PROMS, 1,
     r"header row 999999")
case("cfir agreement: --level bogus", "cfir agreement {in}/a.csv {in}/a.csv --level bogus",
     {"a.csv": UNWRITABLE_FILES["a.csv"]}, 2, r"--level")
case("cfir suggest: --top 0", "cfir suggest {in}/a.csv --top 0", {"a.csv": UNWRITABLE_FILES["a.csv"]}, 2, r"--top")
case("cfir codebook: --to docx", "cfir codebook --to docx", {}, 2, r"--to")
case("lightning series: a report without front matter", "lightning series {in}/s",
     {"s/a.md": lambda: f.report(), "s/b.md": "## Plus\n- a\n"}, 1, r"b\.md")
case("lightning series: empty folder", "lightning series {in}/none", {"none/x.txt": "x"}, 1, r"none")
case("lightning series: --absent-for -1", "lightning series {in}/s --absent-for -1", {"s/r.md": lambda: f.report()},
     2, r"absent.for.*-1")
case("lightning render: --templates missing", "lightning render {in}/r.md --templates {in}/nope --to html",
     {"r.md": lambda: f.report()}, None, r"nope")
case("logic-model draft: --outcome without =", "logic-model draft {in}/s.csv --outcome Adoption",
     {"s.csv": f.SUMMARY}, 2, r"--outcome")
case("logic-model draft: --barriers -1", "logic-model draft {in}/s.csv --barriers -1",
     {"s.csv": f.SUMMARY}, 2, r"--barriers")
case("sample-data: --seed text", "sample-data --seed x --out {out}/s", {}, 2, r"--seed")
case("audit: missing path", "audit {in}/nope.html", {}, 1, r"nope\.html")
case("audit: HTML that is binary", "audit {in}/r.html", {"r.html": b"\xff\xfe\x00<html>\x00"}, 1, r"r\.html, row 1: byte 0xff is not valid utf-8")
case("cfir workbench: not a folder", "cfir workbench {in}/x.md --no-browser", {"x.md": "x"}, None, r"x\.md")
case("--encoding unknown", "--encoding klingon proms score {in}/proms.csv", PROMS, 2, r"--encoding")
case("unknown command", "frobnicate", {}, 2, r"frobnicate")


# --- text that does not parse ----------------------------------------------------------------------------------

case("notes: stray ]] in text", "cfir validate {in}/note.md",
     {"note.md": lambda: f.note(body="## Theme: Costs\n\n- Forms cost time.]] [[Cost -1]]\n")}, 1, r"note\.md.*\]\]")
case("notes: unclosed [[", "cfir validate {in}/note.md",
     {"note.md": lambda: f.note(body="## Theme: Costs\n\n- Forms cost time. [[Cost -1\n")}, 1, r"note\.md.*\[\[")
case("notes: unknown construct", "cfir validate {in}/note.md",
     {"note.md": lambda: f.note(body="## Theme: Costs\n\n- Forms. [[Weather -1]]\n")}, 1, r"Weather")
case("notes: rating out of range", "cfir validate {in}/note.md",
     {"note.md": lambda: f.note(body="## Theme: Costs\n\n- Forms. [[Cost -7]]\n")}, 1, r"-7")
case("notes: no front matter", "cfir validate {in}/note.md", {"note.md": "- Forms. [[Cost -1]]\n"}, 1,
     r"note\.md")
case("notes: front matter not closed", "cfir validate {in}/note.md", {"note.md": "---\ncase: x\n\n- a\n"}, 1,
     r"not closed")
case("notes: front matter a list", "cfir validate {in}/note.md", {"note.md": "---\n- a\n---\n- b\n"}, 1,
     r"key: value")
case("notes: not UTF-8", "cfir validate {in}/note.md", {"note.md": "---\ncase: Caf\xe9\n---\n".encode("cp1252")}, 1,
     r"note\.md(, row |:)2.*not valid utf-8")
case("notes: NUL bytes", "cfir validate {in}/note.md", {"note.md": b"---\ncase: a\x00b\n---\n- x [[Cost -1]]\n"}, 1,
     r"note\.md")
case("lightning render: no front matter", "lightning render {in}/r.md --to md", {"r.md": "## Plus\n- a\n"}, 1,
     r"r\.md")
case("lightning render: front matter a string", "lightning render {in}/r.md --to md",
     {"r.md": "---\njust text\n---\n## Plus\n"}, 1, r"key: value")
case("lightning render: title a list", "lightning render {in}/r.md --to md",
     {"r.md": lambda: f.report(meta="title: [a, b]\ndate: 2023-10-12")}, 1, r"title")
case("lightning render: date not a date", "lightning render {in}/r.md --to md",
     {"r.md": lambda: f.report(meta="title: x\ndate: soon")}, 1, r"date")
case("logic model: a list", "logic-model render {in}/m.yaml --to svg --out {out}/m.svg", {"m.yaml": "- a\n"}, 1,
     r"m\.yaml")
case("logic model: empty", "logic-model render {in}/m.yaml --to svg --out {out}/m.svg", {"m.yaml": ""}, 1,
     r"m\.yaml")
case("logic model: unknown construct", "logic-model render {in}/m.yaml --to svg --out {out}/m.svg",
     {"m.yaml": "title: x\ndeterminants:\n  - id: D1\n    construct: Weather\n    label: rain\n"}, 1, r"Weather")
case("themes: a list", "cfir themes {in}/a.csv --themes {in}/t.yaml",
     {"a.csv": UNWRITABLE_FILES["a.csv"], "t.yaml": "- a\n"}, 1, r"t\.yaml")
case("aliases: a list", "cfir validate {in}/a.csv --aliases {in}/al.yaml",
     {"a.csv": UNWRITABLE_FILES["a.csv"], "al.yaml": "- a\n"}, 1, r"al\.yaml")
case("aliases: target unknown", "cfir validate {in}/a.csv --aliases {in}/al.yaml",
     {"a.csv": UNWRITABLE_FILES["a.csv"], "al.yaml": "Money: Weather\n"}, 1, r"Weather")
case("rag rules: a list", "progress summarise {in}/register.csv --rules {in}/r.yaml",
     {"register.csv": UNWRITABLE_FILES["register.csv"], "r.yaml": "- a\n"}, 1, r"r\.yaml")
case("progress: unknown status", "progress summarise {in}/p.csv",
     {"p.csv": "workstream,task,status\nA,do it,on fire\n"}, 1, r"on fire")
case("proms: impossible assessment date", "proms score {in}/p.csv",
     {"p.csv": "patient_id,referral_id,team,measure,assessment_date,item,response\n"
               "P1,R1,North,phq9,2024-02-30,1,2\n"}, 1, r"2024-02-30")
case("proms: response out of range", "proms validate {in}/p.csv",
     {"p.csv": "patient_id,referral_id,team,measure,assessment_date,item,response\n"
               "P1,R1,North,phq9,2024-02-01,1,99\n"}, 1, r"99")
case("benefits spc: value not a number", "benefits spc {in}/i.csv",
     {"i.csv": "indicator,date,value\nx,2024-01-01,lots\n"}, 1, r"lots")
case("benefits spc: impossible date", "benefits spc {in}/i.csv",
     {"i.csv": "indicator,date,value\nx,2024-02-30,3\n"}, 1, r"2024-02-30")
case("benefits funnel: denominator zero", "benefits funnel {in}/f.csv",
     {"f.csv": "group,numerator,denominator\nA,1,0\nB,2,5\n"}, 1, r"f\.csv.*denominator")
case("logic-model strategies: unwritable /proc path", "logic-model strategies --out /proc/x.csv", {}, None,
     r"/proc/x")
case("logic-model strategies: --out with no table extension", "logic-model strategies --out {out}/x.docx", {}, 2,
     r"x\.docx")


# --- resource limits: each refusal names its limit and how to raise it ------------------------------------------
# The limits are lowered through their environment variables, so small files reach them.

QDPX_LIMIT = r"CSCS_EVAL_QDPX_{0}=N \(in Python, cscs_eval\.cfir\.QDPX_LIMITS\['{1}'\]\)"
GOOD_QDPX = {"p.qdpx": f.qdpx}
case("cfir import: member over the size limit", "cfir import {in}/p.qdpx --out {out}/s.csv", GOOD_QDPX, 1,
     r"'Sources/s\.txt'.*1,280 bytes.*over the 1,000-byte limit.*" + QDPX_LIMIT.format("MEMBER_BYTES", "member_bytes"),
     env={"CSCS_EVAL_QDPX_MEMBER_BYTES": "1000"})
case("cfir import: archive over the total limit", "cfir import {in}/p.qdpx --out {out}/s.csv", GOOD_QDPX, 1,
     r"beyond the 1,500-byte limit.*" + QDPX_LIMIT.format("TOTAL_BYTES", "total_bytes"),
     env={"CSCS_EVAL_QDPX_TOTAL_BYTES": "1500"})
case("cfir import: too many members", "cfir import {in}/p.qdpx --out {out}/s.csv", GOOD_QDPX, 1,
     r"2 members; at most 1 are read.*" + QDPX_LIMIT.format("MEMBERS", "members"), env={"CSCS_EVAL_QDPX_MEMBERS": "1"})
case("cfir import: limit not a number", "cfir import {in}/p.qdpx --out {out}/s.csv", GOOD_QDPX, 2,
     r"CSCS_EVAL_QDPX_MEMBERS must be a whole number", env={"CSCS_EVAL_QDPX_MEMBERS": "lots"})
case("lightning render: YAML over a lowered size limit", "lightning render {in}/r.md --to md", {"r.md": f.report}, 1,
     r"larger than 100 bytes.*" + LIMIT.format("YAML_MAX_BYTES"), env={"CSCS_EVAL_YAML_MAX_BYTES": "100"})
case("logic model: one alias over a lowered limit", "logic-model render {in}/m.yaml --to svg --out {out}/m.svg",
     {"m.yaml": "a: &a x\nb: *a\nc: *a\n"}, 1, r"more than 1 YAML aliases.*" + LIMIT.format("YAML_MAX_ALIASES"),
     env={"CSCS_EVAL_YAML_MAX_ALIASES": "1"})
case("logic model: nesting over a lowered limit", "logic-model render {in}/m.yaml --to svg --out {out}/m.svg",
     {"m.yaml": "a: [[[x]]]\n"}, 1, r"nested more than 3 levels.*" + LIMIT.format("YAML_MAX_DEPTH"),
     env={"CSCS_EVAL_YAML_MAX_DEPTH": "3"})
HASH_LIMIT = r"CSCS_EVAL_{0}=N \(in Python, cscs_eval\.reporting\.params\.{0}\)"
FOLDER_NB = {"report.ipynb": lambda: f.notebook('notes_path: str = ""  # a folder of notes\n'),
             "notes/a.md": "a", "notes/b.md": "b", "notes/c.md": "c"}
case("run: folder parameter over the file limit", "run {in}/report.ipynb -p notes_path {in}/notes --out {out}/r",
     FOLDER_NB, 2, r"notes, a folder of more than 2 files.*" + HASH_LIMIT.format("MAX_HASHED_FILES"),
     env={"CSCS_EVAL_MAX_HASHED_FILES": "2"})
case("run: inputs over the byte limit", "run {in}/report.ipynb -p notes_path {in}/notes --out {out}/r",
     FOLDER_NB, 2, r"more than 2 bytes to checksum.*" + HASH_LIMIT.format("MAX_HASHED_BYTES"),
     env={"CSCS_EVAL_MAX_HASHED_BYTES": "2"})


# --- data that reads but cannot be analysed ---------------------------------------------------------------------

ONE_POINT = {"i.csv": "indicator,date,value\nx,2024-01-01,3\n"}
case("benefits spc: one point", "benefits spc {in}/i.csv", ONE_POINT, 1, r"i\.csv.*point")
case("benefits spc: duplicate dates", "benefits spc {in}/i.csv",
     {"i.csv": "indicator,date,value\n" + "x,2024-01-01,3\n" * 20}, 1, r"2024-01-01|date")
case("benefits spc: several indicators, none chosen", "benefits spc {in}/indicators.csv", IND, 2,
     r"--indicator")
case("benefits its: change before the series", "benefits its {in}/indicators.csv --indicator paired_proms_pct "
     "--change 1990-01-01", IND, None, r"1990-01-01")
case("benefits its: too short a series", "benefits its {in}/i.csv --change 2024-01-01", ONE_POINT, 2,
     r"change date 2024-01-01 is outside the series")
case("benefits funnel: numerator over denominator", "benefits funnel {in}/f.csv",
     {"f.csv": "group,numerator,denominator\nA,9,5\nB,2,5\nC,3,6\n"}, 1, r"f\.csv.*9")
case("benefits funnel: negative count", "benefits funnel {in}/f.csv",
     {"f.csv": "group,numerator,denominator\nA,-1,5\nB,2,5\nC,3,6\n"}, 1, r"f\.csv.*-1")
case("benefits register: indicator missing from the data", "benefits register {in}/r.csv --indicators {in}/i.csv",
     {"r.csv": "benefit,indicator,baseline,target,current,owner,status\nB,nope,1,2,,me,on track\n",
      "i.csv": "indicator,date,value\nx,2024-01-01,3\n"}, 1, r"nope")
case("proms outcomes: --period-end before --period-start", "proms outcomes {in}/proms.csv --period-start 2024-06-01 "
     "--period-end 2024-01-01", PROMS, 2, r"period")
case("proms outcomes: unknown --units", "proms outcomes {in}/proms.csv --units metric", PROMS, 2, r"--units")
case("proms score: unknown measure", "proms score {in}/p.csv",
     {"p.csv": "patient_id,referral_id,team,measure,assessment_date,item,response\nP1,R1,N,wemwbs9,2024-01-01,1,2\n"},
     1, r"wemwbs9")
case("logic-model draft: --outcome without a name", "logic-model draft {in}/s.csv --outcome =90",
     {"s.csv": f.SUMMARY}, 2, r"--outcome must be NAME=VALUE")
case("logic-model draft: --teams broken", "logic-model draft {in}/s.csv --teams {in}/t.csv",
     {"s.csv": f.SUMMARY, "t.csv": "team,eligible\nA,perhaps\n"}, 1, r"t\.csv")
case("logic model: link to an unknown id", "logic-model render {in}/m.yaml --to svg --out {out}/m.svg",
     {"m.yaml": "title: x\ndeterminants:\n  - id: D1\n    construct: I.H\n    label: cost\n    valence: barrier\n"
                "links:\n  - [D1, S9, M1, O1]\n"}, 1, r"m\.yaml")
case("progress summarise: --headlines broken", "progress summarise {in}/register.csv --headlines {in}/h.csv",
     {"register.csv": UNWRITABLE_FILES["register.csv"], "h.csv": "what,value\nx,y\n"}, 1, r"h\.csv")
case("progress summarise: rules with a bad threshold", "progress summarise {in}/register.csv --rules {in}/r.yaml",
     {"register.csv": UNWRITABLE_FILES["register.csv"], "r.yaml": "green: lots\n"}, 1, r"r\.yaml")
case("cfir agreement: sheets with no excerpt in common", "cfir agreement {in}/a.csv {in}/b.csv",
     {"a.csv": f.CODING_SHEET, "b.csv": f.CODING_SHEET.replace("coder A", "coder B").replace("Forms", "Frogs")
      .replace("Managers", "Mice").replace("No tablets", "No tables")}, 1, r"common|match|shared")
case("cfir distinguishing: groups naming no case", "cfir distinguishing {in}/a.csv --groups {in}/g.csv",
     {"a.csv": f.CODING_SHEET, "g.csv": "case,group\nNowhere,high\nElsewhere,low\n"}, 1, r"g\.csv|case")
case("cfir themes: a theme of unknown constructs", "cfir themes {in}/a.csv --themes {in}/t.yaml",
     {"a.csv": f.CODING_SHEET, "t.yaml": "Costs:\n  - Weather\n"}, 1, r"Weather")
case("cfir convert: --to notes into a file", "cfir convert {in}/a.csv --to notes --out {in}/x.txt",
     {"a.csv": f.CODING_SHEET, "x.txt": "x"}, 2, r"x\.txt")
case("audit: structure file broken", "audit {in}/t.csv", {"t.csv": "team,n\nA,5\n", "t.structure.json": "{nope"}, 1,
     r"t\.structure\.json")
case("audit: structure file a list", "audit {in}/t.csv", {"t.csv": "team,n\nA,5\n", "t.structure.json": "[1]"}, 1,
     r"t\.structure\.json")
case("audit: folder with nothing to audit", "audit {in}/empty", {"empty/x.txt": "x"}, 1, r"empty")


# --- Excel and Parquet headers that name a column twice ------------------------------------------------------------

TWICE = {
    "xlsx exact duplicate header": ("dup.xlsx", lambda: f.xlsx([["team", "team", "value"], ["North", "N", 3]]),
                                    r"dup\.xlsx.*column 'team' is given twice"),
    "xlsx columns differing in case": ("case.xlsx", lambda: f.xlsx([["patient_id", "Patient ID"], ["P1", "P1"]]),
                                       r"case\.xlsx.*'Patient ID' and 'patient_id' are the same column"),
    "parquet exact duplicate header": ("dup.parquet", lambda: f.parquet(["team", "team"], [["N"], ["S"]]),
                                       r"dup\.parquet.*column 'team' is given twice"),
    "parquet columns differing in case": ("case.parquet", lambda: f.parquet(["team", "Team"], [["N"], ["S"]]),
                                          r"case\.parquet.*'Team' and 'team' are the same column"),
    "parquet truncated": ("cut.parquet", lambda: f.parquet(["team"], [["N"]])[:40],
                          r"cut\.parquet.*not a readable Parquet file"),
}
for command in ("proms score", "cfir summarise", "benefits spc", "progress summarise"):
    argv, extra = TABLE_COMMANDS[command]
    for kind, (name, content, message) in TWICE.items():
        case(f"{command}: {kind}", argv.replace("{data}", "{in}/" + name), {**extra, name: content}, 1, message)
case("progress summarise: a lone carriage return", "progress summarise {in}/p.csv", {"p.csv": "task\n\r0\n"}, 1,
     r"p\.csv, row 1: missing column\(s\) workstream")  # the header hint's csv.Error (found by tests/fuzz)
case("proms score: --problems is the input", "proms score {in}/proms.csv --problems {in}/proms.csv", PROMS, 2,
     r"--problems .*proms\.csv is also an input")
case("progress summarise: --findings-out is the input", "progress summarise {in}/register.csv --findings-out "
     "{in}/register.csv", {"register.csv": UNWRITABLE_FILES["register.csv"]}, 2, r"--findings-out .* is also an input")
case("cfir import: --case-ratings-out is the project", "cfir import {in}/p.qdpx --out {out}/s.csv "
     "--case-ratings-out {in}/p.qdpx", GOOD_QDPX, 2, r"--case-ratings-out .*p\.qdpx is also an input")
case("demo: --out a file", "demo --out {in}/x.txt", {"x.txt": "x"}, 2, r"x\.txt.*file")
case("demo: --out a folder of someone's work", "demo --out {in}/thesis", {"thesis/important.txt": "thesis"}, 2,
     r"thesis holds files that a demo did not write")
case("cfir workbench: missing folder", "cfir workbench {in}/nope --no-browser", {}, None, r"nope")
case("notebooks copy: over copies already there", "notebooks copy {in}/dst",
     {"dst/notebooks/proms_outcomes.ipynb": "{}"}, 2, r"--force|exist")
case("audit: HTML report without table structures", "audit {in}/r.html",
     {"r.html": '<html><script type="application/json" class="cscs-structure">{nope</script></html>'}, 1, r"r\.html: no table with a structure to audit")
case("proms outcomes: first row longer than the header", "proms outcomes {in}/proms.csv --referrals {in}/r.csv",
     {**PROMS, "r.csv": "referral_id,patient_id,team\n,R1,P1,North,extra\n"}, 1,
     r"r\.csv, row 2: this row has more values than the header has column names \(3\)")  # pandas shifted it (fuzz)
case("benefits spc: a later row longer than the header", "benefits spc {in}/i.csv",
     {"i.csv": "indicator,date,value\nx,2024-01-01,3\nx,2024-02-01,4,5\n"}, 1,
     r"i\.csv: not a readable CSV table \(Error tokenizing data\. C error: Expected 3 fields in line 3, saw 4\)")
case("proms score: a title line above the header", "proms score {in}/p.csv",
     {"p.csv": "PROMs extract, 5 March\n\n" + f.PROMS}, 1,
     r"p\.csv, row 1: missing column\(s\) .*the header seems to be on row 3: choose it with --header-row 3")
