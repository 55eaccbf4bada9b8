"""Suggestions: the partner that fits first, with reasons an agent can check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from hotline.models import Partner, PartnerContact
from hotline.referrals.directory import demo_directory
from hotline.referrals.suggest import Suggestion, rank


@dataclass
class Facts:
    category: str | None = "trafficking"
    form: str | None = None
    minor: bool | None = False
    imminent_danger: bool | None = False
    region: str | None = "Littoral"
    abroad: bool | None = False
    language: str | None = "fr"


def directory() -> tuple[list[Partner], list[PartnerContact]]:
    partners, contacts = [], []
    for item in demo_directory().partners:
        partner = Partner(
            id=uuid.uuid4(),
            slug=item.slug,
            name=item.name,
            kind=item.kind,
            services=item.services,
            regions=item.regions,
            languages=item.languages,
            active=item.active,
        )
        partners.append(partner)
        contacts.extend(
            PartnerContact(
                id=uuid.uuid4(),
                partner_id=partner.id,
                name=c.name,
                phone=c.phone,
                email=c.email,
                active=c.active,
                vetted_at=datetime.now(UTC) if c.vetted else None,
            )
            for c in item.contacts
        )
    return partners, contacts


def suggest(facts: Facts) -> list[Suggestion]:
    return rank(facts, *directory())


def first(facts: Facts) -> Suggestion:
    return suggest(facts)[0]


def test_someone_abroad_goes_to_iom_first() -> None:
    top = first(Facts(category="migrant_distress", region=None, abroad=True))
    assert top.partner.slug == "iom-yaounde"
    assert "abroad → IOM" in top.reasons and "acts abroad" in top.reasons


def test_a_child_goes_to_child_protection_of_the_region() -> None:
    top = first(Facts(minor=True, region="Littoral"))
    assert top.partner.slug == "child-protection-littoral"
    assert "a child → child protection" in top.reasons and "covers Littoral" in top.reasons


def test_imminent_danger_goes_to_the_police_or_gendarmerie_of_the_region() -> None:
    assert first(Facts(imminent_danger=True, region="Littoral")).partner.slug == "police-littoral"
    top = first(Facts(imminent_danger=True, region="Extreme-Nord"))
    assert top.partner.slug == "gendarmerie-extreme-nord"
    assert "imminent danger → gendarmerie of Extreme-Nord" in top.reasons


def test_a_returnee_goes_to_iom_or_a_reintegration_partner_and_language_counts() -> None:
    ranked = suggest(Facts(category="returnee_support", region="Ouest", language="en"))
    slugs = [s.partner.slug for s in ranked[:3]]
    assert "ngo-returnees-ouest" in slugs and "iom-yaounde" in slugs
    ngo = next(s for s in ranked if s.partner.slug == "ngo-returnees-ouest")
    assert "speaks English" in ngo.reasons and "covers Ouest" in ngo.reasons


def test_sexual_exploitation_suggests_health_care_too() -> None:
    health = next(s for s in suggest(Facts(form="sexual")) if s.partner.kind == "health")
    assert "sexual exploitation → health" in health.reasons


def test_inactive_partners_are_never_suggested_and_unreachable_ones_come_last() -> None:
    partners, contacts = directory()
    nobody = next(p for p in partners if p.slug == "police-littoral")
    contacts = [c for c in contacts if c.partner_id != nobody.id]
    ranked = rank(Facts(imminent_danger=True), partners, contacts)
    assert "old-partner-closed" not in {s.partner.slug for s in ranked}
    assert ranked[-1].partner.slug == "police-littoral" and not ranked[-1].sendable
    assert "no vetted contact" in ranked[-1].reasons
    assert all(s.sendable for s in ranked[:-1])


def test_only_vetted_active_contacts_can_receive_a_referral() -> None:
    ranked = suggest(Facts(minor=True))
    littoral = next(s for s in ranked if s.partner.slug == "child-protection-littoral")
    assert [c.name for c in littoral.contacts] == ["Grace Example"]


@pytest.mark.parametrize("region", ["Nord", "Sud-Ouest", "Centre", None])
def test_a_partner_outside_the_region_ranks_below_one_inside_it(region: str | None) -> None:
    ranked = suggest(Facts(imminent_danger=True, region=region))
    if region is None:
        assert ranked[0].partner.kind in ("police", "gendarmerie")
        return
    top = ranked[0]
    assert region in top.partner.regions
    assert f"covers {region}" in top.reasons
