"""The partner directory: organisations, what they do, where, and whom to send a referral to.

Admins keep it in the console, or in a YAML file loaded by ``hotline partners import FILE``
(the format is :class:`DirectoryFile`; ``data/demo_partners.yaml`` is a fictional example).
An import is an upsert by ``slug``: a partner or contact missing from the file is left as it
is (a file from one region never deactivates another region's partners); set ``active:
false`` to retire one. Numbers are normalised to E.164 like callers' numbers, and refused
when they do not parse, so a referral never goes to a typo.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Partner, PartnerContact
from hotline.triage.assessment import REGIONS

KINDS: Final = (
    "iom",
    "police",
    "gendarmerie",
    "unhcr",
    "child_protection",
    "health",
    "shelter",
    "legal_aid",
    "ngo",
)
KIND_LABELS: Final = {
    "iom": "IOM",
    "police": "Police",
    "gendarmerie": "Gendarmerie",
    "unhcr": "UNHCR",
    "child_protection": "Child protection",
    "health": "Health",
    "shelter": "Shelter or transit centre",
    "legal_aid": "Legal aid",
    "ngo": "NGO",
}
SERVICES: Final = (
    "trafficking",
    "migrant_distress",
    "returnee_support",
    "risky_recruitment",
    "information",
    "child_protection",
    "rescue",
    "investigation",
    "shelter",
    "medical",
    "psychosocial",
    "legal",
    "repatriation",
    "reintegration",
    "asylum",
)
NATIONAL, ABROAD = "national", "abroad"
COVERAGE: Final = (*REGIONS, NATIONAL, ABROAD)
LANGUAGES: Final = ("fr", "en", "pcm", "ar", "ful", "ha")
SMS_CAPABLE_REGION = "CM"


class DirectoryError(ValueError):
    """A directory file that cannot be imported; the message names the place."""


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    phone: str | None = None
    email: str | None = Field(default=None, max_length=254)
    vetted: bool = False
    active: bool = True

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalise_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        local, _, domain = value.partition("@")
        if not local or "." not in domain or any(c.isspace() for c in value):
            raise ValueError("not an email address")
        return value


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    kind: str
    services: list[str] = Field(default_factory=list)
    regions: list[str] = Field(min_length=1)
    languages: list[str] = Field(default_factory=lambda: ["fr"])
    active: bool = True
    contacts: list[ContactIn] = Field(default_factory=list)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r} (one of {', '.join(KINDS)})")
        return value

    @field_validator("services")
    @classmethod
    def _services(cls, value: list[str]) -> list[str]:
        return _known(value, SERVICES, "services", f"known: {', '.join(SERVICES)}")

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return _known(value, COVERAGE, "regions", f"the 10 regions, {NATIONAL!r} or {ABROAD!r}")

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return _known(value, LANGUAGES, "languages", f"known: {', '.join(LANGUAGES)}")


def _known(value: list[str], known: tuple[str, ...], what: str, hint: str) -> list[str]:
    """The values, sorted and once each, when every one is in ``known``; else a ValueError naming the strays."""
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown {what} {unknown} ({hint})")
    return sorted(set(value))


class DirectoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partners: list[PartnerIn]


def normalise_phone(value: str, region: str = SMS_CAPABLE_REGION) -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_directory(text: str) -> DirectoryFile:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DirectoryError(f"not YAML: {exc}") from None
    try:
        directory = DirectoryFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DirectoryError(f"{where}: {first['msg']}") from None
    slugs = [p.slug for p in directory.partners]
    duplicated = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicated:
        raise DirectoryError(f"slug used twice: {', '.join(duplicated)}")
    return directory


def load_directory(path: Path) -> DirectoryFile:
    return parse_directory(path.read_text(encoding="utf-8"))


def demo_directory() -> DirectoryFile:
    return load_directory(Path(__file__).parent / "data" / "demo_partners.yaml")


async def import_directory(
    session: AsyncSession, directory: DirectoryFile, *, now: datetime
) -> dict[str, int]:
    """Upsert every partner (by slug) and its contacts (by name); returns counts."""
    counts = {"created": 0, "updated": 0, "contacts": 0}
    existing = {
        p.slug: p
        for p in (
            await session.execute(
                select(Partner).where(Partner.slug.in_([p.slug for p in directory.partners]))
            )
        ).scalars()
    }
    for item in directory.partners:
        partner = existing.get(item.slug)
        if partner is None:
            partner = Partner(id=uuid.uuid4(), slug=item.slug, created_at=now)
            session.add(partner)
            counts["created"] += 1
        else:
            counts["updated"] += 1
        partner.name = item.name
        partner.kind = item.kind
        partner.services = item.services
        partner.regions = item.regions
        partner.languages = item.languages
        partner.active = item.active
        partner.updated_at = now
        await session.flush()
        contacts = {
            c.name: c
            for c in (
                await session.execute(select(PartnerContact).where(PartnerContact.partner_id == partner.id))
            ).scalars()
        }
        for wanted in item.contacts:
            contact = contacts.get(wanted.name)
            if contact is None:
                contact = PartnerContact(id=uuid.uuid4(), partner_id=partner.id, name=wanted.name)
                session.add(contact)
            contact.title = wanted.title
            contact.phone = wanted.phone
            contact.email = wanted.email
            contact.active = wanted.active
            if wanted.vetted and contact.vetted_at is None:
                contact.vetted_at = now
            elif not wanted.vetted:
                contact.vetted_at = None
            counts["contacts"] += 1
    await session.flush()
    return counts


def reachable(contact: PartnerContact) -> bool:
    """A contact a referral may go to: vetted, active, with at least one channel."""
    return contact.active and contact.vetted_at is not None and bool(contact.phone or contact.email)
