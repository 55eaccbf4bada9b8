"""The partner's link: signed, expiring, single-purpose, and short enough for one SMS.

A token is ``<id>.<signature>``: the id of a ``referral_links`` row (128 random bits,
base64url) and an HMAC-SHA256 of the purpose and the id under ``HOTLINE_SECRET_KEY``
(truncated to 128 bits), 45 characters in all. The signature is checked before the
database is asked anything, so a guessed or edited token costs nothing and finds nothing;
the purpose in the MAC means the same secret signing something else can never produce a
valid link. Expiry and use are kept on the row (a link cannot be renewed by editing it):
a link stops working at ``expires_at``, and once the partner moved the referral to a
final state through it (declined, completed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Referral, ReferralLink

PURPOSE = b"hotline.referral-link.v1\x00"


class LinkState(StrEnum):
    ok = "ok"
    invalid = "invalid"  # malformed, forged or unknown: the page says nothing more
    expired = "expired"
    spent = "spent"


@dataclass(frozen=True, slots=True)
class Opened:
    state: LinkState
    link: ReferralLink | None = None
    referral: Referral | None = None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, link_id: uuid.UUID) -> bytes:
    return hmac.new(secret.encode(), PURPOSE + link_id.bytes, hashlib.sha256).digest()[:16]


def token_for(secret: str, link_id: uuid.UUID) -> str:
    return f"{_b64(link_id.bytes)}.{_b64(_signature(secret, link_id))}"


def link_id_of(secret: str, token: str) -> uuid.UUID | None:
    """The link id of a well-formed, correctly signed token, else None."""
    if len(token) > 64 or token.count(".") != 1:
        return None
    raw_id, raw_sig = token.split(".")
    try:
        id_bytes, signature = _unb64(raw_id), _unb64(raw_sig)
    except (binascii.Error, ValueError):
        return None
    if len(id_bytes) != 16:
        return None
    link_id = uuid.UUID(bytes=id_bytes)
    if not hmac.compare_digest(signature, _signature(secret, link_id)):
        return None
    return link_id


def mint(
    session: AsyncSession,
    secret: str,
    referral: Referral,
    contact_id: uuid.UUID | None,
    *,
    now: datetime,
    days: int,
) -> tuple[ReferralLink, str]:
    link = ReferralLink(
        id=uuid.uuid4(),
        referral_id=referral.id,
        contact_id=contact_id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(link)
    return link, token_for(secret, link.id)


async def open_link(session: AsyncSession, secret: str, token: str, *, now: datetime) -> Opened:
    link_id = link_id_of(secret, token)
    if link_id is None:
        return Opened(LinkState.invalid)
    link = await session.get(ReferralLink, link_id, with_for_update=True)
    if link is None:
        return Opened(LinkState.invalid)
    referral = await session.get(Referral, link.referral_id)
    if referral is None:
        return Opened(LinkState.invalid)
    if link.spent_at is not None:
        return Opened(LinkState.spent, link, referral)
    if now >= link.expires_at:
        return Opened(LinkState.expired, link, referral)
    return Opened(LinkState.ok, link, referral)
