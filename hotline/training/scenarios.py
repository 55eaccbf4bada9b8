"""Scripted training scenarios (``scenarios/*.yaml``), in French and English.

Each names the caller's story (for the person playing the caller), the words the caller sends,
what the trainee is expected to do, and the triage the line must give. ``tests/training`` runs
every caller text through :func:`hotline.triage.assess`, so a scenario never teaches a verdict
the line does not give.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

HERE = Path(__file__).parent / "scenarios"
Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.fr


class Steps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fr: tuple[str, ...] = Field(min_length=1)
    en: tuple[str, ...] = Field(min_length=1)

    def get(self, language: str) -> tuple[str, ...]:
        return self.en if language == "en" else self.fr


class ExpectedTriage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    category: str
    severity: Literal["low", "medium", "high", "critical"]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9-]{3,48}$")
    title: Bilingual
    channel: Literal["sms", "voice"]
    story: Bilingual
    caller_text: Bilingual
    expected_actions: Steps
    expected_triage: ExpectedTriage


class ScenarioError(ValueError):
    pass


def load_scenarios(directory: Path = HERE) -> dict[str, Scenario]:
    """Every scenario in ``directory``, by id; a broken file names itself."""
    found: dict[str, Scenario] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            scenario = Scenario.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except Exception as exc:
            raise ScenarioError(f"{path.name}: {exc}") from None
        if scenario.id in found:
            raise ScenarioError(f"{path.name}: duplicate id {scenario.id}")
        found[scenario.id] = scenario
    return found


@cache
def default_scenarios() -> dict[str, Scenario]:
    return load_scenarios()
