"""Retention with an injected clock: each kind of personal data goes on its day, statistics stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.audit.verify import verify
from hotline.core.runtime import Runtime
from hotline.core.telephony import InMemoryTelephony, TwilioTelephony
from hotline.models import AuditEntry, Case
from hotline.privacy.retention import run_retention, strip_quotes
from hotline.privacy.sealed import contact_answers, contact_body, contact_callback_number
from tests.fixtures.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.privacy.reports import SPOKEN, WORDS, aggregates, call_report, close, contact, text_report

NUMBER = "+237677123456"
CLOSED = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return CLOSED + timedelta(days=n)


async def purges(runtime: Runtime) -> list[tuple[str | None, object]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.subject, AuditEntry.details).where(AuditEntry.action == "retention.purged")
        )
        return [(subject, details["kind"]) for subject, details in rows]


async def test_each_kind_goes_on_its_own_day_and_the_statistics_stay(runtime: Runtime) -> None:
    """Callback numbers go when the case closes, recordings after 90 days, words after 365."""
    assert isinstance(runtime.telephony, InMemoryTelephony)
    texted = await text_report(runtime, NUMBER)
    called = await call_report(runtime, NUMBER)
    for report in (texted, called):
        await close(runtime, report.case_id, CLOSED)
    before = await aggregates(runtime)
    keyring = runtime.keyring

    await run_retention(runtime, now=day(0))
    voice = await contact(runtime, called.contact_id)
    assert contact_callback_number(keyring, voice) is None
    assert contact_body(keyring, voice) == SPOKEN
    assert await purges(runtime) == [(str(called.case_id), "callback_number")]

    await run_retention(runtime, now=day(89))
    assert runtime.telephony.deleted_recordings == []
    await run_retention(runtime, now=day(90))
    assert runtime.telephony.deleted_recordings == [called.recording_sid]
    voice = await contact(runtime, called.contact_id)
    assert "recording_sid" not in contact_answers(keyring, voice)
    assert contact_answers(keyring, voice)["menu"] == "trafficking"
    assert contact_body(keyring, voice) == SPOKEN

    await run_retention(runtime, now=day(364))
    assert contact_body(keyring, await contact(runtime, texted.contact_id)) == WORDS
    await run_retention(runtime, now=day(365))
    for report in (texted, called):
        gone = await contact(runtime, report.contact_id)
        assert gone.body_enc is None and gone.answers_enc is None and gone.callback_number_enc is None
    async with runtime.sessions() as session:
        cases = (await session.execute(select(Case))).scalars().all()
        report = await verify(session)
    assert all(case.purged_at == day(365) for case in cases)
    assert all("'" not in reason for case in cases for reason in case.reasons)
    assert await aggregates(runtime) == before, "statistics must count the same after a purge"
    assert report.ok
    assert sorted(await purges(runtime), key=str) == sorted(
        [
            (str(called.case_id), "callback_number"),
            (str(called.case_id), "recording"),
            (str(texted.case_id), "content"),
            (str(called.case_id), "content"),
        ],
        key=str,
    )
    assert runtime.telephony.deleted_recordings == [called.recording_sid], "each recording deleted once"


async def test_a_dry_run_counts_and_changes_nothing(runtime: Runtime) -> None:
    called = await call_report(runtime, NUMBER)
    await close(runtime, called.case_id, CLOSED)
    async with runtime.sessions() as session:
        entries = len((await session.execute(select(AuditEntry.seq))).all())

    report = await run_retention(runtime, now=day(400), dry_run=True)
    assert (report.callback_numbers, report.recordings, report.contents) == (1, 1, 1)
    assert "would purge" in report.summary()
    kept = await contact(runtime, called.contact_id)
    assert contact_body(runtime.keyring, kept) == SPOKEN
    assert contact_callback_number(runtime.keyring, kept) == NUMBER
    assert isinstance(runtime.telephony, InMemoryTelephony)
    assert runtime.telephony.deleted_recordings == []
    async with runtime.sessions() as session:
        assert len((await session.execute(select(AuditEntry.seq))).all()) == entries


async def test_open_cases_are_never_purged(runtime: Runtime) -> None:
    """However old, what a caller said on a case still being worked is kept."""
    called = await call_report(runtime, NUMBER)
    await run_retention(runtime, now=datetime.now(UTC) + timedelta(days=3650))
    kept = await contact(runtime, called.contact_id)
    assert contact_body(runtime.keyring, kept) == SPOKEN
    assert contact_callback_number(runtime.keyring, kept) == NUMBER


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_recording_twilio_cannot_delete_now_is_kept_for_the_next_run(
    runtime: Runtime, fake_twilio: FakeTwilio
) -> None:
    """The recording's Sid is never dropped before Twilio confirmed the deletion."""
    runtime.telephony = TwilioTelephony(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_url=fake_twilio.url, from_number="+2371503"
    )
    try:
        called = await call_report(runtime, NUMBER)
        await close(runtime, called.case_id, CLOSED)
        fake_twilio.fail_next(1, 503)
        failed = await run_retention(runtime, now=day(400))
        assert failed.recordings_failed == 1
        kept = await contact(runtime, called.contact_id)
        assert contact_answers(runtime.keyring, kept)["recording_sid"] == called.recording_sid
        assert contact_body(runtime.keyring, kept) == SPOKEN, "words wait with the recording"

        retried = await run_retention(runtime, now=day(401))
        assert (retried.recordings, retried.recordings_failed) == (1, 0)
        assert fake_twilio.deleted_recordings == [called.recording_sid]
        gone = await contact(runtime, called.contact_id)
        assert gone.body_enc is None and gone.answers_enc is None
    finally:
        await runtime.telephony.close()


def test_reasons_keep_the_rule_and_lose_the_words() -> None:
    assert strip_quotes(
        ["violence: 'frappe'", "region Littoral: 'Bépanda'", "severity critical: danger now"]
    ) == [
        "violence",
        "region Littoral",
        "severity critical: danger now",
    ]


async def test_the_worker_runs_retention_once_a_day(runtime: Runtime) -> None:
    """The worker purges daily: due at first, not again until a day has passed since the last run."""
    from hotline.intake.worker import Worker

    called = await call_report(runtime, NUMBER)
    await close(runtime, called.case_id, CLOSED)
    now = [day(1)]
    worker = Worker(runtime, clock=lambda: now[0])
    assert await worker.retention_if_due() is True
    assert contact_callback_number(runtime.keyring, await contact(runtime, called.contact_id)) is None
    now[0] = day(1) + timedelta(hours=23)
    assert await worker.retention_if_due() is False
    assert await Worker(runtime, clock=lambda: now[0]).retention_if_due() is False, "another worker agrees"
    now[0] = day(2) + timedelta(minutes=1)
    assert await worker.retention_if_due() is True
    async with runtime.sessions() as session:
        runs = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "retention.completed"))
        ).all()
    assert len(runs) == 2
