"""With PostgreSQL (production's pairing), dialogue sessions live in Redis, as in production."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from hotline.core.runtime import Runtime
from hotline.sms.sessions import RedisDialogueStore
from tests.fixtures.env import REDIS_URL


@pytest.fixture
async def runtime(runtime: Runtime, backend: str) -> AsyncIterator[Runtime]:
    if backend != "postgres":
        yield runtime
        return
    prefix = f"hotline:test:dialogue:{uuid.uuid4().hex}:"
    store = RedisDialogueStore.from_url(REDIS_URL, prefix=prefix)
    previous, runtime.dialogues = runtime.dialogues, store
    yield runtime
    keys = [key async for key in store.client.scan_iter(match=prefix + "*")]
    if keys:
        await store.client.delete(*keys)
    await store.close()
    runtime.dialogues = previous
