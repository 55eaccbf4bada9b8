"""Random keys, silences, messages and hang-ups: the line never breaks and never loses a report."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.intake.dialogue import caller_said_something
from hotline.ivr.phone import Message, TwimlPhone
from hotline.models import Case, Contact
from hotline.privacy.sealed import contact_answers
from tests.ivr.callers import HANG_UP, SILENCE, Scripted
from tests.ivr.test_paths import drain

KEYS = st.sampled_from([*"0123456789*#", SILENCE, SILENCE, HANG_UP])
MESSAGES = st.builds(Message, st.integers(min_value=0, max_value=180), st.booleans())


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    keys=st.lists(KEYS, max_size=30),
    messages=st.lists(MESSAGES, max_size=2),
    agents=st.lists(st.booleans(), max_size=2),
)
async def test_any_caller_gets_valid_twiml_and_every_message_becomes_a_case(
    phone: TwimlPhone,
    runtime: Runtime,
    session: AsyncSession,
    keys: list[str],
    messages: list[Message],
    agents: list[bool],
) -> None:
    """No 5xx, valid TwiML every time; every call that left a message has a case; a call where
    the caller chose nothing and said nothing has none."""
    # The phone raises on any 5xx, any non-TwiML answer and any call that never ends.
    call = await phone.call(Scripted(list(keys), list(messages), list(agents)))
    await drain(runtime)
    async with runtime.sessions() as fresh:
        contact = (await fresh.execute(select(Contact).where(Contact.provider_id == call.sid))).scalar_one()
        answers = contact_answers(runtime.keyring, contact)
        if call.recorded:
            assert "recording_sid" in answers
            assert contact.case_id is not None, "a message without a case"
        if caller_said_something(None, answers):
            assert contact.case_id is not None, f"a partial report without a case: {sorted(answers)}"
            case = (await fresh.execute(select(Case).where(Case.id == contact.case_id))).scalar_one()
            if answers.get("danger_now") or answers.get("menu") == "emergency":
                assert case.severity == "critical"
        else:
            assert contact.case_id is None, "an abandoned call became a case"
        assert answers.get("dialogue") == "ended"
    assert session is not None
