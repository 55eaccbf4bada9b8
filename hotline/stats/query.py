"""Statistics queries: a measure, a grouping, a period and a date range → a protected table.

Reads the rollup tables only. Every table goes through :func:`hotline.stats.disclosure.protect`
(suppression, on the true counts) and then :class:`hotline.stats.perturbation.CellKeys`
(consistent perturbation of every published count) before anything leaves this module; a
suppressed cell's count and derived figures are dropped here, not by the caller. Ranges are
rounded out to whole weeks or months, so fewer distinct sets of records can be asked for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import Date, Integer, String, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from hotline.models import StatsCaseRollup, StatsContactRollup, StatsReferralRollup
from hotline.stats.dimensions import (
    CONTACT_DIMENSIONS,
    DIMENSIONS,
    FOLDABLE,
    OTHER,
    REFERRAL_DIMENSIONS,
    grouping_name,
    local_day,
)
from hotline.stats.disclosure import fold_rare, protect
from hotline.stats.perturbation import CellKeys
from hotline.stats.rollup import (
    ACCEPT_COLUMNS,
    ACK_BUCKETS_MINUTES,
    COMPLETE_COLUMNS,
    HISTOGRAM_COLUMNS,
    REFERRAL_BUCKETS_HOURS,
)

Measure = Literal[
    "cases",
    "contacts",
    "calls",
    "ack_time",
    "sla",
    "referrals",
    "referral_accept_time",
    "referral_complete_time",
]
Period = Literal["day", "week", "month"]
MEASURES: Final = (
    "cases",
    "contacts",
    "calls",
    "ack_time",
    "sla",
    "referrals",
    "referral_accept_time",
    "referral_complete_time",
)
REFERRAL_MEASURES: Final = frozenset({"referrals", "referral_accept_time", "referral_complete_time"})
PERIODS: Final = ("day", "week", "month")
K_DEFAULT: Final = 5
# Tables about children hide more: a small count of minors points at a family sooner.
K_MINORS: Final = 10
MAX_DAYS: Final = {"day": 400, "week": 5 * 366, "month": 20 * 366, None: 20 * 366}
DEFAULT_DAYS: Final = 365
CALL_OUTCOMES: Final = {"report": "completed", "no_case": "in_progress"}
ALL: Final = "all"


class QueryError(ValueError):
    """A query the statistics cannot answer (unknown measure or dimension, range too long)."""


Figure = int | float | None


#: The dates a statistics query may name: the line opened long after the first, and nothing is
#: counted in the far future.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2199, 12, 31)


@dataclass(frozen=True)
class StatsQuery:
    measure: Measure = "cases"
    group_by: tuple[str, ...] = ()
    period: Period | None = None
    start: date | None = None
    end: date | None = None

    @property
    def k(self) -> int:
        return K_MINORS if "minor" in self.group_by else K_DEFAULT

    def allowed_dimensions(self) -> tuple[str, ...]:
        if self.measure == "contacts":
            return CONTACT_DIMENSIONS
        if self.measure == "calls":
            return ("outcome",)
        if self.measure in REFERRAL_MEASURES:
            return REFERRAL_DIMENSIONS
        return DIMENSIONS

    def validated(self, today: date) -> StatsQuery:
        if self.measure not in MEASURES:
            raise QueryError(f"measure must be one of {', '.join(MEASURES)}")
        if self.period is not None and self.period not in PERIODS:
            raise QueryError(f"period must be one of {', '.join(PERIODS)}")
        allowed = self.allowed_dimensions()
        for dim in self.group_by:
            if dim not in allowed:
                raise QueryError(f"{self.measure} can be grouped by {', '.join(allowed)}")
        if len(set(self.group_by)) != len(self.group_by) or len(self.group_by) > 2:
            raise QueryError("group_by takes at most two different dimensions")
        for given in (self.start, self.end):
            # date arithmetic past year 1 or 9999 is an OverflowError (a 500, issue 20)
            if given is not None and not EARLIEST_DAY <= given <= LATEST_DAY:
                raise QueryError(f"dates run from {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}")
        end = self.end or today
        start = self.start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise QueryError("from must not be after to")
        if (end - start).days + 1 > MAX_DAYS[self.period]:
            raise QueryError(f"at most {MAX_DAYS[self.period]} days with period={self.period or 'none'}")
        start, end = aligned(start, end, self.period)
        return StatsQuery(self.measure, self.group_by, self.period, start, end)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def aligned(start: date, end: date, period: Period | None) -> tuple[date, date]:
    """The range rounded out to whole periods: whole months for ``month``; whole ISO weeks for
    ``week`` and ``day`` (a daily series of whole weeks: its margins are sums over whole weeks);
    for the whole-range table whole months when it already is, else whole weeks.

    With days, a reader could difference ``[d..to]`` and ``[d+1..to]`` for every ``d`` (or the
    margins of two daily series); with aligned ranges there are far fewer distinct sets of
    records to ask for, and every one of them is perturbed.
    """
    whole_months = start.day == 1 and end == _month_end(end)
    if period == "month" or (period is None and whole_months):
        return start.replace(day=1), _month_end(end)
    return start - timedelta(days=start.weekday()), end + timedelta(days=6 - end.weekday())


@dataclass
class Cell:
    """One published entry: its labels, its count (None when suppressed) and derived figures."""

    labels: dict[str, str]
    count: int | None
    suppressed: bool
    figures: dict[str, Figure] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.labels, "count": self.count, **self.figures, "suppressed": self.suppressed}


@dataclass
class StatsTable:
    query: StatsQuery
    k: int
    label_keys: list[str]
    figure_keys: list[str]
    items: list[Cell]
    row_totals: list[Cell]
    column_totals: list[Cell]
    total: Cell

    def as_dict(self) -> dict[str, Any]:
        q = self.query
        return {
            "measure": q.measure,
            "group_by": list(q.group_by),
            "period": q.period,
            "from": q.start.isoformat() if q.start else None,
            "to": q.end.isoformat() if q.end else None,
            "k": self.k,
            "columns": [*self.label_keys, "count", *self.figure_keys, "suppressed"],
            "items": [c.as_dict() for c in self.items],
            "total": len(self.items),
            "margins": {
                "rows": [c.as_dict() for c in self.row_totals],
                "columns": [c.as_dict() for c in self.column_totals],
                "all": self.total.as_dict(),
            },
        }


# --- reading the rollups -------------------------------------------------------------------


def _period_of(day_column: Any, period: Period | None, dialect: str) -> list[ColumnElement[Any]]:
    """The period column to group by (none without a period)."""
    if period is None:
        return []
    if period == "day":
        expr: ColumnElement[Any] = day_column
    elif dialect == "postgresql":
        expr = cast(func.date_trunc(period, day_column), Date)
    elif period == "month":
        expr = func.strftime("%Y-%m-01", day_column)
    else:
        # ISO weeks start on Monday: strftime('%w') is 0 on Sunday.
        back = cast((cast(func.strftime("%w", day_column), Integer) + 6) % 7, String)
        expr = func.date(day_column, literal("-") + back + literal(" days"))
    return [expr.label("p")]


def _period_label(value: object, period: Period | None) -> str:
    if period is None:
        return ALL
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text[:7] if period == "month" else text[:10]


def period_labels(start: date, end: date, period: Period | None) -> list[str]:
    """Every period of the range, so a series has no gaps (empty periods are suppressed zeros)."""
    if period is None:
        return [ALL]
    labels: list[str] = []
    day = start
    while day <= end:
        if period == "day":
            label = day.isoformat()
        elif period == "week":
            label = (day - timedelta(days=day.weekday())).isoformat()
        else:
            label = day.isoformat()[:7]
        if not labels or labels[-1] != label:
            labels.append(label)
        day += timedelta(days=1)
    return labels


Key = tuple[str, str, str]  # period, first dimension value, second dimension value
Sums = list[int]


async def _case_sums(session: AsyncSession, q: StatsQuery) -> dict[Key, Sums]:
    dialect = session.get_bind().dialect.name
    dims = tuple(sorted(q.group_by, key=DIMENSIONS.index))
    period = _period_of(StatsCaseRollup.day, q.period, dialect)
    measures = [
        StatsCaseRollup.cases,
        StatsCaseRollup.sla_met,
        StatsCaseRollup.sla_breached,
        StatsCaseRollup.acknowledged,
        StatsCaseRollup.key_cases,
        StatsCaseRollup.key_acknowledged,
        StatsCaseRollup.key_settled,
        StatsCaseRollup.key_met,
    ]
    if q.measure == "ack_time":
        measures += [getattr(StatsCaseRollup, name) for name in HISTOGRAM_COLUMNS]
    stmt = (
        select(*period, StatsCaseRollup.a, StatsCaseRollup.b, *[func.sum(m) for m in measures])
        .where(
            and_(
                StatsCaseRollup.dims == grouping_name(dims),
                StatsCaseRollup.day >= q.start,
                StatsCaseRollup.day <= q.end,
            )
        )
        .group_by(*period, StatsCaseRollup.a, StatsCaseRollup.b)
    )
    swap = tuple(q.group_by) != dims  # asked as category,region: rollup holds region,category
    out: dict[Key, Sums] = {}
    for row in (await session.execute(stmt)).all():
        p, (a, b, *sums) = (row[0], row[1:]) if period else (ALL, row)
        first, second = (b, a) if swap else (a, b)
        out[(_period_label(p, q.period), first, second)] = [int(s or 0) for s in sums]
    return out


async def _contact_sums(session: AsyncSession, q: StatsQuery) -> dict[Key, Sums]:
    dialect = session.get_bind().dialect.name
    period = _period_of(StatsContactRollup.day, q.period, dialect)
    columns = {"channel": StatsContactRollup.channel, "outcome": StatsContactRollup.outcome}
    picked = [columns[d].label(f"g{i}") for i, d in enumerate(q.group_by)]
    stmt = select(
        *period, *picked, func.sum(StatsContactRollup.contacts), func.sum(StatsContactRollup.key_contacts)
    ).where(StatsContactRollup.day >= q.start, StatsContactRollup.day <= q.end)
    if q.measure == "calls":
        stmt = stmt.where(StatsContactRollup.channel == "voice")
    if period or picked:
        stmt = stmt.group_by(*period, *picked)
    out: dict[Key, Sums] = defaultdict(lambda: [0, 0])
    for found in (await session.execute(stmt)).all():
        row = tuple(found) if period else (ALL, *found)
        values = [str(v) for v in row[1:-2]]
        if q.measure == "calls":
            values = [CALL_OUTCOMES.get(v, v) for v in values]
        values += ["", ""]
        sums = out[(_period_label(row[0], q.period), values[0], values[1])]
        sums[0] += int(row[-2] or 0)
        sums[1] += int(row[-1] or 0)
    return dict(out)


# Sums of a case cell: cases, met, breached, acknowledged, their four record-hash sums
# (cases, acknowledged, settled, met), then the acknowledgement histogram (ack_time only).
CASE_WIDTH: Final = 8
# Sums of a contact cell: contacts and their record-hash sum.
CONTACT_WIDTH: Final = 2
# Sums of a referral cell: referrals, accepted, completed, their record-hash sums, then the
# two histograms.
REFERRAL_WIDTH: Final = 6 + len(ACCEPT_COLUMNS) + len(COMPLETE_COLUMNS)


async def _referral_sums(session: AsyncSession, q: StatsQuery) -> dict[Key, Sums]:
    dialect = session.get_bind().dialect.name
    period = _period_of(StatsReferralRollup.day, q.period, dialect)
    picked = [getattr(StatsReferralRollup, d).label(f"g{i}") for i, d in enumerate(q.group_by)]
    measures = [
        StatsReferralRollup.referrals,
        StatsReferralRollup.accepted,
        StatsReferralRollup.completed,
        StatsReferralRollup.key_referrals,
        StatsReferralRollup.key_accepted,
        StatsReferralRollup.key_completed,
        *[getattr(StatsReferralRollup, name) for name in (*ACCEPT_COLUMNS, *COMPLETE_COLUMNS)],
    ]
    stmt = select(*period, *picked, *[func.sum(m) for m in measures]).where(
        StatsReferralRollup.day >= q.start, StatsReferralRollup.day <= q.end
    )
    if period or picked:
        stmt = stmt.group_by(*period, *picked)
    out: dict[Key, Sums] = {}
    for found in (await session.execute(stmt)).all():
        row = tuple(found) if period else (ALL, *found)
        labels = [str(v) for v in row[1 : 1 + len(picked)]] + ["", ""]
        sums = [int(s or 0) for s in row[1 + len(picked) :]]
        if sums[0]:  # a sum over no rows (nothing sent in the range) is no cell
            out[(_period_label(row[0], q.period), labels[0], labels[1])] = sums
    return out


# --- building the table ----------------------------------------------------------------------


def _fold(sums: dict[Key, Sums], q: StatsQuery, k: int) -> dict[Key, Sums]:
    """Fold rare values of foldable dimensions into "other" (counted over the whole range)."""
    out = sums
    for position, dim in enumerate(q.group_by):
        if dim not in FOLDABLE:
            continue
        totals: dict[str, int] = defaultdict(int)
        for key, values in out.items():
            totals[key[1 + position]] += values[0]
        mapping = fold_rare(dict(totals), k, OTHER)
        folded: dict[Key, Sums] = {}
        for key, values in out.items():
            parts = list(key)
            parts[1 + position] = mapping[parts[1 + position]]
            new_key = (parts[0], parts[1], parts[2])
            if new_key in folded:
                folded[new_key] = [x + y for x, y in zip(folded[new_key], values, strict=True)]
            else:
                folded[new_key] = list(values)
        out = folded
    return out


def _estimate(histogram: Sums, fraction: float, upper: tuple[int, ...]) -> float | None:
    """The upper bound of the bucket in which ``fraction`` of the histogram lies, in the unit of
    the bounds ``upper``; the open last bucket reads as its lower bound.

    Not interpolated inside the bucket: an interpolated median is a ratio of counts
    (``(target - seen) / count``) from which a reader beside the published count could work
    back to a bucket's count; a bucket bound tells only which bucket.
    """
    n = sum(histogram)
    if n == 0:
        return None
    target = fraction * n
    seen = 0
    bounds = (0, *upper)
    for index, count in enumerate(histogram):
        if count and seen + count >= target:
            if index >= len(upper):
                return float(bounds[index])  # the open last bucket: "at least"
            return float(upper[index])
        seen += count
    return float(bounds[-1])


def _percentile(histogram: Sums, fraction: float) -> int | None:
    """Seconds at which ``fraction`` of acknowledgements had happened."""
    minutes = _estimate(histogram, fraction, ACK_BUCKETS_MINUTES)
    return None if minutes is None else round(minutes * 60)


def _hours(histogram: Sums, fraction: float) -> float | None:
    """Hours (one decimal) by which ``fraction`` of the referrals had been accepted (or completed)."""
    hours = _estimate(histogram, fraction, REFERRAL_BUCKETS_HOURS)
    return None if hours is None else round(hours, 1)


def _base(measure: str, sums: Sums) -> tuple[int, int]:
    """The count a cell is protected on (the people behind its figures), and the sum of their
    record hashes (its cell key before the secret)."""
    if measure in ("contacts", "calls"):
        return sums[0], sums[1]
    if measure == "sla":
        return sums[1] + sums[2], sums[6]
    # A time describes only those who got there: acknowledged cases, accepted or completed
    # referrals (their median is theirs alone).
    if measure == "ack_time":
        return sums[3], sums[5]
    if measure == "referrals":
        return sums[0], sums[3]
    if measure == "referral_accept_time":
        return sums[1], sums[4]
    if measure == "referral_complete_time":
        return sums[2], sums[5]
    return sums[0], sums[4]


def _figures(measure: str, sums: Sums, published: int, keys: CellKeys) -> dict[str, Figure]:
    """Derived figures of a published cell, from protected counts only."""
    if measure == "ack_time":
        histogram = sums[CASE_WIDTH:]
        return {"median_seconds": _percentile(histogram, 0.5), "p90_seconds": _percentile(histogram, 0.9)}
    if measure == "sla":
        # The met count is perturbed with its own cell key: the percentage of two protected
        # counts, so its rounding gives back neither the met nor the breached count.
        met = min(published, keys.perturb(sums[1], sums[7]))
        return {"compliance_percent": round(100 * met / published) if published else None}
    if measure in ("referral_accept_time", "referral_complete_time"):
        start = 6 if measure == "referral_accept_time" else 6 + len(ACCEPT_COLUMNS)
        histogram = sums[start : start + len(REFERRAL_BUCKETS_HOURS) + 1]
        return {"median_hours": _hours(histogram, 0.5), "p90_hours": _hours(histogram, 0.9)}
    return {}


FIGURE_KEYS: Final = {
    "ack_time": ["median_seconds", "p90_seconds"],
    "sla": ["compliance_percent"],
    "referral_accept_time": ["median_hours", "p90_hours"],
    "referral_complete_time": ["median_hours", "p90_hours"],
}


def _add(into: Sums | None, values: Sums) -> Sums:
    return list(values) if into is None else [x + y for x, y in zip(into, values, strict=True)]


async def run_query(session: AsyncSession, query: StatsQuery, *, now: datetime, keys: CellKeys) -> StatsTable:
    q = query.validated(local_day(now))
    assert q.start is not None
    assert q.end is not None
    k = q.k
    if q.measure in ("contacts", "calls"):
        sums = await _contact_sums(session, q)
    elif q.measure in REFERRAL_MEASURES:
        sums = await _referral_sums(session, q)
    else:
        sums = await _case_sums(session, q)
    sums = _fold(sums, q, k)
    width = CONTACT_WIDTH if q.measure in ("contacts", "calls") else CASE_WIDTH
    if q.measure == "ack_time":
        width = CASE_WIDTH + len(HISTOGRAM_COLUMNS)
    if q.measure in REFERRAL_MEASURES:
        width = REFERRAL_WIDTH

    periods = period_labels(q.start, q.end, q.period)
    dims = list(q.group_by)
    firsts = sorted({key[1] for key in sums}) if dims else [""]
    seconds = sorted({key[2] for key in sums}) if len(dims) == 2 else [""]
    if q.period is None and len(dims) == 2:
        row_keys = [(ALL, f, "") for f in firsts]
        col_keys: list[tuple[str, str]] = [(s, "") for s in seconds]
    elif q.period is None:
        row_keys = [(ALL, "", "")]
        col_keys = [(f, s) for f in firsts for s in seconds]
    else:
        row_keys = [(p, "", "") for p in periods]
        present = sorted({(key[1], key[2]) for key in sums})
        col_keys = present if dims else [("", "")]

    def key_of(row: tuple[str, str, str], col: tuple[str, str]) -> Key:
        if q.period is None and len(dims) == 2:
            return (ALL, row[1], col[0])
        return (row[0], col[0], col[1])

    label_keys = (["period"] if q.period else []) + dims
    figure_keys = FIGURE_KEYS.get(q.measure, [])
    if not col_keys:  # nothing at all in the range: an empty table, its total hidden (zero)
        empty = Cell({}, None, True, dict.fromkeys(figure_keys))
        return StatsTable(q, k, label_keys, figure_keys, [], [], [], empty)
    grid: list[list[Sums]] = [[sums.get(key_of(r, c), [0] * width) for c in col_keys] for r in row_keys]
    protected = protect([[_base(q.measure, s)[0] for s in row] for row in grid], k)

    def labels(row: tuple[str, str, str] | None, col: tuple[str, str] | None) -> dict[str, str]:
        out: dict[str, str] = {}
        if q.period is not None:
            out["period"] = row[0] if row else ALL
        if q.period is None and len(dims) == 2:
            out[dims[0]] = row[1] if row else ALL
            out[dims[1]] = col[0] if col else ALL
        else:
            for i, dim in enumerate(dims):
                out[dim] = col[i] if col else ALL
        return out

    def cell(row_index: int, col_index: int, label: dict[str, str], values: Sums) -> Cell:
        hidden = protected.hidden(row_index, col_index)
        if hidden:
            return Cell(label, None, True, dict.fromkeys(FIGURE_KEYS.get(q.measure, [])))
        count, hash_sum = _base(q.measure, values)
        published = keys.perturb(count, hash_sum, k)
        return Cell(label, published, False, _figures(q.measure, values, published, keys))

    n_rows, n_cols = len(row_keys), len(col_keys)
    items = [
        cell(i, j, labels(row_keys[i], col_keys[j]), grid[i][j]) for i in range(n_rows) for j in range(n_cols)
    ]
    row_totals: list[Cell] = []
    column_totals: list[Cell] = []
    all_sums: Sums | None = None
    for i in range(n_rows):
        row_sum: Sums | None = None
        for j in range(n_cols):
            row_sum = _add(row_sum, grid[i][j])
        assert row_sum is not None
        all_sums = _add(all_sums, row_sum)
        if n_cols > 1:
            row_totals.append(cell(i, n_cols, labels(row_keys[i], None), row_sum))
    for j in range(n_cols):
        col_sum: Sums | None = None
        for i in range(n_rows):
            col_sum = _add(col_sum, grid[i][j])
        assert col_sum is not None
        if n_rows > 1:
            column_totals.append(cell(n_rows, j, labels(None, col_keys[j]), col_sum))
    assert all_sums is not None
    total = cell(n_rows, n_cols, labels(None, None), all_sums)
    return StatsTable(
        query=q,
        k=k,
        label_keys=label_keys,
        figure_keys=figure_keys,
        items=items,
        row_totals=row_totals,
        column_totals=column_totals,
        total=total,
    )
