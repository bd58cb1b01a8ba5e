"""One place for every error and warning cscs-eval raises.

Users catch :class:`CscsEvalError` for anything the toolkit reports about their input or
their command; the command line turns it into a one-line message and an exit code
(1 for a data error, 2 for a usage error) instead of a traceback.
"""

from __future__ import annotations

import numbers


class CscsEvalError(Exception):
    """Base class of every error cscs-eval raises on purpose."""

    exit_code = 1


class InputError(CscsEvalError, ValueError):
    """A data file, or a DataFrame standing in for one, is not what was expected.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    file, row, column, sheet
        Where: ``row`` is the 1-based line or row a user sees in their editor or
        spreadsheet (the header is row 1 of a CSV file), ``column`` the column name, ``sheet``
        the Excel sheet. A table read with its header lower down (``read_table(header_row=)``)
        is counted from row 1 by its readers: the error moves ``row`` down to the row the user
        sees and names the sheet (:func:`cscs_eval.io.file_origin`).
    """

    def __init__(self, message: str, *, file=None, row=None, column=None, sheet=None):
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.sheet = sheet
        if sheet is None and self.file:
            from cscs_eval.io import file_origin

            self.sheet, offset = file_origin(self.file)
            if offset and isinstance(row, numbers.Integral) and not isinstance(row, bool):
                self.row = int(row) + offset
        super().__init__(self.__str__())

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
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


class MergedCellsWarning(SuspiciousDataWarning):
    """Merged cells in an Excel sheet were filled down: each row of the merge took its value."""


class SmallSampleWarning(CscsEvalWarning):
    """A statistic rests on fewer observations than its method recommends."""
