"""A phone that follows TwiML the way Twilio does, for tests and for training rooms.

It posts the incoming-call webhook, then executes each ``<Response>`` verb by verb: it
"hears" ``<Say>``/``<Play>``, answers ``<Gather>`` with keys (posting ``Digits`` to the
action, or falling through to the next verb on silence), posts recording parameters to
``<Record>`` actions (and the recordingStatusCallback), ``DialCallStatus`` to ``<Dial>``
actions, follows ``<Redirect>``, and stops at ``<Hangup>`` or the end of a document. When
the call is over, by ``<Hangup>`` or by the caller hanging up, it posts the final call status,
as Twilio does to the number's status callback. Every request is signed like Twilio's.

What the caller does is up to a :class:`Caller`: a script in tests, the keyboard in
``hotline simulate call``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from hotline.simulate import call_form, new_sid, sign

#: TwiML voice verbs (and the nouns this flow nests); anything else is invalid.
VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Record", "Dial", "Redirect", "Hangup", "Reject", "Number", "Enqueue"}
)
STATUS_PATH = "/twilio/voice/status"
INCOMING_PATH = "/twilio/voice/incoming"


class HungUp(Exception):
    """The caller put the phone down."""


class InvalidTwiml(AssertionError):
    """The server answered something Twilio would refuse."""


@dataclass(frozen=True, slots=True)
class Heard:
    text: str
    language: str | None = None
    audio_url: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """What the caller does at a <Record>: talk for ``seconds`` (0: silence), maybe hang up after."""

    seconds: int
    hang_up_after: bool = False


class Caller(Protocol):
    def hear(self, heard: Heard) -> None: ...

    def press(self, num_digits: int) -> str:
        """Keys for a <Gather> ("" is silence); raise :class:`HungUp` to hang up."""
        ...

    def speak(self, max_seconds: int) -> Message:
        """A message at a <Record>; raise :class:`HungUp` to hang up before the beep."""
        ...

    def agent_answers(self) -> bool:
        """At a <Dial>: does the person on call pick up?"""
        ...


@dataclass
class Exchange:
    path: str
    status_code: int
    twiml: str


@dataclass
class CallRecord:
    sid: str
    heard: list[Heard] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    recorded: bool = False
    dialled: bool = False
    ended_by: str = ""

    @property
    def said(self) -> str:
        return " ".join(h.text for h in self.heard)


class TwimlPhone:
    """One call at a time against ``client`` (an httpx client whose base_url is the server).

    ``public_base_url`` is the address Twilio would call (what signatures cover and what the
    server writes in action URLs); requests go to the client's own base URL.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        public_base_url: str,
        auth_token: str,
        account_sid: str,
        max_requests: int = 200,
    ) -> None:
        self.client = client
        self.public = public_base_url.rstrip("/")
        self.auth_token = auth_token
        self.account_sid = account_sid
        self.max_requests = max_requests

    async def call(
        self, caller: Caller, *, number: str = "+237690000001", sid: str | None = None
    ) -> CallRecord:
        base_form = call_form(caller=number, sid=sid or new_sid("CA"), account_sid=self.account_sid)
        record = CallRecord(sid=base_form["CallSid"])
        self._form = {**base_form, "CallStatus": "in-progress"}
        self._pending_callbacks: list[tuple[str, dict[str, str]]] = []
        try:
            root = await self._post(record, INCOMING_PATH, base_form)
            await self._run(record, caller, root)
            record.ended_by = record.ended_by or "end_of_document"
        except HungUp:
            record.ended_by = "caller"
        await self._post(record, STATUS_PATH, {**self._form, "CallStatus": "completed", "CallDuration": "60"})
        for path, form in self._pending_callbacks:
            await self._post(record, path, form)
        return record

    async def _run(self, record: CallRecord, caller: Caller, root: ET.Element) -> None:
        while True:
            nxt = await self._document(record, caller, root)
            if nxt is None:
                return
            root = nxt

    async def _document(self, record: CallRecord, caller: Caller, root: ET.Element) -> ET.Element | None:
        """Run one <Response>; the next document to run, or None when the call is over."""
        for verb in root:
            if verb.tag in ("Say", "Play"):
                self._hear(caller, record, verb)
            elif verb.tag == "Pause":
                continue
            elif verb.tag == "Gather":
                for inner in verb:
                    self._hear(caller, record, inner)
                digits = caller.press(int(verb.get("numDigits", "1")))
                if digits:
                    return await self._action(record, verb, {"Digits": digits, "FinishedOnKey": ""})
            elif verb.tag == "Record":
                message = caller.speak(int(verb.get("maxLength", "3600")))
                if message.seconds <= 0:
                    if message.hang_up_after:
                        raise HungUp
                    continue  # nothing recorded: Twilio goes on to the next verb
                record.recorded = True
                params = self._recording(message.seconds)
                callback = verb.get("recordingStatusCallback")
                if callback:
                    self._pending_callbacks.append(
                        (self._path(callback), {**self._form, **params, "RecordingStatus": "completed"})
                    )
                after = await self._action(record, verb, {**params, "Digits": "#"})
                if message.hang_up_after:
                    raise HungUp  # Twilio posts the action but plays nothing more
                return after
            elif verb.tag == "Dial":
                record.dialled = True
                answered = caller.agent_answers()
                return await self._action(
                    record,
                    verb,
                    {
                        "DialCallStatus": "completed" if answered else "no-answer",
                        "DialCallDuration": "30" if answered else "0",
                    },
                )
            elif verb.tag == "Redirect":
                return await self._post(record, self._path(verb.text or ""), self._form)
            elif verb.tag == "Hangup":
                record.ended_by = "hangup"
                return None
            else:
                raise InvalidTwiml(f"unexpected verb <{verb.tag}>")
        return None

    def _hear(self, caller: Caller, record: CallRecord, verb: ET.Element) -> None:
        if verb.tag == "Say":
            heard = Heard(text=verb.text or "", language=verb.get("language"))
        elif verb.tag == "Play":
            heard = Heard(text=f"[audio {verb.text}]", audio_url=verb.text)
        else:
            raise InvalidTwiml(f"<{verb.tag}> cannot be nested in <Gather>")
        record.heard.append(heard)
        caller.hear(heard)

    def _recording(self, seconds: int) -> dict[str, str]:
        recording_sid = new_sid("RE")
        return {
            "RecordingSid": recording_sid,
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}",
            "RecordingDuration": str(seconds),
        }

    async def _action(self, record: CallRecord, verb: ET.Element, extra: dict[str, str]) -> ET.Element:
        action = verb.get("action")
        if not action:
            raise InvalidTwiml(f"<{verb.tag}> without an action URL")
        if (verb.get("method") or "POST").upper() != "POST":
            raise InvalidTwiml(f"<{verb.tag}> action must be POSTed")
        return await self._post(record, self._path(action), {**self._form, **extra})

    def _path(self, url: str) -> str:
        url = url.strip()
        if url.startswith(self.public + "/"):
            return url[len(self.public) :]
        if url.startswith("/"):
            return url
        raise InvalidTwiml(f"action URL outside the hotline: {url!r}")

    async def _post(self, record: CallRecord, path: str, form: dict[str, str]) -> ET.Element:
        if len(record.exchanges) >= self.max_requests:
            raise InvalidTwiml("the call never ends")
        signature = sign(self.auth_token, self.public + path, form)
        response = await self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        record.exchanges.append(Exchange(path=path, status_code=response.status_code, twiml=response.text))
        if response.status_code >= 500:
            raise InvalidTwiml(f"{path} answered {response.status_code}")
        if path == STATUS_PATH:
            if response.status_code not in (200, 204):
                raise InvalidTwiml(f"{path} answered {response.status_code}")
            return ET.Element("Response")
        if response.status_code != 200:
            raise InvalidTwiml(f"{path} answered {response.status_code}: {response.text[:200]}")
        return parse(response.text)


def parse(text: str) -> ET.Element:
    """The document's root, once it is well-formed TwiML with Twilio verbs only."""
    try:
        root = ET.fromstring(text)  # noqa: S314 - our own server's answer, in tests and training
    except ET.ParseError as exc:
        raise InvalidTwiml(f"not XML: {exc}") from None
    if root.tag != "Response":
        raise InvalidTwiml(f"root is <{root.tag}>, not <Response>")
    for element in root.iter():
        if element is not root and element.tag not in VERBS:
            raise InvalidTwiml(f"<{element.tag}> is not a TwiML voice verb")
    return root
