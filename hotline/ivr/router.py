"""Twilio voice webhooks: a bilingual greeting, a recorded message, the reference, goodbye.

The contact is stored the moment the call arrives, before a word is said, so a caller who
hangs up after the greeting still leaves a trace an agent can see.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response
from twilio.twiml.voice_response import VoiceResponse

from hotline.cases.reference import spoken
from hotline.core.db import unit_of_work
from hotline.core.http import RuntimeDep, Stopwatch
from hotline.core.logging import get_logger
from hotline.core.twilio import TwilioForm, field
from hotline.intake.gateway import accept, amend_contact, publish
from hotline.intake.identity import caller_ref_for
from hotline.intake.service import IncomingContact, set_provider_status

router = APIRouter(prefix="/twilio/voice", tags=["twilio"])
log = get_logger(__name__)

TWIML = "application/xml"
PROVIDER = "twilio"
MAX_RECORDING_SECONDS = 180
FR = "fr-FR"
EN = "en-GB"


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type=TWIML)


def greeting(base_url: str) -> VoiceResponse:
    response = VoiceResponse()
    response.say(
        "Bienvenue au 1503. Après le bip, dites ce qui se passe et où. Appuyez sur dièse pour terminer.",
        language=FR,
    )
    response.say(
        "Welcome to 1503. After the beep, tell us what is happening and where. Press hash to finish.",
        language=EN,
    )
    response.record(
        action=f"{base_url}/twilio/voice/recording",
        method="POST",
        max_length=MAX_RECORDING_SECONDS,
        finish_on_key="#",
        play_beep=True,
        timeout=10,
    )
    response.say(
        "Nous n'avons rien entendu. Vous pouvez rappeler le 1503 à tout moment. Au revoir.", language=FR
    )
    response.say("We heard nothing. You can call 1503 again at any time. Goodbye.", language=EN)
    response.hangup()
    return response


def goodbye(reference: str | None) -> VoiceResponse:
    response = VoiceResponse()
    if reference:
        for _ in range(2):
            response.say(f"Votre numéro de dossier est : {spoken(reference)}.", language=FR)
        response.say(f"Your case number is: {spoken(reference)}.", language=EN)
    response.say(
        "Merci. Si vous êtes en danger, restez en lieu sûr ; quelqu'un vous aidera. Au revoir.", language=FR
    )
    response.say(
        "Thank you. If you are in danger, stay somewhere safe; someone will help. Goodbye.", language=EN
    )
    response.hangup()
    return response


@router.post("/incoming")
async def incoming(form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    watch = Stopwatch()
    sid = field(form, "CallSid", limit=64)
    if not sid:
        runtime.metrics.webhooks.labels(route="voice.incoming", outcome="malformed").inc()
        return Response("missing CallSid", status_code=400, media_type="text/plain")
    recorded = await accept(
        runtime,
        IncomingContact(
            provider=PROVIDER,
            provider_id=sid,
            channel="voice",
            caller_ref=caller_ref_for(
                field(form, "From", limit=64), runtime.pepper, runtime.settings.default_region
            ),
            training=runtime.settings.training,
        ),
    )
    background.add_task(publish, runtime, recorded.outbox_id)
    outcome = "spooled" if recorded.spooled else ("stored" if recorded.created else "duplicate")
    runtime.metrics.webhooks.labels(route="voice.incoming", outcome=outcome).inc()
    runtime.metrics.webhook_seconds.labels(route="voice.incoming").observe(watch.elapsed)
    log.info("voice.received", outcome=outcome)
    return _twiml(greeting(runtime.settings.public_base_url))


@router.post("/recording")
async def recording(form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    watch = Stopwatch()
    sid = field(form, "CallSid", limit=64)
    recording_sid = field(form, "RecordingSid", limit=64)
    reference = None
    if sid and recording_sid:
        duration_text = field(form, "RecordingDuration", limit=8)
        # Only the RecordingSid is kept (the recording is fetched through the API by it), never its URL.
        amended = await amend_contact(
            runtime,
            provider=PROVIDER,
            provider_id=sid,
            answers={
                "recording_sid": recording_sid,
                "recording_seconds": int(duration_text) if duration_text.isdigit() else None,
            },
        )
        reference = amended.reference
        background.add_task(publish, runtime, amended.outbox_id)
    runtime.metrics.webhooks.labels(
        route="voice.recording", outcome="stored" if reference else "unmatched"
    ).inc()
    runtime.metrics.webhook_seconds.labels(route="voice.recording").observe(watch.elapsed)
    return _twiml(goodbye(reference))


@router.post("/status")
async def status(form: TwilioForm, runtime: RuntimeDep) -> Response:
    """Call progress: the final status is kept on the contact (answered, busy, no-answer…)."""
    sid = field(form, "CallSid", limit=64)
    state = field(form, "CallStatus", limit=32) or "unknown"
    state = state if state.replace("-", "").isalpha() else "unknown"
    runtime.metrics.webhooks.labels(route="voice.status", outcome=state).inc()
    if sid:
        try:
            async with unit_of_work(runtime.sessions) as session:
                await set_provider_status(session, PROVIDER, sid, state)
        except Exception as exc:  # a status is a nicety; never make Twilio retry for it
            log.warning("voice.status_not_saved", reason=type(exc).__name__)
    return Response(status_code=204)
