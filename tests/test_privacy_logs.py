"""No phone number or message text in logs or metrics, through a whole SMS → case → API flow.

The real logging configuration is used (JSON lines through the stdlib handler, the redaction
processor included), and what was actually written is scanned.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog

from hotline.core.logging import configure_logging, get_logger
from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.models import Role
from tests.fixtures.accounts import bearer, make_agent, token_for
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, call_form, post_signed, sms_form

NUMBER = "+237677123456"
LOCAL_FORMS = ("677123456", "677 12 34 56", "+237 677")
WORDS = "Ma cousine Mireille est enfermée chez un patron à Bépanda, il la frappe tous les soirs"
RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC" + "1" * 32 + "/Recordings/RE" + "d" * 32


@pytest.fixture
def real_logging() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(json=True, level="DEBUG", stream=stream)
    yield stream
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


async def test_an_sms_and_a_call_leave_no_number_words_or_recording_url_in_logs_or_metrics(
    client: httpx.AsyncClient, runtime: Runtime, real_logging: io.StringIO
) -> None:
    sms = sms_form(sender=NUMBER, body=WORDS, account_sid=ACCOUNT_SID)
    assert (
        await post_signed(
            client, "/twilio/sms/incoming", sms, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
        )
    ).status_code == 200
    call = call_form(caller=NUMBER, account_sid=ACCOUNT_SID)
    await post_signed(
        client, "/twilio/voice/incoming", call, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )
    await post_signed(
        client,
        "/twilio/voice/recording",
        {
            "CallSid": call["CallSid"],
            "RecordingSid": "RE" + "d" * 32,
            "RecordingUrl": RECORDING_URL,
            "RecordingDuration": "12",
        },
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
    )
    forged = await client.post("/twilio/sms/incoming", data=sms, headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    assert forged.status_code == 403  # refused, and logged without its content
    worker = Worker(runtime, block_seconds=0.2)
    while await worker.run_once():
        pass
    await make_agent(runtime, "sup", Role.supervisor)
    headers = bearer(await token_for(client, "sup"))
    listed = (await client.get("/api/v1/cases", headers=headers)).json()
    assert listed["total"] == 2, "the text and the call must each have become a case"
    for item in listed["items"]:
        await client.get(f"/api/v1/cases/{item['id']}", headers=headers)
    # Even a careless log call with personal data in it comes out clean.
    get_logger("careless").warning("oops", body=WORDS, note=f"call back {NUMBER}", url=RECORDING_URL)
    metrics = (await client.get("/metrics")).text

    logs = real_logging.getvalue()
    assert "sms.received" in logs and "voice.received" in logs, "the flow must actually have logged"
    assert "webhook.bad_signature" in logs
    for text in (logs, metrics):
        assert NUMBER not in text
        assert NUMBER[1:] not in text
        for form in LOCAL_FORMS:
            assert form not in text
        assert "Mireille" not in text and "Bépanda" not in text and "frappe" not in text
        assert RECORDING_URL not in text and "Recordings/RE" not in text
