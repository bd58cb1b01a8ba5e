"""The README is the record of the interface: its shell and Python examples run as written.

Each ```sh/```bash block runs line by line in bash from a scratch folder holding what a fresh clone
holds that the examples read (``data``, ``notebooks``, ``templates``, ``tests/reference``), so outputs
land there, not in the checkout; a line ending in a comment
that says ``exit N`` must exit N, every other line 0. Lines that set up or run everything
(``make ...``, ``cscs-eval demo``, ``--for-each`` batches, ``jupyter lab``) are left to their own
tests. Each ```python block runs in a fresh interpreter from the same folder.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Commands that rebuild or run everything, or open a server; their own tests cover them.
SKIP = re.compile(r"^(make\b|cscs-eval demo\b|jupyter\b|source\b|\.\s)|--for-each|cscs-eval cfir workbench")


def _blocks(kind):
    text = (ROOT / "README.md").read_text()
    fence = r"```(?:sh|bash|shell)\n(.*?)```" if kind == "shell" else r"```python\n(.*?)```"
    return [m.group(1) for m in re.finditer(fence, text, flags=re.S)]


def _commands(block):
    """Logical lines of a shell block (backslash continuations joined), with their expected exit code."""
    joined = re.sub(r"\\\n\s*", " ", block)
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or SKIP.search(line):
            continue
        command, _, comment = line.partition("  #")
        expected = re.search(r"\bexit (\d)\b", comment)
        yield command.strip(), int(expected.group(1)) if expected else 0


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    for name in ("data", "notebooks", "templates", "tests/reference"):  # what a fresh clone holds
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("raw", ".*"))
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CSCS_EVAL_PSEUDONYM_KEY"] = "readme-test-key-" + "0" * 48
    env["PYTHONPATH"] = str(ROOT)
    env.pop("CSCS_EVAL_ENCODING", None)
    return folder, env


SHELL = [(i, c, e) for i, block in enumerate(_blocks("shell")) for c, e in _commands(block)]


def test_the_readme_has_examples():
    assert len(SHELL) >= 20 and len(_blocks("python")) >= 4


def test_shell_examples_run_as_written(scratch):
    folder, env = scratch
    failures = []
    state = ""  # variables set by earlier lines of the README (S=data/sample/cfir) carry on
    for _, command, expected in SHELL:
        if re.match(r"^[A-Z_]+=\S+$", command):
            state += command + "\n"
            continue
        done = subprocess.run(["bash", "-c", state + command], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=600)
        if done.returncode != expected or "Traceback" in done.stderr:
            failures.append(f"{command}\n  exit {done.returncode} (expected {expected}): "
                            f"{(done.stderr or done.stdout).strip()[-400:]}")
    assert not failures, "README commands that do not run as written:\n" + "\n".join(failures)


@pytest.mark.parametrize("number", range(len(_blocks("python"))))
def test_python_examples_run_as_written(scratch, number):
    folder, env = scratch
    code = _blocks("python")[number]
    done = subprocess.run([sys.executable, "-c", "import matplotlib; matplotlib.use('Agg')\n" + code],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"README python block {number + 1}:\n{code}\n{done.stderr[-2000:]}"
