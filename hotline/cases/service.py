"""Opening cases and applying the machine's assessment to them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Case, CaseStatus, Contact

SEVERITY_RANK: Mapping[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}
#: A text from the same caller within this time of a case's last activity joins that case.
FOLLOW_UP_WINDOW = timedelta(days=14)
#: Channels whose reply names the case a follow-up joined (the IVR speaks the contact's own reference).
FOLLOW_UP_CHANNELS = frozenset({"sms", "whatsapp", "ussd"})


class AssessmentLike(Protocol):
    """What triage hands over (``hotline.triage.Assessment`` has these fields)."""

    @property
    def category(self) -> str: ...
    @property
    def form(self) -> str | None: ...
    @property
    def severity(self) -> str: ...
    @property
    def minor(self) -> bool: ...
    @property
    def imminent_danger(self) -> bool: ...
    @property
    def region(self) -> str | None: ...
    @property
    def abroad(self) -> bool: ...
    @property
    def language(self) -> str: ...
    @property
    def reasons(self) -> Sequence[str]: ...


def apply_assessment(case: Case, assessment: AssessmentLike, *, version: str, now: datetime) -> None:
    case.category = assessment.category
    case.form = assessment.form
    case.severity = assessment.severity
    case.minor = assessment.minor
    case.imminent_danger = assessment.imminent_danger
    case.region = assessment.region
    case.abroad = assessment.abroad
    case.language = assessment.language
    case.reasons = list(assessment.reasons)
    case.triage_version = version
    case.triaged_at = now


def raises_severity(case: Case, assessment: AssessmentLike) -> bool:
    """A new look at a case only replaces the verdict when it is more urgent (or the first one)."""
    if case.severity is None:
        return True
    return SEVERITY_RANK[assessment.severity] > SEVERITY_RANK[case.severity]


async def open_for_contact(
    session: AsyncSession, contact: Contact, assessment: AssessmentLike, *, version: str, now: datetime
) -> Case:
    """A new case under the reference the caller was already told."""
    case = Case(
        reference=contact.reference,
        channel=contact.channel,
        caller_ref=contact.caller_ref,
        training=contact.training,
        created_at=contact.received_at,
        updated_at=now,
    )
    apply_assessment(case, assessment, version=version, now=now)
    session.add(case)
    await session.flush()
    contact.case_id = case.id
    await session.flush()
    return case


def _open_case_criteria(caller_ref: Any, since: Any, training: Any) -> list[ColumnElement[bool]]:
    """What makes a case the one a caller's new text follows up (values or bind parameters)."""
    return [
        Case.caller_ref == caller_ref,
        Case.status != CaseStatus.closed.value,
        Case.training == training,
        Case.updated_at >= since,
    ]


async def open_case_of_caller(
    session: AsyncSession,
    caller_ref: str,
    *,
    now: datetime,
    training: bool,
    exclude_reference: str | None = None,
    window: timedelta = FOLLOW_UP_WINDOW,
) -> Case | None:
    """The caller's most recent case that is not closed and was active within ``window``."""
    statement = (
        select(Case)
        .where(*_open_case_criteria(caller_ref, now - window, training))
        .order_by(Case.updated_at.desc())
        .limit(1)
    )
    if exclude_reference is not None:
        statement = statement.where(Case.reference != exclude_reference)
    return (await session.execute(statement)).scalar_one_or_none()


def open_case_reference_lookup(label: str) -> Any:
    """:func:`open_case_of_caller`'s reference as a labelled scalar subquery, to ride in another
    statement (:class:`hotline.intake.service.Lookups`). Bind parameters: ``open_case_caller_ref``,
    ``open_case_since`` (now minus the window), ``open_case_training``, ``open_case_exclude``
    (the reference of the report being answered)."""
    return (
        select(Case.reference)
        .where(
            *_open_case_criteria(
                bindparam("open_case_caller_ref", type_=Case.caller_ref.type),
                bindparam("open_case_since", type_=Case.updated_at.type),
                bindparam("open_case_training", type_=Case.training.type),
            ),
            Case.reference != bindparam("open_case_exclude", type_=Case.reference.type),
        )
        .order_by(Case.updated_at.desc())
        .limit(1)
        .scalar_subquery()
        .label(label)
    )


def open_case_lookup_params(
    caller_ref: str,
    *,
    now: datetime,
    training: bool,
    exclude_reference: str,
    window: timedelta = FOLLOW_UP_WINDOW,
) -> dict[str, Any]:
    return {
        "open_case_caller_ref": caller_ref,
        "open_case_since": now - window,
        "open_case_training": training,
        "open_case_exclude": exclude_reference,
    }
