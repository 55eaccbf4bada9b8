"""The notification call: Twilio fetches what to say to the agent, and hears them press 1.

Both routes are Twilio's, signed (``TwilioForm``). The URL carries the case and the agent
the call was placed for; the signature proves Twilio is asking about a call we placed.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response
from twilio.twiml.voice_response import VoiceResponse

from hotline.cases.reference import spoken
from hotline.core.db import unit_of_work
from hotline.core.http import NowDep, RuntimeDep
from hotline.core.logging import get_logger
from hotline.core.twilio import TwilioForm, field
from hotline.models import Agent, Case
from hotline.routing.acknowledge import AckOutcome, Via, acknowledge
from hotline.routing.notify import CALL_PATH

router = APIRouter(prefix=CALL_PATH, tags=["twilio"])
log = get_logger(__name__)

TWIML = "application/xml"
FR = "fr-FR"
EN = "en-GB"
SEVERITY_FR = {"critical": "critique", "high": "élevée", "medium": "moyenne", "low": "faible"}


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type=TWIML)


def _goodbye(fr: str, en: str) -> VoiceResponse:
    response = VoiceResponse()
    response.say(fr, language=FR)
    response.say(en, language=EN)
    response.hangup()
    return response


def alert(case: Case, action_url: str) -> VoiceResponse:
    """Reference, severity, category and region, twice over; never a word of the report."""
    category = (case.category or "unclassified").replace("_", " ")
    where = "abroad" if case.abroad else (case.region or "region unknown")
    severity = case.severity or "unknown"
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=8)
    for _ in range(2):
        gather.say(
            f"Alerte 1503. Dossier {spoken(case.reference)}. Gravité {SEVERITY_FR.get(severity, severity)}. "
            f"{category}. {where}. Appuyez sur 1 pour le prendre en charge.",
            language=FR,
        )
        gather.say(
            f"1503 alert. Case {spoken(case.reference)}. Severity {severity}. {category}. {where}. "
            "Press 1 to acknowledge.",
            language=EN,
        )
    response.say("Aucune réponse. L'alerte continue. Au revoir.", language=FR)
    response.say("No answer. The alert continues. Goodbye.", language=EN)
    response.hangup()
    return response


@router.post("")
async def notify_call(
    form: TwilioForm,
    runtime: RuntimeDep,
    case_id: uuid.UUID = Query(alias="case"),
    agent_id: uuid.UUID = Query(alias="agent"),
) -> Response:
    async with runtime.sessions() as session:
        case = await session.get(Case, case_id)
    if case is None:
        return _twiml(
            _goodbye("Ce dossier n'existe plus. Au revoir.", "This case no longer exists. Goodbye.")
        )
    query = urlencode({"case": str(case_id), "agent": str(agent_id)})
    return _twiml(alert(case, f"{runtime.settings.public_base_url}{CALL_PATH}/ack?{query}"))


@router.post("/ack")
async def notify_call_ack(
    now: NowDep,
    form: TwilioForm,
    runtime: RuntimeDep,
    case_id: uuid.UUID = Query(alias="case"),
    agent_id: uuid.UUID = Query(alias="agent"),
) -> Response:
    if field(form, "Digits", limit=8) != "1":
        return _twiml(
            _goodbye("Non pris en charge. L'alerte continue.", "Not acknowledged. The alert continues.")
        )
    async with unit_of_work(runtime.sessions) as session:
        agent = await session.get(Agent, agent_id)
        if agent is None or not agent.active:
            return _twiml(_goodbye("Compte inconnu.", "Unknown account."))
        result = await acknowledge(session, case_id, agent, via=Via.voice, now=now, metrics=runtime.metrics)
    log.info("notify.call_ack", outcome=result.outcome.value, reason=result.reason)
    if result.outcome in (AckOutcome.acknowledged, AckOutcome.already):
        return _twiml(_goodbye("Merci, le dossier est à vous.", "Thank you, the case is yours."))
    if result.reason == "already_acknowledged":
        return _twiml(_goodbye("Un collègue a déjà pris ce dossier.", "A colleague already took this case."))
    return _twiml(_goodbye("Ce dossier ne vous attend pas.", "This case is not waiting for you."))
