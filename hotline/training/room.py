"""Per-trainee practice phones, kept in the process between browser actions.

A training room runs one process (``hotline demo --training``); what is kept here is only the
trainee's own practice transcript (never logged), bounded, and lost at restart like a call.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from hotline.training.phone import PracticeCall

MAX_LINES = 200
MAX_PHONES = 1000
LineKind = Literal["line", "you", "sms_in", "sms_out", "note"]


@dataclass
class Line:
    kind: LineKind
    text: str
    language: str | None = None
    new: bool = True


@dataclass
class TraineePhone:
    number: str
    call: PracticeCall | None = None
    lines: list[Line] = field(default_factory=list)
    texts: list[Line] = field(default_factory=list)

    def seen(self) -> None:
        for line in (*self.lines, *self.texts):
            line.new = False

    def add(self, into: list[Line], line: Line) -> None:
        into.append(line)
        del into[:-MAX_LINES]


def practice_number(agent_id: uuid.UUID) -> str:
    """Each trainee's own caller number, from the fictional demo range (+237 6900…)."""
    digest = int.from_bytes(hashlib.sha256(agent_id.bytes).digest()[:4], "big")
    return f"+2376900{digest % 100_000:05d}"


class PracticeRoom:
    def __init__(self) -> None:
        self._phones: OrderedDict[uuid.UUID, TraineePhone] = OrderedDict()

    def phone_of(self, agent_id: uuid.UUID) -> TraineePhone:
        phone = self._phones.get(agent_id)
        if phone is None:
            phone = self._phones[agent_id] = TraineePhone(number=practice_number(agent_id))
            while len(self._phones) > MAX_PHONES:
                self._phones.popitem(last=False)
        self._phones.move_to_end(agent_id)
        return phone

    def clear(self) -> None:
        self._phones.clear()
