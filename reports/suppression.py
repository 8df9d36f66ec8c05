"""Small-cell suppression: no figure that counts children lets one be singled out.

A count of 1–4 is published as "< 5" (0 stays 0: it tells nothing about a child). Every
published count is a cell of one system of *relations* — a total and its parts (a row and its
total, a breakdown and the city's total, a column of providers and the city's figure, a month
of the city and the same month of each provider, a whole period and its half-years) or two
sums of cells that count the same children — gathered over everything an analyst can see
together (reports.published). Cells are hidden as "×" (complementary suppression), a cheap,
well-known scheme close to linear in the number of cells. A reader who knows the method knows
that a "< 5" is 1–4 and that a "×" is *some* count, 0 or more: a "×" may hide a count under 5
as well (step 5), as statistical offices' secondary suppression marks do.

1. primary suppression: every count of 1–4 is "< 5";
2. relation by relation, over and over until nothing changes: a relation with exactly one
   hidden cell (its difference tells it), or whose hidden cells one relation alone narrows so
   that a count under 5 has one possible value, has one more cell hidden;
3. two relations sharing a hidden cell: where subtracting one from the other leaves exactly
   one hidden cell, one more cell of the two is hidden;
4. the ranges of all hidden cells narrowed relation by relation over the whole system (bound
   propagation, at most ROUNDS narrowings a relation): a hidden count under 5 left with one
   possible value has one more cell beside it hidden (in its relations, or one relation
   further); then back to 2;
5. where hiding stops helping (two rounds of 4 found no fewer: every cell around such a count
   is hidden already — a breakdown whose every part is "< 5" adds up to a "< 5" total only in
   one way), the "< 5" cells so narrowed are shown as "×" instead, so that the reader no
   longer knows they are at least 1; then back to 2;
6. when nothing above finds more, the equations are solved together (Gaussian elimination
   modulo a large prime over the hidden cells, cells in few equations first): a hidden count
   under 5 that some combination of any number of equations gives exactly has one more cell
   beside it hidden; then back to 2. A count still worked out after that (none in the tests
   or the demo) is left in `residue`;
7. then the relations are read together as what they are — equations *and* inequalities
   (a month's children at most the period's, a count that only grows over the months) — by
   a linear program (HiGHS): for each hidden count under 5, the least and the greatest value
   the published cells allow, over the hidden cells of its connected part of the system. A
   count with one whole value in that range has one more cell beside it hidden (or, where
   everything beside it is hidden already, is shown as "×"); then back to 2. This is what a
   reader with a solver does; steps 2–6 only make it rarely find anything.

The cell hidden is the smallest published cell of the relation that gives a count away: a
provider's before the city's, a part before a total, non-zero before zero. Steps 2–5 are
linear in the cells they look at and settle nearly everything; step 6 runs a few times a
decision (about a second each over the demo's 15 000 cells); step 7 solves a linear program
from scratch once for each connected part of the system, then a few hundred more that differ
from it by their objective only (about 7 seconds for the demo's November, most of a month's
release). Counts that bound children (service days, days
billed, done visits) are cells of the system too, and the tenge follow the days they bill
(reports.published). Cells no view shows but a reader works out (what a period counts beyond
one inside it) are hidden from the start; cells published before (an earlier month's
dashboard) are kept as shown. docs/decisions.md, "Small cells".
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

logger = logging.getLogger(__name__)

THRESHOLD = 5
SUPPRESSED = "< 5"
# A cell hidden only so that a "< 5" beside it cannot be worked out from published ones.
HIDDEN = "×"

Cell = int | str
# An upper bound of no count (a "×" may be any count).
UNBOUNDED = 10**12
# Bound propagation stops after this many narrowings per relation (it converges in a few).
ROUNDS = 20
# The equations are solved modulo this prime (exact for the counts of any table).
PRIME = (1 << 61) - 1
# How far a linear program's optimum may be from a whole count and still be that count.
EPSILON = 1e-6
# Each linear program is given this long (the largest of the demo's takes under a second).
SOLVER_SECONDS = 60.0


def small(count: int) -> Cell:
    """A count of children as it may be published."""
    return SUPPRESSED if 0 < count < THRESHOLD else count


def is_suppressed(cell: object) -> bool:
    return cell in (SUPPRESSED, HIDDEN)


@dataclass(frozen=True)
class Relation:
    """sum(left) and sum(right) count the same children. Where one child may stand in two
    cells (a child served by two providers) the sums differ by a few; the check assumes the
    reader knows by how many, which is the strongest reader.

    `at_most`: sum(left) ≤ sum(right) only — a month's children are at most the half-year's,
    a month's children at most its service days (each served child has one at least). A cell
    may stand several times on a side (a multiple: days ≤ 62 × children in a month of 31)."""

    left: tuple[Hashable, ...]
    right: tuple[Hashable, ...]
    at_most: bool = False

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return self.left + self.right


Line = tuple[Hashable | None, Sequence[Hashable]]


# -- the system ------------------------------------------------------------------------------
def _bounds(cell: Cell) -> tuple[int, int]:
    """What a reader who knows the method knows of a published cell, as a range."""
    if cell == SUPPRESSED:
        return 1, THRESHOLD - 1
    if cell == HIDDEN:
        return 0, UNBOUNDED
    assert isinstance(cell, int)
    return cell, cell


class _Row:
    """A relation as Σ coefficient·cell = slack (the true difference of its two sides),
    over the cells' numbers."""

    __slots__ = ("coef", "le", "slack", "totals")

    def __init__(self, relation: Relation, index: Mapping[Hashable, int], values: list[int]):
        coef: dict[int, int] = defaultdict(int)
        for key in relation.left:
            coef[index[key]] += 1
        for key in relation.right:
            coef[index[key]] -= 1
        self.coef = {i: c for i, c in coef.items() if c}
        # Σ coefficient·cell ≤ 0 for an inequality; = its true difference for an equation.
        self.le = relation.at_most
        self.slack = 0 if self.le else sum(values[i] * c for i, c in coef.items())
        # The total of a total-and-parts relation (hidden last).
        self.totals = (
            {index[side[0]] for side in (relation.left, relation.right) if len(side) == 1}
            if len(relation.cells) > 2
            else set()
        )


def _tighten(
    row: _Row,
    hidden: list[int],
    rhs: int,
    lo: dict[int, int],
    hi: dict[int, int],
) -> list[int]:
    """Narrow the ranges of the row's hidden cells by the row (O(cells)); the cells narrowed."""
    coef = row.coef
    low = high = 0
    for i in hidden:
        c = coef[i]
        if c > 0:
            low, high = low + c * lo[i], high + c * hi[i]
        else:
            low, high = low + c * hi[i], high + c * lo[i]
    changed = []
    for i in hidden:
        c = coef[i]
        own_lo, own_hi = (c * lo[i], c * hi[i]) if c > 0 else (c * hi[i], c * lo[i])
        a, b = rhs - (high - own_hi), rhs - (low - own_lo)  # c·x ∈ [a, b]
        if row.le:
            a = -(UNBOUNDED * abs(c)) - abs(rhs)  # c·x ≤ b only
        if c > 0:
            new_lo, new_hi = -(-a // c), b // c
        else:
            new_lo, new_hi = -(-b // c), a // c
        new_lo, new_hi = max(lo[i], new_lo), min(hi[i], new_hi)
        if new_lo > new_hi or (new_lo, new_hi) == (lo[i], hi[i]):
            continue  # nothing learnt (or a reader's contradiction: left as it was)
        lo[i], hi[i] = new_lo, new_hi
        changed.append(i)
    return changed


class _Protection:
    def __init__(
        self,
        values: Mapping[Hashable, int],
        relations: Iterable[Relation],
        tier: Callable[[Hashable], int],
        unpublished: Collection[Hashable] = (),
        fixed: Mapping[Hashable, Cell] | None = None,
    ) -> None:
        fixed = fixed or {}
        self.keys = list(values)
        index = {key: i for i, key in enumerate(self.keys)}
        self.values = [values[key] for key in self.keys]
        self.cells: list[Cell] = [
            fixed[key] if key in fixed else HIDDEN if key in unpublished else small(value)
            for key, value in zip(self.keys, self.values, strict=True)
        ]
        # Cells published already: they stay as they were shown.
        self.frozen = [key in fixed for key in self.keys]
        self.unpublished = [key in unpublished for key in self.keys]
        self.hidden = [is_suppressed(cell) for cell in self.cells]
        # The counts that must not be worked out, whatever they are shown as.
        self.small = [0 < value < THRESHOLD for value in self.values]
        # Which cell to hide first: a provider's before the city's, non-zero before zero, the
        # smallest (a part before a total is decided per relation).
        self.rank = [
            (tier(key), value == 0, value, str(key))
            for key, value in zip(self.keys, self.values, strict=True)
        ]
        rows = (_Row(r, index, self.values) for r in dict.fromkeys(relations))
        self.rows = [row for row in rows if row.coef]
        self.containing: list[list[int]] = [[] for _key in self.keys]
        for r, row in enumerate(self.rows):
            for i in row.coef:
                self.containing[i].append(r)
        self.dirty: set[int] = set(range(len(self.rows)))
        self.residue: list[Hashable] = []
        # The counts under 5 the linear program has shown to have two values at least.
        self.freed: set[int] = set()
        self._hidden_sets: dict[int, frozenset[int]] = {}

    def _hidden_of(self, row: _Row) -> list[int]:
        hidden = self.hidden
        return [i for i in row.coef if hidden[i]]

    def _rhs(self, row: _Row) -> int:
        values, hidden = self.values, self.hidden
        return row.slack - sum(c * values[i] for i, c in row.coef.items() if not hidden[i])

    # -- choosing the cell to hide -----------------------------------------------------------
    def hide_one(self, candidates: Mapping[int, int], totals: set[int]) -> bool:
        """Hide the best cell of `candidates` (cell → coefficient; one of coefficient 0 would
        change nothing). False where every one is hidden already."""
        best: tuple[Any, ...] | None = None
        choice = None
        for i, c in candidates.items():
            if not c or self.hidden[i] or self.frozen[i] or self._shown_to_be_zero(i):
                continue
            score = (self.rank[i][0], i in totals, *self.rank[i][1:])
            if best is None or score < best:
                best, choice = score, i
        if choice is None:
            return False
        self.cells[choice] = HIDDEN
        self.hidden[choice] = True
        self.dirty.update(self.containing[choice])
        for r in self.containing[choice]:
            self._hidden_sets.pop(r, None)
        return True

    def _shown_to_be_zero(self, i: int) -> bool:
        """A zero that published cells bound to zero (children of a month with no service
        day, a part of a total of 0): hiding it would hide nothing."""
        if self.values[i]:
            return False
        for r in self.containing[i]:
            row = self.rows[r]
            # A part of a total published as 0 (counts are never negative).
            if (
                not row.le
                and i not in row.totals
                and any(not self.hidden[t] and not self.values[t] for t in row.totals)
            ):
                return True
            if row.le and row.coef[i] > 0:
                ceiling = [j for j, c in row.coef.items() if c < 0]
                if not any(self.hidden[j] for j in ceiling) and not any(
                    self.values[j] for j in ceiling
                ):
                    return True
        return False

    def _hidden_set(self, r: int) -> frozenset[int]:
        found = self._hidden_sets.get(r)
        if found is None:
            found = self._hidden_sets[r] = frozenset(self._hidden_of(self.rows[r]))
        return found

    def hide_beside(self, i: int) -> bool:
        """One more cell hidden in the relations holding cell `i`, or a relation further."""
        around = set(self.containing[i])
        for _depth in range(2):
            candidates: dict[int, int] = {}
            totals: set[int] = set()
            for r in around:
                candidates.update(self.rows[r].coef)
                totals |= self.rows[r].totals
            if self.hide_one(candidates, totals):
                return True
            # One relation further through a hidden cell only: a published one is a constant,
            # and hiding beside it frees nothing about `i`.
            around = {
                s
                for r in around
                for j in self.rows[r].coef
                if self.hidden[j]
                for s in self.containing[j]
            }
        return False

    # -- 2. relation by relation -------------------------------------------------------------
    def row_leaks(self, row: _Row) -> bool:
        """Whether this relation alone gives a hidden cell away: the only hidden one, or a
        count under 5 its hidden cells' ranges narrow to one value."""
        hidden = self._hidden_of(row)
        if len(hidden) != 1 and not any(self.small[i] for i in hidden):
            return False
        if len(hidden) == 1 and self.unpublished[hidden[0]] and not self.small[hidden[0]]:
            return False  # a difference no view shows, of 5 or more: it tells nothing
        if len(hidden) == 1 and not row.le:
            return True
        rhs = self._rhs(row)
        lo, hi = {}, {}
        for i in hidden:
            lo[i], hi[i] = _bounds(self.cells[i])
        for _pass in range(ROUNDS):
            if not _tighten(row, hidden, rhs, lo, hi):
                break
        return any(self.small[i] and lo[i] == hi[i] for i in hidden)

    def by_relation(self) -> None:
        """Steps 2 over the relations changed since last time, and those they change."""
        queue = deque(sorted(self.dirty))
        queued = set(queue)
        while queue:
            r = queue.popleft()
            queued.discard(r)
            row = self.rows[r]
            while self.row_leaks(row):
                hidden = set(self._hidden_of(row))
                if not self.hide_one(row.coef, row.totals):
                    break  # all hidden: nothing more to hide here
                (new,) = set(self._hidden_of(row)) - hidden
                for s in self.containing[new]:
                    if s != r and s not in queued:
                        queue.append(s)
                        queued.add(s)

    # -- 3. two relations together -------------------------------------------------------------
    def by_pairs(self, rows: set[int]) -> bool:
        """Where one relation minus another (of `rows` and any sharing a hidden cell with it)
        leaves exactly one hidden cell, one more cell of the two hidden."""
        progress = False
        seen: set[tuple[int, int]] = set()
        for a in sorted(rows):
            for i in self._hidden_set(a):
                for b in self.containing[i]:
                    pair = (min(a, b), max(a, b))
                    if a == b or pair in seen or self.rows[a].le or self.rows[b].le:
                        continue
                    seen.add(pair)
                    # A cell hidden in one of the two only is never cancelled out.
                    if len(self._hidden_set(a) ^ self._hidden_set(b)) > 1:
                        continue
                    ra, rb = self.rows[a], self.rows[b]
                    ca, cb = ra.coef[i], rb.coef[i]
                    combined: dict[int, int] = defaultdict(int)
                    for j, c in ra.coef.items():
                        combined[j] += c * cb
                    for j, c in rb.coef.items():
                        combined[j] -= c * ca
                    left = [j for j, c in combined.items() if c and self.hidden[j]]
                    if len(left) == 1:
                        progress |= self.hide_one(combined, ra.totals | rb.totals)
        return progress

    # -- 4. ranges over the whole system -------------------------------------------------------
    def narrowed(self) -> list[int]:
        """The hidden counts under 5 bound propagation over every relation narrows to one
        value."""
        hidden_of = {}
        for r, row in enumerate(self.rows):
            hidden = self._hidden_of(row)
            if hidden:
                hidden_of[r] = hidden
        lo: dict[int, int] = {}
        hi: dict[int, int] = {}
        for hidden in hidden_of.values():
            for i in hidden:
                lo[i], hi[i] = _bounds(self.cells[i])
        rhs = {r: self._rhs(self.rows[r]) for r in hidden_of}
        budget = dict.fromkeys(hidden_of, ROUNDS)
        queue = deque(hidden_of)
        queued = set(queue)
        rows, containing = self.rows, self.containing
        while queue:
            r = queue.popleft()
            queued.discard(r)
            budget[r] -= 1
            for i in _tighten(rows[r], hidden_of[r], rhs[r], lo, hi):
                for s in containing[i]:
                    if s not in queued and budget[s] > 0:
                        queue.append(s)
                        queued.add(s)
        return [i for i in lo if self.small[i] and lo[i] == hi[i]]

    def widen(self, pinned: list[int]) -> bool:
        """Step 5: the "< 5" cells of `pinned` shown as "×" (some count, 0 or more)."""
        widened = [i for i in pinned if self.cells[i] == SUPPRESSED and not self.frozen[i]]
        for i in widened:
            self.cells[i] = HIDDEN
            self.dirty.update(self.containing[i])
            for r in self.containing[i]:
                self._hidden_sets.pop(r, None)
        return bool(widened)

    # -- 6. the equations together -------------------------------------------------------------
    def solved(self) -> list[int]:
        """The hidden counts under 5 that the equations together give exactly, however many
        are combined: a cell whose unit row lies in the span of the equations' rows over the
        hidden cells (the published ones are constants) is worked out. Gaussian elimination
        modulo a large prime on sparse rows, leading by the smallest cell."""
        hidden = self.hidden
        # Cells in few equations are eliminated first (less fill-in: a static minimum-degree
        # order); `position` numbers the hidden cells in that order.
        degree: dict[int, int] = defaultdict(int)
        equations = []
        for row in self.rows:
            if row.le:
                continue
            cells = [(i, c % PRIME) for i, c in row.coef.items() if hidden[i] and c % PRIME]
            if cells:
                equations.append(cells)
                for i, _c in cells:
                    degree[i] += 1
        position = {i: n for n, i in enumerate(sorted(degree, key=lambda i: (degree[i], i)))}
        pivots: dict[int, dict[int, int]] = {}
        for cells in equations:
            _reduce({position[i]: c for i, c in cells}, pivots, keep=True)
        out = []
        for i, is_small in enumerate(self.small):
            if is_small and hidden[i] and position.get(i) in pivots:
                vector = {position[i]: 1}
                _reduce(vector, pivots, keep=False)
                if not vector:
                    out.append(i)
        return out

    # -- 7. equations and inequalities together -------------------------------------------
    def bounded(self) -> list[int]:
        """The hidden counts under 5 that the relations together, inequalities included,
        allow one whole value only: the least and the greatest value of each by a linear
        program over the hidden cells of its connected part of the system (the published
        ones are constants; a "< 5" is 1–4, a "×" 0 or more)."""
        hidden = self.hidden
        parent: dict[int, int] = {}

        def find(i: int) -> int:
            while parent.setdefault(i, i) != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        rows_of: list[tuple[int, list[int]]] = []
        for r, row in enumerate(self.rows):
            cells = [i for i in row.coef if hidden[i]]
            if not cells:
                continue
            rows_of.append((r, cells))
            for i in cells[1:]:
                parent[find(i)] = find(cells[0])
        parts: dict[int, list[tuple[int, list[int]]]] = defaultdict(list)
        for r, cells in rows_of:
            parts[find(cells[0])].append((r, cells))
        out: list[int] = []
        for rows in parts.values():
            cells = sorted({i for _r, row_cells in rows for i in row_cells})
            if any(self.small[i] for i in cells):
                out.extend(self._bounded_part(cells, rows))
        return out

    def _bounded_part(self, cells: list[int], rows: list[tuple[int, list[int]]]) -> list[int]:
        column = {i: n for n, i in enumerate(cells)}
        lower, upper = [], []
        for i in cells:
            lo, hi = _bounds(self.cells[i])
            lower.append(float(lo))
            upper.append(highspy.kHighsInf if hi >= UNBOUNDED else float(hi))
        solver = _solver()
        solver.addVars(len(cells), np.array(lower), np.array(upper))
        for r, row_cells in rows:
            row = self.rows[r]
            rhs = float(self._rhs(row))
            solver.addRow(
                -highspy.kHighsInf if row.le else rhs,
                rhs,
                len(row_cells),
                np.array([column[i] for i in row_cells], dtype=np.int32),
                np.array([float(row.coef[i]) for i in row_cells]),
            )
        # Most counts are freed at once: a point of the system that maximises (minimises)
        # the sum of the open counts frees every one it puts a whole count above (below) its
        # value; only those left are looked at one by one.
        # Hiding more only ever widens the ranges: a count freed once stays free.
        open_ = [i for i in cells if self.small[i] and i not in self.freed]
        for sense in (-1.0, 1.0):
            while open_:
                try:
                    point = _point(solver, [column[i] for i in open_], sense)
                except _Unsolved:
                    break  # each of them is looked at on its own below
                if point is None:
                    break
                left = [i for i in open_ if not _beyond(point[column[i]], self.values[i], sense)]
                if len(left) == len(open_):
                    break
                open_ = left
        pinned = []
        for i in open_:
            n = column[i]
            value = self.values[i]
            # The true value is always possible: the range is one value when the greatest
            # and the least, rounded inwards to whole counts, are both it.
            try:
                greatest = _point(solver, [n], -1.0)
                if greatest is not None and math.floor(greatest[n] + EPSILON) <= value:
                    least = _point(solver, [n], 1.0)
                    if least is not None and math.ceil(least[n] - EPSILON) >= value:
                        pinned.append(i)
            except _Unsolved as error:
                logger.warning("suppression: no answer for %r (%s)", self.keys[i], error)
                pinned.append(i)
        self.freed.update(i for i in cells if self.small[i] and i not in pinned)
        return pinned

    def run(self) -> dict[Hashable, Cell]:
        best, stale = len(self.keys) + 1, 0
        while True:
            self.by_relation()
            rows, self.dirty = self.dirty, set()
            if self.by_pairs(rows):
                continue
            pinned = self.narrowed()
            # A count narrowed to one value while every cell around it is hidden already
            # cannot be helped by hiding more far away: stop hiding when it stops helping.
            stale = stale + 1 if len(pinned) >= best else 0
            best = min(best, len(pinned))
            progress = False
            if stale < 2:
                for i in pinned:
                    progress |= self.hide_beside(i)
            if not progress and self.widen(pinned):
                best, stale, progress = len(self.keys) + 1, 0, True
            solved: list[int] = []
            if not progress:
                solved = self.solved()
                for i in solved:
                    progress |= self.hide_beside(i)
            bounded: list[int] = []
            if not progress:
                bounded = self.bounded()
                for i in bounded:
                    progress |= self.hide_beside(i)
                if not progress and self.widen(bounded):
                    best, stale, progress = len(self.keys) + 1, 0, True
            if not progress:
                self.residue = list(
                    dict.fromkeys(self.keys[i] for i in [*pinned, *solved, *bounded])
                )
                if self.residue:  # published cells kept from before leave nothing to hide
                    logger.warning(
                        "small cells that can still be worked out: %d, e.g. %r",
                        len(self.residue),
                        self.residue[:5],
                    )
                return dict(zip(self.keys, self.cells, strict=True))


_quiet = threading.Lock()
_announced = False


def _solver() -> highspy.Highs:
    """A HiGHS instance that prints nothing (its first prints a banner to the process's
    standard output, below Python: that one is sent to /dev/null)."""
    global _announced
    with _quiet:
        if _announced:
            solver = highspy.Highs()
        else:
            with open(os.devnull, "w") as null, contextlib.ExitStack() as stack:
                saved = os.dup(1)
                stack.callback(os.close, saved)
                os.dup2(null.fileno(), 1)
                stack.callback(os.dup2, saved, 1)
                solver = highspy.Highs()
            _announced = True
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("time_limit", SOLVER_SECONDS)
    return solver


def _point(solver: highspy.Highs, columns: list[int], sense: float) -> list[float] | None:
    """A point of the system where `sense` × the sum of the cells `columns` is least (1: the
    least, -1: the greatest); None where that sum has no bound."""
    n = solver.getNumCol()
    solver.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
    solver.changeColsCost(
        len(columns), np.array(columns, dtype=np.int32), np.full(len(columns), sense)
    )
    # One cell's objective moves little from the last optimum: the primal simplex goes on
    # from the last basis, a hundred times faster than starting again. A sum of many moves
    # far (the primal simplex would take tens of seconds): solved from scratch, with presolve
    # and the dual simplex, in well under a second.
    warm = len(columns) == 1 and solver.getBasis().valid
    if not warm:
        solver.clearSolver()
    solver.setOptionValue("presolve", "off" if warm else "choose")
    solver.setOptionValue("simplex_strategy", 4 if warm else 1)
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kUnbounded:
        return None
    if status != highspy.HighsModelStatus.kOptimal:
        raise _Unsolved(str(status))
    return list(solver.getSolution().col_value)


class _Unsolved(Exception):
    """The solver stopped short of an answer (a time limit): the count is taken as worked out,
    which hides one more cell beside it."""


def _beyond(found: float, value: int, sense: float) -> bool:
    """Whether a point's count is a whole count above (sense -1) or below (1) the value."""
    return found >= value + 1 - EPSILON if sense < 0 else found <= value - 1 + EPSILON


def _reduce(vector: dict[int, int], pivots: dict[int, dict[int, int]], *, keep: bool) -> None:
    """Reduce `vector` (cell → coefficient modulo PRIME) by the pivot rows in place; with
    `keep`, a vector left over becomes the pivot of its leading cell."""
    while vector:
        lead = min(vector)
        pivot = pivots.get(lead)
        if pivot is None:
            if keep:
                inverse = pow(vector[lead], PRIME - 2, PRIME)
                pivots[lead] = {i: c * inverse % PRIME for i, c in vector.items()}
            return
        factor = vector[lead]
        for i, c in pivot.items():
            value = (vector.get(i, 0) - factor * c) % PRIME
            if value:
                vector[i] = value
            else:
                vector.pop(i, None)


def protect_system(
    values: Mapping[Hashable, int],
    relations: Iterable[Relation],
    tier: Callable[[Hashable], int] = lambda key: 0,
    unpublished: Collection[Hashable] = (),
    fixed: Mapping[Hashable, Cell] | None = None,
) -> dict[Hashable, Cell]:
    """Every value as it may be published: "< 5" for 1–4, then "×" as the module says.
    `unpublished`: cells no view shows but a reader can work out from the others (what one
    period counts beyond another): hidden from the start, protected like the rest.
    `fixed`: cells published before (an earlier month's dashboard), kept as they were shown:
    what else is hidden protects them too."""
    return _Protection(values, relations, tier, unpublished, fixed).run()


def protect(values: dict[Hashable, int], lines: Sequence[Line]) -> dict[Hashable, Cell]:
    """`protect_system` over lines (total, parts): the parts add up to the total. A line
    whose total is not published (None) gives nothing away."""
    return protect_system(
        values,
        [Relation((total,), tuple(parts)) for total, parts in lines if total is not None],
    )


def small_row(counts: list[int], total: int) -> list[Cell]:
    """The cells of one row that adds up to `total`, as they may be published."""
    values: dict[Hashable, int] = {i: count for i, count in enumerate(counts)}
    values["total"] = total
    out = protect(values, [("total", list(range(len(counts))))])
    return [out[i] for i in range(len(counts))]
