"""Hashing of callers and passwords, and the bearer tokens of the API."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
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


@dataclass(frozen=True, slots=True)
class TokenClaims:
    agent_id: uuid.UUID
    role: str
    #: ``agents.token_generation`` when the token was issued: a token of an older generation
    #: is refused (sign-out everywhere, deactivation and a second-factor reset move it on).
    generation: int


class InvalidToken(Exception):
    pass


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, so one SECRET_KEY never signs two kinds of thing."""
    return hmac.new(secret.encode(), f"hotline:{purpose}".encode(), hashlib.sha256).digest()


def issue_token(secret: str, agent_id: uuid.UUID, role: str, ttl_seconds: int, generation: int = 0) -> str:
    now = int(time.time())
    claims = {
        "sub": str(agent_id),
        "role": role,
        "gen": generation,
        "iat": now,
        "exp": now + ttl_seconds,
        "aud": _TOKEN_AUDIENCE,
    }
    return jwt.encode(claims, derive_key(secret, "api-token"), algorithm=_TOKEN_ALGORITHM)


def read_token(secret: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, derive_key(secret, "api-token"), algorithms=[_TOKEN_ALGORITHM], audience=_TOKEN_AUDIENCE
        )
        generation = claims.get("gen", 0)  # tokens issued before generations existed: 0
        if type(generation) is not int:
            raise ValueError("gen must be an integer")
        return TokenClaims(agent_id=uuid.UUID(claims["sub"]), role=str(claims["role"]), generation=generation)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidToken(str(exc)) from exc
