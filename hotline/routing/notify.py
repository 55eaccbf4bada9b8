"""Telling an agent about a case: what is said, and trying channel after channel.

A notification names the case's reference, severity, category and region, and nothing a
caller said or is: the agent's phone may be read by anyone near it. SMS and calls leave
through ``runtime.telephony`` (the twilio SDK, or the in-memory stand-in in a demo or a
training room). Every attempt becomes an :class:`Attempt` the caller records, with its
outcome; a failed sms or call moves on to the next fallback channel not tried yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from hotline.core.telephony import Caller, SmsSender, TelephonyError
from hotline.routing.policy import Channel

CALL_TIMEOUT_SECONDS = 30
CALL_PATH = "/twilio/notify/call"


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """Everything a notification may say about a case."""

    case_id: uuid.UUID
    reference: str
    severity: str | None
    category: str | None
    region: str | None
    abroad: bool | None
    training: bool

    @property
    def where(self) -> str:
        if self.abroad:
            return "abroad"
        return self.region or "region unknown"


def sms_text(case: CaseSummary) -> str:
    prefix = "[TRAINING] " if case.training else ""
    severity = (case.severity or "unknown").upper()
    category = (case.category or "unclassified").replace("_", " ")
    return (
        f"{prefix}1503 {severity}: {category}, {case.where}. Case {case.reference}. "
        f"Reply OK {case.reference} to acknowledge / Repondez OK {case.reference} pour prendre en charge."
    )


def call_url(public_base_url: str, case_id: uuid.UUID, agent_id: uuid.UUID) -> str:
    return f"{public_base_url}{CALL_PATH}?" + urlencode({"case": str(case_id), "agent": str(agent_id)})


@dataclass(frozen=True, slots=True)
class Recipient:
    agent_id: uuid.UUID
    phone: str | None = field(repr=False)
    channels: Sequence[str]  # what the agent may be reached by (roster / account)


@dataclass(frozen=True, slots=True)
class Attempt:
    agent_id: uuid.UUID
    channel: str
    outcome: str  # delivered | sent | failed | skipped
    detail: str | None = None
    provider_sid: str | None = None


async def reach(
    recipient: Recipient,
    case: CaseSummary,
    *,
    channels: Sequence[Channel],
    fallback: Sequence[Channel],
    sms: SmsSender,
    caller: Caller,
    public_base_url: str,
) -> list[Attempt]:
    """Try each of ``channels``; when an outbound one fails, the next fallback channel not tried."""
    attempts: list[Attempt] = []
    tried: set[Channel] = set()
    queue = list(channels)
    while queue:
        channel = queue.pop(0)
        if channel in tried:
            continue
        tried.add(channel)
        attempt = await _one(
            recipient, case, channel, sms=sms, caller=caller, public_base_url=public_base_url
        )
        attempts.append(attempt)
        if attempt.outcome in ("failed", "skipped") and channel is not Channel.console:
            spare = next((c for c in fallback if c not in tried and c not in queue), None)
            if spare is not None:
                queue.insert(0, spare)
    return attempts


async def _one(
    recipient: Recipient,
    case: CaseSummary,
    channel: Channel,
    *,
    sms: SmsSender,
    caller: Caller,
    public_base_url: str,
) -> Attempt:
    if channel is Channel.console:
        # The case is in the agent's console queue from the moment it is routed.
        return Attempt(recipient.agent_id, channel.value, "delivered")
    if channel.value not in recipient.channels:
        return Attempt(
            recipient.agent_id, channel.value, "skipped", f"agent not reachable by {channel.value}"
        )
    if not recipient.phone:
        return Attempt(recipient.agent_id, channel.value, "skipped", "no phone on file")
    try:
        if channel is Channel.sms:
            message = await sms.send_sms(recipient.phone, sms_text(case))
            return Attempt(recipient.agent_id, channel.value, "sent", message.status, message.sid)
        placed = await caller.call(
            recipient.phone,
            twiml_url=call_url(public_base_url, case.case_id, recipient.agent_id),
            timeout_seconds=CALL_TIMEOUT_SECONDS,
        )
        return Attempt(recipient.agent_id, channel.value, "sent", placed.status, placed.sid)
    except TelephonyError as exc:
        return Attempt(recipient.agent_id, channel.value, "failed", str(exc)[:128])
