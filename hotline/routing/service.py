"""Importing and reading rosters, and who is on call now.

An import checks the document against the accounts (everyone named exists, may hold a
shift, and is active), applies each person's languages and reach to their account (a
phone is sealed, never stored in the roster), and stores the document without phones as
the new roster in force. The previous versions stay, for the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.agents.service import REGIONS
from hotline.audit import service as audit
from hotline.core.crypto import Keyring
from hotline.models import Agent, Roster
from hotline.routing import repository
from hotline.routing.reach import ReachError, set_reach
from hotline.routing.roster import NATIONAL, RosterDocument, RosterError


@dataclass(frozen=True, slots=True)
class ImportSummary:
    roster_id: int
    teams: int
    people: int
    phones: int


async def import_roster(
    session: AsyncSession,
    document: RosterDocument,
    *,
    keyring: Keyring,
    pepper: str,
    imported_by: str = "cli",
    default_region: str = "CM",
    now: datetime | None = None,
) -> ImportSummary:
    names = document.usernames()
    known = await repository.agents_by_username(session, names)
    missing = sorted(names - set(known))
    if missing:
        raise RosterError(
            f"unknown or inactive account{'s' if len(missing) > 1 else ''}: {', '.join(missing[:5])}"
            + (" …" if len(missing) > 5 else "")
        )
    phones = 0
    for person in document.people:
        agent = known[person.username]
        if person.languages is not None:
            agent.languages = list(person.languages)
        try:
            await set_reach(
                session,
                keyring=keyring,
                pepper=pepper,
                agent=agent,
                phone=person.phone,
                channels=person.channels,
                default_region=default_region,
            )
        except ReachError as exc:
            raise RosterError(str(exc)) from None
        phones += person.phone is not None
    stored = RosterDocument.model_validate(document.model_dump(exclude={"people": {"__all__": {"phone"}}}))
    row = Roster(document=stored.model_dump(mode="json"), imported_by=imported_by[:96])
    if now is not None:
        row.imported_at = now
    session.add(row)
    await session.flush()
    await audit.append(
        session,
        actor=imported_by[:96],
        action="roster.imported",
        subject=f"roster:{row.id}",
        details={
            "teams": len(document.teams),
            "people": len(document.people),
            "overrides": len(document.overrides),
        },
        at=now,
    )
    return ImportSummary(row.id, len(document.teams), len(document.people), phones)


async def active_usernames(session: AsyncSession) -> set[str]:
    rows = await session.execute(
        select(Agent.username).where(Agent.active.is_(True), Agent.role.in_(repository.ON_CALL_ROLES))
    )
    return set(rows.scalars())


async def uncovered_now(session: AsyncSession, now: datetime) -> list[str]:
    """Regions (and ``national``) with no active primary on call at ``now``."""
    roster = await repository.current_roster(session)
    active = await active_usernames(session)
    missing: list[str] = []
    for key in (*REGIONS, NATIONAL):
        team = roster.team(key)
        if team is None or not [u for u in roster.on_call(team, "primary", now) if u in active]:
            missing.append(key)
    return missing
