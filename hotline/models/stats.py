"""Statistics rollups: counts per day and per pair of dimensions, never a case.

The worker keeps them fresh (:mod:`hotline.stats.rollup`); every statistics query reads
only these tables, so a query costs the same on a thousand cases as on a million, and
nothing case-level can leave the statistics module by mistake.

``StatsCaseRollup`` has one row per day and *grouping*: ``dims`` names up to two
dimensions (``""``, ``"region"``, ``"category,region"``, sorted), ``a`` and ``b`` hold
their values. Times to first acknowledgement are kept as a histogram (``h00``…``h19``,
bucket bounds in :data:`hotline.stats.rollup.ACK_BUCKETS_MINUTES`), so that medians and
90th percentiles can be estimated for any combination of days and cells.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base
from hotline.models.case import Case
from hotline.models.contact import Contact

ACK_BUCKET_COUNT = 20


class StatsCaseRollup(Base):
    __tablename__ = "stats_case_rollup"

    # Primary key in query order: a query names one grouping and a range of days.
    dims: Mapped[str] = mapped_column(String(48), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    a: Mapped[str] = mapped_column(String(32), primary_key=True)
    b: Mapped[str] = mapped_column(String(32), primary_key=True)
    cases: Mapped[int] = mapped_column(default=0)
    # Cases whose SLA was settled: acknowledged in time, or breached.
    sla_met: Mapped[int] = mapped_column(default=0)
    sla_breached: Mapped[int] = mapped_column(default=0)
    acknowledged: Mapped[int] = mapped_column(default=0)
    h00: Mapped[int] = mapped_column(default=0)
    h01: Mapped[int] = mapped_column(default=0)
    h02: Mapped[int] = mapped_column(default=0)
    h03: Mapped[int] = mapped_column(default=0)
    h04: Mapped[int] = mapped_column(default=0)
    h05: Mapped[int] = mapped_column(default=0)
    h06: Mapped[int] = mapped_column(default=0)
    h07: Mapped[int] = mapped_column(default=0)
    h08: Mapped[int] = mapped_column(default=0)
    h09: Mapped[int] = mapped_column(default=0)
    h10: Mapped[int] = mapped_column(default=0)
    h11: Mapped[int] = mapped_column(default=0)
    h12: Mapped[int] = mapped_column(default=0)
    h13: Mapped[int] = mapped_column(default=0)
    h14: Mapped[int] = mapped_column(default=0)
    h15: Mapped[int] = mapped_column(default=0)
    h16: Mapped[int] = mapped_column(default=0)
    h17: Mapped[int] = mapped_column(default=0)
    h18: Mapped[int] = mapped_column(default=0)
    h19: Mapped[int] = mapped_column(default=0)


class StatsContactRollup(Base):
    """Contacts per day, channel and outcome (report, abandoned, unanswered, open)."""

    __tablename__ = "stats_contact_rollup"

    day: Mapped[date] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    contacts: Mapped[int] = mapped_column(default=0)


class StatsRefresh(Base):
    """How far the rollups are known to be fresh (cases updated before ``watermark``)."""

    __tablename__ = "stats_refresh"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    watermark: Mapped[datetime]


# The refresh finds changed cases by ``updated_at`` and recent contacts by ``received_at``.
Index("ix_cases_updated_at", Case.updated_at)
Index("ix_contacts_received_at", Contact.received_at)
