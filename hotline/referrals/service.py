"""Queries the console and the API share: the directory, a case's referrals and suggestions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Case, Partner, PartnerContact, Referral
from hotline.referrals.suggest import Suggestion, rank


async def directory(session: AsyncSession) -> tuple[list[Partner], list[PartnerContact]]:
    partners = list((await session.execute(select(Partner).order_by(Partner.name))).scalars())
    contacts = list((await session.execute(select(PartnerContact).order_by(PartnerContact.name))).scalars())
    return partners, contacts


async def suggestions(session: AsyncSession, case: Case, *, limit: int | None = None) -> list[Suggestion]:
    partners, contacts = await directory(session)
    return rank(case, partners, contacts, limit=limit)


async def referrals_of(session: AsyncSession, case_id: uuid.UUID) -> Sequence[tuple[Referral, Partner]]:
    rows = await session.execute(
        select(Referral, Partner)
        .join(Partner, Referral.partner_id == Partner.id)
        .where(Referral.case_id == case_id)
        .order_by(Referral.created_at)
    )
    return [(r, p) for r, p in rows]


async def contact_of(
    session: AsyncSession, partner_id: uuid.UUID, contact_id: uuid.UUID
) -> PartnerContact | None:
    contact = await session.get(PartnerContact, contact_id)
    return contact if contact is not None and contact.partner_id == partner_id else None
