"""The training room's tests run with the app in training mode (``HOTLINE_TRAINING=true``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from hotline.core.config import Settings
from hotline.core.runtime import Runtime
from hotline.models import Role
from tests.conftest import Databases, app_for, make_settings
from tests.console.conftest import Browser
from tests.fixtures.accounts import make_agent


@pytest.fixture
def settings(backend: str, databases: Databases, tmp_path: Path) -> Settings:
    return make_settings(databases.url(backend), tmp_path, training=True)


Opened = Callable[[str, Role], AbstractAsyncContextManager[Browser]]


@pytest.fixture
def person(runtime: Runtime) -> Opened:
    """A signed-in console user in a browser-like client of the training app."""

    @asynccontextmanager
    async def opened(username: str, role: Role) -> AsyncIterator[Browser]:
        await make_agent(runtime, username, role, ("Littoral",) if role == Role.agent else ())
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            b = Browser(client)
            response = await b.sign_in(username)
            assert response.status_code == 303, response.text
            yield b

    return opened
