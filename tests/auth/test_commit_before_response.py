"""A request's work is committed before its answer leaves: a failed commit is an error, never a silent 200."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Role
from tests.conftest import app_for
from tests.fixtures.accounts import bearer, make_agent, token_for


async def test_when_the_commit_fails_the_client_is_told(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_agent(runtime, "sup", Role.supervisor)
    headers = bearer(await token_for(client, "sup"))
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 200

    async def refuse(self: AsyncSession, *args: Any, **kwargs: Any) -> None:
        raise ConnectionResetError("the database went away during COMMIT")

    monkeypatch.setattr(AsyncSession, "commit", refuse)
    # As a real server does: the app's exception becomes the 500 the client gets (not a raise in the test).
    transport = httpx.ASGITransport(app=app_for(runtime), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as server:
        response = await server.get("/api/v1/cases", headers=headers)
    assert response.status_code == 500, (
        "the listing's audit event was not stored: the client must not get a 200"
    )


async def test_what_a_response_reports_is_already_stored(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await make_agent(runtime, "sup", Role.supervisor)
    headers = bearer(await token_for(client, "sup"))
    for expected in range(1, 4):
        assert (await client.get("/api/v1/cases", headers=headers)).status_code == 200
        listed = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "cases.listed")
        )
        assert listed == expected
