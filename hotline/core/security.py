"""Hashing of callers and passwords, and the bearer tokens of the API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_TOKEN_ALGORITHM = "HS256"
_TOKEN_AUDIENCE = "hotline-api"


def caller_ref(pepper: str, e164: str) -> str:
    """HMAC-SHA256 of the E.164 number: the only identity of a caller the system keeps.

    Keyed, so a stolen database cannot be reversed by hashing every Cameroonian number.
    """
    return hmac.new(pepper.encode(), e164.encode(), hashlib.sha256).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the username is unknown, so a miss costs as long as a hit.
DUMMY_PASSWORD_HASH = _hasher.hash("not-a-real-account")


class PasswordCheckBusy(Exception):
    """Too many password checks are already waiting: refuse this one at once (429)."""


def _lower_priority() -> None:
    # Linux nice values are per thread: the hashing thread yields the CPU to the event loop,
    # so a flood of sign-ins slows sign-ins, not webhooks. Where it is not allowed, it stays.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class PasswordChecker:
    """argon2 off the event loop: a bounded pool of low-priority threads and a bounded queue.

    A password check costs ~50 ms of CPU; run in an async handler it stalls every webhook
    of the process (issue 20: ~2.5 wrong passwords/s pushed SMS webhooks beyond Twilio's
    15 s). Here at most ``threads`` checks run at once, at nice 19, and when ``queue`` more
    are already waiting a new one is refused (:class:`PasswordCheckBusy`) without hashing.
    """

    def __init__(self, threads: int = 1, queue: int = 16) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._limit = threads + queue
        self._inflight = 0

    async def _run(self, fn: Callable[..., object], *args: str) -> object:
        if self._inflight >= self._limit:
            raise PasswordCheckBusy
        self._inflight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._inflight -= 1

    async def verify(self, password_hash: str, password: str) -> bool:
        return bool(await self._run(verify_password, password_hash, password))

    async def hash(self, password: str) -> str:
        return str(await self._run(hash_password, password))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


#: What a bearer token may open. A token carries the scopes it was issued with (the role's,
#: or fewer when the client asked for fewer); each API route names the scope it needs.
SCOPES_OF_ROLE: dict[str, frozenset[str]] = {
    "agent": frozenset({"cases"}),
    "supervisor": frozenset({"cases", "supervise", "stats"}),
    "analyst": frozenset({"stats"}),
    "admin": frozenset({"cases", "supervise", "stats", "admin"}),
}


@dataclass(frozen=True, slots=True)
class TokenClaims:
    agent_id: uuid.UUID
    role: str
    #: ``agents.token_generation`` when the token was issued: a token of an older generation
    #: is refused (sign-out everywhere, deactivation and a second-factor reset move it on).
    generation: int
    scopes: frozenset[str]
    #: the second factor was proved when the token was issued
    mfa: bool = False


class InvalidToken(Exception):
    pass


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, so one SECRET_KEY never signs two kinds of thing."""
    return hmac.new(secret.encode(), f"hotline:{purpose}".encode(), hashlib.sha256).digest()


def issue_token(
    secret: str,
    agent_id: uuid.UUID,
    role: str,
    ttl_seconds: int,
    generation: int = 0,
    *,
    scopes: frozenset[str] | None = None,
    mfa: bool = False,
) -> str:
    now = int(time.time())
    granted = SCOPES_OF_ROLE.get(role, frozenset()) if scopes is None else scopes
    claims = {
        "sub": str(agent_id),
        "role": role,
        "gen": generation,
        "scope": " ".join(sorted(granted)),
        "mfa": mfa,
        "iat": now,
        "exp": now + ttl_seconds,
        "aud": _TOKEN_AUDIENCE,
    }
    return jwt.encode(claims, derive_key(secret, "api-token"), algorithm=_TOKEN_ALGORITHM)


def read_token(secret: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            derive_key(secret, "api-token"),
            algorithms=[_TOKEN_ALGORITHM],
            audience=_TOKEN_AUDIENCE,
            options={"require": ["exp", "sub", "aud"]},
        )
        generation = claims.get("gen", 0)  # tokens issued before generations existed: 0
        if type(generation) is not int:
            raise ValueError("gen must be an integer")
        role = str(claims["role"])
        scope = claims.get("scope")
        # Tokens issued before scopes existed open what their role opens (and, never having
        # proved a second factor, nothing a privileged role needs one for).
        scopes = SCOPES_OF_ROLE.get(role, frozenset()) if scope is None else frozenset(str(scope).split())
        return TokenClaims(
            agent_id=uuid.UUID(claims["sub"]),
            role=role,
            generation=generation,
            scopes=scopes & SCOPES_OF_ROLE.get(role, frozenset()),
            mfa=claims.get("mfa") is True,
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidToken(str(exc)) from exc
