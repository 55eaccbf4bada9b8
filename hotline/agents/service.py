"""Creating and finding accounts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.security import hash_password
from hotline.models import Agent, Role

REGIONS = (
    "Adamaoua",
    "Centre",
    "Est",
    "Extreme-Nord",
    "Littoral",
    "Nord",
    "Nord-Ouest",
    "Ouest",
    "Sud",
    "Sud-Ouest",
)
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    pass


async def create_agent(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role,
    regions: Iterable[str] = (),
    display_name: str = "",
    languages: Iterable[str] = ("fr", "en"),
) -> Agent:
    username = username.strip().lower()
    if not username or len(username) > 64:
        raise AccountError("a username is 1 to 64 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password is at least {MIN_PASSWORD_LENGTH} characters")
    unknown = [r for r in regions if r not in REGIONS]
    if unknown:
        raise AccountError(f"unknown region {unknown[0]!r}; regions are: {', '.join(REGIONS)}")
    if await find_by_username(session, username) is not None:
        raise AccountError(f"username {username!r} is taken")
    agent = Agent(
        username=username,
        display_name=display_name or username,
        # argon2 is ~50-400 ms of CPU: never on the event loop (the admin page creates accounts)
        password_hash=await asyncio.to_thread(hash_password, password),
        role=role.value,
        regions=list(dict.fromkeys(regions)),
        languages=list(languages),
    )
    session.add(agent)
    await session.flush()
    return agent


async def find_by_username(session: AsyncSession, username: str) -> Agent | None:
    if "\x00" in username:
        return None  # no account has one, and PostgreSQL refuses NUL in text (a 500, found by fuzzing)
    result = await session.execute(select(Agent).where(Agent.username == username.strip().lower()))
    return result.scalar_one_or_none()
