"""The JSON shapes of partners and referrals under ``/api/v1``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from hotline.core.crypto import Keyring
from hotline.models import Partner, PartnerContact, Referral
from hotline.referrals.lifecycle import needs_text, partner_note
from hotline.referrals.suggest import Suggestion

ReferralStatus = Literal[
    "draft", "sent", "accepted", "declined", "in_progress", "completed", "closed_without_action"
]


class ContactOut(BaseModel):
    id: uuid.UUID
    name: str
    title: str
    sms: bool
    email: bool
    vetted: bool
    active: bool
    phone: str | None = None
    """Only for admins."""
    email_address: str | None = None
    """Only for admins."""

    @classmethod
    def of(cls, contact: PartnerContact, *, full: bool) -> ContactOut:
        return cls(
            id=contact.id,
            name=contact.name,
            title=contact.title,
            sms=contact.phone is not None,
            email=contact.email is not None,
            vetted=contact.vetted_at is not None,
            active=contact.active,
            phone=contact.phone if full else None,
            email_address=contact.email if full else None,
        )


class PartnerOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    services: list[str]
    regions: list[str]
    languages: list[str]
    active: bool
    contacts: list[ContactOut]

    @classmethod
    def of(cls, partner: Partner, contacts: list[PartnerContact], *, full: bool) -> PartnerOut:
        return cls(
            id=partner.id,
            slug=partner.slug,
            name=partner.name,
            kind=partner.kind,
            services=list(partner.services),
            regions=list(partner.regions),
            languages=list(partner.languages),
            active=partner.active,
            contacts=[ContactOut.of(c, full=full) for c in contacts if c.partner_id == partner.id],
        )


class PartnerList(BaseModel):
    items: list[PartnerOut]
    total: int


class SuggestionOut(BaseModel):
    partner: PartnerOut
    score: int
    reasons: list[str]
    sendable: bool

    @classmethod
    def of(cls, suggestion: Suggestion) -> SuggestionOut:
        return cls(
            partner=PartnerOut.of(suggestion.partner, list(suggestion.contacts), full=False),
            score=suggestion.score,
            reasons=list(suggestion.reasons),
            sendable=suggestion.sendable,
        )


class ReferralOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    partner_id: uuid.UUID
    partner_name: str
    partner_kind: str
    contact_id: uuid.UUID | None
    status: str
    basis: str | None
    needs: str | None
    partner_note: str | None
    shared: dict[str, Any] | None
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    reminders: int

    @classmethod
    def of(cls, keyring: Keyring, referral: Referral, partner: Partner) -> ReferralOut:
        return cls(
            id=referral.id,
            case_id=referral.case_id,
            partner_id=partner.id,
            partner_name=partner.name,
            partner_kind=referral.partner_kind,
            contact_id=referral.contact_id,
            status=referral.status,
            basis=referral.basis,
            needs=needs_text(keyring, referral),
            partner_note=partner_note(keyring, referral),
            shared=referral.shared,
            created_at=referral.created_at,
            sent_at=referral.sent_at,
            accepted_at=referral.accepted_at,
            declined_at=referral.declined_at,
            started_at=referral.started_at,
            completed_at=referral.completed_at,
            closed_at=referral.closed_at,
            reminders=referral.reminders,
        )


class ReferralList(BaseModel):
    items: list[ReferralOut]
    total: int


class ReferralIn(BaseModel):
    partner_id: uuid.UUID
    contact_id: uuid.UUID
    needs: str = Field(min_length=1, max_length=1000, description="What the partner is asked to do.")


class SendIn(BaseModel):
    exception_reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Only without the caller's consent, for a minor at risk or imminent danger; supervisors only.",
    )


class MoveIn(BaseModel):
    status: Literal["accepted", "declined", "in_progress", "completed", "closed_without_action"]
    note: str | None = Field(default=None, max_length=2000)


class ConsentIn(BaseModel):
    given: bool


class ConsentOut(BaseModel):
    given: bool | None
    source: str | None
    at: datetime | None
