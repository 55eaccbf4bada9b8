"""The voice webhooks one by one: a call is stored before a word is said, then the menu begins."""

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


async def test_an_incoming_call_is_stored_at_once_and_asked_for_a_language_in_french_and_english(
    client: httpx.AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    response = await post(client, "/twilio/voice/incoming", form)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1" and gather.get("input") == "dtmf"
    assert gather.get("action") == f"{PUBLIC_BASE_URL}/twilio/voice/menu/language?try=1"
    assert {s.get("language") for s in gather.findall("Say")} == {"fr-FR", "en-GB"}
    assert "appuyez sur 9" in response.text and "press 9" in response.text
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == gather.get("action"), "silence comes back to us"
    contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.channel == "voice"
    assert contact.provider_id == form["CallSid"]
    assert contact_answers(runtime.keyring, contact) == {"dialogue": "open"}
    assert await session.scalar(select(func.count()).select_from(OutboxEntry)) == 1


async def test_the_message_step_records_up_to_three_minutes_ended_by_hash(
    client: httpx.AsyncClient,
) -> None:
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    await post(client, "/twilio/voice/incoming", form)
    for path, digits in (
        ("/twilio/voice/menu/language?try=1", "1"),
        ("/twilio/voice/menu/topic?try=1", "1"),
        ("/twilio/voice/menu/child?try=1", "2"),
        ("/twilio/voice/menu/region?try=1", "2"),
        ("/twilio/voice/menu/callback?try=1", "2"),
    ):
        assert (await post(client, path, {**form, "Digits": digits})).status_code == 200
    response = await post(client, "/twilio/voice/menu/share?try=1", {**form, "Digits": "2"})
    record = ET.fromstring(response.text).find("Record")
    assert record is not None
    assert record.get("action") == f"{PUBLIC_BASE_URL}/twilio/voice/recorded/message"
    assert record.get("maxLength") == "180"
    assert record.get("finishOnKey") == "#"
    assert record.get("recordingStatusCallback") == f"{PUBLIC_BASE_URL}/twilio/voice/recording"


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


async def test_a_call_status_in_progress_is_kept_on_the_contact_too(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The non-final statuses (ringing, in-progress) are saved as well: the UPDATE once used bind
    names its SET clause reserves, failed on every call and was only logged."""
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    await post(client, "/twilio/voice/incoming", form)
    response = await post(
        client, "/twilio/voice/status", {"CallSid": form["CallSid"], "CallStatus": "in-progress"}
    )
    assert response.status_code == 204
    contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.provider_status == "in-progress"


async def test_an_unknown_step_after_a_flow_change_starts_the_menu_again(client: httpx.AsyncClient) -> None:
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    await post(client, "/twilio/voice/incoming", form)
    response = await post(client, "/twilio/voice/menu/old_step?try=1", {**form, "Digits": "1"})
    assert response.status_code == 200
    gather = ET.fromstring(response.text).find("Gather")
    assert gather is not None and gather.get("action", "").endswith("/menu/language?try=1")
