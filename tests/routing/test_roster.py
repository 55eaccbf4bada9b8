"""Rosters: rotations and overrides in Douala time, gaps, the YAML and iCalendar forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hotline.routing.ics import calendar, fold
from hotline.routing.roster import RosterError, parse_roster, roster_from

ROSTER = """
version: 1
timezone: Africa/Douala
people:
  - username: alice
    languages: [fr, pcm]
    channels: [console, sms]
    phone: "+237670000001"
teams:
  - name: Littoral
    region: Littoral
    supervisors: [sue]
    rotations:
      - role: primary
        shift_hours: 12
        handoff: "07:00"
        start: 2026-12-01
        order: [alice, bob, carol]
      - role: backup
        shift_hours: 24
        handoff: 07:00
        start: 2026-12-01
        order: [dave]
  - name: National
    national: true
    rotations:
      - role: primary
        shift_hours: 168
        handoff: "08:00"
        start: 2026-11-30
        order: [nina]
overrides:
  - team: Littoral
    role: primary
    start: 2026-12-02T19:00
    end: 2026-12-03T07:00
    agent: erin
    note: swap with carol
"""


def douala(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Douala (UTC+1, no daylight saving) as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


def test_shifts_hand_off_at_the_wall_clock_time_in_douala_in_rotation_order() -> None:
    """12-hour shifts from 07:00 Douala time take alice, bob, carol in turn."""
    roster = parse_roster(ROSTER)
    team = roster.team("Littoral")
    assert team is not None
    assert roster.on_call(team, "primary", douala(1, 6, 59)) == []  # before the rotation starts
    assert roster.on_call(team, "primary", douala(1, 7)) == ["alice"]
    assert roster.on_call(team, "primary", douala(1, 18, 59)) == ["alice"]
    assert roster.on_call(team, "primary", douala(1, 19)) == ["bob"]
    assert roster.on_call(team, "primary", douala(2, 7)) == ["carol"]
    assert roster.on_call(team, "primary", douala(3, 19)) == ["carol"]  # 19:00 on the 3rd: 6th shift
    assert roster.on_call(team, "backup", douala(2, 12)) == ["dave"]
    assert roster.next_handoff(team, douala(1, 10)) == douala(1, 19)


def test_an_override_swaps_a_shift_for_its_window_only() -> None:
    roster = parse_roster(ROSTER)
    team = roster.team("Littoral")
    assert team is not None
    assert roster.on_call(team, "primary", douala(2, 18, 59)) == ["carol"]
    assert roster.on_call(team, "primary", douala(2, 19)) == ["erin"]  # would have been alice
    assert roster.on_call(team, "primary", douala(3, 6, 59)) == ["erin"]
    assert roster.on_call(team, "primary", douala(3, 7)) == ["bob"]


def test_an_override_with_replaces_swaps_one_of_several_primaries() -> None:
    raw = parse_roster(ROSTER).model_dump(mode="json")
    raw["teams"][0]["rotations"].append(
        {"role": "primary", "shift_hours": 24, "handoff": "07:00", "start": "2026-12-01", "order": ["zoe"]}
    )
    raw["overrides"] = [
        {
            "team": "Littoral",
            "start": "2026-12-01T08:00",
            "end": "2026-12-01T09:00",
            "agent": "yan",
            "replaces": "zoe",
        }
    ]
    roster = roster_from(raw)
    team = roster.team("Littoral")
    assert team is not None
    assert roster.on_call(team, "primary", douala(1, 8, 30)) == ["alice", "yan"]
    assert roster.on_call(team, "primary", douala(1, 9, 30)) == ["alice", "zoe"]


def test_a_region_without_a_team_and_a_gap_in_a_rotation_are_both_gaps() -> None:
    """`roster check` lists every stretch of every region without a primary, with its hours."""
    roster = parse_roster(ROSTER)
    start = douala(1, 0)
    gaps = roster.gaps(start, start + timedelta(days=2))
    by_key: dict[str, list[Any]] = {}
    for gap in gaps:
        by_key.setdefault(gap.team_key, []).append(gap)
    assert [(g.start, g.end, g.hours()) for g in by_key["Littoral"]] == [(start, douala(1, 7), 7)]
    assert by_key["Centre"][0].hours() == 48
    assert len(by_key) == 10  # nine regions without a team, Littoral before its first shift
    # Someone holding a shift who has no active account is nobody.
    later = roster.gaps(douala(1, 7), douala(1, 23), active={"alice", "nina"})
    littoral = [g for g in later if g.team_key == "Littoral"]
    assert [(g.start, g.end) for g in littoral] == [(douala(1, 19), douala(1, 23))]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"teams": [{"name": "X", "region": "Littoral"}]}, "national team"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        (
            {
                "overrides": [
                    {"team": "Nowhere", "start": "2026-12-01T00:00", "end": "2026-12-01T01:00", "agent": "a"}
                ]
            },
            "unknown team",
        ),
        ({"teams": [{"name": "X", "region": "Gabon"}, {"name": "N", "national": True}]}, "teams.0.region"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_malformed_roster_is_refused_with_a_reason(change: dict[str, Any], message: str) -> None:
    raw = parse_roster(ROSTER).model_dump(mode="json")
    raw.update(change)
    with pytest.raises(RosterError, match=message):
        roster_from(raw)


def test_the_yaml_export_reads_back_the_same_and_never_carries_a_phone() -> None:
    roster = parse_roster(ROSTER)
    text = roster.dump()
    assert "670000001" not in text and "phone" not in text
    assert "handoff: 07:00" in text or "handoff: '07:00'" in text
    again = parse_roster(text)
    team, same = roster.team("Littoral"), again.team("Littoral")
    assert team is not None and same is not None
    for hour in range(0, 72, 5):
        moment = douala(1, 0) + timedelta(hours=hour)
        assert again.on_call(same, "primary", moment) == roster.on_call(team, "primary", moment)


def test_the_ics_export_is_valid_icalendar_with_one_event_per_stretch_on_call() -> None:
    """CRLF lines of at most 75 octets, UTC times, stable UIDs; the override shows as its own stretch."""
    roster = parse_roster(ROSTER)
    shifts = roster.shifts(douala(2, 7), douala(3, 7))
    mine = [s for s in shifts if s.team == "Littoral" and s.role == "primary"]
    assert [(s.username, s.start, s.end) for s in mine] == [
        ("carol", douala(2, 7), douala(2, 19)),
        ("erin", douala(2, 19), douala(3, 7)),
    ]
    text = calendar(mine, generated_at=douala(1, 0))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    assert text.count("BEGIN:VEVENT") == 2
    assert "DTSTART:20261202T060000Z" in text and "DTEND:20261202T180000Z" in text
    assert calendar(mine, generated_at=douala(1, 1)).count("UID:") == 2
    uids = [line for line in lines if line.startswith("UID:")]
    assert uids == [
        line for line in calendar(mine, generated_at=douala(1, 5)).split("\r\n") if line.startswith("UID:")
    ]


def test_folding_never_splits_a_multibyte_character() -> None:
    folded = fold("SUMMARY:" + "é" * 80)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert "".join(p.removeprefix(" ") if i else p for i, p in enumerate(parts)) == "SUMMARY:" + "é" * 80
