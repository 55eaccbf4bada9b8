"""The gateway's retries, in any order: a USSD session keeps exactly what the caller keyed, once.

Africa's Talking sends each screen's request with the whole session's entries so far; when our
answer is slow it sends one again, sometimes after the next screen's request, and the
end-of-session notification may come before the last screen's retry. These property tests draw
such interleavings and compare the stored report with the keys the caller pressed.
"""

from __future__ import annotations

import itertools

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.intake.identity import caller_ref_for
from hotline.models import Case, Contact
from hotline.privacy.sealed import contact_answers, contact_body
from hotline.ussd.menu import CHILD_KEYS, DANGER_KEYS, LANGUAGE_KEYS, REGION_KEYS, SHARE_KEYS, TOPIC_KEYS
from tests.fixtures.messaging import USSD_SECRET, drain
from tests.ussd.conftest import dial

_sessions = itertools.count(1)
TABLES = [
    ("danger_now", DANGER_KEYS),
    ("menu", TOPIC_KEYS),
    ("child", CHILD_KEYS),
    ("region", REGION_KEYS),
    ("share", SHARE_KEYS),
]


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[str], dict[str, object], str | None]:
    """The session's requests in order (``text`` of each), the answers they leave, the description."""
    language = draw(st.sampled_from(sorted(LANGUAGE_KEYS)))
    keys = [language]
    expected: dict[str, object] = {"language": LANGUAGE_KEYS[language]}
    for name, table in TABLES:
        key = draw(st.sampled_from([*sorted(table), "7", "99"]))  # on the screen, or not
        keys.append(key)
        if key in table:
            expected[name] = table[key]
    description = draw(st.sampled_from(["Ils la gardent enfermee a Garoua", "0", "my boss took my passport"]))
    keys.append(description)
    cut = draw(st.integers(min_value=2, max_value=len(keys)))  # the caller may stop before the end
    keys = keys[:cut]
    texts = ["", *("*".join(keys[: n + 1]) for n in range(len(keys)))]
    kept = {k: v for k, v in expected.items() if k == "language" or _answered_within(k, cut)}
    said = description if cut == 7 and description != "0" else None
    return texts, kept, said


def _answered_within(name: str, cut: int) -> bool:
    position = 1 + [n for n, _ in TABLES].index(name)
    return position < cut


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    story=sessions(),
    retries=st.lists(st.tuples(st.integers(min_value=0, max_value=8), st.integers(0, 8)), max_size=6),
    end=st.sampled_from(["Success", "Incomplete", "Failed", None]),
    work=st.booleans(),
)
async def test_any_interleaving_of_screen_retries_and_the_end_notification_keeps_the_session_exactly(
    ussd: httpx.AsyncClient,
    runtime: Runtime,
    session: AsyncSession,
    story: tuple[list[str], dict[str, object], str | None],
    retries: list[tuple[int, int]],
    end: str | None,
    work: bool,
) -> None:
    """Rule: one contact and one case per session however often its screens are sent again (late ones
    too, and after the end notification); each retry gets its first screen; the answers are the keys."""
    texts, expected, said = story
    n = next(_sessions)
    session_id, number = f"ATUid_prop_{n}", f"+2376991{n:05d}"
    first: dict[str, str] = {}
    retry_at = {after % len(texts): which for after, which in retries}
    for index, text in enumerate(texts):
        first[text] = await dial(ussd, text, session_id=session_id, number=number)
        if index in retry_at:
            earlier = texts[retry_at[index] % (index + 1)]
            assert await dial(ussd, earlier, session_id=session_id, number=number) == first[earlier]
        if work:
            await drain(runtime)
    if end is not None:
        form = {"sessionId": session_id, "phoneNumber": number, "status": end, "input": texts[-1]}
        response = await ussd.post(f"/ussd/africastalking/events?key={USSD_SECRET}", data=form)
        assert response.status_code == 200
    for _, which in retries:  # late retries after the session ended
        earlier = texts[which % len(texts)]
        assert await dial(ussd, earlier, session_id=session_id, number=number) == first[earlier]
    await drain(runtime)

    caller = caller_ref_for(number, runtime.pepper, runtime.settings.default_region)
    session.expire_all()
    rows = (await session.execute(select(Contact).where(Contact.caller_ref == caller))).scalars().all()
    [contact] = rows  # stored from the danger screen on, whatever was keyed
    assert contact.provider_id == session_id
    assert contact_answers(runtime.keyring, contact) == expected
    assert contact_body(runtime.keyring, contact) == said
    if end is not None:
        assert contact.provider_status == end.lower()
    cases = (await session.execute(select(Case).where(Case.caller_ref == caller))).scalars().all()
    assert [c.reference for c in cases] == [contact.reference]
