"""How an agent is reached: channels, and a phone kept sealed and recognised by its keyed hash.

A phone number enters here (``hotline agents create --phone``, ``hotline roster import``),
is sealed into ``agents.phone_enc`` and hashed into ``agent_reach.phone_ref``, and leaves
only towards Twilio, when a notification is sent. No message or log here ever carries it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.crypto import Keyring
from hotline.intake.identity import to_e164
from hotline.models import Agent, AgentReach
from hotline.privacy.sealed import agent_phone, set_agent_phone
from hotline.routing.repository import phone_ref

ALL_CHANNELS = ("console", "sms", "voice")


class ReachError(ValueError):
    """A phone or a channel cannot be used; the message never repeats the number."""


async def set_reach(
    session: AsyncSession,
    *,
    keyring: Keyring,
    pepper: str,
    agent: Agent,
    phone: str | None = None,
    channels: Sequence[str] | None = None,
    default_region: str = "CM",
) -> AgentReach:
    reach = await session.get(AgentReach, agent.id)
    if reach is None:
        reach = AgentReach(agent_id=agent.id, channels=list(ALL_CHANNELS))
        session.add(reach)
    if channels is not None:
        unknown = [c for c in channels if c not in ALL_CHANNELS]
        if unknown:
            raise ReachError(f"unknown channel {unknown[0]!r}; channels are console, sms, voice")
        reach.channels = list(dict.fromkeys(["console", *channels]))
    if phone is not None:
        e164 = to_e164(phone, default_region)
        if e164 is None:
            raise ReachError(f"the phone given for {agent.username} is not a phone number")
        ref = phone_ref(pepper, e164)
        taken = await session.scalar(
            select(AgentReach.agent_id).where(AgentReach.phone_ref == ref, AgentReach.agent_id != agent.id)
        )
        if taken is not None:
            raise ReachError(f"the phone given for {agent.username} is already another agent's")
        set_agent_phone(keyring, agent, e164)
        reach.phone_ref = ref
    await session.flush()
    return reach


def phone_of(keyring: Keyring, agent: Agent) -> str | None:
    return agent_phone(keyring, agent)
