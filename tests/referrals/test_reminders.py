"""An unanswered referral is chased on a clock: the partner gets its link again, the agent an SMS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.models import AuditEntry, OutboundMessage, Referral, ReferralLink, Role
from hotline.referrals import lifecycle
from hotline.referrals.links import token_for
from hotline.sms.outbound import OUTBOUND_BODY, OUTBOUND_TO
from tests.referrals.conftest import AGENT_PHONE, Directory, agent_with_phone, make_case, refer

SENT_AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def sent(runtime: Runtime, directory: Directory, *, minutes_after: float = 0) -> Referral:
    agent = await agent_with_phone(runtime, f"awa{minutes_after:g}", Role.agent, ("Littoral",))
    case = await make_case(runtime, share=True, assignee=agent)
    at = SENT_AT + timedelta(minutes=minutes_after)
    return await refer(runtime, case, agent, directory, "police-littoral", "Cdt. Jean Modèle", now=at)


async def remind(runtime: Runtime, at: datetime) -> lifecycle.Reminded:
    async with unit_of_work(runtime.sessions) as session:
        return await lifecycle.remind_due(session, runtime, now=at)


async def messages(runtime: Runtime, session: AsyncSession, purpose: str) -> list[tuple[str, str]]:
    rows = (
        await session.execute(
            select(OutboundMessage)
            .where(OutboundMessage.purpose == purpose)
            .order_by(OutboundMessage.created_at)
        )
    ).scalars()
    return [
        (
            runtime.keyring.open(m.to_enc or "", OUTBOUND_TO.at(m.id)),
            runtime.keyring.open(m.body_enc or "", OUTBOUND_BODY.at(m.id)),
        )
        for m in rows
    ]


async def test_reminders_follow_the_configured_delay_and_stop_at_the_maximum(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    delay = runtime.settings.referral_remind_after_minutes
    maximum = runtime.settings.referral_max_reminders
    referral = await sent(runtime, directory)

    assert (await remind(runtime, SENT_AT + timedelta(minutes=delay - 1))).referrals == 0
    first = await remind(runtime, SENT_AT + timedelta(minutes=delay))
    assert (first.referrals, first.partner_messages, first.agent_messages) == (1, 1, 1)
    assert (await remind(runtime, SENT_AT + timedelta(minutes=delay + 5))).referrals == 0, (
        "not twice in a row"
    )
    for n in range(2, maximum + 1):
        assert (await remind(runtime, SENT_AT + timedelta(minutes=delay * n))).referrals == 1
    assert (await remind(runtime, SENT_AT + timedelta(minutes=delay * (maximum + 5)))).referrals == 0

    link = (await session.execute(select(ReferralLink))).scalar_one()
    token = token_for(runtime.settings.secret_key.get_secret_value(), link.id)
    partner = await messages(runtime, session, "referral_reminder")
    to_partner = [body for to, body in partner if to == "+237699990201"]
    to_agent = [body for to, body in partner if to == AGENT_PHONE]
    assert len(to_partner) == maximum and all(body.endswith(f"/r/{token}") for body in to_partner)
    assert len(to_agent) == maximum and all(
        referral.shared and referral.shared["fields"]["reference"] in b for b in to_agent
    )
    audited = (
        await session.execute(
            select(AuditEntry.details)
            .where(AuditEntry.action == "referral.reminded")
            .order_by(AuditEntry.seq)
        )
    ).scalars()
    assert [d["reminder"] for d in audited] == list(range(1, maximum + 1))


async def test_an_answered_referral_is_not_chased_and_leaves_the_overdue_list(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    delay = timedelta(minutes=runtime.settings.referral_remind_after_minutes)
    early = await sent(runtime, directory)
    late = await sent(runtime, directory, minutes_after=30)
    check_at = SENT_AT + delay + timedelta(minutes=10)
    overdue = await lifecycle.overdue(session, now=check_at, delay=delay)
    assert [r.id for r in overdue] == [early.id]
    overdue = await lifecycle.overdue(session, now=check_at + timedelta(minutes=30), delay=delay)
    assert [r.id for r in overdue] == [early.id, late.id], "oldest first"

    async with unit_of_work(runtime.sessions) as s:
        row = await s.get(Referral, early.id)
        link = (
            await s.execute(select(ReferralLink).where(ReferralLink.referral_id == early.id))
        ).scalar_one()
        assert row is not None
        await lifecycle.move_by_partner(s, runtime.keyring, link, row, "accept", note=None, now=SENT_AT)
    reminded = await remind(runtime, check_at + timedelta(minutes=30))
    assert reminded.referrals == 1
    assert [r.id for r in await lifecycle.overdue(session, now=check_at + delay, delay=delay)] == [late.id]


async def test_an_expired_link_is_replaced_in_the_reminder(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    await sent(runtime, directory)
    async with unit_of_work(runtime.sessions) as s:
        link = (await s.execute(select(ReferralLink))).scalar_one()
        link.expires_at = SENT_AT + timedelta(minutes=1)
    await remind(runtime, SENT_AT + timedelta(minutes=runtime.settings.referral_remind_after_minutes))
    links = (await session.execute(select(ReferralLink).order_by(ReferralLink.created_at))).scalars().all()
    assert len(links) == 2
    fresh = token_for(runtime.settings.secret_key.get_secret_value(), links[1].id)
    [(_, body)] = [
        m for m in await messages(runtime, session, "referral_reminder") if m[0] == "+237699990201"
    ]
    assert body.endswith(f"/r/{fresh}")


async def test_the_worker_runs_reminders_with_its_clock(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    await sent(runtime, directory)
    later = SENT_AT + timedelta(minutes=runtime.settings.referral_remind_after_minutes + 1)
    worker = Worker(runtime, clock=lambda: later)
    assert await worker.remind_referrals() == 1
    assert await worker.remind_referrals() == 0
