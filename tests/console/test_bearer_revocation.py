"""Signing out everywhere reaches the API too: every bearer token issued before it is refused.

So do deactivating an account (old tokens stay refused after a reactivation) and an admin's
reset of the second factor. A token issued afterwards works.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.core.security import issue_token
from hotline.models import Agent, Role
from tests.console.conftest import BrowserFactory, signed_in_as
from tests.fixtures.accounts import PASSWORD, bearer, token_for
from tests.fixtures.routing import FakeClock

CASES = "/api/v1/cases"


async def _agent(session: AsyncSession, username: str) -> Agent:
    session.expire_all()
    return (await session.execute(select(Agent).where(Agent.username == username))).scalar_one()


async def _status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get(CASES, headers=bearer(token))).status_code


async def test_sign_out_everywhere_revokes_every_bearer_token_issued_before_it(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    """A token obtained before "sign out everywhere" gets 401 after it; a new token works."""
    async with await signed_in_as(runtime, browser, "alice", Role.agent, ("Littoral",)) as b:
        script = await token_for(b.client, "alice")
        laptop = await token_for(b.client, "alice")
        assert await _status(b.client, script) == 200
        assert (await b.post("/console/logout/everywhere")).status_code == 303
        assert await _status(b.client, script) == 401
        assert await _status(b.client, laptop) == 401
        fresh = await token_for(b.client, "alice")
        assert await _status(b.client, fresh) == 200
        assert await _status(b.client, script) == 401, "an old token stays refused"


async def test_a_plain_sign_out_leaves_the_api_tokens_alone(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    async with await signed_in_as(runtime, browser, "alice", Role.agent, ("Littoral",)) as b:
        token = await token_for(b.client, "alice")
        assert (await b.post("/console/logout")).status_code == 303
        assert await _status(b.client, token) == 200


async def test_deactivation_revokes_tokens_for_good_and_a_totp_reset_revokes_them_too(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    # sue proves her second factor three times; a code is good once per 30 s step, so the server's
    # clock is held mid-step and moved a step on between sign-ins (on a fast machine the three fell
    # in one step, and in the last two seconds of a step only two steps are usable)
    clock = FakeClock(datetime.fromtimestamp((int(time.time()) // 30) * 30 + 10, UTC))
    runtime.clock = clock
    async with await signed_in_as(runtime, browser, "sue", Role.supervisor) as sue:
        clock.advance(seconds=30)
        before = await token_for(sue.client, "sue")
        target = await _agent(session, "sue")
        async with await signed_in_as(runtime, browser, "root", Role.admin) as admin:
            assert (await admin.post(f"/console/admin/accounts/{target.id}/deactivate")).status_code == 303
            assert await _status(admin.client, before) == 401
            assert (await admin.post(f"/console/admin/accounts/{target.id}/reactivate")).status_code == 303
            assert await _status(admin.client, before) == 401, "reactivation does not revive old tokens"
            clock.advance(seconds=30)
            after = await token_for(admin.client, "sue")
            assert await _status(admin.client, after) == 200
            assert (await admin.post(f"/console/admin/accounts/{target.id}/totp-reset")).status_code == 303
            assert await _status(admin.client, after) == 401
            # no second factor on file any more: no API token until sue enrols again in the console
            again = await admin.client.post(
                "/api/v1/auth/token", data={"username": "sue", "password": PASSWORD}
            )
            assert again.status_code == 403


async def test_a_token_from_before_generations_counts_as_generation_zero(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    """Tokens issued before this change carry no generation: valid until the first revocation."""
    secret = runtime.settings.secret_key.get_secret_value()
    async with await signed_in_as(runtime, browser, "alice", Role.agent, ("Littoral",)) as b:
        alice = await _agent(session, "alice")
        legacy = issue_token(secret, alice.id, alice.role, 600)
        assert await _status(b.client, legacy) == 200
        assert await _status(b.client, issue_token(secret, alice.id, alice.role, 600, generation=7)) == 401
        await b.post("/console/logout/everywhere")
        assert await _status(b.client, legacy) == 401
