"""Small-cell suppression: nothing below k is shown, and no suppressed count can be recovered."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from hotline.stats.disclosure import augment, fold_rare, protect


def feasible_interval(
    values: tuple[tuple[int, ...], ...], hidden: frozenset[tuple[int, int]], entry: tuple[int, int]
) -> tuple[float, float]:
    """What a reader can infer about a hidden entry from every published figure.

    Unknowns are the hidden entries (each >= 0); every row and column of the table with its
    margins is an equation whose published terms are constants. Solved as two linear
    programs (min and max); the constraint matrix of a two-way table is totally unimodular,
    so the bounds are integers and a width of at least 1 means two integer values or more.
    """
    unknowns = sorted(hidden)
    index = {e: i for i, e in enumerate(unknowns)}
    n_rows, n_cols = len(values), len(values[0])
    a_eq: list[list[float]] = []
    b_eq: list[float] = []

    def equation(entries: list[tuple[int, int]], total: tuple[int, int]) -> None:
        row = [0.0] * len(unknowns)
        constant = 0.0
        for e in entries:
            if e in index:
                row[index[e]] += 1.0
            else:
                constant += values[e[0]][e[1]]
        if total in index:
            row[index[total]] -= 1.0
        else:
            constant -= values[total[0]][total[1]]
        a_eq.append(row)
        b_eq.append(-constant)

    for r in range(n_rows):
        equation([(r, c) for c in range(n_cols - 1)], (r, n_cols - 1))
    for c in range(n_cols):
        equation([(r, c) for r in range(n_rows - 1)], (n_rows - 1, c))
    objective = np.zeros(len(unknowns))
    objective[index[entry]] = 1.0
    bounds = [(0, None)] * len(unknowns)
    low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert low.status == 0
    top = float("inf") if high.status == 3 else -high.fun
    return low.fun, top


counts = st.one_of(st.integers(0, 4), st.integers(0, 12), st.integers(0, 200))
tables = st.integers(1, 5).flatmap(
    lambda n_rows: st.integers(1, 6).flatmap(
        lambda n_cols: st.lists(
            st.lists(counts, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(cells=tables, k=st.sampled_from([3, 5, 10]))
def test_no_suppressed_count_can_be_recovered_from_the_margins(cells: list[list[int]], k: int) -> None:
    """Every published entry (cell or margin) is at least k, and every suppressed positive
    count has a feasible interval, given all published cells and margins, wider than a point."""
    result = protect(cells, k)
    values = result.values
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            if not result.hidden(r, c):
                assert value >= k
    for entry in result.suppressed:
        value = values[entry[0]][entry[1]]
        if value == 0:
            continue
        low, high = feasible_interval(values, result.suppressed, entry)
        # The solver's bounds are floats: a margin of 1e-6 for its rounding, none for a real leak.
        assert low - 1e-6 <= value <= high + 1e-6
        assert high - low >= 1 - 1e-6, (cells, entry, low, high)


def test_a_lone_small_cell_takes_three_others_with_it() -> None:
    """One small cell in a table of large ones hides a rectangle: itself, one cell in its row,
    one in its column and the fourth corner, so the margins cannot give it away."""
    result = protect([[2, 50, 60], [40, 70, 80], [45, 90, 95]], 5)
    assert result.suppressed == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_the_check_would_catch_a_single_suppression() -> None:
    """The interval check is not vacuous: hiding only the small cell lets the row total give it away."""
    values = augment([[2, 50], [40, 70]])
    low, high = feasible_interval(values, frozenset({(0, 0)}), (0, 0))
    assert low == high == 2


def test_small_margins_are_suppressed_too() -> None:
    result = protect([[1, 2], [30, 40]], 5)
    assert result.hidden(0, 2)  # row total 3
    assert not result.hidden(2, 2)


def test_rare_values_fold_into_other() -> None:
    assert fold_rare({"trafficking": 40, "organ": 1, "marriage": 2}, 5, "other") == {
        "trafficking": "trafficking",
        "organ": "other",
        "marriage": "other",
    }
    assert fold_rare({"trafficking": 40, "organ": 1}, 5, "other") == {
        "trafficking": "trafficking",
        "organ": "organ",
    }
