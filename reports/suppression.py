"""Small-cell suppression: no figure that counts children lets one be singled out.

A count of 1–4 is published as "< 5" (0 stays 0: it tells nothing about a child). Where a
hidden count could be worked out from published ones — a line of cells that adds up to a
published total (a row and its total, a breakdown and the city's total, a column and the
city's figure) — one more cell of that line is hidden, shown as "×" (complementary
suppression), until every line with a published total hides none of its cells, or at least
two that together hold 5 children or more (a zero, or the line's own total, when nothing else
is left to hide). Counts that are not of people (visits, service days, tenge) are never suppressed.
docs/decisions.md, "Monitoring reports".
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

THRESHOLD = 5
SUPPRESSED = "< 5"
# A cell hidden only so that a "< 5" beside it cannot be worked out from a published total.
HIDDEN = "×"

Cell = int | str


def small(count: int) -> Cell:
    """A count of children as it may be published."""
    return SUPPRESSED if 0 < count < THRESHOLD else count


def is_suppressed(cell: object) -> bool:
    return cell in (SUPPRESSED, HIDDEN)


Line = tuple[Hashable | None, Sequence[Hashable]]


def protect(values: dict[Hashable, int], lines: Sequence[Line]) -> dict[Hashable, Cell]:
    """Every value as it may be published. `lines` are (total, parts): the parts add up to the
    total (or to less, where one child may stand in two parts); a line whose total is not
    published (None, or itself suppressed) gives nothing away."""
    out: dict[Hashable, Cell] = {key: small(value) for key, value in values.items()}
    changed = True
    while changed:
        changed = False
        for total, parts in lines:
            if total is None or is_suppressed(out[total]):
                continue
            hidden = [part for part in parts if is_suppressed(out[part])]
            # Safe when nothing is hidden, or when at least two cells are and together they
            # hold at least THRESHOLD children (three hidden ones of a total of 3 are 1 each).
            if not hidden or (len(hidden) > 1 and sum(values[p] for p in hidden) >= THRESHOLD):
                continue
            visible = [p for p in parts if not is_suppressed(out[p])]
            if visible:
                # The smallest non-zero cell; a zero only when nothing else is left.
                out[min(visible, key=lambda p: (values[p] == 0, values[p], str(p)))] = HIDDEN
            else:
                out[total] = HIDDEN  # the line is all hidden but one: its total goes too
            changed = True
    return out


def small_row(counts: list[int], total: int) -> list[Cell]:
    """The cells of one row that adds up to `total`, as they may be published."""
    values: dict[Hashable, int] = {i: count for i, count in enumerate(counts)}
    values["total"] = total
    out = protect(values, [("total", list(range(len(counts))))])
    return [out[i] for i in range(len(counts))]
