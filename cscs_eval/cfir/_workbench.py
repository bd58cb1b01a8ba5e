"""The evaluator's workbench: CFIR coding of a folder of notes in the browser, with suggestions.

``cscs-eval cfir workbench NOTES_DIR`` serves one page on 127.0.0.1 (a port the system picks):
the notes on the left; a selection (or a paragraph taken with the keyboard) gets the suggested
constructs of :class:`~cscs_eval.cfir.Suggester` and a searchable codebook with definitions; the
evaluator picks constructs, a rating for each and a memo, and the workbench writes the same
``[[Construct rating | memo]]`` syntax a text editor would at the end of that paragraph. Beside
it the case's coverage and the construct x case matrix are recomputed after every write.

Files are the record: a write re-reads the file and refuses when its SHA-256 differs from the one
taken when the page loaded it (someone edited it meanwhile), keeps the previous version as
``NAME.md.bak``, checks the new text with the rules of ``cfir validate`` (a write that would add a
problem is refused with validate's messages) and moves the new file into place atomically.

The server is Tornado (already a dependency of the Jupyter kernel the project runs on): one
process, no outside service, every asset served from the package (no CDN), the API guarded by a
random token in the printed address and by a check of the ``Host`` header (so another web page
cannot read the notes through DNS rebinding); Ctrl-C stops it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from cscs_eval.errors import InputError, OutputError, UsageError

__all__ = ["NotesFile", "Workbench", "ConflictError", "workbench", "STATIC_DIR"]

#: The page, its script and its style sheet.
STATIC_DIR = Path(__file__).resolve().parent / "static"

_BOM = b"\xef\xbb\xbf"


class ConflictError(OutputError):
    """A notes file changed on disk after the page loaded it; nothing was written."""


# --------------------------------------------------------------------------------------------------
# One notes file, read and written as the evaluator's editor would
# --------------------------------------------------------------------------------------------------

@dataclass
class NotesFile:
    """A notes file as read: its text (LF line ends) and what is needed to write it back unchanged
    around an edit (SHA-256 of the bytes read, line ends, byte-order mark, encoding)."""

    path: Path
    text: str
    sha256: str
    crlf: bool = False
    bom: bool = False
    encoding: str = "utf-8"

    @classmethod
    def read(cls, path, *, encoding=None) -> "NotesFile":
        import os

        from cscs_eval.io import ENCODING_VARIABLE, read_text

        path = Path(path)
        text = read_text(path, encoding=encoding)  # strict decoding, a clear error for a bad byte
        raw = path.read_bytes()
        return cls(path, text, hashlib.sha256(raw).hexdigest(), crlf=b"\r\n" in raw, bom=raw.startswith(_BOM),
                   encoding=encoding or os.environ.get(ENCODING_VARIABLE) or "utf-8")

    def write(self, text: str, *, expected_sha256: str | None = None) -> Path:
        """Write ``text`` in place of the file, if the file is still as it was read (or as
        ``expected_sha256`` says): the previous bytes go to ``NAME.md.bak``, the new file is moved
        into place atomically. Returns the path; ``self`` then describes the new file."""
        from cscs_eval.io import atomic_write

        expected = expected_sha256 or self.sha256
        try:
            current = self.path.read_bytes()
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot read it again before writing ({exc.strerror or exc}); "
                              "nothing was written") from None
        if hashlib.sha256(current).hexdigest() != expected:
            raise ConflictError(f"{self.path.name} changed on disk since it was loaded; nothing was written. "
                                "Reload it and apply the codes again.")
        body = text.replace("\n", "\r\n") if self.crlf else text
        data = (_BOM if self.bom else b"") + body.encode(self.encoding)
        with atomic_write(self.path.with_name(self.path.name + ".bak"), mode="wb") as fh:
            fh.write(current)
        with atomic_write(self.path, mode="wb") as fh:
            fh.write(data)
        self.text, self.sha256 = text, hashlib.sha256(data).hexdigest()
        return self.path


# --------------------------------------------------------------------------------------------------
# The project: the notes folder, its coding, the suggester
# --------------------------------------------------------------------------------------------------

RATING_CHOICES = ("+2", "+1", "0", "-1", "-2", "X", "M")


def _problem_rows(problems):
    return [{"file": p["file"], "line": None if p["line"] is None else int(p["line"]), "column": p["column"],
             "problem": p["problem"], "fix": p["fix"], "text": _problem_line(p)} for p in problems]


def _problem_line(p) -> str:
    from cscs_eval.cfir._coding import problem_text

    return problem_text(p["file"], p["line"], p["column"], p["problem"], p["fix"])


class Workbench:
    """The state behind the workbench page: the notes folder, its coding so far and the suggester.

    Every method returns plain data (dicts and lists) that the page shows; :meth:`apply` is the one
    that writes.

    Parameters
    ----------
    folder
        The folder of coded notes (``.md``); its own files, as ``load_coding`` reads a folder.
    aliases
        Alias YAML file or mapping for local construct names (as ``--aliases``).
    embeddings
        As for :class:`~cscs_eval.cfir.Suggester` (WordLlama when installed, by default).
    """

    def __init__(self, folder, *, aliases=None, embeddings=None):
        from cscs_eval.cfir._codebook import load_aliases

        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise UsageError(f"{folder}: the workbench needs a folder of notes files (.md)")
        self.aliases_arg = aliases
        self.aliases = load_aliases(aliases) if aliases is not None else {}
        self.embeddings = embeddings
        self.model = None
        self.table = None
        self.problems = []
        self.refresh()

    # ---- reading ---------------------------------------------------------------------------------
    def files(self) -> list[Path]:
        from cscs_eval.cfir._suggest import notes_files

        return notes_files([self.folder])

    def path(self, name: str) -> Path:
        """The notes file ``name`` of the folder; anything else is refused."""
        for p in self.files():
            if p.name == name:
                return p
        raise UsageError(f"{name!r} is not a notes file of {self.folder}")

    def refresh(self, *, rebuild: bool = True) -> None:
        """Read the whole folder again: the coding so far (codes that resolve), every problem and, with
        ``rebuild``, the model (the server rebuilds it in a thread instead, so selections stay fast)."""
        from cscs_eval.cfir._coding import _build

        files = self.files()
        if files:
            table, problems = _build(files, self.aliases, False)
        else:
            from cscs_eval.cfir._coding import _empty

            table, problems = _empty(), []
        self.table = table.dropna(subset=["construct_id", "case"]).reset_index(drop=True)
        self.problems = problems
        if rebuild:
            self.rebuild_model()

    def rebuild_model(self) -> None:
        """Fit the suggester on the coding so far (so suggestions learn from what was just coded)."""
        from cscs_eval.cfir._suggest import Suggester

        table = self.table
        self.model = Suggester(table if len(table) else None, aliases=self.aliases or None,
                               embeddings=self.embeddings)

    def codebook(self) -> list[dict]:
        """Every codable code with its domain, level, parent and definition, for the searchable codebook."""
        from cscs_eval.cfir._codebook import codebook

        cb = codebook(levels=("construct", "subconstruct"), definitions=True)
        return [{"id": r.id, "label": r.label, "name": r.name, "domain": r.domain, "level": r.level,
                 "parent": r.parent_id, "definition": r.definition or ""} for r in cb.itertuples(index=False)]

    def load(self, name: str) -> dict:
        """A notes file as the page shows it: front matter, blocks (with their codes and review
        markers), its SHA-256 as read, and its problems as ``cfir validate`` words them."""
        from cscs_eval.cfir._coding import _BULLET, REVIEW_MARKER
        from cscs_eval.cfir._suggest import note_blocks
        from cscs_eval.cfir._syntax import parse_inline_codes

        notes = NotesFile.read(self.path(name))
        meta, blocks = note_blocks(notes.text, file=notes.path)
        lines = notes.text.split("\n")
        shown = []
        for b in blocks:
            text = b["text"]
            markers = [" ".join(m.group(1).split()) for m in REVIEW_MARKER.finditer(text)]
            try:
                clean, codes = parse_inline_codes(REVIEW_MARKER.sub(" ", text)) if b["kind"] == "text" else (text, [])
            except InputError:  # a misplaced bracket: shown as typed; the problems list says where
                clean, codes = text, []
            bullet = b["kind"] == "text" and bool(_BULLET.match(lines[b["line"] - 1]))
            shown.append({**b, "bullet": bullet, "clean": clean, "codes": [{"code": c, "rating": r or "M", "memo": m}
                                                         for c, r, m in codes], "markers": markers})
        problems = [p for p in self.problems if p["file"] == str(notes.path)]
        return {"name": name, "case": None if meta.get("case") is None else str(meta.get("case")),
                "source": str(meta.get("source") or notes.path.stem),
                "meta": {k: str(v) for k, v in meta.items()}, "sha256": notes.sha256, "blocks": shown,
                "problems": _problem_rows(problems)}

    def project(self, case=None) -> dict:
        """Coverage (codes per case and domain) and the construct x case matrix of the coding so far."""
        from cscs_eval.cfir._ratings import coverage, matrix

        files = [p.name for p in self.files()]
        if self.table is None or self.table.empty:
            return {"files": files, "cases": [], "coverage": {"columns": [], "rows": []},
                    "matrix": {"columns": [], "rows": []}, "n_codes": 0, "n_problems": len(self.problems),
                    "case": case}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pooled coders: the workbench shows what is coded, as coded
            cov, mat = coverage(self.table), matrix(self.table)
        cases = [c for c in mat.columns if c not in ("construct_id", "construct", "domain")]
        return {"files": files, "cases": cases, "case": case,
                "coverage": {"columns": [str(c) for c in cov.columns],
                             "rows": [[_plain(v) for v in row] for row in cov.itertuples(index=False)]},
                "matrix": {"columns": ["construct_id", "construct", *cases],
                           "rows": [[_plain(v) for v in row] for row in
                                    mat[["construct_id", "construct", *cases]].itertuples(index=False)]},
                "n_codes": int(len(self.table)), "n_problems": sum(not p.get("draft") for p in self.problems)}

    # ---- suggesting ------------------------------------------------------------------------------
    def suggest(self, text: str, *, top: int = 5) -> dict:
        """The ``top`` suggested constructs for a selection, with score, evidence and the time taken."""
        t0 = time.perf_counter()
        text = " ".join(str(text).split())
        if not text:
            return {"candidates": [], "ms": 0.0, "evidence_used": self.model.evidence_used}
        table = self.model.suggest([text[:5000]], top=top).table
        out = [{"id": r.construct_id, "label": r.construct, "domain": r.domain, "score": float(r.score),
                "evidence": r.evidence} for r in table.itertuples(index=False)]
        return {"candidates": out, "ms": round(1000 * (time.perf_counter() - t0), 1),
                "evidence_used": self.model.evidence_used}

    # ---- writing ---------------------------------------------------------------------------------
    def apply(self, name: str, *, line: int, sha256: str, codes, memo=None, selection=None,
              rebuild: bool = True) -> dict:
        """Write ``codes`` (a list of ``{"id", "rating"}``) with ``memo`` at the end of the paragraph
        or bullet holding file line ``line`` of notes file ``name``.

        Refused (nothing written) when the file's SHA-256 is no longer ``sha256``
        (:class:`ConflictError`), when the paragraph no longer holds ``selection``, or when the new
        text would add a problem ``cfir validate`` reports (an :class:`~cscs_eval.errors.InputError`
        whose message lists them). A review marker on the paragraph is removed: the evaluator decided.
        Returns the file as :meth:`load` shows it, the written codes and the project's state; the
        suggester learns the new codes at once, or later with ``rebuild=False`` (:meth:`rebuild_model`).
        """
        from cscs_eval.cfir._codebook import get_codebook
        from cscs_eval.cfir._coding import REVIEW_MARKER
        from cscs_eval.cfir._suggest import append_to_line, note_blocks
        from cscs_eval.cfir._syntax import format_codes, normalise_rating

        path = self.path(name)
        notes = NotesFile.read(path)
        if notes.sha256 != sha256:
            raise ConflictError(f"{name} changed on disk since the page loaded it; nothing was written. Reload it "
                                "(the button below, or the R key) and apply the codes again.")
        cb = get_codebook()
        chosen = []
        for code in codes or []:
            cid = str(code.get("id", "")).upper()
            if cid not in cb.by_id or cb.by_id[cid]["level"] == "domain":
                raise UsageError(f"{code.get('id')!r} is not a CFIR 2.0 construct or subconstruct id")
            rating = normalise_rating(code.get("rating"))
            chosen.append((cb.label(cid), rating, (memo or "").strip() or None))
        if not chosen:
            raise UsageError("choose at least one construct to apply")
        if memo and ("]]" in memo or "[[" in memo or "|" in memo or "\n" in memo):
            raise UsageError("a memo cannot hold '[[', ']]', '|' or a line break (they end the code block)")
        _, blocks = note_blocks(notes.text, file=path)
        block = next((b for b in blocks if b["line"] <= line <= b["end_line"] and b["kind"] == "text"), None)
        if block is None:
            raise UsageError(f"line {line} of {name} is not in a paragraph or bullet; select text in one")
        if selection and " ".join(selection.split()) not in " ".join(block["text"].split()):
            raise ConflictError(f"the paragraph at line {block['line']} of {name} no longer holds the selected "
                                "text; reload the file")
        lines = notes.text.split("\n")
        for i in range(block["line"] - 1, block["end_line"]):
            if REVIEW_MARKER.search(lines[i]):
                lines[i] = REVIEW_MARKER.sub("", lines[i]).rstrip()
        written = format_codes(chosen)
        append_to_line(lines, block["end_line"], written)
        new_text = "\n".join(lines)
        added = self._new_problems(path, notes.text, new_text)
        if added:
            raise InputError("nothing was written: the codes would add "
                             f"{len(added)} problem(s) that 'cscs-eval cfir validate' reports:\n"
                             + "\n".join(_problem_line(p) for p in added))
        notes.write(new_text, expected_sha256=sha256)
        self.refresh(rebuild=rebuild)
        state = self.load(name)
        return {"file": state, "written": written, "line": block["end_line"], "backup": path.name + ".bak",
                "project": self.project(state["case"])}

    def _new_problems(self, path, old_text, new_text):
        """Problems ``cfir validate`` finds in ``new_text`` that ``old_text`` did not have (line numbers
        do not move: codes are only ever appended to a line)."""
        from cscs_eval.cfir._coding import _build

        def problems(text):
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / path.name
                copy.write_text(text, encoding="utf-8")
                found = _build([copy], self.aliases, False)[1]
            return [{**p, "file": str(path)} for p in found]

        key = lambda p: (p["line"], p["column"], p["problem"])  # noqa: E731
        before = {key(p) for p in problems(old_text)}
        return [p for p in problems(new_text) if key(p) not in before]


def _plain(value):
    """A table cell as JSON: numbers as numbers, missing as None, everything else as text."""
    import math

    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if isinstance(value, float) and math.isnan(value) else value
    if hasattr(value, "item"):
        return _plain(value.item())
    text = str(value)
    return None if text in ("<NA>", "nan") else text


# --------------------------------------------------------------------------------------------------
# The web server (Tornado)
# --------------------------------------------------------------------------------------------------

def _application(bench: Workbench, token: str, port_holder: dict):
    from concurrent.futures import ThreadPoolExecutor

    import tornado.ioloop
    import tornado.web

    rebuilder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cscs-eval-suggester")

    class Base(tornado.web.RequestHandler):
        def set_default_headers(self):
            self.set_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("Cache-Control", "no-store")

        def prepare(self):
            host = self.request.host
            allowed = {f"127.0.0.1:{port_holder['port']}", f"localhost:{port_holder['port']}"}
            if host not in allowed:
                raise tornado.web.HTTPError(403, reason="Host not allowed")

        def write_error(self, status_code, **kwargs):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": self._reason}))

    class Api(Base):
        def prepare(self):
            super().prepare()
            given = self.request.headers.get("X-Workbench-Token", "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise tornado.web.HTTPError(403, reason="missing or wrong token: open the address the "
                                            "workbench printed")

        def body(self):
            try:
                data = json.loads(self.request.body or b"{}")
            except ValueError:
                raise tornado.web.HTTPError(400, reason="the request body is not JSON") from None
            if not isinstance(data, dict):
                raise tornado.web.HTTPError(400, reason="the request body must be a JSON object")
            return data

        def reply(self, data, status=200):
            self.set_status(status)
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps(data, ensure_ascii=False))

        def fail(self, exc, status):
            self.reply({"error": getattr(exc, "message", None) or str(exc), "kind": type(exc).__name__}, status)

    class Page(Base):
        def get(self):
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish((STATIC_DIR / "workbench.html").read_bytes())

    class NoIcon(Base):
        def get(self):
            self.set_status(204)
            self.finish()

    class Theme(Base):
        def get(self):
            self.set_header("Content-Type", "text/css; charset=utf-8")
            self.finish(theme_css())

    class Files(Api):
        def get(self):
            self.reply(bench.project())

    class File(Api):
        def get(self):
            name = self.get_query_argument("name", "")
            try:
                state = bench.load(name)
            except (UsageError, InputError) as exc:
                return self.fail(exc, 404 if isinstance(exc, UsageError) else 422)
            self.reply({"file": state, "project": bench.project(state["case"])})

    class Codebook(Api):
        def get(self):
            self.reply({"codes": bench.codebook(), "ratings": list(RATING_CHOICES)})

    class Suggest(Api):
        def post(self):
            data = self.body()
            self.reply(bench.suggest(str(data.get("text", "")), top=int(data.get("top", 5) or 5)))

    class Apply(Api):
        def post(self):
            data = self.body()
            try:
                line = int(data.get("line"))
            except (TypeError, ValueError):
                return self.fail(UsageError("line must be a line number"), 400)
            try:
                out = bench.apply(str(data.get("name", "")), line=line, sha256=str(data.get("sha256", "")),
                                  codes=data.get("codes") or [], memo=data.get("memo"),
                                  selection=data.get("selection"), rebuild=False)
            except ConflictError as exc:
                return self.fail(exc, 409)
            except InputError as exc:
                return self.fail(exc, 422)
            except (UsageError, OutputError) as exc:
                return self.fail(exc, 400)
            self.reply(out)
            # the suggester learns the new codes in a thread (one at a time, in order of the writes)
            tornado.ioloop.IOLoop.current().run_in_executor(rebuilder, bench.rebuild_model)

    return tornado.web.Application([
        (r"/", Page),
        (r"/static/theme\.css", Theme),
        (r"/favicon\.ico", NoIcon),
        (r"/api/project", Files),
        (r"/api/file", File),
        (r"/api/codebook", Codebook),
        (r"/api/suggest", Suggest),
        (r"/api/apply", Apply),
        (r"/static/(workbench\.(?:js|css))", type("Static", (tornado.web.StaticFileHandler, Base), {}),
         {"path": str(STATIC_DIR)}),
    ], compress_response=False, xheaders=False)


def theme_css() -> str:
    """The page's colours as CSS variables, from the report style (the one place colours live)."""
    from cscs_eval.reporting import style

    colours = {"accent": style.ACCENT, "dark": style.DARK, "grey": style.GREY, "light": style.LIGHT,
               "warm": style.WARM, "pale-accent": style.tint(style.ACCENT, 0.15),
               "pale-warm": style.tint(style.WARM, 0.15)}
    return ":root {\n" + "".join(f"  --{k}: {v};\n" for k, v in colours.items()) + "}\n"


def workbench(notes_dir, *, aliases=None, port: int = 0, open_browser: bool = True, embeddings=None,
              out=None) -> int:
    """Serve the workbench for ``notes_dir`` on 127.0.0.1 until Ctrl-C (or SIGTERM); returns 0.

    ``port`` 0 lets the system pick a free port. The address, with its token, is printed on
    ``out`` (standard output) and opened in the browser unless ``open_browser`` is False.
    """
    import asyncio
    import signal

    import tornado.httpserver
    import tornado.netutil

    out = out or sys.stdout
    bench = Workbench(notes_dir, aliases=aliases, embeddings=embeddings)
    token = secrets.token_urlsafe(24)
    holder = {"port": None}
    app = _application(bench, token, holder)

    async def serve():
        try:
            sockets = tornado.netutil.bind_sockets(port, address="127.0.0.1")
        except OSError as exc:
            raise UsageError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}); try another --port") \
                from None
        holder["port"] = sockets[0].getsockname()[1]
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        url = f"http://127.0.0.1:{holder['port']}/?token={token}"
        n = len(bench.files())
        print(f"cscs-eval workbench: {n} notes file(s) in {bench.folder}\n  {url}\n  (Ctrl-C to stop)",
              file=out, flush=True)
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
                pass
        try:
            await stop.wait()
        finally:
            server.stop()
            await server.close_all_connections()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:  # where no signal handler could be installed
        pass
    print("cscs-eval workbench stopped", file=out, flush=True)
    return 0
