"""Escalation timers and the notifications they send.

An :class:`EscalationStep` is a durable timer: a row with a due time, claimed by one worker
at a time (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) under a lease, so it survives restarts
and is never run by two workers at once. A :class:`Notification` is one attempt to reach one
agent on one channel, with its outcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, BigIntPK, utcnow


class StepState:
    pending = "pending"
    running = "running"
    done = "done"
    cancelled = "cancelled"


class EscalationStep(Base):
    __tablename__ = "escalation_steps"
    __table_args__ = (
        UniqueConstraint("case_id", "generation", "kind", "round", "position"),
        Index("ix_escalation_steps_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # An escalation restarted (severity raised) is a new generation; older steps are cancelled.
    generation: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(16))  # notify | deadline
    round: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default=StepState.pending)
    claimed_by: Mapped[str | None] = mapped_column(String(96), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_steps.id", ondelete="SET NULL"), index=True, default=None
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # delivered (console) | sent | failed | skipped
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(128), default=None)
    provider_sid: Mapped[str | None] = mapped_column(String(64), default=None)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
