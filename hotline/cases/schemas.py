"""The JSON shape of a case (CONTRACTS.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from hotline.models import Agent, Case


class AssigneeOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str


class CaseOut(BaseModel):
    id: uuid.UUID
    reference: str
    status: str
    channel: str
    created_at: datetime
    category: str | None
    form: str | None
    severity: str | None
    minor: bool | None
    imminent_danger: bool | None
    region: str | None
    abroad: bool | None
    language: str | None
    reasons: list[str]
    triage_version: str | None
    assignee: AssigneeOut | None
    ack_deadline: datetime | None
    escalation: dict[str, Any] | None
    training: bool

    @classmethod
    def of(cls, case: Case, assignee: Agent | None) -> CaseOut:
        return cls(
            id=case.id,
            reference=case.reference,
            status=case.status,
            channel=case.channel,
            created_at=case.created_at,
            category=case.category,
            form=case.form,
            severity=case.severity,
            minor=case.minor,
            imminent_danger=case.imminent_danger,
            region=case.region,
            abroad=case.abroad,
            language=case.language,
            reasons=list(case.reasons or []),
            triage_version=case.triage_version,
            assignee=(
                AssigneeOut(id=assignee.id, username=assignee.username, display_name=assignee.display_name)
                if assignee
                else None
            ),
            ack_deadline=case.ack_deadline,
            escalation=case.escalation,
            training=case.training,
        )


class CaseList(BaseModel):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int
