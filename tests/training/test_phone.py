"""The practice phone drives the real IVR and SMS webhooks, signed, and everything is training data."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from hotline.core.runtime import Runtime
from hotline.core.telephony import InMemoryTelephony
from hotline.models import Case, Contact, Role
from hotline.stats.rollup import rebuild_all
from tests.conftest import app_for
from tests.console.conftest import Browser
from tests.fixtures.messaging import drain
from tests.training.conftest import Opened

REPORT = "Ma soeur de 16 ans est enfermée dans une maison à Douala, le patron a pris son passeport."


def lines(html: str, list_id: str) -> str:
    found = re.search(rf'<ol class="transcript" id="{list_id}"[^>]*>(.*?)</ol>', html, re.S)
    assert found
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


async def press(b: Browser, key: str) -> str:
    response = await b.post("/training/phone/keys", {"key": key})
    assert response.status_code == 303
    return (await b.client.get("/training/phone")).text


async def test_a_text_from_the_practice_phone_becomes_a_training_case_that_the_queue_marks(
    runtime: Runtime, person: Opened
) -> None:
    """The SMS pane goes through /twilio/sms/incoming (signed), the reply is shown, and the case is training."""
    async with person("trainee1", Role.agent) as b:
        response = await b.post("/training/phone/sms", {"body": REPORT})
        assert response.status_code == 303
        page = (await b.client.get("/training/phone")).text
        assert "Ref " in lines(page, "sms-lines")  # the line's own neutral reply
        await drain(runtime)
        async with runtime.sessions() as session:
            contacts = list((await session.execute(select(Contact))).scalars())
            cases = list((await session.execute(select(Case))).scalars())
        assert [c.provider for c in contacts] == ["twilio"] and all(c.training for c in contacts)
        assert len(cases) == 1 and cases[0].training and cases[0].severity == "critical"
        queue = (await b.client.get("/console/queue")).text
        row = re.search(rf"<tr[^>]*{cases[0].reference}.*?</tr>", queue, re.S)
        assert row and "FORMATION" in row.group(0)
        case_page = (await b.client.get(f"/console/cases/{cases[0].id}")).text
        assert re.search(r'<span class="flag">FORMATION</span>', case_page)


async def test_no_real_message_or_call_leaves_a_training_room(runtime: Runtime) -> None:
    """Training mode never sends for real, even with real-looking credentials."""
    from hotline.core.runtime import build_telephony

    settings = runtime.settings.model_copy(
        update={"twilio_auth_token": SecretStr("a" * 32), "twilio_account_sid": "AC" + "2" * 32}
    )
    assert settings.training and not settings.sends_for_real
    assert isinstance(build_telephony(settings), InMemoryTelephony)
    assert settings.model_copy(update={"training": False}).sends_for_real


async def test_statistics_leave_training_cases_out(runtime: Runtime, person: Opened) -> None:
    async with person("trainee2", Role.agent) as b:
        await b.post("/training/phone/sms", {"body": REPORT})
    await drain(runtime)
    async with runtime.sessions() as session:
        await rebuild_all(session, datetime.now(UTC))
        await session.commit()
    async with runtime.sessions() as session:
        from hotline.models import StatsCaseRollup, StatsContactRollup

        assert (await session.execute(select(Case))).scalars().one().training
        assert list((await session.execute(select(StatsCaseRollup))).scalars()) == []
        assert list((await session.execute(select(StatsContactRollup))).scalars()) == []


async def test_the_keypad_walks_the_real_voice_menu_to_a_case(runtime: Runtime, person: Opened) -> None:
    """Language, topic, child, region, callback, consent to refer, a typed message: the IVR's prompts come
    back as text."""
    async with person("trainee3", Role.agent) as b:
        assert (await b.post("/training/phone/call")).status_code == 303
        page = (await b.client.get("/training/phone")).text
        assert 'data-speak="fr-FR"' in page and "2" in lines(page, "ivr-lines")
        page = await press(b, "2")  # English
        assert 'data-speak="en-GB"' in page
        for key in ("1", "1"):  # trafficking, a child
            page = await press(b, key)
        page = await press(b, "0")  # region page 2
        page = await press(b, "4")  # Sud-Ouest
        page = await press(b, "2")  # no call back
        assert "May we pass your report to an organisation" in lines(page, "ivr-lines")
        page = await press(b, "1")  # yes, pass it to a partner
        assert 'action="/training/phone/message"' in page
        typed = "my cousin of fourteen works in a bar in Limbe and is not paid"
        assert (await b.post("/training/phone/message", {"message": typed})).status_code == 303
        page = (await b.client.get("/training/phone")).text
        assert 'action="/training/phone/call"' in page, "the call ended with the goodbye"
        assert typed not in page
    await drain(runtime)
    async with runtime.sessions() as session:
        case = (await session.execute(select(Case))).scalars().one()
        contact = (await session.execute(select(Contact))).scalars().one()
    assert case.training and contact.training and case.channel == "voice"
    assert case.minor and case.region == "Sud-Ouest"
    assert contact.provider_status == "completed"


async def test_nine_rings_the_person_on_call_and_the_trainee_chooses_who_picks_up(
    runtime: Runtime, person: Opened
) -> None:
    async with person("trainee4", Role.agent) as b:
        await b.post("/training/phone/call")
        page = await press(b, "9")
        assert 'action="/training/phone/dial"' in page or 'action="/training/phone/message"' in page
        await b.post("/training/phone/hangup")
        page = (await b.client.get("/training/phone")).text
        assert 'action="/training/phone/call"' in page
    await drain(runtime)
    async with runtime.sessions() as session:
        case = (await session.execute(select(Case))).scalars().one()
    assert case.training and case.severity == "critical"


async def test_the_practice_phone_is_only_served_in_a_training_room(runtime: Runtime) -> None:
    """Outside training mode the pages answer 404 to a signed-in user; signed out, the sign-in page."""
    plain = replace(runtime, settings=runtime.settings.model_copy(update={"training": False}))
    from tests.fixtures.accounts import make_agent

    await make_agent(runtime, "plain", Role.supervisor)
    transport = httpx.ASGITransport(app=app_for(plain))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/training/phone")).status_code == 303
        b = Browser(client)
        assert (await b.sign_in("plain")).status_code == 303
        assert (await client.get("/training/phone")).status_code == 404
        assert (await client.get("/training/trainer")).status_code == 404
        assert (await b.post("/training/phone/sms", {"body": "x"})).status_code == 404
    async with runtime.sessions() as session:
        assert list((await session.execute(select(Contact))).scalars()) == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_an_analyst_is_refused_the_trainer_page(runtime: Runtime, person: Opened) -> None:
    async with person("an1", Role.analyst) as b:
        assert (await b.client.get("/training/trainer")).status_code == 403
        assert (await b.client.get("/training/phone")).status_code == 200
