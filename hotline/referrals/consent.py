"""Whether the caller agreed that the hotline passes their report to a partner.

Callers answer in the IVR, the SMS/WhatsApp dialogue or USSD: the answer ``share`` (True or
False) on a contact's sealed answers. An agent can record it too, during a callback (it is
on the case: ``share_consent``). The newest answer wins: a caller who refused on the phone
and agreed later with the agent has agreed, and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.core.crypto import Keyring
from hotline.models import Agent, Case, Contact
from hotline.privacy.sealed import contact_answers


@dataclass(frozen=True, slots=True)
class Consent:
    given: bool | None
    """True: agreed; False: refused; None: never asked or never answered (no consent)."""
    source: str | None = None
    """The channel of the answer (voice, sms, whatsapp, ussd) or ``agent``."""
    at: datetime | None = None

    @property
    def agreed(self) -> bool:
        return self.given is True


async def consent_of(session: AsyncSession, keyring: Keyring, case: Case) -> Consent:
    found = Consent(None)
    contacts = (
        await session.execute(select(Contact).where(Contact.case_id == case.id).order_by(Contact.received_at))
    ).scalars()
    for contact in contacts:
        answer = contact_answers(keyring, contact).get("share")
        if isinstance(answer, bool):
            found = Consent(answer, contact.channel, contact.received_at)
    recorded = case.share_consent
    if recorded:
        at = datetime.fromisoformat(str(recorded["at"]))
        if found.at is None or at >= found.at:
            found = Consent(bool(recorded["given"]), "agent", at)
    return found


async def record_consent(
    session: AsyncSession, case: Case, agent: Agent, given: bool, *, now: datetime
) -> Consent:
    """The agent heard the caller agree (or refuse), e.g. during a callback. Audited."""
    case.share_consent = {"given": given, "by": str(agent.id), "at": now.isoformat()}
    case.updated_at = now
    await session.flush()
    await audit.append(
        session,
        actor=f"agent:{agent.id}",
        action="case.share_consent_recorded",
        subject=str(case.id),
        details={"given": given},
        at=now,
    )
    return Consent(given, "agent", now)
