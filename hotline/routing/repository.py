"""Queries of the routing room: the roster in force, agents, their reach and their load."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.security import derive_key
from hotline.models import Agent, AgentReach, Case, CaseStatus, Role, Roster
from hotline.routing.roster import EMPTY_ROSTER, RosterDocument, roster_from

# Roles that can hold a shift (analysts never see cases).
ON_CALL_ROLES = (Role.agent.value, Role.supervisor.value, Role.admin.value)


def phone_ref(pepper: str, e164: str) -> str:
    """Keyed hash of an agent's number, to recognise their texts without opening the sealed phone."""
    return hmac.new(derive_key(pepper, "agent-phone"), e164.encode(), hashlib.sha256).hexdigest()


async def current_roster(session: AsyncSession) -> RosterDocument:
    row = (await session.execute(select(Roster).order_by(Roster.id.desc()).limit(1))).scalar_one_or_none()
    if row is None:
        return EMPTY_ROSTER
    return roster_from(row.document, f"roster #{row.id}")


async def agents_by_username(session: AsyncSession, usernames: Iterable[str]) -> dict[str, Agent]:
    names = sorted(set(usernames))
    if not names:
        return {}
    rows = await session.execute(
        select(Agent).where(Agent.username.in_(names), Agent.active.is_(True), Agent.role.in_(ON_CALL_ROLES))
    )
    return {a.username: a for a in rows.scalars()}


async def supervisors(session: AsyncSession) -> list[Agent]:
    rows = await session.execute(
        select(Agent)
        .where(Agent.role == Role.supervisor.value, Agent.active.is_(True))
        .order_by(Agent.username)
    )
    return list(rows.scalars())


async def open_case_counts(session: AsyncSession, agent_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    ids = list(agent_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Case.assignee_id, func.count())
        .where(Case.assignee_id.in_(ids), Case.status != CaseStatus.closed.value)
        .group_by(Case.assignee_id)
    )
    counts = {agent_id: 0 for agent_id in ids}
    counts.update({row[0]: int(row[1]) for row in rows if row[0] is not None})
    return counts


async def reach_of(session: AsyncSession, agent_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AgentReach]:
    ids = list(agent_ids)
    if not ids:
        return {}
    rows = await session.execute(select(AgentReach).where(AgentReach.agent_id.in_(ids)))
    return {r.agent_id: r for r in rows.scalars()}


async def agent_by_phone_ref(session: AsyncSession, ref: str) -> Agent | None:
    row = await session.execute(
        select(Agent)
        .join(AgentReach, AgentReach.agent_id == Agent.id)
        .where(AgentReach.phone_ref == ref, Agent.active.is_(True))
    )
    return row.scalar_one_or_none()
