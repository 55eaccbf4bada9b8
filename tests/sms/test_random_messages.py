"""Whatever people send, the webhook answers (never a 5xx) and keeps every word."""

from __future__ import annotations

import itertools

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.sms.keywords import default_vocabulary
from tests.fixtures.messaging import contacts, text

SAMPLES = [
    "",
    "a" * 1600,
    "🙏🙏🙏",
    "\udcff\udcfe broken",
    "'; DROP TABLE contacts; --",
    "<script>alert(1)</script>",
    "allo",
    "0",
    "1",
    "STOP",
    "START",
    "HELP",
    "STATUS 12345678",
    "STATUT abc",
    "FOO BAR",
    "+237 6 90 00",
    "ma soeur est enfermée à Douala",
]
_numbers = itertools.count(1)


def message() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(SAMPLES),
        st.text(max_size=200),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1600, max_size=1600),
    )


def on_the_wire(body: str) -> str:
    """What a form field can carry: lone surrogates arrive as U+FFFD."""
    return body.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(conversation=st.lists(message(), min_size=1, max_size=8))
async def test_random_conversations_never_fail_and_lose_nothing(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, conversation: list[str]
) -> None:
    """Each message is answered with 200, and each one that is not a keyword is found in a stored contact."""
    sender = f"+2376{next(_numbers):08d}"
    vocabulary = default_vocabulary()
    for body in conversation:
        response = await text(client, on_the_wire(body), sender=sender)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
    stored = " ".join((c.body or "") for c in await contacts(runtime, session))
    for body in map(on_the_wire, conversation):
        words = body.replace("\x00", "").strip()
        choice, more = vocabulary.choice(words)
        if not words or vocabulary.command(words) is not None or (choice is not None and not more):
            continue  # keywords, and a dialogue's bare choices and skips, are answers, not words to keep
        assert words in stored
