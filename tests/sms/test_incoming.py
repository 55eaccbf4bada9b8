"""The SMS/WhatsApp webhook: signed deliveries are stored once, anything else is refused."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.cases.reference import is_valid
from hotline.core.runtime import Runtime
from hotline.models import Contact, OutboxEntry
from hotline.privacy.sealed import contact_body
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, post_signed, sms_form

PATH = "/twilio/sms/incoming"


async def send(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    return await post_signed(client, PATH, form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL)


async def count(session: AsyncSession, model: type[Contact] | type[OutboxEntry]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_signed_sms_is_stored_with_an_outbox_row_and_answered_with_a_reference(
    client: httpx.AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    form = sms_form(
        sender="+237 6 90 00 00 01", body="Ma sœur est enfermée à Douala", account_sid=ACCOUNT_SID
    )
    response = await send(client, form)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.provider_id == form["MessageSid"]
    assert contact.channel == "sms"
    assert contact_body(runtime.keyring, contact) == "Ma sœur est enfermée à Douala"
    assert is_valid(contact.reference)
    assert f"Ref {contact.reference}" in response.text
    assert await count(session, OutboxEntry) == 1


async def test_no_raw_number_is_stored_only_a_peppered_caller_ref(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await send(client, sms_form(sender="+237690000001", body="bonjour", account_sid=ACCOUNT_SID))
    contact = (await session.execute(select(Contact))).scalar_one()
    assert len(contact.caller_ref) == 64
    row = " ".join(str(v) for v in vars(contact).values())
    assert "690000001" not in row


async def test_local_and_international_forms_of_one_number_are_one_caller(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for sender in ("+237690000001", "690 00 00 01", "whatsapp:+237690000001"):
        body = "mon patron garde mon passeport"  # a report each time, not the opening of a dialogue
        await send(client, sms_form(sender=sender, body=body, account_sid=ACCOUNT_SID))
    refs = (await session.execute(select(Contact.caller_ref, Contact.channel))).all()
    assert len({r.caller_ref for r in refs}) == 1
    assert sorted(r.channel for r in refs) == ["sms", "sms", "whatsapp"]


async def test_a_retried_delivery_is_answered_identically_and_stored_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = sms_form(sender="+237690000001", body="help", account_sid=ACCOUNT_SID)
    first = await send(client, form)
    second = await send(client, form)
    assert first.status_code == second.status_code == 200
    assert first.text == second.text
    assert await count(session, Contact) == 1
    assert await count(session, OutboxEntry) == 1


async def test_a_forged_signature_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = sms_form(sender="+237690000001", body="help", account_sid=ACCOUNT_SID)
    response = await client.post(PATH, data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    assert response.status_code == 403
    assert await count(session, Contact) == 0


async def test_a_missing_signature_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    response = await client.post(
        PATH, data=sms_form(sender="+237690000001", body="x", account_sid=ACCOUNT_SID)
    )
    assert response.status_code == 403
    assert await count(session, Contact) == 0


async def test_a_signature_for_another_url_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The URL is part of what Twilio signs: a request replayed to another route fails."""
    form = sms_form(sender="+237690000001", body="x", account_sid=ACCOUNT_SID)
    response = await post_signed(
        client, PATH, form, auth_token=AUTH_TOKEN, public_base_url="https://evil.example.org"
    )
    assert response.status_code == 403


async def test_twilio_signing_the_url_with_its_port_is_accepted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Twilio may sign https://host:443/path: the SDK's full check still runs when the fast one misses."""
    form = sms_form(sender="+237690000001", body="mon patron garde mon passeport", account_sid=ACCOUNT_SID)
    response = await post_signed(
        client, PATH, form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL + ":443"
    )
    assert response.status_code == 200
    assert await count(session, Contact) == 1


async def test_a_sha256_signature_is_accepted_when_the_settings_header_says_so(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from twilio.request_validator import RequestValidator

    form = sms_form(sender="+237690000001", body="mon patron garde mon passeport", account_sid=ACCOUNT_SID)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_BASE_URL + PATH, form, algorithm="HMAC_SHA256"
    )
    settings = {"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_SHA256"}
    response = await client.post(PATH, data=form, headers={"X-Twilio-Signature": signature, **settings})
    assert response.status_code == 200
    assert await count(session, Contact) == 1


async def test_a_signature_header_of_any_bytes_is_a_403_not_a_crash(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = sms_form(sender="+237690000001", body="help", account_sid=ACCOUNT_SID)
    response = await client.post(
        PATH, data=form, headers={"X-Twilio-Signature": "\u00e9t\u00e9==".encode("latin-1")}
    )
    assert response.status_code == 403
    assert await count(session, Contact) == 0


async def test_a_tampered_body_is_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    form = sms_form(sender="+237690000001", body="original", account_sid=ACCOUNT_SID)
    from hotline.simulate import sign

    signature = sign(AUTH_TOKEN, PUBLIC_BASE_URL + PATH, form)
    response = await client.post(
        PATH, data={**form, "Body": "changed"}, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    assert await count(session, Contact) == 0


async def test_a_body_over_64_kib_is_refused_with_413(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = sms_form(sender="+237690000001", body="a" * (70 * 1024), account_sid=ACCOUNT_SID)
    response = await send(client, form)
    assert response.status_code == 413
    assert await count(session, Contact) == 0


async def test_a_signed_request_without_message_sid_gets_a_clear_400(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await send(client, {"From": "+237690000001", "Body": "x"})
    assert response.status_code == 400
    assert "MessageSid" in response.text


async def test_broken_unicode_and_sql_looking_text_are_stored_verbatim_not_refused(
    client: httpx.AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    body = "'; DROP TABLE contacts; -- \udcff ok \x00 fin"
    form = sms_form(sender="+237690000001", body=body, account_sid=ACCOUNT_SID)
    signature_form = {**form, "Body": body.encode("utf-8", "surrogatepass").decode("utf-8", "replace")}
    response = await send(client, signature_form)
    assert response.status_code == 200
    contact = (await session.execute(select(Contact))).scalar_one()
    stored = contact_body(runtime.keyring, contact)
    assert stored is not None
    assert "DROP TABLE contacts" in stored
    assert "\x00" not in stored
    assert await count(session, Contact) == 1


async def test_raw_invalid_utf8_bytes_do_not_cause_a_500(client: httpx.AsyncClient, runtime: Runtime) -> None:
    response = await client.post(
        PATH,
        content=b"MessageSid=SM1&Body=%ff%fe%fd",
        headers={"content-type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert response.status_code in (400, 403)


async def test_a_whatsapp_message_is_a_whatsapp_contact(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await send(client, sms_form(sender="whatsapp:+237690000001", body="hi", account_sid=ACCOUNT_SID))
    contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.channel == "whatsapp"


async def test_the_reply_names_no_hotline_topic(client: httpx.AsyncClient) -> None:
    """Someone else may read the sender's phone: the reply must not say what the report is about."""
    response = await send(client, sms_form(sender="+237690000001", body="help", account_sid=ACCOUNT_SID))
    lowered = response.text.lower()
    for word in ("traffic", "traite", "police", "exploit", "abuse"):
        assert word not in lowered


async def test_delivery_status_callbacks_are_accepted_and_store_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": "+237690000001"}
    response = await post_signed(
        client, "/twilio/sms/status", form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )
    assert response.status_code == 204
    assert await count(session, Contact) == 0
