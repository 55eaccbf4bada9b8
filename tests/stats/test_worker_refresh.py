"""The worker keeps the statistics rollups fresh: a new case is counted after its next refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from hotline.core.runtime import Runtime
from hotline.intake.worker import STATS_REFRESH_EVERY, Worker
from hotline.models import StatsCaseRollup
from tests.fixtures.stats import DAY, add_cases


async def counted(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        total = await session.scalar(
            select(func.sum(StatsCaseRollup.cases)).where(
                StatsCaseRollup.dims == "", StatsCaseRollup.day == DAY.date()
            )
        )
    return int(total or 0)


async def test_the_maintenance_loop_refreshes_the_rollups_at_most_once_a_minute(runtime: Runtime) -> None:
    clock = [datetime.now(UTC)]
    worker = Worker(runtime, clock=lambda: clock[0])
    await add_cases(runtime, 3)
    assert await worker.refresh_stats_if_due() is True
    assert await counted(runtime) == 3
    await add_cases(runtime, 4)
    assert await worker.refresh_stats_if_due() is False  # too soon
    assert await counted(runtime) == 3
    clock[0] += STATS_REFRESH_EVERY + timedelta(seconds=1)
    await worker.maintain()
    assert await counted(runtime) == 7
