"""Who is asking, checked on the server for every API route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.http import RuntimeDep
from hotline.core.security import SCOPES_OF_ROLE, InvalidToken, TokenClaims, read_token
from hotline.models import Agent, Role

#: Roles that must prove a second factor, in the console and for an API token alike.
SECOND_FACTOR_ROLES = frozenset({Role.supervisor.value, Role.admin.value})

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
    request: Request, runtime: RuntimeDep, session: SessionDep, token: Annotated[str | None, Depends(oauth2)]
) -> Agent:
    """The token's account, when the token is still good for it.

    Refused (401): a bad signature or an expired token, an inactive account, an older token
    generation, a role changed since issue, and a privileged role's token minted without the
    second factor (issue 20: a password alone gave an admin token).
    """
    if not token:
        raise _UNAUTHORISED
    try:
        claims = read_token(runtime.settings.secret_key.get_secret_value(), token)
    except InvalidToken:
        raise _UNAUTHORISED from None
    agent = await session.get(Agent, claims.agent_id)
    if agent is None or not agent.active or claims.generation != agent.token_generation:
        raise _UNAUTHORISED
    if claims.role != agent.role or (agent.role in SECOND_FACTOR_ROLES and not claims.mfa):
        raise _UNAUTHORISED
    request.state.token_claims = claims
    return agent


CurrentAgent = Annotated[Agent, Depends(current_agent)]


def require_role(*roles: Role, scope: str) -> Callable[[Request, Agent], Coroutine[Any, Any, Agent]]:
    """A dependency: the caller has one of ``roles`` and a token carrying ``scope`` (403 otherwise)."""
    allowed = {r.value for r in roles}
    if not any(scope in SCOPES_OF_ROLE[r] for r in allowed):
        raise ValueError(f"no role among {sorted(allowed)} is ever granted scope {scope!r}")

    async def check(request: Request, agent: CurrentAgent) -> Agent:
        if agent.role not in allowed:
            raise HTTPException(status_code=403, detail="your role does not allow this")
        claims: TokenClaims = request.state.token_claims
        if scope not in claims.scopes:
            raise HTTPException(status_code=403, detail=f"this token lacks the scope {scope!r}")
        return agent

    return check
