"""What keeps a call safe: signed routes, opaque URLs, state that survives Redis, consent, recordings."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.ivr.phone import Heard, HungUp, Message, TwimlPhone
from hotline.ivr.state import CallState, CallStateStore, InProcessCallStates
from hotline.models import Case, Contact
from hotline.privacy.sealed import contact_answers, contact_callback_number
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, call_form, post_signed
from tests.ivr.callers import Scripted
from tests.ivr.test_paths import drain

NUMBER = "+237677123456"
IVR_ROUTES = (
    "/twilio/voice/incoming",
    "/twilio/voice/menu/topic?try=1",
    "/twilio/voice/dialed/connect",
    "/twilio/voice/recorded/message",
    "/twilio/voice/recording",
    "/twilio/voice/status",
)
OPAQUE = re.compile(
    r"^https://hotline\.example\.org/twilio/voice/"
    r"((menu/[a-z_]+\?try=\d)|(dialed|recorded)/[a-z_]+|recording)$"
)


async def post(client: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    return await post_signed(client, path, form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL)


async def test_every_ivr_route_refuses_unsigned_and_forged_requests(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = call_form(caller=NUMBER, account_sid=ACCOUNT_SID)
    for path in IVR_ROUTES:
        unsigned = await client.post(path, data={**form, "Digits": "9"})
        assert unsigned.status_code == 403, path
        forged = await client.post(path, data={**form, "Digits": "9"}, headers={"X-Twilio-Signature": "Zm9v"})
        assert forged.status_code == 403, path
    assert await session.scalar(select(func.count()).select_from(Contact)) == 0


async def test_action_urls_carry_only_opaque_ids(phone: TwimlPhone) -> None:
    """No answer, number or reference ever appears in a URL Twilio will log."""
    for caller in (
        Scripted.pressing(["1", "1", "1", "5", "1", "1"], message=10),
        Scripted.pressing(["2", "9"], message=10),
        Scripted.pressing(["3", "1", "0", "2", "1", "7", "", "", "2"], message=0),
    ):
        call = await phone.call(caller, number=NUMBER)
        for exchange in call.exchanges:
            for url in re.findall(
                r'(?:action|recordingStatusCallback)="([^"]+)"', exchange.twiml
            ) + re.findall(r"<Redirect[^>]*>([^<]+)</Redirect>", exchange.twiml):
                assert OPAQUE.match(url.replace("&amp;", "&")), url


class RestartsAfter:
    """The store (Redis or in-process) forgets every call after its ``puts``-th write: a restart."""

    def __init__(self, inner: CallStateStore, puts: int) -> None:
        self.inner = inner
        self.puts = puts
        self.written = 0

    async def get(self, call_sid: str) -> CallState | None:
        return await self.inner.get(call_sid)

    async def put(self, call_sid: str, state: CallState) -> None:
        await self.inner.put(call_sid, state)
        self.written += 1
        if self.written == self.puts:
            await self.inner.delete(call_sid)

    async def delete(self, call_sid: str) -> None:
        await self.inner.delete(call_sid)

    async def take(self, call_sid: str) -> CallState | None:
        return await self.inner.take(call_sid)

    async def close(self) -> None:
        await self.inner.close()


async def test_a_redis_restart_mid_call_loses_nothing(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Every answer is on the contact, so the call goes on as if the state store never forgot."""
    # Writes: incoming, language, topic, child: the store restarts right after the child answer.
    runtime.call_states = RestartsAfter(runtime.call_states, puts=4)
    call = await phone.call(Scripted.pressing(["2", "1", "1", "6", "1", "1"], message=25))
    metrics = (await client.get("/metrics")).text
    assert 'hotline_webhooks_total{outcome="rebuilt",route="voice.state"} 1.0' in metrics
    assert "Which region?" in call.said, "the language survived the restart"
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert (case.category, case.minor, case.region) == ("trafficking", True, "Nord")
    assert call.said.count(", ".join(case.reference)) == 2


async def test_a_store_that_is_down_never_fails_a_call(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    class Down(InProcessCallStates):
        async def get(self, call_sid: str) -> None:
            raise ConnectionError("redis is away")

        async def put(self, call_sid: str, state: object) -> None:
            raise ConnectionError("redis is away")

    runtime.call_states = Down()
    call = await phone.call(Scripted.pressing(["2", "4", "3", "8", "2", "2"], message=12))
    assert "Which region?" in call.said
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.category == "information"


async def test_a_retried_incoming_webhook_is_one_contact_and_the_same_answer(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = call_form(caller=NUMBER, account_sid=ACCOUNT_SID)
    first = await post(client, "/twilio/voice/incoming", form)
    second = await post(client, "/twilio/voice/incoming", form)
    assert first.status_code == second.status_code == 200
    assert first.text == second.text
    assert await session.scalar(select(func.count()).select_from(Contact)) == 1


async def test_a_call_without_callsid_is_a_clear_400(client: httpx.AsyncClient) -> None:
    form = call_form(caller=NUMBER, account_sid=ACCOUNT_SID)
    del form["CallSid"]
    for path in ("/twilio/voice/incoming", "/twilio/voice/menu/topic?try=1"):
        assert (await post(client, path, form)).status_code == 400


async def test_the_recording_callback_keeps_the_sid_and_duration_never_the_url(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    form = call_form(caller=NUMBER, account_sid=ACCOUNT_SID)
    await post(client, "/twilio/voice/incoming", form)
    recording = {
        "CallSid": form["CallSid"],
        "AccountSid": ACCOUNT_SID,
        "RecordingSid": "RE" + "c" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE" + "c" * 32,
        "RecordingDuration": "42",
        "RecordingStatus": "completed",
    }
    response = await post(client, "/twilio/voice/recording", recording)
    assert response.status_code == 200 and response.text.endswith("<Response />")
    again = await post(client, "/twilio/voice/recording", recording)
    assert again.status_code == 200
    contact = (await session.execute(select(Contact))).scalar_one()
    answers = contact_answers(runtime.keyring, contact)
    assert answers["recording_sid"] == recording["RecordingSid"]
    assert answers["recording_seconds"] == 42
    assert "api.twilio.com" not in str(answers)
    await drain(runtime)
    assert await session.scalar(select(func.count()).select_from(Case)) == 1


async def test_callback_consent_keeps_the_number_only_sealed_and_only_with_a_yes(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """A number is stored only encrypted, and only when the caller agreed to a callback."""
    await phone.call(Scripted.pressing(["1", "4", "2", "2", "1", "2"], message=5), number=NUMBER)
    await phone.call(Scripted.pressing(["1", "4", "2", "2", "2", "2"], message=5), number="+237677000999")
    contacts = (await session.execute(select(Contact).order_by(Contact.received_at))).scalars().all()
    numbers = {c.id: contact_callback_number(runtime.keyring, c) for c in contacts}
    assert sorted(n or "" for n in numbers.values()) == ["", NUMBER]
    dump = " ".join(str(row) for row in (await session.execute(text("SELECT * FROM contacts"))).all())
    assert NUMBER not in dump and NUMBER[1:] not in dump and "677123456" not in dump


async def test_prompts_are_only_twilio_voices_in_the_callers_language(phone: TwimlPhone) -> None:
    class Listener(Scripted):
        def hear(self, heard: Heard) -> None:
            assert heard.language in ("fr-FR", "en-GB") or heard.audio_url
            super().hear(heard)

        def press(self, num_digits: int) -> str:
            if self.gathers > 40:
                raise HungUp
            return super().press(num_digits)

    call = await phone.call(Listener(["1", "1", "1", "1", "1", "1"], [Message(3)]))
    assert {h.language for h in call.heard[3:]} == {"fr-FR"}


async def test_a_replayed_menu_action_gets_the_same_twiml_and_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: an action webhook Twilio sends again (even after later keys) answers as it first did, and the
    contact keeps exactly the keys the caller pressed; consent comes only from the share and callback menus."""
    form = call_form(caller=NUMBER, account_sid=ACCOUNT_SID)
    await post(client, "/twilio/voice/incoming", form)
    walk = [("language", "2"), ("topic", "1"), ("child", "1"), ("region", "5"), ("callback", "2")]
    first = {}
    for step, key in walk:
        response = await post(client, f"/twilio/voice/menu/{step}?try=1", {**form, "Digits": key})
        first[step] = response.text
    for step, key in [("topic", "1"), ("language", "2"), ("child", "1")]:  # late replays
        again = await post(client, f"/twilio/voice/menu/{step}?try=1", {**form, "Digits": key})
        assert again.text == first[step]
    await post(client, "/twilio/voice/menu/share?try=1", {**form, "Digits": "2"})
    recorded = {**form, "RecordingSid": "RE" + "4" * 32, "RecordingDuration": "12"}
    goodbye = await post(client, "/twilio/voice/recorded/message", recorded)
    assert (await post(client, "/twilio/voice/recorded/message", recorded)).text == goodbye.text
    for _ in range(2):
        await post(client, "/twilio/voice/status", {**form, "CallStatus": "completed"})
    await drain(runtime)
    contact = (await session.execute(select(Contact))).scalar_one()
    answers = contact_answers(runtime.keyring, contact)
    assert {
        k: v for k, v in answers.items() if k not in ("recording_sid", "recording_seconds", "dialogue")
    } == {
        "language": "en",
        "menu": "trafficking",
        "child": "yes",
        "region": "Littoral",
        "callback": False,
        "share": False,
    }
    assert contact_callback_number(runtime.keyring, contact) is None
    case = (await session.execute(select(Case))).scalar_one()
    assert case.language == "en" and case.minor is True and case.region == "Littoral"
