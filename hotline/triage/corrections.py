"""Agents' corrections as training reports, read on the operator's machine and kept in memory only.

A case whose category or severity an agent overrode (``Case.override``) is a report the machine got
wrong, labelled by a person who read it. :func:`corrected_examples` opens each such case's contacts
with the keyring, joins what the caller wrote and said, and returns :class:`Example` rows whose label
is the agent's category and severity, the machine's other fields (form, minor, region…) kept, made
consistent with the guide (a form only for trafficking, imminent danger only when critical).

Nothing here writes a text anywhere: the examples live in this process until training ends. Cases
whose words were purged or erased, and training-room cases, are left out.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.crypto import Keyring
from hotline.models import Case, Contact
from hotline.privacy.sealed import contact_answers, contact_body
from hotline.triage.assessment import CATEGORIES, SEVERITIES
from hotline.triage.training import Example


async def corrected_examples(session: AsyncSession, keyring: Keyring) -> list[Example]:
    """Every overridden, unpurged, real case as a labelled report, oldest first."""
    cases = (
        await session.execute(
            select(Case)
            .where(Case.override.is_not(None), Case.purged_at.is_(None), Case.training.is_(False))
            .order_by(Case.created_at, Case.id)
        )
    ).scalars()
    out: list[Example] = []
    for case in cases:
        label = _label(case)
        if label is None:
            continue
        contacts = (
            await session.execute(
                select(Contact).where(Contact.case_id == case.id).order_by(Contact.received_at, Contact.id)
            )
        ).scalars()
        texts: list[str] = []
        answers: dict[str, object] = {}
        channel = case.channel
        for contact in contacts:
            body = contact_body(keyring, contact)
            if body:
                texts.append(body)
            answers.update(contact_answers(keyring, contact))
        if not texts:
            continue
        out.append(
            Example(
                id=f"case:{case.reference}",
                text="\n".join(texts),
                channel="voice_transcript" if channel == "voice" else channel,
                expected=label,
                answers=answers or None,
                source="corrections",
            )
        )
    return out


def _label(case: Case) -> dict[str, object] | None:
    override = case.override or {}
    category = override.get("category") or case.category
    severity = override.get("severity") or case.severity
    if category not in CATEGORIES or severity not in SEVERITIES:
        return None
    return {
        "category": category,
        "form": (case.form or "unspecified") if category == "trafficking" else None,
        "severity": severity,
        "minor": bool(case.minor),
        "imminent_danger": bool(case.imminent_danger) and severity == "critical",
        "region": case.region,
        "abroad": bool(case.abroad),
        "language": case.language or "fr",
    }
