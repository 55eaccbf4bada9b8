"""Retention: what a caller said is deleted on time, and the statistics stay.

Per data kind, counted from the day the case closed (``closed_at``, or its last update for a
case closed before that column existed):

* callback numbers: ``HOTLINE_RETENTION_CALLBACK_DAYS`` (0: at the first run after closing);
* recordings, deleted at the provider: ``HOTLINE_RETENTION_RECORDING_DAYS`` (90);
* message bodies, transcripts and menu answers: ``HOTLINE_RETENTION_BODY_DAYS`` (365); the
  case's triage reasons lose the words they quoted at the same time.

A case's assessment (category, severity, region, channel, dates) is never purged: it is
what the statistics count, and it identifies nobody. Open cases are never purged.

Every purge is an audit event (``retention.purged``, one per case and kind) and every run
ends with ``retention.completed``, which is also how the worker knows when the last run was.
The clock is a parameter: tests move it, the worker passes the real one.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.core.db import unit_of_work
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Base, Case, CaseStatus, Contact
from hotline.privacy.recordings import delete_all, recording_sids, without_recordings
from hotline.privacy.sealed import SEALED_SUFFIX, contact_answers, set_contact_answers

log = get_logger(__name__)

COMPLETED = "retention.completed"
PURGED = "retention.purged"
BATCH = 200
_QUOTED = re.compile(r"\s*:\s*'.*$")
_QUOTED_EVIDENCE = re.compile(r"\s*\((?:'[^']*'(?:,\s*)?)+\)")
"""The model's evidence words after its verdict: ``model 0.97 ('tous les', 'soirs')``."""


def strip_quotes(reasons: list[str]) -> list[str]:
    """``"violence: 'frappe'"`` → ``"violence"``, ``"… model 0.97 ('soirs')"`` → ``"… model 0.97"``: the rule
    and the verdict stay, the caller's words go."""
    return [_QUOTED.sub("", _QUOTED_EVIDENCE.sub("", reason)) for reason in reasons]


@dataclass
class RetentionReport:
    dry_run: bool
    callback_numbers: int = 0
    recordings: int = 0
    recordings_failed: int = 0
    contents: int = 0
    cases: set[uuid.UUID] = field(default_factory=set)
    failed_sids: set[str] = field(default_factory=set)

    def summary(self) -> str:
        verb = "would purge" if self.dry_run else "purged"
        line = (
            f"retention {verb}: {self.callback_numbers} callback numbers, {self.recordings} recordings, "
            f"contents of {self.contents} contacts, in {len(self.cases)} closed cases"
        )
        if self.recordings_failed:
            line += f"; {self.recordings_failed} recordings could not be deleted and wait for the next run"
        return line


def _closed_before(cutoff: datetime) -> Any:
    closed = func.coalesce(Case.closed_at, Case.updated_at)
    return (Case.status == CaseStatus.closed.value) & (closed <= cutoff)


def _candidates(condition: Any, cutoff: datetime, after: uuid.UUID | None) -> Select[Contact]:
    statement = (
        select(Contact)
        .join(Case, Contact.case_id == Case.id)
        .where(_closed_before(cutoff), condition)
        .order_by(Contact.id)
        .limit(BATCH)
    )
    return statement if after is None else statement.where(Contact.id > after)


async def _purged(
    session: AsyncSession, per_case: dict[uuid.UUID, int], kind: str, days: int, now: datetime
) -> None:
    for case_id, count in sorted(per_case.items()):
        await audit.append(
            session,
            actor=audit.SYSTEM,
            action=PURGED,
            subject=str(case_id),
            details={"kind": kind, "contacts": count, "after_days": days},
            at=now,
        )


async def _callback_numbers(runtime: Runtime, report: RetentionReport, now: datetime) -> None:
    days = runtime.settings.retention_callback_days
    cutoff = now - timedelta(days=days)
    after: uuid.UUID | None = None
    while True:
        async with unit_of_work(runtime.sessions) as session:
            contacts = (
                (await session.execute(_candidates(Contact.callback_number_enc.is_not(None), cutoff, after)))
                .scalars()
                .all()
            )
            per_case: dict[uuid.UUID, int] = defaultdict(int)
            for contact in contacts:
                assert contact.case_id is not None
                per_case[contact.case_id] += 1
                if not report.dry_run:
                    contact.callback_number_enc = None
            report.callback_numbers += len(contacts)
            report.cases.update(per_case)
            if not report.dry_run:
                await session.flush()
                await _purged(session, per_case, "callback_number", days, now)
        if len(contacts) < BATCH:
            return
        after = contacts[-1].id


async def _clear_recordings(
    runtime: Runtime, report: RetentionReport, now: datetime, *, days: int, kind: str
) -> None:
    """Delete the provider's recordings of contacts whose case closed ``days`` ago.

    The provider is called outside any transaction; the contact is updated after.
    """
    cutoff = now - timedelta(days=days)
    after: uuid.UUID | None = None
    condition = Contact.recordings_cleared_at.is_(None) & Contact.answers_enc.is_not(None)
    while True:
        async with runtime.sessions() as session:
            contacts = (await session.execute(_candidates(condition, cutoff, after))).scalars().all()
        plans = [(c.id, c.case_id, recording_sids(contact_answers(runtime.keyring, c))) for c in contacts]
        for contact_id, case_id, sids in plans:
            assert case_id is not None
            if report.dry_run:
                report.recordings += len(sids)
                if sids:
                    report.cases.add(case_id)
                continue
            if report.failed_sids.intersection(sids):
                continue  # already refused in this run: the next run tries again
            deleted, failed = await delete_all(runtime.telephony, sids)
            report.recordings += deleted
            report.recordings_failed += len(failed)
            report.failed_sids.update(failed)
            if failed:
                continue
            async with unit_of_work(runtime.sessions) as session:
                contact = await session.get_one(Contact, contact_id, with_for_update=True)
                set_contact_answers(
                    runtime.keyring, contact, without_recordings(contact_answers(runtime.keyring, contact))
                )
                contact.recordings_cleared_at = now
                if sids:
                    report.cases.add(case_id)
                    await session.flush()
                    await _purged(session, {case_id: 1}, kind, days, now)
        if len(contacts) < BATCH:
            return
        after = contacts[-1].id


async def _contents(runtime: Runtime, report: RetentionReport, now: datetime) -> None:
    days = runtime.settings.retention_body_days
    cutoff = now - timedelta(days=days)
    if not report.dry_run:
        # Recordings first: their Sids are inside the answers about to be deleted.
        await _clear_recordings(runtime, report, now, days=days, kind="recording")
    after: uuid.UUID | None = None
    holding = (
        Contact.body_enc.is_not(None)
        | Contact.answers_enc.is_not(None)
        | Contact.callback_number_enc.is_not(None)
    )
    purged: dict[uuid.UUID, int] = defaultdict(int)
    while True:
        async with unit_of_work(runtime.sessions) as session:
            contacts = (await session.execute(_candidates(holding, cutoff, after))).scalars().all()
            for contact in contacts:
                assert contact.case_id is not None
                if (
                    not report.dry_run
                    and contact.recordings_cleared_at is None
                    and recording_sids(contact_answers(runtime.keyring, contact))
                ):
                    continue  # its recording could not be deleted yet: keep the Sid for the next run
                purged[contact.case_id] += 1
                report.contents += 1
                if not report.dry_run:
                    contact.body_enc = contact.answers_enc = contact.callback_number_enc = None
                    contact.recordings_cleared_at = contact.recordings_cleared_at or now
        if len(contacts) < BATCH:
            break
        after = contacts[-1].id
    await _purge_cases(runtime, report, now, cutoff, purged)


def dependent_tables(link: str) -> list[tuple[Table, list[str]]]:
    """Tables besides contacts and cases that hold sealed columns and a ``link`` column
    (``case_id`` or ``caller_ref``): notes, outbound messages… Their words follow the case."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name in ("contacts", "cases") or link not in table.c:
            continue
        sealed = [column.name for column in table.columns if column.name.endswith(SEALED_SUFFIX)]
        if sealed:
            found.append((table, sealed))
    return found


async def _purge_cases(
    runtime: Runtime, report: RetentionReport, now: datetime, cutoff: datetime, purged: dict[uuid.UUID, int]
) -> None:
    """Closed cases past the cutoff: quoted words leave the reasons, sealed rows tied to the case go."""
    days = runtime.settings.retention_body_days
    after: uuid.UUID | None = None
    while True:
        async with unit_of_work(runtime.sessions) as session:
            statement = (
                select(Case)
                .where(_closed_before(cutoff), Case.purged_at.is_(None))
                .order_by(Case.id)
                .limit(BATCH)
            )
            if after is not None:
                statement = statement.where(Case.id > after)
            cases = (await session.execute(statement)).scalars().all()
            report.cases.update(case.id for case in cases)
            if not report.dry_run and cases:
                ids = [case.id for case in cases]
                for case in cases:
                    case.reasons = strip_quotes(list(case.reasons or []))
                    case.purged_at = now
                for table, sealed in dependent_tables("case_id"):
                    await session.execute(
                        update(table).where(table.c.case_id.in_(ids)).values(dict.fromkeys(sealed))
                    )
                await session.flush()
                await _purged(
                    session, {case.id: purged.get(case.id, 0) for case in cases}, "content", days, now
                )
        if len(cases) < BATCH:
            return
        after = cases[-1].id


async def run_retention(runtime: Runtime, *, now: datetime, dry_run: bool = False) -> RetentionReport:
    report = RetentionReport(dry_run=dry_run)
    await _callback_numbers(runtime, report, now)
    await _clear_recordings(
        runtime, report, now, days=runtime.settings.retention_recording_days, kind="recording"
    )
    await _contents(runtime, report, now)
    if not dry_run:
        async with unit_of_work(runtime.sessions) as session:
            await audit.append(
                session,
                actor=audit.SYSTEM,
                action=COMPLETED,
                details={
                    "callback_numbers": report.callback_numbers,
                    "recordings": report.recordings,
                    "recordings_failed": report.recordings_failed,
                    "contents": report.contents,
                    "cases": len(report.cases),
                },
                at=now,
            )
    log.info(
        "retention.run",
        dry_run=dry_run,
        callback_numbers=report.callback_numbers,
        recordings=report.recordings,
        recordings_failed=report.recordings_failed,
        contents=report.contents,
    )
    return report


async def last_run(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.action == COMPLETED))


async def forget_callback_numbers(session: AsyncSession, case_id: uuid.UUID) -> int:
    """For whoever closes a case: drop its callback numbers at once (retention would, later)."""
    contacts = (
        (
            await session.execute(
                select(Contact).where(Contact.case_id == case_id, Contact.callback_number_enc.is_not(None))
            )
        )
        .scalars()
        .all()
    )
    for contact in contacts:
        contact.callback_number_enc = None
    await session.flush()
    return len(contacts)
