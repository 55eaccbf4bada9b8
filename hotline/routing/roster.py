"""Rosters: who is on call for which team, when. Pure data and time arithmetic, no database.

A roster is one YAML document (``hotline roster import``), stored whole and versioned:

* ``people``: how each agent is reached (languages, channels; a phone is sealed on import and
  never exported);
* ``teams``: one per region plus one national team; each has supervisors and rotations;
* a rotation gives one person per shift for a role (``primary`` or ``backup``): shifts of
  ``shift_hours`` from ``handoff`` on ``start`` (wall-clock time in the roster's time zone,
  Africa/Douala by default), taking ``order`` in turn. A team may have several primary
  rotations: several primaries on call at once;
* ``overrides`` swap a window of a shift to another person (``replaces`` one person, or the
  whole role when absent).

Times of day are read in the roster's zone; shifts are fixed lengths of real time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hotline.agents.service import REGIONS

DEFAULT_TIMEZONE = "Africa/Douala"
NATIONAL = "national"
RoleName = Literal["primary", "backup"]
ChannelName = Literal["console", "sms", "voice"]
CHANNEL_NAMES: tuple[ChannelName, ...] = ("console", "sms", "voice")
Region = Literal[
    "Adamaoua", "Centre", "Est", "Extreme-Nord", "Littoral", "Nord", "Nord-Ouest", "Ouest", "Sud", "Sud-Ouest"
]


class RosterError(ValueError):
    """A roster document is malformed or names someone unknown; the message says where."""


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    languages: list[Literal["fr", "en", "pcm"]] | None = None
    channels: list[ChannelName] = Field(default_factory=lambda: list(CHANNEL_NAMES))
    # Accepted on import (sealed into the account), never written back by export.
    phone: str | None = Field(default=None, repr=False)


class Rotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName
    shift_hours: int = Field(ge=1, le=24 * 14)
    handoff: time
    start: date
    order: list[str] = Field(min_length=1)

    @field_validator("handoff", mode="before")
    @classmethod
    def _hhmm(cls, value: object) -> object:
        # YAML reads 07:00 as a sexagesimal integer (420) when unquoted.
        if isinstance(value, int):
            return time(value // 60, value % 60)
        return value

    def anchor(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.start, self.handoff, tzinfo=zone).astimezone(UTC)

    def at(self, moment: datetime, zone: ZoneInfo) -> tuple[str, datetime, datetime] | None:
        """Who holds this rotation at ``moment``, and the shift's start and end."""
        anchor = self.anchor(zone)
        if moment < anchor:
            return None
        length = timedelta(hours=self.shift_hours)
        index = (moment - anchor) // length
        start = anchor + index * length
        return self.order[index % len(self.order)], start, start + length

    def boundaries(self, start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        anchor = self.anchor(zone)
        length = timedelta(hours=self.shift_hours)
        first = anchor if start <= anchor else anchor + ((start - anchor) // length + 1) * length
        moment = first
        while moment < end:
            yield moment
            moment += length


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    region: Region | None = None
    national: bool = False
    supervisors: list[str] = Field(default_factory=list)
    rotations: list[Rotation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _region_or_national(self) -> Self:
        if self.national == (self.region is not None):
            raise ValueError(f"team {self.name!r}: give a region, or national: true (not both)")
        return self

    @property
    def key(self) -> str:
        return NATIONAL if self.national else str(self.region)


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: str
    role: RoleName = "primary"
    start: datetime
    end: datetime
    agent: str
    replaces: str | None = None
    note: str = Field(default="", max_length=200)


class RosterDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    timezone: str = DEFAULT_TIMEZONE
    people: list[Person] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [t.name for t in self.teams]
        if len(set(names)) != len(names):
            raise ValueError("two teams have the same name")
        keys = [t.key for t in self.teams]
        for key in set(keys):
            if keys.count(key) > 1:
                raise ValueError(f"more than one team for {key}")
        if NATIONAL not in keys and self.teams:
            raise ValueError("a roster needs a national team (national: true)")
        people = [p.username for p in self.people]
        if len(set(people)) != len(people):
            raise ValueError("a person is listed twice under people")
        zone = ZoneInfo(self.timezone)
        for o in self.overrides:
            if o.team not in names:
                raise ValueError(f"override for unknown team {o.team!r}")
            o.start, o.end = _aware(o.start, zone), _aware(o.end, zone)
            if o.end <= o.start:
                raise ValueError(f"override for {o.team} ends before it starts")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def usernames(self) -> set[str]:
        found = {p.username for p in self.people}
        for team in self.teams:
            found.update(team.supervisors)
            for rotation in team.rotations:
                found.update(rotation.order)
        for o in self.overrides:
            found.add(o.agent)
            if o.replaces:
                found.add(o.replaces)
        return found

    def team(self, key: str) -> Team | None:
        return next((t for t in self.teams if t.key == key), None)

    def team_for(self, region: str | None, abroad: bool | None = False) -> Team | None:
        """The team a case goes to: its region's, or the national team when unknown or abroad."""
        if region and not abroad:
            regional = self.team(region)
            if regional is not None:
                return regional
        return self.team(NATIONAL)

    def person(self, username: str) -> Person | None:
        return next((p for p in self.people if p.username == username), None)

    def on_call(self, team: Team, role: RoleName, moment: datetime) -> list[str]:
        """Usernames holding ``role`` in ``team`` at ``moment``, overrides applied, rotation order kept."""
        held: list[str] = []
        for rotation in team.rotations:
            if rotation.role == role and (found := rotation.at(moment, self.zone)) is not None:
                held.append(found[0])
        for o in self.overrides:
            if o.team == team.name and o.role == role and o.start <= moment < o.end:
                # Without ``replaces`` the override holds the whole role for its window.
                held = [o.agent] if o.replaces is None else [o.agent if u == o.replaces else u for u in held]
        return list(dict.fromkeys(held))

    def next_handoff(self, team: Team, moment: datetime) -> datetime | None:
        """When ``team``'s primary on call next changes hands after ``moment``."""
        candidates: list[datetime] = []
        for rotation in team.rotations:
            if rotation.role == "primary":
                candidates.extend(
                    rotation.boundaries(
                        moment + timedelta(microseconds=1), moment + timedelta(days=15), self.zone
                    )
                )
        for o in self.overrides:
            if o.team == team.name and o.role == "primary":
                candidates.extend(t for t in (o.start, o.end) if t > moment)
        return min(candidates, default=None)

    def boundaries(self, team: Team, start: datetime, end: datetime) -> list[datetime]:
        points = {start}
        for rotation in team.rotations:
            points.update(rotation.boundaries(start, end, self.zone))
        for o in self.overrides:
            if o.team == team.name:
                points.update(t for t in (o.start, o.end) if start < t < end)
        return sorted(points)

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Every person's continuous time on call between ``start`` and ``end``, by team and role."""
        out: list[Shift] = []
        for team in self.teams:
            points = [*self.boundaries(team, start, end), end]
            for role in ("primary", "backup"):
                open_: dict[str, datetime] = {}
                for left in points[:-1]:
                    holders = set(self.on_call(team, role, left))
                    for username in [u for u in open_ if u not in holders]:
                        out.append(Shift(team.name, team.key, role, username, open_.pop(username), left))
                    for username in holders:
                        open_.setdefault(username, left)
                for username, since in open_.items():
                    out.append(Shift(team.name, team.key, role, username, since, end))
        return sorted(out, key=lambda s: (s.start, s.team, s.role, s.username))

    def gaps(self, start: datetime, end: datetime, *, active: Iterable[str] | None = None) -> list[Gap]:
        """Windows during which a region (or the national team) has no primary on call.

        ``active``: the usernames that exist and may work; anyone else holding a shift counts as nobody.
        """
        allowed = None if active is None else set(active)
        out: list[Gap] = []
        for key in (*REGIONS, NATIONAL):
            team = self.team(key)
            if team is None:
                out.append(Gap(key, start, end))
                continue
            points = [*self.boundaries(team, start, end), end]
            gap_start: datetime | None = None
            for left in points[:-1]:
                holders = [u for u in self.on_call(team, "primary", left) if allowed is None or u in allowed]
                if not holders and gap_start is None:
                    gap_start = left
                elif holders and gap_start is not None:
                    out.append(Gap(key, gap_start, left))
                    gap_start = None
            if gap_start is not None:
                out.append(Gap(key, gap_start, end))
        return out

    def dump(self) -> str:
        """The readable YAML form, phones left out."""
        data = self.model_dump(mode="json", exclude_none=True, exclude={"people": {"__all__": {"phone"}}})
        zone = self.zone
        for raw, o in zip(data.get("overrides", []), self.overrides, strict=True):
            raw["start"] = o.start.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
            raw["end"] = o.end.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        for team in data.get("teams", []):
            for rotation in team.get("rotations", []):
                rotation["handoff"] = rotation["handoff"][:5]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


@dataclass(frozen=True, slots=True)
class Shift:
    team: str
    team_key: str
    role: str
    username: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Gap:
    team_key: str
    start: datetime
    end: datetime

    def hours(self) -> int:
        """Clock hours this gap touches."""
        first = self.start.replace(minute=0, second=0, microsecond=0)
        return int(-(-(self.end - first) // timedelta(hours=1)))


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_roster(text: str, source: str = "roster") -> RosterDocument:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RosterError(f"{source}: not YAML ({str(exc).splitlines()[0]})") from None
    return roster_from(raw, source)


def roster_from(raw: object, source: str = "roster") -> RosterDocument:
    try:
        return RosterDocument.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "document"
        raise RosterError(f"{source}: {where}: {err['msg']}") from None


EMPTY_ROSTER = RosterDocument()
