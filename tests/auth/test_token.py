"""The OAuth2 password flow: right password → a bearer token; anything else → 401, audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Role
from tests.fixtures.accounts import PASSWORD, bearer, fresh_code, make_agent, token_for


async def test_the_right_password_gets_a_bearer_token_that_opens_the_api(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_agent(runtime, "awa", Role.supervisor)
    response = await client.post(
        "/api/v1/auth/token", data={"username": "awa", "password": PASSWORD, "totp": fresh_code("awa")}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == runtime.settings.token_ttl_seconds
    assert body["scope"] == "cases stats supervise"
    assert response.headers["cache-control"] == "no-store"
    cases = await client.get("/api/v1/cases", headers=bearer(body["access_token"]))
    assert cases.status_code == 200


async def test_a_wrong_password_or_unknown_user_is_401_and_audited(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await make_agent(runtime, "awa", Role.agent, ("Centre",))
    for username, password in (("awa", "wrong-password!"), ("nobody", PASSWORD)):
        response = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert response.status_code == 401
    actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert actions.count("auth.failed") == 2


async def test_passwords_are_stored_as_argon2_hashes(runtime: Runtime) -> None:
    agent = await make_agent(runtime, "awa", Role.agent)
    assert agent.password_hash.startswith("$argon2")
    assert PASSWORD not in agent.password_hash


async def test_a_forged_or_missing_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/cases")).status_code == 401
    assert (await client.get("/api/v1/cases", headers=bearer("not.a.token"))).status_code == 401


async def test_a_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from hotline.core.security import issue_token

    agent = await make_agent(runtime, "awa", Role.admin)
    forged = issue_token("another-secret-key-that-is-long", agent.id, "admin", 60)
    assert (await client.get("/api/v1/cases", headers=bearer(forged))).status_code == 401
    assert (
        await client.get("/api/v1/cases", headers=bearer(await token_for(client, "awa")))
    ).status_code == 200


async def test_a_username_with_a_nul_byte_is_a_clean_401(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Found by fuzzing: a NUL in the username reached PostgreSQL and answered 500."""
    await make_agent(runtime, "awa", Role.agent)
    response = await client.post("/api/v1/auth/token", data={"username": "awa\x00", "password": PASSWORD})
    assert response.status_code == 401
