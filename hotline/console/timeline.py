"""A case's page: every contact, note, notification and recorded action, oldest first.

What the caller said is opened here, for the signed-in agent's screen only. The triage
reasons quote the words that triggered them ('…'); those words are marked in the texts.
Recording Sids are listed so the page can stream them through our own route; a Twilio URL
never reaches the browser. The callback number is not opened at all.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.cases.actions import note_text
from hotline.core.crypto import Keyring
from hotline.models import Agent, AuditEntry, Case, CaseNote, Contact, Notification
from hotline.privacy.sealed import contact_answers, contact_body

QUOTED = re.compile(r"'([^']{2,80})'")
ACCESS_ACTIONS = ("case.viewed", "case.recording_played")
HIDDEN_ANSWERS = ("recording_sid",)


@dataclass
class Entry:
    at: datetime
    kind: str  # contact | note | notification | event
    title: str
    text: Markup | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    recordings: list[str] = field(default_factory=list)
    who: str | None = None
    callback: bool = False


@dataclass
class CasePage:
    entries: list[Entry]
    access: list[Entry]
    words: list[str]
    recordings: set[str]


def trigger_words(reasons: list[str]) -> list[str]:
    found: list[str] = []
    for reason in reasons:
        found.extend(m.group(1) for m in QUOTED.finditer(reason))
    return sorted(set(found), key=len, reverse=True)


def highlight(text: str, words: list[str]) -> Markup:
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[Markup] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>{}</mark>").format(match.group(0)))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _is_location(key: str, value: Any) -> bool:
    return (key == "location" or key.startswith("location.")) and isinstance(value, dict)


def shown_location(location: dict[str, Any]) -> Markup:
    """A WhatsApp pin for the agent: the coordinates as a map link, then the address and label."""
    try:
        lat, lon = float(location["latitude"]), float(location["longitude"])
    except (KeyError, TypeError, ValueError):
        return escape(str(location))
    link = Markup(
        '<a href="https://www.openstreetmap.org/?mlat={lat}&amp;mlon={lon}#map=17/{lat}/{lon}"'
        ' rel="noreferrer noopener" target="_blank">{lat}, {lon}</a>'
    ).format(lat=f"{lat:.6f}", lon=f"{lon:.6f}")
    words = [escape(str(location[k])) for k in ("label", "address") if location.get(k)]
    return Markup(" · ").join([link, *words])


def recordings_of(answers: dict[str, Any]) -> list[str]:
    sid = answers.get("recording_sid")
    return [str(sid)] if isinstance(sid, str) and sid else []


async def build(session: AsyncSession, keyring: Keyring, case: Case) -> CasePage:
    words = trigger_words(list(case.reasons or []))
    names = {a.id: a.display_name or a.username for a in (await session.execute(select(Agent))).scalars()}
    entries: list[Entry] = []
    recordings: set[str] = set()
    contacts = (await session.execute(select(Contact).where(Contact.case_id == case.id))).scalars()
    for contact in contacts:
        body = contact_body(keyring, contact)
        answers = contact_answers(keyring, contact)
        sids = recordings_of(answers)
        recordings.update(sids)
        entries.append(
            Entry(
                at=contact.received_at,
                kind="contact",
                title=contact.channel,
                text=highlight(body, words) if body else None,
                answers={
                    k: shown_location(v) if _is_location(k, v) else v
                    for k, v in answers.items()
                    if k not in HIDDEN_ANSWERS and v not in (None, "")
                },
                recordings=sids,
                callback=contact.callback_number_enc is not None,
            )
        )
    for note in (await session.execute(select(CaseNote).where(CaseNote.case_id == case.id))).scalars():
        text = note_text(keyring, note)
        entries.append(
            Entry(
                at=note.created_at,
                kind="note" if note.kind == "note" else note.kind,
                title=note.kind,
                text=escape(text) if text else None,
                who=names.get(note.author_id) if note.author_id else None,
            )
        )
    for sent in (
        await session.execute(select(Notification).where(Notification.case_id == case.id))
    ).scalars():
        entries.append(
            Entry(
                at=sent.attempted_at,
                kind="notification",
                title=f"{sent.channel}: {sent.outcome}",
                who=names.get(sent.agent_id),
            )
        )
    access: list[Entry] = []
    events = (
        await session.execute(
            select(AuditEntry).where(AuditEntry.subject == str(case.id)).order_by(AuditEntry.seq)
        )
    ).scalars()
    for event in events:
        who = _who(event.actor, names)
        item = Entry(at=event.at, kind="event", title=event.action, who=who, answers=_shown(event.details))
        (access if event.action in ACCESS_ACTIONS else entries).append(item)
    entries.sort(key=lambda e: e.at)
    return CasePage(entries=entries, access=access, words=words, recordings=recordings)


def _who(actor: str, names: dict[uuid.UUID, str]) -> str:
    kind, _, ident = actor.partition(":")
    if kind == "agent":
        try:
            return names.get(uuid.UUID(ident), "agent")
        except ValueError:
            return "agent"
    return kind  # system, caller (a pseudonym is of no use on screen)


def _shown(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if v not in (None, "") and k not in ("from", "to", "into")}
