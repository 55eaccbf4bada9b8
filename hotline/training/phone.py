"""The practice phone's engine: the real IVR and SMS webhooks, driven one browser action at a time.

A browser cannot answer a ``<Gather>`` in the middle of an HTTP request, so the call is walked
by :class:`PracticeCall`, a :class:`~hotline.ivr.phone.TwimlPhone` that runs the server's TwiML
verb by verb (with the phone's own rules) and stops where the caller must act: keys at a
``<Gather>``, a message at a ``<Record>``, "does the person on call pick up" at a ``<Dial>``.
The next browser action resumes it there. Every request is built with
:mod:`hotline.simulate` (``call_form``, ``sms_form``, ``sign``) and posted with a valid
``X-Twilio-Signature`` to the app's own webhook routes, in-process (:func:`in_process`): the
same code path as Twilio's requests.

A typed message is never sent, as in ``hotline simulate call``: a real call gives the server
only recording parameters (``RecordingSid``, ``RecordingDuration``), never words.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal

import httpx
from fastapi import FastAPI

from hotline.ivr.phone import (
    INCOMING_PATH,
    STATUS_PATH,
    CallRecord,
    Heard,
    HungUp,
    Message,
    TwimlPhone,
    parse,
)
from hotline.simulate import call_form, new_sid, sign, sms_form

SMS_PATH = "/twilio/sms/incoming"
INTERNAL_BASE = "http://training.internal"
Kind = Literal["keys", "message", "dial"]


def in_process(app: FastAPI) -> httpx.AsyncClient:
    """A client that calls ``app``'s own routes without a socket (the app is already running)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=INTERNAL_BASE, timeout=30.0)


class Waiting(Exception):
    """The call stopped where the caller must act."""

    def __init__(self, kind: Kind, size: int) -> None:
        super().__init__(kind)
        self.kind: Kind = kind
        self.size = size


class BrowserCaller:
    """A :class:`~hotline.ivr.phone.Caller` fed one browser action at a time."""

    def __init__(self) -> None:
        self.heard: list[Heard] = []
        self.given: str | Message | bool | None = None

    def _take(self) -> str | Message | bool | None:
        given, self.given = self.given, None
        return given

    def hear(self, heard: Heard) -> None:
        self.heard.append(heard)

    def press(self, num_digits: int) -> str:
        given = self._take()
        if not isinstance(given, str):
            raise Waiting("keys", num_digits)
        return given[:num_digits]

    def speak(self, max_seconds: int) -> Message:
        given = self._take()
        if not isinstance(given, Message):
            raise Waiting("message", max_seconds)
        return Message(min(given.seconds, max_seconds))

    def agent_answers(self) -> bool:
        given = self._take()
        if not isinstance(given, bool):
            raise Waiting("dial", 0)
        return given


def message_for(typed: str) -> Message:
    """What a typed message becomes on the line: talking time, never the words."""
    words = len(typed.split())
    return Message(0) if words == 0 else Message(max(3, words // 2))


@dataclass
class PracticeCall:
    """One call from the practice phone; kept between browser actions."""

    phone: TwimlPhone
    number: str
    record: CallRecord = field(init=False)
    caller: BrowserCaller = field(default_factory=BrowserCaller)
    waiting: Waiting | None = None
    ended: bool = False
    _rest: ET.Element | None = None

    async def start(self) -> None:
        form = call_form(caller=self.number, sid=new_sid("CA"), account_sid=self.phone.account_sid)
        self.record = CallRecord(sid=form["CallSid"])
        # The phone's own bookkeeping, as TwimlPhone.call() sets it up.
        self.phone._form = {**form, "CallStatus": "in-progress"}
        self.phone._pending_callbacks = []
        root = await self.phone._post(self.record, INCOMING_PATH, form)
        await self._advance(root)

    async def act(self, given: str | Message | bool) -> None:
        """Keys (str, "" is silence), a message, or the agent picking up (bool)."""
        if self.ended or self._rest is None:
            return
        self.caller.given = given
        await self._advance(self._rest)

    async def hang_up(self) -> None:
        if not self.ended:
            self.record.ended_by = "caller"
            await self._finish()

    async def _advance(self, root: ET.Element) -> None:
        self.waiting, self._rest = None, None
        while True:
            verbs = list(root)
            nxt: ET.Element | None = None
            for index, verb in enumerate(verbs):
                single = ET.Element("Response")
                single.append(verb)
                try:
                    nxt = await self.phone._document(self.record, self.caller, single)
                except Waiting as waiting:
                    self.waiting = waiting
                    self._rest = _resume_at(verbs[index:])
                    return
                except HungUp:
                    self.record.ended_by = "caller"
                    await self._finish()
                    return
                if nxt is not None or self.record.ended_by == "hangup":
                    break
            if nxt is None:
                self.record.ended_by = self.record.ended_by or "end_of_document"
                await self._finish()
                return
            root = nxt

    async def _finish(self) -> None:
        """The call is over: the final status (and any recording callback), as Twilio posts them."""
        self.ended = True
        self.waiting, self._rest = None, None
        phone, record = self.phone, self.record
        await phone._post(
            record, STATUS_PATH, {**phone._form, "CallStatus": "completed", "CallDuration": "60"}
        )
        for path, form in phone._pending_callbacks:
            await phone._post(record, path, form)


def _resume_at(verbs: list[ET.Element]) -> ET.Element:
    """The rest of a document from the verb that waits; its prompts were already heard."""
    rest = ET.Element("Response")
    first, *others = verbs
    if first.tag == "Gather":
        first = ET.Element(first.tag, first.attrib)
    rest.append(first)
    rest.extend(others)
    return rest


async def send_sms(
    client: httpx.AsyncClient,
    *,
    public_base_url: str,
    auth_token: str,
    account_sid: str,
    sender: str,
    body: str,
) -> list[str]:
    """A text to the line exactly as Twilio delivers it; the inline replies' texts."""
    form = sms_form(sender=sender, body=body, account_sid=account_sid)
    signature = sign(auth_token, public_base_url.rstrip("/") + SMS_PATH, form)
    response = await client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": signature})
    response.raise_for_status()
    root = ET.fromstring(response.text)  # noqa: S314 - our own server's answer
    return [(m.text or "").strip() for m in root.iter("Message")]


def new_phone(
    client: httpx.AsyncClient, *, public_base_url: str, auth_token: str, account_sid: str
) -> TwimlPhone:
    return TwimlPhone(client, public_base_url=public_base_url, auth_token=auth_token, account_sid=account_sid)


__all__ = [
    "BrowserCaller",
    "PracticeCall",
    "Waiting",
    "in_process",
    "message_for",
    "new_phone",
    "parse",
    "send_sms",
]
