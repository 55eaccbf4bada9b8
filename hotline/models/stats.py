"""Statistics rollups: counts per day and per pair of dimensions, never a case.

The worker keeps them fresh (:mod:`hotline.stats.rollup`); every statistics query reads
only these tables, so a query costs the same on a thousand cases as on a million, and
nothing case-level can leave the statistics module by mistake.

``StatsCaseRollup`` has one row per day and *grouping*: ``dims`` names up to two
dimensions (``""``, ``"region"``, ``"category,region"``, sorted), ``a`` and ``b`` hold
their values. Times to first acknowledgement are kept as a histogram (``h00``…``h19``,
bucket bounds in :data:`hotline.stats.rollup.ACK_BUCKETS_MINUTES`), so that medians and
90th percentiles can be estimated for any combination of days and cells.

``StatsReferralRollup`` counts referrals by the day they were sent, with every label a
referral table can be grouped by in its key (few referrals a day, so the full cross is
small), and histograms of the hours from sending to acceptance (``a00``…) and to
completion (``c00``…), bucket bounds in :data:`hotline.stats.rollup.REFERRAL_BUCKETS_HOURS`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base
from hotline.models.case import Case
from hotline.models.contact import Contact
from hotline.models.referral import Referral

ACK_BUCKET_COUNT = 20
REFERRAL_BUCKET_COUNT = 18


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
    # Sums of the record hashes of the cases counted in each figure, for the cell-key method
    # of :mod:`hotline.stats.perturbation` (the query keys them with the secret).
    key_cases: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    key_acknowledged: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    key_settled: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    key_met: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
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
    key_contacts: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class StatsReferralRollup(Base):
    """Referrals sent per day, case region and category, partner type and outcome (current status)."""

    __tablename__ = "stats_referral_rollup"

    day: Mapped[date] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    partner_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(24), primary_key=True)
    referrals: Mapped[int] = mapped_column(default=0)
    # Referrals with a time to acceptance (accepted at some point), and to completion.
    accepted: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    key_referrals: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    key_accepted: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    key_completed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    a00: Mapped[int] = mapped_column(default=0)
    a01: Mapped[int] = mapped_column(default=0)
    a02: Mapped[int] = mapped_column(default=0)
    a03: Mapped[int] = mapped_column(default=0)
    a04: Mapped[int] = mapped_column(default=0)
    a05: Mapped[int] = mapped_column(default=0)
    a06: Mapped[int] = mapped_column(default=0)
    a07: Mapped[int] = mapped_column(default=0)
    a08: Mapped[int] = mapped_column(default=0)
    a09: Mapped[int] = mapped_column(default=0)
    a10: Mapped[int] = mapped_column(default=0)
    a11: Mapped[int] = mapped_column(default=0)
    a12: Mapped[int] = mapped_column(default=0)
    a13: Mapped[int] = mapped_column(default=0)
    a14: Mapped[int] = mapped_column(default=0)
    a15: Mapped[int] = mapped_column(default=0)
    a16: Mapped[int] = mapped_column(default=0)
    a17: Mapped[int] = mapped_column(default=0)
    c00: Mapped[int] = mapped_column(default=0)
    c01: Mapped[int] = mapped_column(default=0)
    c02: Mapped[int] = mapped_column(default=0)
    c03: Mapped[int] = mapped_column(default=0)
    c04: Mapped[int] = mapped_column(default=0)
    c05: Mapped[int] = mapped_column(default=0)
    c06: Mapped[int] = mapped_column(default=0)
    c07: Mapped[int] = mapped_column(default=0)
    c08: Mapped[int] = mapped_column(default=0)
    c09: Mapped[int] = mapped_column(default=0)
    c10: Mapped[int] = mapped_column(default=0)
    c11: Mapped[int] = mapped_column(default=0)
    c12: Mapped[int] = mapped_column(default=0)
    c13: Mapped[int] = mapped_column(default=0)
    c14: Mapped[int] = mapped_column(default=0)
    c15: Mapped[int] = mapped_column(default=0)
    c16: Mapped[int] = mapped_column(default=0)
    c17: Mapped[int] = mapped_column(default=0)


class StatsRefresh(Base):
    """How far the rollups are known to be fresh (cases updated before ``watermark``)."""

    __tablename__ = "stats_refresh"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    watermark: Mapped[datetime]


# The refresh finds changed cases and referrals by ``updated_at`` and recent contacts by ``received_at``.
Index("ix_cases_updated_at", Case.updated_at)
Index("ix_contacts_received_at", Contact.received_at)
Index("ix_referrals_updated_at", Referral.updated_at)
