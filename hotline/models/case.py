"""A case: what agents work on. Several contacts may belong to one case."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, utcnow


class CaseStatus(StrEnum):
    new = "new"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    referred = "referred"
    closed = "closed"


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.new.value, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    caller_ref: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    training: Mapped[bool] = mapped_column(default=False)
    # Retention counts from here (docs/privacy.md); set by whoever closes the case.
    closed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # When what the caller said was purged or erased; the assessment (and statistics) remain.
    purged_at: Mapped[datetime | None] = mapped_column(default=None)

    # The machine's assessment (nullable until triage has run).
    category: Mapped[str | None] = mapped_column(String(32), default=None)
    form: Mapped[str | None] = mapped_column(String(16), default=None)
    severity: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    minor: Mapped[bool | None] = mapped_column(default=None)
    imminent_danger: Mapped[bool | None] = mapped_column(default=None)
    region: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    abroad: Mapped[bool | None] = mapped_column(default=None)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    triage_version: Mapped[str | None] = mapped_column(String(32), default=None)
    triaged_at: Mapped[datetime | None] = mapped_column(default=None)

    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True, default=None
    )
    ack_deadline: Mapped[datetime | None] = mapped_column(default=None)
    escalation: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    # An agent's override, kept beside the machine's verdict above (which it replaces on
    # screen): {"category", "severity", "by", "at", "machine": {"category", "severity"}}.
    override: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), default=None
    )
    # Consent to refer recorded by an agent (during a callback): {"given", "by", "at"}. What
    # callers answered themselves is on their contacts (answer "share"); the newest wins.
    share_consent: Mapped[dict[str, Any] | None] = mapped_column(default=None)
