"""Escalation policies: data (``data/escalation.yaml``), validated when a process starts.

A policy is copied onto the case (``case.escalation["policy"]``) when its escalation
starts; the running escalation reads only that copy, so editing the file never changes an
escalation in flight. :meth:`Policy.model_validate` reads a copy back.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SEVERITIES = ("critical", "high", "medium", "low")


class Target(StrEnum):
    primary = "primary"
    on_call = "on_call"
    backup = "backup"
    supervisors = "supervisors"
    national = "national"


class Channel(StrEnum):
    console = "console"
    sms = "sms"
    voice = "voice"


OUTBOUND = (Channel.sms, Channel.voice)


class PolicyError(ValueError):
    """The escalation file is malformed; the message says where."""


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notify: list[Target] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    after_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)
    # "next_shift": due at the start of the team's next primary shift instead.
    after: Literal["next_shift"] | None = None

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        if len(set(self.channels)) != len(self.channels) or len(set(self.notify)) != len(self.notify):
            raise ValueError("a step lists each target and each channel once")
        return self


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[Step] = Field(min_length=1)
    ack_within_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    ack_within: Literal["next_shift"] | None = None
    repeat: int = Field(default=0, ge=0, le=10)
    repeat_after_minutes: int = Field(default=0, ge=0, le=24 * 60)
    fallback_channels: list[Channel] = Field(default_factory=lambda: [Channel.sms, Channel.voice])

    @model_validator(mode="after")
    def _deadline(self) -> Self:
        if (self.ack_within_minutes is None) == (self.ack_within is None):
            raise ValueError("give exactly one of ack_within_minutes and ack_within: next_shift")
        if self.steps[0].after is not None or self.steps[0].after_minutes:
            raise ValueError("the first step fires at once (no after / after_minutes)")
        if Channel.console not in self.steps[0].channels:
            raise ValueError("the first step always puts the case in a console queue")
        return self

    @property
    def ack_within_delta(self) -> timedelta | None:
        return None if self.ack_within_minutes is None else timedelta(minutes=self.ack_within_minutes)

    def snapshot(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    fallback_channels: list[Channel] = Field(default_factory=lambda: [Channel.sms, Channel.voice])
    policies: dict[Literal["critical", "high", "medium", "low"], Policy]

    @model_validator(mode="after")
    def _every_severity(self) -> Self:
        missing = [s for s in SEVERITIES if s not in self.policies]
        if missing:
            raise ValueError(f"no policy for severity {', '.join(missing)}")
        if any(c is Channel.console for c in self.fallback_channels):
            raise ValueError("fallback_channels are outbound channels (sms, voice)")
        return self

    def for_severity(self, severity: str | None) -> Policy:
        # A case triage could not grade is treated as high: unseen is worse than noisy.
        policy: Policy = self.policies.get(severity or "high", self.policies["high"])  # type: ignore[call-overload]
        return policy.model_copy(update={"fallback_channels": list(self.fallback_channels)})


def parse_policies(text: str, source: str = "escalation.yaml") -> PolicyFile:
    try:
        return PolicyFile.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PolicyError(f"{source}: {str(exc).splitlines()[0]} — {_first_error(exc)}") from None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc).splitlines()[0]


@cache
def load_policies(path: Path | None = None) -> PolicyFile:
    """The packaged policies (or ``path``), parsed once per process."""
    if path is not None:
        return parse_policies(path.read_text(encoding="utf-8"), str(path))
    text = resources.files("hotline.routing").joinpath("data/escalation.yaml").read_text(encoding="utf-8")
    return parse_policies(text)
