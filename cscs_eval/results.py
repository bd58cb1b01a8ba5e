"""The shape every result object has, statsmodels style: a table, a summary and a sentence.

A function that computes more than one table returns a result object rather than hiding the
extra tables in ``DataFrame.attrs`` (which a reader cannot see and pandas copies
unpredictably). Every result type derives from :class:`Result` and has

* ``.table``: the main tidy table (a pandas DataFrame), one row per unit of analysis;
* ``.summary()``: a small DataFrame that drops straight into a report;
* ``.text()``: the sentence a report prints about it.

Other tables (exclusions, problems, case ratings) are named fields of the object.
"""

from __future__ import annotations

__all__ = ["Result"]


class Result:
    """Base class of cscs-eval's result objects (subclasses are dataclasses with a ``table`` field)."""

    table = None

    def summary(self):
        """A small table that drops straight into a report; by default the main table."""
        return self.table

    def text(self) -> str:
        """The sentence a report prints about this result."""
        raise NotImplementedError(f"{type(self).__name__} does not define text()")

    def __repr__(self) -> str:
        rows = "" if self.table is None else f", {len(self.table)} rows"
        try:
            said = self.text()
        except Exception:  # a repr must never fail, whatever state the object is in
            said = ""
        return f"<{type(self).__name__}{rows}{': ' + said if said else ''}>"

    def _repr_html_(self) -> str:
        import html

        summary = self.summary()
        body = summary.to_html(index=False, max_rows=20) if summary is not None else ""
        return f"<p>{html.escape(self.text())}</p>{body}"
