"""People who sign in: agents, supervisors, analysts, admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, utcnow


class Role(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    analyst = "analyst"
    admin = "admin"


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    regions: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # For notifications only; sealed (hotline.privacy.sealed.AGENT_PHONE), never shown.
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The console: the second factor's secret (sealed), the language the agent chose, and the
    # back-off after failed sign-ins.
    totp_secret_enc: Mapped[str | None] = mapped_column(Text, default=None)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    # API bearer tokens carry the generation they were issued in; signing out everywhere,
    # deactivation and a second-factor reset move it on, which refuses every older token.
    token_generation: Mapped[int] = mapped_column(default=0)
    # The second factor's own limit, per account whatever the session or the door (console or
    # API): wrong codes in a row, the lock they earned, and the last time step a code was
    # accepted in (a code is good once: a step at or before it is refused).
    totp_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    totp_locked_until: Mapped[datetime | None] = mapped_column(default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)


class SignInThrottle(Base):
    """Failed sign-ins of one (username, client address) pair, shared by the console and the API.

    Keyed by a keyed hash of the pair, so the table names neither. A stranger's failures from
    another address never slow down the person's own sign-ins (issue 20).
    """

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
