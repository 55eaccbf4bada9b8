"""Who is asking, checked on the server for every API route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.http import RuntimeDep
from hotline.core.security import InvalidToken, read_token
from hotline.models import Agent, Role

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One session per request, committed when the handler returns without error.

    Scoped to the function (below): the commit runs after the handler returns and *before*
    the response is sent. With FastAPI's default (request scope) it would run after the
    client already had its 200, so a failed commit would be a silent loss, and a browser
    following a redirect could read the state from before the change.
    """
    async with runtime.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

_UNAUTHORISED = HTTPException(status_code=401, detail="not signed in", headers={"WWW-Authenticate": "Bearer"})


async def current_agent(
    runtime: RuntimeDep, session: SessionDep, token: Annotated[str | None, Depends(oauth2)]
) -> Agent:
    if not token:
        raise _UNAUTHORISED
    try:
        claims = read_token(runtime.settings.secret_key.get_secret_value(), token)
    except InvalidToken:
        raise _UNAUTHORISED from None
    agent = await session.get(Agent, claims.agent_id)
    if agent is None or not agent.active or claims.generation != agent.token_generation:
        raise _UNAUTHORISED
    return agent


CurrentAgent = Annotated[Agent, Depends(current_agent)]


def require_role(*roles: Role) -> Callable[[Agent], Coroutine[Any, Any, Agent]]:
    allowed = {r.value for r in roles}

    async def check(agent: CurrentAgent) -> Agent:
        if agent.role not in allowed:
            raise HTTPException(status_code=403, detail="your role does not allow this")
        return agent

    return check
