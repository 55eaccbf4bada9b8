"""What a statistics table can be grouped by, and how a case's value is spelled in it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from typing import Final

# Cases are counted on Cameroon's calendar day (WAT, UTC+1 all year, no daylight saving).
LOCAL_OFFSET: Final = timedelta(hours=1)

# In this order everywhere: a grouping's name lists its dimensions in this order.
DIMENSIONS: Final = ("region", "category", "form", "severity", "channel", "minor", "abroad", "language")
# Dimensions whose rare values fold into "other" (regions and severities are fixed lists).
FOLDABLE: Final = frozenset({"category", "form", "channel", "language"})
UNKNOWN: Final = "unknown"
OTHER: Final = "other"
NO_FORM: Final = "none"  # form only applies to trafficking

CONTACT_DIMENSIONS: Final = ("channel", "outcome")
# A referral's outcome is its current status once sent: sent, accepted and in_progress are
# still pending; declined, completed and closed_without_action are final. Region and
# category are its case's.
REFERRAL_DIMENSIONS: Final = ("partner_kind", "outcome", "region", "category")


def grouping_name(dims: tuple[str, ...]) -> str:
    """The rollup key of a set of dimensions: in :data:`DIMENSIONS` order, comma-separated."""
    return ",".join(sorted(dims, key=DIMENSIONS.index))


def all_groupings() -> list[tuple[str, ...]]:
    """Every grouping kept in the rollup: none, each dimension, each pair."""
    out: list[tuple[str, ...]] = [()]
    out.extend((d,) for d in DIMENSIONS)
    out.extend(combinations(DIMENSIONS, 2))
    return out


def spell(dimension: str, value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return NO_FORM if dimension == "form" else UNKNOWN
    return str(value)


def local_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) + LOCAL_OFFSET).date()


def day_start(day: date) -> datetime:
    """The UTC instant at which a local day begins."""
    return datetime.combine(day, time(), tzinfo=UTC) - LOCAL_OFFSET
