"""Five concurrent deliveries of one MessageSid: one contact, five identical answers."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from hotline.core.runtime import Runtime
from hotline.models import Contact, OutboxEntry
from tests.conftest import app_for
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, post_signed, sms_form


async def test_five_concurrent_deliveries_make_one_contact_and_five_identical_200s(
    committed_runtime: Runtime,
) -> None:
    form = sms_form(sender="+237690000001", body="au secours", account_sid=ACCOUNT_SID)
    transport = httpx.ASGITransport(app=app_for(committed_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        responses = await asyncio.gather(
            *(
                post_signed(
                    client,
                    "/twilio/sms/incoming",
                    form,
                    auth_token=AUTH_TOKEN,
                    public_base_url=PUBLIC_BASE_URL,
                )
                for _ in range(5)
            )
        )
    assert [r.status_code for r in responses] == [200] * 5
    assert len({r.text for r in responses}) == 1
    async with committed_runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 1
        assert await session.scalar(select(func.count()).select_from(OutboxEntry)) == 1
