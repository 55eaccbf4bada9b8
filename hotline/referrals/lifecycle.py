"""A referral from draft to its end, with consent, exactly what is shared, and reminders.

::

    draft ──send──▶ sent ──▶ accepted ──▶ in_progress ──▶ completed
      │              │   └─▶ declined        │    └──────────────┐
      └──────────────┴──────────┴────────────┴──▶ closed_without_action

*Sending* is the moment data leaves the hotline, so every check is there: the case is open,
the partner active, the contact vetted, and the caller consented — or the case concerns a
minor at risk or imminent danger and a supervisor approves the exception with a written
reason (kept as a sealed case note). ``shared`` then records the exact fields and values
that went, and to whom by which channel; nothing else leaves (the SMS and email carry only
the reference and the link; the link's page shows only the recorded fields).

The partner moves the referral through its link (accept, decline, start, complete, with a
note); the agent can record the same by hand (a partner who phoned) and can close it
without action. Every move is audited with who did it; the audit chain gets field names and
the partner's slug, never a value a caller gave.

An unanswered referral (still ``sent``) is chased every ``HOTLINE_REFERRAL_REMIND_AFTER_MINUTES``,
at most ``HOTLINE_REFERRAL_MAX_REMINDERS`` times: the partner gets the link again, the agent
an SMS; the console's overdue list shows them all. The clock is passed in (``now``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.cases.actions import SUPERVISING, ActionRefused, add_note
from hotline.core.crypto import Keyring
from hotline.core.logging import get_logger
from hotline.models import Agent, Case, CaseStatus, Partner, PartnerContact, Referral, ReferralLink
from hotline.privacy.sealed import SealedColumn, agent_phone
from hotline.referrals import links
from hotline.referrals.consent import consent_of
from hotline.referrals.directory import reachable
from hotline.sms import outbound

if TYPE_CHECKING:
    from hotline.core.runtime import Runtime

log = get_logger(__name__)

REFERRAL_NEEDS = SealedColumn("referrals", "needs_enc")
REFERRAL_NOTE = SealedColumn("referrals", "partner_note_enc")

DRAFT, SENT, ACCEPTED, DECLINED = "draft", "sent", "accepted", "declined"
IN_PROGRESS, COMPLETED, CLOSED = "in_progress", "completed", "closed_without_action"
STATUSES: Final = (DRAFT, SENT, ACCEPTED, DECLINED, IN_PROGRESS, COMPLETED, CLOSED)
FINAL: Final = frozenset({DECLINED, COMPLETED, CLOSED})
OPEN: Final = frozenset(STATUSES) - FINAL

# Who may move a referral where (sending has its own function: it is where consent is checked).
AGENT_MOVES: Final[dict[str, frozenset[str]]] = {
    DRAFT: frozenset({CLOSED}),
    SENT: frozenset({ACCEPTED, DECLINED, CLOSED}),
    ACCEPTED: frozenset({IN_PROGRESS, COMPLETED, CLOSED}),
    IN_PROGRESS: frozenset({COMPLETED, CLOSED}),
}
PARTNER_MOVES: Final[dict[str, frozenset[str]]] = {
    SENT: frozenset({ACCEPTED, DECLINED}),
    ACCEPTED: frozenset({IN_PROGRESS, COMPLETED}),
    IN_PROGRESS: frozenset({COMPLETED}),
}
# What the partner's page can do, and the status each leads to.
PARTNER_ACTIONS: Final = {
    "accept": ACCEPTED,
    "decline": DECLINED,
    "start": IN_PROGRESS,
    "complete": COMPLETED,
}
STAMP: Final = {
    SENT: "sent_at",
    ACCEPTED: "accepted_at",
    DECLINED: "declined_at",
    IN_PROGRESS: "started_at",
    COMPLETED: "completed_at",
    CLOSED: "closed_at",
}
# The fields a partner sees; nothing else ever leaves with a referral.
SHARED_FIELDS: Final = ("reference", "category", "region", "needs", "agent", "callback_number")
MAX_NEEDS = 1000
MAX_NOTE = 2000


def needs_text(keyring: Keyring, referral: Referral) -> str | None:
    return keyring.open_optional(referral.needs_enc, REFERRAL_NEEDS.at(referral.id))


def partner_note(keyring: Keyring, referral: Referral) -> str | None:
    return keyring.open_optional(referral.partner_note_enc, REFERRAL_NOTE.at(referral.id))


def _set_note(keyring: Keyring, referral: Referral, note: str | None) -> None:
    """The partner's latest word on the referral (said through the link, or to the agent by phone)."""
    if note is None or not note.strip():
        return
    if len(note) > MAX_NOTE:
        raise ActionRefused(422, "note_too_long")
    referral.partner_note_enc = keyring.seal(note.strip(), REFERRAL_NOTE.at(referral.id))


def _agent_actor(agent: Agent) -> str:
    return f"agent:{agent.id}"


def _stamp(referral: Referral, status: str, now: datetime) -> None:
    referral.status = status
    referral.updated_at = now
    setattr(referral, STAMP[status], now)


async def _audit(
    session: AsyncSession, actor: str, action: str, referral: Referral, now: datetime, **details: Any
) -> None:
    await audit.append(
        session,
        actor=actor,
        action=action,
        subject=str(referral.case_id),
        details={"referral": str(referral.id), **details},
        at=now,
    )


async def create(
    session: AsyncSession,
    keyring: Keyring,
    case: Case,
    agent: Agent,
    partner: Partner,
    contact: PartnerContact,
    needs: str,
    *,
    now: datetime,
) -> Referral:
    """A draft: nothing leaves the hotline until it is sent."""
    if case.status == CaseStatus.closed.value:
        raise ActionRefused(409, "case_closed")
    if not partner.active:
        raise ActionRefused(409, "partner_inactive")
    if contact.partner_id != partner.id or not reachable(contact):
        raise ActionRefused(422, "contact_not_reachable")
    needs = needs.strip()
    if not needs:
        raise ActionRefused(422, "needs_required")
    if len(needs) > MAX_NEEDS:
        raise ActionRefused(422, "needs_too_long")
    referral = Referral(
        id=uuid.uuid4(),
        case_id=case.id,
        partner_id=partner.id,
        partner_kind=partner.kind,
        contact_id=contact.id,
        status=DRAFT,
        created_by_id=agent.id,
        training=case.training,
        created_at=now,
        updated_at=now,
    )
    referral.needs_enc = keyring.seal(needs, REFERRAL_NEEDS.at(referral.id))
    session.add(referral)
    await session.flush()
    await _audit(session, _agent_actor(agent), "referral.drafted", referral, now, partner=partner.slug)
    return referral


def _shared_fields(case: Case, agent: Agent, callback_number: str) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "category": case.category,
        "region": "abroad" if case.abroad and case.region is None else case.region,
        "needs": "(the agent's text, sealed on the referral)",
        "agent": agent.display_name or agent.username,
        "callback_number": callback_number,
    }


def partner_message(reference: str, url: str, *, reminder: bool = False) -> str:
    """The SMS (and the email's text): the reference and the link, nothing else."""
    head = "1503 MINAS: rappel" if reminder else "1503 MINAS: nouvelle orientation"
    spaced = f"{reference[:4]} {reference[4:]}"
    return f"{head} {spaced}. Ouvrir / open: {url}"


async def send(
    session: AsyncSession,
    runtime: Runtime,
    referral: Referral,
    agent: Agent,
    *,
    exception_reason: str | None = None,
    now: datetime,
) -> Referral:
    """Check consent (or the exception), record what is shared, queue the SMS/email."""
    if referral.status != DRAFT:
        raise ActionRefused(409, "not_a_draft")
    case = await session.get(Case, referral.case_id)
    partner = await session.get(Partner, referral.partner_id)
    contact = await session.get(PartnerContact, referral.contact_id) if referral.contact_id else None
    if case is None or partner is None:
        raise ActionRefused(404, "not_found")
    if case.status == CaseStatus.closed.value:
        raise ActionRefused(409, "case_closed")
    if not partner.active:
        raise ActionRefused(409, "partner_inactive")
    if contact is None or not reachable(contact):
        raise ActionRefused(422, "contact_not_reachable")
    consent = await consent_of(session, runtime.keyring, case)
    exception_note: uuid.UUID | None = None
    if consent.agreed:
        basis = "consent"
    elif exception_reason is None or not exception_reason.strip():
        await _audit(
            session,
            _agent_actor(agent),
            "referral.refused",
            referral,
            now,
            reason="consent_required",
            consent="refused" if consent.given is False else "unknown",
        )
        raise ActionRefused(409, "consent_required")
    elif agent.role not in SUPERVISING:
        await _audit(
            session,
            _agent_actor(agent),
            "referral.refused",
            referral,
            now,
            reason="exception_needs_supervisor",
        )
        raise ActionRefused(403, "exception_needs_supervisor")
    elif not (case.minor or case.imminent_danger):
        await _audit(
            session, _agent_actor(agent), "referral.refused", referral, now, reason="no_exception_applies"
        )
        raise ActionRefused(409, "no_exception_applies")
    else:
        basis = "exception"
        note = await add_note(
            session, runtime.keyring, case, agent, exception_reason, now=now, kind="ref_exception"
        )
        exception_note = note.id
        referral.approved_by_id = agent.id

    settings = runtime.settings
    link, token = links.mint(
        session,
        settings.secret_key.get_secret_value(),
        referral,
        contact.id,
        now=now,
        days=settings.referral_link_days,
    )
    url = f"{settings.public_base_url}/r/{token}"
    channels = await _notify_partner(session, runtime, referral, contact, case.reference, url, now=now)
    referral.basis = basis
    referral.exception_note_id = exception_note
    referral.shared = {
        "fields": _shared_fields(case, agent, settings.referral_callback_number),
        "message": ["reference", "link"],
        "to": {"partner": partner.slug, "contact": str(contact.id), "channels": channels},
        "at": now.isoformat(),
    }
    _stamp(referral, SENT, now)
    await session.flush()
    await _audit(
        session,
        _agent_actor(agent),
        "referral.sent",
        referral,
        now,
        partner=partner.slug,
        partner_kind=partner.kind,
        basis=basis,
        fields=",".join(SHARED_FIELDS),
        channels=",".join(channels),
        link=str(link.id),
    )
    if basis == "exception":
        await _audit(
            session,
            _agent_actor(agent),
            "referral.consent_exception",
            referral,
            now,
            minor=bool(case.minor),
            imminent_danger=bool(case.imminent_danger),
            note=str(exception_note),
        )
    if case.status in (CaseStatus.acknowledged.value, CaseStatus.in_progress.value):
        previous = case.status
        case.status = CaseStatus.referred.value
        case.updated_at = now
        await session.flush()
        await audit.append(
            session,
            actor=_agent_actor(agent),
            action="case.status_changed",
            subject=str(case.id),
            details={"from": previous, "to": CaseStatus.referred.value, "outcome": None},
            at=now,
        )
    return referral


async def _notify_partner(
    session: AsyncSession,
    runtime: Runtime,
    referral: Referral,
    contact: PartnerContact,
    reference: str,
    url: str,
    *,
    now: datetime,
    reminder: bool = False,
) -> list[str]:
    text = partner_message(reference, url, reminder=reminder)
    channels = []
    purpose = "referral_reminder" if reminder else "referral"
    if contact.phone:
        await outbound.enqueue(
            session,
            runtime.keyring,
            to=contact.phone,
            body=text,
            purpose=purpose,
            case_id=referral.case_id,
            now=now,
        )
        channels.append("sms")
    if contact.email and runtime.settings.smtp_host:
        subject = f"1503 {'rappel' if reminder else 'orientation'} / referral {reference}"
        await outbound.enqueue(
            session,
            runtime.keyring,
            to=f"mailto:{contact.email}",
            body=f"{subject}\n\n{text}\n",
            purpose=purpose,
            case_id=referral.case_id,
            now=now,
        )
        channels.append("email")
    return channels


async def move_by_agent(
    session: AsyncSession,
    keyring: Keyring,
    referral: Referral,
    agent: Agent,
    to: str,
    *,
    note: str | None,
    now: datetime,
) -> Referral:
    """The agent records a step (a partner who phoned) or closes the referral without action."""
    if to not in AGENT_MOVES.get(referral.status, frozenset()):
        raise ActionRefused(409, "transition_not_allowed")
    _set_note(keyring, referral, note)
    previous = referral.status
    _stamp(referral, to, now)
    await session.flush()
    await _audit(
        session, _agent_actor(agent), f"referral.{to}", referral, now, previous=previous, via="agent"
    )
    return referral


async def move_by_partner(
    session: AsyncSession,
    keyring: Keyring,
    link: ReferralLink,
    referral: Referral,
    action: str,
    *,
    note: str | None,
    now: datetime,
) -> Referral:
    to = PARTNER_ACTIONS.get(action)
    if to is None or to not in PARTNER_MOVES.get(referral.status, frozenset()):
        raise ActionRefused(409, "transition_not_allowed")
    _set_note(keyring, referral, note)
    previous = referral.status
    _stamp(referral, to, now)
    if to in FINAL:
        link.spent_at = now
    await session.flush()
    await _audit(
        session,
        f"partner_contact:{link.contact_id}",
        f"referral.{to}",
        referral,
        now,
        previous=previous,
        via="link",
        link=str(link.id),
    )
    return referral


@dataclass(frozen=True, slots=True)
class Reminded:
    referrals: int = 0
    partner_messages: int = 0
    agent_messages: int = 0


def overdue_filter(now: datetime, delay: timedelta) -> Any:
    return (Referral.status == SENT) & (Referral.sent_at <= now - delay)


async def overdue(
    session: AsyncSession, *, now: datetime, delay: timedelta, limit: int = 200
) -> list[Referral]:
    """Referrals sent and still unanswered after ``delay``, oldest first."""
    rows = await session.execute(
        select(Referral).where(overdue_filter(now, delay)).order_by(Referral.sent_at).limit(limit)
    )
    return list(rows.scalars())


async def remind_due(session: AsyncSession, runtime: Runtime, *, now: datetime) -> Reminded:
    """Chase every unanswered referral whose last message is older than the delay."""
    settings = runtime.settings
    delay = timedelta(minutes=settings.referral_remind_after_minutes)
    due = (
        await session.execute(
            select(Referral)
            .where(
                Referral.status == SENT,
                Referral.reminders < settings.referral_max_reminders,
                or_(
                    Referral.last_reminded_at <= now - delay,
                    (Referral.last_reminded_at.is_(None)) & (Referral.sent_at <= now - delay),
                ),
            )
            .order_by(Referral.sent_at)
            .limit(100)
            .with_for_update(skip_locked=True)
        )
    ).scalars()
    counted = [0, 0, 0]
    secret = settings.secret_key.get_secret_value()
    for referral in list(due):
        case = await session.get(Case, referral.case_id)
        contact = await session.get(PartnerContact, referral.contact_id) if referral.contact_id else None
        if case is None:
            continue
        referral.reminders += 1
        referral.last_reminded_at = now
        referral.updated_at = now
        counted[0] += 1
        if contact is not None and reachable(contact):
            link = (
                await session.execute(
                    select(ReferralLink)
                    .where(ReferralLink.referral_id == referral.id, ReferralLink.spent_at.is_(None))
                    .order_by(ReferralLink.created_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if link is None or link.expires_at <= now:
                link, token = links.mint(
                    session, secret, referral, contact.id, now=now, days=settings.referral_link_days
                )
            else:
                token = links.token_for(secret, link.id)
            url = f"{settings.public_base_url}/r/{token}"
            sent = await _notify_partner(
                session, runtime, referral, contact, case.reference, url, now=now, reminder=True
            )
            counted[1] += len(sent)
        owner_id = case.assignee_id or referral.created_by_id
        owner = await session.get(Agent, owner_id) if owner_id else None
        phone = agent_phone(runtime.keyring, owner) if owner is not None else None
        if phone:
            partner = await session.get(Partner, referral.partner_id)
            name = partner.name if partner else "partner"
            await outbound.enqueue(
                session,
                runtime.keyring,
                to=phone,
                body=f"1503: orientation {case.reference} vers {name[:60]} sans reponse. Voir la console.",
                purpose="referral_reminder",
                case_id=case.id,
                now=now,
            )
            counted[2] += 1
        await session.flush()
        await _audit(
            session, "system:referrals", "referral.reminded", referral, now, reminder=referral.reminders
        )
    if counted[0]:
        log.info(
            "referrals.reminded", referrals=counted[0], partner_messages=counted[1], agent_messages=counted[2]
        )
    return Reminded(*counted)
