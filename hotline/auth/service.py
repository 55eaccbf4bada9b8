"""The password step of a sign-in, the same for the console and the API (hotline.auth.throttle)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hotline.agents.service import find_by_username
from hotline.audit import service as audit
from hotline.auth import throttle
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.core.security import DUMMY_PASSWORD_HASH, PasswordCheckBusy
from hotline.models import Agent

log = get_logger(__name__)

#: Why a password step was refused: a closed set (metrics label, audit detail).
REFUSALS = ("throttled", "busy", "password", "locked", "inactive")


@dataclass(frozen=True, slots=True)
class PasswordStep:
    agent: Agent | None
    #: None when the password was right and nothing holds the account back
    refused: str | None
    retry_after: timedelta | None = None

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int(self.retry_after.total_seconds()) + 1) if self.retry_after else 1


async def check_password(
    runtime: Runtime,
    session: AsyncSession,
    *,
    door: str,
    username: str,
    password: str,
    address: str,
    now: datetime,
    exempt_from_account_lock: Callable[[Agent], bool],
) -> PasswordStep:
    """Check one sign-in's password, counting failures per pair and per account.

    A throttled pair or a full hashing queue is refused before any hashing or audit write
    (what keeps a flood cheap); a wrong password, an inactive account and an account lock are
    audited as ``auth.failed``. The caller commits, and answers every refusal alike.
    """
    settings = runtime.settings
    # The reads take a connection of their own, returned before the hash: a sign-in waiting
    # for the hashing pool holds no database connection (issue 20: a flood exhausted the pool
    # and webhooks timed out on it), and ``session`` only opens one for the writes after.
    async with runtime.sessions() as probe:
        wait = await throttle.pair_wait(probe, settings, username, address, now)
        found = await find_by_username(probe, username) if wait is None else None
        password_hash = found.password_hash if found else DUMMY_PASSWORD_HASH
        agent_id = found.id if found else None
    if wait is not None:
        return _refused(runtime, door, None, "throttled", wait)
    try:
        valid = await runtime.passwords.verify(password_hash, password)
    except PasswordCheckBusy:
        return _refused(runtime, door, None, "busy", timedelta(seconds=1))
    agent = await session.get(Agent, agent_id) if agent_id is not None else None
    reason: str | None = None
    if agent is None or not valid:
        reason = "password"
        await throttle.pair_failed(session, settings, username, address, now)
        if agent is not None:
            throttle.account_failed(agent, settings, now)
    elif not agent.active:
        reason = "inactive"
    elif throttle.account_locked(agent, now) and not exempt_from_account_lock(agent):
        reason = "locked"
    if reason is None:
        return PasswordStep(agent, None)
    await audit.append(
        session,
        actor=f"agent:{agent.id}" if agent else "anonymous",
        action="auth.failed",
        details={
            "method": "console" if door == "console" else "password",
            "reason": "password" if reason == "inactive" else reason,
        },
    )
    return _refused(runtime, door, agent, reason, None)


def _refused(
    runtime: Runtime, door: str, agent: Agent | None, reason: str, wait: timedelta | None
) -> PasswordStep:
    runtime.metrics.sign_ins.labels(door=door, outcome=reason).inc()
    if reason in ("throttled", "busy"):
        log.info("auth.sign_in_held", door=door, reason=reason)
    return PasswordStep(agent, reason, wait)
