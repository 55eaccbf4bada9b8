"""Redis Streams as the pipeline queue: one consumer per entry, reclaimed when a consumer dies."""

from __future__ import annotations

import asyncio

import pytest

from hotline.core.queue import RedisStreamQueue

pytestmark = pytest.mark.redis


async def test_each_entry_goes_to_one_consumer_until_acknowledged(redis_queue: RedisStreamQueue) -> None:
    for outbox_id in (1, 2, 3):
        await redis_queue.publish(outbox_id)
    first = await redis_queue.consume("a", 2, 0.1)
    second = await redis_queue.consume("b", 10, 0.1)
    assert [d.outbox_id for d in first] == [1, 2]
    assert [d.outbox_id for d in second] == [3]
    assert await redis_queue.lag() == 3
    for delivery in first + second:
        await redis_queue.ack(delivery)
    assert await redis_queue.lag() == 0


async def test_an_entry_left_by_a_dead_consumer_is_claimed_by_a_live_one(
    redis_queue: RedisStreamQueue,
) -> None:
    await redis_queue.publish(7)
    taken = await redis_queue.consume("dead", 1, 0.1)
    assert [d.outbox_id for d in taken] == [7]
    assert await redis_queue.reclaim("alive", min_idle_seconds=5, count=10) == []
    await asyncio.sleep(0.15)
    reclaimed = await redis_queue.reclaim("alive", min_idle_seconds=0.1, count=10)
    assert [d.outbox_id for d in reclaimed] == [7]
    await redis_queue.ack(reclaimed[0])
    assert await redis_queue.lag() == 0


async def test_ping_is_false_when_redis_is_unreachable() -> None:
    down = RedisStreamQueue.from_url("redis://127.0.0.1:1/0")
    assert await down.ping() is False
    await down.close()


async def test_backlog_counts_only_entries_no_consumer_was_given(redis_queue: RedisStreamQueue) -> None:
    for outbox_id in (1, 2, 3):
        await redis_queue.publish(outbox_id)
    assert await redis_queue.backlog() == 3
    taken = await redis_queue.consume("a", 2, 0.1)
    assert await redis_queue.backlog() == 1
    assert await redis_queue.lag() == 3, "taken but unacknowledged entries still count as lag"
    for delivery in taken:
        await redis_queue.ack(delivery)
    assert await redis_queue.backlog() == 1


async def test_a_burst_of_publishes_shares_round_trips_and_loses_no_id(redis_queue: RedisStreamQueue) -> None:
    """200 webhooks publishing at once: every id in the stream exactly once, in far fewer round trips."""
    sent: list[int] = []
    real = redis_queue._publish_batch

    async def counted(batch: list[tuple[int, asyncio.Future[None]]]) -> None:
        sent.append(len(batch))
        await real(batch)

    redis_queue._publish_batch = counted  # type: ignore[method-assign]
    await asyncio.gather(*(redis_queue.publish(n) for n in range(200)))
    taken = await redis_queue.consume("a", 500, 0.1)
    assert sorted(d.outbox_id for d in taken) == list(range(200))
    assert sum(sent) == 200 and len(sent) < 20, sent


async def test_every_publisher_of_a_failed_round_trip_hears_of_it() -> None:
    """Redis away: each caller gets the error (it logs it; the sweeper publishes the row later)."""
    queue = RedisStreamQueue.from_url("redis://127.0.0.1:1/0")
    results = await asyncio.gather(*(queue.publish(n) for n in range(5)), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results), results
    await queue.close()
