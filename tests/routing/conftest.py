"""Routing tests send through the real twilio SDK to the fake Twilio server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.core.runtime import Runtime
from tests.fixtures.fake_twilio import FakeTwilio
from tests.fixtures.routing import FakeClock, twilio_for


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def wired(runtime: Runtime, fake_twilio: FakeTwilio) -> AsyncIterator[Runtime]:
    """The test runtime, its telephony the twilio SDK pointed at the fake Twilio."""
    runtime.telephony = twilio_for(fake_twilio)
    yield runtime
    await runtime.telephony.close()
