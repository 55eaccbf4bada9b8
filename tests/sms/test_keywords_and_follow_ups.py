"""STOP/START, STATUS, and texts that follow up an open case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.models import AuditEntry, Case, CaseStatus, Contact, OptOut
from hotline.sms.templates import default_templates
from tests.fixtures.messaging import contacts, drain, reply_of, text

T = default_templates()
MILD = "Bonjour, mon cousin travaille dans un champ à Bafoussam, le patron ne le paie plus depuis 2 mois"
URGENT = "Ils l'ont enfermé ce soir, ils le frappent, il a 15 ans, venez vite"


async def cases(session: AsyncSession) -> list[Case]:
    session.expire_all()
    return list((await session.execute(select(Case).order_by(Case.created_at))).scalars().all())


async def test_stop_ends_automatic_replies_but_reports_are_still_taken_until_start(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """After STOP/ARRET a caller_ref gets no automatic message; the report itself is still stored."""
    assert reply_of(await text(client, "Arrêt !")) == T.render("stopped", "fr")
    assert await session.scalar(select(func.count()).select_from(OptOut)) == 1
    assert reply_of(await text(client, MILD)) is None, "no automatic reply after STOP"
    assert reply_of(await text(client, "allo")) is None, "no dialogue either"
    assert [c.body for c in await contacts(runtime, session)] == [MILD, "allo"]
    assert reply_of(await text(client, "START")) == T.render("started", "fr"), "START is in both lists"
    assert reply_of(await text(client, URGENT)) is not None


async def test_stop_is_per_caller_and_whatsapp_shares_the_callers_choice(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await text(client, "STOP", sender="+237690000001")
    assert reply_of(await text(client, MILD, sender="whatsapp:+237690000001")) is None
    assert reply_of(await text(client, MILD, sender="+237690000002")) is not None


async def test_stop_inside_a_sentence_is_a_report_not_a_keyword(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    reply = reply_of(await text(client, "stop them, they beat my sister every night in Limbe"))
    assert reply is not None and reply.startswith("Thank you")
    assert await session.scalar(select(func.count()).select_from(OptOut)) == 0
    assert len(await contacts(runtime, session)) == 1


async def test_status_answers_only_the_number_that_opened_the_case_in_neutral_words(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """STATUS REF tells the case's status to its own caller_ref, and the same 'not found' to anyone else."""
    await text(client, URGENT)
    [stored] = await contacts(runtime, session)
    reference = stored.row.reference
    spaced = f"{reference[:4]} {reference[4:]}"
    assert reply_of(await text(client, f"STATUT {spaced}")) == T.render(
        "status_new", "fr", reference=reference
    )
    await drain(runtime)
    await session.execute(update(Case).values(status=CaseStatus.acknowledged.value))
    assert reply_of(await text(client, f"status {reference}")) == T.render(
        "status_acknowledged", "en", reference=reference
    )
    stranger = reply_of(await text(client, f"STATUS {reference}", sender="+237690000077"))
    assert stranger == T.render("status_unknown", "en")
    assert reply_of(await text(client, "STATUS 12345670")) == T.render("status_unknown", "en")
    assert reply_of(await text(client, "STATUS")) == T.render("status_usage", "en")


async def test_a_text_within_14_days_joins_the_open_case_and_raises_its_severity(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """A follow-up from the same caller_ref is attached to the open case, re-triaged, and shown as activity."""
    await text(client, MILD)
    await drain(runtime)
    [case] = await cases(session)
    case_id, reference = case.id, case.reference
    assert case.severity in ("medium", "high")

    follow_up = reply_of(await text(client, URGENT))
    assert follow_up == T.render("follow_up", "fr", reference=reference)
    await drain(runtime)
    [joined] = await cases(session)
    assert joined.id == case_id, "no second case"
    assert joined.severity == "critical" and joined.minor is True
    later = next(c for c in await contacts(runtime, session) if c.body == URGENT)
    assert later.row.case_id == case_id
    actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "contact.attached" in actions


async def test_a_follow_up_that_is_milder_does_not_lower_the_case(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await text(client, URGENT)
    await drain(runtime)
    await text(client, "merci")
    await drain(runtime)
    [case] = await cases(session)
    assert case.severity == "critical"


async def test_another_caller_a_closed_case_or_an_old_case_gets_a_new_case(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await text(client, MILD)
    await drain(runtime)
    await text(client, URGENT, sender="+237690000055")
    await drain(runtime)
    assert len(await cases(session)) == 2, "another number is another case"

    await session.execute(update(Case).values(status=CaseStatus.closed.value))
    await text(client, URGENT)
    await drain(runtime)
    assert len(await cases(session)) == 3, "a closed case is not joined"

    old = datetime.now(UTC) - timedelta(days=15)
    await session.execute(update(Case).values(status=CaseStatus.in_progress.value, updated_at=old))
    await text(client, URGENT)
    await drain(runtime)
    assert len(await cases(session)) == 4, "a case quiet for 15 days is not joined"


async def test_withheld_numbers_are_never_joined_together(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Senders without a usable number share one caller_ref; their reports stay separate cases."""
    for body in (MILD, URGENT):
        reply = reply_of(await text(client, body, sender="MTN-Promo"))
        assert reply is not None
        await Worker(runtime, block_seconds=0.2).run_once()
    assert len(await cases(session)) == 2


async def test_the_two_halves_of_a_split_text_are_one_story_under_one_reference(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: the second half of a long SMS that Twilio did not concatenate, arriving before the worker
    opened the first half's case, is told the first half's reference, and both land in that one case."""
    first_half = "Ma cousine de 16 ans travaille chez un couple a Bonaberi, ils ont pris ses papiers et"
    second_half = " ne la laissent pas sortir, elle dort par terre et ne recoit aucun salaire depuis mai."
    first = reply_of(await text(client, first_half, sid="SM" + "a" * 32))
    second = reply_of(await text(client, second_half.strip(), sid="SM" + "b" * 32))
    [opened, *_] = await contacts(runtime, session)
    reference = opened.row.reference
    assert first == T.render("received", "fr", reference=reference)
    assert second == T.render("follow_up", "fr", reference=reference)
    again = reply_of(await text(client, second_half.strip(), sid="SM" + "b" * 32))
    assert again == second, "Twilio's retry of the second half names the same reference"
    await drain(runtime)
    assert [c.reference for c in await cases(session)] == [reference]
    again = reply_of(await text(client, second_half.strip(), sid="SM" + "b" * 32))
    assert again == second, "and so does a retry after the case opened"


async def test_a_text_from_someone_else_or_much_later_is_not_the_same_story(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await text(client, MILD)
    other = reply_of(await text(client, URGENT, sender="+237690000099"))
    told = {c.row.reference for c in await contacts(runtime, session)}
    assert other in {T.render("received", "fr", reference=r) for r in told}
    await session.execute(update(Contact).values(received_at=runtime.clock() - timedelta(hours=1)))
    later = reply_of(await text(client, URGENT))
    [newest] = [c.row.reference for c in await contacts(runtime, session) if c.row.reference not in told]
    assert later == T.render("received", "fr", reference=newest)


async def test_a_late_retry_of_stop_after_start_does_not_opt_out_again(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Rule: a keyword's MessageSid, like any other, is answered once; its retry replays the reply."""
    stopped = reply_of(await text(client, "STOP", sid="SM" + "5" * 32))
    started = reply_of(await text(client, "START", sid="SM" + "6" * 32))
    assert reply_of(await text(client, "STOP", sid="SM" + "5" * 32)) == stopped
    assert await session.scalar(select(func.count()).select_from(OptOut)) == 0, "START still holds"
    assert reply_of(await text(client, "START", sid="SM" + "6" * 32)) == started
    assert reply_of(await text(client, URGENT)) is not None, "reports are answered again"
