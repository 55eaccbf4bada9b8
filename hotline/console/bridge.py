"""``POST /twilio/console/bridge``: the TwiML that joins a called-back agent to the caller.

Twilio fetches it (signed) when the agent answers the platform's call. The caller's number
is opened only to write it into this answer; the call shows the hotline's number to the
caller, never the agent's.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline.auth.dependencies import SessionDep
from hotline.core.http import RuntimeDep
from hotline.core.twilio import TwilioForm
from hotline.models import Case, Contact
from hotline.privacy.sealed import contact_callback_number

router = APIRouter(prefix="/twilio/console", tags=["twilio"], include_in_schema=False)


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), media_type="application/xml")


@router.post("/bridge")
async def bridge(
    form: TwilioForm,
    runtime: RuntimeDep,
    session: SessionDep,
    case: Annotated[uuid.UUID, Query()],
    contact: Annotated[uuid.UUID, Query()],
) -> Response:
    found = await session.get(Contact, contact)
    owner = await session.get(Case, case)
    number = contact_callback_number(runtime.keyring, found) if found is not None else None
    answer = VoiceResponse()
    if found is None or owner is None or found.case_id != owner.id or owner.status == "closed" or not number:
        answer.say("Le rappel n'est plus possible. The callback is no longer possible.", language="fr-FR")
        answer.hangup()
        return _twiml(answer)
    answer.say("Mise en relation. Connecting you.", language="fr-FR")
    dial = Dial(caller_id=runtime.settings.twilio_from_number, timeout=30)
    dial.number(number)
    answer.append(dial)
    return _twiml(answer)
