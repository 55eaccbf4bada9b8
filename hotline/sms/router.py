"""Twilio SMS and WhatsApp webhooks.

Replies are deliberately neutral: the phone that sent the report may be read by the very
person it is about, so they name no hotline topic, only a reference, a question or a
safety line (``data/templates.yaml``). The dialogue itself is in ``conversation.py``.

``/incoming`` stores before it answers (the contact, or the answer on the dialogue's
contact), answers with inline TwiML, and publishes the pipeline work after the answer.
It never sends anything through the REST API: later messages are ``outbound.py``'s, sent
by the worker.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response
from starlette.datastructures import FormData
from twilio.twiml.messaging_response import MessagingResponse

from hotline.core.db import single_statements
from hotline.core.http import RuntimeDep, Stopwatch
from hotline.core.logging import get_logger
from hotline.core.twilio import TwilioForm, field
from hotline.intake.gateway import publish
from hotline.intake.identity import caller_ref_of, strip_channel_prefix, to_e164
from hotline.routing.sms import agent_reply
from hotline.sms import outbound
from hotline.sms.conversation import Conversation, Inbound

router = APIRouter(prefix="/twilio/sms", tags=["twilio"])
log = get_logger(__name__)

TWIML = "application/xml"
MAX_BODY_CHARS = 10_000
MAX_MEDIA = 10  # Twilio sends at most 10 media per message


def twiml(text: str | None) -> Response:
    reply = MessagingResponse()
    if text:
        reply.message(text)
    return Response(str(reply), media_type=TWIML)


def media_of(form: FormData) -> list[dict[str, str]]:
    """WhatsApp/MMS attachments as references (URL and type); nothing is downloaded here."""
    count = field(form, "NumMedia", limit=4)
    media = []
    for n in range(min(int(count) if count.isdigit() else 0, MAX_MEDIA)):
        url = field(form, f"MediaUrl{n}", limit=1024)
        if url:
            media.append({"url": url, "content_type": field(form, f"MediaContentType{n}", limit=128)})
    return media


def location_of(form: FormData) -> dict[str, object] | None:
    """A WhatsApp location pin (``MessageType=location``): coordinates, and the address and label
    the sender's app attached. Personal data: it is sealed with the answers, never logged."""
    latitude, longitude = field(form, "Latitude", limit=32), field(form, "Longitude", limit=32)
    if field(form, "MessageType", limit=32).lower() != "location" and not (latitude and longitude):
        return None
    try:
        lat, lon = float(latitude), float(longitude)
    except ValueError:
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    location: dict[str, object] = {"latitude": lat, "longitude": lon}
    for name, key in (("Address", "address"), ("Label", "label")):
        if value := field(form, name, limit=512).strip():
            location[key] = value
    return location


@router.post("/incoming")
async def incoming(form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    watch = Stopwatch()
    sid = field(form, "MessageSid", limit=64) or field(form, "SmsSid", limit=64)
    if not sid:
        runtime.metrics.webhooks.labels(route="sms.incoming", outcome="malformed").inc()
        return Response("missing MessageSid", status_code=400, media_type="text/plain")
    sender = field(form, "From", limit=64)
    # An on-call agent answering an alert ("OK 12345678", "1"); any other text is a report.
    try:
        ack = await agent_reply(runtime, sender, field(form, "Body", limit=MAX_BODY_CHARS))
    except Exception as exc:  # the database is away: the text goes on to the report path (spooled)
        log.warning("sms.agent_ack_failed", reason=type(exc).__name__)
        ack = None
    if ack is not None:
        runtime.metrics.webhooks.labels(route="sms.incoming", outcome="agent_ack").inc()
        return Response(ack, media_type=TWIML)
    _, prefix = strip_channel_prefix(sender)
    e164 = to_e164(sender, runtime.settings.default_region)  # parsed once, for both below
    channel = "whatsapp" if prefix == "whatsapp" else "sms"
    message = Inbound(
        sid=sid,
        channel=channel,
        caller_ref=caller_ref_of(e164, runtime.pepper),
        known_caller=e164 is not None,
        body=field(form, "Body", limit=MAX_BODY_CHARS),
        media=media_of(form),
        location=location_of(form),
        reply_to=sender,
        training=runtime.settings.training,
    )
    reply = await Conversation(runtime).handle(message)
    for outbox_id in reply.outbox_ids:
        background.add_task(publish, runtime, outbox_id)
    runtime.metrics.webhooks.labels(route="sms.incoming", outcome=reply.outcome).inc()
    runtime.metrics.webhook_seconds.labels(route="sms.incoming").observe(watch.elapsed)
    log.info(
        "sms.received",
        channel=channel,
        outcome=reply.outcome,
        media=len(message.media),
        location=message.location is not None,
    )
    return twiml(reply.text)


@router.post("/status")
async def status(form: TwilioForm, runtime: RuntimeDep) -> Response:
    """Delivery reports: the status of our outbound message moves forward, never back."""
    sid = field(form, "MessageSid", limit=64) or field(form, "SmsSid", limit=64)
    state = field(form, "MessageStatus", limit=32).lower() or "unknown"
    state = state if state.replace("_", "").isalpha() else "unknown"
    error_code = field(form, "ErrorCode", limit=16)
    outcome = "unknown_message"
    if sid:
        try:
            async with single_statements(runtime.sessions, runtime.autocommit) as executor:
                outcome = await outbound.apply_status(
                    executor, sid, state, error_code=error_code if error_code.isdigit() else None
                )
        except Exception as exc:  # a status is bookkeeping: never make Twilio retry for it
            log.warning("sms.status_not_saved", reason=type(exc).__name__)
            outcome = "not_saved"
    runtime.metrics.webhooks.labels(route="sms.status", outcome=outcome).inc()
    log.info("sms.status", status=state, outcome=outcome)
    return Response(status_code=204)
