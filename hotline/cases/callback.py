"""The masked callback: the platform rings the agent, then bridges the call to the caller.

Only when the caller agreed to be called back (a sealed number is on one of the case's
contacts). The number is opened twice, inside the server only: never here, but in the TwiML
answer Twilio fetches once the agent picks up (:mod:`hotline.console.bridge`). The browser,
the logs and the audit chain see neither the caller's nor the agent's number.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.cases.actions import ActionRefused, callback_contact
from hotline.core.logging import get_logger
from hotline.core.telephony import TelephonyError
from hotline.models import Agent, Case
from hotline.privacy.sealed import agent_phone

if TYPE_CHECKING:
    from hotline.core.runtime import Runtime

log = get_logger(__name__)
BRIDGE_PATH = "/twilio/console/bridge"


async def start_callback(
    session: AsyncSession, runtime: Runtime, case: Case, agent: Agent, *, now: datetime
) -> str:
    """Place the call to the agent; returns the call's Sid. Refusals are audited too."""
    contact = await callback_contact(session, case)
    phone = agent_phone(runtime.keyring, agent)
    reason = None
    if case.status == "closed":
        reason = "case_closed"
    elif contact is None:
        reason = "no_callback_consent"
    elif phone is None:
        reason = "agent_has_no_phone"
    if reason is not None or contact is None or phone is None:
        await audit.append(
            session,
            actor=f"agent:{agent.id}",
            action="case.callback_refused",
            subject=str(case.id),
            details={"reason": reason},
            at=now,
        )
        await session.commit()
        raise ActionRefused(409, reason or "refused")
    query = urlencode({"case": str(case.id), "contact": str(contact.id), "agent": str(agent.id)})
    try:
        placed = await runtime.telephony.call(
            phone, twiml_url=f"{runtime.settings.public_base_url}{BRIDGE_PATH}?{query}", timeout_seconds=30
        )
    except TelephonyError as exc:
        log.warning("console.callback_failed", retryable=exc.retryable, code=exc.code)
        await audit.append(
            session,
            actor=f"agent:{agent.id}",
            action="case.callback_failed",
            subject=str(case.id),
            details={"retryable": exc.retryable},
            at=now,
        )
        await session.commit()
        raise ActionRefused(502, "callback_failed") from None
    await audit.append(
        session,
        actor=f"agent:{agent.id}",
        action="case.callback_started",
        subject=str(case.id),
        details={"call": placed.sid},
        at=now,
    )
    return placed.sid
