"""The voice webhooks: a call is stored before a word is said, and ends with its reference."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import Contact, OutboxEntry
from hotline.privacy.sealed import contact_answers
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, call_form, post_signed


async def post(client: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    return await post_signed(client, path, form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL)


async def test_an_incoming_call_is_stored_at_once_and_greeted_in_french_and_english(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    response = await post(client, "/twilio/voice/incoming", form)
    assert response.status_code == 200
    root = ET.fromstring(response.text)
    says = root.findall("Say")
    assert {s.get("language") for s in says} >= {"fr-FR", "en-GB"}
    record = root.find("Record")
    assert record is not None
    assert record.get("action") == f"{PUBLIC_BASE_URL}/twilio/voice/recording"
    assert record.get("maxLength") == "180"
    assert record.get("finishOnKey") == "#"
    contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.channel == "voice"
    assert contact.provider_id == form["CallSid"]


async def test_the_recording_callback_reads_the_reference_back_digit_by_digit_twice(
    client: httpx.AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    await post(client, "/twilio/voice/incoming", form)
    recording = {
        "CallSid": form["CallSid"],
        "AccountSid": ACCOUNT_SID,
        "RecordingSid": "RE" + "c" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE" + "c" * 32,
        "RecordingDuration": "42",
    }
    response = await post(client, "/twilio/voice/recording", recording)
    assert response.status_code == 200
    contact = (await session.execute(select(Contact))).scalar_one()
    spoken = ", ".join(contact.reference)
    assert response.text.count(spoken) >= 2
    assert ET.fromstring(response.text).find("Hangup") is not None
    answers = contact_answers(runtime.keyring, contact)
    assert answers["recording_sid"] == recording["RecordingSid"]
    assert "RecordingUrl" not in str(answers) and "api.twilio.com" not in str(answers)
    # The pipeline looks at the contact again now that there is a message.
    assert await session.scalar(select(func.count()).select_from(OutboxEntry)) == 2

    again = await post(client, "/twilio/voice/recording", recording)
    assert again.text == response.text
    assert await session.scalar(select(func.count()).select_from(OutboxEntry)) == 2


async def test_a_retried_incoming_call_webhook_is_one_contact(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    first = await post(client, "/twilio/voice/incoming", form)
    second = await post(client, "/twilio/voice/incoming", form)
    assert first.text == second.text
    assert await session.scalar(select(func.count()).select_from(Contact)) == 1


async def test_a_withheld_number_still_reports(client: httpx.AsyncClient, session: AsyncSession) -> None:
    form = call_form(caller="anonymous", account_sid=ACCOUNT_SID)
    response = await post(client, "/twilio/voice/incoming", form)
    assert response.status_code == 200
    assert await session.scalar(select(func.count()).select_from(Contact)) == 1


async def test_the_final_call_status_is_kept_on_the_contact(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    await post(client, "/twilio/voice/incoming", form)
    response = await post(
        client,
        "/twilio/voice/status",
        {"CallSid": form["CallSid"], "CallStatus": "completed", "CallDuration": "61"},
    )
    assert response.status_code == 204
    contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.provider_status == "completed"


async def test_voice_webhooks_refuse_unsigned_requests(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for path in ("/twilio/voice/incoming", "/twilio/voice/recording", "/twilio/voice/status"):
        response = await client.post(path, data=call_form(caller="+237690000001", account_sid=ACCOUNT_SID))
        assert response.status_code == 403, path
    assert await session.scalar(select(func.count()).select_from(Contact)) == 0
