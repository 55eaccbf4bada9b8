"""Partners and referrals: who can help, what was sent to them, and what they did.

``partners`` is the directory (one row per organisation office), ``partner_contacts`` its
vetted people with their SMS and email channels. A ``referrals`` row follows one case to one
partner through its lifecycle (:mod:`hotline.referrals.lifecycle`); ``shared`` records exactly
which fields left the hotline and to whom. ``referral_links`` are the partner's signed,
expiring links (:mod:`hotline.referrals.links`): the link's id is random and its token is
signed, so a link can be neither guessed nor forged.

What an agent or a partner wrote (the need, the partner's note) is sealed (``*_enc``) and
purged with the case's words by retention.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, utcnow


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The stable key of the YAML directory (`hotline partners import`): a re-import updates.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    services: Mapped[list[str]] = mapped_column(default=list)
    # Region names, "abroad" for offices that act outside Cameroon, "national" for everywhere.
    regions: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerContact(Base):
    """A named person at a partner, reachable by SMS and/or email. Only vetted contacts get referrals."""

    __tablename__ = "partner_contacts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    vetted_at: Mapped[datetime | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(default=True)


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_sent_at", "status", "sent_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"), index=True)
    # The partner's type when the referral was made, for statistics that outlive a directory edit.
    partner_kind: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_contacts.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(24), default="draft")
    # "consent" (the caller agreed) or "exception" (a minor at risk or imminent danger,
    # approved by a supervisor with a written reason: the note `exception_note_id`).
    basis: Mapped[str | None] = mapped_column(String(16), default=None)
    exception_note_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_notes.id", ondelete="SET NULL"), default=None
    )
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    needs_enc: Mapped[str | None] = mapped_column(Text, default=None)
    partner_note_enc: Mapped[str | None] = mapped_column(Text, default=None)
    # Exactly what left the hotline, set when the referral is sent:
    # {"fields": {name: value}, "to": {"partner", "contact", "channels"}, "at"}.
    shared: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    training: Mapped[bool] = mapped_column(default=False)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    declined_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    reminders: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(default=None)


class ReferralLink(Base):
    __tablename__ = "referral_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_contacts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    # Set when the partner moved the referral to a final state through this link.
    spent_at: Mapped[datetime | None] = mapped_column(default=None)
    views: Mapped[int] = mapped_column(default=0)
