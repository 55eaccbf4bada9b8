"""Which partners fit a case, best first, each with the reasons an agent can check.

A small, explicit table of points rather than a model: an agent must be able to read why a
partner is suggested, and a supervisor to disagree. The rules follow the hotline's referral
practice: a person abroad goes to IOM, a child to child protection, imminent danger to the
police or gendarmerie of the region; then what the partner does (its services), where it
works and which languages it speaks. Inactive partners are never suggested; partners
without a vetted contact are listed last, marked, and cannot be sent to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from hotline.models import Partner, PartnerContact
from hotline.referrals.directory import ABROAD, KIND_LABELS, NATIONAL, reachable


class CaseFacts(Protocol):
    category: str | None
    form: str | None
    minor: bool | None
    imminent_danger: bool | None
    region: str | None
    abroad: bool | None
    language: str | None


# Kinds that fit a category, with their points.
KIND_FOR_CATEGORY: Final[dict[str, dict[str, int]]] = {
    "trafficking": {"police": 1, "gendarmerie": 1, "ngo": 1, "shelter": 1, "legal_aid": 1},
    "migrant_distress": {"iom": 4, "unhcr": 2},
    "returnee_support": {"iom": 3, "shelter": 2, "ngo": 2},
    "risky_recruitment": {"ngo": 2, "iom": 1},
}
# Kinds that fit a form of trafficking (what the person will need beyond the case).
KIND_FOR_FORM: Final[dict[str, dict[str, int]]] = {
    "sexual": {"health": 2, "shelter": 1},
    "organ": {"health": 3},
    "labour": {"legal_aid": 1},
    "domestic": {"shelter": 1, "legal_aid": 1},
    "marriage": {"child_protection": 1, "legal_aid": 1},
    "begging": {"child_protection": 1},
}
LANGUAGE_NAMES: Final = {"fr": "French", "en": "English", "pcm": "Pidgin"}


@dataclass(frozen=True, slots=True)
class Suggestion:
    partner: Partner
    score: int
    reasons: tuple[str, ...]
    contacts: tuple[PartnerContact, ...] = field(default=())
    """The partner's contacts a referral may go to (vetted, active, with a channel)."""

    @property
    def sendable(self) -> bool:
        return bool(self.contacts)


def _coverage(partner: Partner, facts: CaseFacts) -> tuple[int, list[str]]:
    regions = set(partner.regions)
    if facts.abroad:
        if ABROAD in regions:
            return 3, ["acts abroad"]
        return -2, ["does not act abroad"]
    if facts.region is None:
        return 0, []
    if facts.region in regions:
        return 3, [f"covers {facts.region}"]
    if NATIONAL in regions:
        return 1, ["national"]
    return -4, [f"does not cover {facts.region}"]


def score(partner: Partner, facts: CaseFacts) -> tuple[int, list[str]]:
    points, reasons = _coverage(partner, facts)
    kind = partner.kind
    label = KIND_LABELS.get(kind, kind)
    covers_region = facts.region is not None and (
        facts.region in partner.regions or NATIONAL in partner.regions
    )
    if facts.abroad and kind == "iom":
        points += 6
        reasons.append("abroad → IOM")
    if facts.minor and kind == "child_protection":
        points += 6
        reasons.append("a child → child protection")
    elif facts.minor and "child_protection" in partner.services:
        points += 2
        reasons.append("protects children")
    if facts.imminent_danger and kind in ("police", "gendarmerie"):
        if covers_region and NATIONAL not in partner.regions:
            points += 6
            reasons.append(f"imminent danger → {label.lower()} of {facts.region}")
        else:
            points += 1
            reasons.append(f"imminent danger → {label.lower()}")
    if facts.category is not None:
        if facts.category in partner.services:
            points += 3
            reasons.append(f"handles {facts.category.replace('_', ' ')}")
        bonus = KIND_FOR_CATEGORY.get(facts.category, {}).get(kind, 0)
        if bonus and not (facts.abroad and kind == "iom"):
            points += bonus
            reasons.append(f"{facts.category.replace('_', ' ')} → {label}")
    if facts.form is not None:
        bonus = KIND_FOR_FORM.get(facts.form, {}).get(kind, 0)
        if bonus:
            points += bonus
            reasons.append(f"{facts.form} exploitation → {label.lower()}")
    if facts.language in LANGUAGE_NAMES:
        if facts.language in partner.languages:
            points += 1
            reasons.append(f"speaks {LANGUAGE_NAMES[facts.language]}")
        else:
            points -= 1
            reasons.append(f"does not speak {LANGUAGE_NAMES[facts.language]}")
    return points, reasons


def rank(
    facts: CaseFacts,
    partners: Iterable[Partner],
    contacts: Sequence[PartnerContact],
    *,
    limit: int | None = None,
) -> list[Suggestion]:
    """Active partners, best fit first; those without a reachable contact last."""
    by_partner: dict[object, list[PartnerContact]] = {}
    for contact in contacts:
        if reachable(contact):
            by_partner.setdefault(contact.partner_id, []).append(contact)
    found = []
    for partner in partners:
        if not partner.active:
            continue
        points, reasons = score(partner, facts)
        reach = tuple(sorted(by_partner.get(partner.id, []), key=lambda c: c.name))
        if not reach:
            reasons.append("no vetted contact")
        found.append(Suggestion(partner, points, tuple(reasons), reach))
    found.sort(key=lambda s: (not s.sendable, -s.score, s.partner.name))
    return found[:limit] if limit is not None else found
