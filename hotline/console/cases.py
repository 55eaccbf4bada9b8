"""``/console/`` queue and ``/console/cases/{id}``: what an on-call agent works from.

Pages are plain HTML forms (they work without JavaScript on a weak phone); htmx refreshes the
queue's rows when the live feed (SSE) says a case changed. Every page and action re-checks
the role and the case's visibility on the server, and writes its audit event.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep
from hotline.cases import actions, repository
from hotline.cases.callback import start_callback
from hotline.cases.router import Channel, Region, Severity
from hotline.console.i18n import REFUSAL_WORDS
from hotline.console.queue_rows import render_rows
from hotline.console.timeline import build, recordings_of
from hotline.console.web import (
    SECURITY_HEADERS,
    CaseWorker,
    Console,
    case_worker,
    console_of,
    render,
    signed_in,
)
from hotline.core.db import unit_of_work
from hotline.core.http import NowDep, RuntimeDep
from hotline.core.logging import get_logger
from hotline.models import Agent, Case, Contact, Role
from hotline.privacy.sealed import contact_answers
from hotline.routing.acknowledge import AckOutcome, Via, acknowledge

router = APIRouter(prefix="/console", include_in_schema=False)
log = get_logger(__name__)
QUEUE_LIMIT = 500
HEARTBEAT_SECONDS = 15.0
REGIONS = (
    "Adamaoua",
    "Centre",
    "Est",
    "Extreme-Nord",
    "Littoral",
    "Nord",
    "Nord-Ouest",
    "Ouest",
    "Sud",
    "Sud-Ouest",
)
STATUSES = ("new", "acknowledged", "in_progress", "referred", "closed")
SEVERITIES = ("critical", "high", "medium", "low")
CHANNELS = ("sms", "whatsapp", "voice", "ussd")
QueueStatus = Annotated[str | None, Query(pattern="^(new|acknowledged|in_progress|referred|closed)$")]


def _filters(
    me: Console, status: str | None, severity: str | None, region: str | None, channel: str | None, mine: bool
) -> repository.CaseFilters:
    return repository.CaseFilters(
        status=status or None,
        severity=severity or None,
        region=region or None,
        channel=channel or None,
        open_only=not status,
        assignee_id=me.agent.id if mine else None,
        by_deadline=True,
    )


async def _queue(
    request: Request,
    me: Console,
    session: SessionDep,
    template: str,
    status: str | None,
    severity: str | None,
    region: str | None,
    channel: str | None,
    mine: bool,
) -> Response:
    filters = _filters(me, status, severity, region, channel, mine)
    rows, total = await repository.list_queue(session, me.agent, filters, limit=QUEUE_LIMIT)
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="cases.listed",
        details={
            "count": len(rows),
            "status": status,
            "severity": severity,
            "region": region,
            "via": "console",
        },
    )
    return render(
        request,
        template,
        me,
        rows=rows,
        total=total,
        chosen={"status": status, "severity": severity, "region": region, "channel": channel, "mine": mine},
        regions=REGIONS,
        statuses=STATUSES,
        severities=SEVERITIES,
        channels=CHANNELS,
        rows_html=render_rows(rows, me.language),
    )


@router.get("/")
async def queue_page(
    request: Request,
    me: CaseWorker,
    session: SessionDep,
    status: QueueStatus = None,
    severity: Severity | None = None,
    region: Region | None = None,
    channel: Channel | None = None,
    mine: bool = False,
) -> Response:
    return await _queue(request, me, session, "queue.html", status, severity, region, channel, mine)


@router.get("/queue")
async def queue_rows(
    request: Request,
    me: CaseWorker,
    session: SessionDep,
    status: QueueStatus = None,
    severity: Severity | None = None,
    region: Region | None = None,
    channel: Channel | None = None,
    mine: bool = False,
) -> Response:
    """The rows alone, for htmx when the live feed says something changed."""
    return await _queue(request, me, session, "_rows.html", status, severity, region, channel, mine)


@router.get("/events")
async def events(request: Request, runtime: RuntimeDep) -> Response:
    """Server-sent events: ``queue`` whenever a case changed (the page then re-reads its rows).

    The stream outlives any database session: who is asking is checked in a unit of work
    that is closed before the first byte (an open SQLite transaction would stall the line).
    """
    async with unit_of_work(runtime.sessions) as session:
        me = await case_worker(await signed_in(await console_of(request, runtime, session)))
        del me  # the rows the stream triggers are read, and audited, by /console/queue
    return StreamingResponse(
        sse_stream(runtime.case_feed.subscribe(), request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def sse_stream(
    feed: AsyncIterator[str], disconnected: object, heartbeat: float = HEARTBEAT_SECONDS
) -> AsyncIterator[bytes]:
    yield b"retry: 5000\n\n"
    pending: asyncio.Task[str] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(feed))
            done, _ = await asyncio.wait({pending}, timeout=heartbeat)
            if done:
                pending = None
                # The id is not sent: each page re-reads what it may see.
                yield b"event: queue\ndata: changed\n\n"
            else:
                if callable(disconnected) and await disconnected():
                    return
                yield b": ping\n\n"
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        aclose = getattr(feed, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


async def _visible(session: SessionDep, me: Console, case_id: uuid.UUID) -> tuple[Case, Agent | None] | None:
    return await repository.get_case(session, me.agent, case_id)


def _not_found(request: Request, me: Console) -> Response:
    return render(request, "error.html", me, status_code=404, message_key="not_found")


@router.get("/cases/{case_id}")
async def case_page(
    request: Request,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
    msg: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    found = await _visible(session, me, case_id)
    if found is None:
        return _not_found(request, me)
    case, assignee = found
    page = await build(session, runtime.keyring, case)
    colleagues = (
        (
            await session.execute(
                select(Agent)
                .where(Agent.active.is_(True), Agent.role.in_([Role.agent.value, Role.supervisor.value]))
                .order_by(Agent.username)
            )
        )
        .scalars()
        .all()
        if me.supervising
        else []
    )
    merged_into = await session.get(Case, case.merged_into_id) if case.merged_into_id else None
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="case.viewed",
        subject=str(case.id),
        details={"via": "console"},
    )
    return render(
        request,
        "case.html",
        me,
        case=case,
        assignee=assignee,
        page=page,
        colleagues=colleagues,
        merged_into=merged_into,
        msg=msg if msg in PAGE_MESSAGES else None,
        categories=actions.CATEGORIES,
        severities=actions.SEVERITIES,
        outcomes=actions.OUTCOMES,
        transitions=sorted(actions.TRANSITIONS.get(case.status, set())),
        can_callback=any(e.callback for e in page.entries),
    )


#: What ``?msg=`` may say on the case page: a closed set of keys, never text from the link
#: (issue 20: any text given there was shown as an alert).
PAGE_MESSAGES = frozenset({"done", "calling", *REFUSAL_WORDS})


def _back(case_id: uuid.UUID, msg: str) -> Response:
    return RedirectResponse(f"/console/cases/{case_id}?msg={msg}", status_code=303, headers=SECURITY_HEADERS)


async def _act(session: SessionDep, me: Console, case_id: uuid.UUID) -> Case | None:
    found = await _visible(session, me, case_id)
    return found[0] if found else None


@router.post("/cases/{case_id}/acknowledge")
async def ack(
    now: NowDep, case_id: uuid.UUID, me: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> Response:
    if await _act(session, me, case_id) is None:
        return Response(status_code=404)
    result = await acknowledge(session, case_id, me.agent, via=Via.console, now=now, metrics=runtime.metrics)
    ok = result.outcome in (AckOutcome.acknowledged, AckOutcome.already)
    return _back(case_id, "done" if ok else (result.reason or "refused"))


@router.post("/cases/{case_id}/take")
async def take(
    now: NowDep, case_id: uuid.UUID, me: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> Response:
    case = await _act(session, me, case_id)
    if case is None:
        return Response(status_code=404)
    return await _run(case_id, actions.take(session, case, me.agent, now=now, metrics=runtime.metrics))


@router.post("/cases/{case_id}/reassign")
async def reassign(
    now: NowDep,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    agent_id: Annotated[uuid.UUID, Form()],
) -> Response:
    case = await _act(session, me, case_id)
    if case is None:
        return Response(status_code=404)
    to = await session.get(Agent, agent_id)
    if to is None:
        return _back(case_id, "not_a_case_worker")
    return await _run(case_id, actions.reassign(session, case, me.agent, to, now=now))


@router.post("/cases/{case_id}/notes")
async def add_note(
    now: NowDep,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
    text: Annotated[str, Form(max_length=actions.MAX_NOTE)],
) -> Response:
    case = await _act(session, me, case_id)
    if case is None:
        return Response(status_code=404)
    return await _run(case_id, actions.add_note(session, runtime.keyring, case, me.agent, text, now=now))


@router.post("/cases/{case_id}/status")
async def change_status(
    now: NowDep,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    status: Annotated[str, Form(max_length=16)],
    outcome: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    case = await _act(session, me, case_id)
    if case is None:
        return Response(status_code=404)
    return await _run(
        case_id,
        actions.change_status(session, case, me.agent, status, outcome=outcome or None, now=now),
    )


@router.post("/cases/{case_id}/override")
async def override(
    now: NowDep,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
    reason: Annotated[str, Form(max_length=actions.MAX_NOTE)],
    category: Annotated[str, Form(max_length=32)] = "",
    severity: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    case = await _act(session, me, case_id)
    if case is None:
        return Response(status_code=404)
    return await _run(
        case_id,
        actions.override(
            session,
            runtime.keyring,
            case,
            me.agent,
            category=category or None,
            severity=severity or None,
            reason=reason,
            now=now,
        ),
    )


@router.post("/cases/{case_id}/merge")
async def merge(
    now: NowDep,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    reference: Annotated[str, Form(max_length=16)],
) -> Response:
    case = await _act(session, me, case_id)
    if case is None:
        return Response(status_code=404)
    wanted = "".join(reference.split())
    # references are digits; anything else (a NUL was a 500 on PostgreSQL) names no case
    target_id = (
        await session.scalar(select(Case.id).where(Case.reference == wanted))
        if wanted.isascii() and wanted.isdigit()
        else None
    )
    target = await _act(session, me, target_id) if target_id else None
    if target is None:
        return _back(case_id, "merge_target_unknown")
    return await _run(case_id, actions.merge(session, case, target, me.agent, now=now))


@router.post("/cases/{case_id}/callback")
async def callback(
    now: NowDep, case_id: uuid.UUID, me: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> Response:
    case = await _act(session, me, case_id)
    if case is None:
        return Response(status_code=404)
    return await _run(case_id, start_callback(session, runtime, case, me.agent, now=now), "calling")


async def _run(case_id: uuid.UUID, action: object, done: str = "done") -> Response:
    try:
        await action  # type: ignore[misc]
    except actions.ActionRefused as refused:
        return _back(case_id, refused.reason)
    return _back(case_id, done)


@router.get("/cases/{case_id}/recordings/{sid}")
async def recording(
    case_id: uuid.UUID, sid: str, me: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The caller's recording, fetched from Twilio with the account's credentials and streamed on.

    Only a Sid recorded on one of this case's contacts is fetched: the route is no open proxy.
    """
    case = await _act(session, me, case_id)
    if case is None:
        return Response(status_code=404)
    contacts = (await session.execute(select(Contact).where(Contact.case_id == case.id))).scalars()
    if not any(sid in recordings_of(contact_answers(runtime.keyring, c)) for c in contacts):
        return Response(status_code=404)
    settings = runtime.settings
    url = (
        f"{settings.twilio_api_url.rstrip('/')}/2010-04-01/Accounts/{settings.twilio_account_sid}"
        f"/Recordings/{sid}.mp3"
    )
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="case.recording_played",
        subject=str(case.id),
        details={},
    )
    await session.commit()
    client = httpx.AsyncClient(
        timeout=30.0, auth=(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value())
    )
    try:
        upstream = await client.send(client.build_request("GET", url), stream=True)
    except httpx.HTTPError as exc:
        await client.aclose()
        log.warning("console.recording_unreachable", reason=type(exc).__name__)
        return Response(status_code=502)
    if upstream.status_code != 200:
        await upstream.aclose()
        await client.aclose()
        return Response(status_code=404 if upstream.status_code == 404 else 502)

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        finally:
            await upstream.aclose()
            await client.aclose()

    return StreamingResponse(body(), media_type="audio/mpeg", headers={"Cache-Control": "no-store"})
