"""``hotline training reset``: remove the training room's data, and only it.

Deleted: cases and contacts flagged ``training`` and everything tied to them (pipeline outbox
entries, escalation steps, notifications, referrals and their links, notes, outbound messages), and the opt-outs of callers
known only from training contacts. Real data is never touched: every delete is keyed on the
``training`` flag. The audit chain is append-only: its entries stay (they hold no personal data),
and the reset adds one ``training.reset`` event with the counts.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.models import (
    Case,
    CaseNote,
    Contact,
    EscalationStep,
    Notification,
    OptOut,
    OutboundMessage,
    OutboxEntry,
    Referral,
    ReferralLink,
)


async def reset_training(session: AsyncSession, *, actor: str) -> dict[str, int]:
    cases = select(Case.id).where(Case.training.is_(True)).scalar_subquery()
    contacts = select(Contact.id).where(Contact.training.is_(True)).scalar_subquery()
    real_refs = select(Contact.caller_ref).where(Contact.training.is_(False)).scalar_subquery()
    training_refs = select(Contact.caller_ref).where(Contact.training.is_(True)).scalar_subquery()

    async def count(statement: object) -> int:
        result = await session.execute(statement)  # type: ignore[call-overload]
        return int(result.rowcount or 0)

    counts = {
        "opt_outs": await count(
            delete(OptOut).where(OptOut.caller_ref.in_(training_refs), OptOut.caller_ref.not_in(real_refs))
        ),
        "outbox": await count(delete(OutboxEntry).where(OutboxEntry.contact_id.in_(contacts))),
        "escalation_steps": await count(delete(EscalationStep).where(EscalationStep.case_id.in_(cases))),
        "notifications": await count(delete(Notification).where(Notification.case_id.in_(cases))),
        "referral_links": await count(
            delete(ReferralLink).where(
                ReferralLink.referral_id.in_(
                    select(Referral.id).where(Referral.case_id.in_(cases)).scalar_subquery()
                )
            )
        ),
        "referrals": await count(delete(Referral).where(Referral.case_id.in_(cases))),
        "notes": await count(delete(CaseNote).where(CaseNote.case_id.in_(cases))),
        "outbound_messages": await count(delete(OutboundMessage).where(OutboundMessage.case_id.in_(cases))),
        "contacts": await count(delete(Contact).where(Contact.training.is_(True))),
    }
    # A real record never points at a training case; if one did, it loses the link, not its data.
    await session.execute(update(Contact).where(Contact.case_id.in_(cases)).values(case_id=None))
    await session.execute(update(Case).where(Case.merged_into_id.in_(cases)).values(merged_into_id=None))
    counts["cases"] = await count(delete(Case).where(Case.training.is_(True)))
    await session.flush()
    await audit.append(session, actor=actor, action="training.reset", details=dict(counts))
    return counts
