"""Twilio's retries, in any order: a dialogue keeps exactly what the caller said, once.

Twilio redelivers a message when our answer was slow or lost, sometimes after the caller's next
messages already arrived, and status callbacks for our replies come in any order between them.
These property tests draw such interleavings and compare the stored report with what the
caller actually said (each message counted once, in the order it was first delivered).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.intake.identity import caller_ref_of
from hotline.models import Case, Contact
from hotline.privacy.sealed import contact_answers, contact_body, contact_callback_number
from hotline.simulate import new_sid
from hotline.sms.templates import default_templates
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.messaging import drain, reply_of, text
from tests.fixtures.twilio import ACCOUNT_SID, post_signed

T = default_templates()
_numbers = itertools.count(1)
STATUSES = ["queued", "sent", "delivered", "undelivered", "failed", "read"]
#: The questions after "what" and "where", and what each key means ("0" skips).
CHOICES = {
    "danger_now": {"1": True, "2": False},
    "child": {"1": "yes", "2": "no", "3": "unknown"},
    "callback": {"1": True, "2": False},
    "share": {"1": True, "2": False},
}
TOWNS = {"Kumba": "Sud-Ouest", "Bonaberi": "Littoral", "Garoua": "Nord", "0": None}


@dataclass(frozen=True)
class Message:
    sid: str
    body: str


@st.composite
def stories(draw: st.DrawFn) -> tuple[list[Message], dict[str, object]]:
    """A caller's whole dialogue (first deliveries, in order) and the answers it must leave."""
    what = draw(st.sampled_from(["On me retient dans une maison", "Mon patron garde mon passeport", "0"]))
    town = draw(st.sampled_from(sorted(TOWNS)))
    keys = {name: draw(st.sampled_from([*sorted(table), "0"])) for name, table in CHOICES.items()}
    bodies = ["allo", what, town, *keys.values()]
    expected: dict[str, object] = {"language": "fr"}
    if TOWNS[town] is not None:
        expected["region"] = TOWNS[town]
    for name, key in keys.items():
        if key in CHOICES[name]:
            expected[name] = CHOICES[name][key]
    return [Message(new_sid("SM"), body) for body in bodies], expected


#: One event between two first deliveries: a retry of an earlier message (by index), a status
#: callback for one of our replies, or the worker running.
events = st.lists(
    st.one_of(
        st.tuples(st.just("retry"), st.integers(min_value=0, max_value=10)),
        st.tuples(st.just("status"), st.sampled_from(STATUSES)),
        st.tuples(st.just("work"), st.just("")),
    ),
    max_size=3,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(story=stories(), between=st.lists(events, min_size=8, max_size=8))
async def test_any_interleaving_of_retries_and_status_callbacks_keeps_the_story_exactly(
    client: httpx.AsyncClient,
    runtime: Runtime,
    session: AsyncSession,
    story: tuple[list[Message], dict[str, object]],
    between: list[list[tuple[str, object]]],
) -> None:
    """Rule: one contact per story however often its messages are redelivered (late retries included),
    each retry gets its first reply, the answers and consent are exactly what the caller gave, one case."""
    messages, expected = story
    sender = f"+2376{next(_numbers):08d}"
    first_reply: dict[str, str | None] = {}
    delivered: list[Message] = []

    async def run(event: tuple[str, object]) -> None:
        kind, value = event
        if kind == "retry" and delivered:
            earlier = delivered[int(str(value)) % len(delivered)]
            again = reply_of(await text(client, earlier.body, sender=sender, sid=earlier.sid))
            assert again == first_reply[earlier.sid], "a retry gets the reply the message first had"
        elif kind == "status":
            form = {"MessageSid": new_sid("SM"), "MessageStatus": str(value), "AccountSid": ACCOUNT_SID}
            response = await post_signed(
                client, "/twilio/sms/status", form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
            )
            assert response.status_code == 204
        elif kind == "work":
            await drain(runtime)

    for message, extra in zip(messages, between, strict=False):
        first_reply[message.sid] = reply_of(await text(client, message.body, sender=sender, sid=message.sid))
        delivered.append(message)
        for event in extra:
            await run(event)
    for event in between[-1]:  # late retries after the dialogue ended
        await run(event)
    await drain(runtime)

    caller = caller_ref_of(sender, runtime.pepper)
    session.expire_all()
    [contact] = (await session.execute(select(Contact).where(Contact.caller_ref == caller))).scalars().all()
    assert contact.provider_id == messages[0].sid
    assert contact_answers(runtime.keyring, contact) == expected
    number = contact_callback_number(runtime.keyring, contact)
    assert (number == sender) is (expected.get("callback") is True), "a number only with consent"
    assert number is None or expected.get("callback") is True
    said = [m.body for m in messages[:3] if m.body != "0"]  # the opening, what happened, the town
    assert contact_body(runtime.keyring, contact) == "\n".join(said), "every word once, in order"
    assert first_reply[messages[-1].sid] == T.render("done", "fr", reference=contact.reference)
    cases = (await session.execute(select(Case).where(Case.caller_ref == caller))).scalars().all()
    assert [c.reference for c in cases] == [contact.reference]
