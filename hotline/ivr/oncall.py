"""Who to <Dial> when a caller is in danger: a small Protocol the routing package will fill.

Until rosters exist (the routing issue), every region rings one configured number,
``HOTLINE_EMERGENCY_NUMBER``. Routing plugs in its own directory on the Runtime
(``runtime.on_call``) without the IVR changing.
"""

from __future__ import annotations

from typing import Protocol


class OnCallDirectory(Protocol):
    async def number_for(self, region: str | None) -> str | None:
        """The E.164 number of the agent on call for ``region`` now (None: nobody to ring).

        ``region`` is one of the ten region names, ``"abroad"``, or None when the caller has not
        said. Called from a webhook, so it must answer fast: no outbound HTTP.
        """
        ...


class ConfiguredOnCall:
    """One number for every region, from settings; None when none is configured."""

    def __init__(self, number: str | None) -> None:
        self.number = number or None

    async def number_for(self, region: str | None) -> str | None:
        return self.number
