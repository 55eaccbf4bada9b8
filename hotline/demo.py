"""Demo data: fictional accounts and reports, for a trial or a training room."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hotline.agents.service import REGIONS, create_agent, find_by_username
from hotline.core.clock import system_clock
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.intake.gateway import accept, publish
from hotline.intake.identity import caller_ref_for
from hotline.intake.service import IncomingContact
from hotline.models import Partner, Role
from hotline.referrals.directory import demo_directory, import_directory
from hotline.routing.repository import current_roster
from hotline.routing.roster import EMPTY_ROSTER, roster_from
from hotline.routing.service import import_roster


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    regions: tuple[str, ...] = ()


DEMO_LOGINS = (
    DemoLogin("agent.littoral", "demo-agent-1503", Role.agent, ("Littoral", "Sud-Ouest")),
    DemoLogin("agent.centre", "demo-agent-1503", Role.agent, ("Centre", "Est", "Sud")),
    DemoLogin("supervisor", "demo-super-1503", Role.supervisor),
    DemoLogin("analyst", "demo-analyst-1503", Role.analyst),
    DemoLogin("admin", "demo-admin-1503", Role.admin),
)

# Fictional reports; numbers are from the reserved demo range and never reach anyone.
DEMO_REPORTS = (
    (
        "sms",
        "+237690000001",
        "Bonsoir, une fillette de 12 ans à Bonabéri (Douala) fait le ménage jour et nuit "
        "chez ma voisine, jamais payée, elle ne va pas à l'école.",
    ),
    (
        "whatsapp",
        "whatsapp:+237690000002",
        "My brother is in Agadez, the driver left them in the desert, "
        "no water since yesterday. Please help. We are in Bamenda.",
    ),
    (
        "sms",
        "+237690000003",
        "On m'a proposé un travail de ménagère au Koweït, billet gratuit, l'agence garde "
        "le passeport. Je pars la semaine prochaine de Yaoundé. C'est normal?",
    ),
    ("sms", "+237690000004", "Comment obtenir un passeport pour voyager légalement ?"),
)


def demo_roster() -> dict[str, Any]:
    """Every region and the national team covered around the clock by the two demo agents, in
    12-hour shifts handing over at 07:00 and 19:00 Douala time, the supervisor supervising.
    No phones: in a demo every alert stays in the console."""
    local, centre = "agent.littoral", "agent.centre"

    def rotations(first: str, second: str) -> list[dict[str, Any]]:
        shift = {"shift_hours": 12, "handoff": "07:00", "start": "2026-01-01"}
        return [
            {"role": "primary", **shift, "order": [first, second]},
            {"role": "backup", **shift, "order": [second, first]},
        ]

    teams: list[dict[str, Any]] = [
        {
            "name": region,
            "region": region,
            "supervisors": ["supervisor"],
            "rotations": rotations(local, centre)
            if region in DEMO_LOGINS[0].regions
            else rotations(centre, local),
        }
        for region in REGIONS
    ]
    teams.append(
        {
            "name": "National",
            "national": True,
            "supervisors": ["supervisor"],
            "rotations": rotations(centre, local),
        }
    )
    return {"version": 1, "timezone": "Africa/Douala", "teams": teams}


async def seed(runtime: Runtime) -> list[DemoLogin]:
    """Create the demo accounts that do not exist yet, and a few demo reports on a fresh database."""
    created: list[DemoLogin] = []
    async with unit_of_work(runtime.sessions) as session:
        for login in DEMO_LOGINS:
            if await find_by_username(session, login.username) is None:
                await create_agent(
                    session,
                    username=login.username,
                    password=login.password,
                    role=login.role,
                    regions=login.regions,
                )
                created.append(login)
        if await current_roster(session) is EMPTY_ROSTER:
            await import_roster(
                session,
                roster_from(demo_roster()),
                keyring=runtime.keyring,
                pepper=runtime.pepper,
                imported_by="demo",
            )
        if (await session.execute(select(Partner.id).limit(1))).first() is None:
            await import_directory(session, demo_directory(), now=system_clock())
    if created:
        for index, (channel, sender, body) in enumerate(DEMO_REPORTS):
            recorded = await accept(
                runtime,
                IncomingContact(
                    provider="demo",
                    provider_id=f"demo-report-{index}",
                    channel=channel,
                    caller_ref=caller_ref_for(sender, runtime.pepper),
                    body=body,
                    training=runtime.settings.training,
                ),
            )
            await publish(runtime, recorded.outbox_id)
    return created
