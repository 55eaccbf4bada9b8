"""Rosters (who is on call, versioned documents) and how each agent is reached."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, BigIntPK, utcnow


class Roster(Base):
    """One imported roster document (hotline.routing.roster); the newest row is in force."""

    __tablename__ = "rosters"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    document: Mapped[dict[str, Any]]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(96), default="cli")


class AgentReach(Base):
    """How an agent is notified. The phone itself is sealed on the agent row (``phone_enc``);
    ``phone_ref`` is its keyed hash, to recognise an agent's incoming SMS without decrypting."""

    __tablename__ = "agent_reach"

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    phone_ref: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    channels: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
