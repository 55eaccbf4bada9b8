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
async def wired(runtime: Runtime, fake_twilio: FakeTwilio, clock: FakeClock) -> AsyncIterator[Runtime]:
    """The test runtime, its telephony the twilio SDK pointed at the fake Twilio, its clock the test's.

    Every reader of the time (the API's routes, the worker, the escalation timer) then sees the
    moment the test set, whatever today's date is.
    """
    runtime.telephony = twilio_for(fake_twilio)
    runtime.clock = clock
    yield runtime
    await runtime.telephony.close()
