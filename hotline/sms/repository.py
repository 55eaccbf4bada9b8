"""Queries of the messaging room: opt-outs, and what a caller may learn about their own case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Case, Contact
from hotline.models.messaging import OptOut


async def is_opted_out(session: AsyncSession, caller_ref: str) -> bool:
    found = await session.scalar(select(OptOut.caller_ref).where(OptOut.caller_ref == caller_ref))
    return found is not None


def opted_out_lookup(label: str) -> Any:
    """:func:`is_opted_out` as a labelled column, to ride in another statement; bind
    parameter ``opted_out_caller_ref``."""
    return (
        exists()
        .where(OptOut.caller_ref == bindparam("opted_out_caller_ref", type_=OptOut.caller_ref.type))
        .label(label)
    )


async def opt_out(session: AsyncSession, caller_ref: str, channel: str, now: datetime) -> None:
    """Idempotent: a second STOP (or a provider retry) leaves the first one's row as it is."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(OptOut)
        .values(caller_ref=caller_ref, channel=channel, opted_out_at=now)
        .on_conflict_do_nothing(index_elements=["caller_ref"])
    )


async def opt_in(session: AsyncSession, caller_ref: str) -> None:
    await session.execute(delete(OptOut).where(OptOut.caller_ref == caller_ref))


async def status_for_caller(session: AsyncSession, caller_ref: str, reference: str) -> str | None:
    """The status of the case ``reference`` names, only when ``caller_ref`` opened it.

    A reference may be a case's or that of a later contact attached to it (a follow-up is
    told its own reference before the worker attaches it). A contact not yet triaged is
    "new". None, the same answer, for a reference that does not exist and for someone
    else's: a STATUS never reveals that a reference is real.
    """
    case_status = await session.scalar(
        select(Case.status).where(Case.reference == reference, Case.caller_ref == caller_ref)
    )
    if case_status is not None:
        return str(case_status)
    row = (
        await session.execute(
            select(Contact.case_id, Case.status, Case.caller_ref)
            .outerjoin(Case, Case.id == Contact.case_id)
            .where(Contact.reference == reference, Contact.caller_ref == caller_ref)
        )
    ).first()
    if row is None:
        return None
    if row.case_id is None:
        return "new"
    return str(row.status) if row.caller_ref == caller_ref else None
