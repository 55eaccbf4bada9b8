"""A live call's state: read from the store, rebuilt from the contact when the store lost it."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.intake.dialogue import BOOKKEEPING
from hotline.intake.service import find_contact
from hotline.ivr.oncall import ConfiguredOnCall, OnCallDirectory
from hotline.ivr.state import CallState
from hotline.privacy.sealed import contact_answers

log = get_logger(__name__)

FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
#: answers that come from the call itself rather than from a key the caller pressed
NOT_CHOICES = BOOKKEEPING | {"dial", "recording_sid", "recording_seconds"}


def final_status(status: str) -> bool:
    return status in FINAL_STATUSES


def on_call_directory(runtime: Runtime) -> OnCallDirectory:
    """Routing's directory once it is on the Runtime; the configured number until then."""
    return runtime.on_call or ConfiguredOnCall(runtime.settings.emergency_number)


@dataclass
class Call:
    runtime: Runtime
    sid: str
    state: CallState

    @classmethod
    async def start(cls, runtime: Runtime, provider: str, sid: str, *, reference: str, fresh: bool) -> Call:
        """A new call (or Twilio retrying its first webhook, ``fresh`` False: keep what we have)."""
        state = None if fresh else await _get(runtime, sid)
        call = cls(runtime, sid, state or CallState(reference=reference))
        await call.save()
        return call

    @classmethod
    async def load(cls, runtime: Runtime, provider: str, sid: str) -> Call:
        state = await _get(runtime, sid)
        if state is None:
            state = await _rebuild(runtime, provider, sid)
            runtime.metrics.webhooks.labels(route="voice.state", outcome="rebuilt").inc()
            log.info("ivr.state_rebuilt")
        return cls(runtime, sid, state)

    async def save(self) -> None:
        try:
            await self.runtime.call_states.put(self.sid, self.state)
        except Exception as exc:  # the contact holds every answer; the next turn rebuilds
            log.warning("ivr.state_not_saved", reason=type(exc).__name__)

    @classmethod
    async def finish(cls, runtime: Runtime, provider: str, sid: str) -> str:
        """Forget a call that ended; say whether the caller chose anything ("abandoned" if not)."""
        try:
            state = await runtime.call_states.take(sid)
        except Exception as exc:
            log.warning("ivr.state_unavailable", reason=type(exc).__name__)
            state = None
        if state is None:
            return "unknown"
        said = state.choices > 0 or "recording_sid" in state.answers
        return "reported" if said else "abandoned"


async def _get(runtime: Runtime, sid: str) -> CallState | None:
    try:
        return await runtime.call_states.get(sid)
    except Exception as exc:
        log.warning("ivr.state_unavailable", reason=type(exc).__name__)
        return None


async def _rebuild(runtime: Runtime, provider: str, sid: str) -> CallState:
    """What the store forgot, from the contact: every answer was written there first."""
    try:
        async with runtime.sessions() as session:
            contact = await find_contact(session, provider, sid)
            if contact is not None:
                answers = contact_answers(runtime.keyring, contact)
                language = answers.get("language")
                return CallState(
                    reference=contact.reference,
                    language=language if isinstance(language, str) else None,
                    answers={k: v for k, v in answers.items() if k not in BOOKKEEPING},
                    choices=sum(1 for k in answers if k not in NOT_CHOICES),
                )
    except Exception as exc:  # the database is away too: the spool knows the reference
        log.warning("ivr.contact_unavailable", reason=type(exc).__name__)
    return CallState(reference=runtime.spool.reference_for(provider, sid))
