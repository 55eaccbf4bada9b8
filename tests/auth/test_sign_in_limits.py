"""Issue 20, points 2-4: the second factor for API tokens, scopes and expiry, the throttle per
(account, address) shared by the console and the API, and the second factor's own limits.

Every test drives the runtime's hand-held clock (T0, a fixed day): TOTP codes are computed for
that moment, so nothing depends on today's date or on where in a 30 s step the test runs.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pyotp
import pytest

from hotline.core.runtime import Runtime
from hotline.core.security import issue_token
from hotline.models import Role
from tests.conftest import app_for
from tests.console.conftest import csrf_of
from tests.fixtures.accounts import PASSWORD, TOTP_KEYS, bearer, make_agent
from tests.fixtures.routing import T0, FakeClock


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    runtime.clock = FakeClock(T0)
    return runtime.clock


def code_at(username: str, clock: FakeClock, steps: int = 0) -> str:
    return pyotp.TOTP(TOTP_KEYS[username]).at(clock.now + timedelta(seconds=30 * steps))


def from_address(address: str) -> dict[str, str]:
    """The test client is 127.0.0.1, a trusted proxy by default: it may name the real client."""
    return {"X-Forwarded-For": address}


async def _token(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    address = extra.pop("address", "198.51.100.7")
    return await client.post(
        "/api/v1/auth/token",
        data={"username": username, "password": password, **extra},
        headers=from_address(address),
    )


# Point 2: privileged roles prove the second factor for API tokens too.


@pytest.mark.parametrize("role", [Role.supervisor, Role.admin])
async def test_a_privileged_password_alone_gets_no_token(
    client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock, role: Role
) -> None:
    """A supervisor's or admin's right password without a code, or with a wrong one, is a 401."""
    await make_agent(runtime, "boss", role)
    assert (await _token(client, "boss")).status_code == 401
    assert (await _token(client, "boss", totp="000000")).status_code == 401
    right = await _token(client, "boss", totp=code_at("boss", clock))
    assert right.status_code == 200
    assert (
        await client.get("/api/v1/cases", headers=bearer(right.json()["access_token"]))
    ).status_code == 200


async def test_a_privileged_account_without_a_second_factor_must_enrol_first(
    client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    await make_agent(runtime, "boss", Role.admin, enrol=False)
    response = await _token(client, "boss")
    assert response.status_code == 403 and "console" in response.json()["detail"]


async def test_a_privileged_token_minted_without_the_second_factor_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A token of the old kind (no proof of a second factor) no longer opens a privileged role."""
    admin = await make_agent(runtime, "boss", Role.admin)
    secret = runtime.settings.secret_key.get_secret_value()
    old = issue_token(secret, admin.id, admin.role, 600, generation=admin.token_generation)
    assert (await client.get("/api/v1/cases", headers=bearer(old))).status_code == 401
    proved = issue_token(secret, admin.id, admin.role, 600, generation=admin.token_generation, mfa=True)
    assert (await client.get("/api/v1/cases", headers=bearer(proved))).status_code == 200


async def test_tokens_carry_scopes_and_an_expiry(
    client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    """A token asked for fewer scopes opens only those; a scope beyond the role is refused; an
    expired token is a 401."""
    await make_agent(runtime, "sue", Role.supervisor)
    narrow = await _token(client, "sue", totp=code_at("sue", clock), scope="stats")
    assert narrow.status_code == 200 and narrow.json()["scope"] == "stats"
    token = narrow.json()["access_token"]
    assert (await client.get("/api/v1/stats", headers=bearer(token))).status_code == 200
    assert (await client.get("/api/v1/cases", headers=bearer(token))).status_code == 403
    beyond = await _token(client, "sue", totp=code_at("sue", clock, 1), scope="cases admin")
    assert beyond.status_code == 403
    agent = await make_agent(runtime, "awa", Role.agent)
    secret = runtime.settings.secret_key.get_secret_value()
    expired = issue_token(secret, agent.id, agent.role, -10)
    assert (await client.get("/api/v1/cases", headers=bearer(expired))).status_code == 401


# Point 3: a throttle per (account, address), shared by console and API.


async def test_forty_wrong_passwords_then_the_right_one_is_held(
    client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    """Issue 20: 40 wrong passwords then the right one gave 200. Now the address is held (429)."""
    await make_agent(runtime, "awa", Role.agent)
    codes = [(await _token(client, "awa", "wrong-password")).status_code for _ in range(40)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    held = await _token(client, "awa")
    assert held.status_code == 429 and int(held.headers["retry-after"]) > 0


async def test_the_console_and_the_api_share_one_throttle(
    client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    """Failures at the console's form count for the token endpoint from the same address."""
    await make_agent(runtime, "awa", Role.agent)
    for _ in range(5):
        page = await client.get("/console/login")
        wrong = await client.post(
            "/console/login",
            data={"username": "awa", "password": "wrong-password", "csrf_token": csrf_of(page.text)},
            headers=from_address("198.51.100.7"),
        )
        assert wrong.status_code == 401
    assert (await _token(client, "awa")).status_code == 429
    assert (await _token(client, "awa", address="192.0.2.44")).status_code == 200, "another address is free"


async def test_a_stranger_cannot_lock_the_person_out(
    client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    """Issue 20: six wrong passwords locked the real person out. A stranger's guesses from other
    addresses hold those addresses; past the account limit they lock password-only sign-ins from
    new browsers, but not the person's own browser, nor a sign-in with the second factor."""
    await make_agent(runtime, "awa", Role.agent)
    await make_agent(runtime, "sue", Role.supervisor)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as own:
        page = await own.get("/console/login")
        first = await own.post(
            "/console/login", data={"username": "awa", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        )
        assert first.status_code == 303
        await own.post("/console/logout", data={"csrf_token": csrf_of((await own.get("/console/")).text)})
        for address in range(6):  # 24 failures from 6 addresses: past the account limit (20)
            for _ in range(4):
                for who in ("awa", "sue"):
                    refused = await _token(client, who, "wrong-password", address=f"203.0.113.{address}")
                    assert refused.status_code == 401
        new_browser = await _token(client, "awa", address="192.0.2.1")
        assert new_browser.status_code == 401, "a new browser, password only"
        page = await own.get("/console/login")
        again = await own.post(
            "/console/login", data={"username": "awa", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        )
        assert again.status_code == 303, "the person's own browser signs in"
    assert (await _token(client, "sue", address="192.0.2.1", totp=code_at("sue", clock))).status_code == 200


# Point 4: the second factor's own limits.


async def test_wrong_codes_count_per_account_across_sessions(
    client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    """Issue 20: wrong codes in rounds of four never locked (the counter reset at the password
    step). Now five wrong codes from any sessions lock codes, the right one included."""
    await make_agent(runtime, "sue", Role.supervisor)
    transport = httpx.ASGITransport(app=app_for(runtime))
    for round_ in range(2):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as b:
            page = await b.get("/console/login")
            signed = await b.post(
                "/console/login",
                data={"username": "sue", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
                headers=from_address(f"198.51.100.{round_}"),
            )
            assert signed.headers["location"] == "/console/totp"
            totp_page = await b.get("/console/totp")
            for _ in range(3):
                await b.post("/console/totp", data={"code": "000000", "csrf_token": csrf_of(totp_page.text)})
    right = await _token(client, "sue", totp=code_at("sue", clock), address="192.0.2.9")
    assert right.status_code == 401, "codes are locked for the account, whatever the door"


async def test_a_code_is_good_once(client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock) -> None:
    """Issue 20: a code was accepted twice. A code of a time step already used is refused."""
    await make_agent(runtime, "sue", Role.supervisor)
    code = code_at("sue", clock)
    assert (await _token(client, "sue", totp=code)).status_code == 200
    assert (await _token(client, "sue", totp=code)).status_code == 401
    assert (await _token(client, "sue", totp=code_at("sue", clock, -1))).status_code == 401, "an older step"
    assert (await _token(client, "sue", totp=code_at("sue", clock, 1))).status_code == 200


async def test_replacing_the_second_factor_needs_the_current_code(
    client: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    """Issue 20: POST /console/account/totp re-keyed an account with no confirmation."""
    await make_agent(runtime, "sue", Role.supervisor)
    page = await client.get("/console/login")
    await client.post(
        "/console/login", data={"username": "sue", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    totp_page = await client.get("/console/totp")
    await client.post(
        "/console/totp", data={"code": code_at("sue", clock), "csrf_token": csrf_of(totp_page.text)}
    )
    account = await client.get("/console/account")
    csrf = csrf_of(account.text)
    refused = await client.post("/console/account/totp", data={"csrf_token": csrf})
    assert refused.status_code == 403 and '<code class="key">' not in refused.text
    wrong = await client.post("/console/account/totp", data={"csrf_token": csrf, "code": "123456"})
    assert wrong.status_code == 403
    replaced = await client.post(
        "/console/account/totp", data={"csrf_token": csrf, "code": code_at("sue", clock, 1)}
    )
    assert replaced.status_code == 200 and '<code class="key">' in replaced.text
