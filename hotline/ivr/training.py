"""``hotline simulate call``: the test phone in a terminal, for walking a room through the menu.

The trainer reads each prompt on screen (in the language chosen on the call) and types keys
instead of pressing them. A message is "recorded" by typing anything: what is typed is never
sent (a real call sends audio to Twilio, and a training room should not leave real words on a
server); the server receives recording parameters exactly as Twilio sends them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from hotline.ivr.phone import CallRecord, Heard, HungUp, Message, TwimlPhone

HELP = "Type keys then Enter (e.g. 1). Enter alone: silence. h: hang up."
Ask = Callable[[str], str]
Say = Callable[[str], None]


class TerminalCaller:
    def __init__(self, ask: Ask, say: Say) -> None:
        self.ask = ask
        self.say = say
        self.typed_ahead = ""

    def _line(self, prompt: str) -> str:
        try:
            return self.ask(prompt).strip()
        except EOFError:
            raise HungUp from None

    def hear(self, heard: Heard) -> None:
        self.say(f"1503 ▸ {heard.text}")

    def press(self, num_digits: int) -> str:
        if not self.typed_ahead:
            line = self._line("keys> ")
            if line.lower().startswith("h"):
                raise HungUp
            self.typed_ahead = "".join(ch for ch in line if ch in "0123456789*#")
            if not self.typed_ahead:
                self.say("   (silence)")
                return ""
        # Keys typed ahead wait for the next menu, as on a real keypad.
        keys, self.typed_ahead = self.typed_ahead[:num_digits], self.typed_ahead[num_digits:]
        return keys

    def speak(self, max_seconds: int) -> Message:
        self.say(
            f"   [beep] Speak your message (up to {max_seconds} s): type anything and Enter; "
            "Enter alone: say nothing; h: hang up. What you type is not sent."
        )
        line = self._line("message> ")
        if line.lower() == "h":
            raise HungUp
        if not line:
            return Message(0)
        return Message(min(max_seconds, max(3, len(line.split()) // 2)))

    def agent_answers(self) -> bool:
        line = self._line("   [ringing the person on call] Does someone pick up? [y/N] ")
        return line.lower().startswith(("y", "o"))


async def training_call(
    *,
    base_url: str,
    public_base_url: str,
    auth_token: str,
    account_sid: str,
    number: str,
    ask: Ask,
    say: Say,
) -> CallRecord:
    say(f"Calling the 1503 line at {base_url} (training phone). {HELP}")
    async with httpx.AsyncClient(base_url=base_url, timeout=15.0) as client:
        phone = TwimlPhone(
            client, public_base_url=public_base_url, auth_token=auth_token, account_sid=account_sid
        )
        record = await phone.call(TerminalCaller(ask, say), number=number)
    by = {"caller": "you hung up", "hangup": "the line hung up", "end_of_document": "the line hung up"}
    say(f"Call ended: {by.get(record.ended_by, record.ended_by)}.")
    return record


def run_training_call(**kwargs: object) -> CallRecord:
    return asyncio.run(training_call(**kwargs))  # type: ignore[arg-type]
