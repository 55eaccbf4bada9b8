"""Export and erasure on request, found through caller_ref: audited, chain valid, statistics intact."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.audit.verify import verify
from hotline.core.runtime import Runtime
from hotline.core.telephony import InMemoryTelephony
from hotline.models import AuditEntry, Case, Contact
from hotline.privacy.requests import RequestError, erase, export, is_erased
from hotline.privacy.sealed import contact_body
from tests.privacy.reports import SPOKEN, WORDS, aggregates, call_report, contact, text_report

NUMBER = "+237677123456"
OTHER = "+237699000111"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def actions(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.sessions() as session:
        return list((await session.execute(select(AuditEntry).where(AuditEntry.action == action))).scalars())


async def test_export_gives_the_person_everything_held_about_their_number_and_is_audited(
    runtime: Runtime,
) -> None:
    await text_report(runtime, NUMBER)
    called = await call_report(runtime, "677 12 34 56")  # the same number, written locally
    await text_report(runtime, OTHER, body="Someone else's report")

    document = await export(runtime, "+237 6 77 12 34 56", now=NOW)
    assert sorted(c["text"] for c in document["contacts"]) == sorted([WORDS, SPOKEN])
    assert len(document["cases"]) == 2
    voice = next(c for c in document["contacts"] if c["channel"] == "voice")
    assert voice["callback_number"] == NUMBER
    assert voice["answers"]["recording_sid"] == called.recording_sid
    assert any(e["action"] == "case.opened" for e in document["audit_events"])
    assert "Someone else" not in json.dumps(document)
    [exported] = await actions(runtime, "privacy.exported")
    assert exported.details == {"cases": 2, "contacts": 2}
    assert NUMBER not in json.dumps(exported.details)


async def test_erase_removes_words_numbers_recordings_and_the_link_yet_keeps_chain_and_statistics(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    texted = await text_report(runtime, NUMBER)
    called = await call_report(runtime, NUMBER)
    other = await text_report(runtime, OTHER, body="Someone else's report about Kousseri")
    before = await aggregates(runtime)

    erased = await erase(runtime, NUMBER, now=NOW)
    assert (erased.cases, erased.contacts, erased.recordings) == (2, 2, 1)
    assert isinstance(runtime.telephony, InMemoryTelephony)
    assert runtime.telephony.deleted_recordings == [called.recording_sid]

    values: list[str] = []
    for name in ("contacts", "cases"):
        for row in (await connection.execute(text(f"SELECT * FROM {name}"))).all():  # noqa: S608
            values.extend(str(value) for value in row)
    raw = "\n".join(values)
    assert "Bépanda" not in raw, "quoted words leave the triage reasons too"
    for report in (texted, called):
        gone = await contact(runtime, report.contact_id)
        assert gone.body_enc is None and gone.answers_enc is None and gone.callback_number_enc is None
        assert is_erased(gone.caller_ref)
    assert contact_body(runtime.keyring, await contact(runtime, other.contact_id)) is not None

    async with runtime.sessions() as session:
        cases = {c.id: c for c in (await session.execute(select(Case))).scalars()}
        report = await verify(session)
    assert is_erased(cases[texted.case_id].caller_ref) and not is_erased(cases[other.case_id].caller_ref)
    assert await aggregates(runtime) == before
    assert report.ok, str(report.problem)
    assert len(await actions(runtime, "privacy.erased")) == 2
    assert (await export(runtime, NUMBER, now=NOW))["contacts"] == [], "nothing links the number any more"


async def test_a_number_filed_under_a_retired_pepper_is_still_found(runtime: Runtime) -> None:
    """After a pepper rotation, requests still reach what was filed under the old caller_ref."""
    await text_report(runtime, NUMBER)
    rotated = dataclasses.replace(
        runtime,
        settings=runtime.settings.model_copy(
            update={
                "caller_pepper": SecretStr("a-brand-new-pepper-0123456789abcdef"),
                "caller_pepper_previous": SecretStr(runtime.pepper),
            }
        ),
    )
    assert len((await export(rotated, NUMBER, now=NOW))["contacts"]) == 1
    forgetful = dataclasses.replace(
        rotated, settings=rotated.settings.model_copy(update={"caller_pepper_previous": SecretStr("")})
    )
    assert (await export(forgetful, NUMBER, now=NOW))["contacts"] == []


async def test_something_that_is_not_a_number_is_refused(runtime: Runtime) -> None:
    with pytest.raises(RequestError, match="not a phone number"):
        await export(runtime, "anonymous", now=NOW)
    async with runtime.sessions() as session:
        assert (await session.execute(select(Contact))).first() is None
