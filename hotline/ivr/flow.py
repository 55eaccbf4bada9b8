"""The call flow as data: ``flow.yaml`` read into pydantic models and checked as a whole.

Operators change menus and prompts by editing the file, never the code. A broken file (a step
that leads nowhere, a prompt missing its French or English text, a key used twice, an answer
triage would not understand) stops the process at start-up with a message naming the entry,
instead of stranding a caller mid-call.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hotline.triage.assessment import REGIONS

Language = Literal["fr", "en", "pcm"]
LANGUAGES: tuple[Language, ...] = ("fr", "en", "pcm")
SPOKEN_LANGUAGES: tuple[Language, ...] = ("fr", "en")
KEYS = frozenset("0123456789*#")
RegionAnswer = Literal[
    "Adamaoua",
    "Centre",
    "Est",
    "Extreme-Nord",
    "Littoral",
    "Nord",
    "Nord-Ouest",
    "Ouest",
    "Sud",
    "Sud-Ouest",
    "abroad",
    "unknown",
]
assert set(RegionAnswer.__args__) == {*REGIONS, "abroad", "unknown"}  # type: ignore[attr-defined]


class FlowError(ValueError):
    """The flow file is unusable; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Answers(_Strict):
    """What a key press means, in the vocabulary of the triage engine (docs/triage.md)."""

    danger_now: bool | None = None
    child: Literal["yes", "no", "unknown"] | None = None
    region: RegionAnswer | None = None
    menu: (
        Literal["trafficking", "migrant_distress", "returnee_support", "information", "speak", "emergency"]
        | None
    ) = None
    callback: bool | None = None
    share: bool | None = None
    """Consent to pass the report to an organisation that can help (read by hotline/referrals)."""
    asked_for_person: bool | None = None

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class Option(_Strict):
    answers: Answers = Answers()
    language: Language | None = None
    next: str


class Menu(_Strict):
    type: Literal["menu"]
    prompt: str
    multilingual: bool = False
    options: dict[str, Option]
    otherwise: Option


class DialStep(_Strict):
    type: Literal["dial"]
    prompt: str
    answered: str
    unanswered: str


class RecordStep(_Strict):
    type: Literal["record"]
    prompt: str
    next: str


class GoodbyeStep(_Strict):
    type: Literal["goodbye"]
    reference_prompt: str
    prompts: list[str]


Step = Annotated[Menu | DialStep | RecordStep | GoodbyeStep, Field(discriminator="type")]


class Voice(_Strict):
    say_language: str | None = None
    voice: str | None = None
    fallback: Language | None = None

    @model_validator(mode="after")
    def _speaks_or_falls_back(self) -> Self:
        if (self.say_language is None) == (self.fallback is None):
            raise ValueError("give either say_language (a <Say> voice) or fallback (another language)")
        return self


class Text(_Strict):
    say: str
    audio: str | None = None


class Timing(_Strict):
    gather_timeout_seconds: int = Field(6, ge=1, le=30)
    retries: int = Field(2, ge=0, le=5)
    dial_timeout_seconds: int = Field(25, ge=5, le=120)
    record_max_seconds: int = Field(180, ge=10, le=3600)
    record_silence_seconds: int = Field(10, ge=1, le=60)


class GlobalKey(_Strict):
    key: str
    answers: Answers
    next: str


class Flow(_Strict):
    version: str
    start: str
    default_language: Language
    languages: dict[Language, Voice]
    timing: Timing = Timing()
    danger: GlobalKey
    repeat_key: str
    steps: dict[str, Step]
    prompts: dict[str, dict[Language, Text]]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        for language in LANGUAGES:
            voice = self.languages.get(language)
            if voice is None:
                problems.append(f"languages: {language} is missing")
            elif voice.fallback is not None and voice.fallback not in SPOKEN_LANGUAGES:
                problems.append(f"languages → {language}: fallback must be a spoken language")
        global_keys = {self.danger.key, self.repeat_key}
        for key in global_keys:
            if key not in KEYS or len(key) != 1:
                problems.append(f"global key {key!r} is not a keypad key")
        self._check_target("start", self.start, problems)
        self._check_target("danger", self.danger.next, problems)
        for name, step in self.steps.items():
            where = f"steps → {name}"
            prompts = (
                [step.reference_prompt, *step.prompts] if isinstance(step, GoodbyeStep) else [step.prompt]
            )
            for prompt in prompts:
                if prompt not in self.prompts:
                    problems.append(f"{where}: unknown prompt {prompt!r}")
            if isinstance(step, Menu):
                for key, option in step.options.items():
                    if len(key) != 1 or key not in KEYS:
                        problems.append(f"{where} → options: {key!r} is not one keypad key")
                    if key in global_keys:
                        problems.append(f"{where} → options: {key!r} is taken by a key of every menu")
                    self._check_target(f"{where} → {key}", option.next, problems)
                self._check_target(f"{where} → otherwise", step.otherwise.next, problems)
            elif isinstance(step, DialStep):
                self._check_target(f"{where} → answered", step.answered, problems)
                self._check_target(f"{where} → unanswered", step.unanswered, problems)
            elif isinstance(step, RecordStep):
                self._check_target(f"{where} → next", step.next, problems)
        if "sorry" not in self.prompts:
            problems.append("prompts: 'sorry' (said before a re-prompt) is missing")
        for name, texts in self.prompts.items():
            for language in SPOKEN_LANGUAGES:
                if language not in texts:
                    problems.append(f"prompts → {name}: no {language} text")
        reference = self.prompts.get(self._goodbye_reference_prompt() or "", {})
        for language, text in reference.items():
            if "{reference}" not in text.say:
                problems.append(f"prompts → reference → {language}: must contain {{reference}}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _goodbye_reference_prompt(self) -> str | None:
        for step in self.steps.values():
            if isinstance(step, GoodbyeStep):
                return step.reference_prompt
        return None

    def _check_target(self, where: str, target: str, problems: list[str]) -> None:
        if target not in self.steps:
            problems.append(f"{where}: leads to unknown step {target!r}")

    def step(self, name: str) -> Step:
        return self.steps[name]


def load_flow(path: Path) -> Flow:
    """Read and check a flow file; raise :class:`FlowError` naming the file and what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError(f"{path.name}: cannot be read: {exc}") from None
    try:
        return Flow.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(
            f"{' → '.join(str(p) for p in err['loc']) or 'flow'}: {err['msg']}" for err in exc.errors()
        )
        raise FlowError(f"{path.name}: {details}") from None


def packaged_flow_path() -> Path:
    return Path(str(resources.files("hotline.ivr") / "flow.yaml"))


@lru_cache(maxsize=4)
def cached_flow(path: Path | None = None) -> Flow:
    """The flow at ``path`` (the packaged one by default), read once per process."""
    return load_flow(path or packaged_flow_path())
