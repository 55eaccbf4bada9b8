"""Small-cell suppression for two-way tables published with their margins.

The rule, precisely (tests/stats/test_disclosure.py checks it on random tables):

1. **Primary suppression.** Every entry of the table whose count is below ``k`` is
   suppressed: inner cells, row totals, column totals and the grand total alike, zeros
   included, so that "suppressed" never tells a reader "at least one".
2. **Complementary suppression.** Think of the table with its margins as one
   (rows+1) × (columns+1) array in which every row and every column is a linear equation
   (the cells add up to the total). Every suppressed entry holding a positive count must
   lie on a *cycle* of suppressed entries that all hold positive counts, alternating
   between a row and a column. Adding 1 and subtracting 1 in turn around such a cycle
   changes no published figure and keeps every count non-negative, so a reader who knows
   every published cell and margin can never pin a suppressed positive count to one value:
   it could always be one more or one less. (A suppressed zero may be shown by the margins
   to be zero; that identifies nobody.) Complements are chosen as the cheapest path of
   positive entries closing such a cycle, preferring small inner cells to margins.
3. If no such cycle exists, the whole table, margins included, is suppressed.

Rare categories are folded into "other" before this (:func:`fold_rare`).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

Entry = tuple[int, int]


@dataclass(frozen=True)
class Protected:
    """Which entries of the (rows+1) × (columns+1) array are suppressed.

    Row index ``len(rows)`` is the totals row; column index ``len(columns)`` the totals column.
    """

    values: tuple[tuple[int, ...], ...]  # the augmented array, margins included
    suppressed: frozenset[Entry]

    def hidden(self, row: int, column: int) -> bool:
        return (row, column) in self.suppressed


def augment(cells: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    """Cells plus a totals column and a totals row."""
    n_cols = len(cells[0]) if cells else 0
    rows = [(*row, sum(row)) for row in cells]
    totals = tuple(sum(row[j] for row in rows) for j in range(n_cols + 1))
    return (*(tuple(r) for r in rows), totals)


def _on_positive_cycle(values: Sequence[Sequence[int]], suppressed: set[Entry], entry: Entry) -> bool:
    """Is ``entry`` on a cycle of suppressed, positive entries (rows and columns alternating)?"""
    row, col = entry
    n_rows, n_cols = len(values), len(values[0])
    # Path from row node `row` to column node `col` without using `entry` itself.
    seen_rows, seen_cols = {row}, set[int]()
    frontier = [row]
    while frontier:
        nxt: list[int] = []
        for r in frontier:
            for c in range(n_cols):
                if c in seen_cols or (r, c) == entry or (r, c) not in suppressed or values[r][c] < 1:
                    continue
                if c == col:
                    return True
                seen_cols.add(c)
                for r2 in range(n_rows):
                    if (
                        r2 not in seen_rows
                        and (r2, c) in suppressed
                        and values[r2][c] >= 1
                        and (r2, c) != entry
                    ):
                        seen_rows.add(r2)
                        nxt.append(r2)
        frontier = nxt
    return False


def _cheapest_closing_path(
    values: Sequence[Sequence[int]], suppressed: set[Entry], entry: Entry
) -> list[Entry] | None:
    """Positive entries to suppress so that ``entry`` lies on a positive suppressed cycle.

    Dijkstra from the entry's row to its column over positive entries; already suppressed
    ones are free, others cost their count (margins cost far more, so inner cells go first).
    """
    n_rows, n_cols = len(values), len(values[0])
    row, col = entry
    penalty = 1 + sum(values[-1][-1:]) * 4

    def cost(r: int, c: int) -> int:
        if (r, c) in suppressed:
            return 0
        margin = r == n_rows - 1 or c == n_cols - 1
        return values[r][c] + (penalty if margin else 0) + 1

    # Nodes: ("r", i) and ("c", j).
    start = (0, row)
    goal = (1, col)
    best: dict[tuple[int, int], int] = {start: 0}
    back: dict[tuple[int, int], tuple[tuple[int, int], Entry]] = {}
    heap: list[tuple[int, tuple[int, int]]] = [(0, start)]
    while heap:
        dist, node = heapq.heappop(heap)
        if dist > best.get(node, dist):
            continue
        if node == goal:
            break
        kind, index = node
        if kind == 0:
            edges = [((1, c), (index, c)) for c in range(n_cols)]
        else:
            edges = [((0, r), (r, index)) for r in range(n_rows)]
        for other, (r, c) in edges:
            if (r, c) == entry or values[r][c] < 1:
                continue
            d = dist + cost(r, c)
            if d < best.get(other, d + 1):
                best[other] = d
                back[other] = (node, (r, c))
                heapq.heappush(heap, (d, other))
    if goal not in best:
        return None
    path: list[Entry] = []
    node = goal
    while node != start:
        node, used = back[node]
        path.append(used)
    return path


def protect(cells: Sequence[Sequence[int]], k: int) -> Protected:
    """Suppress a rows × columns table of counts and its margins (module docstring)."""
    values = augment(cells)
    everything = frozenset((r, c) for r in range(len(values)) for c in range(len(values[0])))
    suppressed = {(r, c) for r in range(len(values)) for c in range(len(values[0])) if values[r][c] < k}
    pending = sorted(suppressed)
    while pending:
        entry = pending.pop()
        r, c = entry
        if values[r][c] < 1 or _on_positive_cycle(values, suppressed, entry):
            continue
        path = _cheapest_closing_path(values, suppressed, entry)
        if path is None:
            return Protected(values=values, suppressed=everything)
        added = [e for e in path if e not in suppressed]
        suppressed.update(added)
        # Newly suppressed entries need their own cycle, and may give one to earlier ones.
        pending.extend(added)
    return Protected(values=values, suppressed=frozenset(suppressed))


def fold_rare(totals: dict[str, int], k: int, other: str) -> dict[str, str]:
    """Which value each value is shown as: those with fewer than ``k`` in all become ``other``.

    Folding only happens when it joins at least two values (one rare value alone keeps its
    name: it is suppressed like any small cell).
    """
    rare = [v for v, n in totals.items() if n < k and v != other]
    if len(rare) < 2 and other not in totals:
        return {v: v for v in totals}
    return {v: (other if v in rare else v) for v in totals}
