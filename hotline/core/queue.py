"""The pipeline queue: outbox ids from the webhooks to the workers.

The queue only ever carries an outbox id, never a caller's data. It is an accelerator, not
the source of truth: the outbox table is. An id lost on the way (Redis down, a process
killed between commit and publish) is published again by the sweeper, and a delivery
taken by a consumer that died is claimed by another (``XAUTOCLAIM``). Processing is
idempotent, so a second delivery of the same id changes nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

STREAM = "hotline:pipeline"
GROUP = "workers"


@dataclass(frozen=True, slots=True)
class Delivery:
    token: str
    outbox_id: int


class Queue(Protocol):
    #: False when the queue lives in this process and dies with it.
    durable: bool

    async def publish(self, outbox_id: int) -> None: ...

    async def consume(self, consumer: str, count: int, block_seconds: float) -> list[Delivery]: ...

    async def ack(self, delivery: Delivery) -> None: ...

    async def reclaim(self, consumer: str, min_idle_seconds: float, count: int) -> list[Delivery]: ...

    async def ping(self) -> bool: ...

    async def lag(self) -> int: ...

    async def backlog(self) -> int: ...

    async def close(self) -> None: ...


class InProcessQueue:
    """The embedded default: an asyncio queue in this process, with nothing to reclaim.

    If the process dies its queue dies with it; the outbox rows are still in the database
    and the sweeper of the next start publishes them again.
    """

    durable = False

    def __init__(self) -> None:
        self._items: asyncio.Queue[int] = asyncio.Queue()
        self._seq = 0

    async def publish(self, outbox_id: int) -> None:
        self._items.put_nowait(outbox_id)

    async def consume(self, consumer: str, count: int, block_seconds: float) -> list[Delivery]:
        out: list[Delivery] = []
        try:
            first = await asyncio.wait_for(self._items.get(), timeout=block_seconds)
        except TimeoutError:
            return out
        out.append(self._delivery(first))
        while len(out) < count and not self._items.empty():
            out.append(self._delivery(self._items.get_nowait()))
        return out

    def _delivery(self, outbox_id: int) -> Delivery:
        self._seq += 1
        return Delivery(token=str(self._seq), outbox_id=outbox_id)

    async def ack(self, delivery: Delivery) -> None:
        return None

    async def reclaim(self, consumer: str, min_idle_seconds: float, count: int) -> list[Delivery]:
        return []

    async def ping(self) -> bool:
        return True

    async def lag(self) -> int:
        return self._items.qsize()

    async def backlog(self) -> int:
        return self._items.qsize()

    async def close(self) -> None:
        return None


class RedisStreamQueue:
    """Redis Streams with one consumer group: each id goes to one worker until it acks."""

    durable = True

    def __init__(self, client: aioredis.Redis, stream: str = STREAM, group: str = GROUP) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self._group_ready = False
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._flushing = False

    @classmethod
    def from_url(cls, url: str, *, stream: str = STREAM) -> RedisStreamQueue:
        client = aioredis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=5.0, decode_responses=True
        )
        return cls(client, stream=stream)

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def publish(self, outbox_id: int) -> None:
        """XADD the id. Ids published while an XADD is on its way go together in the next
        round trip (a pipeline), so a burst of webhooks costs Redis a few round trips, not one
        each; a lone id goes at once, with no added wait. Raises what its round trip raised
        (the caller logs it and the sweeper publishes the row again)."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((outbox_id, done))
        if not self._flushing:
            self._flushing = True
            try:
                while self._waiting:
                    batch, self._waiting = self._waiting, []
                    await self._publish_batch(batch)
            finally:
                self._flushing = False
                for _, waiting in self._waiting:  # only left when this task was cancelled
                    if not waiting.done():
                        waiting.set_exception(ConnectionError("publisher cancelled"))
                self._waiting = []
        await done

    async def _publish_batch(self, batch: list[tuple[int, asyncio.Future[None]]]) -> None:
        try:
            if len(batch) == 1:
                await self._xadd(self.client, batch[0][0])
            else:
                async with self.client.pipeline(transaction=False) as pipe:
                    for outbox_id, _ in batch:
                        await self._xadd(pipe, outbox_id)
                    await pipe.execute()
        except BaseException as exc:
            failure = exc if isinstance(exc, Exception) else ConnectionError("publisher cancelled")
            for _, done in batch:
                if not done.done():
                    done.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
        else:
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def _xadd(self, client: Any, outbox_id: int) -> None:
        await client.xadd(self.stream, {"outbox_id": str(outbox_id)}, maxlen=1_000_000, approximate=True)

    async def consume(self, consumer: str, count: int, block_seconds: float) -> list[Delivery]:
        await self._ensure_group()
        try:
            reply = await self.client.xreadgroup(
                self.group, consumer, {self.stream: ">"}, count=count, block=int(block_seconds * 1000)
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False
            return []
        # RESP2 answers [[stream, entries]], RESP3 {stream: entries}.
        raw: Any = reply or []
        streams = list(raw.items()) if isinstance(raw, dict) else raw
        return [
            self._delivery(entry_id, fields) for _stream, entries in streams for entry_id, fields in entries
        ]

    @staticmethod
    def _delivery(entry_id: str, fields: dict[str, str]) -> Delivery:
        return Delivery(token=entry_id, outbox_id=int(fields["outbox_id"]))

    async def ack(self, delivery: Delivery) -> None:
        await self.client.xack(self.stream, self.group, delivery.token)

    async def reclaim(self, consumer: str, min_idle_seconds: float, count: int) -> list[Delivery]:
        await self._ensure_group()
        reply = await self.client.xautoclaim(
            self.stream, self.group, consumer, min_idle_time=int(min_idle_seconds * 1000), count=count
        )
        # XAUTOCLAIM answers [next-cursor, entries, deleted-ids]; trimmed entries come back as None.
        entries = cast(list[tuple[str, dict[str, str] | None]], reply[1])
        return [self._delivery(entry_id, fields) for entry_id, fields in entries if fields]

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except Exception:
            return False

    async def lag(self) -> int:
        """Entries not yet acknowledged: never delivered plus delivered-but-pending."""
        await self._ensure_group()
        groups = await self.client.xinfo_groups(self.stream)
        for group in groups:
            if group["name"] == self.group:
                lag = group.get("lag") or 0
                return int(lag) + int(group.get("pending") or 0)
        return 0

    async def backlog(self) -> int:
        """Entries no consumer has been given yet (Redis's group ``lag``); -1 when Redis cannot say."""
        await self._ensure_group()
        for group in await self.client.xinfo_groups(self.stream):
            if group["name"] == self.group:
                lag = group.get("lag")
                return -1 if lag is None else int(lag)
        return 0

    async def close(self) -> None:
        await self.client.aclose()
