"""``/training``: the practice phone (any signed-in console user) and the trainer's page
(supervisors, admins). Both exist only when the app runs in training mode; otherwise 404.

Every action of the practice phone goes through the real webhooks, signed server-side
(:mod:`hotline.training.phone`). Nothing a trainee types is logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep
from hotline.console.i18n import translate
from hotline.console.web import HERE as CONSOLE_HERE
from hotline.console.web import SECURITY_HEADERS, STATIC_URL, Console, signed_in, supervising
from hotline.core.http import NowDep, RuntimeDep, clock_of
from hotline.core.logging import get_logger
from hotline.ivr.phone import InvalidTwiml
from hotline.training import progress
from hotline.training.phone import PracticeCall, in_process, message_for, new_phone, send_sms
from hotline.training.room import Line, PracticeRoom, TraineePhone
from hotline.training.scenarios import default_scenarios

HERE = Path(__file__).parent
TRAINING_STATIC = "/training/static"
router = APIRouter(prefix="/training", include_in_schema=False)
log = get_logger(__name__)

templates = Environment(
    loader=ChoiceLoader([FileSystemLoader(HERE / "templates"), FileSystemLoader(CONSOLE_HERE / "templates")]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)

_WORDS: dict[str, tuple[str, str]] = {
    "phone": ("Téléphone d'entraînement", "Practice phone"),
    "trainer": ("Salle de formation", "Training room"),
    "keypad": ("Appel vocal (1503)", "Voice call (1503)"),
    "call": ("Appeler le 1503", "Call 1503"),
    "hang_up": ("Raccrocher", "Hang up"),
    "keys": ("Clavier", "Keypad"),
    "silence": ("Ne rien taper", "Press nothing"),
    "message": (
        "Votre message (tapé, jamais envoyé : la ligne reçoit un enregistrement)",
        "Your message (typed, never sent: the line receives a recording)",
    ),
    "record": ("Enregistrer le message", "Record the message"),
    "say_nothing": ("Ne rien dire", "Say nothing"),
    "ringing": ("La personne d'astreinte décroche-t-elle ?", "Does the person on call pick up?"),
    "answers": ("Elle décroche", "They pick up"),
    "no_answer": ("Pas de réponse", "No answer"),
    "ended": ("Appel terminé.", "Call ended."),
    "sms": ("SMS au 1503", "Text 1503"),
    "sms_body": ("Votre SMS", "Your text"),
    "send": ("Envoyer", "Send"),
    "you": ("Vous", "You"),
    "line": ("1503", "1503"),
    "your_number": ("Numéro fictif de ce téléphone", "This phone's fictional number"),
    "speak": ("Lire les messages à voix haute", "Read prompts aloud"),
    "scenario": ("Scénario", "Scenario"),
    "group": ("Groupe", "Group"),
    "trainees": (
        "Stagiaires (identifiants, séparés par des espaces)",
        "Trainees (usernames, space-separated)",
    ),
    "start": ("Démarrer le scénario", "Start the scenario"),
    "story": ("Histoire de l'appelant", "The caller's story"),
    "caller_text": ("Ce que dit l'appelant", "What the caller says"),
    "expected": ("Ce que le stagiaire doit faire", "What the trainee should do"),
    "expected_triage": ("Tri attendu", "Expected triage"),
    "sessions": ("Sessions récentes", "Recent sessions"),
    "trainee": ("Stagiaire", "Trainee"),
    "case": ("Cas", "Case"),
    "to_ack": ("Délai de prise en compte", "Time to acknowledge"),
    "to_refer": ("Délai d'orientation", "Time to refer"),
    "no_case": ("Aucun cas encore", "No case yet"),
    "unknown_user": ("compte inconnu", "unknown account"),
    "started": ("Démarré", "Started"),
    "line_error": (
        "La ligne a répondu quelque chose qu'un téléphone ne peut pas suivre.",
        "The line answered something a phone cannot follow.",
    ),
}


def _t(language: str, key: str) -> str:
    words = _WORDS.get(key)
    if words is None:
        return translate(language, key)
    return words[1] if language == "en" else words[0]


def render(request: Request, name: str, me: Console, **context: Any) -> HTMLResponse:
    language = me.language
    html = templates.get_template(name).render(
        request=request,
        me=me,
        lang=language,
        t=lambda key: _t(language, key),
        static=STATIC_URL,
        training_static=TRAINING_STATIC,
        now=clock_of(request),
        duration=progress.duration,
        **context,
    )
    return HTMLResponse(html, headers=SECURITY_HEADERS)


def _training_only(request: Request) -> None:
    if not request.app.state.runtime.settings.training:
        raise HTTPException(status_code=404)


async def trainee(me: Annotated[Console, Depends(signed_in)], request: Request) -> Console:
    """Signed in first (the sign-in page otherwise), then: only in a training room."""
    _training_only(request)
    return me


async def trainer(me: Annotated[Console, Depends(supervising)], request: Request) -> Console:
    _training_only(request)
    return me


Trainee = Annotated[Console, Depends(trainee)]
Trainer = Annotated[Console, Depends(trainer)]


def room_of(request: Request) -> PracticeRoom:
    room = getattr(request.app.state, "practice_room", None)
    if room is None:
        room = request.app.state.practice_room = PracticeRoom()
    assert isinstance(room, PracticeRoom)
    return room


def _back() -> Response:
    return RedirectResponse("/training/phone", status_code=303, headers=SECURITY_HEADERS)


def _heard(phone: TraineePhone, call: PracticeCall, since: int) -> None:
    for heard in call.caller.heard[since:]:
        phone.add(phone.lines, Line("line", heard.text, heard.language))


async def _drive(
    request: Request, runtime: RuntimeDep, session: SessionDep, me: Console, given: object
) -> None:
    """One caller action on the trainee's call, through the real voice webhooks."""
    await session.commit()  # the webhooks write in their own sessions: hold no lock meanwhile
    phone = room_of(request).phone_of(me.agent.id)
    phone.seen()
    settings = runtime.settings
    async with in_process(request.app) as client:
        try:
            if given is None:
                call = phone.call = PracticeCall(
                    new_phone(
                        client,
                        public_base_url=settings.public_base_url,
                        auth_token=settings.twilio_auth_token.get_secret_value(),
                        account_sid=settings.twilio_account_sid,
                    ),
                    number=phone.number,
                )
                phone.lines.clear()
                await call.start()
                _heard(phone, call, 0)
                return
            call = phone.call  # type: ignore[assignment]
            if call is None or call.ended:
                return
            call.phone.client = client
            since = len(call.caller.heard)
            if given == "hang_up":
                await call.hang_up()
            else:
                await call.act(given)  # type: ignore[arg-type]
            _heard(phone, call, since)
        except InvalidTwiml as exc:
            log.warning("training.phone_failed", reason=type(exc).__name__)
            phone.add(phone.lines, Line("note", _t(me.language, "line_error")))
            if phone.call is not None:
                phone.call.ended = True


@router.get("/phone")
async def phone_page(
    now: NowDep, request: Request, session: SessionDep, me: Trainee, runtime: RuntimeDep
) -> Response:
    phone = room_of(request).phone_of(me.agent.id)
    running = await progress.sessions(session, now=now, limit=1)
    scenario = None
    if running and me.agent.username in {t.username for t in running[0].trainees}:
        scenario = default_scenarios().get(running[0].scenario)
    response = render(request, "phone.html", me, phone=phone, call=phone.call, scenario=scenario)
    phone.seen()
    return response


@router.post("/phone/call")
async def start_call(request: Request, runtime: RuntimeDep, session: SessionDep, me: Trainee) -> Response:
    await _drive(request, runtime, session, me, None)
    return _back()


@router.post("/phone/keys")
async def press(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    me: Trainee,
    key: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    keys = "".join(ch for ch in key if ch in "0123456789*#")
    phone = room_of(request).phone_of(me.agent.id)
    phone.add(phone.lines, Line("you", keys or "…"))
    await _drive(request, runtime, session, me, keys)
    return _back()


@router.post("/phone/message")
async def record(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    me: Trainee,
    message: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    spoken = message_for(message)
    phone = room_of(request).phone_of(me.agent.id)
    phone.add(phone.lines, Line("you", f"[{spoken.seconds} s]" if spoken.seconds else "…"))
    await _drive(request, runtime, session, me, spoken)
    return _back()


@router.post("/phone/dial")
async def dial(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    me: Trainee,
    answered: Annotated[str, Form(max_length=8)] = "no",
) -> Response:
    await _drive(request, runtime, session, me, answered == "yes")
    return _back()


@router.post("/phone/hangup")
async def hang_up(request: Request, runtime: RuntimeDep, session: SessionDep, me: Trainee) -> Response:
    await _drive(request, runtime, session, me, "hang_up")
    return _back()


@router.post("/phone/sms")
async def text(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    me: Trainee,
    body: Annotated[str, Form(max_length=1600)] = "",
) -> Response:
    await session.commit()
    phone = room_of(request).phone_of(me.agent.id)
    phone.seen()
    settings = runtime.settings
    phone.add(phone.texts, Line("sms_out", body, me.language))
    async with in_process(request.app) as client:
        replies = await send_sms(
            client,
            public_base_url=settings.public_base_url,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            account_sid=settings.twilio_account_sid,
            sender=phone.number,
            body=body,
        )
    for reply in replies:
        phone.add(phone.texts, Line("sms_in", reply, me.language))
    return _back()


@router.get("/trainer")
async def trainer_page(now: NowDep, request: Request, session: SessionDep, me: Trainer) -> Response:
    found = await progress.sessions(session, now=now)
    return render(request, "trainer.html", me, scenarios=default_scenarios(), sessions=found)


@router.post("/trainer/start")
async def start_scenario(
    session: SessionDep,
    me: Trainer,
    scenario: Annotated[str, Form(max_length=64)],
    group: Annotated[str, Form(max_length=64)] = "",
    trainees: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    if scenario not in default_scenarios():
        raise HTTPException(status_code=422, detail="unknown scenario")
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action=progress.STARTED,
        details={
            "scenario": scenario,
            "group": group.strip(),
            "trainees": " ".join(progress.usernames(trainees)),
        },
    )
    return RedirectResponse("/training/trainer", status_code=303, headers=SECURITY_HEADERS)


def install(app: FastAPI) -> None:
    """The routes and the practice phone's script (a static file: the console's CSP allows no inline script)."""
    app.include_router(router)
    app.mount(TRAINING_STATIC, StaticFiles(directory=HERE / "static"), name="training-static")
