"""Disclosure control that holds under attack: secondary suppression, rates from published counts, an audit.

What this follows, and why
--------------------------
Primary suppression (``*`` for 1 to 4, 0 shown, other counts to the nearest 5) is NHS practice, but
as the tau-ARGUS manual says of any table with margins, deleting the sensitive cells is not enough:
published totals, other cells and bounds such as "counts are not negative" can give a deleted value
back, or an interval around it too narrow to protect it [1, s. 2.2, 2.5]. The remedy is secondary
(complementary) suppression, and the proof is an audit.

*The attacker and the audit.* tau-ARGUS's audit solves two linear programs for every suppressed cell
(its minimum and maximum given the published cells, the table's equations and a-priori bounds) and
compares the "feasibility interval" found with the cell's required "protection interval", the true
value minus a lower and plus an upper protection level, on the full set of table relations
[1, s. 2.5, 2.15]; sdcTable's
``attack()`` does the same with HiGHS, bounding suppressed cells by 0 and the largest cell
[2, R/attack.R]. :func:`audit` does this for our tables, with three changes that our publications
need. (a) Integer programming (``scipy.optimize.milp``), not linear programming: a rate shown with
one decimal beside rounded counts is a linear inequality in numerator and denominator
(``(r - h) * n <= 100 * x <= (r + h) * n``), and it is integrality that turns those inequalities into
one answer (18.4% with 98-102 eligible and 18-22 paired fits only 18/98); the linear relaxation would
miss every such attack. The programs are small (hundreds of variables), so exact solving is cheap.
(b) The protection interval is what the published value admits: for ``*`` all of 1 to 4, for a
count rounded to r all of r-2 to r+2 (5 to 7 for r = 5). A cell leaks when its feasibility interval
does not cover that. (c) Besides intervals, a suppressed total whose other parts are all shown as 0
lies wholly in one part: the 1 to 4 people all belong to that group (the "100% cell" group disclosure
the tau-ARGUS manual warns about for frequency tables [1, s. 2.3]).

*Choosing complementary cells.* tau-ARGUS offers optimal (one mixed-integer model of the whole
table, its attacker problems turned into cuts by Benders decomposition) [1, s. 2.9], modular/HiTaS
(optimal on subtables, top-down through a hierarchy) [1, s. 2.10], hypercube/GHMITER (for each
primary cell the cheapest hypercube of suppressed cells around it) [1, s. 2.8] and network methods; sdcTable adds SIMPLEHEURISTIC, which suppresses, attacks every primary cell with the
LP above and, for each one still recoverable, suppresses the cheapest publishable cell of a subtable
containing it, repeating until every attack fails [2, R/utils_simpleheuristic.R; 3]. Our tables are
small and their relations are of several kinds at once (sums across a row, total rows, breakdowns
of another table, rates), which suits the attack-and-repair loop of SIMPLEHEURISTIC better than the
geometric hypercube (which needs a pure n-dimensional table) or a full optimal model: :func:`protect`
follows it, attacking with the exact integer audit. The cost that decides which cell to hide is
sdcTable's default weight, the cell's own count, which for a table of counts is tau-ARGUS's
"frequency" cost (hide the cells with the fewest contributors; the "unity" cost, fewest cells, tends
to hide totals) [1, s. 2.6, 3.1.4], with the hypercube's rule that marginal cells (totals, total
rows, a row another table breaks down) are taken only when no inner cell will do [1, s. 2.8.1]: the
least informative cell is the smallest inner one. Zero cells are frozen, as the hypercube treats them
[1, s. 2.8.2], except to break a 100% group, where only hiding another part can help, and when
nothing else is left: a total of 1 to 4 split into two parts of 1 to 4 (each part is then at most
3), the case for which the modular method forces a third suppression [1, s. 2.10].

*Linked tables.* sdcTable protects two tables with common cells by building one constraint matrix
over both [2, R/protect_linked_tables.R]; tau-ARGUS builds a cover table [1, s. 2.11]; rtauargus
iterates table by table until the common cells agree [4]. :func:`protect_tables` takes sdcTable's
route: the tables' relations, including each breakdown's equations with the row it breaks down, form
one program, attacked and repaired together, so no common cell can be suppressed in one table and
shown in another.

*Rates from published counts.* A rate computed from exact counts undoes the rounding of its counts
(the attack above); every rate :func:`protect` publishes is computed from the published (rounded)
counts and withheld when either is suppressed, and its structure says so (``basis="published"``).
A share of a count the table does not show (improved, shown only as a percentage of paired) still
tells the rounded count, so the audit bounds that count by the rounded values that give the share.

*What ``*`` means to a reader.* A table with no secondary suppression says ``*`` = 1 to 4, and the
audit takes every ``*`` as 1 to 4 (the attacker's strongest reading). Once secondary suppression hides
a larger count or a 0, the table says so (structure ``secondary=True`` and :data:`SECONDARY_NOTE`) and
a ``*`` is then only "hidden": the audit bounds it by 0 and a large number, as tau-ARGUS and sdcTable
bound suppressed cells, and requires every ``*`` interval to still cover 1 to 4 so that a reader cannot
tell the small ones from the others. The audit, like tau-ARGUS's, proves nothing about information
outside the tables given to it, nor about an attacker who knows how the complements were chosen [1,
s. 2.15].

References
----------
[1] Statistics Netherlands (CBS), tau-ARGUS version 4.1 user's manual, November 2014 (de Wolf,
    Hundepool, Giessing, Salazar, Castro), https://research.cbs.nl/casc/Software/TauManualV4.1.pdf
[2] sdcTable (Meindl), https://github.com/sdcTools/sdcTable: R/protectTable.R (methods OPT, HITAS,
    HYPERCUBE, SIMPLEHEURISTIC), R/utils_simpleheuristic.R, R/attack.R, R/protect_linked_tables.R.
[3] Hundepool et al., Statistical Disclosure Control, Wiley 2012, chapters 4 (tabular data) and 5
    (frequency tables), cited by [1].
[4] rtauargus (INSEE), vignette "Protect several linked tables at once",
    https://github.com/InseeFrLab/rtauargus/blob/master/vignettes/protect_multi_tables.Rmd
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscs_eval.errors import InputError, UsageError
from cscs_eval.governance import ROUND_TO, SMALL_MAX, SUPPRESSED, SUPPRESSION_NOTE, suppress_count
from cscs_eval.governance import _system as sysm
from cscs_eval.governance.structure import TableStructure

PROBE = False
__all__ = ["protect", "protect_tables", "primary_suppression", "audit", "ProtectedTable", "LEAK_COLUMNS",
           "PROTECTED_NOTE", "SECONDARY_NOTE", "NOT_FOR_PUBLICATION"]

#: The line under a table that :func:`protect` made, when no ``*`` hides more than 1 to 4.
PROTECTED_NOTE = (f"* = 1 to {SMALL_MAX} (suppressed); other counts rounded to the nearest {ROUND_TO}; percentages are "
                  "computed from the rounded counts and withheld when their numerator or denominator is suppressed.")
#: The line under a table with secondary suppression: a ``*`` is then not always 1 to 4.
SECONDARY_NOTE = (f"* = suppressed: 1 to {SMALL_MAX}, or another number hidden so that no suppressed number can be "
                  f"worked out; other counts rounded to the nearest {ROUND_TO}; percentages are computed from the "
                  "rounded counts and withheld when their numerator or denominator is suppressed.")
#: The line on every output made with ``suppress=False``.
NOT_FOR_PUBLICATION = "Not for publication: small numbers shown"
#: Columns of :func:`audit`'s result.
LEAK_COLUMNS = ["table", "row", "column", "shown", "low", "high", "why"]


@dataclass(frozen=True)
class ProtectedTable:
    """What :func:`protect` returns.

    Attributes
    ----------
    table
        The publishable table: counts as whole numbers or ``*``, rates from the published counts or
        ``*``; latent counts left out.
    structure
        Its :class:`TableStructure` (rates with ``basis="published"``, ``secondary`` set when some
        ``*`` hide numbers other than 1 to 4); write it beside the table.
    mask
        True where a value is hidden (same index and columns as ``table``).
    reasons
        Why each hidden value is hidden: ``small`` (1 to 4), ``secondary`` (so that another cannot be
        worked out) or ``withheld`` (a rate whose numerator or denominator is hidden); empty otherwise.
    note
        The line to print under the table.
    """

    table: pd.DataFrame
    structure: TableStructure
    mask: pd.DataFrame
    reasons: pd.DataFrame
    note: str

    @property
    def publishable(self) -> bool:
        return self.structure.suppressed

    def __len__(self) -> int:
        return len(self.table)

    def with_table(self, table: pd.DataFrame, structure: TableStructure | None = None) -> ProtectedTable:
        """The same publication with ``table`` (columns renamed or left out, rows selected, values
        formatted) and, if given, its ``structure``. The mask is read off ``table`` (a cell is hidden where
        it shows ``*``), since its rows and columns may no longer line up with this table's; a hidden
        cell's reason is ``"hidden"``."""
        import dataclasses

        mask = table.isin([SUPPRESSED]).astype(bool)
        reasons = pd.DataFrame(np.where(mask.to_numpy(), "hidden", ""), index=table.index, columns=table.columns)
        return dataclasses.replace(self, table=table, structure=structure or self.structure, mask=mask,
                                   reasons=reasons)


# ---- inputs ---------------------------------------------------------------------------------------
def _row_labels(df, structure):
    labels, key_values = [], []
    keys = [k for k in structure.key if k in df.columns]
    key_cols = {k: df[k].tolist() for k in keys}
    for i in range(len(df)):
        kv = {k: sysm._str(_plain(key_cols[k][i])) for k in keys}
        key_values.append(kv)
        labels.append(", ".join(f"{k}={v}" for k, v in kv.items()) if kv else f"row {i + 1}")
    return labels, key_values


def _plain(v):
    if isinstance(v, (np.generic,)):
        return v.item()
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _published(df: pd.DataFrame, structure: TableStructure) -> sysm.Published:
    """The reader's view of a table: its published columns (latent counts excluded) as plain lists."""
    missing_keys = [k for k in structure.key if k not in df.columns]
    if missing_keys:
        raise InputError(f"key column(s) {', '.join(missing_keys)} are not in the table", file=structure.table_id)
    latent = set(structure.latent)
    cols = [c for c in (*structure.counts, *structure.rate_columns) if c in df.columns and c not in latent]
    extra = {k for k in structure.key} | {k for b in structure.breakdowns for k, _ in b.where}
    columns = {c: [_plain(v) for v in df[c].tolist()] for c in dict.fromkeys([*cols, *[e for e in extra
                                                                                        if e in df.columns]])}
    labels, key_values = _row_labels(df, structure)
    return sysm.Published(structure.table_id, columns, len(df), structure, labels, key_values)


def _as_pairs(tables):
    """(df, structure) pairs from pairs, ProtectedTable results or a mapping of id -> pair."""
    if isinstance(tables, ProtectedTable):
        return [(tables.table, tables.structure)]
    if isinstance(tables, tuple) and len(tables) == 2 and isinstance(tables[1], TableStructure):
        return [tables]
    if isinstance(tables, dict):
        tables = tables.values()
    out = []
    for t in tables:
        if isinstance(t, ProtectedTable):
            out.append((t.table, t.structure))
        elif isinstance(t, (tuple, list)) and len(t) == 2 and isinstance(t[1], TableStructure):
            out.append((t[0], t[1]))
        else:
            raise UsageError("tables must be (DataFrame, TableStructure) pairs or protect() results, "
                             f"got {type(t).__name__}")
    return out


def _true_counts(df, structure):
    """Every count column as a list of ints (None where missing); checks they are counts."""
    out = {}
    for col in structure.counts:
        if col not in df.columns:
            raise InputError(f"count column {col!r} is missing; protect() needs every count of the structure, "
                             "latent ones too", file=structure.table_id, column=col)
        values = []
        for i, v in enumerate(df[col].tolist()):
            p = sysm.parse_value(_plain(v))
            if p[0] == "missing":
                values.append(None)
                continue
            if p[0] != "number" or p[1] < 0 or abs(p[1] - round(p[1])) > 1e-9:
                raise InputError(f"a count must be a whole number of 0 or more, got {v!r}",
                                 file=structure.table_id, row=i + 1, column=col)
            values.append(int(round(p[1])))
        out[col] = values
    return out


# ---- primary suppression alone (the old rule; the baseline) ---------------------------------------
def primary_suppression(df: pd.DataFrame, structure: TableStructure) -> ProtectedTable:
    """The primary rule alone, as outputs applied it before secondary suppression: counts 1 to 4 as
    ``*``, others rounded to 5, a rate withheld when its numerator or denominator is 1 to 4 and
    otherwise shown from the exact counts (at the structure's decimals). Not safe: :func:`audit`
    finds what it leaks; kept as the baseline that tests and benchmarks compare :func:`protect` with.
    """
    counts = _true_counts(df, structure)
    latent = set(structure.latent)
    out = df.copy()
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    reasons = pd.DataFrame("", index=df.index, columns=df.columns)
    for col in structure.counts:
        if col in latent:
            continue
        shown = [None if v is None else suppress_count(v) for v in counts[col]]
        out[col] = pd.Series(shown, index=df.index, dtype=object)
        small = [s == SUPPRESSED for s in shown]
        mask[col] = small
        reasons[col] = ["small" if s else "" for s in small]
    rates = []
    for rate in structure.rates:
        if rate.column not in df.columns:
            continue
        small = [(n is not None and 0 < n <= SMALL_MAX) or (d is not None and 0 < d <= SMALL_MAX)
                 for n, d in zip(counts[rate.numerator], counts[rate.denominator])]
        values = [SUPPRESSED if s else _round_rate(v, rate.decimals) for s, v in zip(small, df[rate.column].tolist())]
        out[rate.column] = pd.Series(values, index=df.index, dtype=object)
        mask[rate.column] = small
        reasons[rate.column] = ["withheld" if s else "" for s in small]
        rates.append(_with_basis(rate, "exact"))
    keep = [c for c in out.columns if c not in latent]
    st = structure.replace(rates=tuple(rates) + tuple(r for r in structure.rates if r.column not in df.columns),
                           suppressed=True, secondary=False)
    return ProtectedTable(out[keep], st, mask[keep], reasons[keep], SUPPRESSION_NOTE)


def _with_basis(rate, basis):
    import dataclasses

    return dataclasses.replace(rate, basis=basis)


def _round_rate(v, decimals):
    from cscs_eval.stats import round_half_up

    v = _plain(v)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return round_half_up(float(v), decimals=decimals)


# ---- protect --------------------------------------------------------------------------------------
class _State:
    """One table under protection: true counts, what is hidden, and its published view."""

    def __init__(self, df, structure):
        self.df = df
        self.structure = structure
        self.counts = _true_counts(df, structure)
        self.latent = set(structure.latent)
        self.n = len(df)
        # hidden: (row, count column) -> "small" | "secondary"
        self.hidden = {}
        for col, values in self.counts.items():
            for i, v in enumerate(values):
                if v is not None and 0 < v <= SMALL_MAX:
                    self.hidden[(i, col)] = "small"
        self.labels, self.key_values = _row_labels(df, structure)

    @property
    def secondary(self) -> bool:
        return any(r == "secondary" for r in self.hidden.values())

    def rate_value(self, rate, i):
        n, d = self.counts[rate.numerator][i], self.counts[rate.denominator][i]
        if (i, rate.numerator) in self.hidden or (i, rate.denominator) in self.hidden:
            return SUPPRESSED
        if n is None or d is None or d == 0:
            return None
        from cscs_eval.stats import round_half_up

        return round_half_up(rate.multiplier * suppress_count(n) / suppress_count(d), decimals=rate.decimals)

    def published_columns(self):
        cols = {}
        for col in self.structure.counts:
            if col in self.latent:
                continue
            cols[col] = [None if v is None else (SUPPRESSED if (i, col) in self.hidden else suppress_count(v))
                         for i, v in enumerate(self.counts[col])]
        for rate in self.structure.rates:
            cols[rate.column] = [self.rate_value(rate, i) for i in range(self.n)]
        for k in {*self.structure.key, *(k for b in self.structure.breakdowns for k, _ in b.where)}:
            if k in self.df.columns:
                cols[k] = [_plain(v) for v in self.df[k].tolist()]
        return cols

    def published_structure(self):
        return self.structure.replace(rates=tuple(_with_basis(r, "published") for r in self.structure.rates),
                                      suppressed=True, secondary=self.secondary)

    def view(self):
        return sysm.Published(self.structure.table_id, self.published_columns(), self.n, self.published_structure(),
                              self.labels, self.key_values)


def protect(df: pd.DataFrame, structure: TableStructure, *, suppress: bool = True) -> ProtectedTable:
    """The publishable form of one table: primary suppression, then secondary suppression until the
    audit can work out nothing hidden, with rates from the published counts.

    Parameters
    ----------
    df
        The table with true counts (every count of ``structure``, latent ones too) and its key columns;
        rate columns are recomputed, so their input values do not matter.
    structure
        The table's :class:`TableStructure`.
    suppress
        ``False``: an unchanged copy, its structure marked not for publication and the note
        :data:`NOT_FOR_PUBLICATION`.

    Returns
    -------
    ProtectedTable

    Examples
    --------
    >>> import pandas as pd
    >>> from cscs_eval.governance import Parts, Rate, TableStructure, protect
    >>> s = TableStructure("t", key=("team",), counts=("paired", "improved", "no_change", "deteriorated"),
    ...     latent=("improved", "no_change", "deteriorated"), parts=(Parts("paired", ("improved", "no_change",
    ...     "deteriorated")),), rates=tuple(Rate(f"{c}_pct", c, "paired") for c in ("improved", "no_change",
    ...     "deteriorated")))
    >>> df = pd.DataFrame({"team": ["Birchfield"], "paired": [23], "improved": [5], "no_change": [17],
    ...                    "deteriorated": [1]})
    >>> protect(df, s).table.iloc[0].tolist()
    ['Birchfield', 25, 20.0, 60.0, '*']
    """
    return protect_tables([(df, structure)], suppress=suppress)[0]


def protect_tables(tables, *, suppress: bool = True, max_rounds: int | None = None) -> list[ProtectedTable]:
    """:func:`protect` for linked tables (a breakdown and the table whose row it breaks down): all are
    attacked and repaired together, so a cell both tables show is hidden in both or in neither.

    ``tables``: (DataFrame, TableStructure) pairs; returns their :class:`ProtectedTable`, in order.
    """
    pairs = _as_pairs(tables)
    if not suppress:
        out = []
        for df, st in pairs:
            shown_latent = tuple(c for c in st.latent if c not in df.columns)   # the table shows them all
            out.append(ProtectedTable(df.copy(), st.replace(suppressed=False, secondary=False, latent=shown_latent,
                                                            rates=tuple(_with_basis(r, "exact") for r in st.rates)),
                                      pd.DataFrame(False, index=df.index, columns=df.columns),
                                      pd.DataFrame("", index=df.index, columns=df.columns), NOT_FOR_PUBLICATION))
        return out
    states = [_State(df, st) for df, st in pairs]
    by_id = {s.structure.table_id: s for s in states}
    if len(by_id) != len(states):
        raise UsageError("two tables have the same table_id; ids must be unique")
    truth = {}
    for s in states:
        for col, values in s.counts.items():
            for i, v in enumerate(values):
                if v is not None:
                    truth[(s.structure.table_id, i, col)] = v
    biggest = max(truth.values(), default=0)
    pool = {}
    rounds = 0
    limit = max_rounds or (sum(len(s.counts) * max(s.n, 1) for s in states) + 5)
    while True:
        rounds += 1
        if rounds > limit:
            raise RuntimeError("secondary suppression did not converge; please report this table")
        views = [s.view() for s in states]
        kinds = {}
        for s in states:
            for col in s.latent:
                for i, v in enumerate(s.counts[col]):
                    if (i, col) not in s.hidden and v is not None and 0 < v <= SMALL_MAX:
                        kinds[(s.structure.table_id, i, col)] = "star"
        prog, targets, findings, relations = sysm.build(views, extra_values=(biggest,), kinds=kinds)
        seeds = [truth]
        result = sysm.intervals(prog, [t for _, t in targets], seeds=seeds, pool=pool, report=False)
        leaks = []
        for c, t in targets:
            lo, hi, status, binding = result[t.var]
            if status == "infeasible":
                raise RuntimeError(f"the protected tables do not fit their own structure at {c}; please report this")
            if status != "ok":
                leaks.append((c, None if binding is None else {prog.names[v] for v in binding} - {None}))
        hard = [f for f in findings if not f.get("soft")]
        if not leaks and not hard:
            break
        chosen = _choose_complements(leaks, hard, relations, by_id, truth)
        if not chosen:
            # Every cell that could cover it is hidden already (e.g. a total of 3 whose three parts are each
            # 1: three stars say the total is at least 3). Suppression can do no more; say so, and let the
            # audit that run and demo apply refuse to publish it, rather than fail here with a traceback.
            import warnings

            from cscs_eval.errors import SmallSampleWarning

            cell = leaks[0][0] if leaks else hard[0]["cell"]
            warnings.warn(f"disclosure: suppression cannot fully protect {cell[2]} in row {cell[1] + 1} of "
                          f"{cell[0]} (every cell that could cover it is hidden); merge small groups before "
                          "publishing", SmallSampleWarning, stacklevel=2)
            break
        for tid, i, col in chosen:
            by_id[tid].hidden[(i, col)] = "secondary"
    return [_result(s) for s in states]


def _choose_complements(leaks, findings, relations, by_id, truth):
    """Complementary cells for this round's leaks: few, and the least informative.

    Each leak's candidates are the shown, nonzero cells whose published values the attack's optimum
    rests on (the variables with a dual value at the optimum of the attacker's linear program: hiding
    one of them relaxes exactly the bound that made the interval too narrow, the way the optimal
    method's cuts come from the attacker problems' duals); when those are not known, the shown, nonzero
    cells of the relations that contain it and the leaking cell itself; failing those, cells linked to it through hidden
    cells, then any shown cell of its table, then zeros. The cost decides: (marginal cell?, true
    count), smallest first (sdcTable's weight = frequency; tau-ARGUS's large penalty on marginal
    cells); between equal costs, the cell that serves more leaks. A leak sharing a relation with a cell chosen this round waits for the
    next attack, since that cell may already protect it.
    """
    by_cell = {}
    for rel in relations:
        for c in rel["cells"]:
            by_cell.setdefault(c, []).append(rel)
    marginal = {rel["total"] for rel in relations if rel.get("total") is not None}

    def hidden(c):
        return (c[1], c[2]) in by_id[c[0]].hidden

    def shown_nonzero(c):
        return not hidden(c) and truth.get(c) not in (None, 0)

    def cost(c):
        return (c in marginal, truth.get(c, 0), c[0], c[1], c[2])

    wanted = []   # (leak cell, candidate set)
    for f in findings:  # a 100% group: hide another (zero) part of the same total
        rel = f.get("group")
        cands = {c for c in (rel["cells"][1:] if rel else []) if not hidden(c) and c != f["cell"]}
        if not cands and f["cell"][1] is not None:
            cands = _nearest(f["cell"], by_cell, hidden, shown_nonzero)
        wanted.append((f["cell"], cands))
    for c, binding in sorted(leaks, key=lambda leak: leak[0]):
        # the published values the attack rests on (the duals of its optimum), else the cells linked to c
        cands = {y for y in binding or () if shown_nonzero(y)}
        if not cands:
            cands = _nearest(c, by_cell, hidden, shown_nonzero)
            if shown_nonzero(c):
                cands = cands | {c}
        if not cands:
            table = by_id[c[0]]
            cands = {(c[0], i, col) for col in table.counts for i in range(table.n) if shown_nonzero((c[0], i, col))}
        if not cands:
            # only zeros are left: hiding one says that a * may hide other numbers, which is what protects
            # a total of 1 to 4 split into parts of 1 to 4 (each part would otherwise be at most 3)
            cands = {y for rel in by_cell.get(c, []) for y in rel["cells"] if not hidden(y) and truth.get(y) == 0}
            if not cands:
                table = by_id[c[0]]
                cands = {(c[0], i, col) for col in table.counts for i in range(table.n)
                         if not hidden((c[0], i, col)) and truth.get((c[0], i, col)) == 0}
        wanted.append((c, cands))
    chosen, waiting = [], [w for w in wanted if w[1]]
    while waiting:
        counts = {}
        for _, cands in waiting:
            for y in cands:
                counts[y] = counts.get(y, 0) + 1
        pick = min(counts, key=lambda y: (cost(y)[:2], -counts[y], cost(y)[2:]))
        chosen.append(pick)
        near = {x for rel in by_cell.get(pick, []) for x in rel["cells"]} | {pick}
        waiting = [(c, cands) for c, cands in waiting if pick not in cands and c not in near]
    return chosen


def _nearest(c, by_cell, hidden, shown_nonzero) -> set:
    """The shown nonzero cells sharing a relation with ``c``; failing those, those linked through hidden cells."""
    frontier, seen = [c], {c}
    for _ in range(4):
        cands, nxt = set(), []
        for x in frontier:
            for rel in by_cell.get(x, []):
                for y in rel["cells"]:
                    if y in seen:
                        continue
                    seen.add(y)
                    if shown_nonzero(y):
                        cands.add(y)
                    elif hidden(y):
                        nxt.append(y)
        if cands or not nxt:
            return cands
        frontier = nxt
    return set()


def _result(s: _State) -> ProtectedTable:
    cols = s.published_columns()
    out = s.df.copy()
    mask = pd.DataFrame(False, index=s.df.index, columns=s.df.columns)
    reasons = pd.DataFrame("", index=s.df.index, columns=s.df.columns)
    for col in s.structure.counts:
        if col in s.latent:
            continue
        out[col] = pd.Series(cols[col], index=s.df.index, dtype=object)
        why = [s.hidden.get((i, col), "") for i in range(s.n)]
        mask[col] = [bool(w) for w in why]
        reasons[col] = why
    for rate in s.structure.rates:
        out[rate.column] = pd.Series(cols[rate.column], index=s.df.index, dtype=object)
        withheld = [v == SUPPRESSED for v in cols[rate.column]]
        mask[rate.column] = withheld
        own = [s.hidden.get((i, rate.numerator), "") if rate.numerator in s.latent else "" for i in range(s.n)]
        reasons[rate.column] = [(o or "withheld") if w else "" for w, o in zip(withheld, own)]
    keep = [c for c in out.columns if c not in s.latent]
    structure = s.published_structure()
    return ProtectedTable(out[keep], structure, mask[keep], reasons[keep],
                          SECONDARY_NOTE if structure.secondary else PROTECTED_NOTE)


# ---- audit ----------------------------------------------------------------------------------------
def audit(tables) -> pd.DataFrame:
    """Every hidden or rounded count that can be worked out more closely than its published form admits.

    For each ``*`` or rounded count (and each count shown only through rates), the interval of true
    values consistent with everything the tables publish: their linear relations (parts of a total,
    total rows, a breakdown against the row it breaks down), rates at their published precision as
    linear inequalities in numerator and denominator, rounding intervals (r-2 to r+2) and ``*`` as 1 to
    4 (or 0 and up when the table uses secondary suppression). Solved exactly by integer programming
    (``scipy.optimize.milp``): integrality is what makes rates beside rounded counts give counts away.

    A leak is an interval narrower than the published value admits: not covering 1-4 for ``*``, not
    covering r-2 to r+2 for a count rounded to r (5-7 for 5). Counts of 1 to 4 or unrounded counts
    shown, rates that do not match the published counts, and a suppressed total wholly in one part
    (every other part 0) are listed too.

    Parameters
    ----------
    tables
        (DataFrame, TableStructure) pairs as published, :class:`ProtectedTable` results, or a mapping
        of either; tables linked by a breakdown must be audited together.

    Returns
    -------
    pandas.DataFrame
        One row per leak: ``table, row, column, shown, low, high, why`` (``high`` is ``inf`` when no
        upper limit can be worked out); empty when nothing leaks.
    """
    pairs = _as_pairs(tables)
    views = [_published(df, st) for df, st in pairs]
    prog, targets, findings, _ = sysm.build(views)
    result = sysm.intervals(prog, [t for _, t in targets])
    by_id = {v.table_id: v for v in views}
    rows = []
    for f in findings:
        tid, i, col = f["cell"]
        view = by_id[tid]
        rows.append(dict(table=tid, row="" if i is None else view.row_labels[i], column=col or "",
                         shown=_shown(view, i, col), low=f.get("low"), high=f.get("high"), why=f["why"]))
    for c, t in targets:
        lo, hi, status, _ = result[t.var]
        if status == "ok":
            continue
        tid, i, col = c
        view = by_id[tid]
        rows.append(dict(table=tid, row=view.row_labels[i], column=col, shown=_shown(view, i, col), low=lo,
                         high=hi, why=_why(t, lo, hi, status, view, col)))
    for v in views:
        if not v.structure.suppressed:
            rows.append(dict(table=v.table_id, row="", column="", shown=None, low=None, high=None,
                             why="the table is marked not for publication (small numbers shown)"))
    out = pd.DataFrame(rows, columns=LEAK_COLUMNS)
    for c in ("low", "high"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out.reset_index(drop=True)


def _shown(view, i, col):
    if i is None or col is None:
        return None
    if col in view.columns:
        v = view.columns[col][i]
        return None if v is None else v
    return "(not shown)"


def _fmt_interval(lo, hi):
    if hi is None or lo is None:
        return "?"
    lo = int(lo)
    if hi == math.inf:
        return f"{lo} or more"
    hi = int(hi)
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def _why(t, lo, hi, status, view, col):
    if status == "infeasible":
        return "the published values do not fit the table's structure together (wrong structure, or edited?)"
    got = _fmt_interval(lo, hi)
    extra = " (the solver's time limit was reached; treat as a leak)" if status == "undecided" else ""
    if t.kind == "star":
        return (f"a suppressed count can be worked out as {got} from the published cells; it must stay "
                f"anywhere in 1-{SMALL_MAX}{extra}")
    if t.kind == "rounded":
        a, b = t.admitted
        if col in view.columns:
            return (f"a count rounded to the nearest {ROUND_TO} (so {a}-{b}) can be worked out as {got}{extra}")
        return (f"a count shown only through its rate (so {a}-{b}) can be worked out as {got}{extra}")
    return (f"a count that is not published can be worked out as {got}, closer than a count rounded to the "
            f"nearest {ROUND_TO}{extra}")
