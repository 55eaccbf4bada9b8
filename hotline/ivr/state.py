"""Where a call is in the menu, per CallSid: Redis with a TTL, or a dict when embedded.

The store is a cache, not the record. Every answer is also written to the caller's contact
(``amend_contact``) before the next prompt is sent, so when Redis restarts mid-call the
next webhook rebuilds the state from the contact and the caller notices nothing. A store
that fails is treated like an empty one; it never turns a call into a 500.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis

#: Twilio ends any call after four hours; state older than that belongs to no live call.
STATE_TTL_SECONDS = 4 * 3600
KEY_PREFIX = "hotline:ivr:call:"


@dataclass
class CallState:
    """The menu's memory of one call. ``answers`` mirrors what is on the contact."""

    reference: str | None = None
    language: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    #: keys the caller pressed in answer to a menu (timeouts and defaults are not choices)
    choices: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> CallState:
        data = json.loads(raw)
        return cls(
            reference=data.get("reference"),
            language=data.get("language"),
            answers=dict(data.get("answers") or {}),
            choices=int(data.get("choices") or 0),
        )


class CallStateStore(Protocol):
    async def get(self, call_sid: str) -> CallState | None: ...

    async def put(self, call_sid: str, state: CallState) -> None: ...

    async def delete(self, call_sid: str) -> None: ...

    async def take(self, call_sid: str) -> CallState | None:
        """Get and delete in one step (one round trip): the end of a call."""
        ...

    async def close(self) -> None: ...


class InProcessCallStates:
    """The embedded default: a dict with expiry times, in this process only."""

    def __init__(self, ttl_seconds: float = STATE_TTL_SECONDS) -> None:
        self.ttl = ttl_seconds
        self._items: dict[str, tuple[float, str]] = {}
        self._writes = 0

    async def get(self, call_sid: str) -> CallState | None:
        item = self._items.get(call_sid)
        if item is None:
            return None
        expires, raw = item
        if expires < time.monotonic():
            del self._items[call_sid]
            return None
        return CallState.from_json(raw)

    async def put(self, call_sid: str, state: CallState) -> None:
        now = time.monotonic()
        self._items[call_sid] = (now + self.ttl, state.to_json())
        self._writes += 1
        if self._writes % 1000 == 0:
            # Calls whose status callback never came would otherwise stay forever.
            for sid in [sid for sid, (expires, _) in self._items.items() if expires < now]:
                del self._items[sid]

    async def delete(self, call_sid: str) -> None:
        self._items.pop(call_sid, None)

    async def take(self, call_sid: str) -> CallState | None:
        state = await self.get(call_sid)
        self._items.pop(call_sid, None)
        return state

    async def close(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class RedisCallStates:
    """One string per call under ``hotline:ivr:call:<CallSid>``, expiring with the longest call."""

    def __init__(
        self, client: aioredis.Redis, *, prefix: str = KEY_PREFIX, ttl_seconds: int = STATE_TTL_SECONDS
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl_seconds

    @classmethod
    def from_url(cls, url: str, *, prefix: str = KEY_PREFIX) -> RedisCallStates:
        client = aioredis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0, health_check_interval=30
        )
        return cls(client, prefix=prefix)

    async def get(self, call_sid: str) -> CallState | None:
        raw = await self.client.get(self.prefix + call_sid)
        return None if raw is None else CallState.from_json(raw)

    async def put(self, call_sid: str, state: CallState) -> None:
        await self.client.set(self.prefix + call_sid, state.to_json(), ex=self.ttl)

    async def delete(self, call_sid: str) -> None:
        await self.client.delete(self.prefix + call_sid)

    async def take(self, call_sid: str) -> CallState | None:
        raw = await self.client.getdel(self.prefix + call_sid)
        return None if raw is None else CallState.from_json(raw)

    async def close(self) -> None:
        await self.client.aclose()
