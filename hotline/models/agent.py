"""People who sign in: agents, supervisors, analysts, admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
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
