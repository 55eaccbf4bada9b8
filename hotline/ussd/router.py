"""``POST /ussd/africastalking``: a report keyed in on any phone, screen by screen.

Africa's Talking does not sign its requests, so a request is accepted only when it comes
from a configured source network (``HOTLINE_USSD_ALLOWED_NETWORKS``) AND carries the
shared secret in the URL (``?key=…``, ``HOTLINE_USSD_SECRET``); anything else gets 403.
Behind a reverse proxy, run uvicorn with ``--proxy-headers --forwarded-allow-ips`` so the
client address is the gateway's, not the proxy's.

The contact is stored (``sessionId`` is its provider id, unique) once the caller has
answered the first real question, and each later screen adds its answers to it, so a
session that drops half-way still leaves its answers for an agent. The final screen shows
the reference; replaying it finds the same contact: never a second case.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, BackgroundTasks, Request, Response
from starlette.datastructures import FormData

from hotline.cases.service import open_case_of_caller
from hotline.core.db import single_statements
from hotline.core.http import RuntimeDep, Stopwatch
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.core.twilio import field, read_form
from hotline.intake.gateway import accept, amend_contact, publish
from hotline.intake.identity import caller_ref_for, to_e164
from hotline.intake.service import IncomingContact, set_provider_status
from hotline.ussd.menu import Position, default_screens, position

router = APIRouter(prefix="/ussd", tags=["ussd"])
log = get_logger(__name__)

PROVIDER = "africastalking"
ROUTE = "ussd.africastalking"
END_ROUTE = "ussd.session_end"
#: ``status`` of Africa's Talking's end-of-session notification, lower-cased.
SESSION_END_STATUSES = frozenset({"success", "incomplete", "failed"})


def _allowed(runtime: Runtime, request: Request) -> bool:
    settings = runtime.settings
    secret = settings.ussd_secret.get_secret_value()
    given = request.query_params.get("key", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return False
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in settings.ussd_networks)


def _text(screen: str) -> Response:
    return Response(screen, media_type="text/plain")


async def _gateway_form(
    request: Request, runtime: Runtime, route: str
) -> tuple[FormData | None, Response | None]:
    """The gateway's form and its sessionId, or the refusal (403, 400) to answer instead."""
    if not _allowed(runtime, request):
        runtime.metrics.webhooks.labels(route=route, outcome="refused").inc()
        log.warning("ussd.refused")
        return None, Response("forbidden", status_code=403, media_type="text/plain")
    form = await read_form(request)
    if not field(form, "sessionId", limit=64):
        runtime.metrics.webhooks.labels(route=route, outcome="malformed").inc()
        return None, Response("missing sessionId", status_code=400, media_type="text/plain")
    return form, None


def _is_session_end(form: FormData) -> bool:
    """Africa's Talking's end-of-session notification: a ``status`` and no ``text`` (every screen
    request carries ``text``, empty on the first one)."""
    return "text" not in form and field(form, "status", limit=32).lower() in SESSION_END_STATUSES


@router.post("/africastalking")
async def africastalking(request: Request, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    watch = Stopwatch()
    form, refused = await _gateway_form(request, runtime, ROUTE)
    if form is None:
        assert refused is not None
        return refused
    if _is_session_end(form):
        # The events callback pointed at the session URL: recognised, never answered with the menu.
        return await _session_end(runtime, form, background)
    session_id = field(form, "sessionId", limit=64)
    screens = default_screens()
    where = position(field(form, "text", limit=1000))
    if where.language is None:
        runtime.metrics.webhooks.labels(route=ROUTE, outcome="menu").inc()
        return _text(screens.language())
    if not where.substantive:
        runtime.metrics.webhooks.labels(route=ROUTE, outcome="menu").inc()
        return _text(screens.question("danger", where.language))

    number = field(form, "phoneNumber", limit=64)
    caller_ref = caller_ref_for(number, runtime.pepper, runtime.settings.default_region)
    reference, outcome = await _store(runtime, session_id, caller_ref, where, background)
    runtime.metrics.webhooks.labels(route=ROUTE, outcome=outcome).inc()
    runtime.metrics.webhook_seconds.labels(route=ROUTE).observe(watch.elapsed)
    log.info("ussd.received", outcome=outcome, complete=where.complete)
    if reference is None:
        return _text(screens.end("unavailable", where.language))
    if not where.complete:
        assert where.question is not None
        return _text(screens.question(where.question, where.language))
    if to_e164(number, runtime.settings.default_region) is not None:
        reference = await _case_reference(runtime, caller_ref, reference) or reference
    return _text(screens.end("done", where.language, reference=reference))


@router.post("/africastalking/events")
async def africastalking_events(
    request: Request, runtime: RuntimeDep, background: BackgroundTasks
) -> Response:
    """Africa's Talking's end-of-session notification (the "events callback URL"), same secret and
    networks as the session URL."""
    form, refused = await _gateway_form(request, runtime, END_ROUTE)
    if form is None:
        assert refused is not None
        return refused
    return await _session_end(runtime, form, background)


async def _session_end(runtime: Runtime, form: FormData, background: BackgroundTasks) -> Response:
    """A session is over. Incomplete or failed (the caller hung up, the network dropped, a timeout)
    ends the dialogue like a hung-up call: what was keyed so far is the report, including the
    entries of a last screen whose request never reached us (``input``). The status is kept on the
    contact and counted; ``errorMessage`` is the gateway's text and is neither stored nor logged."""
    session_id = field(form, "sessionId", limit=64)
    status = field(form, "status", limit=32).lower()
    status = status if status in SESSION_END_STATUSES else "unknown"
    where = position(field(form, "input", limit=1000))
    outcome = status
    if where.substantive:
        number = field(form, "phoneNumber", limit=64)
        caller_ref = caller_ref_for(number, runtime.pepper, runtime.settings.default_region)
        await _store(runtime, session_id, caller_ref, where, background)
    try:
        async with single_statements(runtime.sessions, runtime.autocommit) as executor:
            reported = await set_provider_status(executor, PROVIDER, session_id, status)
    except Exception as exc:  # bookkeeping: the answers, if any, are stored (or spooled) above
        log.warning("ussd.status_not_saved", reason=type(exc).__name__)
        reported = where.substantive
    runtime.metrics.webhooks.labels(route=END_ROUTE, outcome=outcome).inc()
    runtime.metrics.webhooks.labels(route=END_ROUTE, outcome="reported" if reported else "abandoned").inc()
    log.info("ussd.session_end", status=status, reported=reported)
    return Response(status_code=200)


async def _store(
    runtime: Runtime, session_id: str, caller_ref: str, where: Position, background: BackgroundTasks
) -> tuple[str | None, str]:
    """Store the session's answers so far on its contact (created at the first answer)."""
    recorded = await accept(
        runtime,
        IncomingContact(
            provider=PROVIDER,
            provider_id=session_id,
            channel="ussd",
            caller_ref=caller_ref,
            body=where.description,
            answers=where.answers,
            training=runtime.settings.training,
        ),
    )
    background.add_task(publish, runtime, recorded.outbox_id)
    if recorded.created and not recorded.spooled:
        return recorded.reference, "stored"
    # An existing contact gets this screen's answers; in an outage the spool gets them as an
    # amendment too, since a later spooled copy of the contact itself would be a no-op on replay.
    amended = await amend_contact(
        runtime,
        provider=PROVIDER,
        provider_id=session_id,
        answers=where.answers,
        text=where.description,
    )
    background.add_task(publish, runtime, amended.outbox_id)
    if recorded.spooled:
        return recorded.reference, "spooled"
    return amended.reference or recorded.reference, "updated" if amended.outbox_id else "duplicate"


async def _case_reference(runtime: Runtime, caller_ref: str, own_reference: str) -> str | None:
    """The open case this session follows up (the pipeline attaches it there), if any."""
    try:
        async with runtime.sessions() as session:
            case = await open_case_of_caller(
                session,
                caller_ref,
                now=runtime.clock(),
                training=runtime.settings.training,
                exclude_reference=own_reference,
            )
    except Exception as exc:
        log.warning("ussd.follow_up_lookup_failed", reason=type(exc).__name__)
        return None
    return case.reference if case is not None else None
