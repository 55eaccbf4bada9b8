"""Scripted callers for the TwiML phone: keys, messages and agents decided in advance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hotline.ivr.phone import Heard, HungUp, Message

HANG_UP = "H"
SILENCE = ""


@dataclass
class Scripted:
    """``keys``: one entry per <Gather> ("" silence, "H" hang up); when they run out, the caller hangs up.

    ``messages``: one per <Record> (silence when they run out); ``agents``: one per <Dial> (no answer
    when they run out).
    """

    keys: list[str]
    messages: list[Message] = field(default_factory=list)
    agents: list[bool] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)
    gathers: int = 0

    @classmethod
    def pressing(cls, keys: Iterable[str], *, message: int = 0, agent: bool = False) -> Scripted:
        return cls(list(keys), [Message(message)] if message else [], [agent])

    def hear(self, heard: Heard) -> None:
        self.heard.append(heard)

    def press(self, num_digits: int) -> str:
        self.gathers += 1
        if not self.keys:
            raise HungUp
        key = self.keys.pop(0)
        if key == HANG_UP:
            raise HungUp
        return key

    def speak(self, max_seconds: int) -> Message:
        return self.messages.pop(0) if self.messages else Message(0)

    def agent_answers(self) -> bool:
        return self.agents.pop(0) if self.agents else False
