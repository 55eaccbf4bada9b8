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
    raises: bool = False
    """The rule is part of the safety layer: its severity is a floor under the learned model's."""


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
            return Verdict(rule.severity, rule.imminent_danger, rule.name, rule.raises)
    return Verdict(policy.default, False, None)


class SeverityRules:
    """The policy compiled once per data load: each rule's categories and facts as sets, checked in order."""

    __slots__ = ("_default", "_rules")

    def __init__(self, policy: SeverityPolicy) -> None:
        self._default = Verdict(policy.default, False, None)
        self._rules = tuple(
            (
                frozenset(rule.categories),
                frozenset(rule.all),
                frozenset(rule.any),
                frozenset(rule.none),
                Verdict(rule.severity, rule.imminent_danger, rule.name, rule.raises),
            )
            for rule in policy.rules
        )

    def decide(self, category: str, facts: Set[str]) -> Verdict:
        """The verdict of the first rule that holds (the same as `decide(policy, category, facts)`)."""
        for categories, all_, any_, none, verdict in self._rules:
            if categories and category not in categories:
                continue
            if not all_ <= facts:
                continue
            if any_ and any_.isdisjoint(facts):
                continue
            if not none.isdisjoint(facts):
                continue
            return verdict
        return self._default
