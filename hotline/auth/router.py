"""``POST /api/v1/auth/token``: the OAuth2 password flow, for scripts and the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hotline.agents.service import find_by_username
from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep
from hotline.core.http import RuntimeDep
from hotline.core.security import DUMMY_PASSWORD_HASH, issue_token, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/token")
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], runtime: RuntimeDep, session: SessionDep
) -> Token:
    agent = await find_by_username(session, form.username[:64])
    valid = verify_password(agent.password_hash if agent else DUMMY_PASSWORD_HASH, form.password[:256])
    if agent is None or not valid or not agent.active:
        actor = f"agent:{agent.id}" if agent else "anonymous"
        await audit.append(session, actor=actor, action="auth.failed", details={"method": "password"})
        await session.commit()
        raise HTTPException(
            status_code=401, detail="wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    await audit.append(
        session, actor=f"agent:{agent.id}", action="auth.signed_in", details={"method": "password"}
    )
    access = issue_token(
        runtime.settings.secret_key.get_secret_value(),
        agent.id,
        agent.role,
        runtime.settings.token_ttl_seconds,
        generation=agent.token_generation,
    )
    return Token(access_token=access)
