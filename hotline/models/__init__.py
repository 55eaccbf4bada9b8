"""ORM models, one module per aggregate, all on one metadata (``Base.metadata``) for Alembic."""

from hotline.models.agent import Agent, Role, SignInThrottle
from hotline.models.audit import AuditEntry
from hotline.models.base import Base, utcnow
from hotline.models.case import Case, CaseStatus
from hotline.models.console import CaseNote, ConsoleSession
from hotline.models.contact import Contact
from hotline.models.escalation import EscalationStep, Notification, StepState
from hotline.models.messaging import OptOut, OutboundMessage
from hotline.models.outbox import OutboxEntry
from hotline.models.referral import Partner, PartnerContact, Referral, ReferralLink
from hotline.models.roster import AgentReach, Roster
from hotline.models.stats import StatsCaseRollup, StatsContactRollup, StatsReferralRollup, StatsRefresh

__all__ = [
    "Agent",
    "AgentReach",
    "AuditEntry",
    "Base",
    "Case",
    "CaseNote",
    "CaseStatus",
    "ConsoleSession",
    "Contact",
    "EscalationStep",
    "Notification",
    "OptOut",
    "OutboundMessage",
    "OutboxEntry",
    "Partner",
    "PartnerContact",
    "Referral",
    "ReferralLink",
    "Role",
    "Roster",
    "SignInThrottle",
    "StatsCaseRollup",
    "StatsContactRollup",
    "StatsReferralRollup",
    "StatsRefresh",
    "StepState",
    "utcnow",
]
