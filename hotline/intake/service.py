"""Recording what a caller sent: one transaction, contact + outbox, exactly once.

Exactly-once rests on the database, not on a check-then-insert: the contact insert is
``ON CONFLICT (provider, provider_id) DO NOTHING``, so five concurrent deliveries of one
MessageSid race on the unique index and four of them find the first one's row. Each
answer is built from the stored row, so all five callers of the webhook get the same reply.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.cases.reference import new_reference
from hotline.models import Contact, OutboxEntry

RECEIVED = "contact.received"
UPDATED = "contact.updated"


@dataclass(frozen=True, slots=True)
class IncomingContact:
    """A delivery as the channel adapter understood it; the number is already a caller_ref."""

    provider: str
    provider_id: str
    channel: str
    caller_ref: str
    body: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    training: bool = False
    reference: str = field(default_factory=new_reference)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_spool(self) -> dict[str, Any]:
        return {
            "kind": RECEIVED,
            "provider": self.provider,
            "provider_id": self.provider_id,
            "channel": self.channel,
            "caller_ref": self.caller_ref,
            "body": self.body,
            "answers": self.answers,
            "training": self.training,
            "reference": self.reference,
            "received_at": self.received_at.isoformat(),
        }

    @classmethod
    def from_spool(cls, data: dict[str, Any]) -> IncomingContact:
        return cls(
            provider=data["provider"],
            provider_id=data["provider_id"],
            channel=data["channel"],
            caller_ref=data["caller_ref"],
            body=data.get("body"),
            answers=dict(data.get("answers") or {}),
            training=bool(data.get("training", False)),
            reference=data["reference"],
            received_at=datetime.fromisoformat(data["received_at"]),
        )


@dataclass(frozen=True, slots=True)
class Recorded:
    contact_id: uuid.UUID | None
    reference: str
    outbox_id: int | None
    created: bool
    spooled: bool = False


class ReferenceTaken(Exception):
    """The random reference collided with another contact's; retry with a fresh one."""


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def record(session: AsyncSession, incoming: IncomingContact) -> Recorded:
    """Insert the contact and its outbox row; flush, never commit (the caller owns the transaction)."""
    insert = _insert(session)
    statement = (
        insert(Contact)
        .values(
            id=uuid.uuid4(),
            provider=incoming.provider,
            provider_id=incoming.provider_id,
            channel=incoming.channel,
            caller_ref=incoming.caller_ref,
            reference=incoming.reference,
            body=incoming.body,
            answers=incoming.answers,
            received_at=incoming.received_at,
            training=incoming.training,
        )
        .on_conflict_do_nothing(index_elements=["provider", "provider_id"])
        .returning(Contact.id)
    )
    try:
        contact_id = (await session.execute(statement)).scalar_one_or_none()
    except IntegrityError as exc:
        raise ReferenceTaken from exc
    if contact_id is None:
        existing = (
            await session.execute(
                select(Contact.id, Contact.reference).where(
                    Contact.provider == incoming.provider, Contact.provider_id == incoming.provider_id
                )
            )
        ).one()
        return Recorded(contact_id=existing.id, reference=existing.reference, outbox_id=None, created=False)
    entry = OutboxEntry(kind=RECEIVED, contact_id=contact_id, created_at=incoming.received_at)
    session.add(entry)
    await session.flush()
    return Recorded(contact_id=contact_id, reference=incoming.reference, outbox_id=entry.id, created=True)


async def enqueue_update(session: AsyncSession, contact_id: uuid.UUID) -> int:
    """More of an existing contact arrived (a recording, an answer): the pipeline looks again."""
    entry = OutboxEntry(kind=UPDATED, contact_id=contact_id)
    session.add(entry)
    await session.flush()
    return entry.id


async def find_contact(session: AsyncSession, provider: str, provider_id: str) -> Contact | None:
    result = await session.execute(
        select(Contact).where(Contact.provider == provider, Contact.provider_id == provider_id)
    )
    return result.scalar_one_or_none()


async def set_provider_status(session: AsyncSession, provider: str, provider_id: str, status: str) -> None:
    await session.execute(
        update(Contact)
        .where(Contact.provider == provider, Contact.provider_id == provider_id)
        .values(provider_status=status)
    )
