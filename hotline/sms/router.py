"""Twilio SMS and WhatsApp webhooks.

The reply is deliberately neutral: the phone that sent the report may be read by the very
person it is about, so it names no hotline topic, only a reference and a thank-you.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response
from twilio.twiml.messaging_response import MessagingResponse

from hotline.core.http import RuntimeDep, Stopwatch
from hotline.core.logging import get_logger
from hotline.core.twilio import TwilioForm, field
from hotline.intake.gateway import accept, publish
from hotline.intake.identity import caller_ref_for, strip_channel_prefix
from hotline.intake.service import IncomingContact

router = APIRouter(prefix="/twilio/sms", tags=["twilio"])
log = get_logger(__name__)

TWIML = "application/xml"
MAX_BODY_CHARS = 10_000
PROVIDER = "twilio"


def received_reply(reference: str) -> str:
    reply = MessagingResponse()
    reply.message(f"Merci, message reçu. Réf {reference}. / Thank you, message received. Ref {reference}.")
    return str(reply)


@router.post("/incoming")
async def incoming(form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    watch = Stopwatch()
    sid = field(form, "MessageSid", limit=64) or field(form, "SmsSid", limit=64)
    if not sid:
        runtime.metrics.webhooks.labels(route="sms.incoming", outcome="malformed").inc()
        return Response("missing MessageSid", status_code=400, media_type="text/plain")
    sender = field(form, "From", limit=64)
    _, prefix = strip_channel_prefix(sender)
    channel = "whatsapp" if prefix == "whatsapp" else "sms"
    incoming_contact = IncomingContact(
        provider=PROVIDER,
        provider_id=sid,
        channel=channel,
        caller_ref=caller_ref_for(sender, runtime.pepper, runtime.settings.default_region),
        body=field(form, "Body", limit=MAX_BODY_CHARS),
        training=runtime.settings.training,
    )
    recorded = await accept(runtime, incoming_contact)
    background.add_task(publish, runtime, recorded.outbox_id)
    outcome = "spooled" if recorded.spooled else ("stored" if recorded.created else "duplicate")
    runtime.metrics.webhooks.labels(route="sms.incoming", outcome=outcome).inc()
    runtime.metrics.webhook_seconds.labels(route="sms.incoming").observe(watch.elapsed)
    log.info("sms.received", channel=channel, outcome=outcome)
    return Response(received_reply(recorded.reference), media_type=TWIML)


@router.post("/status")
async def status(form: TwilioForm, runtime: RuntimeDep) -> Response:
    """Delivery reports for our replies: counted, never stored with a number."""
    state = field(form, "MessageStatus", limit=32) or "unknown"
    runtime.metrics.webhooks.labels(route="sms.status", outcome=state if state.isalpha() else "unknown").inc()
    log.info("sms.status", status=state[:32])
    return Response(status_code=204)
