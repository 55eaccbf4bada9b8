"""No phone number or message text in logs or metrics, through a whole SMS → case → API flow.

The real logging configuration is used (JSON lines through the stdlib handler, the redaction
processor included), and what was actually written is scanned.
"""

from __future__ import annotations

import io

import httpx

from hotline.core.logging import get_logger
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


MEDIA_URL = (
    "https://api.twilio.com/2010-04-01/Accounts/AC"
    + "1" * 32
    + "/Messages/MM"
    + "2" * 32
    + "/Media/ME"
    + "3" * 32
)
USSD_NUMBER = "+237699887766"


async def test_the_text_dialogue_whatsapp_media_and_ussd_leave_no_number_words_or_media_url(
    client: httpx.AsyncClient, runtime: Runtime, real_logging: io.StringIO
) -> None:
    from pydantic import SecretStr

    from tests.conftest import app_for
    from tests.fixtures.messaging import USSD_SECRET, text

    for body in (
        "allo",
        WORDS,
        "Bépanda",
        "1",
        "oui",
        "oui",
        "oui",
        "STATUS 12345678",
        "STOP",
        "Mireille encore",
    ):
        assert (await text(client, body, sender=NUMBER)).status_code == 200
    media = {"NumMedia": "1", "MediaUrl0": MEDIA_URL, "MediaContentType0": "audio/ogg"}
    await text(client, "", sender=f"whatsapp:{NUMBER}", extra=media)
    location = {
        "MessageType": "location",
        "Latitude": "4.0873417",
        "Longitude": "9.6826151",
        "Address": "Rue Mireille, Bepanda, Douala",
        "Label": "chez Mireille",
    }
    await text(client, "", sender=f"whatsapp:{NUMBER}", extra=location)

    runtime.settings = runtime.settings.model_copy(update={"ussd_secret": SecretStr(USSD_SECRET)})
    transport = httpx.ASGITransport(app=app_for(runtime), client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as ussd:
        for keyed in ("", "1", "1*1", "1*1*1*2*5", "1*1*1*2*5*1", "1*1*1*2*5*1*Mireille frappe a Bepanda"):
            form = {"sessionId": "ATUid_p", "phoneNumber": USSD_NUMBER, "networkCode": "62401", "text": keyed}
            assert (await ussd.post(f"/ussd/africastalking?key={USSD_SECRET}", data=form)).status_code == 200
        ended = {
            "sessionId": "ATUid_p",
            "phoneNumber": USSD_NUMBER,
            "status": "Incomplete",
            "input": "1*1*1*2*5*1*Mireille frappe a Bepanda",
            "errorMessage": f"USER_TIMEOUT {USSD_NUMBER}",
            "durationInMillis": "30100",
            "hopsCount": "7",
        }
        assert (
            await ussd.post(f"/ussd/africastalking/events?key={USSD_SECRET}", data=ended)
        ).status_code == 200
    worker = Worker(runtime, block_seconds=0.2)
    while await worker.run_once():
        pass
    metrics = (await client.get("/metrics")).text

    logs = real_logging.getvalue()
    assert "sms.received" in logs and "ussd.received" in logs, "the flow must actually have logged"
    assert "ussd.session_end" in logs
    for output in (logs, metrics):
        for number in (NUMBER, USSD_NUMBER):
            assert number not in output and number[1:] not in output and number[4:] not in output
        assert "Mireille" not in output and "Bépanda" not in output and "frappe" not in output
        assert MEDIA_URL not in output and "ME" + "3" * 32 not in output
        assert "4.0873417" not in output and "9.6826151" not in output and "4.087341" not in output
    # The test's own HTTP client logs the URLs it calls ("httpx" logger); the server never logs the secret.
    server_lines = [line for line in logs.splitlines() if '"logger": "httpx"' not in line]
    assert server_lines and not any(USSD_SECRET in line for line in server_lines)
    assert USSD_SECRET not in metrics


async def test_privacy_operations_and_a_crashed_job_leave_no_number_or_words_in_logs_metrics_or_audit(
    client: httpx.AsyncClient, runtime: Runtime, real_logging: io.StringIO
) -> None:
    """Callback consent, retention, export, erasure and key rotation log counts, never contents;
    a traceback carries no local variables."""
    import base64
    import dataclasses
    from datetime import UTC, datetime, timedelta

    from pydantic import SecretStr
    from sqlalchemy import select

    from hotline.audit.verify import verify
    from hotline.models import AuditEntry
    from hotline.privacy.requests import erase, export
    from hotline.privacy.retention import run_retention
    from hotline.privacy.rotation import rotate
    from tests.privacy.reports import call_report, close, text_report

    texted = await text_report(runtime, NUMBER, body=WORDS)
    called = await call_report(runtime, NUMBER)
    await text_report(runtime, USSD_NUMBER, body=WORDS)
    closed = datetime(2026, 1, 1, tzinfo=UTC)
    for report in (texted, called):
        await close(runtime, report.case_id, closed)
    await run_retention(runtime, now=closed + timedelta(days=91))
    await export(runtime, USSD_NUMBER, now=closed)
    await erase(runtime, NUMBER, now=closed)
    rotated = dataclasses.replace(
        runtime,
        settings=runtime.settings.model_copy(
            update={
                "data_keys": SecretStr(
                    "t9:"
                    + base64.b64encode(b"9" * 32).decode()
                    + ","
                    + runtime.settings.data_keys.get_secret_value()
                )
            }
        ),
    )
    assert (await rotate(rotated, now=closed)).complete

    def job(number: str, words: str) -> None:
        # Locals a traceback with locals would show (reversed, so no source line contains them).
        caller_number, what_they_said = number[::-1], words[::-1]
        raise ValueError(f"boom after {len(caller_number) + len(what_they_said)} characters")

    try:
        job(NUMBER, WORDS)
    except ValueError:
        get_logger("pipeline").exception("pipeline.job_failed")
    metrics = (await client.get("/metrics")).text
    async with runtime.sessions() as session:
        chain = "\n".join(
            f"{e.actor} {e.action} {e.subject} {e.details}"
            for e in (await session.execute(select(AuditEntry))).scalars()
        )
        assert (await verify(session)).ok

    logs = real_logging.getvalue()
    assert "retention.run" in logs and "keys.rotated" in logs and "Traceback" in logs and "boom after" in logs
    assert "privacy.erased" in chain and "retention.purged" in chain
    for output in (logs, metrics, chain):
        for number in (NUMBER, USSD_NUMBER):
            assert number not in output and number[1:] not in output and number[4:] not in output
        assert "Mireille" not in output and "Bépanda" not in output and "cousine" not in output
        assert NUMBER[::-1] not in output and WORDS[::-1][:20] not in output


async def test_the_console_leaves_no_number_words_or_notes_in_logs_metrics_or_audit(
    client: httpx.AsyncClient, runtime: Runtime, real_logging: io.StringIO
) -> None:
    """Signing in, the queue, the case page (which shows the words), a note, a failed sign-in and
    a masked callback log and audit ids and outcomes only: never the caller's number, their
    words, the note, or the agent's phone."""
    from sqlalchemy import select

    from hotline.core.db import unit_of_work
    from hotline.models import Agent, AuditEntry
    from hotline.privacy.sealed import set_agent_phone
    from tests.console.conftest import Browser, reported_case

    agent_phone = "+237699000222"
    note = "Mireille a rappelé depuis Bépanda"
    agent = await make_agent(runtime, "alice", Role.agent, ("Littoral",))
    async with unit_of_work(runtime.sessions) as session:
        row = await session.get(Agent, agent.id)
        assert row is not None
        set_agent_phone(runtime.keyring, row, agent_phone)
    case = await reported_case(runtime, text=WORDS, callback=NUMBER)
    b = Browser(client)
    assert (await b.sign_in("alice", "wrong-password")).status_code == 401
    assert (await b.sign_in("alice")).status_code == 303
    page = await client.get(f"/console/cases/{case.id}")
    assert "Mireille" in page.text and NUMBER not in page.text and agent_phone not in page.text
    await b.post(f"/console/cases/{case.id}/notes", {"text": note})
    called = await b.post(f"/console/cases/{case.id}/callback")
    assert called.headers["location"].endswith("msg=calling")
    await client.get("/console/queue")
    metrics = (await client.get("/metrics")).text
    async with runtime.sessions() as session:
        chain = "\n".join(
            f"{e.actor} {e.action} {e.subject} {e.details}"
            for e in (await session.execute(select(AuditEntry))).scalars()
        )
    logs = real_logging.getvalue()
    assert "case.callback_started" in chain and "console.sign_in_refused" in logs
    for output in (logs, metrics, chain):
        for number in (NUMBER, agent_phone):
            assert number not in output and number[1:] not in output and number[4:] not in output
        assert "Mireille" not in output and "Bépanda" not in output and "cousine" not in output
