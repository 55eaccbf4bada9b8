"""The attacks of issue 21 against the published statistics, and what the published counts are worth.

A determined reader fetches every table reachable in a two-week window (every grouping of
region and severity, both orders, with and without a daily or weekly series, each week and
both, and every day-aligned range for the differencing) and combines them. The cases have
fixed ids and the test settings a fixed secret, so the perturbation, and every figure below,
is the same on every run and both backends.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Case
from hotline.routing.escalation import iso
from hotline.stats.perturbation import NOISE_BOUND, CellKeys
from hotline.stats.query import ALL, StatsQuery, StatsTable, run_query
from tests.fixtures.references import unique_reference
from tests.fixtures.stats import add_cases, refresh_rollups
from tests.stats.noise import near

FIRST = date(2026, 3, 2)  # a Monday
DAYS = [FIRST + timedelta(days=i) for i in range(14)]
WEEKS = [(DAYS[0], DAYS[6]), (DAYS[7], DAYS[13])]
REGIONS = ("Littoral", "Centre", "Nord")
SEVERITIES = ("critical", "high", "medium")
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
K = 5

Atom = tuple[date, str, str]  # a day, a region, a severity: the finest cell


def truth() -> dict[Atom, int]:
    """Cases per day, region and severity: many days hold 1 to 4 of a kind, weeks hold more."""
    rng = random.Random(21)
    region_rate = {"Littoral": 3.0, "Centre": 1.2, "Nord": 0.4}
    severity_rate = {"critical": 0.5, "high": 1.0, "medium": 2.0}
    return {
        (day, r, s): int(rng.expovariate(1 / (region_rate[r] * severity_rate[s])) + 0.5)
        for day in DAYS
        for r in REGIONS
        for s in SEVERITIES
    }


async def seed(runtime: Runtime, counts: dict[Atom, int]) -> None:
    rng = random.Random(1503)
    async with unit_of_work(runtime.sessions) as session:
        for (day, region, severity), n in counts.items():
            at = datetime(day.year, day.month, day.day, 11, tzinfo=UTC)  # noon in Cameroon
            for _ in range(n):
                minutes = rng.choice([3, 8, 12, 25, 40, None])
                sla = None if minutes is None else "met" if minutes < 15 else "breached"
                acked = None if minutes is None else at + timedelta(minutes=minutes)
                session.add(
                    Case(
                        id=uuid.UUID(int=rng.getrandbits(128)),
                        reference=unique_reference(),
                        caller_ref=uuid.UUID(int=rng.getrandbits(128)).hex,
                        created_at=at,
                        updated_at=at,
                        channel="sms",
                        category="trafficking",
                        severity=severity,
                        region=region,
                        language="fr",
                        training=False,
                        escalation={
                            "sla": {
                                "deadline": iso(at + timedelta(minutes=15)),
                                "acknowledged_at": iso(acked) if acked else None,
                                "met_at": iso(acked) if acked and sla == "met" else None,
                                "breached_at": iso(at + timedelta(minutes=15)) if sla == "breached" else None,
                            }
                        },
                    )
                )
    await refresh_rollups(runtime, NOW)


GROUPINGS = [(), ("region",), ("severity",), ("region", "severity"), ("severity", "region")]


def reachable_queries(measure: str = "cases") -> list[StatsQuery]:
    """Every table an analyst can ask for about the window (ranges are rounded out anyway)."""
    ranges = [*WEEKS, (DAYS[0], DAYS[13])]
    # The differencing attack's ranges: [d..to] and [d+1..to] for every day d.
    ranges += [(day, DAYS[13]) for day in DAYS]
    queries = []
    for start, end in ranges:
        for group_by in GROUPINGS:
            for period in (None, "day", "week"):
                queries.append(StatsQuery(measure, group_by, period, start, end))  # type: ignore[arg-type]
    return queries


async def fetch(runtime: Runtime, queries: Iterable[StatsQuery]) -> list[StatsTable]:
    keys = CellKeys.from_secret_key(runtime.settings.secret_key.get_secret_value())
    async with runtime.sessions() as session:
        return [await run_query(session, q, now=NOW, keys=keys) for q in queries]


@dataclass(frozen=True)
class Figure:
    atoms: frozenset[Atom]
    published: int | None  # None: suppressed


def figures(tables: Iterable[StatsTable]) -> list[Figure]:
    """Every entry of every table, as the set of finest cells it adds up."""
    out = []
    for table in tables:
        q = table.query
        assert q.start is not None and q.end is not None
        window = [d for d in DAYS if q.start <= d <= q.end]
        for cell in [*table.items, *table.row_totals, *table.column_totals, table.total]:
            period = cell.labels.get("period", ALL)
            region = cell.labels.get("region", ALL)
            severity = cell.labels.get("severity", ALL)
            days = [
                d
                for d in window
                if period == ALL
                or (q.period == "day" and d.isoformat() == period)
                or (q.period == "week" and (d - timedelta(days=d.weekday())).isoformat() == period)
            ]
            atoms = frozenset(
                (d, r, s)
                for d in days
                for r in REGIONS
                for s in SEVERITIES
                if region in (ALL, r) and severity in (ALL, s)
            )
            out.append(Figure(atoms, cell.count))
    return out


def feasible_range(
    atoms: list[Atom], constraints: list[tuple[frozenset[Atom], float, float]], target: frozenset[Atom]
) -> tuple[float, float]:
    """Smallest and largest integer count of ``target`` consistent with every constraint
    (each: the sum of its atoms lies in [low, high]), atoms being non-negative integers."""
    index = {a: i for i, a in enumerate(atoms)}
    matrix = np.zeros((len(constraints), len(atoms)))
    lows, highs = [], []
    for row, (members, low, high) in enumerate(constraints):
        for a in members:
            matrix[row, index[a]] = 1.0
        lows.append(low)
        highs.append(high)
    objective = np.zeros(len(atoms))
    for a in target:
        objective[index[a]] = 1.0
    bound = LinearConstraint(matrix, lows, highs)
    integers = np.ones(len(atoms))
    low = milp(objective, constraints=bound, integrality=integers, bounds=Bounds(0, np.inf))
    high = milp(-objective, constraints=bound, integrality=integers, bounds=Bounds(0, np.inf))
    assert low.status == 0 and high.status == 0, (low.message, high.message)
    return round(low.fun), round(-high.fun)


def what_a_reader_knows(published: list[Figure]) -> list[tuple[frozenset[Atom], float, float]]:
    """A published count v of the perturbed method says the truth is in [v-2, v+2] and >= k
    (and at most k+2 when v == k: the published value is never below k)."""
    out = []
    for f in published:
        assert f.published is not None
        v = f.published
        out.append((f.atoms, max(K, v - NOISE_BOUND), v + NOISE_BOUND))
    return out


def small_targets(all_figures: list[Figure], counts: dict[Atom, int]) -> list[frozenset[Atom]]:
    """Every distinct entry whose true count is positive and below k."""
    seen: dict[frozenset[Atom], None] = {}
    for f in all_figures:
        true = sum(counts[a] for a in f.atoms)
        if 0 < true < K:
            seen.setdefault(f.atoms)
    return list(seen)


async def test_no_small_cell_is_pinned_by_a_program_over_every_table_in_the_window(runtime: Runtime) -> None:
    """An integer program over every table reachable in the window (all groupings, orders,
    series and ranges, margins and cells) cannot pin any entry below k to one value; with
    exact published counts (suppression alone) the same program pins some."""
    counts = truth()
    await seed(runtime, counts)
    all_figures = figures(await fetch(runtime, reachable_queries()))
    published = [f for f in all_figures if f.published is not None]
    assert all(f.published is not None and f.published >= K for f in published)
    atoms = sorted(counts)
    targets = small_targets(all_figures, counts)
    assert len(targets) >= 40  # the window holds many small entries to attack

    perturbed = what_a_reader_knows(published)
    pinned = []
    for target in targets:
        low, high = feasible_range(atoms, perturbed, target)
        true = sum(counts[a] for a in target)
        assert low <= true <= high
        if high - low < 1:
            pinned.append((sorted(target), true))
    assert pinned == []

    # The same attack against exact counts (the suppression of today, without perturbation).
    exact = [(f.atoms, float(t), float(t)) for f in published for t in [sum(counts[a] for a in f.atoms)]]
    pinned_exact = 0
    for target in targets:
        low, high = feasible_range(atoms, exact, target)
        pinned_exact += high - low < 1
    # 8 of the 111 on this window: the program has teeth, and only the perturbation stops it.
    assert pinned_exact >= 1, (pinned_exact, len(targets))


async def test_date_differencing_gains_nothing(runtime: Runtime) -> None:
    """T[d..to] - T[d+1..to] for every day d: the ranges round out to whole weeks, so two such
    tables are the same table or differ by a whole week, and no day's small count comes out."""
    counts = truth()
    await seed(runtime, counts)
    recovered = 0
    small = 0
    for day in DAYS[:-1]:
        pair = [
            StatsQuery("cases", ("region", "severity"), None, start, DAYS[13])
            for start in (day, day + timedelta(1))
        ]
        first, second = await fetch(runtime, pair)
        assert first.query.start is not None and first.query.start.weekday() == 0
        for a, b in zip(first.items, second.items, strict=True):
            assert a.labels == b.labels
            true = counts[(day, a.labels["region"], a.labels["severity"])]
            if not 0 < true < K:
                continue
            small += 1
            if a.count is not None and b.count is not None and a.count - b.count == true:
                recovered += 1
    assert small >= 20
    assert recovered == 0


async def test_the_same_cell_always_gets_the_same_answer(runtime: Runtime) -> None:
    """A region's count is the same published figure in the region table, as a margin of
    region x severity and of severity x region, and whatever range rounds to the same weeks."""
    counts = truth()
    await seed(runtime, counts)
    tables = await fetch(
        runtime,
        [
            StatsQuery("cases", ("region",), None, DAYS[0], DAYS[13]),
            StatsQuery("cases", ("region", "severity"), None, DAYS[0], DAYS[13]),
            StatsQuery("cases", ("severity", "region"), None, DAYS[2], DAYS[11]),
        ],
    )
    alone = {c.labels["region"]: c.count for c in tables[0].items}
    rows = {c.labels["region"]: c.count for c in tables[1].row_totals}
    columns = {c.labels["region"]: c.count for c in tables[2].column_totals}
    assert alone == rows == columns
    assert tables[0].total.count == tables[1].total.count == tables[2].total.count


async def test_utility_of_the_published_counts(runtime: Runtime) -> None:
    """Over every table reachable in the window, published counts of 20 or more are off by
    less than 5% on average (and never by more than the perturbation table's bound)."""
    counts = truth()
    await seed(runtime, counts)
    errors = []
    for f in figures(await fetch(runtime, reachable_queries())):
        true = sum(counts[a] for a in f.atoms)
        if f.published is not None:
            assert abs(f.published - true) <= NOISE_BOUND
            if true >= 20:
                errors.append(abs(f.published - true) / true)
    assert len(errors) >= 100
    assert sum(errors) / len(errors) < 0.05


async def test_compliance_rounding_gives_back_no_breached_count(runtime: Runtime) -> None:
    """compliance_percent beside the published sla count: every breached count below k stays
    at least two values wide for a reader who knows the perturbation table's bound."""
    counts = truth()
    await seed(runtime, counts)
    tables = await fetch(runtime, [q for q in reachable_queries("sla") if q.period != "day"])
    exact_truth = await fetch_truth_sla(runtime)
    checked = 0
    for table in tables:
        for cell in [*table.items, *table.row_totals, *table.column_totals, table.total]:
            if cell.count is None:
                continue
            key = (table.query, tuple(sorted(cell.labels.items())))
            met, settled = exact_truth[key]
            breached = settled - met
            if not 0 < breached < K:
                continue
            checked += 1
            percent = cell.figures["compliance_percent"]
            assert isinstance(percent, int)
            possible = set()
            for s in range(max(K, cell.count - NOISE_BOUND), cell.count + NOISE_BOUND + 1):
                for shown in range(cell.count + 1):
                    if round(100 * shown / cell.count) != percent:
                        continue
                    for m in range(max(0, shown - NOISE_BOUND), min(s, shown + NOISE_BOUND) + 1):
                        possible.add(s - m)
            assert breached in possible
            assert len(possible) >= 2
    assert checked >= 10


async def fetch_truth_sla(
    runtime: Runtime,
) -> dict[tuple[StatsQuery, tuple[tuple[str, str], ...]], tuple[int, int]]:
    """The true met and settled counts of every sla entry, read from the cases (test only)."""
    from sqlalchemy import select

    async with runtime.sessions() as session:
        rows = (
            await session.execute(select(Case.created_at, Case.region, Case.severity, Case.escalation))
        ).all()
    facts = []
    for created_at, region, severity, escalation in rows:
        sla = escalation["sla"]
        day = (created_at + timedelta(hours=1)).date()
        settled = bool(sla["met_at"] or sla["breached_at"])
        facts.append((day, region, severity, bool(sla["met_at"]), settled))
    out = {}
    for table in await fetch(runtime, [q for q in reachable_queries("sla") if q.period != "day"]):
        q = table.query
        assert q.start is not None and q.end is not None
        for cell in [*table.items, *table.row_totals, *table.column_totals, table.total]:
            period = cell.labels.get("period", ALL)
            region = cell.labels.get("region", ALL)
            severity = cell.labels.get("severity", ALL)
            inside = [
                f
                for f in facts
                if q.start <= f[0] <= q.end
                and region in (ALL, f[1])
                and severity in (ALL, f[2])
                and (period == ALL or (f[0] - timedelta(days=f[0].weekday())).isoformat() == period)
            ]
            out[(q, tuple(sorted(cell.labels.items())))] = (
                sum(f[3] for f in inside),
                sum(f[4] for f in inside),
            )
    return out


async def test_ack_time_is_protected_on_the_acknowledged_cases(runtime: Runtime) -> None:
    """A region with 8 cases of which 3 were acknowledged shows its 8 cases but hides its
    acknowledgement time: the median would describe 3 acknowledgements."""
    await add_cases(runtime, 30, region="Littoral", ack_minutes=4, sla="met")
    await add_cases(runtime, 3, region="Nord", ack_minutes=4, sla="met")
    await add_cases(runtime, 5, region="Nord")
    await add_cases(runtime, 20, region="Centre", ack_minutes=8, sla="met")
    await refresh_rollups(runtime, NOW)
    window = (date(2026, 3, 1), date(2026, 3, 31))
    cases, ack = await fetch(
        runtime,
        [StatsQuery("cases", ("region",), None, *window), StatsQuery("ack_time", ("region",), None, *window)],
    )
    assert near(next(c.count for c in cases.items if c.labels["region"] == "Nord"), 8)
    nord = next(c for c in ack.items if c.labels["region"] == "Nord")
    assert (
        nord.suppressed
        and nord.count is None
        and nord.figures == {"median_seconds": None, "p90_seconds": None}
    )
    littoral = next(c for c in ack.items if c.labels["region"] == "Littoral")
    assert near(littoral.count, 30)


async def test_ranges_round_out_to_whole_weeks_and_months(runtime: Runtime) -> None:
    """A range that is not whole weeks (or whole months) is rounded out before it is counted."""
    tables = await fetch(
        runtime,
        [
            StatsQuery("cases", (), None, date(2026, 3, 4), date(2026, 3, 12)),
            StatsQuery("cases", (), "day", date(2026, 3, 4), date(2026, 3, 12)),
            StatsQuery("cases", (), "month", date(2026, 2, 10), date(2026, 3, 12)),
            StatsQuery("cases", (), None, date(2026, 3, 1), date(2026, 3, 31)),
        ],
    )
    spans = [(t.query.start, t.query.end) for t in tables]
    assert spans == [
        (date(2026, 3, 2), date(2026, 3, 15)),
        (date(2026, 3, 2), date(2026, 3, 15)),
        (date(2026, 2, 1), date(2026, 3, 31)),
        (date(2026, 3, 1), date(2026, 3, 31)),  # already whole months
    ]
