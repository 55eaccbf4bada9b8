"""The USSD menu as a pure function of what the caller keyed so far.

Africa's Talking sends the whole session's input each time, answers joined by ``*``
("1*2*1"). The screen to show and the answers to store follow from that text alone, so a
replayed request gives the same screen and the same answers. An entry that is not on the
screen counts as no answer (as the IVR's ``otherwise``): the session moves on rather than
trapping someone who may have little time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from hotline.sms.templates import LANGUAGES, SAMPLE_VALUES, Language
from hotline.triage.assessment import REGIONS

MAX_SCREEN_CHARS: Final = 182
MAX_DESCRIPTION_CHARS: Final = 500
LANGUAGE_KEYS: Final[dict[str, Language]] = {"1": "fr", "2": "en", "3": "pcm"}
DANGER_KEYS: Final = {"1": True, "2": False}
TOPIC_KEYS: Final = {
    "1": "trafficking",
    "2": "migrant_distress",
    "3": "returnee_support",
    "4": "information",
    "5": "other",
}
CHILD_KEYS: Final = {"1": "yes", "2": "no", "3": "unknown"}
REGION_KEYS: Final = {str(n): region for n, region in enumerate(REGIONS, start=1)} | {
    "11": "abroad",
    "0": "unknown",
}
SHARE_KEYS: Final = {"1": True, "2": False}
QUESTIONS: Final = ("danger", "topic", "child", "region", "share", "describe")
#: the screens answered by a key, in order; the description comes after them
KEYED: Final = len(QUESTIONS) - 1


class _Screens(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    screens: dict[str, dict[Language, str]]

    @model_validator(mode="after")
    def _check(self) -> _Screens:
        problems = []
        if len("CON " + self.language) > MAX_SCREEN_CHARS:
            problems.append("language: longer than 182 characters")
        for name in (*QUESTIONS, "done", "unavailable"):
            for language in LANGUAGES:
                text = self.screens.get(name, {}).get(language)
                if text is None:
                    problems.append(f"{name}.{language}: missing")
                    continue
                shown = "END " + text.format(**SAMPLE_VALUES)
                if len(shown) > MAX_SCREEN_CHARS:
                    problems.append(f"{name}.{language}: {len(shown)} characters, at most {MAX_SCREEN_CHARS}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass(frozen=True, slots=True)
class Position:
    """Where a session is: the screen to show next and the answers given so far."""

    language: Language | None
    question: str | None
    """The next question's screen name; None when the session is complete."""
    answers: dict[str, Any] = field(default_factory=dict)
    description: str | None = None

    @property
    def complete(self) -> bool:
        return self.language is not None and self.question is None

    @property
    def substantive(self) -> bool:
        """The caller answered at least the danger question: there is something to store."""
        return self.language is not None and self.question != "danger"


def position(text: str) -> Position:
    parts = text.split("*") if text else []
    if not parts:
        return Position(None, "language")
    chosen = LANGUAGE_KEYS.get(parts[0].strip())
    language: Language = chosen or "fr"
    # The caller's choice is an answer: it sets the case's language (an off-screen key is none).
    answers: dict[str, Any] = {"language": chosen} if chosen else {}
    keyed = [p.strip() for p in parts[1 : KEYED + 1]]
    tables: list[tuple[str, dict[str, Any]]] = [
        ("danger_now", DANGER_KEYS),
        ("menu", TOPIC_KEYS),
        ("child", CHILD_KEYS),
        ("region", REGION_KEYS),
        # consent to pass the report to an organisation that can help (docs/referrals.md)
        ("share", SHARE_KEYS),
    ]
    assert len(tables) == KEYED
    for (key, table), value in zip(tables, keyed, strict=False):
        if value in table:
            answers[key] = table[value]
    if len(parts) <= KEYED + 1:
        return Position(language, QUESTIONS[len(parts) - 1], answers)
    # The description is free text; a '*' typed in it was taken for a separator: join it back.
    description = "*".join(parts[KEYED + 1 :]).strip()[:MAX_DESCRIPTION_CHARS]
    if description in ("", "0"):
        description = ""
    return Position(language, None, answers, description or None)


class Screens:
    def __init__(self, data: _Screens) -> None:
        self._data = data

    @classmethod
    def from_file(cls, path: Path) -> Screens:
        return cls(_Screens.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))

    def language(self) -> str:
        return "CON " + self._data.language

    def question(self, name: str, language: Language) -> str:
        return "CON " + self._data.screens[name][language]

    def end(self, name: str, language: Language, **values: str) -> str:
        return "END " + self._data.screens[name][language].format(**values)


@lru_cache(maxsize=1)
def default_screens() -> Screens:
    return Screens.from_file(Path(str(resources.files("hotline.ussd") / "data" / "screens.yaml")))
