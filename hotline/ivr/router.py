"""Twilio voice webhooks: the 1503 menu, from the first ring to the reference read back.

The contact is stored the moment the call arrives, before a word is said, and every key the
caller presses is written to it (``amend_contact``) before the next prompt is sent: a caller
who hangs up at any point leaves what they answered, a Redis restart loses nothing, and a
database outage goes to the spool like any report. Which contacts become cases, and when,
is the pipeline's call (:mod:`hotline.intake.dialogue`): at once for danger, at the end of
the call otherwise, never for a call that ended before any choice.

Handlers only read and write the call state and the contact; triage, routing and
notifications happen in the worker after the answer has been sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from twilio.twiml.voice_response import VoiceResponse

from hotline.core.db import single_statements
from hotline.core.http import RuntimeDep, Stopwatch
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.core.twilio import TwilioForm, field
from hotline.intake.dialogue import DIALOGUE, ENDED, OPEN
from hotline.intake.gateway import accept, amend_contact, publish
from hotline.intake.identity import caller_ref_for
from hotline.intake.service import IncomingContact, set_provider_status
from hotline.ivr.calls import Call, final_status, on_call_directory
from hotline.ivr.flow import DialStep, GoodbyeStep, Menu, Option, RecordStep
from hotline.ivr.twiml import Screens, Speaker, empty

router = APIRouter(prefix="/twilio/voice", tags=["twilio"])
log = get_logger(__name__)

TWIML = "application/xml"
PROVIDER = "twilio"
ANSWERED = frozenset({"completed", "answered"})


#: Twilio's CallStatus values (its voice webhook reference).
CALL_STATUSES = frozenset(
    {"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"}
)


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type=TWIML)


def _screens(runtime: Runtime) -> Screens:
    settings = runtime.settings
    return Screens(
        Speaker(
            runtime.ivr_flow,
            public_base_url=settings.public_base_url,
            audio_base_url=settings.ivr_audio_base_url,
        )
    )


def _done(runtime: Runtime, route: str, outcome: str, watch: Stopwatch) -> None:
    runtime.metrics.webhooks.labels(route=route, outcome=outcome).inc()
    runtime.metrics.webhook_seconds.labels(route=route).observe(watch.elapsed)


def _missing_sid(runtime: Runtime, route: str) -> Response:
    runtime.metrics.webhooks.labels(route=route, outcome="malformed").inc()
    return Response("missing CallSid", status_code=400, media_type="text/plain")


class Turn:
    """One webhook's worth of a call: what to store, then which step to send the caller to."""

    def __init__(self, runtime: Runtime, call: Call, background: BackgroundTasks, caller_id: str) -> None:
        self.runtime = runtime
        self.call = call
        self.background = background
        self.caller_id = caller_id
        self.flow = runtime.ivr_flow
        self.screens = _screens(runtime)
        self.pending: dict[str, Any] = {}
        self.callback_number: str | None = None

    def choose(self, option: Option, *, pressed: bool, caller_number: str = "") -> None:
        state = self.call.state
        if option.language is not None:
            state.language = option.language
        if not pressed:
            return  # a default after silence is not something the caller said
        state.choices += 1
        given = option.answers.given()
        if option.language is not None:
            given["language"] = option.language
        if given.get("callback") is True and caller_number:
            self.callback_number = caller_number
        self.pending.update(given)

    async def store(self, extra: dict[str, Any] | None = None) -> None:
        """Write what this turn learnt to the contact (or the spool) before answering."""
        if extra:
            self.pending.update(extra)
        if not self.pending and self.callback_number is None:
            return
        self.call.state.answers.update({k: v for k, v in self.pending.items() if k != DIALOGUE})
        amended = await amend_contact(
            self.runtime,
            provider=PROVIDER,
            provider_id=self.call.sid,
            answers=self.pending,
            callback_number=self.callback_number,
            look_again=self._worth_a_look(),
        )
        if amended.reference and not self.call.state.reference:
            self.call.state.reference = amended.reference
        self.background.add_task(publish, self.runtime, amended.outbox_id)
        self.pending = {}
        self.callback_number = None

    def _worth_a_look(self) -> bool:
        """A pipeline job for danger and for the end of the dialogue; the answers in between are
        only stored (the pipeline would hold the case for them anyway), which saves a job per key."""
        pending = self.pending
        urgent = pending.get("danger_now") is True or pending.get("menu") == "emergency"
        return urgent or any(key in pending for key in (DIALOGUE, "dial", "recording_sid"))

    async def go(self, name: str) -> VoiceResponse:
        """Store, then the TwiML of step ``name`` (a dial with nobody to ring goes on at once)."""
        step = self.flow.steps.get(name)
        if step is None:
            log.warning("ivr.unknown_step")
            name, step = self.flow.start, self.flow.steps[self.flow.start]
        state = self.call.state
        if isinstance(step, GoodbyeStep):
            await self.store({DIALOGUE: ENDED})
            await self.call.save()
            # A reference is read only to a caller who reported something: a call with no
            # choice and no message makes no case, so its reference would lead nowhere.
            reported = state.choices > 0 or "recording_sid" in state.answers
            return self.screens.goodbye(step, self.language(), state.reference if reported else None)
        await self.store()
        await self.call.save()
        if isinstance(step, Menu):
            return self.screens.menu(name, step, self.language(), attempt=1, sorry=False)
        if isinstance(step, RecordStep):
            return self.screens.record(name, step, self.language())
        number = await on_call_directory(self.runtime).number_for(state.answers.get("region"))
        if number is None:
            self.runtime.metrics.webhooks.labels(route="voice.dial", outcome="no_number").inc()
            self.pending["dial"] = "no_number"
            return await self.go(step.unanswered)
        return self.screens.dial(name, step, self.language(), number, self.caller_id)

    def language(self) -> str | None:
        return self.call.state.language


async def _turn(
    runtime: Runtime, form: Any, background: BackgroundTasks, route: str
) -> tuple[Turn | None, Response | None]:
    sid = field(form, "CallSid", limit=64)
    if not sid:
        return None, _missing_sid(runtime, route)
    call = await Call.load(runtime, PROVIDER, sid)
    # The line's configured E.164 number (checked at start-up), never the call's ``To``: a short
    # code such as 1503 is not a caller id Twilio accepts on an outbound leg.
    return Turn(runtime, call, background, runtime.settings.twilio_from_number), None


@router.post("/incoming")
async def incoming(form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    watch = Stopwatch()
    sid = field(form, "CallSid", limit=64)
    if not sid:
        return _missing_sid(runtime, "voice.incoming")
    recorded = await accept(
        runtime,
        IncomingContact(
            provider=PROVIDER,
            provider_id=sid,
            channel="voice",
            caller_ref=caller_ref_for(
                field(form, "From", limit=64), runtime.pepper, runtime.settings.default_region
            ),
            answers={DIALOGUE: OPEN},
            training=runtime.settings.training,
        ),
    )
    background.add_task(publish, runtime, recorded.outbox_id)
    call = await Call.start(runtime, PROVIDER, sid, reference=recorded.reference, fresh=recorded.created)
    flow = runtime.ivr_flow
    start = flow.steps[flow.start]
    assert isinstance(start, Menu)  # checked when the flow was loaded
    response = _screens(runtime).menu(flow.start, start, call.state.language, attempt=1, sorry=False)
    outcome = "spooled" if recorded.spooled else ("stored" if recorded.created else "duplicate")
    _done(runtime, "voice.incoming", outcome, watch)
    log.info("voice.received", outcome=outcome)
    return _twiml(response)


def _attempt(request: Request) -> int:
    raw = request.query_params.get("try", "1")
    return min(int(raw), 99) if raw.isdigit() and raw else 1


@router.post("/menu/{step}")
async def menu(
    step: str, request: Request, form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks
) -> Response:
    """A key (or silence) in answer to a menu: the next step, the same menu again, or 9."""
    watch = Stopwatch()
    turn, refused = await _turn(runtime, form, background, "voice.menu")
    if turn is None:
        assert refused is not None
        return refused
    flow = turn.flow
    current = flow.steps.get(step)
    if not isinstance(current, Menu):
        # A call that began before the flow file changed: start it again rather than fail it.
        _done(runtime, "voice.menu", "unknown_step", watch)
        return _twiml(await turn.go(flow.start))
    digits = field(form, "Digits", limit=8)
    attempt = _attempt(request)
    if digits == flow.repeat_key:
        outcome = "repeat"
        response = turn.screens.menu(step, current, turn.language(), attempt=attempt, sorry=False)
    elif digits == flow.danger.key:
        outcome = "danger"
        turn.call.state.choices += 1
        turn.pending.update(flow.danger.answers.given())
        response = await turn.go(flow.danger.next)
    elif digits in current.options:
        outcome = "chosen"
        turn.choose(current.options[digits], pressed=True, caller_number=field(form, "From", limit=64))
        response = await turn.go(current.options[digits].next)
    elif attempt <= flow.timing.retries:
        outcome = "reprompt"
        response = turn.screens.menu(step, current, turn.language(), attempt=attempt + 1, sorry=True)
    else:
        outcome = "default"
        turn.choose(current.otherwise, pressed=False)
        response = await turn.go(current.otherwise.next)
    _done(runtime, "voice.menu", outcome, watch)
    return _twiml(response)


@router.post("/dialed/{step}")
async def dialed(step: str, form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    """The end of a <Dial> to the agent on call: goodbye if they talked, a message if not."""
    watch = Stopwatch()
    turn, refused = await _turn(runtime, form, background, "voice.dialed")
    if turn is None:
        assert refused is not None
        return refused
    current = turn.flow.steps.get(step)
    answered = field(form, "DialCallStatus", limit=32) in ANSWERED
    turn.pending["dial"] = "answered" if answered else "unanswered"
    if isinstance(current, DialStep):
        target = current.answered if answered else current.unanswered
    else:
        target = turn.flow.start
    response = await turn.go(target)
    _done(runtime, "voice.dialed", "answered" if answered else "unanswered", watch)
    return _twiml(response)


def _recording_answers(form: Any) -> dict[str, Any]:
    # Only the RecordingSid is kept (the recording is fetched through the API by it), never its URL.
    recording_sid = field(form, "RecordingSid", limit=64)
    if not recording_sid:
        return {}
    duration = field(form, "RecordingDuration", limit=8)
    return {
        "recording_sid": recording_sid,
        "recording_seconds": int(duration) if duration.isdigit() else None,
    }


@router.post("/recorded/{step}")
async def recorded(step: str, form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    """The <Record> action: the message (if any) joins the contact; then the reference."""
    watch = Stopwatch()
    turn, refused = await _turn(runtime, form, background, "voice.recorded")
    if turn is None:
        assert refused is not None
        return refused
    current = turn.flow.steps.get(step)
    answers = _recording_answers(form)
    turn.pending.update(answers)
    target = current.next if isinstance(current, RecordStep) else _goodbye_step(turn)
    response = await turn.go(target)
    _done(runtime, "voice.recorded", "message" if answers else "silence", watch)
    return _twiml(response)


def _goodbye_step(turn: Turn) -> str:
    return next(name for name, step in turn.flow.steps.items() if isinstance(step, GoodbyeStep))


@router.post("/recording")
async def recording(form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    """recordingStatusCallback: the RecordingSid and duration are kept on the contact.

    The recording itself stays at Twilio; the privacy/retention work decides its lifetime.
    A recording means the caller's part of the call is over, so the dialogue ends here too
    (this callback may arrive before or after the <Record> action and the call status).
    """
    watch = Stopwatch()
    sid = field(form, "CallSid", limit=64)
    status = field(form, "RecordingStatus", limit=16) or "completed"
    answers = _recording_answers(form)
    outcome = "ignored"
    if sid and answers and status == "completed":
        amended = await amend_contact(
            runtime, provider=PROVIDER, provider_id=sid, answers={**answers, DIALOGUE: ENDED}
        )
        background.add_task(publish, runtime, amended.outbox_id)
        outcome = "stored" if amended.reference else "unmatched"
    _done(runtime, "voice.recording", outcome, watch)
    return _twiml(empty())


@router.post("/status")
async def status(form: TwilioForm, runtime: RuntimeDep, background: BackgroundTasks) -> Response:
    """Call progress. When the call is over, the dialogue ends: what was answered becomes a
    case (a partial report), and a call with no choice at all is counted as abandoned."""
    sid = field(form, "CallSid", limit=64)
    state = field(form, "CallStatus", limit=32) or "unknown"
    state = state if state.replace("-", "").isalpha() else "unknown"
    # a closed set of labels (issue 20): Twilio's call statuses, anything else counted as "other"
    runtime.metrics.webhooks.labels(
        route="voice.status", outcome=state if state in CALL_STATUSES else "other"
    ).inc()
    if not sid:
        return Response(status_code=204)
    if final_status(state):
        # The status and the end of the dialogue in one transaction.
        ended = await Call.finish(runtime, PROVIDER, sid)
        runtime.metrics.webhooks.labels(route="voice.call_end", outcome=ended).inc()
        amended = await amend_contact(
            runtime, provider=PROVIDER, provider_id=sid, answers={DIALOGUE: ENDED}, provider_status=state
        )
        background.add_task(publish, runtime, amended.outbox_id)
        return Response(status_code=204)
    try:
        async with single_statements(runtime.sessions, runtime.autocommit) as executor:
            await set_provider_status(executor, PROVIDER, sid, state)
    except Exception as exc:  # a status is a nicety; never make Twilio retry for it
        log.warning("voice.status_not_saved", reason=type(exc).__name__)
    return Response(status_code=204)
