"""The worker: consumes outbox ids and runs the pipeline, with the loops that make it safe.

* consume: read a batch, run each job in its own transaction, acknowledge after commit;
* reclaim: take over entries another consumer read but never acknowledged (it died);
* sweep: publish again outbox rows nobody processed (Redis was down, a publish was lost);
* replay: drain the spool into the database once it is reachable again;
* retention: once a day, purge personal data past its retention period (hotline.privacy).

A job that fails is not acknowledged; it is delivered again by reclaim (Redis) or the
sweeper (in-process), and the outbox row's idempotency makes the retry safe.
"""

from __future__ import annotations

import asyncio
import os
import socket
from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy import func, select

from hotline.audit.configuration import record_configuration
from hotline.core.clock import Clock
from hotline.core.db import unit_of_work
from hotline.core.logging import get_logger
from hotline.core.queue import Delivery
from hotline.core.runtime import Runtime
from hotline.core.security import caller_ref
from hotline.intake.gateway import replay_spool
from hotline.intake.identity import UNKNOWN_CALLER
from hotline.intake.pipeline import Outcome, process_entry
from hotline.models import OutboxEntry
from hotline.privacy.retention import last_run, run_retention
from hotline.referrals.lifecycle import remind_due
from hotline.routing.tasks import EscalationTimer
from hotline.sms.outbound import deliver_due
from hotline.stats.rollup import refresh as refresh_stats

log = get_logger(__name__)
SWEEP_BATCH = 500
# How often a worker asks the audit log whether the daily retention run is due.
RETENTION_CHECK_EVERY = timedelta(minutes=10)
# How stale the statistics rollups may get (hotline.stats.rollup).
STATS_REFRESH_EVERY = timedelta(minutes=1)


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    def __init__(
        self,
        runtime: Runtime,
        *,
        name: str | None = None,
        batch: int = 16,
        block_seconds: float = 1.0,
        maintenance_every: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        self.runtime = runtime
        self.name = name or consumer_name()
        self.batch = batch
        self.block_seconds = block_seconds
        self.maintenance_every = maintenance_every
        self.clock = clock or runtime.clock
        self.escalations = EscalationTimer(runtime, name=self.name, clock=self.clock)
        self._retention_checked_at: datetime | None = None
        self._stats_refreshed_at: datetime | None = None

    async def handle(self, delivery: Delivery) -> Outcome | None:
        """Run one job; acknowledge only after its transaction committed."""
        try:
            async with unit_of_work(self.runtime.sessions) as session:
                outcome = await process_entry(
                    session,
                    delivery.outbox_id,
                    assess=self.runtime.assess,
                    triage_version=self.runtime.triage_version,
                    keyring=self.runtime.keyring,
                    clock=self.clock,
                    anonymous_caller_ref=caller_ref(self.runtime.pepper, UNKNOWN_CALLER),
                )
        except Exception as exc:
            self.runtime.metrics.jobs.labels(outcome="failed").inc()
            log.error("pipeline.job_failed", outbox_id=delivery.outbox_id, reason=type(exc).__name__)
            return None
        self.runtime.metrics.jobs.labels(outcome=outcome.value).inc()
        if outcome is Outcome.missing:
            # Ids are published only after their row committed, so a missing row is gone for good.
            log.warning("pipeline.entry_missing", outbox_id=delivery.outbox_id)
        with suppress(Exception):
            await self.runtime.queue.ack(delivery)
        return outcome

    async def run_once(self) -> int:
        deliveries = await self.runtime.queue.consume(self.name, self.batch, self.block_seconds)
        for delivery in deliveries:
            await self.handle(delivery)
        return len(deliveries)

    async def reclaim(self) -> int:
        deliveries = await self.runtime.queue.reclaim(
            self.name, self.runtime.settings.reclaim_after_seconds, self.batch * 4
        )
        for delivery in deliveries:
            log.info("pipeline.reclaimed", outbox_id=delivery.outbox_id)
            await self.handle(delivery)
        return len(deliveries)

    async def sweep(self, *, before: datetime | None = None) -> int:
        """Publish again every unprocessed outbox row older than ``sweep_after_seconds``.

        ``before``: instead, every unprocessed row created and last published before that time
        (a restarted embedded process, whose in-process queue died with the previous one).
        """
        if before is None and await self._backlog() > 0:
            # Rows still waiting in the queue are not lost: republishing them would only bury new
            # work under copies (a spike would grow instead of drain). A publish that really got
            # lost is found once the backlog is gone.
            return 0
        now = self.clock()
        cutoff = before or now - timedelta(seconds=self.runtime.settings.sweep_after_seconds)
        async with unit_of_work(self.runtime.sessions) as session:
            rows = (
                (
                    await session.execute(
                        select(OutboxEntry)
                        .where(
                            OutboxEntry.processed_at.is_(None),
                            OutboxEntry.created_at < cutoff,
                            (OutboxEntry.published_at.is_(None)) | (OutboxEntry.published_at < cutoff),
                        )
                        .order_by(OutboxEntry.id)
                        .limit(SWEEP_BATCH)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.published_at = now
            ids = [row.id for row in rows]
        for outbox_id in ids:
            await self.runtime.queue.publish(outbox_id)
        if ids:
            self.runtime.metrics.republished.inc(len(ids))
            log.info("outbox.republished", count=len(ids))
        return len(ids)

    async def _backlog(self) -> int:
        try:
            return await self.runtime.queue.backlog()
        except Exception:
            return 0  # cannot tell: sweep, duplicates are harmless

    async def pending(self) -> int:
        async with self.runtime.sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.processed_at.is_(None))
            )
        return int(count or 0)

    async def maintain(self) -> None:
        steps = (
            ("spool", self._replay),
            ("reclaim", self.reclaim),
            ("sweep", self.sweep),
            ("referrals", self.remind_referrals),
            ("outbound", self._deliver_messages),
            ("retention", self.retention_if_due),
            ("stats", self.refresh_stats_if_due),
        )
        for name, action in steps:
            try:
                await action()
            except Exception as exc:
                log.warning("worker.maintenance_failed", step=name, reason=type(exc).__name__)

    async def retention_if_due(self) -> bool:
        """Run retention when the last run (its ``retention.completed`` audit entry) is older
        than ``retention_every_hours``: once a day across every worker and restart."""
        now = self.clock()
        checked = self._retention_checked_at
        if checked is not None and now - checked < RETENTION_CHECK_EVERY:
            return False
        self._retention_checked_at = now
        async with self.runtime.sessions() as session:
            last = await last_run(session)
        if last is not None and now - last < timedelta(hours=self.runtime.settings.retention_every_hours):
            return False
        await run_retention(self.runtime, now=now)
        return True

    async def refresh_stats_if_due(self) -> bool:
        """Rebuild the statistics rollups of the days that changed, at most once a minute."""
        now = self.clock()
        if self._stats_refreshed_at is not None and now - self._stats_refreshed_at < STATS_REFRESH_EVERY:
            return False
        async with unit_of_work(self.runtime.sessions) as session:
            await refresh_stats(session, now)
        self._stats_refreshed_at = now
        return True

    async def remind_referrals(self) -> int:
        """Chase referrals a partner left unanswered (``hotline.referrals.lifecycle``)."""
        async with unit_of_work(self.runtime.sessions) as session:
            done = await remind_due(session, self.runtime, now=self.clock())
        return done.referrals

    async def _deliver_messages(self) -> int:
        """Messages to send later (``hotline.sms.outbound``): retried with backoff, never blocking a case."""
        done = await deliver_due(self.runtime, now=self.clock())
        return done.sent + done.retrying + done.failed

    async def _replay(self) -> int:
        return await replay_spool(self.runtime)

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker.started", consumer=self.name)
        try:
            async with unit_of_work(self.runtime.sessions) as session:
                await record_configuration(session, self.runtime.settings)
        except Exception as exc:
            log.warning("worker.config_audit_failed", reason=type(exc).__name__)
        if not self.runtime.queue.durable:
            try:
                started = self.clock()
                while await self.sweep(before=started) == SWEEP_BATCH:
                    pass
            except Exception as exc:
                log.warning("worker.startup_sweep_failed", reason=type(exc).__name__)
        maintenance = asyncio.create_task(self._maintenance_loop(stop))
        timers = asyncio.create_task(self.escalations.run(stop))
        try:
            while not stop.is_set():
                try:
                    await self.run_once()
                except Exception as exc:
                    log.warning("worker.consume_failed", reason=type(exc).__name__)
                    await _sleep_or_stop(stop, 1.0)
        finally:
            for task in (maintenance, timers):
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            log.info("worker.stopped", consumer=self.name)

    async def _maintenance_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.maintain()
            await _sleep_or_stop(stop, self.maintenance_every)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
