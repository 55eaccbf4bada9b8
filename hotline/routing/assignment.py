"""Who a case goes to, and who an escalation step reaches.

A triaged case goes to a primary on call of its region's team (the national team's when the
region is unknown or abroad), preferring someone who speaks the caller's language, then the
one with the fewest open cases, then rotation order. When nobody is on call for the region,
the case goes to the national team's primary and the first step also reaches the national
team and the supervisors: a coverage gap is loud, never silent.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Agent, Case
from hotline.routing import repository
from hotline.routing.policy import Target
from hotline.routing.roster import NATIONAL, RoleName, RosterDocument, Team


@dataclass(frozen=True, slots=True)
class Choice:
    team: str | None
    agent: Agent | None
    coverage_gap: bool
    language_match: bool
    open_cases: int


def speaks(agent: Agent, language: str | None) -> bool:
    return language in (None, "mixed") or language in (agent.languages or [])


async def _holders(
    session: AsyncSession, roster: RosterDocument, team: Team | None, role: RoleName, at: datetime
) -> list[Agent]:
    if team is None:
        return []
    names = roster.on_call(team, role, at)
    found = await repository.agents_by_username(session, names)
    return [found[n] for n in names if n in found]


async def pick(
    session: AsyncSession, candidates: Sequence[Agent], language: str | None
) -> tuple[Agent, bool, int] | None:
    """Language first, then the fewest open cases, then the order given (rotation order)."""
    if not candidates:
        return None
    counts = await repository.open_case_counts(session, [a.id for a in candidates])
    ranked = sorted(
        enumerate(candidates), key=lambda ia: (not speaks(ia[1], language), counts.get(ia[1].id, 0), ia[0])
    )
    agent = ranked[0][1]
    return agent, speaks(agent, language), counts.get(agent.id, 0)


async def choose_assignee(session: AsyncSession, roster: RosterDocument, case: Case, at: datetime) -> Choice:
    regional = bool(case.region) and not case.abroad
    # A known region without a team of its own is a gap too: the national team covers it, loudly.
    team = roster.team(str(case.region)) if regional else roster.team(NATIONAL)
    primaries = await _holders(session, roster, team, "primary", at)
    gap = not primaries
    if team is None and regional:
        team = roster.team(NATIONAL)
    if gap:
        national = roster.team(NATIONAL)
        primaries = await _holders(session, roster, national, "primary", at) or await _holders(
            session, roster, national, "backup", at
        )
    picked = await pick(session, primaries, case.language)
    team_key = team.key if team is not None else None
    if picked is None:
        return Choice(team_key, None, True, False, 0)
    agent, match, count = picked
    return Choice(team_key, agent, gap, match, count)


async def resolve_targets(
    session: AsyncSession,
    roster: RosterDocument,
    case: Case,
    team_key: str | None,
    targets: Iterable[str],
    at: datetime,
) -> list[Agent]:
    """The people a step reaches, in order, each once, active accounts only."""
    team = roster.team(team_key) if team_key else None
    national = roster.team(NATIONAL)
    found: list[Agent] = []
    for target in targets:
        if target == Target.primary:
            assignee = await session.get(Agent, case.assignee_id) if case.assignee_id else None
            if assignee is not None and assignee.active:
                found.append(assignee)
            else:
                choice = await choose_assignee(session, roster, case, at)
                found.extend([choice.agent] if choice.agent else [])
        elif target == Target.on_call:
            found.extend(await _holders(session, roster, team, "primary", at))
        elif target == Target.backup:
            backups = await _holders(session, roster, team, "backup", at)
            found.extend(backups or await _holders(session, roster, national, "backup", at))
        elif target == Target.national:
            found.extend(await _holders(session, roster, national, "primary", at))
            found.extend(await _holders(session, roster, national, "backup", at))
        elif target == Target.supervisors:
            found.extend(await supervisors_for(session, roster, team))
    unique: dict[uuid.UUID, Agent] = {}
    for agent in found:
        unique.setdefault(agent.id, agent)
    return list(unique.values())


async def supervisors_for(session: AsyncSession, roster: RosterDocument, team: Team | None) -> list[Agent]:
    names: list[str] = []
    for t in (team, roster.team(NATIONAL)):
        if t is not None:
            names.extend(t.supervisors)
    found = await repository.agents_by_username(session, names)
    listed = [found[n] for n in dict.fromkeys(names) if n in found]
    return listed or await repository.supervisors(session)
