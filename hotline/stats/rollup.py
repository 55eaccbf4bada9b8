"""Keeping the statistics rollups fresh.

A day's rollup rows are always rebuilt whole from the cases and contacts of that day, so a
rebuild is idempotent and a refresh may safely overlap the previous one. The worker calls
:func:`refresh` in its maintenance loop: it rebuilds the days of every case changed since
the last watermark (minus a margin, because ``updated_at`` is set before a transaction
commits) and the last two days of contacts (a contact has no ``updated_at``; its call
status and case arrive within minutes).

Referrals are counted on the day they were sent; a day is rebuilt when one of its
referrals moves (``updated_at``) or its case changes (a new region or category). They keep
a watermark of their own, so a database whose case rollups were already fresh when the
referral rollup arrived still gets every referral counted on the next refresh.

Training cases, training referrals, and cases or contacts that came from the demo data
(provider ``demo``), with their referrals, never enter a rollup.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import (
    Case,
    Contact,
    Referral,
    StatsCaseRollup,
    StatsContactRollup,
    StatsReferralRollup,
    StatsRefresh,
)
from hotline.models.stats import ACK_BUCKET_COUNT, REFERRAL_BUCKET_COUNT
from hotline.stats.dimensions import all_groupings, day_start, grouping_name, local_day, spell
from hotline.stats.perturbation import record_hash

# Upper bounds (minutes) of the acknowledgement-time histogram buckets; the last is open.
ACK_BUCKETS_MINUTES: Final = (
    1,
    2,
    3,
    5,
    10,
    15,
    20,
    30,
    45,
    60,
    90,
    120,
    180,
    240,
    360,
    480,
    720,
    1440,
    2880,
)
assert len(ACK_BUCKETS_MINUTES) + 1 == ACK_BUCKET_COUNT
HISTOGRAM_COLUMNS: Final = tuple(f"h{i:02d}" for i in range(ACK_BUCKET_COUNT))
# Upper bounds (hours) of the referral histograms (sent → accepted, sent → completed):
# an hour to 90 days; the last bucket is open.
REFERRAL_BUCKETS_HOURS: Final = (1, 2, 4, 8, 12, 24, 48, 72, 96, 120, 168, 240, 336, 504, 720, 1440, 2160)
assert len(REFERRAL_BUCKETS_HOURS) + 1 == REFERRAL_BUCKET_COUNT
ACCEPT_COLUMNS: Final = tuple(f"a{i:02d}" for i in range(REFERRAL_BUCKET_COUNT))
COMPLETE_COLUMNS: Final = tuple(f"c{i:02d}" for i in range(REFERRAL_BUCKET_COUNT))
WATERMARK: Final = "rollups"
REFERRAL_WATERMARK: Final = "referral_rollups"
# updated_at is stamped by the application before its transaction commits.
COMMIT_MARGIN: Final = timedelta(minutes=10)
CONTACT_DAYS_OPEN: Final = 2
UNANSWERED_STATUSES: Final = frozenset({"busy", "no-answer", "failed", "canceled"})
DEMO_PROVIDER: Final = "demo"
# Days rebuilt per query when many are dirty (a first run, a seeded database).
DAYS_PER_BATCH: Final = 16


def ack_bucket(seconds: float) -> int:
    return bisect_left(ACK_BUCKETS_MINUTES, seconds / 60.0)


def referral_bucket(seconds: float) -> int:
    return bisect_left(REFERRAL_BUCKETS_HOURS, seconds / 3600.0)


@dataclass
class CellAccumulator:
    cases: int = 0
    sla_met: int = 0
    sla_breached: int = 0
    acknowledged: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * ACK_BUCKET_COUNT)
    key_cases: int = 0
    key_acknowledged: int = 0
    key_settled: int = 0
    key_met: int = 0


@dataclass(frozen=True)
class CaseFacts:
    """What the rollup needs from a case: labels, and how its acknowledgement went."""

    day: date
    labels: dict[str, str]
    ack_seconds: float | None
    sla: str | None  # met | breached | None (not settled)
    record: int = 0  # the case's record hash (cell-key method)


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def facts_of(row: Sequence[Any]) -> CaseFacts:
    case_id, created_at, region, category, form, severity, channel, minor, abroad, language, escalation = row
    sla = (escalation or {}).get("sla") or {}
    acknowledged_at = _parse(sla.get("acknowledged_at"))
    ack_seconds = None
    if acknowledged_at is not None:
        ack_seconds = max(0.0, (acknowledged_at - created_at).total_seconds())
    settled = "met" if sla.get("met_at") else "breached" if sla.get("breached_at") else None
    labels = {
        "region": spell("region", region),
        "category": spell("category", category),
        "form": spell("form", form),
        "severity": spell("severity", severity),
        "channel": spell("channel", channel),
        "minor": spell("minor", minor),
        "abroad": spell("abroad", abroad),
        "language": spell("language", language),
    }
    return CaseFacts(
        day=local_day(created_at),
        labels=labels,
        ack_seconds=ack_seconds,
        sla=settled,
        record=record_hash(case_id),
    )


def counted_cases() -> Any:
    """Cases that count: not training, and not opened from demo data."""
    demo = exists().where(Contact.case_id == Case.id, Contact.provider == DEMO_PROVIDER)
    return (Case.training.is_(False)) & ~demo


def accumulate(facts: Iterable[CaseFacts]) -> dict[tuple[date, str, str, str], CellAccumulator]:
    groupings = [(g, grouping_name(g)) for g in all_groupings()]
    cells: dict[tuple[date, str, str, str], CellAccumulator] = defaultdict(CellAccumulator)
    for fact in facts:
        bucket = None if fact.ack_seconds is None else ack_bucket(fact.ack_seconds)
        for dims, name in groupings:
            values = [fact.labels[d] for d in dims] + ["", ""]
            cell = cells[(fact.day, name, values[0], values[1])]
            cell.cases += 1
            cell.key_cases += fact.record
            if fact.sla == "met":
                cell.sla_met += 1
                cell.key_met += fact.record
            elif fact.sla == "breached":
                cell.sla_breached += 1
            if fact.sla is not None:
                cell.key_settled += fact.record
            if bucket is not None:
                cell.acknowledged += 1
                cell.key_acknowledged += fact.record
                cell.histogram[bucket] += 1
    return cells


def _day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as inclusive ranges of at most :data:`DAYS_PER_BATCH` consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and (day - ranges[-1][1]).days == 1 and (day - ranges[-1][0]).days < DAYS_PER_BATCH:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


async def rebuild_case_days(session: AsyncSession, days: Iterable[date]) -> int:
    """Rebuild the case rollup of these local days; returns the number of rows written."""
    written = 0
    for first, last in _day_ranges(days):
        start, end = day_start(first), day_start(last + timedelta(days=1))
        await session.execute(
            delete(StatsCaseRollup).where(StatsCaseRollup.day >= first, StatsCaseRollup.day <= last)
        )
        result = await session.execute(
            select(
                Case.id,
                Case.created_at,
                Case.region,
                Case.category,
                Case.form,
                Case.severity,
                Case.channel,
                Case.minor,
                Case.abroad,
                Case.language,
                Case.escalation,
            ).where(Case.created_at >= start, Case.created_at < end, counted_cases())
        )
        cells = accumulate(facts_of(row) for row in result.all())
        rows = [
            {
                "day": day,
                "dims": dims,
                "a": a,
                "b": b,
                "cases": cell.cases,
                "sla_met": cell.sla_met,
                "sla_breached": cell.sla_breached,
                "acknowledged": cell.acknowledged,
                "key_cases": cell.key_cases,
                "key_acknowledged": cell.key_acknowledged,
                "key_settled": cell.key_settled,
                "key_met": cell.key_met,
                **dict(zip(HISTOGRAM_COLUMNS, cell.histogram, strict=True)),
            }
            for (day, dims, a, b), cell in cells.items()
        ]
        if rows:
            await session.execute(insert(StatsCaseRollup), rows)
        written += len(rows)
    return written


def contact_outcome(channel: str, provider_status: str | None, has_case: bool) -> str:
    """report | abandoned (a call that ended with nothing said) | unanswered | no_case."""
    if has_case:
        return "report"
    if channel == "voice" and provider_status:
        return "unanswered" if provider_status in UNANSWERED_STATUSES else "abandoned"
    return "no_case"


async def rebuild_contact_days(session: AsyncSession, days: Iterable[date]) -> int:
    written = 0
    for first, last in _day_ranges(days):
        start, end = day_start(first), day_start(last + timedelta(days=1))
        await session.execute(
            delete(StatsContactRollup).where(StatsContactRollup.day >= first, StatsContactRollup.day <= last)
        )
        result = await session.execute(
            select(
                Contact.id, Contact.received_at, Contact.channel, Contact.provider_status, Contact.case_id
            ).where(
                Contact.received_at >= start,
                Contact.received_at < end,
                Contact.training.is_(False),
                Contact.provider != DEMO_PROVIDER,
            )
        )
        counts: dict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for contact_id, received_at, channel, status, case_id in result.all():
            counted = counts[
                (local_day(received_at), channel, contact_outcome(channel, status, case_id is not None))
            ]
            counted[0] += 1
            counted[1] += record_hash(contact_id)
        rows = [
            {"day": day, "channel": channel, "outcome": outcome, "contacts": n, "key_contacts": key}
            for (day, channel, outcome), (n, key) in counts.items()
        ]
        if rows:
            await session.execute(insert(StatsContactRollup), rows)
        written += len(rows)
    return written


@dataclass
class ReferralAccumulator:
    referrals: int = 0
    accepted: int = 0
    completed: int = 0
    key_referrals: int = 0
    key_accepted: int = 0
    key_completed: int = 0
    to_accept: list[int] = field(default_factory=lambda: [0] * REFERRAL_BUCKET_COUNT)
    to_complete: list[int] = field(default_factory=lambda: [0] * REFERRAL_BUCKET_COUNT)


def counted_referrals() -> Any:
    """Referrals that count: sent, not training, on a case that counts."""
    return Referral.sent_at.is_not(None) & Referral.training.is_(False) & counted_cases()


def _hours_after(sent_at: datetime, moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return referral_bucket(max(0.0, (moment - sent_at).total_seconds()))


async def rebuild_referral_days(session: AsyncSession, days: Iterable[date]) -> int:
    """Rebuild the referral rollup of these local days (of sending); returns rows written."""
    written = 0
    for first, last in _day_ranges(days):
        start, end = day_start(first), day_start(last + timedelta(days=1))
        await session.execute(
            delete(StatsReferralRollup).where(
                StatsReferralRollup.day >= first, StatsReferralRollup.day <= last
            )
        )
        result = await session.execute(
            select(
                Referral.id,
                Referral.sent_at,
                Case.region,
                Case.category,
                Referral.partner_kind,
                Referral.status,
                Referral.accepted_at,
                Referral.completed_at,
            )
            .join(Case, Case.id == Referral.case_id)
            .where(Referral.sent_at >= start, Referral.sent_at < end, counted_referrals())
        )
        cells: dict[tuple[date, str, str, str, str], ReferralAccumulator] = defaultdict(ReferralAccumulator)
        for referral_id, sent_at, region, category, kind, status, accepted_at, completed_at in result.all():
            assert sent_at is not None  # counted_referrals() keeps sent ones only
            key = (
                local_day(sent_at),
                spell("region", region),
                spell("category", category),
                spell("partner_kind", kind),
                spell("outcome", status),
            )
            cell = cells[key]
            record = record_hash(referral_id)
            cell.referrals += 1
            cell.key_referrals += record
            accept = _hours_after(sent_at, accepted_at)
            if accept is not None:
                cell.accepted += 1
                cell.key_accepted += record
                cell.to_accept[accept] += 1
            complete = _hours_after(sent_at, completed_at)
            if complete is not None:
                cell.completed += 1
                cell.key_completed += record
                cell.to_complete[complete] += 1
        rows = [
            {
                "day": day,
                "region": region,
                "category": category,
                "partner_kind": kind,
                "outcome": outcome,
                "referrals": cell.referrals,
                "accepted": cell.accepted,
                "completed": cell.completed,
                "key_referrals": cell.key_referrals,
                "key_accepted": cell.key_accepted,
                "key_completed": cell.key_completed,
                **dict(zip(ACCEPT_COLUMNS, cell.to_accept, strict=True)),
                **dict(zip(COMPLETE_COLUMNS, cell.to_complete, strict=True)),
            }
            for (day, region, category, kind, outcome), cell in cells.items()
        ]
        if rows:
            await session.execute(insert(StatsReferralRollup), rows)
        written += len(rows)
    return written


def _days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def rebuild_all(session: AsyncSession, now: datetime) -> int:
    """Rebuild every day from the first case or contact to today (first run, after a seed)."""
    first_case = await session.scalar(select(func.min(Case.created_at)))
    first_contact = await session.scalar(select(func.min(Contact.received_at)))
    await session.execute(delete(StatsCaseRollup))
    await session.execute(delete(StatsContactRollup))
    written = 0
    if first_case is not None:
        written += await rebuild_case_days(session, _days_between(local_day(first_case), local_day(now)))
    if first_contact is not None:
        written += await rebuild_contact_days(
            session, _days_between(local_day(first_contact), local_day(now))
        )
    await _set_watermark(session, now)
    return written + await rebuild_all_referrals(session, now)


async def rebuild_all_referrals(session: AsyncSession, now: datetime) -> int:
    """Rebuild every day from the first referral sent to today."""
    first_sent = await session.scalar(select(func.min(Referral.sent_at)))
    await session.execute(delete(StatsReferralRollup))
    written = 0
    if first_sent is not None:
        written = await rebuild_referral_days(session, _days_between(local_day(first_sent), local_day(now)))
    await _set_watermark(session, now, REFERRAL_WATERMARK)
    return written


async def _set_watermark(session: AsyncSession, now: datetime, name: str = WATERMARK) -> None:
    state = await session.get(StatsRefresh, name)
    if state is None:
        session.add(StatsRefresh(name=name, watermark=now))
    else:
        state.watermark = now
    await session.flush()


async def refresh_referrals(session: AsyncSession, now: datetime) -> int:
    """Rebuild the sending days of referrals that moved, or whose case changed, since the watermark."""
    state = await session.get(StatsRefresh, REFERRAL_WATERMARK)
    if state is None:
        return await rebuild_all_referrals(session, now)
    since = state.watermark - COMMIT_MARGIN
    moved = await session.scalars(
        select(Referral.sent_at).where(Referral.updated_at > since, Referral.sent_at.is_not(None))
    )
    days = {local_day(sent) for sent in moved if sent is not None}
    of_changed_cases = await session.scalars(
        select(Referral.sent_at)
        .join(Case, Case.id == Referral.case_id)
        .where(Case.updated_at > since, Referral.sent_at.is_not(None))
    )
    days.update(local_day(sent) for sent in of_changed_cases if sent is not None)
    written = await rebuild_referral_days(session, days)
    await _set_watermark(session, now, REFERRAL_WATERMARK)
    return written


async def refresh(session: AsyncSession, now: datetime) -> int:
    """Bring the rollups up to ``now``; flushes, the caller commits. Returns rows written."""
    state = await session.get(StatsRefresh, WATERMARK)
    if state is None:
        return await rebuild_all(session, now)
    since = state.watermark - COMMIT_MARGIN
    changed = await session.scalars(select(Case.created_at).where(Case.updated_at > since))
    case_days = {local_day(created) for created in changed}
    contact_days = set(case_days)
    contact_days.update(_days_between(local_day(since) - timedelta(days=CONTACT_DAYS_OPEN), local_day(now)))
    written = await rebuild_case_days(session, case_days)
    written += await rebuild_contact_days(session, contact_days)
    await _set_watermark(session, now)
    return written + await refresh_referrals(session, now)
