"""A whole IVR call leaves no number, recording URL or Sid-bearing URL in logs or metrics."""

from __future__ import annotations

import io

import httpx

from hotline.core.runtime import Runtime
from hotline.ivr.phone import TwimlPhone
from tests.ivr.callers import Scripted
from tests.ivr.conftest import EMERGENCY_NUMBER
from tests.ivr.test_paths import drain

NUMBER = "+237677123456"
LOCAL_FORMS = ("677123456", "677 12 34 56", "+237 677")


async def test_calls_with_consent_danger_and_messages_log_nothing_personal(
    phone: TwimlPhone, runtime: Runtime, client: httpx.AsyncClient, real_logging: io.StringIO
) -> None:
    calls = [
        await phone.call(Scripted.pressing(["1", "1", "1", "5", "1", "1"], message=30), number=NUMBER),
        await phone.call(Scripted.pressing(["2", "9"], message=12, agent=False), number=NUMBER),
        await phone.call(Scripted.pressing(["3", "0"], agent=True), number=NUMBER),
    ]
    # A lost call state is rebuilt from the sealed contact, and that is logged too.
    await runtime.call_states.delete(calls[0].sid)
    await drain(runtime)
    metrics = (await client.get("/metrics")).text
    logs = real_logging.getvalue()
    assert "voice.received" in logs, "the calls must actually have logged"
    recording_urls = [
        line for call in calls for e in call.exchanges for line in e.twiml.split() if "Recordings/" in line
    ]
    assert recording_urls == [], "the server never echoes a recording URL"
    for text in (logs, metrics):
        assert NUMBER not in text and NUMBER[1:] not in text
        for form in LOCAL_FORMS:
            assert form not in text
        assert EMERGENCY_NUMBER not in text
        assert "api.twilio.com" not in text and "Recordings/RE" not in text
        for call in calls:
            assert call.sid not in metrics
