"""A protected statistics table as CSV and as terminal text (the same rows as the JSON)."""

from __future__ import annotations

import csv
import io

from hotline.stats.query import ALL, Cell, StatsTable

SUPPRESSED_MARK = "suppressed"


def rows(table: StatsTable) -> list[list[str]]:
    """Header, cells, then margins (labelled "all"); a suppressed count is left empty."""
    header = [*table.label_keys, "count", *table.figure_keys, "suppressed"]
    out = [header]

    def line(cell: Cell) -> list[str]:
        labels = [cell.labels.get(key, ALL) for key in table.label_keys]
        count = "" if cell.count is None else str(cell.count)
        figures = [
            "" if cell.figures.get(key) is None else str(cell.figures[key]) for key in table.figure_keys
        ]
        return [*labels, count, *figures, "true" if cell.suppressed else "false"]

    for cell in [*table.items, *table.row_totals, *table.column_totals]:
        out.append(line(cell))
    if len(table.items) > 1:
        out.append(line(table.total))
    return out


def to_csv(table: StatsTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows(table))
    return buffer.getvalue()


def to_text(table: StatsTable) -> str:
    """Aligned columns for a terminal; suppressed counts read "suppressed"."""
    lines = rows(table)
    header, body = lines[0], lines[1:]
    shown = [header[:-1]]
    for line in body:
        suppressed = line[-1] == "true"
        count_at = len(table.label_keys)
        values = line[:-1]
        if suppressed:
            values = [*values[:count_at], SUPPRESSED_MARK, *["" for _ in table.figure_keys]]
        shown.append(values)
    widths = [max(len(row[i]) for row in shown) for i in range(len(shown[0]))]
    text = ["  ".join(value.ljust(widths[i]) for i, value in enumerate(row)).rstrip() for row in shown]
    q = table.query
    title = (
        f"{q.measure} by {', '.join(q.group_by) or 'nothing'}"
        f"{', per ' + q.period if q.period else ''}, {q.start} to {q.end} (cells under {table.k} suppressed)"
    )
    return "\n".join([title, *text]) + "\n"
