"""The live queue: "this case changed" events, from whoever committed the change to every console.

Any session of the Runtime that commits a new or changed :class:`~hotline.models.Case` (the
worker's pipeline, an escalation step, an agent's action) publishes the case's id after the
commit. With Redis the events travel over pub/sub, so a worker on another host reaches every
API replica; embedded, they stay in this process. An event carries only a case id: each
console re-reads its own queue through the role-checked query, so nobody learns of a case
they may not see.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol

import redis.asyncio as aioredis
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.core.db import SessionFactory
from hotline.core.logging import get_logger
from hotline.models import Case

log = get_logger(__name__)
CHANNEL = "hotline:console:cases"
_PENDING = "console_changed_cases"
_FEED = "console_feed"


class CaseFeed(Protocol):
    async def publish(self, case_id: str) -> None: ...

    def subscribe(self) -> AsyncIterator[str]: ...

    async def close(self) -> None: ...


class InProcessCaseFeed:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[str]] = set()

    async def publish(self, case_id: str) -> None:
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(case_id)

    async def subscribe(self) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self._subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def close(self) -> None:
        self._subscribers.clear()


class RedisCaseFeed:
    def __init__(self, client: aioredis.Redis, channel: str = CHANNEL) -> None:
        self._client = client
        self._channel = channel

    @classmethod
    def from_url(cls, url: str, channel: str = CHANNEL) -> RedisCaseFeed:
        return cls(aioredis.Redis.from_url(url, decode_responses=True), channel)

    async def publish(self, case_id: str) -> None:
        await self._client.publish(self._channel, case_id)

    async def subscribe(self) -> AsyncIterator[str]:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)
        try:
            while True:
                message = await pubsub.get_message(timeout=30.0)
                if message is not None and message.get("type") == "message":
                    yield str(message["data"])
        finally:
            await pubsub.unsubscribe(self._channel)
            await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]

    async def close(self) -> None:
        await self._client.aclose()


def build_case_feed(redis_url: str | None) -> CaseFeed:
    return RedisCaseFeed.from_url(redis_url) if redis_url else InProcessCaseFeed()


def _collect(session: Session, _context: Any) -> None:
    # after_flush: new rows have their ids now, and session.new/dirty still list them.
    changed = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Case):
            changed.add(str(obj.id))


def _publish(session: Session) -> None:
    changed: set[str] = session.info.pop(_PENDING, set())
    feed: CaseFeed | None = session.info.get(_FEED)
    if not changed or feed is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for case_id in changed:
        task = loop.create_task(_send(feed, case_id))
        _in_flight.add(task)
        task.add_done_callback(_in_flight.discard)


def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)


_in_flight: set[asyncio.Task[None]] = set()


async def _send(feed: CaseFeed, case_id: str) -> None:
    try:
        await feed.publish(case_id)
    except Exception as exc:  # a lost live event costs a refresh, never a report
        log.warning("console.feed_publish_failed", reason=type(exc).__name__)


def watch_cases(sessions: SessionFactory, feed: CaseFeed) -> None:
    """Publish every committed change of a case made through ``sessions`` to ``feed``."""
    info = dict(sessions.kw.get("info") or {})
    info[_FEED] = feed
    sessions.configure(info=info)
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _publish)
        event.listen(Session, "after_rollback", _discard)
