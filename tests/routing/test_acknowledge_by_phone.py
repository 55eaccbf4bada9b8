"""Agents acknowledge from their phone: an SMS reply, or pressing 1 during the alert call."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.models import AuditEntry, Case, Contact
from hotline.routing.sms import INVALID, parse_ack
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.fake_twilio import FakeTwilio
from tests.fixtures.routing import PHONES, T0, FakeClock, littoral_team, open_case
from tests.fixtures.twilio import ACCOUNT_SID, call_form, post_signed, sms_form


async def text(client: httpx.AsyncClient, sender: str, body: str) -> httpx.Response:
    return await post_signed(
        client,
        "/twilio/sms/incoming",
        sms_form(sender=sender, body=body, account_sid=ACCOUNT_SID),
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
    )


async def reload(session: AsyncSession, case_id: object) -> Case:
    session.expire_all()
    return (await session.execute(select(Case).where(Case.id == case_id))).scalar_one()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", (True, None)),
        ("OK", (True, None)),
        ("ok 5712 2656", (True, "57122656")),
        ("OK57122656", (True, "57122656")),
        ("Oui 57122656.", (True, "57122656")),
        ("ok 12345678", (True, INVALID)),
        ("okay", (False, None)),
        ("11", (False, None)),
        ("ok they beat her", (False, None)),
    ],
)
def test_what_reads_as_an_acknowledgement(typed: str, expected: tuple[bool, str | None]) -> None:
    """ "OK <reference>" (spaces, dashes and case do not matter) or a lone "1"; nothing else."""
    assert parse_ack(typed) == expected


async def test_an_sms_reply_ok_reference_from_the_agent_acknowledges_the_case(
    client: httpx.AsyncClient,
    wired: Runtime,
    session: AsyncSession,
    fake_twilio: FakeTwilio,
    clock: FakeClock,
) -> None:
    """The agent's "OK <ref>" stops the escalation, is answered, and never becomes a report."""
    await littoral_team(wired)
    case = await open_case(wired, now=T0)
    await Worker(wired, clock=clock).escalations.run_due()
    reply = await text(client, PHONES["alice"], f"ok {case.reference}")
    assert reply.status_code == 200
    assert f"case {case.reference} acknowledged" in reply.text
    case = await reload(session, case.id)
    assert case.status == "acknowledged"
    assert case.escalation is not None and case.escalation["sla"]["via"] == "sms"
    assert await session.scalar(select(func.count()).select_from(Contact)) == 0


async def test_a_lone_1_acknowledges_the_latest_alert(
    client: httpx.AsyncClient, wired: Runtime, session: AsyncSession, clock: FakeClock
) -> None:
    await littoral_team(wired)
    case = await open_case(wired, now=T0)
    await Worker(wired, clock=clock).escalations.run_due()
    reply = await text(client, PHONES["alice"], "1")
    assert "acknowledged" in reply.text
    assert (await reload(session, case.id)).status == "acknowledged"


async def test_an_sms_ack_from_someone_not_alerted_is_refused_and_recorded(
    client: httpx.AsyncClient, wired: Runtime, session: AsyncSession, clock: FakeClock
) -> None:
    await littoral_team(wired)
    case = await open_case(wired, now=T0)
    await Worker(wired, clock=clock).escalations.run_due()
    reply = await text(client, PHONES["carol"], f"OK {case.reference}")
    assert "not waiting for you" in reply.text
    assert (await reload(session, case.id)).status == "new"
    refused = (
        await session.execute(select(AuditEntry).where(AuditEntry.action == "case.ack_refused"))
    ).scalar_one()
    assert refused.details == {"via": "sms", "reason": "not_target"}


async def test_a_text_from_an_unknown_number_saying_ok_is_a_report(
    client: httpx.AsyncClient, wired: Runtime, session: AsyncSession, clock: FakeClock
) -> None:
    """Only known agents' phones acknowledge; a caller's "1" goes to the report path as before."""
    await littoral_team(wired)
    await open_case(wired, now=T0)
    reply = await text(client, "+237655443322", "1")
    assert reply.status_code == 200
    assert "acknowledged" not in reply.text
    assert await session.scalar(select(func.count()).select_from(Contact)) == 1


async def test_pressing_1_during_the_alert_call_acknowledges(
    client: httpx.AsyncClient,
    wired: Runtime,
    session: AsyncSession,
    fake_twilio: FakeTwilio,
    clock: FakeClock,
) -> None:
    """The call says reference, severity, category and region, gathers one digit, and 1 acknowledges."""
    await littoral_team(wired)
    case = await open_case(wired, now=T0)
    await Worker(wired, clock=clock).escalations.run_due()
    url = fake_twilio.calls[0]["Url"]
    path = url.removeprefix(PUBLIC_BASE_URL)
    form = call_form(caller="+237222001503", account_sid=ACCOUNT_SID)
    form.update({"To": PHONES["alice"], "Direction": "outbound-api", "CallStatus": "in-progress"})
    unsigned = await client.post(path, data=form)
    assert unsigned.status_code == 403
    twiml = await post_signed(client, path, form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL)
    assert twiml.status_code == 200
    root = ElementTree.fromstring(twiml.text)
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    spoken = " ".join(s.text or "" for s in gather.iter("Say"))
    assert ", ".join(case.reference) in spoken
    assert "critical" in spoken and "trafficking" in spoken and "Littoral" in spoken
    action = (gather.get("action") or "").removeprefix(PUBLIC_BASE_URL)

    wrong = await post_signed(
        client, action, {**form, "Digits": "2"}, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )
    assert "Not acknowledged" in wrong.text
    assert (await reload(session, case.id)).status == "new"
    pressed = await post_signed(
        client, action, {**form, "Digits": "1"}, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )
    assert "the case is yours" in pressed.text
    case = await reload(session, case.id)
    assert case.status == "acknowledged"
    assert case.escalation is not None and case.escalation["sla"]["via"] == "voice"
    clock.set(T0 + timedelta(minutes=5))
    assert await Worker(wired, clock=clock).escalations.run_due() == 0
