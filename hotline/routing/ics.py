"""Shifts as an iCalendar file (RFC 5545), so agents see their on-call time in their phone.

One VEVENT per continuous stretch on call (team, role, person). Times are written in UTC
(``...Z``), which every calendar converts to the phone's zone; the UID is stable for a
given shift, so importing an updated export replaces events instead of doubling them.
Lines end with CRLF and are folded at 75 octets, as the RFC requires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from hotline.routing.roster import Shift

PRODID = "-//MINAS 1503//hotline roster//FR"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = " "
            limit = 75
        current += char
    out.append(current)
    return "\r\n".join(out)


def calendar(shifts: Iterable[Shift], *, generated_at: datetime, name: str = "1503 on call") -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for shift in shifts:
        uid = hashlib.sha256(
            f"{shift.team_key}|{shift.role}|{shift.username}|{_stamp(shift.start)}".encode()
        ).hexdigest()[:32]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@1503.minas.cm",
            f"DTSTAMP:{_stamp(generated_at)}",
            f"DTSTART:{_stamp(shift.start)}",
            f"DTEND:{_stamp(shift.end)}",
            f"SUMMARY:{_escape(f'1503 {shift.role}: {shift.team} ({shift.username})')}",
            f"DESCRIPTION:{_escape(f'On call for 1503, team {shift.team}, as {shift.role}.')}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
