"""The attacker's integer program: every count a published table set is built from, bounded by what is shown.

Internal to :mod:`cscs_eval.governance.disclosure`. One integer variable stands for each true count
(published or latent) of every table; published values bound it (``*`` -> 1 to 4, a count rounded
to 5 -> r-2 to r+2, an exact count -> itself), and the structures add linear relations (parts of a
total, total rows, breakdowns of another table's row) and rate constraints (a rate shown with d
decimals bounds numerator/denominator between two values: linear in the two counts). The interval of
a count is then its minimum and maximum over the integer points of that polyhedron: the linear
relaxation first (``scipy.optimize.linprog``, HiGHS dual simplex), whose optimum, when integral, is the
integer optimum too; otherwise ``scipy.optimize.milp`` (HiGHS branch and bound).

Speed: the program splits into connected components; within one, feasible points found for a
weighted sum of all cells (a few solves) certify most intervals at once, because a cell whose
observed values already reach both ends of what its published value admits cannot leak. The cells
left get a feasibility probe per end (the cell held at that end, the others pushed too), and only
those that fail get their exact minimum and maximum. Feasible points stay feasible when more cells
are hidden (every bound only widens), so :func:`protect` keeps them between rounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cscs_eval.errors import InputError
from cscs_eval.governance import ROUND_TO, SMALL_MAX, SUPPRESSED

#: Rates are modelled to at most this many decimals (finer ones pin counts anyway).
MAX_DECIMALS = 6


# ---- published values ----------------------------------------------------------------------------
STAR = SUPPRESSED


def parse_value(v):
    """A published cell as ("star",), ("missing",) or ("number", float)."""
    if v is None:
        return ("missing",)
    if isinstance(v, str):
        text = v.strip().replace(",", "").replace("%", "").strip()
        if text == "":
            return ("missing",)
        if text == STAR:
            return ("star",)
        if text.lower() in ("nan", "na", "n/a", "none", "-", "\u2013", "\u2014"):
            return ("missing",)
        try:
            return ("number", float(text))
        except ValueError:
            return ("text", v)
    if isinstance(v, (bool, np.bool_)):
        return ("text", v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ("text", v)
    if math.isnan(f):
        return ("missing",)
    return ("number", f)


def decimals_shown(v) -> int | None:
    """Decimals a published rate shows: from its text, or from the shortest repr of a float."""
    if isinstance(v, str):
        text = v.strip().replace(",", "").replace("%", "")
    else:
        try:
            text = repr(float(v))
        except (TypeError, ValueError):
            return None
        # a float has no written decimals: 93.0 is a rate rounded to a whole number (repr adds the ".0"),
        # and reading it as shown to one decimal put it in an interval ten times too narrow
        text = text.removesuffix(".0")
    if "e" in text.lower():
        return MAX_DECIMALS
    return len(text.split(".", 1)[1]) if "." in text else 0


def rounded_interval(r: int) -> tuple[int, int]:
    """True counts a published rounded count r stands for (0 is exact; 1-4 would be ``*``)."""
    if r == 0:
        return 0, 0
    return max(r - 2, SMALL_MAX + 1), r + 2


# ---- the program ----------------------------------------------------------------------------------
@dataclass
class Target:
    """A cell whose interval must be checked. ``kind``: star (⊇ 1..SMALL_MAX), rounded (⊇ admitted),
    latent (width of a rounding interval)."""

    var: int
    kind: str
    admitted: tuple[int, int] | None = None


@dataclass
class Program:
    names: list = field(default_factory=list)          # cell id per variable (None for helper variables)
    lb: list = field(default_factory=list)
    ub: list = field(default_factory=list)
    rows: list = field(default_factory=list)           # (dict var->coef, lo, hi)
    index: dict = field(default_factory=dict)          # cell id -> var
    big: int = 10_000

    def var(self, name, lo, hi) -> int:
        if name is not None and name in self.index:
            i = self.index[name]
            self.lb[i] = max(self.lb[i], lo)
            self.ub[i] = min(self.ub[i], hi)
            return i
        i = len(self.names)
        self.names.append(name)
        self.lb.append(lo)
        self.ub.append(hi)
        if name is not None:
            self.index[name] = i
        return i

    def tighten(self, i, lo, hi):
        self.lb[i] = max(self.lb[i], lo)
        self.ub[i] = min(self.ub[i], hi)

    def row(self, coefs: dict, lo=-np.inf, hi=np.inf):
        coefs = {k: v for k, v in coefs.items() if v != 0}
        if coefs:
            self.rows.append((coefs, lo, hi))

    # ---- components ---------------------------------------------------------------------------
    def components(self):
        """Variables grouped by the rows that link them (union-find); yields (vars, rows)."""
        parent = list(range(len(self.names)))

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for coefs, _, _ in self.rows:
            it = iter(coefs)
            first = find(next(it))
            for v in it:
                r = find(v)
                if r != first:
                    parent[r] = first
        groups: dict[int, list[int]] = {}
        for v in range(len(self.names)):
            groups.setdefault(find(v), []).append(v)
        rows_of: dict[int, list[int]] = {}
        for k, (coefs, _, _) in enumerate(self.rows):
            rows_of.setdefault(find(next(iter(coefs))), []).append(k)
        for root, vs in groups.items():
            yield vs, rows_of.get(root, [])


class Solver:
    """Minimise and maximise cells of one component; remembers every feasible point it meets."""

    def __init__(self, program: Program, variables, rows, *, time_limit: float = 20.0):
        from scipy.sparse import csr_array

        self.program = program
        self.vars = list(variables)
        self.local = {v: i for i, v in enumerate(self.vars)}
        n = len(self.vars)
        self.lb = np.array([program.lb[v] for v in self.vars], dtype=float)
        self.ub = np.array([program.ub[v] for v in self.vars], dtype=float)
        data, ri, ci, lo, hi = [], [], [], [], []
        for k, r in enumerate(rows):
            coefs, a, b = program.rows[r]
            for v, c in coefs.items():
                data.append(c)
                ri.append(k)
                ci.append(self.local[v])
            lo.append(a)
            hi.append(b)
        self.A = csr_array((data, (ri, ci)), shape=(len(rows), n)) if rows else None
        self.rlo = np.array(lo, dtype=float)
        self.rhi = np.array(hi, dtype=float)
        self.time_limit = time_limit
        self.points: list[np.ndarray] = []
        self.low = np.full(n, np.inf)      # smallest and largest value of each variable seen at a feasible point
        self.high = np.full(n, -np.inf)
        self.feasible = bool(np.all(self.lb <= self.ub))
        self.solves = self.milp_solves = 0
        self._lp = None
        self.binding = None
        self._bounds = np.column_stack([self.lb, self.ub]) if n else None

    def _lp_form(self):
        """The rows as linprog wants them: equalities, and inequalities as A x <= b."""
        from scipy.sparse import vstack

        if self.A is None:
            return None, None, None, None
        eq = self.rlo == self.rhi
        up = ~eq & np.isfinite(self.rhi)
        down = ~eq & np.isfinite(self.rlo)
        A_eq = self.A[eq] if eq.any() else None
        b_eq = self.rlo[eq] if eq.any() else None
        parts, b = [], []
        if up.any():
            parts.append(self.A[up])
            b.append(self.rhi[up])
        if down.any():
            parts.append(-self.A[down])
            b.append(-self.rlo[down])
        A_ub = vstack(parts).tocsr() if parts else None
        b_ub = np.concatenate(b) if b else None
        return A_eq, b_eq, A_ub, b_ub

    def solve(self, c, fix=None, lp_only=False):
        """Optimal value and point of min c.x over the integer points, or None when there are none;
        ('limit', bound) on a time-out. ``fix``: (local index, lo, hi), a tighter bound on one variable.
        ``lp_only``: stop after the linear relaxation, returning ('fractional',) if it is not integral.

        The linear relaxation first (HiGHS dual simplex, a vertex): when its optimum is integral it is
        the integer optimum too, which is the usual case for sums of counts (their matrices are close to
        network matrices); otherwise branch and bound (``milp``).
        """
        from scipy.optimize import Bounds, LinearConstraint, linprog, milp

        if not self.feasible:
            return None
        self.solves += 1
        if self._lp is None:
            self._lp = self._lp_form()
        A_eq, b_eq, A_ub, b_ub = self._lp
        bounds, lb, ub = self._bounds, self.lb, self.ub
        if fix is not None:
            i, a, b = fix
            bounds, lb, ub = bounds.copy(), lb.copy(), ub.copy()
            lb[i], ub[i] = max(lb[i], a), min(ub[i], b)
            bounds[i] = (lb[i], ub[i])
            if lb[i] > ub[i]:
                return None
        lp = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs-ds")
        if lp.status == 2:
            if fix is None:
                self.feasible = False
            return None
        self.binding = None
        if lp.status == 0 and lp.x is not None:
            x = np.round(lp.x)
            if np.abs(lp.x - x).max() < 1e-6 and self._fits(x):
                self._keep(x)
                # the published values the optimum rests on: variables whose bounds have a dual value
                marg = np.abs(getattr(lp.lower, "marginals", np.zeros(len(x)))) + \
                    np.abs(getattr(lp.upper, "marginals", np.zeros(len(x))))
                self.binding = {self.vars[i] for i in np.flatnonzero(marg > 1e-9)}
                return float(c @ x), x
        if lp_only:
            return ("fractional",)
        cons = [LinearConstraint(self.A, self.rlo, self.rhi)] if self.A is not None else []
        self.milp_solves += 1
        res = milp(c=c, constraints=cons, integrality=np.ones(len(self.vars)), bounds=Bounds(lb, ub),
                   options={"time_limit": self.time_limit, "presolve": True})
        if res.status == 0 and res.x is not None:
            x = np.round(res.x)
            self._keep(x)
            return float(c @ x), x
        if res.status == 2:  # infeasible
            if fix is None:
                self.feasible = False
            return None
        if res.x is not None and self._fits(np.round(res.x)):
            self._keep(np.round(res.x))
        return ("limit", getattr(res, "mip_dual_bound", None))

    def _fits(self, x) -> bool:
        """An integral point satisfies every row and bound (to rounding error)?"""
        if np.any(x < self.lb - 1e-9) or np.any(x > self.ub + 1e-9):
            return False
        if self.A is None:
            return True
        ax = self.A @ x
        return bool(np.all(ax >= self.rlo - 1e-6) and np.all(ax <= self.rhi + 1e-6))

    def _keep(self, x):
        self.points.append(x)
        np.minimum(self.low, x, out=self.low)
        np.maximum(self.high, x, out=self.high)

    def add_points(self, matrix):
        """Known feasible points (rows over this component's variables), e.g. from earlier rounds."""
        if len(matrix):
            self.points.extend(matrix)
            np.minimum(self.low, matrix.min(axis=0), out=self.low)
            np.maximum(self.high, matrix.max(axis=0), out=self.high)

    def observed(self, v):
        i = self.local[v]
        if not self.points:
            return None, None
        return self.low[i], self.high[i]


def acceptable(kind, admitted, lo, hi, *, exact: bool) -> bool:
    """Does the interval lo..hi admit everything the cell's published value admits?

    star: it contains 1..SMALL_MAX; or, when ``exact``, it lies above SMALL_MAX and is as wide as a
    rounding interval (a larger count hidden as a complement: it tells no small count), or it is 0.
    rounded: it contains the admitted interval. latent (a count shown only through rates): it
    contains some rounding interval (width 4, or 5..7), or, when ``exact``, it is exactly 0. Without
    ``exact`` (an observed range of feasible values, inside the true interval) only the monotone
    tests count, so an observed range that passes proves the cell safe.
    """
    if lo is None:
        return False
    if kind == "star":
        if lo <= 1 and hi >= SMALL_MAX:
            return True
        if not exact:
            return False
        if lo > SMALL_MAX:
            # provably not a small count (a larger number hidden to protect another): it tells no
            # small count, but must not be known more closely than rounding would show it
            return hi - lo >= 2 * (ROUND_TO // 2)
        return hi <= 0     # provably 0: a hidden zero; any other interval pins a small count down
    if kind == "rounded":
        return lo <= admitted[0] and hi >= admitted[1]
    if exact and lo == hi == 0:
        return True
    return hi - lo >= 2 * (ROUND_TO // 2) or (lo <= ROUND_TO and hi >= ROUND_TO + 2)


def _ends_proven(t, lo, hi) -> tuple[bool, bool]:
    """(low end, high end) proven by an observed range of feasible values."""
    if lo is None:
        return False, False
    if t.kind == "star":
        return lo <= 1, hi >= SMALL_MAX
    if t.kind == "rounded":
        return lo <= t.admitted[0], hi >= t.admitted[1]
    ok = acceptable(t.kind, t.admitted, lo, hi, exact=False)
    return ok, ok


def intervals(program: Program, targets: list[Target], *, seeds=(), rounds: int = 4, pool=None, report=True,
              probe=True):
    """Interval of every target: dict var -> (lo, hi, status, binding), status 'ok', 'leak',
    'infeasible' or 'undecided' (a time limit); ``hi`` is ``math.inf`` when only the program's big
    bound stops it. For a leak, ``binding`` is the set of variables whose published bounds the
    attack's optimum rests on (from the linear program's duals), or None when not known.
    ``report=False`` (for :func:`protect`, which needs to know only which cells leak and why) leaves
    an end proven by a feasible point as observed instead of making it exact. ``probe=False`` skips
    the feasibility probes and goes straight to the exact ends.

    ``seeds``: known feasible points (dict cell -> value). ``pool``: a dict that keeps the feasible
    points found, for a later call on a relaxed program (more cells hidden), where they stay feasible.
    """
    by_var = {t.var: t for t in targets}
    out = {}
    if pool is None:
        pool = {}
    index = pool.setdefault("index", {})        # cell -> column of the stored points
    stored = pool.setdefault("points", [])      # rows: values by column (nan where not known)
    seed_rows = []
    for seed in seeds:
        for name in seed:
            index.setdefault(name, len(index))
        row = np.full(len(index), np.nan)
        for name, value in seed.items():
            row[index[name]] = value
        seed_rows.append(row)
    for variables, rows in program.components():
        mine = [by_var[v] for v in variables if v in by_var]
        if not mine:
            continue
        if not rows:  # a lone cell: its interval is its bounds
            for t in mine:
                lo, hi = program.lb[t.var], program.ub[t.var]
                if lo > hi:
                    out[t.var] = (None, None, "infeasible", None)
                    continue
                hi_r = math.inf if hi >= program.big else hi
                ok = acceptable(t.kind, t.admitted, lo, hi_r, exact=True)
                out[t.var] = (lo, hi_r, "ok" if ok else "leak", None if ok else {t.var})
            continue
        solver = Solver(program, variables, rows)
        named = [(solver.local[v], program.names[v]) for v in variables if program.names[v] is not None]
        for name in (n for _, n in named):
            index.setdefault(name, len(index))
        cols = np.array([index[n] for _, n in named])
        where = np.array([i for i, _ in named])
        known = [r for r in (*seed_rows, *stored) if len(r) > cols.max()]
        if known:
            block = np.array([r[cols] for r in known])
            ok = ~np.isnan(block).any(axis=1)
            if ok.any():
                full = np.tile(solver.lb, (int(ok.sum()), 1))   # helper variables: unused by the checks
                full[:, where] = block[ok]
                solver.add_points(full)
        before = len(solver.points)
        _solve_component(solver, mine, out, rounds=rounds, report=report, probe=probe)
        for x in solver.points[before:][-16:]:
            row = np.full(len(index), np.nan)
            row[cols] = x[where]
            stored.append(row)
    return out


def _solve_component(solver: Solver, targets, out, *, rounds, report=True, probe=True):
    n = len(solver.vars)
    big = solver.program.big
    if solver.feasible and not solver.points:
        solver.solve(np.zeros(n))
    if not solver.feasible:
        for t in targets:
            out[t.var] = (None, None, "infeasible", None)
        return

    def needs():
        lo_need, hi_need = {}, {}
        for t in targets:
            a, b = _ends_proven(t, *solver.observed(t.var))
            if not a:
                lo_need[t.var] = t
            if not b:
                hi_need[t.var] = t
        return lo_need, hi_need

    def push(lo_need, hi_need, r, skip=None):
        """An objective pushing every unproven end its way (alternating for cells that need both)."""
        c = np.zeros(n)
        for v in lo_need:
            if v != skip and (v not in hi_need or (r + v) % 2 == 0):
                c[solver.local[v]] = 1.0
        for v in hi_need:
            if v != skip and (v not in lo_need or (r + v) % 2 == 1):
                c[solver.local[v]] = -1.0
        return c

    # A few weighted solves push many cells to their ends at once.
    lo_need, hi_need = needs()
    for r in range(rounds):
        left = len(lo_need) + len(hi_need)
        if not left:
            break
        solver.solve(push(lo_need, hi_need, r))
        lo_need, hi_need = needs()
        if len(lo_need) + len(hi_need) >= left and r:
            break

    # Each end still unproven: is there a point with the cell at that end (pushing the others as well)?
    # If so it is proven; if not, it is a leak, and the exact end is found next.
    def target_end(t, end):
        a, b = _target_range(t)
        i = solver.local[t.var]
        fix = (i, -np.inf, a) if end == "lo" else (i, b, np.inf)
        solver.solve(push(lo_need, hi_need, len(solver.points), skip=t.var), fix=fix, lp_only=True)

    for t in targets if probe else ():
        for end, need in (("lo", lo_need), ("hi", hi_need)):
            if t.var in need and _still(solver, t, end):
                target_end(t, end)
        lo_need, hi_need = needs()

    def exact(t, sign):
        c = np.zeros(n)
        c[solver.local[t.var]] = sign
        res = solver.solve(c)
        if res is None:
            return None, "infeasible", None
        if res[0] == "limit":
            bound = res[1]
            if bound is None:
                bound = solver.lb[solver.local[t.var]] if sign > 0 else -solver.ub[solver.local[t.var]]
            return sign * bound, "undecided", None
        return sign * res[0], "ok", solver.binding

    for t in targets:
        lo, hi = solver.observed(t.var)
        if acceptable(t.kind, t.admitted, lo, hi, exact=False):
            out[t.var] = (lo, math.inf if hi >= big else hi, "ok", None)
            continue
        a, b = (False, False) if report else _ends_proven(t, lo, hi)
        olo, ohi = lo, hi
        lo, st1, bind_lo = (olo, "ok", set()) if a else exact(t, 1.0)
        hi, st2, bind_hi = (ohi, "ok", set()) if b else exact(t, -1.0)
        if "infeasible" in (st1, st2):
            out[t.var] = (None, None, "infeasible", None)
            continue
        hi_r = math.inf if hi >= big else hi
        if "undecided" in (st1, st2):
            out[t.var] = (lo, hi_r, "undecided", None)
            continue
        if acceptable(t.kind, t.admitted, lo, hi_r, exact=True):
            out[t.var] = (lo, hi_r, "ok", None)
            continue
        # which end falls short, and the published values that end rests on (None: not known)
        want_lo, want_hi = _target_range(t)
        binding = set()
        for short, bind in ((lo > want_lo, bind_lo), (hi_r < want_hi, bind_hi)):
            if short:
                binding = None if bind is None or binding is None else binding | bind
        if binding is not None:
            binding.discard(t.var)
        out[t.var] = (lo, hi_r, "leak", binding)


def _target_range(t):
    """The values a cell must be able to take: its admitted interval (1..SMALL_MAX for ``*``)."""
    if t.kind == "star":
        return 1, SMALL_MAX
    if t.kind == "rounded":
        return t.admitted
    return -np.inf, np.inf


def _still(solver, t, end) -> bool:
    a, b = _ends_proven(t, *solver.observed(t.var))
    return not (a if end == "lo" else b)


# ---- building the program from published tables ---------------------------------------------------
@dataclass
class Published:
    """One table as a reader sees it: values by column (lists), its structure, and row labels."""

    table_id: str
    columns: dict          # column -> list of published values
    n_rows: int
    structure: object
    row_labels: list
    key_values: list       # list of dicts (key column -> value as str)


def build(tables: list[Published], *, big=None, extra_values=(), kinds=None):
    """The attacker's program for a set of published tables, its targets and what needs no solving.

    A ``*`` count is 1 to SMALL_MAX, or anything from 0 when the table's structure says that some
    ``*`` hide other counts (secondary suppression). ``kinds`` (cell -> kind) overrides the check of
    a latent count (:func:`protect` knows which unseen counts are small). Returns ``(program,
    targets, findings, relations)``: targets as (cell, Target); findings as dicts (cell, low, high,
    shown, why); relations as dicts (label, cells, total) for choosing complementary cells.
    """
    findings, relations = [], []
    by_id = {}
    for t in tables:
        if t.table_id in by_id:
            raise InputError(f"two tables have the id {t.table_id!r}; table ids must be unique")
        by_id[t.table_id] = t
    # A bound on every count: generous, so that only relations (never this bound) limit intervals.
    biggest = max([0.0, *extra_values])
    for t in tables:
        for col in t.structure.counts:
            for v in t.columns.get(col, ()):
                p = parse_value(v)
                if p[0] == "number" and math.isfinite(p[1]):
                    biggest = max(biggest, abs(p[1]))
    big = big or int(10 * (biggest + 10))
    prog = Program(big=big)
    targets = []
    seen = {}          # latent cell -> list of ("shown", admitted or None) / ("star", None)
    status = {}        # cell -> "hidden" | "zero" | "shown" (published columns)

    def cell(t, i, col):
        return (t.table_id, i, col)

    def where(t, i, col):
        return dict(file=t.table_id, row=t.row_labels[i], column=col)

    # 1. one variable per count cell, bounded by its published value
    for t in tables:
        s = t.structure
        star = (0, big) if s.secondary else (1, SMALL_MAX)
        for col in s.counts:
            published = col in t.columns
            for i in range(t.n_rows):
                c = cell(t, i, col)
                if not published:
                    prog.var(c, 0, big)
                    continue
                p = parse_value(t.columns[col][i])
                if p[0] == "star":
                    targets.append((c, Target(prog.var(c, *star), "star")))
                    status[c] = "hidden"
                elif p[0] == "missing":
                    prog.var(c, 0, big)
                elif p[0] == "text":
                    raise InputError(f"a count must be a whole number, '*' or empty, got {p[1]!r}", **where(t, i, col))
                else:
                    x = p[1]
                    if x < 0 or abs(x - round(x)) > 1e-9:
                        raise InputError(f"a count must be a whole number of 0 or more, got {x:g}", **where(t, i, col))
                    x = int(round(x))
                    status[c] = "zero" if x == 0 else "shown"
                    if x == 0 or not s.suppressed or x <= SMALL_MAX or x % ROUND_TO:
                        prog.var(c, x, x)
                        if 0 < x <= SMALL_MAX:
                            findings.append(dict(cell=c, low=x, high=x, shown=x, why=(
                                f"a count of 1 to {SMALL_MAX} is shown" + (
                                    " (the table is marked not for publication)" if not s.suppressed else
                                    ", not suppressed"))))
                        elif x and s.suppressed and x % ROUND_TO:
                            findings.append(dict(cell=c, low=x, high=x, shown=x, why=(
                                f"a count is shown exactly, not rounded to the nearest {ROUND_TO}")))
                    else:
                        lo, hi = rounded_interval(x)
                        targets.append((c, Target(prog.var(c, lo, hi), "rounded", (lo, hi))))

    # 2. linear relations between counts
    for t in tables:
        s = t.structure
        for part in s.parts:
            for i in range(t.n_rows):
                total = cell(t, i, part.total)
                cells = [cell(t, i, p) for p in part.parts]
                _equal(prog, total, cells)
                relations.append(dict(label=f"{', '.join(part.parts)} add up to {part.total}", total=total,
                                      cells=[total, *cells], complete=True))
        gt = s.group_total
        total_rows = set()
        if gt is not None:
            strata = {}
            others = [k for k in s.key if k != gt.column]
            for i, kv in enumerate(t.key_values):
                strata.setdefault(tuple(kv.get(k) for k in others), []).append(i)
            for rows in strata.values():
                tot = [i for i in rows if t.key_values[i].get(gt.column) == gt.total]
                if not tot:
                    continue
                if len(tot) > 1:
                    raise InputError(f"{len(tot)} rows are the total {gt.total!r} of the same group",
                                     file=t.table_id, column=gt.column)
                total_rows.add(tot[0])
                for col in gt.counts or s.counts:
                    total = cell(t, tot[0], col)
                    cells = [cell(t, i, col) for i in rows if i != tot[0]]
                    _equal(prog, total, cells, complete=gt.complete)
                    relations.append(dict(label=f"rows add up to the {gt.total!r} row ({col})", total=total,
                                          cells=[total, *cells], complete=gt.complete))
        for b in s.breakdowns:
            other = by_id.get(b.table)
            if other is None:
                findings.append(dict(cell=(t.table_id, None, None), low=None, high=None, shown=None, soft=True,
                                     why=f"breaks down table {b.table!r}, which is not among the tables audited, "
                                         "so that link is not checked"))
                continue
            want_rows = {k: _str(v) for k, v in b.where}
            groups = {}
            for i in range(t.n_rows):
                if i in total_rows or any(_value(t, i, k) != v for k, v in want_rows.items()):
                    continue
                groups.setdefault(tuple(_value(t, i, m) for m in b.match), []).append(i)
            fixed = {k: _str(v) for k, v in b.row}
            for mvals, rows in groups.items():
                want = dict(fixed, **dict(zip(b.match, mvals)))
                hits = [j for j in range(other.n_rows) if all(_value(other, j, k) == v for k, v in want.items())]
                if len(hits) != 1:
                    findings.append(dict(cell=(t.table_id, None, None), low=None, high=None, shown=None, soft=True,
                                         why=f"breaks down the row {_fmt(want)} of {b.table!r}, found {len(hits)} "
                                             "times there, so that link is not checked"))
                    continue
                for col, ocol in b.counts:
                    if ocol not in other.structure.counts:
                        raise InputError(f"a breakdown of {b.table!r} refers to {ocol!r}, which is not a count there",
                                         file=t.table_id)
                    total = (other.table_id, hits[0], ocol)
                    cells = [cell(t, i, col) for i in rows]
                    _equal(prog, total, cells)
                    relations.append(dict(label=f"rows add up to {b.table!r} {_fmt(want)} ({ocol})", total=total,
                                          cells=[total, *cells], complete=True))

    # 3. rates
    proxies = {}

    def proxy(c):
        """k (the rounded value / 5) and b (nonzero) for a count that is not shown, tied to its true value."""
        if c not in proxies:
            x = prog.index[c]
            kmax = big // ROUND_TO + 1
            k = prog.var(None, 0, kmax)
            b = prog.var(None, 0, 1)
            prog.row({x: 1.0, k: -float(ROUND_TO)}, -2.0, 2.0)
            prog.row({x: 1.0, b: -float(ROUND_TO)}, 0.0, np.inf)
            prog.row({x: 1.0, b: -float(big)}, -np.inf, 0.0)
            prog.row({k: 1.0, b: -float(kmax)}, -np.inf, 0.0)
            prog.row({k: 1.0, b: -1.0}, 0.0, np.inf)
            proxies[c] = (k, b)
        return proxies[c]

    for t in tables:
        s = t.structure
        for rate in s.rates:
            if rate.column not in t.columns:
                continue
            values = t.columns[rate.column]
            num_shown, den_shown = rate.numerator in t.columns, rate.denominator in t.columns
            for i in range(t.n_rows):
                cn, cd = cell(t, i, rate.numerator), cell(t, i, rate.denominator)
                xn, xd = prog.index[cn], prog.index[cd]
                relations.append(dict(label=f"rate {rate.column}", total=None, cells=[cn, cd], rate=(t.table_id, i,
                                                                                                     rate.column)))
                p = parse_value(values[i])
                pn = parse_value(t.columns[rate.numerator][i]) if num_shown else ("latent",)
                pd_ = parse_value(t.columns[rate.denominator][i]) if den_shown else ("latent",)
                if p[0] == "missing":
                    continue
                if p[0] == "text":
                    raise InputError(f"a rate must be a number, '*' or empty, got {p[1]!r}", **where(t, i, rate.column))
                if p[0] == "star":
                    if not num_shown:
                        # withheld because its numerator or denominator is 1-4: with the denominator
                        # shown, the numerator is 1-4 (unless secondary suppression hides others too)
                        if pd_[0] == "number" and pd_[1] > 0 and not s.secondary and s.suppressed:
                            prog.tighten(xn, 1, SMALL_MAX)
                        seen.setdefault(cn, []).append(("star", None))
                    continue
                r = p[1]
                d = min(max(rate.decimals, decimals_shown(values[i]) or 0), MAX_DECIMALS)
                scale = 10 ** (d + 1)      # integer coefficients: r * scale, and half a unit = 5
                rs = int(round(r * scale))
                m = rate.multiplier * scale
                exact = rate.basis == "exact" or not s.suppressed
                if not exact:
                    known_n, known_d = pn[0] == "number", pd_[0] == "number"
                    if pn[0] == "star" or pd_[0] == "star":
                        exact = True
                        findings.append(dict(cell=(t.table_id, i, rate.column), low=None, high=None, shown=r,
                                             why="a rate is shown although its numerator or denominator is suppressed"))
                    elif known_n and known_d:
                        if pd_[1] == 0 or abs(m * pn[1] - rs * pd_[1]) > 5 * pd_[1] + 1e-9:
                            exact = True
                            findings.append(dict(cell=(t.table_id, i, rate.column), low=None, high=None, shown=r,
                                                 why="a rate does not match the published counts (computed from "
                                                     "exact counts?)"))
                    elif known_d and not num_shown:
                        D = pd_[1]
                        first = int(math.ceil((rs - 5) * D / m / ROUND_TO - 1e-9))
                        last = int(math.floor((rs + 5) * D / m / ROUND_TO + 1e-9))
                        cands = [ROUND_TO * k for k in range(max(first, 0), last + 1)]
                        if not cands:
                            exact = True
                            findings.append(dict(cell=(t.table_id, i, rate.column), low=None, high=None, shown=r,
                                                 why="a rate fits no rounded numerator (computed from exact counts?)"))
                        else:
                            lo_x, hi_x = rounded_interval(cands[0])[0], rounded_interval(cands[-1])[1]
                            prog.tighten(xn, lo_x, hi_x)
                            seen.setdefault(cn, []).append(("shown", (lo_x, hi_x)))
                            continue
                    else:
                        # neither side known: the rounded values behind the rate, as unknowns
                        if known_n:
                            num = {None: float(pn[1])}
                        else:
                            num = {proxy(cn)[0]: float(ROUND_TO)}
                            if not num_shown:
                                seen.setdefault(cn, []).append(("shown", None))
                        if known_d:
                            den = {None: float(pd_[1])}
                        else:
                            k, b = proxy(cd)
                            prog.row({b: 1.0}, 1.0, 1.0)
                            den = {k: float(ROUND_TO)}
                        _rate_rows(prog, num, den, rs, m)
                        continue
                    if not exact:
                        continue   # computed from the counts shown beside it: it tells nothing more
                # exact counts behind the rate: (r - h) * den <= m * num <= (r + h) * den, den >= 1
                if not num_shown:
                    seen.setdefault(cn, []).append(("shown", None))
                prog.tighten(xd, 1, big)
                _rate_rows(prog, {xn: 1.0}, {xd: 1.0}, rs, m)

    # 4. counts that are not published: checked through what the rates and relations tell
    for t in tables:
        for col in t.structure.counts:
            if col in t.columns:
                continue
            for i in range(t.n_rows):
                c = cell(t, i, col)
                v = prog.index[c]
                kind = (kinds or {}).get(c)
                marks = seen.get(c, [])
                shown = [a for k, a in marks if k == "shown"]
                if kind:
                    targets.append((c, Target(v, kind, _admitted(shown) if kind == "rounded" else None)))
                elif shown and all(a is not None for a in shown):
                    adm = _admitted(shown)
                    if adm[1] > 0:
                        targets.append((c, Target(v, "rounded", adm)))
                    status[c] = "zero" if adm == (0, 0) else "shown"
                elif shown:
                    targets.append((c, Target(v, "latent")))
                    status[c] = "shown"
                elif marks:
                    targets.append((c, Target(v, "star")))
                    status[c] = "hidden"
                else:
                    targets.append((c, Target(v, "latent")))

    # 5. a hidden total whose other parts are all shown as 0 lies wholly in its one remaining part
    for rel in relations:
        if rel.get("total") is None or not rel.get("complete") or status.get(rel["total"]) != "hidden":
            continue
        parts = rel["cells"][1:]
        open_parts = [c for c in parts if status.get(c) != "zero"]
        if len(parts) >= 2 and len(open_parts) == 1:
            findings.append(dict(cell=open_parts[0], low=None, high=None, shown=None, group=rel, why=(
                "the suppressed total is wholly in this part (every other part is shown as 0), so all of its "
                "people share this part's group")))
    return prog, targets, findings, relations


def _admitted(shown):
    adm = [a for a in shown if a is not None]
    if not adm:
        return None
    return max(a[0] for a in adm), min(a[1] for a in adm)


def _equal(prog, total, cells, *, complete=True):
    coefs = {prog.index[total]: 1.0}
    for c in cells:
        k = prog.index[c]
        coefs[k] = coefs.get(k, 0.0) - 1.0
    prog.row(coefs, 0.0, 0.0 if complete else np.inf)


def _value(t, i, col):
    """A key or other column's value in row i of a published table, as text (for matching rows)."""
    kv = t.key_values[i]
    if col in kv:
        return kv[col]
    values = t.columns.get(col)
    return None if values is None else _str(values[i])


def _rate_rows(prog, num: dict, den: dict, rs: int, m: int):
    """(rs - 5) * den <= m * num <= (rs + 5) * den, with num and den linear forms ({None: constant})."""
    lo_coefs, hi_coefs = {}, {}
    const_lo = const_hi = 0.0
    for v, a in num.items():
        if v is None:
            const_lo += m * a
            const_hi += m * a
        else:
            lo_coefs[v] = lo_coefs.get(v, 0.0) + m * a
            hi_coefs[v] = hi_coefs.get(v, 0.0) + m * a
    for v, a in den.items():
        if v is None:
            const_lo -= (rs - 5) * a
            const_hi -= (rs + 5) * a
        else:
            lo_coefs[v] = lo_coefs.get(v, 0.0) - (rs - 5) * a
            hi_coefs[v] = hi_coefs.get(v, 0.0) - (rs + 5) * a
    # m*num - (rs-5)*den >= 0  and  m*num - (rs+5)*den <= 0
    if lo_coefs:
        prog.row(lo_coefs, -const_lo, np.inf)
        prog.row(hi_coefs, -np.inf, -const_hi)


def _str(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if v.is_integer():
            return str(int(v))
    return str(v)


def _fmt(d: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in d.items())
