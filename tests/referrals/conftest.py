"""A directory, cases and agents for the referral tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Agent, Case, Contact, Referral, Role
from hotline.privacy.sealed import set_agent_phone, set_contact_answers, set_contact_body
from hotline.referrals import lifecycle
from tests.fixtures.accounts import make_agent
from tests.fixtures.references import unique_reference
from tests.fixtures.referrals import Directory, directory

__all__ = ["Directory", "directory"]

WORDS = "Ma fille de 15 ans est enfermée chez un patron à Douala, appelez-moi au 677 12 34 56"
AGENT_PHONE = "+237677000111"


async def make_case(
    runtime: Runtime,
    *,
    share: bool | None = None,
    region: str | None = "Littoral",
    category: str = "trafficking",
    minor: bool = False,
    imminent_danger: bool = False,
    abroad: bool = False,
    form: str | None = None,
    language: str = "fr",
    status: str = "acknowledged",
    channel: str = "voice",
    received: datetime | None = None,
    assignee: Agent | None = None,
) -> Case:
    """A case with one contact (the caller's words sealed) and, when given, the answer ``share``."""
    now = received or datetime.now(UTC)
    async with unit_of_work(runtime.sessions) as session:
        case = Case(
            id=uuid.uuid4(),
            reference=unique_reference(),
            status=status,
            channel=channel,
            caller_ref="c" * 64,
            region=region,
            category=category,
            form=form,
            severity="critical" if imminent_danger else "high",
            minor=minor,
            imminent_danger=imminent_danger,
            abroad=abroad,
            language=language,
            reasons=[],
            created_at=now,
            updated_at=now,
            assignee_id=assignee.id if assignee else None,
        )
        session.add(case)
        await session.flush()
        await add_contact(runtime, case, share=share, received=now, session=session)
        return case


async def add_contact(
    runtime: Runtime, case: Case, *, share: bool | None, received: datetime, session: Any = None
) -> Contact:
    async def add(s: Any) -> Contact:
        contact = Contact(
            id=uuid.uuid4(),
            provider="twilio",
            provider_id=f"CA{uuid.uuid4().hex}",
            channel=case.channel,
            caller_ref=case.caller_ref,
            reference=unique_reference(),
            case_id=case.id,
            received_at=received,
        )
        set_contact_body(runtime.keyring, contact, WORDS)
        answers: dict[str, Any] = {"menu": "trafficking"}
        if share is not None:
            answers["share"] = share
        set_contact_answers(runtime.keyring, contact, answers)
        s.add(contact)
        await s.flush()
        return contact

    if session is not None:
        return await add(session)
    async with unit_of_work(runtime.sessions) as s:
        return await add(s)


async def agent_with_phone(
    runtime: Runtime, username: str, role: Role, regions: tuple[str, ...] = ()
) -> Agent:
    agent = await make_agent(runtime, username, role, regions)
    async with unit_of_work(runtime.sessions) as session:
        row = await session.get(Agent, agent.id)
        assert row is not None
        set_agent_phone(runtime.keyring, row, AGENT_PHONE)
        row.display_name = f"{username.title()} Demo"
    return row


def later(minutes: float, start: datetime | None = None) -> datetime:
    return (start or datetime.now(UTC)) + timedelta(minutes=minutes)


async def refer(
    runtime: Runtime,
    case: Case,
    agent: Agent,
    directory: Directory,
    slug: str,
    contact: str,
    needs: str = "Intervention",
    *,
    now: datetime,
    send: bool = True,
) -> Referral:
    """A referral of ``case`` to one contact of a demo partner, sent unless ``send`` is False."""
    async with unit_of_work(runtime.sessions) as session:
        row = await session.get(Case, case.id)
        assert row is not None
        referral = await lifecycle.create(
            session,
            runtime.keyring,
            row,
            agent,
            directory.partner(slug),
            directory.contact(contact),
            needs,
            now=now,
        )
        if send:
            await lifecycle.send(session, runtime, referral, agent, now=now)
        return referral
