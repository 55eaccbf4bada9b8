"""Where a dialogue's state lives between two messages: Redis in production, this process when embedded.

A state holds no text and no number: the contact's provider id, the reference, the language,
the current question, and the last reply (so a provider retry gets the same answer). It
expires 24 hours after the last message; an abandoned dialogue leaves its contact, already
stored, behind.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis

from hotline.sms.dialogue import Dialogue

TTL_SECONDS = 24 * 3600
KEY_PREFIX = "hotline:dialogue:"


class DialogueStore(Protocol):
    async def get(self, key: str) -> Dialogue | None: ...

    async def put(self, key: str, dialogue: Dialogue) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def close(self) -> None: ...


class RedisDialogueStore:
    """One Redis string per caller and channel, JSON, with a TTL renewed at every message."""

    def __init__(self, client: aioredis.Redis, *, ttl_seconds: int = TTL_SECONDS, prefix: str = KEY_PREFIX):
        self._redis = client
        self._ttl = ttl_seconds
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, **kwargs: int | str) -> RedisDialogueStore:
        client = aioredis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2, socket_timeout=2
        )
        return cls(client, **kwargs)  # type: ignore[arg-type]

    async def get(self, key: str) -> Dialogue | None:
        raw = await self._redis.get(self._prefix + key)
        if raw is None:
            return None
        try:
            return Dialogue.from_json(json.loads(raw))
        except (ValueError, TypeError):
            return None

    async def put(self, key: str, dialogue: Dialogue) -> None:
        await self._redis.set(self._prefix + key, json.dumps(dialogue.to_json()), ex=self._ttl)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    async def ttl(self, key: str) -> int:
        return int(await self._redis.ttl(self._prefix + key))

    async def close(self) -> None:
        await self._redis.aclose()


class InProcessDialogueStore:
    """The embedded default: a bounded dict with expiry times."""

    def __init__(
        self,
        *,
        ttl_seconds: float = TTL_SECONDS,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._items: OrderedDict[str, tuple[float, Dialogue]] = OrderedDict()
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock

    async def get(self, key: str) -> Dialogue | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, dialogue = item
        if expires <= self._clock():
            del self._items[key]
            return None
        return dialogue

    async def put(self, key: str, dialogue: Dialogue) -> None:
        self._items[key] = (self._clock() + self._ttl, dialogue)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)

    async def close(self) -> None:
        self._items.clear()


def build_dialogue_store(redis_url: str | None) -> DialogueStore:
    if redis_url:
        return RedisDialogueStore.from_url(redis_url)
    return InProcessDialogueStore()
