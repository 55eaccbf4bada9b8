"""Console helpers: a browser-like client per person (its own cookies), signed in as a real user would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest

from hotline.cases.reference import new_reference
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Agent, Case, Contact, Role
from hotline.privacy.sealed import set_contact_answers, set_contact_body, set_contact_callback_number
from tests.conftest import app_for
from tests.fixtures.accounts import PASSWORD, TOTP_KEYS, fresh_code, make_agent, server_time
from tests.fixtures.servers import KEY, csrf_of


class Browser:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""
        self.totp_key: str | None = None

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/console/login")
        response = await self.client.post(
            "/console/login",
            data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        )
        if response.status_code == 303 and response.headers["location"] == "/console/totp":
            page = await self.client.get("/console/totp")
            key = KEY.search(page.text)
            if key:
                self.totp_key = key.group(1)
            self.totp_key = self.totp_key or TOTP_KEYS.get(username)
            assert self.totp_key, "no TOTP key shown at enrolment"
            response = await self.client.post(
                "/console/totp",
                data={
                    "code": fresh_code(username, self.totp_key, now=server_time(self.client)),
                    "csrf_token": csrf_of(page.text),
                },
            )
        if response.status_code == 303:
            home = await self.client.get(response.headers["location"])
            if home.status_code == 200:
                self.csrf = csrf_of(home.text)
        return response

    async def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.post(path, data={**(data or {}), "csrf_token": self.csrf})


BrowserFactory = Callable[[], AbstractAsyncContextManager[Browser]]


@pytest.fixture
def browser(runtime: Runtime) -> BrowserFactory:
    @asynccontextmanager
    async def make() -> AsyncIterator[Browser]:
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Browser(client)

    return make


async def signed_in_as(
    runtime: Runtime, make: BrowserFactory, username: str, role: Role, regions: tuple[str, ...] = ()
) -> AbstractAsyncContextManager[Browser]:
    await make_agent(runtime, username, role, regions)

    @asynccontextmanager
    async def opened() -> AsyncIterator[Browser]:
        async with make() as b:
            response = await b.sign_in(username)
            assert response.status_code == 303, response.text
            yield b

    return opened()


async def reported_case(
    runtime: Runtime,
    *,
    region: str = "Littoral",
    severity: str = "critical",
    text: str = "Ma fille de 15 ans est enfermée à Douala",
    callback: str | None = None,
    recording_sid: str | None = None,
    assignee: Agent | None = None,
) -> Case:
    """A case with one SMS contact whose words are sealed, as the pipeline leaves it."""
    now = datetime.now(UTC)
    async with unit_of_work(runtime.sessions) as session:
        case = Case(
            reference=new_reference(),
            channel="sms",
            caller_ref="c" * 64,
            region=region,
            severity=severity,
            category="trafficking",
            language="fr",
            minor=True,
            imminent_danger=False,
            reasons=["minor: '15 ans'", "confinement: 'enfermée'"],
            created_at=now,
            updated_at=now,
            assignee_id=assignee.id if assignee else None,
        )
        session.add(case)
        await session.flush()
        contact = Contact(
            provider="twilio",
            provider_id=f"SM{new_reference()}",
            channel="sms",
            caller_ref="c" * 64,
            reference=case.reference,
            case_id=case.id,
        )
        session.add(contact)
        await session.flush()
        set_contact_body(runtime.keyring, contact, text)
        if recording_sid:
            set_contact_answers(runtime.keyring, contact, {"recording_sid": recording_sid})
        if callback:
            set_contact_callback_number(runtime.keyring, contact, callback)
        await session.flush()
        return case
