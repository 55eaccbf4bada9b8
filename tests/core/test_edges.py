"""Issue 20, points 7-8: headers on every answer, forwarded addresses from trusted proxies only."""

from __future__ import annotations

import dataclasses

import httpx
from pydantic import SecretStr

from hotline.core.config import Env
from hotline.core.runtime import Runtime
from hotline.models import Role
from tests.conftest import app_for
from tests.fixtures.accounts import bearer, make_agent
from tests.fixtures.messaging import USSD_SECRET
from tests.ussd.conftest import NUMBER, PATH

# Point 7: headers.


async def test_api_answers_with_case_data_and_tokens_are_never_cached(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_agent(runtime, "awa", Role.agent, ("Littoral",))
    token = await client.post(
        "/api/v1/auth/token", data={"username": "awa", "password": "correct-horse-battery"}
    )
    assert token.headers["cache-control"] == "no-store"
    cases = await client.get("/api/v1/cases", headers=bearer(token.json()["access_token"]))
    assert cases.status_code == 200 and cases.headers["cache-control"] == "no-store"


async def test_the_partner_page_and_error_pages_cannot_be_framed_or_sniffed(
    client: httpx.AsyncClient,
) -> None:
    """Issue 20: the partner page /r/… rendered inside a cross-origin iframe."""
    for path in ("/r/not-a-real-link", "/no-such-page", "/api/v1/cases/not-a-uuid"):
        response = await client.get(path)
        assert response.status_code in (401, 404, 410, 422), (path, response.status_code)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path


async def test_hsts_in_production_only(runtime: Runtime) -> None:
    assert "strict-transport-security" not in (await _get(runtime, "/healthz")).headers
    production = runtime.settings.model_copy(
        update={
            "env": Env.production,
            "caller_pepper": SecretStr("p" * 40),
            "secret_key": SecretStr("s" * 40),
        }
    )
    response = await _get(dataclasses.replace(runtime, settings=production), "/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def _get(runtime: Runtime, path: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://t"
    ) as c:
        return await c.get(path)


# Point 8: X-Forwarded-For only from HOTLINE_TRUSTED_PROXIES.


async def test_forwarded_addresses_are_believed_from_trusted_proxies_only(runtime: Runtime) -> None:
    """The USSD network check sees the gateway behind a trusted proxy, and a host that reaches
    the app directly cannot claim to be the gateway by sending X-Forwarded-For."""
    runtime.settings = runtime.settings.model_copy(
        update={
            "ussd_secret": SecretStr(USSD_SECRET),
            "trusted_proxies": "10.0.0.5",
            "ussd_allowed_networks": "192.0.2.0/24",
        }
    )
    form = {"sessionId": "ATUid_proxy", "phoneNumber": NUMBER, "text": ""}
    gateway = {"X-Forwarded-For": "192.0.2.10"}
    for peer, expected in ((("10.0.0.5", 4000), 200), (("203.0.113.9", 4000), 403)):
        transport = httpx.ASGITransport(app=app_for(runtime), client=peer)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.post(PATH, data=form, headers=gateway)
        assert response.status_code == expected, (peer, response.text)


async def test_invented_forwarded_addresses_do_not_escape_the_sign_in_throttle(runtime: Runtime) -> None:
    """A peer that is not a trusted proxy cannot spread its guesses over invented addresses."""
    await make_agent(runtime, "awa", Role.agent)
    transport = httpx.ASGITransport(app=app_for(runtime), client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        codes = [
            (
                await c.post(
                    "/api/v1/auth/token",
                    data={"username": "awa", "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"},
                )
            ).status_code
            for n in range(7)
        ]
    assert codes == [401] * 5 + [429] * 2
