"""Recording what a caller sent, exactly once: contact + outbox in one atomic statement on
PostgreSQL, in one transaction on SQLite.

Exactly-once rests on the database, not on a check-then-insert: the contact insert is
``ON CONFLICT (provider, provider_id) DO NOTHING``, so five concurrent deliveries of one
MessageSid race on the unique index and four of them find the first one's row. Each
answer is built from the stored row, so all five callers of the webhook get the same reply.

What the caller said is sealed before it reaches a statement (:mod:`hotline.privacy.sealed`);
the plaintext lives only in this process's memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.cases.reference import new_reference
from hotline.core.clock import system_clock
from hotline.core.crypto import Keyring
from hotline.core.db import Executor, dialect_name
from hotline.models import Contact, OutboxEntry
from hotline.models.base import UtcDateTime
from hotline.privacy.sealed import CONTACT_ANSWERS, CONTACT_BODY

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
    received_at: datetime = field(default_factory=lambda: system_clock())

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
    found: Mapping[str, Any] = field(default_factory=dict)
    """The answers to the :class:`Lookups` asked with a new contact; empty otherwise."""


@dataclass(frozen=True, slots=True, eq=False)
class Lookups:
    """Reads a channel needs to answer a new report, asked in the same round trip as the insert.

    Each column is a labelled scalar subquery whose bind parameters are given to
    :func:`record`. On PostgreSQL they are columns of the insert's own statement; SQLite, which
    has no DML in CTEs, asks them after the inserts in the same transaction. Build one
    instance per module and reuse it: statements are built once per instance. Equality is
    identity (the columns are SQL expressions).
    """

    columns: tuple[Any, ...]


class ReferenceTaken(Exception):
    """The random reference collided with another contact's; retry with a fresh one."""


# Core tables, not ORM entities: an ORM-enabled INSERT would go through the unit of work.
_CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxEntry.__table__  # type: ignore[assignment]
_CONTACT_COLUMNS = (
    "id",
    "provider",
    "provider_id",
    "channel",
    "caller_ref",
    "reference",
    "body_enc",
    "answers_enc",
    "received_at",
    "training",
)


def _new_contact(insert: Any) -> Any:
    return (
        insert(_CONTACTS)
        .values({name: bindparam(name, type_=_CONTACTS.c[name].type) for name in _CONTACT_COLUMNS})
        .on_conflict_do_nothing(index_elements=["provider", "provider_id"])
        .returning(_CONTACTS.c.id)
    )


def _queue_new_contact() -> Any:
    """The outbox insert of the contact a CTE inserts (nothing when the contact was there)."""
    inserted = _new_contact(postgresql.insert).cte("inserted")
    return (
        postgresql.insert(_OUTBOX)
        .from_select(
            ["kind", "contact_id", "created_at", "attempts"],
            select(
                literal(RECEIVED),
                inserted.c.id,
                bindparam("received_at_outbox", type_=UtcDateTime()),
                literal(0),
            ),
        )
        .returning(_OUTBOX.c.id)
    )


@cache
def _postgres_record_with(lookups: Lookups) -> Any:
    """The same two inserts, as CTEs of a SELECT that also answers the lookups; built once per
    :class:`Lookups` instance.

    A data-modifying CTE runs whether or not the outer query reads it, and sees no row its
    sibling inserted: the lookups read the database as it was when the statement began, which
    is what a reply about *other* cases of this caller needs.
    """
    queued = _queue_new_contact().cte("queued")
    return select(select(queued.c.id).scalar_subquery().label("outbox_id"), *lookups.columns)


# Built once: the webhook hot path then skips statement construction and cache-key work.
_POSTGRES_RECORD = _queue_new_contact()
_SQLITE_CONTACT = _new_contact(sqlite.insert)


def _outbox_row(insert: Any, kind: str, created_at: str) -> Any:
    """An outbox row for the contact ``contact_id``, created at the parameter ``created_at``."""
    return (
        insert(_OUTBOX)
        .values(
            kind=kind,
            contact_id=bindparam("contact_id", type_=_OUTBOX.c.contact_id.type),
            created_at=bindparam(created_at, type_=UtcDateTime()),
            attempts=0,
        )
        .returning(_OUTBOX.c.id)
    )


_SQLITE_OUTBOX = _outbox_row(sqlite.insert, RECEIVED, "received_at")


def contact_params(incoming: IncomingContact, keyring: Keyring, contact_id: uuid.UUID) -> dict[str, Any]:
    """The bind parameters of a new contact's row, what the caller said sealed to that row."""
    return {
        "id": contact_id,
        "provider": incoming.provider,
        "provider_id": incoming.provider_id,
        "channel": incoming.channel,
        "caller_ref": incoming.caller_ref,
        "reference": incoming.reference,
        "body_enc": keyring.seal_optional(incoming.body, CONTACT_BODY.at(contact_id)),
        "answers_enc": keyring.seal_json(incoming.answers, CONTACT_ANSWERS.at(contact_id)),
        "received_at": incoming.received_at,
        "training": incoming.training,
    }


async def record(
    session: Executor,
    incoming: IncomingContact,
    keyring: Keyring,
    lookups: Lookups | None = None,
    lookup_params: Mapping[str, Any] | None = None,
) -> Recorded:
    """Insert the contact and its outbox row; never commit (the caller owns the transaction).

    On PostgreSQL ``session`` may be an autocommit connection (:func:`hotline.core.db.single_statements`):
    the one statement that writes is atomic by itself.

    This is the hot path of every webhook, so it runs prebuilt Core statements, not the ORM:
    on PostgreSQL one statement (a data-modifying CTE) inserts both rows and answers the
    ``lookups``; SQLite, which has no DML in CTEs, takes two, and a third for the lookups.
    The lookups' answers come back in ``Recorded.found`` for a new contact only: a repeated
    delivery's reply must be worked out as the first one's was.
    """
    contact_id = uuid.uuid4()
    params = contact_params(incoming, keyring, contact_id)
    found: Mapping[str, Any] = {}
    try:
        if dialect_name(session) == "postgresql":
            params["received_at_outbox"] = incoming.received_at
            if lookups is None:
                outbox_id = (await session.execute(_POSTGRES_RECORD, params)).scalar_one_or_none()
            else:
                params.update(lookup_params or {})
                row = (await session.execute(_postgres_record_with(lookups), params)).one()._mapping
                outbox_id = row["outbox_id"]
                found = {name: value for name, value in row.items() if name != "outbox_id"}
        else:
            outbox_id = None
            if (await session.execute(_SQLITE_CONTACT, params)).scalar_one_or_none() is not None:
                outbox_id = (
                    await session.execute(
                        _SQLITE_OUTBOX, {"contact_id": contact_id, "received_at": incoming.received_at}
                    )
                ).scalar_one()
                if lookups is not None:
                    answers = await session.execute(select(*lookups.columns), dict(lookup_params or {}))
                    found = dict(answers.one()._mapping)
    except IntegrityError as exc:
        raise ReferenceTaken from exc
    if outbox_id is not None:
        return Recorded(
            contact_id=contact_id,
            reference=incoming.reference,
            outbox_id=outbox_id,
            created=True,
            found=found,
        )
    existing = (
        await session.execute(
            select(Contact.id, Contact.reference).where(
                Contact.provider == incoming.provider, Contact.provider_id == incoming.provider_id
            )
        )
    ).one()
    return Recorded(contact_id=existing.id, reference=existing.reference, outbox_id=None, created=False)


_ENQUEUE_UPDATE = _outbox_row(insert, UPDATED, "created_at")


async def enqueue_update(session: AsyncSession, contact_id: uuid.UUID) -> int:
    """More of an existing contact arrived (a recording, an answer): the pipeline looks again."""
    result = await session.execute(_ENQUEUE_UPDATE, {"contact_id": contact_id, "created_at": system_clock()})
    return int(result.scalar_one())


async def find_contact(session: AsyncSession, provider: str, provider_id: str) -> Contact | None:
    result = await session.execute(
        select(Contact).where(Contact.provider == provider, Contact.provider_id == provider_id)
    )
    return result.scalar_one_or_none()


# Bind names unlike the columns': an UPDATE reserves a column's own name for its SET clause.
_SET_PROVIDER_STATUS = (
    update(_CONTACTS)
    .where(
        _CONTACTS.c.provider == bindparam("b_provider", type_=_CONTACTS.c.provider.type),
        _CONTACTS.c.provider_id == bindparam("b_provider_id", type_=_CONTACTS.c.provider_id.type),
    )
    .values(provider_status=bindparam("b_status", type_=_CONTACTS.c.provider_status.type))
)


async def set_provider_status(session: Executor, provider: str, provider_id: str, status: str) -> bool:
    """One statement: it may run on an autocommit connection (:func:`hotline.core.db.single_statements`).
    True when a contact had that provider id."""
    result = await session.execute(
        _SET_PROVIDER_STATUS, {"b_provider": provider, "b_provider_id": provider_id, "b_status": status}
    )
    return bool(getattr(result, "rowcount", 0))
