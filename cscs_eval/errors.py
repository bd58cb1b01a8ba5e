"""One place for every error and warning cscs-eval raises.

Users catch :class:`CscsEvalError` for anything the toolkit reports about their input or
their command; the command line turns it into a one-line message and an exit code
(1 for a data error, 2 for a usage error) instead of a traceback.
"""

from __future__ import annotations


class CscsEvalError(Exception):
    """Base class of every error cscs-eval raises on purpose."""

    exit_code = 1


class InputError(CscsEvalError, ValueError):
    """A data file, or a DataFrame standing in for one, is not what was expected.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    file, row, column
        Where: ``row`` is the 1-based line or row a user sees in their editor or
        spreadsheet (the header is row 1 of a CSV file), ``column`` the column name.
    """

    def __init__(self, message: str, *, file=None, row=None, column=None):
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        super().__init__(self.__str__())

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class ValidationError(InputError):
    """Several problems found at once; ``problems`` lists them all (a DataFrame or list)."""

    def __init__(self, message: str, problems, *, file=None):
        self.problems = problems
        super().__init__(message, file=file)


class UsageError(CscsEvalError):
    """The command or call itself is wrong: an unknown option value, parameter or notebook."""

    exit_code = 2


class OutputError(CscsEvalError):
    """An output cannot be written: a read-only folder, a full disk, a path that is not a file."""


class NotebookExecutionError(CscsEvalError):
    """A notebook cell failed; the executed notebook is kept for inspection."""

    def __init__(self, message: str, *, notebook=None, cell=None):
        self.notebook = notebook
        self.cell = cell
        super().__init__(message)


class CscsEvalWarning(UserWarning):
    """Base class of cscs-eval's warnings, so users can filter them together."""


class SuspiciousDataWarning(CscsEvalWarning):
    """Allowed but unusual data, e.g. a follow-up on the same day as the baseline."""


class SmallSampleWarning(CscsEvalWarning):
    """A statistic rests on fewer observations than its method recommends."""
