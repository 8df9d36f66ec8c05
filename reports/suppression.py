"""Small-cell suppression: no figure that counts children lets one be singled out.

A count of 1–4 is published as "< 5" (0 stays 0: it tells nothing about a child). Every
published count is a cell of one system of *relations* — a total and its parts (a row and its
total, a breakdown and the city's total, a column of providers and the city's figure, a month
of the city and the same month of each provider, a whole period and its half-years) or two
sums of cells that count the same children — gathered over everything an analyst can see
together (reports.published). Cells are hidden as "×" (complementary suppression) until no
hidden cell can be worked out from the published ones:

- by one relation or several: the possible values of each hidden cell are narrowed relation
  by relation ("< 5" is 1–4; "×" is 0 or 5 and more, as the method is public) until nothing
  changes — no hidden cell may be left with one possible value;
- by the relations taken together as linear equations: no hidden cell may be a combination
  of published values (its column is outside the span of the equations' rows).

Each round hides, beside a cell that could be worked out, the smallest non-zero published
cell of the relation with fewest hidden cells that holds it (a part before the total, a zero
only when nothing else is left), and starts again until nothing can be worked out. Counts
that are not of people (visits, service days, tenge) are never suppressed.
docs/decisions.md, "Small cells".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy

THRESHOLD = 5
SUPPRESSED = "< 5"
# A cell hidden only so that a "< 5" beside it cannot be worked out from a published total.
HIDDEN = "×"

Cell = int | str
# An upper bound of no count ("× is 5 or more").
UNBOUNDED = 10**12
Domain = tuple[tuple[int, int], ...]  # disjoint, sorted integer intervals


def small(count: int) -> Cell:
    """A count of children as it may be published."""
    return SUPPRESSED if 0 < count < THRESHOLD else count


def is_suppressed(cell: object) -> bool:
    return cell in (SUPPRESSED, HIDDEN)


@dataclass(frozen=True)
class Relation:
    """sum(left) and sum(right) count the same children. Where one child may stand in two
    cells (a child served by two providers) the sums differ by a few; the check assumes the
    reader knows by how many, which is the strongest reader."""

    left: tuple[Hashable, ...]
    right: tuple[Hashable, ...]

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return self.left + self.right


Line = tuple[Hashable | None, Sequence[Hashable]]


def _merge(intervals: Iterable[tuple[int, int]]) -> Domain:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        lo, hi = max(lo, -UNBOUNDED), min(hi, UNBOUNDED)
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _plus(a: Domain, b: Domain) -> Domain:
    return _merge((x + y, p + q) for x, p in a for y, q in b)


def _minus(a: Domain, b: Domain) -> Domain:
    return _merge((x - q, p - y) for x, p in a for y, q in b)


def _meet(a: Domain, b: Domain) -> Domain:
    return _merge((max(x, y), min(p, q)) for x, p in a for y, q in b)


def _domain(cell: Cell) -> Domain:
    """What a reader who knows the method knows of a published cell."""
    if cell == SUPPRESSED:
        return ((1, THRESHOLD - 1),)
    if cell == HIDDEN:
        return ((0, 0), (THRESHOLD, UNBOUNDED))
    assert isinstance(cell, int)
    return ((cell, cell),)


def _point(domain: Domain) -> bool:
    return len(domain) == 1 and domain[0][0] == domain[0][1]


def _narrow(
    relation: Relation,
    key: Hashable,
    domains: Mapping[Hashable, Domain],
    slack: int,
) -> Domain:
    """What `relation` leaves possible for `key`, given what is known of its other cells."""
    on_left = key in relation.left
    side, other = (relation.left, relation.right) if on_left else (relation.right, relation.left)
    sign = 1 if on_left else -1
    # key = slack·sign + Σ other − Σ (its side without it)
    total: Domain = ((sign * slack, sign * slack),)
    for cell in other:
        total = _plus(total, domains[cell])
    skipped = False
    for cell in side:
        if cell == key and not skipped:
            skipped = True
            continue
        total = _minus(total, domains[cell])
    return _meet(domains[key], total)


def _slack(values: Mapping[Hashable, int], relation: Relation) -> int:
    """The difference the reader is credited with knowing (0 where the relation is exact)."""
    return sum(values[c] for c in relation.left) - sum(values[c] for c in relation.right)


def _components(relations: Sequence[Relation], hidden: set[Hashable]) -> list[list[Relation]]:
    """The relations in groups that share no hidden cell."""
    parent: dict[Hashable, Hashable] = {}

    def find(key: Hashable) -> Hashable:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for relation in relations:
        cells = [c for c in relation.cells if c in hidden]
        for cell in cells[1:]:
            parent[find(cell)] = find(cells[0])
    groups: dict[Hashable, list[Relation]] = defaultdict(list)
    for relation in relations:
        first = next(c for c in relation.cells if c in hidden)
        groups[find(first)].append(relation)
    return list(groups.values())


def _spanned(relations: Sequence[Relation], hidden: set[Hashable]) -> set[Hashable]:
    """The hidden cells that are a linear combination of the relations (their value follows
    from the published cells whatever the bounds)."""
    columns = sorted({c for r in relations for c in r.cells if c in hidden}, key=str)
    index = {key: i for i, key in enumerate(columns)}
    matrix = numpy.zeros((len(relations), len(columns)))
    for row, relation in enumerate(relations):
        for key in relation.left:
            if key in index:
                matrix[row, index[key]] += 1
        for key in relation.right:
            if key in index:
                matrix[row, index[key]] -= 1
    _u, singular, vt = numpy.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    free = vt[rank:]  # the null space: the ways the hidden cells can change together
    if not free.shape[0]:
        return set(columns)
    return {key for key, i in index.items() if float(numpy.abs(free[:, i]).max()) < 1e-9}


def worked_out(
    values: Mapping[Hashable, int],
    published: Mapping[Hashable, Cell],
    relations: Sequence[Relation],
    *,
    rounds: int = 20,
) -> set[Hashable]:
    """The "< 5" cells whose value follows from the published ones (see the module). A "×"
    worked out is no child told apart (it is 0 or 5 and more); a "< 5" it would give away is
    found through it."""
    hidden = {key for key, cell in published.items() if is_suppressed(cell)}
    relations = [r for r in relations if any(c in hidden for c in r.cells)]
    if not relations:
        return set()
    domains: dict[Hashable, Domain] = {}
    for relation in relations:
        for key in relation.cells:
            domains.setdefault(key, _domain(published[key]))
    slack = {relation: _slack(values, relation) for relation in relations}
    for _round in range(rounds):
        changed = False
        for relation in relations:
            for key in relation.cells:
                if key not in hidden:
                    continue
                narrowed = _narrow(relation, key, domains, slack[relation])
                if narrowed and narrowed != domains[key]:
                    domains[key] = narrowed
                    changed = True
        if not changed:
            break
    found = {key for key in hidden if key in domains and _point(domains[key])}
    for group in _components(relations, hidden):
        found |= _spanned(group, hidden)
    return {key for key in found if published[key] == SUPPRESSED}


def _hide_beside(
    key: Hashable,
    relations: Sequence[Relation],
    values: Mapping[Hashable, int],
    out: dict[Hashable, Cell],
    tier: Callable[[Hashable], int],
) -> Hashable | None:
    """Hide one more published cell of a relation holding `key`: of the lowest tier (a
    provider's before the city's), a part before a total, non-zero before zero, the
    smallest."""
    best: tuple[Any, ...] | None = None
    choice = None
    for relation in relations:
        totals = {side[0] for side in (relation.left, relation.right) if len(side) == 1}
        if len(relation.cells) == 2:
            totals = set()
        for cell in relation.cells:
            if is_suppressed(out[cell]):
                continue
            score = (tier(cell), cell in totals, values[cell] == 0, values[cell], str(cell))
            if best is None or score < best:
                best, choice = score, cell
    if choice is not None:
        out[choice] = HIDDEN
    return choice


def protect_system(
    values: Mapping[Hashable, int],
    relations: Iterable[Relation],
    tier: Callable[[Hashable], int] = lambda key: 0,
) -> dict[Hashable, Cell]:
    """Every value as it may be published: "< 5" for 1–4, then "×" until `worked_out` finds
    nothing. First relation by relation (cheap), then the whole system, then again."""
    out: dict[Hashable, Cell] = {key: small(value) for key, value in values.items()}
    relations = list(dict.fromkeys(relations))
    containing: dict[Hashable, list[Relation]] = defaultdict(list)
    for relation in relations:
        for key in relation.cells:
            containing[key].append(relation)
    slack = {relation: _slack(values, relation) for relation in relations}
    while True:
        # Relation by relation: a "< 5" that one relation gives away, with nothing else known.
        pending = [r for r in relations if any(out[c] == SUPPRESSED for c in r.cells)]
        while pending:
            again: dict[Relation, None] = {}
            for relation in pending:
                domains = {c: _domain(out[c]) for c in relation.cells}
                for key in relation.cells:
                    if out[key] == SUPPRESSED and _point(
                        _narrow(relation, key, domains, slack[relation])
                    ):
                        choice = _hide_beside(key, [relation], values, out, tier)
                        if choice is not None:
                            again.update(dict.fromkeys(containing[choice]))
                        break
            pending = list(again)
        found = worked_out(values, out, relations)
        if not found:
            return out
        progress = False
        touched: set[Relation] = set()
        for key in sorted(found, key=str):
            if any(relation in touched for relation in containing[key]):
                continue  # a cell beside it was just hidden: look again first
            around = list(containing[key])
            choice = _hide_beside(key, around, values, out, tier)
            for _depth in range(4):  # all hidden around it: look one relation further
                if choice is not None:
                    break
                cells = {c for r in around for c in r.cells}
                around = list(dict.fromkeys(r for c in cells for r in containing[c]))
                choice = _hide_beside(key, around, values, out, tier)
            if choice is not None:
                touched.update(containing[choice])
                progress = True
        if not progress:
            # Everything around these cells is hidden already; nothing more can be done.
            return out


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
