"""An agent's SMS reply to a notification: "OK 12345678" (or "1": the latest alert).

Only texts from a known agent's phone that read as an acknowledgement are handled here;
everything else goes on to the report path untouched, so an agent can still report.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

from hotline.cases import reference as references
from hotline.core.db import unit_of_work
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.intake.identity import to_e164
from hotline.models import Case, Notification
from hotline.routing import repository
from hotline.routing.acknowledge import AckOutcome, Via, acknowledge

log = get_logger(__name__)

_ACK = re.compile(
    r"^\s*(?:(?:ok|oui|yes)(?![a-z])[\s.:,-]*(?P<ref>[\d\s-]{8,12})?|1)\s*[.!]?\s*$", re.IGNORECASE
)


INVALID = "invalid"


def parse_ack(text: str) -> tuple[bool, str | None]:
    """(is an acknowledgement, the reference it names: None for "the latest", INVALID for a typo)."""
    found = _ACK.match(text or "")
    if found is None:
        return False, None
    raw = found.group("ref")
    if raw is None:
        return True, None
    return True, references.normalise(raw) or INVALID


def _reply(text: str) -> str:
    response = MessagingResponse()
    response.message(text)
    return str(response)


async def agent_reply(runtime: Runtime, sender: str, body: str) -> str | None:
    """TwiML answering an agent's acknowledgement, or None when this text is not one."""
    is_ack, reference = parse_ack(body)
    if not is_ack:
        return None
    e164 = to_e164(sender, runtime.settings.default_region)
    if e164 is None:
        return None
    now = runtime.clock()
    async with unit_of_work(runtime.sessions) as session:
        agent = await repository.agent_by_phone_ref(session, repository.phone_ref(runtime.pepper, e164))
        if agent is None:
            return None
        if reference == INVALID:
            log.info("sms.agent_ack", outcome="bad_reference")
            return _reply(
                "1503: reference inconnue, verifiez les 8 chiffres / unknown reference, check the 8 digits."
            )
        if reference is not None:
            case_id = await session.scalar(select(Case.id).where(Case.reference == reference))
        else:
            case_id = await session.scalar(
                select(Notification.case_id)
                .where(Notification.agent_id == agent.id)
                .order_by(Notification.attempted_at.desc())
                .limit(1)
            )
        if case_id is None:
            log.info("sms.agent_ack", outcome="nothing_to_acknowledge")
            return _reply("1503: aucun dossier a prendre en charge / nothing to acknowledge.")
        result = await acknowledge(session, case_id, agent, via=Via.sms, now=now, metrics=runtime.metrics)
        ref = result.case.reference if result.case else reference
    log.info("sms.agent_ack", outcome=result.outcome.value, reason=result.reason)
    if result.outcome in (AckOutcome.acknowledged, AckOutcome.already):
        return _reply(f"1503: dossier {ref} pris en charge, merci / case {ref} acknowledged, thank you.")
    if result.reason == "already_acknowledged":
        return _reply(f"1503: dossier {ref} deja pris par un collegue / case {ref} already taken.")
    return _reply(f"1503: le dossier {ref} ne vous attend pas / case {ref} is not waiting for you.")
