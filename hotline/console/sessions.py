"""Console sign-in: server-side sessions, CSRF tokens, the second factor and the back-off.

The cookie holds a random token; the ``console_sessions`` row is keyed by its SHA-256, so a
database dump holds no cookie anyone could replay. A session is ``verified`` once the second
factor is passed (or when the account needs none); until then it opens only the TOTP pages.
Sessions end after ``console_idle_minutes`` without a request, after ``console_session_hours``
in any case, at sign-out, and all at once at "sign out everywhere".
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.config import Settings
from hotline.core.crypto import Keyring
from hotline.models import Agent, ConsoleSession, Role
from hotline.privacy.sealed import SealedColumn

COOKIE = "hotline_session"
PRE_CSRF_COOKIE = "hotline_csrf"
TOTP_SECRET = SealedColumn("agents", "totp_secret_enc")
TOTP_REQUIRED = (Role.supervisor.value, Role.admin.value)
TOUCH_EVERY = timedelta(seconds=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Signed:
    agent: Agent
    row: ConsoleSession


async def open_session(session: AsyncSession, agent: Agent, *, verified: bool, now: datetime) -> str:
    token = new_token()
    session.add(
        ConsoleSession(
            id=_digest(token),
            agent_id=agent.id,
            csrf_token=new_token(),
            verified=verified,
            created_at=now,
            last_seen_at=now,
        )
    )
    await session.flush()
    return token


async def find_session(
    session: AsyncSession, settings: Settings, token: str, *, now: datetime
) -> Signed | None:
    """The live session of this cookie, touched; an idle or too old one is deleted."""
    row = await session.get(ConsoleSession, _digest(token))
    if row is None:
        return None
    idle = timedelta(minutes=settings.console_idle_minutes)
    limit = timedelta(hours=settings.console_session_hours)
    if now - row.last_seen_at > idle or now - row.created_at > limit:
        await session.delete(row)
        await session.flush()
        return None
    agent = await session.get(Agent, row.agent_id)
    if agent is None or not agent.active:
        await session.delete(row)
        await session.flush()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        await session.flush()
    return Signed(agent, row)


async def close_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.id == _digest(token)))


async def close_all_sessions(session: AsyncSession, agent: Agent) -> int:
    """Sign the person out everywhere: every console session and every API bearer token.

    Tokens are stateless JWTs carrying ``agents.token_generation``; moving it on refuses
    every token issued before (``hotline.auth.dependencies.current_agent``). Returns how
    many console sessions ended.
    """
    agent.token_generation += 1
    rows = (await session.execute(select(ConsoleSession.id).where(ConsoleSession.agent_id == agent.id))).all()
    await session.execute(delete(ConsoleSession).where(ConsoleSession.agent_id == agent.id))
    return len(rows)


async def mark_verified(session: AsyncSession, row: ConsoleSession, *, now: datetime) -> None:
    row.verified = True
    row.csrf_token = new_token()  # a new privilege level, a new token
    row.last_seen_at = now
    await session.flush()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())


# The second factor.


def needs_second_factor(agent: Agent) -> bool:
    return agent.totp_secret_enc is not None or agent.role in TOTP_REQUIRED


def totp_secret(keyring: Keyring, agent: Agent) -> str | None:
    return keyring.open_optional(agent.totp_secret_enc, TOTP_SECRET.at(agent.id))


def set_totp_secret(keyring: Keyring, agent: Agent, secret: str | None) -> None:
    agent.totp_secret_enc = keyring.seal_optional(secret, TOTP_SECRET.at(agent.id))
    # "a code is good once" is per key: a new key's codes start afresh
    agent.totp_last_step = None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="1503 hotline")
