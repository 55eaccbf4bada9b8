"""Messages sent later, through the REST API: a row each, a status that only moves forward.

A message is *queued* in the caller's transaction (:func:`enqueue`: a row, sealed
destination and text), and *delivered* by the worker (:func:`deliver_due`), never by a
webhook. Delivery is at least once: a row is leased (``submitting``) in its own
transaction before Twilio is called, so two workers never send it together; a worker that
dies after Twilio accepted may cause one duplicate after the lease, never a loss.

A failure Twilio calls temporary (network, 429, 5xx) is tried again with exponential
backoff and jitter; a permanent one (a 4xx), or :data:`MAX_ATTEMPTS` failures, ends in
``failed``. Either way only this row changes: the case is never touched or blocked.

Statuses and their order (``/twilio/sms/status`` can only move a message forward, since
Twilio's callbacks can arrive out of order)::

    pending < submitting < accepted, scheduled < queued < sending < sent
            < delivered, undelivered, failed, canceled, suppressed < read

Once a message is final its destination and text are wiped: the row keeps only what
statistics and audits need.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.clock import system_clock
from hotline.core.crypto import Keyring
from hotline.core.db import Executor, dialect_name, unit_of_work
from hotline.core.logging import get_logger
from hotline.core.mail import MailError
from hotline.core.runtime import Runtime
from hotline.core.telephony import TelephonyError
from hotline.models.base import UtcDateTime
from hotline.models.messaging import OutboundMessage
from hotline.privacy.sealed import SealedColumn
from hotline.sms import repository

log = get_logger(__name__)

OUTBOUND_TO = SealedColumn("outbound_messages", "to_enc")
OUTBOUND_BODY = SealedColumn("outbound_messages", "body_enc")

PENDING, SUBMITTING, FAILED, SUPPRESSED = "pending", "submitting", "failed", "suppressed"
STATUS_RANK = {
    PENDING: 0,
    SUBMITTING: 1,
    "accepted": 2,
    "scheduled": 2,
    "queued": 3,
    "sending": 4,
    "sent": 5,
    "delivered": 6,
    "undelivered": 6,
    FAILED: 6,
    "canceled": 6,
    SUPPRESSED: 6,
    "read": 7,
}
FINAL = frozenset({"delivered", "undelivered", FAILED, "canceled", SUPPRESSED, "read"})
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_MAX = timedelta(minutes=30)
LEASE = timedelta(minutes=2)
BATCH = 50
MAILTO = "mailto:"


def backoff(attempts: int, *, jitter: float | None = None) -> timedelta:
    """15 s, 30 s, 1 min, 2 min… capped at 30 min, each ±20 % so retries do not stampede."""
    base: timedelta = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    factor = 1.0 + (jitter if jitter is not None else random.uniform(-0.2, 0.2))  # noqa: S311 - not crypto
    return base * factor


def _channel_of(to: str) -> str:
    if to.startswith("whatsapp:"):
        return "whatsapp"
    if to.startswith(MAILTO):
        return "email"
    return "sms"


def advances(current: str, new: str) -> bool:
    return STATUS_RANK.get(new, -1) > STATUS_RANK.get(current, -1)


async def enqueue(
    session: AsyncSession,
    keyring: Keyring,
    *,
    to: str,
    body: str,
    purpose: str,
    caller_ref: str | None = None,
    case_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> OutboundMessage:
    """Queue a message in the caller's transaction. A caller_ref that sent STOP gets a
    ``suppressed`` row (kept for the record) and nothing is ever sent to it."""
    now = now or system_clock()
    message = OutboundMessage(
        id=uuid.uuid4(),
        purpose=purpose,
        channel=_channel_of(to),
        caller_ref=caller_ref,
        case_id=case_id,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    if caller_ref is not None and await repository.is_opted_out(session, caller_ref):
        message.status = SUPPRESSED
        message.next_attempt_at = None
    else:
        message.status = PENDING
        message.to_enc = keyring.seal(to, OUTBOUND_TO.at(message.id))
        message.body_enc = keyring.seal(body, OUTBOUND_BODY.at(message.id))
    session.add(message)
    await session.flush()
    return message


#: What a message keeps no longer once it is final: its destination, its text, its next try.
_WIPED_WHEN_FINAL = ("to_enc", "body_enc", "next_attempt_at")


def _finish(message: OutboundMessage, status: str, now: datetime) -> None:
    message.status = status
    message.updated_at = now
    if status in FINAL:
        for column in _WIPED_WHEN_FINAL:
            setattr(message, column, None)


_MESSAGES: Table = OutboundMessage.__table__  # type: ignore[assignment]


@lru_cache(maxsize=64)
def _status_update(status: str, with_error: bool) -> Any:
    """:func:`advances` and :func:`_finish` as one UPDATE: the statuses ``status`` advances from
    are in the WHERE clause, so the row lock the UPDATE takes settles concurrent callbacks."""
    # Fixed lists, so each name is its own bind parameter: a plain list would be an "expanding"
    # parameter, rendered into the SQL again at every execution of this cached statement.
    behind = [literal(name) for name in STATUS_RANK if advances(name, status)]
    moves: ColumnElement[bool] = _MESSAGES.c.status.in_(behind)
    if status in STATUS_RANK:  # as in advances(): a stored status we do not know is behind any we do
        moves = or_(moves, _MESSAGES.c.status.not_in([literal(name) for name in STATUS_RANK]))
    values: dict[str, Any] = {"status": status, "updated_at": bindparam("now", type_=UtcDateTime())}
    if status in FINAL:
        values.update(dict.fromkeys(_WIPED_WHEN_FINAL))
    if with_error:
        values["last_error"] = bindparam("last_error", type_=_MESSAGES.c.last_error.type)
    return (
        update(_MESSAGES)
        .where(_MESSAGES.c.provider_sid == bindparam("sid", type_=_MESSAGES.c.provider_sid.type), moves)
        .values(values)
        .returning(_MESSAGES.c.id)
    )


@lru_cache(maxsize=64)
def _status_update_postgres(status: str, with_error: bool) -> Any:
    """The same update and whether the message exists at all, in one statement."""
    moved = _status_update(status, with_error).cte("moved")
    known = select(_MESSAGES.c.id).where(_MESSAGES.c.provider_sid == bindparam("sid")).exists()
    return select(
        select(func.count()).select_from(moved).scalar_subquery().label("moved"), known.label("known")
    )


async def apply_status(session: Executor, sid: str, status: str, *, error_code: str | None = None) -> str:
    """A delivery report from Twilio. Returns an outcome for metrics: advanced, ignored, unknown_message.

    One statement on PostgreSQL, so it may run on an autocommit connection
    (:func:`hotline.core.db.single_statements`); two in the caller's transaction on SQLite.
    """
    params: dict[str, Any] = {"sid": sid, "now": system_clock()}
    if error_code:
        params["last_error"] = f"twilio {error_code}"[:64]
    if dialect_name(session) == "postgresql":
        row = (await session.execute(_status_update_postgres(status, bool(error_code)), params)).one()
        moved, known = bool(row.moved), bool(row.known)
    else:
        moved = (await session.execute(_status_update(status, bool(error_code)), params)).first() is not None
        known = (
            moved
            or (await session.execute(select(_MESSAGES.c.id).where(_MESSAGES.c.provider_sid == sid))).first()
            is not None
        )
    if moved:
        return "advanced"
    return "ignored" if known else "unknown_message"


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: uuid.UUID
    to: str
    body: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Delivered:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def _claim(runtime: Runtime, now: datetime, limit: int) -> list[_Claimed]:
    keyring = runtime.keyring
    claimed: list[_Claimed] = []
    async with unit_of_work(runtime.sessions) as session:
        rows = (
            (
                await session.execute(
                    select(OutboundMessage)
                    .where(
                        or_(OutboundMessage.status == PENDING, OutboundMessage.status == SUBMITTING),
                        OutboundMessage.next_attempt_at <= now,
                    )
                    .order_by(OutboundMessage.next_attempt_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            if row.to_enc is None or row.body_enc is None:
                _finish(row, FAILED, now)
                continue
            row.status = SUBMITTING
            row.attempts += 1
            row.next_attempt_at = now + LEASE
            row.updated_at = now
            claimed.append(
                _Claimed(
                    row.id,
                    keyring.open(row.to_enc, OUTBOUND_TO.at(row.id)),
                    keyring.open(row.body_enc, OUTBOUND_BODY.at(row.id)),
                    row.attempts,
                )
            )
    return claimed


async def deliver_due(runtime: Runtime, *, now: datetime | None = None, limit: int = BATCH) -> Delivered:
    """Send every message that is due, each on its own; one failure never stops the others."""
    now = now or system_clock()
    sent = retrying = failed = 0
    callback = f"{runtime.settings.public_base_url}/twilio/sms/status"
    for claim in await _claim(runtime, now, limit):
        error: TelephonyError | None = None
        sid: str | None = None
        provider_status = "queued"
        try:
            if claim.to.startswith(MAILTO):
                # Email has no delivery callbacks: handed to the SMTP server is as far as we see.
                await _send_email(runtime, claim)
                provider_status = "sent_email"
            else:
                result = await runtime.telephony.send_sms(claim.to, claim.body, status_callback=callback)
                sid, provider_status = result.sid, result.status.lower()
        except TelephonyError as exc:
            error = exc
        except MailError as exc:
            error = TelephonyError(exc.code, retryable=exc.retryable)
        except Exception as exc:
            error = TelephonyError(type(exc).__name__, retryable=True)
        async with unit_of_work(runtime.sessions) as session:
            row = await session.get(OutboundMessage, claim.id, with_for_update=True)
            if row is None:
                continue
            if error is None and provider_status == "sent_email":
                row.last_error = None
                _finish(row, "delivered", now)
                sent += 1
            elif error is None:
                row.provider_sid = sid
                row.last_error = None
                row.next_attempt_at = None
                _finish(row, provider_status if advances(SUBMITTING, provider_status) else "queued", now)
                sent += 1
            elif error.retryable and claim.attempts < MAX_ATTEMPTS:
                row.status = PENDING
                row.next_attempt_at = now + backoff(claim.attempts)
                row.last_error = _describe(error)
                row.updated_at = now
                retrying += 1
            else:
                _finish(row, FAILED, now)
                row.last_error = _describe(error)
                failed += 1
        if error is not None:
            log.warning(
                "sms.outbound_failed", retryable=error.retryable, code=error.code, attempts=claim.attempts
            )
    if sent or retrying or failed:
        log.info("sms.outbound_delivered", sent=sent, retrying=retrying, failed=failed)
    return Delivered(sent, retrying, failed)


async def _send_email(runtime: Runtime, claim: _Claimed) -> None:
    if runtime.mailer is None:
        raise MailError("smtp_not_configured", retryable=False)
    subject, _, body = claim.body.partition("\n\n")
    await runtime.mailer.send(claim.to.removeprefix(MAILTO), subject, body)


def _describe(error: TelephonyError) -> str:
    return (f"twilio {error.code}" if error.code else str(error))[:64]
