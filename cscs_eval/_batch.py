"""What a batch of reports computes once: a private folder that lives as long as the batch.

A ``--for-each`` batch (and the demo) runs one notebook per team on the same extract. Each report
needs the same validated, scored and paired table and keeps only its team's rows, so the first
report to need it computes it and stores it here; the others load it. It is row-level patient data:
the folder is made private (mode 0700, readable by its owner only) and removed when the batch ends,
whether it succeeded or failed. Nothing is kept between batches.

:func:`batch_folder` (the runner) makes the folder and names it in the environment, which the
worker processes and their kernels inherit; :func:`computed_once` (a capability) uses it when it is
there and simply computes otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path

#: The environment variable naming the current batch's folder (absent outside a batch).
BATCH_DIR_ENV = "CSCS_EVAL_BATCH_DIR"


@contextlib.contextmanager
def batch_folder():
    """A private folder (0700) for one batch, named in ``CSCS_EVAL_BATCH_DIR`` while the batch runs and
    removed with everything in it when the batch ends, success or failure."""
    folder = Path(tempfile.mkdtemp(prefix="cscs-eval-batch-"))  # mkdtemp makes it 0700
    os.chmod(folder, 0o700)  # whatever the umask: the folder holds patient-level rows
    before = os.environ.get(BATCH_DIR_ENV)
    os.environ[BATCH_DIR_ENV] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(BATCH_DIR_ENV, None)
        else:
            os.environ[BATCH_DIR_ENV] = before
        shutil.rmtree(folder, ignore_errors=True)


def file_key(path) -> str:
    """A file's SHA-256, for a key: a changed input is a different entry."""
    from cscs_eval.io import sha256_file

    return sha256_file(path)


def computed_once(name: str, key: tuple, compute):
    """``compute()``, or in a batch its value as the batch's first caller with the same ``key`` stored it.

    ``key`` must hold everything the value depends on (input checksums, options); it is hashed into
    the entry's file name. Callers in other processes wait while the first computes (a file lock where
    the platform has one; elsewhere two may compute the same value, and either stored copy is right).
    Outside a batch (no ``CSCS_EVAL_BATCH_DIR``), or if the folder is gone, this is ``compute()``.
    """
    folder = os.environ.get(BATCH_DIR_ENV)
    if not folder or not Path(folder).is_dir():
        return compute()
    digest = hashlib.sha256(repr((name, key)).encode()).hexdigest()[:32]
    entry = Path(folder) / f"{name}-{digest}.pickle"
    with _locked(entry.with_suffix(".lock")):
        if entry.exists():
            # pickle is safe here: the folder is this user's own, private, and made by this batch
            with open(entry, "rb") as fh:
                return pickle.load(fh)
        value = compute()
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)
        return value


@contextlib.contextmanager
def _locked(path: Path):
    try:
        import fcntl
    except ImportError:  # Windows: no lock, see computed_once
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
