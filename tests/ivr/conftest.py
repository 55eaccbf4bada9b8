"""IVR fixtures: the call state on Redis with PostgreSQL (as in production), in-process with SQLite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis

from hotline.core.runtime import Runtime
from hotline.ivr.phone import TwimlPhone
from hotline.ivr.state import InProcessCallStates, RedisCallStates
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL, REDIS_URL
from tests.fixtures.twilio import ACCOUNT_SID

EMERGENCY_NUMBER = "+237699000111"


@pytest.fixture
async def runtime(runtime: Runtime, backend: str, redis_client: aioredis.Redis) -> AsyncIterator[Runtime]:
    """The shared runtime, with an on-call number and the call-state store of its backend."""
    runtime.settings = runtime.settings.model_copy(update={"emergency_number": EMERGENCY_NUMBER})
    prefix = f"hotline:test:ivr:{uuid.uuid4().hex}:"
    if backend == "postgres":
        runtime.call_states = RedisCallStates.from_url(REDIS_URL, prefix=prefix)
    else:
        runtime.call_states = InProcessCallStates()
    yield runtime
    await runtime.call_states.close()
    keys = [key async for key in redis_client.scan_iter(match=prefix + "*")]
    if keys:
        await redis_client.delete(*keys)


@pytest.fixture
def phone(client: httpx.AsyncClient) -> TwimlPhone:
    return TwimlPhone(client, public_base_url=PUBLIC_BASE_URL, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID)
