"""USSD fixtures: the gateway's client, from an allowed address with the shared secret."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from hotline.core.runtime import Runtime
from hotline.ussd.menu import MAX_SCREEN_CHARS
from tests.conftest import app_for
from tests.fixtures.messaging import USSD_SECRET

PATH = f"/ussd/africastalking?key={USSD_SECRET}"
NUMBER = "+237677000111"


@pytest.fixture
async def ussd(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    runtime.settings = runtime.settings.model_copy(update={"ussd_secret": SecretStr(USSD_SECRET)})
    transport = httpx.ASGITransport(app=app_for(runtime), client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def dial(
    client: httpx.AsyncClient,
    text: str,
    *,
    session_id: str = "ATUid_1",
    path: str = PATH,
    number: str = NUMBER,
) -> str:
    """One screen request, as Africa's Talking posts it (the whole session's entries in ``text``)."""
    form = {
        "sessionId": session_id,
        "serviceCode": "*1503#",
        "phoneNumber": number,
        "networkCode": "62401",
        "text": text,
    }
    response = await client.post(path, data=form)
    assert response.status_code == 200, response.text
    assert response.text.startswith(("CON ", "END "))
    assert len(response.text) <= MAX_SCREEN_CHARS
    return response.text
