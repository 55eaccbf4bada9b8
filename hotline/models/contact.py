"""A contact: one delivery from a provider (a text, a call, a USSD session)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, utcnow


class Contact(Base):
    """What a caller sent, stored before the provider gets its answer.

    ``(provider, provider_id)`` is unique: a provider retry of the same MessageSid or CallSid
    meets the constraint and becomes a no-op. ``reference`` is the number the caller is told
    at once; the worker opens the case under it (or attaches the contact to an open case).

    What the caller said is sealed (:mod:`hotline.privacy.sealed`): ``body_enc`` holds the
    text (an SMS, a transcript), ``answers_enc`` the menu answers and recording Sids as JSON,
    ``callback_number_enc`` the E.164 number, only when the caller agreed to be called back.
    """

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("provider", "provider_id"), UniqueConstraint("reference"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    provider: Mapped[str] = mapped_column(String(32))
    provider_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    caller_ref: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(8))
    body_enc: Mapped[str | None] = mapped_column(Text, default=None)
    answers_enc: Mapped[str | None] = mapped_column(Text, default=None)
    callback_number_enc: Mapped[str | None] = mapped_column(Text, default=None)
    # Set once the provider holds no recording of this contact any more (deleted or none made).
    recordings_cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    provider_status: Mapped[str | None] = mapped_column(String(32), default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True, default=None
    )
    training: Mapped[bool] = mapped_column(default=False)
