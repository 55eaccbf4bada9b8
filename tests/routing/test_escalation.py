"""Escalation: every unacknowledged case walks its policy on time, and an acknowledgement stops it."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.models import AuditEntry, Case, EscalationStep, Notification, Role, StepState
from tests.fixtures.accounts import bearer, token_for
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.fake_twilio import FakeTwilio
from tests.fixtures.routing import PHONES, T0, FakeClock, littoral_team, open_case
from tests.fixtures.twilio import ACCOUNT_SID, post_signed, sms_form

WHO = {number: name for name, number in PHONES.items()}
URGENT = "Ma petite soeur de 14 ans est enfermée ce soir à Bonabéri, Douala, ils la battent. Aidez-nous"
CALLER = "+237699887766"


def texted(fake: FakeTwilio, start: int = 0) -> list[str]:
    return [WHO[m["To"]] for m in fake.messages[start:]]


def called(fake: FakeTwilio, start: int = 0) -> list[str]:
    return [WHO[c["To"]] for c in fake.calls[start:]]


async def reload(session: AsyncSession, case_id: object) -> Case:
    session.expire_all()
    return (await session.execute(select(Case).where(Case.id == case_id))).scalar_one()


async def test_a_critical_report_reaches_the_primary_at_once_by_console_sms_and_call(
    client: httpx.AsyncClient,
    wired: Runtime,
    session: AsyncSession,
    fake_twilio: FakeTwilio,
    clock: FakeClock,
) -> None:
    """A critical text becomes a case assigned to the region's primary, who is texted and called at once,
    with the reference, severity, category and region, and nothing the caller said or is."""
    await littoral_team(wired)
    await post_signed(
        client,
        "/twilio/sms/incoming",
        sms_form(sender=CALLER, body=URGENT, account_sid=ACCOUNT_SID),
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
    )
    worker = Worker(wired, block_seconds=0.2, clock=clock)
    while await worker.run_once():
        pass
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"
    assert case.ack_deadline == T0 + timedelta(minutes=5)
    assert await worker.escalations.run_due() == 1

    assert texted(fake_twilio) == ["alice"]
    assert called(fake_twilio) == ["alice"]
    body = fake_twilio.messages[0]["Body"]
    for expected in (case.reference, "CRITICAL", "trafficking", "Littoral"):
        assert expected in body
    for private in ("699887766", "soeur", "Bonab", "14 ans"):
        assert private not in body
    assert fake_twilio.calls[0]["Url"].startswith(f"{PUBLIC_BASE_URL}/twilio/notify/call?case={case.id}")
    channels = sorted((n.channel, n.outcome) for n in (await session.execute(select(Notification))).scalars())
    assert channels == [("console", "delivered"), ("sms", "sent"), ("voice", "sent")]


async def test_an_unacknowledged_critical_case_walks_every_step_on_time(
    wired: Runtime, session: AsyncSession, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    """Critical: primary at once, backup at 5 min, supervisors and national team at 10, then again,
    3 more rounds; no step fires a second early; the SLA is breached at the 5-minute deadline."""
    await littoral_team(wired)
    case = await open_case(wired, now=T0)
    timer = Worker(wired, clock=clock).escalations
    expected = [["alice"], ["bob"], ["sue", "nina"]] * 4
    for minute, who in zip(range(0, 60, 5), expected, strict=True):
        before = len(fake_twilio.messages)
        clock.set(T0 + timedelta(minutes=minute) - timedelta(seconds=1))
        await timer.run_due()
        assert len(fake_twilio.messages) == before, f"a step fired early at minute {minute}"
        clock.set(T0 + timedelta(minutes=minute))
        await timer.run_due()
        assert texted(fake_twilio, before) == who, f"minute {minute}"
        assert called(fake_twilio, len(fake_twilio.calls) - len(who)) == who
    clock.advance(hours=2)
    assert await timer.run_due() == 0, "the policy is spent after its last repeat"
    case = await reload(session, case.id)
    assert case.escalation is not None
    assert case.escalation["state"] == "exhausted"
    assert case.escalation["sla"]["breached_at"] == "2026-12-01T09:05:00.000000Z"
    actions = [a for (a,) in (await session.execute(select(AuditEntry.action)))]
    assert actions.count("case.sla_breached") == 1
    assert "escalation.exhausted" in actions
    assert actions.count("notification.sent") == len(fake_twilio.messages) + len(fake_twilio.calls)


async def test_an_acknowledgement_between_steps_stops_the_next(
    client: httpx.AsyncClient,
    wired: Runtime,
    session: AsyncSession,
    fake_twilio: FakeTwilio,
    clock: FakeClock,
) -> None:
    """Once the primary acknowledges, the backup is never disturbed and the SLA is met."""
    await littoral_team(wired)
    case = await open_case(wired, now=T0)
    timer = Worker(wired, clock=clock).escalations
    await timer.run_due()
    acked = await client.post(
        f"/api/v1/cases/{case.id}/acknowledge", headers=bearer(await token_for(client, "alice"))
    )
    assert acked.status_code == 200, acked.text
    shown = acked.json()
    assert shown["status"] == "acknowledged"
    assert shown["assignee"]["username"] == "alice"
    assert shown["ack_deadline"].startswith("2026-12-01T09:05")
    assert shown["escalation"]["state"] == "acknowledged"
    assert shown["escalation"]["sla"]["met_at"] is not None
    assert shown["escalation"]["sla"]["acknowledged_by"] == str(case.assignee_id)

    for minutes in (5, 10, 60):
        clock.set(T0 + timedelta(minutes=minutes))
        assert await timer.run_due() == 0
    assert texted(fake_twilio) == ["alice"]
    states = {
        s.state
        for s in (await session.execute(select(EscalationStep))).scalars()
        if s.position > 0 or s.kind == "deadline"
    }
    assert states == {StepState.cancelled}


async def test_an_acknowledgement_from_someone_the_case_is_not_waiting_for_is_refused_and_recorded(
    client: httpx.AsyncClient,
    wired: Runtime,
    session: AsyncSession,
    fake_twilio: FakeTwilio,
    clock: FakeClock,
) -> None:
    """Carol works the same region but was not alerted: her acknowledgement is refused, audited,
    and the escalation goes on."""
    people = await littoral_team(wired)
    case = await open_case(wired, now=T0)
    timer = Worker(wired, clock=clock).escalations
    await timer.run_due()
    refused = await client.post(
        f"/api/v1/cases/{case.id}/acknowledge", headers=bearer(await token_for(client, "carol"))
    )
    assert refused.status_code == 403
    assert refused.json()["reason"] == "not_target"
    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.action == "case.ack_refused"))
    ).scalar_one()
    assert entry.actor == f"agent:{people['carol'].id}"
    assert entry.subject == str(case.id)
    assert entry.details == {"via": "console", "reason": "not_target"}
    clock.set(T0 + timedelta(minutes=5))
    await timer.run_due()
    assert texted(fake_twilio) == ["alice", "bob"], "the escalation is not stopped by a refused ack"
    # Bob was reached by step 2: now he may acknowledge, and the case becomes his.
    taken = await client.post(
        f"/api/v1/cases/{case.id}/acknowledge", headers=bearer(await token_for(client, "bob"))
    )
    assert taken.status_code == 200
    assert taken.json()["assignee"]["username"] == "bob"
    assert taken.json()["escalation"]["sla"]["breached_at"] == "2026-12-01T09:05:00.000000Z"
    late = await client.post(
        f"/api/v1/cases/{case.id}/acknowledge", headers=bearer(await token_for(client, "alice"))
    )
    assert late.status_code == 409


async def test_a_failed_sms_moves_to_the_next_channel(
    wired: Runtime, session: AsyncSession, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    """High: console and SMS; when Twilio refuses the SMS, the agent is called instead, and both
    attempts are recorded with their outcome."""
    await littoral_team(wired)
    case = await open_case(wired, now=T0, severity="high")
    fake_twilio.fail_next(1, 500)
    await Worker(wired, clock=clock).escalations.run_due()
    assert fake_twilio.messages == []
    assert called(fake_twilio) == ["alice"]
    rows = (
        (
            await session.execute(
                select(Notification).where(Notification.case_id == case.id).order_by(Notification.channel)
            )
        )
        .scalars()
        .all()
    )
    assert [(n.channel, n.outcome) for n in rows] == [
        ("console", "delivered"),
        ("sms", "failed"),
        ("voice", "sent"),
    ]
    failed = next(n for n in rows if n.outcome == "failed")
    assert failed.detail is not None and "500" in failed.detail
    actions = [a for (a,) in (await session.execute(select(AuditEntry.action)))]
    assert "notification.failed" in actions


async def test_a_case_with_nobody_on_call_goes_to_the_national_team_and_supervisors_at_once(
    wired: Runtime, session: AsyncSession, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    """No one holds the Littoral primary shift: the national primary gets the case, and the first
    step already reaches the national team and the supervisors."""
    from tests.fixtures.routing import install_roster, littoral_roster, on_call_agent

    await littoral_team(wired)
    roster = littoral_roster()
    roster["teams"][0]["rotations"][0]["start"] = "2027-01-01"  # the primary rotation has not begun
    await install_roster(wired, roster)
    await on_call_agent(wired, "dave", role=Role.supervisor)
    case = await open_case(wired, now=T0, severity="medium")
    case = await reload(session, case.id)
    assert case.escalation is not None and case.escalation["coverage_gap"] is True
    await Worker(wired, clock=clock).escalations.run_due()
    assert sorted(texted(fake_twilio)) == ["nina", "sue"]
    assert case.assignee_id is not None
    actions = [a for (a,) in (await session.execute(select(AuditEntry.action)))]
    assert "routing.coverage_gap" in actions


async def test_unknown_region_and_abroad_go_to_the_national_team(
    wired: Runtime, session: AsyncSession, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    """The national team takes cases whose region is unknown or abroad, without calling it a gap."""
    people = await littoral_team(wired)
    unknown = await open_case(wired, now=T0, region=None, severity="high")
    abroad = await open_case(wired, now=T0, region="Littoral", abroad=True, severity="high")
    for case in (unknown, abroad):
        case = await reload(session, case.id)
        assert case.assignee_id == people["nina"].id
        assert case.escalation is not None
        assert case.escalation["coverage_gap"] is False
    await Worker(wired, clock=clock).escalations.run_due()
    assert texted(fake_twilio) == ["nina", "nina"]
    assert "abroad" in fake_twilio.messages[1]["Body"] or "abroad" in fake_twilio.messages[0]["Body"]
