"""Messages sent later: through the real twilio SDK to a fake Twilio, retried, with a forward-only status."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.core.telephony import TwilioTelephony
from hotline.models import Case, OutboundMessage
from hotline.sms import outbound
from hotline.sms.outbound import MAX_ATTEMPTS, backoff, deliver_due, enqueue
from tests.conftest import app_for
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.fake_twilio import ACCOUNT_SID, FakeTwilio
from tests.fixtures.fake_twilio import AUTH_TOKEN as FAKE_TOKEN
from tests.fixtures.messaging import drain, text
from tests.fixtures.twilio import post_signed

NUMBER = "+237690000001"
CALLER = "c" * 64


@pytest.fixture
async def twilio_runtime(runtime: Runtime, fake_twilio: FakeTwilio) -> AsyncIterator[Runtime]:
    telephony = TwilioTelephony(
        account_sid=ACCOUNT_SID, auth_token=FAKE_TOKEN, api_url=fake_twilio.url, from_number="+2371503"
    )
    previous, runtime.telephony = runtime.telephony, telephony
    yield runtime
    await telephony.close()
    runtime.telephony = previous


async def queue_one(
    runtime: Runtime, *, caller_ref: str | None = CALLER, now: datetime | None = None
) -> uuid.UUID:
    async with runtime.sessions() as session:
        message = await enqueue(
            session,
            runtime.keyring,
            to=NUMBER,
            body="Bonjour, votre dossier est suivi.",
            purpose="caller_reply",
            caller_ref=caller_ref,
            now=now,
        )
        await session.commit()
        return message.id


async def row(session: AsyncSession, message_id: uuid.UUID) -> OutboundMessage:
    session.expire_all()
    return (
        await session.execute(select(OutboundMessage).where(OutboundMessage.id == message_id))
    ).scalar_one()


async def report_status(client: httpx.AsyncClient, sid: str, status: str) -> httpx.Response:
    return await post_signed(
        client,
        "/twilio/sms/status",
        {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID},
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
    )


async def test_a_queued_message_is_sent_by_the_worker_and_its_status_only_moves_forward(
    twilio_runtime: Runtime, fake_twilio: FakeTwilio, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    message_id = await queue_one(twilio_runtime)
    assert fake_twilio.messages == [], "queueing sends nothing"
    assert (await deliver_due(twilio_runtime)).sent == 1
    [sent] = fake_twilio.messages
    assert sent["To"] == NUMBER and sent["Body"] == "Bonjour, votre dossier est suivi."
    assert sent["StatusCallback"] == f"{PUBLIC_BASE_URL}/twilio/sms/status"
    stored = await row(session, message_id)
    assert stored.status == "queued" and stored.provider_sid == sent["sid"]

    for status in ("sent", "delivered"):
        assert (await report_status(client, sent["sid"], status)).status_code == 204
    assert (await report_status(client, sent["sid"], "sent")).status_code == 204  # late, out of order
    final = await row(session, message_id)
    assert final.status == "delivered", "a late 'sent' never moves a delivered message back"
    assert final.to_enc is None and final.body_enc is None, "a final message keeps no number or text"
    assert (await deliver_due(twilio_runtime)).sent == 0, "sent once"


async def test_temporary_failures_are_retried_with_backoff(
    twilio_runtime: Runtime, fake_twilio: FakeTwilio, session: AsyncSession
) -> None:
    now = datetime.now(UTC)
    message_id = await queue_one(twilio_runtime, now=now)
    fake_twilio.fail_next(2, 503)
    assert (await deliver_due(twilio_runtime, now=now)).retrying == 1
    first = await row(session, message_id)
    assert first.status == "pending" and first.attempts == 1
    assert first.next_attempt_at is not None and first.next_attempt_at > now
    assert (await deliver_due(twilio_runtime, now=now)).sent == 0, "not before its backoff"
    later = now + timedelta(minutes=1)
    assert (await deliver_due(twilio_runtime, now=later)).retrying == 1
    much_later = later + timedelta(minutes=5)
    assert (await deliver_due(twilio_runtime, now=much_later)).sent == 1
    assert (await row(session, message_id)).attempts == 3
    assert len(fake_twilio.messages) == 1


async def test_a_permanent_failure_or_too_many_attempts_ends_in_failed(
    twilio_runtime: Runtime, fake_twilio: FakeTwilio, session: AsyncSession
) -> None:
    refused = await queue_one(twilio_runtime)
    fake_twilio.fail_next(1, 400)
    assert (await deliver_due(twilio_runtime)).failed == 1
    assert (await row(session, refused)).status == "failed"

    now = datetime.now(UTC)
    flaky = await queue_one(twilio_runtime, now=now)
    fake_twilio.fail_next(MAX_ATTEMPTS, 500)
    for _attempt in range(MAX_ATTEMPTS):
        now += timedelta(hours=1)
        await deliver_due(twilio_runtime, now=now)
    stored = await row(session, flaky)
    assert stored.status == "failed" and stored.attempts == MAX_ATTEMPTS
    assert stored.to_enc is None
    assert fake_twilio.messages == []


async def test_nothing_is_sent_to_a_caller_who_sent_stop(
    twilio_runtime: Runtime, fake_twilio: FakeTwilio, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from hotline.core.security import caller_ref

    await text(client, "STOP", sender=NUMBER)
    ref = caller_ref(twilio_runtime.pepper, NUMBER)
    message_id = await queue_one(twilio_runtime, caller_ref=ref)
    await deliver_due(twilio_runtime)
    assert fake_twilio.messages == []
    stored = await row(session, message_id)
    assert stored.status == "suppressed" and stored.to_enc is None


async def test_a_failing_twilio_never_loses_or_blocks_a_case(
    twilio_runtime: Runtime, fake_twilio: FakeTwilio, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Sends happen apart from the pipeline: with Twilio down, the report still becomes a case."""
    await queue_one(twilio_runtime)
    fake_twilio.fail_next(50, 500)
    await text(client, "Ils ont enfermé ma soeur à Douala, venez vite", sender="+237690000002")
    await deliver_due(twilio_runtime)
    await drain(twilio_runtime)
    assert (await session.execute(select(Case))).scalar_one().severity == "critical"


async def test_a_status_for_an_unknown_message_is_accepted_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert (await report_status(client, "SM" + "e" * 32, "delivered")).status_code == 204
    assert 'outcome="unknown_message",route="sms.status"} 1.0' in (await client.get("/metrics")).text


async def test_each_status_is_counted_as_advanced_ignored_or_unknown_and_keeps_twilios_error(
    twilio_runtime: Runtime, fake_twilio: FakeTwilio, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    message_id = await queue_one(twilio_runtime)
    await deliver_due(twilio_runtime)
    [sent] = fake_twilio.messages
    undelivered = {"MessageSid": sent["sid"], "MessageStatus": "undelivered", "ErrorCode": "30003"}
    response = await post_signed(
        client,
        "/twilio/sms/status",
        {**undelivered, "AccountSid": ACCOUNT_SID},
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
    )
    assert response.status_code == 204
    await report_status(client, sent["sid"], "sent")  # late: behind a final status
    await report_status(client, sent["sid"], "bogus")  # not a status we know: never a move
    stored = await row(session, message_id)
    assert (stored.status, stored.last_error) == ("undelivered", "twilio 30003")
    assert stored.to_enc is None and stored.body_enc is None and stored.next_attempt_at is None
    metrics = (await client.get("/metrics")).text
    assert 'outcome="advanced",route="sms.status"} 1.0' in metrics
    assert 'outcome="ignored",route="sms.status"} 2.0' in metrics


def test_backoff_doubles_and_is_capped() -> None:
    assert backoff(1, jitter=0) == timedelta(seconds=15)
    assert backoff(2, jitter=0) == timedelta(seconds=30)
    assert backoff(5, jitter=0) == timedelta(minutes=4)
    assert backoff(30, jitter=0) == timedelta(minutes=30)
    assert timedelta(seconds=12) <= backoff(1) <= timedelta(seconds=18)


def test_statuses_are_ordered_so_that_final_ones_are_never_left() -> None:
    assert outbound.advances("queued", "delivered")
    assert not outbound.advances("delivered", "sent")
    assert not outbound.advances("failed", "delivered")
    assert outbound.advances("delivered", "read")
    assert not outbound.advances("queued", "something-new")


async def test_concurrent_statuses_settle_on_the_furthest_one(committed_runtime: Runtime) -> None:
    """Callbacks arriving together and out of order: the UPDATE's own row lock orders them."""
    async with committed_runtime.sessions() as session:
        message = await enqueue(
            session, committed_runtime.keyring, to=NUMBER, body="Bonjour", purpose="caller_reply"
        )
        message.status, message.provider_sid = "queued", "SM" + "c" * 32
        await session.commit()
    statuses = ["sending", "sent", "delivered", "read", "sent", "queued", "delivered", "sending"]
    transport = httpx.ASGITransport(app=app_for(committed_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answers = await asyncio.gather(*(report_status(client, "SM" + "c" * 32, s) for s in statuses))
    assert {a.status_code for a in answers} == {204}
    async with committed_runtime.sessions() as session:
        stored = (await session.execute(select(OutboundMessage))).scalar_one()
    assert stored.status == "read" and stored.body_enc is None
