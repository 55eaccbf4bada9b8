"""Limits on guessing, shared by the console and the API (issue 20).

Three limits, each against one kind of attacker:

* **per (username, client address)**: after ``console_lockout_after`` failures from one address,
  each further failure doubles that pair's wait (30 s … 1 h). While it runs, the pair's attempts
  are refused without checking the password, so a flood costs no argon2 time. A stranger at
  another address does not slow the person down.
* **per account**, failures from every address: ``signin_account_lock_after`` of them lock the
  account's *password-only* sign-ins, with the same growing wait. A browser the person signed in
  from before (a known-device cookie) and a sign-in that also proves the second factor are not
  locked out by it: that is what keeps a distributed guesser from locking the real person out.
* **the second factor, per account**: wrong codes count on the account whatever the session or
  the door, ``console_lockout_after`` of them lock codes with a growing wait, and a code is good
  once (its time step must be newer than the last accepted one).

The pair's row is keyed by a keyed hash of the username and address: the table names neither.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.config import Settings
from hotline.core.security import derive_key
from hotline.models import Agent, SignInThrottle

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
TOTP_STEP_SECONDS = 30


def growing_wait(over: int) -> timedelta:
    """The wait after the ``over``-th failure beyond the free ones (0 → 30 s, doubling, ≤ 1 h)."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** min(over, 20), BACKOFF_MAX_SECONDS))


def _pair_key(settings: Settings, username: str, address: str) -> str:
    key = derive_key(settings.secret_key.get_secret_value(), "sign-in-throttle")
    return hmac.new(key, f"{username.strip().lower()}\x00{address}".encode(), hashlib.sha256).hexdigest()


async def pair_wait(
    session: AsyncSession, settings: Settings, username: str, address: str, now: datetime
) -> timedelta | None:
    """How long this (username, address) must still wait, or None when it may try."""
    row = await session.get(SignInThrottle, _pair_key(settings, username, address))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until - now
    return None


async def pair_failed(
    session: AsyncSession, settings: Settings, username: str, address: str, now: datetime
) -> None:
    key = _pair_key(settings, username, address)
    row = await session.get(SignInThrottle, key)
    if row is None:
        row = SignInThrottle(key=key, failures=0, last_failure_at=now)
        session.add(row)
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - settings.console_lockout_after
    if over >= 0:
        row.locked_until = now + growing_wait(over)
    await session.flush()


async def pair_cleared(session: AsyncSession, settings: Settings, username: str, address: str) -> None:
    row = await session.get(SignInThrottle, _pair_key(settings, username, address))
    if row is not None:
        await session.delete(row)
        await session.flush()


def account_locked(agent: Agent, now: datetime) -> bool:
    return agent.locked_until is not None and agent.locked_until > now


def account_failed(agent: Agent, settings: Settings, now: datetime) -> None:
    agent.failed_sign_ins += 1
    over = agent.failed_sign_ins - settings.signin_account_lock_after
    if over >= 0:
        agent.locked_until = now + growing_wait(over)


def account_cleared(agent: Agent) -> None:
    """A full sign-in, or an admin's reactivation: the account's counters start again."""
    agent.failed_sign_ins = 0
    agent.locked_until = None
    agent.totp_failures = 0
    agent.totp_locked_until = None


def totp_locked(agent: Agent, now: datetime) -> bool:
    return agent.totp_locked_until is not None and agent.totp_locked_until > now


def check_totp(agent: Agent, secret: str, code: str, settings: Settings, now: datetime) -> bool:
    """Whether ``code`` is a fresh, right code for ``secret`` now (±1 step); counts a failure.

    Refused without looking while the account's codes are locked. A right code in a time step at
    or before the last accepted one is a replay and counts as a failure.
    """
    if totp_locked(agent, now):
        return False
    step = _matching_step(secret, code, now)
    if step is not None and (agent.totp_last_step is None or step > agent.totp_last_step):
        agent.totp_last_step = step
        agent.totp_failures = 0
        agent.totp_locked_until = None
        return True
    agent.totp_failures += 1
    over = agent.totp_failures - settings.console_lockout_after
    if over >= 0:
        agent.totp_locked_until = now + growing_wait(over)
    return False


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


# A browser the person fully signed in from: a signed cookie naming the account and its token
# generation (so "sign out everywhere" forgets every known browser too).

KNOWN_DEVICE_COOKIE = "hotline_device"
KNOWN_DEVICE_DAYS = 90


def known_device_value(settings: Settings, agent: Agent) -> str:
    return f"{agent.id}.{_device_mac(settings, agent.id, agent.token_generation)}"


def is_known_device(settings: Settings, agent: Agent, value: str | None) -> bool:
    if not value or "." not in value:
        return False
    agent_id, _, mac = value.partition(".")
    try:
        if uuid.UUID(agent_id) != agent.id:
            return False
    except ValueError:
        return False
    return hmac.compare_digest(mac, _device_mac(settings, agent.id, agent.token_generation))


def _device_mac(settings: Settings, agent_id: uuid.UUID, generation: int) -> str:
    key = derive_key(settings.secret_key.get_secret_value(), "known-device")
    return hmac.new(key, f"{agent_id}:{generation}".encode(), hashlib.sha256).hexdigest()
