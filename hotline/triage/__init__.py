"""Triage engine: text and answers in, an explainable Assessment out.

    from hotline.triage import assess
    assess("ma fille de 15 ans est enfermée à Douala", channel="sms", answers={"danger_now": True})

`assess` uses the packaged data files (loaded once per process); `Engine.from_directory(path)` builds an engine over
an operator's own copy of the files. Bump TRIAGE_VERSION whenever a rule or a data file changes, so that agents'
overrides can be measured against the version that made the call.
"""

from __future__ import annotations

from collections.abc import Mapping

from hotline.triage.assessment import Assessment
from hotline.triage.engine import Engine
from hotline.triage.knowledge import KnowledgeError

TRIAGE_VERSION = "2026.12.1"

__all__ = ["TRIAGE_VERSION", "Assessment", "Engine", "KnowledgeError", "Triage", "assess"]


def assess(text: str, channel: str = "sms", answers: Mapping[str, object] | None = None) -> Assessment:
    """Assess one report: the packaged model, with the packaged rules as features and safety layer."""
    from hotline.triage.decide import default_triage

    return default_triage().assess(text, channel=channel, answers=answers)


def __getattr__(name: str) -> object:
    if name == "Triage":
        from hotline.triage.decide import Triage

        return Triage
    raise AttributeError(name)
