"""Severity from the ordered rules of `data/severity.yaml`: the first rule that holds decides."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from hotline.triage.knowledge import SeverityPolicy, SeverityRule


@dataclass(frozen=True, slots=True)
class Verdict:
    severity: str
    imminent_danger: bool
    rule: str | None


def _holds(rule: SeverityRule, category: str, facts: Set[str]) -> bool:
    if rule.categories and category not in rule.categories:
        return False
    if not all(f in facts for f in rule.all):
        return False
    if rule.any and not any(f in facts for f in rule.any):
        return False
    return not any(f in facts for f in rule.none)


def decide(policy: SeverityPolicy, category: str, facts: Set[str]) -> Verdict:
    for rule in policy.rules:
        if _holds(rule, category, facts):
            return Verdict(rule.severity, rule.imminent_danger, rule.name)
    return Verdict(policy.default, False, None)
