"""``POST /api/v1/auth/token``: the OAuth2 password flow, for scripts and the API.

Supervisors and admins (and anyone who turned the second factor on) add the current code of
their authenticator as the form field ``totp``: a password alone never opens a privileged
token (issue 20). The token carries scopes (the role's, or fewer when ``scope`` asks for
fewer) and an expiry; the answer is never cached (RFC 6749 §5.1).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hotline.audit import service as audit
from hotline.auth import throttle
from hotline.auth.dependencies import SECOND_FACTOR_ROLES, SessionDep
from hotline.auth.service import check_password
from hotline.console.sessions import totp_secret
from hotline.core.http import NO_STORE, NowDep, RuntimeDep, client_address
from hotline.core.security import SCOPES_OF_ROLE, issue_token
from hotline.models import Agent

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    #: seconds until the token expires
    expires_in: int
    #: the scopes granted, space-separated
    scope: str


class AuthError(BaseModel):
    detail: str


def _needs_second_factor(agent: Agent) -> bool:
    return agent.role in SECOND_FACTOR_ROLES or agent.totp_secret_enc is not None


def _refused(status: int, detail: str, retry_after: int | None = None) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer", **NO_STORE}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return HTTPException(status_code=status, detail=detail, headers=headers)


WRONG = "wrong username, password or second-factor code"


@router.post(
    "/token",
    responses={401: {"model": AuthError}, 403: {"model": AuthError}, 429: {"model": AuthError}},
)
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    runtime: RuntimeDep,
    session: SessionDep,
    now: NowDep,
    totp: Annotated[str, Form(max_length=16)] = "",
) -> Token:
    settings = runtime.settings
    address = client_address(request)
    username = form.username[:64]
    step = await check_password(
        runtime,
        session,
        door="api",
        username=username,
        password=form.password[:256],
        address=address,
        now=now,
        # only a sign-in that proves the second factor gets through an account lock
        exempt_from_account_lock=_needs_second_factor,
    )
    if step.refused in ("throttled", "busy"):
        raise _refused(429, "too many sign-in attempts; try again later", step.retry_after_seconds)
    if step.refused is not None or step.agent is None:
        await session.commit()
        raise _refused(401, WRONG)
    agent = step.agent
    mfa = False
    if _needs_second_factor(agent):
        secret = totp_secret(runtime.keyring, agent)
        if secret is None:  # a privileged account enrols in the console first
            await audit.append(
                session,
                actor=f"agent:{agent.id}",
                action="auth.failed",
                details={"method": "api", "reason": "no_second_factor"},
            )
            await session.commit()
            runtime.metrics.sign_ins.labels(door="api", outcome="no_second_factor").inc()
            raise _refused(403, "sign in to the console once to set up the second factor")
        if not throttle.check_totp(agent, secret, totp, settings, now):
            await throttle.pair_failed(session, settings, username, address, now)
            await audit.append(
                session, actor=f"agent:{agent.id}", action="auth.failed", details={"method": "totp"}
            )
            await session.commit()
            runtime.metrics.sign_ins.labels(door="api", outcome="second_factor").inc()
            raise _refused(401, WRONG)
        mfa = True
    granted = SCOPES_OF_ROLE.get(agent.role, frozenset())
    asked = frozenset(form.scopes)
    if asked - granted:
        await session.commit()
        raise _refused(403, f"scope not granted to this role: {' '.join(sorted(asked - granted))}")
    scopes = asked or granted
    throttle.account_cleared(agent)
    await throttle.pair_cleared(session, settings, username, address)
    await audit.append(
        session,
        actor=f"agent:{agent.id}",
        action="auth.signed_in",
        details={"method": "api", "mfa": mfa, "scope": " ".join(sorted(scopes))},
    )
    runtime.metrics.sign_ins.labels(door="api", outcome="ok").inc()
    access = issue_token(
        settings.secret_key.get_secret_value(),
        agent.id,
        agent.role,
        settings.token_ttl_seconds,
        generation=agent.token_generation,
        scopes=scopes,
        mfa=mfa,
    )
    return Token(access_token=access, expires_in=settings.token_ttl_seconds, scope=" ".join(sorted(scopes)))
