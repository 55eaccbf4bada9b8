"""USSD through Africa's Talking: screens of at most 182 characters, a case exactly once."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import Case, Contact
from hotline.ussd.menu import MAX_SCREEN_CHARS, default_screens, position
from tests.conftest import app_for
from tests.fixtures.messaging import USSD_SECRET, contacts, drain
from tests.ussd.conftest import NUMBER, PATH, dial


async def test_a_whole_session_is_one_case_with_the_reference_on_the_end_screen(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Language, danger now, what about, child, region, consent to share, a description → END with the reference."""
    assert (await dial(ussd, "")).startswith("CON 1503")
    assert "danger" in await dial(ussd, "2")
    assert "What is it about" in await dial(ussd, "2*1")
    assert "child" in await dial(ussd, "2*1*1")
    assert "region" in await dial(ussd, "2*1*1*1")
    assert "May we pass your file to a partner" in await dial(ussd, "2*1*1*1*5")
    assert "Describe" in await dial(ussd, "2*1*1*1*5*1")
    end = await dial(ussd, "2*1*1*1*5*1*Douala, my cousin is locked in a bar")
    [stored] = await contacts(runtime, session)
    assert end == default_screens().end("done", "en", reference=stored.row.reference)
    assert stored.row.channel == "ussd"
    assert stored.answers == {
        "language": "en",
        "danger_now": True,
        "menu": "trafficking",
        "child": "yes",
        "region": "Littoral",
        "share": True,
    }
    assert stored.body == "Douala, my cousin is locked in a bar"
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.reference == stored.row.reference
    assert case.severity == "critical" and case.minor is True and case.region == "Littoral"


async def test_replaying_the_final_step_never_makes_a_second_case(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    for text in ("1", "1*2", "1*2*2", "1*2*2*2", "1*2*2*2*11", "1*2*2*2*11*2"):
        await dial(ussd, text)
    final = "1*2*2*2*11*2*Je suis bloque a Tripoli sans papiers"
    first = await dial(ussd, final)
    await drain(runtime)
    again = await dial(ussd, final)
    await dial(ussd, final)
    await drain(runtime)
    assert first == again
    assert await session.scalar(select(func.count()).select_from(Contact)) == 1
    assert await session.scalar(select(func.count()).select_from(Case)) == 1


async def test_a_session_that_drops_half_way_still_leaves_its_answers(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await dial(ussd, "3")
    assert await session.scalar(select(func.count()).select_from(Contact)) == 0, "a language alone is nothing"
    await dial(ussd, "3*1")
    [stored] = await contacts(runtime, session)
    assert stored.answers == {"language": "pcm", "danger_now": True}
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"


async def test_entries_off_the_screen_count_as_no_answer_and_the_session_moves_on(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    assert (await dial(ussd, "7*8*9*9*99*5*0")).startswith("END ")
    [stored] = await contacts(runtime, session)
    assert stored.answers == {}
    assert stored.body is None


async def test_a_wrong_or_missing_secret_is_refused(ussd: httpx.AsyncClient, session: AsyncSession) -> None:
    for path in ("/ussd/africastalking", "/ussd/africastalking?key=nope"):
        response = await ussd.post(path, data={"sessionId": "x", "phoneNumber": NUMBER, "text": "1*1"})
        assert response.status_code == 403
    assert await session.scalar(select(func.count()).select_from(Contact)) == 0


async def test_a_request_from_outside_the_allowed_networks_is_refused(
    runtime: Runtime, session: AsyncSession
) -> None:
    """The gateway does not sign: a right secret from a wrong network is still refused."""
    runtime.settings = runtime.settings.model_copy(update={"ussd_secret": SecretStr(USSD_SECRET)})
    transport = httpx.ASGITransport(app=app_for(runtime), client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as outsider:
        response = await outsider.post(PATH, data={"sessionId": "x", "phoneNumber": NUMBER, "text": "1*1"})
    assert response.status_code == 403
    assert await session.scalar(select(func.count()).select_from(Contact)) == 0


async def test_with_no_secret_configured_ussd_is_refused(runtime: Runtime) -> None:
    transport = httpx.ASGITransport(app=app_for(runtime), client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/ussd/africastalking?key=", data={"sessionId": "x", "text": ""})
    assert response.status_code == 403


async def test_a_request_without_session_id_gets_a_clear_400(ussd: httpx.AsyncClient) -> None:
    response = await ussd.post(PATH, data={"text": "1"})
    assert response.status_code == 400


def test_every_screen_fits_182_characters_in_every_language() -> None:
    screens = default_screens()
    assert len(screens.language()) <= MAX_SCREEN_CHARS
    for name in ("danger", "topic", "child", "region", "share", "describe"):
        for language in ("fr", "en", "pcm"):
            assert len(screens.question(name, language)) <= MAX_SCREEN_CHARS
    for language in ("fr", "en", "pcm"):
        assert len(screens.end("done", language, reference="98765432")) <= MAX_SCREEN_CHARS
        assert len(screens.end("unavailable", language)) <= MAX_SCREEN_CHARS


def test_a_star_typed_in_the_description_is_kept() -> None:
    assert position("1*1*1*1*1*1*rue 12 * face marche").description == "rue 12 * face marche"


@pytest.mark.parametrize(("key", "share"), [("1", True), ("2", False), ("3", None), ("0", None), ("", None)])
def test_the_share_screen_records_consent_only_for_1_and_a_refusal_only_for_2(
    key: str, share: bool | None
) -> None:
    """1 is consent to pass the report to a partner, 2 a refusal; any other entry is no answer, so no consent."""
    where = position(f"1*2*1*3*2*{key}")
    assert where.question == "describe"
    assert where.answers.get("share") is share
    assert ("share" in where.answers) is (share is not None)


async def test_consent_to_share_is_stored_on_the_contact_before_the_description(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """The share answer is on the contact as soon as it is keyed: a session that drops at the
    description screen still carries the consent (or the refusal)."""
    assert "partenaire" in await dial(ussd, "1*2*1*3*2", session_id="ATUid_yes")
    assert "Decrivez" in await dial(ussd, "1*2*1*3*2*1", session_id="ATUid_yes")
    await dial(ussd, "1*2*1*3*2*2", session_id="ATUid_no")
    await dial(ussd, "1*2*1*3*2*9", session_id="ATUid_none")
    stored = {c.row.provider_id: c.answers for c in await contacts(runtime, session)}
    assert stored["ATUid_yes"]["share"] is True
    assert stored["ATUid_no"]["share"] is False
    assert "share" not in stored["ATUid_none"]
    assert stored["ATUid_none"]["region"] == "Centre"


async def test_answers_after_the_case_opened_reach_the_case(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: every later answer re-assesses the case on all answers and text so far; fields only gain
    information (a known region replaces none, a category replaces non actionable, severity never drops)."""
    steps = ["2", "2*1", "2*1*1", "2*1*1*1", "2*1*1*1*5", "2*1*1*1*5*1", "2*1*1*1*5*1*They locked my cousin"]
    for n, text in enumerate(steps):
        await dial(ussd, text)
        await drain(runtime)  # the case opens at "danger: yes"; the worker runs between every screen
        if n == 1:
            first = (await session.execute(select(Case))).scalar_one()
            assert first.severity == "critical" and first.category is None, "urgent, category not known yet"
    session.expire_all()
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"
    assert case.category == "trafficking"
    assert case.region == "Littoral"
    assert case.minor is True
    assert case.language == "en", "the language chosen on the first screen"


async def test_the_language_chosen_on_the_first_screen_is_the_case_language(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: the caller's choice of language sets the case's language, whatever the machine guesses."""
    await dial(ussd, "3*2*2*2*0*2*0")
    [stored] = await contacts(runtime, session)
    assert stored.answers["language"] == "pcm"
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.language == "pcm"


def test_topic_5_other_is_stored_as_other() -> None:
    """Rule: "5 Autre" on the topic screen stores menu = other (docs/messaging.md)."""
    assert position("1*2*5").answers == {"language": "fr", "danger_now": False, "menu": "other"}


def _session_end_form(status: str, text: str, *, session_id: str = "ATUid_1") -> dict[str, str]:
    """Africa's Talking's end-of-session notification, as its events callback posts it."""
    return {
        "sessionId": session_id,
        "serviceCode": "*1503#",
        "networkCode": "62401",
        "phoneNumber": NUMBER,
        "status": status,
        "cost": "KES 0.0000",
        "durationInMillis": "48231",
        "hopsCount": "4",
        "input": text,
        "lastAppResponse": "CON Which region?",
        "errorMessage": "USER_TIMEOUT" if status != "Success" else "",
        "date": "2026-12-04 18:02:11.000",
    }


@pytest.mark.parametrize("path", [PATH, f"/ussd/africastalking/events?key={USSD_SECRET}"])
async def test_an_incomplete_session_ends_the_dialogue_as_a_partial_report(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, path: str
) -> None:
    """Rule: the end-of-session notification (on its own route or the session URL) is never answered
    with the menu; an incomplete session leaves what was keyed, the last screen's entries included,
    with the status on the contact, counted."""
    for text in ("2", "2*1", "2*1*1"):
        await dial(ussd, text)
    # The caller answered the child question, but that last request never reached us.
    response = await ussd.post(path, data=_session_end_form("Incomplete", "2*1*1*1"))
    assert response.status_code == 200 and response.text == ""
    [stored] = await contacts(runtime, session)
    assert stored.answers == {"language": "en", "danger_now": True, "menu": "trafficking", "child": "yes"}
    assert stored.row.provider_status == "incomplete"
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.minor is True and case.category == "trafficking"
    ended = runtime.metrics.webhooks.labels(route="ussd.session_end", outcome="incomplete")
    assert ended._value.get() == 1


async def test_a_session_that_ended_before_any_answer_is_counted_abandoned_and_stores_nothing(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await dial(ussd, "")
    await dial(ussd, "1")
    response = await ussd.post(PATH, data=_session_end_form("Failed", "1"))
    assert response.status_code == 200
    assert await session.scalar(select(func.count()).select_from(Contact)) == 0
    abandoned = runtime.metrics.webhooks.labels(route="ussd.session_end", outcome="abandoned")
    assert abandoned._value.get() == 1


async def test_the_end_notification_needs_the_secret_too(ussd: httpx.AsyncClient) -> None:
    response = await ussd.post("/ussd/africastalking/events", data=_session_end_form("Success", "1*1"))
    assert response.status_code == 403


async def test_a_late_retry_of_an_earlier_screen_changes_nothing(
    ussd: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: a step the gateway sends again after later ones gets the screen it first got, and the
    answers stay as the caller gave them."""
    first = {text: await dial(ussd, text) for text in ("2", "2*1", "2*1*1", "2*1*1*2", "2*1*1*2*5")}
    assert await dial(ussd, "2*1") == first["2*1"]
    assert await dial(ussd, "2*1*1*2") == first["2*1*1*2"]
    [stored] = await contacts(runtime, session)
    assert stored.answers == {
        "language": "en",
        "danger_now": True,
        "menu": "trafficking",
        "child": "no",
        "region": "Littoral",
    }
    await drain(runtime)
    assert await session.scalar(select(func.count()).select_from(Case)) == 1
