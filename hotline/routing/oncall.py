"""The IVR's ``OnCallDirectory`` from the roster: who to <Dial> for a caller in danger, now.

The region's primary on call (the national team's for ``abroad``, an unknown region, or a
region with nobody on call), the first in rotation order with a phone on file; the configured
``HOTLINE_EMERGENCY_NUMBER`` when the roster has nobody at all. One query and one decryption:
fast enough for a webhook.
"""

from __future__ import annotations

from hotline.core.runtime import Runtime
from hotline.routing import repository
from hotline.routing.reach import phone_of
from hotline.routing.roster import NATIONAL, RoleName


class RosterOnCall:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def number_for(self, region: str | None) -> str | None:
        now = self.runtime.clock()
        async with self.runtime.sessions() as session:
            roster = await repository.current_roster(session)
            keys = [region, NATIONAL] if region and region != "abroad" else [NATIONAL]
            roles: tuple[RoleName, ...] = ("primary", "backup")
            for key in keys:
                team = roster.team(key) if key else None
                if team is None:
                    continue
                for role in roles:
                    names = roster.on_call(team, role, now)
                    found = await repository.agents_by_username(session, names)
                    for name in names:
                        agent = found.get(name)
                        number = phone_of(self.runtime.keyring, agent) if agent is not None else None
                        if number:
                            return number
        return self.runtime.settings.emergency_number or None
