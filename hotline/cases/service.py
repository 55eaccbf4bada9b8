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


#: The verdict's fields, as a case stores them (``reasons`` and the version go with them).
TRIAGE_FIELDS = ("category", "form", "severity", "minor", "imminent_danger", "region", "abroad", "language")
#: Languages a caller can choose in a menu (IVR, USSD) or be answered in (SMS).
CHOSEN_LANGUAGES = frozenset({"fr", "en", "pcm"})
NON_ACTIONABLE = "non_actionable"
#: The topic answers of the menus (IVR, USSD); ``emergency`` is not a topic.
TOPICS = frozenset({"trafficking", "migrant_distress", "returnee_support", "information", "other"})


def _urgent(assessment: AssessmentLike, answers: Mapping[str, object]) -> bool:
    return bool(
        assessment.imminent_danger or answers.get("danger_now") is True or answers.get("menu") == "emergency"
    )


def verdict(assessment: AssessmentLike, answers: Mapping[str, object], text: str | None) -> dict[str, Any]:
    """The case's fields from one assessment and the answers and text it was made on.

    Two answers beat the machine's reading: the language the caller chose in a menu (the
    agent calls back in it) and an emergency before any topic (9, 0, "danger: yes" first),
    which is urgent but of a category nobody knows yet (``None``), never "non actionable"
    and never a category guessed from nothing.
    """
    fields: dict[str, Any] = {name: getattr(assessment, name) for name in TRIAGE_FIELDS}
    if _urgent(assessment, answers) and (
        fields["category"] == NON_ACTIONABLE
        or (not (text or "").strip() and answers.get("menu") not in TOPICS)
    ):
        fields["category"] = None
        fields["form"] = None
    language = answers.get("language")
    if isinstance(language, str) and language in CHOSEN_LANGUAGES:
        fields["language"] = language
    return fields


def apply_assessment(
    case: Case,
    assessment: AssessmentLike,
    *,
    version: str,
    now: datetime,
    answers: Mapping[str, object] | None = None,
    text: str | None = None,
) -> None:
    for name, value in verdict(assessment, answers or {}, text).items():
        setattr(case, name, value)
    case.reasons = list(assessment.reasons)
    case.triage_version = version
    case.triaged_at = now


def _rank(severity: str | None) -> int:
    return -1 if severity is None else SEVERITY_RANK[severity]


def corrected_fields(case: Case) -> frozenset[str]:
    """The fields an agent set to something other than the machine's verdict (``case.override``)."""
    override = case.override or {}
    machine = override.get("machine") or {}
    return frozenset(
        name for name in ("category", "severity") if name in override and override[name] != machine.get(name)
    )


def refined(
    case: Case, assessment: AssessmentLike, answers: Mapping[str, object], text: str | None
) -> dict[str, Any]:
    """The fields a new look at everything the caller said changes on an existing case.

    Fields only move towards more information: a known region replaces none, a category
    replaces "non actionable" (or none), a child or a danger once seen stays, and severity
    never drops on its own. A known region or category may be revised by the look at
    everything, never turned back into none. What an agent corrected (``case.override``)
    stays the agent's.
    """
    new = verdict(assessment, answers, text)
    corrected = corrected_fields(case)
    changes: dict[str, Any] = {}

    def moves(name: str, value: Any) -> None:
        if getattr(case, name) != value:
            changes[name] = value

    if "category" not in corrected and new["category"] not in (None, NON_ACTIONABLE):
        moves("category", new["category"])
        moves("form", new["form"])
    elif "category" not in corrected and case.category == NON_ACTIONABLE and new["category"] is None:
        moves("category", None)  # an emergency said after a first text: urgent, not non actionable
    if "severity" not in corrected and _rank(new["severity"]) > _rank(case.severity):
        moves("severity", new["severity"])
    if new["imminent_danger"] and not case.imminent_danger:
        moves("imminent_danger", True)
    if answers.get("child") in ("yes", "no"):
        moves("minor", new["minor"])  # the caller said so
    elif new["minor"] and not case.minor:
        moves("minor", True)
    if new["region"] is not None:
        moves("region", new["region"])
    if new["abroad"] and not case.abroad:
        moves("abroad", True)
    if new["language"] is not None:
        moves("language", new["language"])
    return changes


def refine_assessment(
    case: Case,
    assessment: AssessmentLike,
    answers: Mapping[str, object],
    text: str | None,
    *,
    version: str,
    now: datetime,
) -> bool:
    """Apply :func:`refined` to the case; True when a field changed (the verdict is new)."""
    changes = refined(case, assessment, answers, text)
    if not changes and case.severity is not None:
        return False
    for name, value in changes.items():
        setattr(case, name, value)
    case.reasons = list(assessment.reasons)
    case.triage_version = version
    case.triaged_at = now
    return True


async def open_for_contact(
    session: AsyncSession,
    contact: Contact,
    assessment: AssessmentLike,
    *,
    version: str,
    now: datetime,
    answers: Mapping[str, object] | None = None,
    text: str | None = None,
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
    apply_assessment(case, assessment, version=version, now=now, answers=answers, text=text)
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


#: Two texts of one caller this close together are one story (a long SMS that Twilio did not
#: concatenate arrives as separate messages): the second is told the first one's reference.
SAME_STORY_WINDOW = timedelta(minutes=15)


def pending_contact_reference_lookup(label: str) -> Any:
    """The reference of the caller's latest text on the same channel that has no case yet
    (the worker has not opened it), within :data:`SAME_STORY_WINDOW`; a labelled scalar
    subquery. Bind parameters: those of :func:`open_case_reference_lookup` and
    ``pending_channel``, ``pending_since``."""
    return (
        select(Contact.reference)
        .where(
            Contact.caller_ref == bindparam("open_case_caller_ref", type_=Contact.caller_ref.type),
            Contact.channel == bindparam("pending_channel", type_=Contact.channel.type),
            Contact.training == bindparam("open_case_training", type_=Contact.training.type),
            Contact.case_id.is_(None),
            Contact.received_at >= bindparam("pending_since", type_=Contact.received_at.type),
            Contact.reference != bindparam("open_case_exclude", type_=Contact.reference.type),
        )
        .order_by(Contact.received_at.desc())
        .limit(1)
        .scalar_subquery()
        .label(label)
    )


async def pending_contact_reference(
    session: AsyncSession,
    caller_ref: str,
    *,
    channel: str,
    now: datetime,
    training: bool,
    exclude_reference: str,
) -> str | None:
    """:func:`pending_contact_reference_lookup`, asked on its own."""
    params = {
        **open_case_lookup_params(
            caller_ref, now=now, training=training, exclude_reference=exclude_reference
        ),
        "pending_channel": channel,
        "pending_since": now - SAME_STORY_WINDOW,
    }
    value = await session.scalar(select(pending_contact_reference_lookup("pending")), params)
    return None if value is None else str(value)


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
