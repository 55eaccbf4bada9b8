"""Console sign-in: passwords, the second factor, CSRF, back-off, idle expiry, sign-out everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, ConsoleSession, Role
from tests.console.conftest import BrowserFactory, csrf_of, signed_in_as
from tests.fixtures.accounts import make_agent
from tests.fixtures.routing import T0, FakeClock


async def test_the_session_cookie_is_httponly_samesite_strict_and_names_no_one(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    """The cookie is HttpOnly and SameSite=Strict; the database keeps only its hash."""
    await make_agent(runtime, "alice", Role.agent, ("Littoral",))
    async with browser() as b:
        response = await b.sign_in("alice")
        assert response.status_code == 303 and response.headers["location"] == "/console/"
        cookie = next(
            v for k, v in response.headers.multi_items() if k == "set-cookie" and "hotline_session" in v
        )
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        value = b.client.cookies["hotline_session"]
    async with runtime.sessions() as session:
        ids = (await session.execute(select(ConsoleSession.id))).scalars().all()
    assert value not in ids and len(ids) == 1


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    await make_agent(runtime, "alice", Role.agent)
    async with browser() as b:
        wrong = await b.sign_in("alice", "not-the-password")
        nobody = await b.sign_in("nobody", "not-the-password")
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.text.replace(csrf_of(wrong.text), "") == nobody.text.replace(csrf_of(nobody.text), "")


async def test_repeated_failures_from_one_address_hold_that_address_with_a_growing_wait(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    """After 5 failures from one address even the right password is refused there (429) until
    the wait has passed, and each further failure doubles the wait."""
    clock = FakeClock(T0)
    runtime.clock = clock
    await make_agent(runtime, "alice", Role.agent)
    async with browser() as b:
        for _ in range(5):
            assert (await b.sign_in("alice", "guess")).status_code == 401
        held = await b.sign_in("alice")
        assert held.status_code == 429 and int(held.headers["retry-after"]) >= 30
        clock.advance(seconds=31)
        assert (await b.sign_in("alice", "guess")).status_code == 401
        clock.advance(seconds=31)
        assert (await b.sign_in("alice")).status_code == 429, "the second wait is longer"
        clock.advance(seconds=30)
        assert (await b.sign_in("alice")).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused(runtime: Runtime, browser: BrowserFactory) -> None:
    await make_agent(runtime, "alice", Role.agent)
    async with browser() as b:
        page = await b.client.get("/console/login")
        no_token = await b.client.post("/console/login", data={"username": "alice", "password": "x"})
        assert no_token.status_code == 403
        assert (await b.sign_in("alice")).status_code == 303
        refused = await b.client.post(
            "/console/account/language", data={"language": "en", "csrf_token": "forged"}
        )
        assert refused.status_code == 403
        accepted = await b.post("/console/account/language", {"language": "en"})
        assert accepted.status_code == 303
        assert "Case queue" in (await b.client.get("/console/")).text
        assert csrf_of(page.text)


async def test_supervisors_must_pass_a_second_factor_before_any_page(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    """A supervisor's password alone opens nothing: every page sends them to the TOTP step."""
    await make_agent(runtime, "sue", Role.supervisor, enrol=False)
    async with browser() as b:
        page = await b.client.get("/console/login")
        response = await b.client.post(
            "/console/login",
            data={"username": "sue", "password": "correct-horse-battery", "csrf_token": csrf_of(page.text)},
        )
        assert response.headers["location"] == "/console/totp"
        queue = await b.client.get("/console/")
        assert queue.status_code == 303 and queue.headers["location"] == "/console/totp"
        enrol = await b.client.get("/console/totp")
        key = enrol.text.split('<code class="key" aria-label="key">')[1].split("<")[0]
        wrong = await b.client.post(
            "/console/totp", data={"code": "000000", "csrf_token": csrf_of(enrol.text)}
        )
        assert wrong.status_code == 401
        right = await b.client.post(
            "/console/totp", data={"code": pyotp.TOTP(key).now(), "csrf_token": csrf_of(enrol.text)}
        )
        assert right.status_code == 303
        assert (await b.client.get("/console/")).status_code == 200


async def test_an_idle_session_expires(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    async with await signed_in_as(runtime, browser, "alice", Role.agent) as b:
        assert (await b.client.get("/console/")).status_code == 200
        idle = datetime.now(UTC) - timedelta(minutes=runtime.settings.console_idle_minutes + 1)
        await session.execute(update(ConsoleSession).values(last_seen_at=idle))
        await session.commit()
        response = await b.client.get("/console/")
        assert response.status_code == 303 and response.headers["location"] == "/console/login"


async def test_sign_out_everywhere_ends_every_session_of_the_person(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    async with await signed_in_as(runtime, browser, "alice", Role.agent) as phone, browser() as laptop:
        assert (await laptop.sign_in("alice")).status_code == 303
        assert (await laptop.client.get("/console/")).status_code == 200
        await phone.post("/console/logout/everywhere")
        assert (await laptop.client.get("/console/")).status_code == 303
        assert (await phone.client.get("/console/")).status_code == 303
    actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "auth.signed_out" in actions
