"""The guided dialogue: a few questions, one per message, for a first text too short to act on.

The dialogue is pure: :func:`answer` takes the state and the caller's text and says what to
store on the contact and what to ask next. The webhook (``router.py``) does the storing.

Questions, in order: what happened, where (town), is someone in danger now, is a child
concerned, may we call back, may we pass the report to an organisation that can help (consent
to refer, answer ``share``; no answer is no consent). "0" or "skip" passes a question. An answer a choice question
does not understand is stored as text (nothing a caller writes is dropped) and the question
is asked once more; a second miss moves on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

from hotline.sms.keywords import Choice, Vocabulary, fold
from hotline.sms.templates import Language

WHAT, WHERE, DANGER, CHILD, CALLBACK, SHARE = "what", "where", "danger", "child", "callback", "share"
DONE = "done"
STEPS = (WHAT, WHERE, DANGER, CHILD, CALLBACK, SHARE)
QUESTION = {
    WHAT: "ask_what",
    WHERE: "ask_where",
    DANGER: "ask_danger",
    CHILD: "ask_child",
    CALLBACK: "ask_callback",
    SHARE: "ask_share",
}
MAX_RETRIES = 1
#: Provider ids remembered per dialogue with their replies (a dialogue is about ten messages).
MAX_REMEMBERED = 64


@dataclass(frozen=True, slots=True)
class Dialogue:
    """What a session store keeps for one caller on one channel (no text, no number)."""

    contact_sid: str
    """The provider id of the contact the answers are added to (the first message)."""
    reference: str
    language: Language
    step: str = WHAT
    retries: int = 0
    last_sid: str = ""
    last_reply: str = ""
    replies: dict[str, str] = field(default_factory=dict)
    """Every provider id this caller's dialogue answered, with the reply it got: a retry, however
    late, gets that reply again and changes nothing."""

    @property
    def active(self) -> bool:
        return self.step != DONE

    def reply_to(self, sid: str) -> str | None:
        """The reply a message already had, or None for a message never seen."""
        if sid in self.replies:
            return self.replies[sid]
        return self.last_reply if sid and sid == self.last_sid else None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Dialogue:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def replied(self, sid: str, reply: str) -> Dialogue:
        replies = {**self.replies, sid: reply}
        while len(replies) > MAX_REMEMBERED:
            del replies[next(iter(replies))]
        return replace(self, last_sid=sid, last_reply=reply, replies=replies)


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one answer."""

    dialogue: Dialogue
    answers: dict[str, Any]
    text: str | None
    """Caller's words to append to the contact's text."""
    reprompt: bool = False


def _next(dialogue: Dialogue) -> Dialogue:
    index = STEPS.index(dialogue.step)
    step = STEPS[index + 1] if index + 1 < len(STEPS) else DONE
    return replace(dialogue, step=step, retries=0)


_CHOICE_ANSWERS: dict[str, dict[Choice, Any]] = {
    DANGER: {Choice.yes: True, Choice.no: False},
    CHILD: {Choice.yes: "yes", Choice.no: "no", Choice.unknown: "unknown"},
    CALLBACK: {Choice.yes: True, Choice.no: False},
    SHARE: {Choice.yes: True, Choice.no: False},
}
_ANSWER_KEY = {DANGER: "danger_now", CHILD: "child", CALLBACK: "callback", SHARE: "share"}


def answer(dialogue: Dialogue, text: str, vocabulary: Vocabulary) -> Step:
    """Apply the caller's ``text`` as the answer to the current question."""
    words = text.strip()
    choice, more = vocabulary.choice(words)
    if dialogue.step in (WHAT, WHERE):
        if choice is Choice.skip and not more:
            return Step(_next(dialogue), {}, None)
        answers: dict[str, Any] = {}
        if dialogue.step == WHERE and (region := region_of(words)) is not None:
            answers["region"] = region
        return Step(_next(dialogue), answers, words or None)
    values = _CHOICE_ANSWERS[dialogue.step]
    if choice is Choice.skip and not more:
        return Step(_next(dialogue), {}, None)
    if choice in values:
        return Step(_next(dialogue), {_ANSWER_KEY[dialogue.step]: values[choice]}, words if more else None)
    # Not understood: keep the words, ask once more, then move on.
    if dialogue.retries < MAX_RETRIES:
        return Step(replace(dialogue, retries=dialogue.retries + 1), {}, words or None, reprompt=True)
    return Step(_next(dialogue), {}, words or None)


@lru_cache(maxsize=1)
def _towns() -> dict[str, str]:
    from hotline.triage.engine import default_engine
    from hotline.triage.places import ABROAD, place_phrase

    gazetteer = default_engine().knowledge.gazetteer
    towns: dict[str, str] = {}
    for region, places in gazetteer.regions.items():
        for place in places:
            for name in place.names:
                towns.setdefault(place_phrase(name), region)
    for place in gazetteer.abroad:
        for name in place.names:
            towns.setdefault(place_phrase(name), ABROAD)
    return towns


def region_of(text: str) -> str | None:
    """The region of an answer that is just a place name ("Bonaberi", "a Kumba"), or None.

    Longer answers are left to triage, which reads places in context.
    """
    words = fold(text).split()
    while words and words[0] in {"a", "au", "en", "in", "at", "for", "na", "quartier", "ville", "town"}:
        words = words[1:]
    if not words or len(words) > 3:
        return None
    return _towns().get(" ".join(words))


def region_of_place(*names: str | None) -> str | None:
    """The region of a place a phone named (a location pin's label, then its address, read part by
    part: "Rue 1.234, Bonaberi, Douala, Cameroun"), through the gazetteer; None when unknown."""
    for name in names:
        if not name:
            continue
        for part in (name, *reversed(name.split(","))):
            if (region := region_of(part)) is not None:
                return region
    return None


def warm() -> None:
    """Load the gazetteer now (start-up), not during the first caller's answer."""
    _towns()
