"""ORM models, one module per aggregate, all on one metadata (``Base.metadata``) for Alembic."""

from hotline.models.agent import Agent, Role
from hotline.models.audit import AuditEntry
from hotline.models.base import Base, utcnow
from hotline.models.case import Case, CaseStatus
from hotline.models.contact import Contact
from hotline.models.outbox import OutboxEntry

__all__ = ["Agent", "AuditEntry", "Base", "Case", "CaseStatus", "Contact", "OutboxEntry", "Role", "utcnow"]
