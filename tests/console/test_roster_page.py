"""The roster page: who is on call now and in the next 24 h; a supervisor swaps a shift window."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Role, Roster
from hotline.routing.roster import DEFAULT_TIMEZONE, roster_from
from hotline.routing.service import import_roster
from tests.console.conftest import BrowserFactory, signed_in_as
from tests.fixtures.accounts import make_agent


def _cell(html: str, region: str) -> str:
    found = re.search(rf'<tr id="oncall-{region}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {region}"
    return found.group(1)


async def _roster(runtime: Runtime) -> None:
    for name in ("alice", "dave", "nina", "erin"):
        await make_agent(runtime, name, Role.agent, ("Littoral",))
    start = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    document = roster_from(
        {
            "teams": [
                {
                    "name": "Littoral",
                    "region": "Littoral",
                    "rotations": [
                        {
                            "role": "primary",
                            "shift_hours": 24,
                            "handoff": "07:00",
                            "start": start,
                            "order": ["alice"],
                        },
                        {
                            "role": "backup",
                            "shift_hours": 24,
                            "handoff": "07:00",
                            "start": start,
                            "order": ["dave"],
                        },
                    ],
                },
                {
                    "name": "National",
                    "national": True,
                    "rotations": [
                        {
                            "role": "primary",
                            "shift_hours": 24,
                            "handoff": "08:00",
                            "start": start,
                            "order": ["nina"],
                        }
                    ],
                },
            ]
        }
    )
    async with unit_of_work(runtime.sessions) as session:
        await import_roster(session, document, keyring=runtime.keyring, pepper=runtime.pepper)


async def test_a_supervisor_sees_who_is_on_call_now_and_swaps_a_window(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    """The swap is a new roster version through routing's import, and the page shows the new holder."""
    await _roster(runtime)
    async with await signed_in_as(runtime, browser, "sue", Role.supervisor) as sue:
        page = await sue.client.get("/console/roster")
        assert page.status_code == 200
        littoral = _cell(page.text, "Littoral")
        assert "alice" in littoral and "dave" in littoral and "erin" not in littoral
        assert "nina" in _cell(page.text, "national")
        assert "nobody" in _cell(page.text, "Centre") or "personne" in _cell(page.text, "Centre")
        zone_now = datetime.now(UTC).astimezone(ZoneInfo(DEFAULT_TIMEZONE))
        swap = await sue.post(
            "/console/roster/override",
            {
                "team": "Littoral",
                "role": "primary",
                "start": (zone_now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "end": (zone_now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
                "agent": "erin",
                "replaces": "alice",
                "note": "swap",
            },
        )
        assert swap.status_code == 303, swap.text
        after = await sue.client.get(swap.headers["location"])
        littoral = _cell(after.text, "Littoral")
        assert "erin" in littoral and "alice" not in littoral
        unknown = await sue.post(
            "/console/roster/override",
            {
                "team": "Littoral",
                "role": "primary",
                "start": "2030-01-01T07:00",
                "end": "2030-01-01T19:00",
                "agent": "zed",
            },
        )
        assert unknown.status_code == 422
        backwards = await sue.post(
            "/console/roster/override",
            {
                "team": "Littoral",
                "role": "primary",
                "start": "2030-01-02T07:00",
                "end": "2030-01-01T19:00",
                "agent": "erin",
            },
        )
        assert backwards.status_code == 422
    versions = (await session.execute(select(Roster.id))).scalars().all()
    assert len(versions) == 2, "one new version for the swap, none for the refusals"
    actions = list((await session.execute(select(AuditEntry.action))).scalars())
    assert actions.count("roster.override_added") == 1


async def test_an_agent_or_analyst_is_refused_the_roster(runtime: Runtime, browser: BrowserFactory) -> None:
    await _roster(runtime)
    for username, role in (("al", Role.agent), ("ann", Role.analyst)):
        async with await signed_in_as(runtime, browser, username, role) as b:
            assert (await b.client.get("/console/roster")).status_code == 403
            swap = await b.post(
                "/console/roster/override",
                {
                    "team": "Littoral",
                    "role": "primary",
                    "start": "2030-01-01T07:00",
                    "end": "2030-01-01T19:00",
                    "agent": "erin",
                },
            )
            assert swap.status_code == 403
