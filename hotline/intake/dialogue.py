"""Contacts that are still a dialogue: when the pipeline waits before opening a case.

A phone call is stored the moment it arrives (so nothing is ever lost), but at that moment
the caller has said nothing yet, and their answers arrive one key press at a time. A channel
adapter marks such a contact with ``answers["dialogue"] = "open"`` and sets it to ``"ended"``
when the caller is done (the message is recorded, or the call ended). The pipeline then:

* opens no case while the caller has said nothing (no key pressed, no message): a call that
  ends that way is *abandoned*, counted (``hotline_webhooks_total{route="voice.call_end"}``
  and ``contacts`` rows with ``answers.dialogue = "ended"`` and no case) but never a case;
* opens the case early only for imminent danger (the caller pressed 9): an agent must see it
  while the call is being connected;
* otherwise opens one case when the dialogue ends, triaged on every answer at once.

Contacts without the marker (texts, USSD, older calls) are unaffected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DIALOGUE = "dialogue"
OPEN = "open"
ENDED = "ended"

#: Answer keys that are bookkeeping, not something the caller said.
BOOKKEEPING = frozenset({DIALOGUE})


def caller_said_something(body: str | None, answers: Mapping[str, Any]) -> bool:
    return bool(body) or any(key not in BOOKKEEPING for key in answers)


def hold_case(body: str | None, answers: Mapping[str, Any] | None, *, imminent_danger: bool) -> str | None:
    """Why no case should be opened for this contact yet, or None to open one now."""
    answers = answers or {}
    state = answers.get(DIALOGUE)
    if state is None:
        return None
    if not caller_said_something(body, answers):
        return "nothing_said"
    if state == OPEN and not imminent_danger:
        return "dialogue_open"
    return None
