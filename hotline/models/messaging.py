"""Text messaging: who asked for no more automatic messages, and every message we send.

``sms_opt_outs`` is keyed by ``caller_ref`` (never a number): STOP inserts, START deletes.
``outbound_messages`` holds each message sent later through the REST API (not an inline
reply), with a status that only moves forward (see ``hotline.sms.outbound``). Its
destination and text are sealed, and wiped once the message reached a final status.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, utcnow


class OptOut(Base):
    __tablename__ = "sms_opt_outs"

    caller_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbound_messages_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    caller_ref: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True, default=None
    )
    to_enc: Mapped[str | None] = mapped_column(Text, default=None)
    body_enc: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
