"""The one place the process reads the wall clock.

Everything on a tested path takes the time from a :data:`Clock` (the runtime's, or one passed
in), never from ``datetime.now`` itself: a test that pins its moments (a roster's shift, an
escalation's deadline) then drives every reader with the same hand-held clock, and passes on
any date. ``tests/test_clock.py`` fails when a module outside this one reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: Returns the current moment, timezone-aware, in UTC.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, in UTC: the default of every :data:`Clock`."""
    return datetime.now(UTC)
