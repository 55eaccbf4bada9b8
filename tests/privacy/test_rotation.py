"""Key rotation: stopped or crashed half-way, everything still opens; run again, it finishes."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from hotline.audit.verify import verify
from hotline.core.crypto import key_id_of
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Agent, AuditEntry, Contact, Role
from hotline.privacy.rotation import rotate
from hotline.privacy.sealed import (
    AGENT_PHONE,
    SealedColumn,
    agent_phone,
    contact_answers,
    contact_body,
    contact_callback_number,
    set_agent_phone,
)
from tests.fixtures.accounts import make_agent
from tests.fixtures.env import DATA_KEYS
from tests.privacy.reports import SPOKEN, WORDS, call_report, text_report

NOW = datetime(2026, 12, 1, tzinfo=UTC)
NEW_KEY = "t2:" + base64.b64encode(b"\x02" * 32).decode()


def with_keys(runtime: Runtime, keys: str) -> Runtime:
    return dataclasses.replace(
        runtime, settings=runtime.settings.model_copy(update={"data_keys": SecretStr(keys)})
    )


async def sealed_values(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        contacts = (await session.execute(select(Contact))).scalars().all()
        agents = (await session.execute(select(Agent))).scalars().all()
    values = [v for c in contacts for v in (c.body_enc, c.answers_enc, c.callback_number_enc) if v]
    return values + [a.phone_enc for a in agents if a.phone_enc]


async def everything_opens(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        contacts = (await session.execute(select(Contact).order_by(Contact.channel))).scalars().all()
        agents = (await session.execute(select(Agent))).scalars().all()
    keyring = runtime.keyring
    assert sorted(contact_body(keyring, c) or "" for c in contacts) == sorted([WORDS, WORDS, SPOKEN])
    assert [contact_callback_number(keyring, c) for c in contacts if c.channel == "voice"] == [
        "+237677123456"
    ]
    assert all(isinstance(contact_answers(keyring, c), dict) for c in contacts)
    assert [agent_phone(keyring, a) for a in agents] == ["+237699111222"]


async def seed(runtime: Runtime) -> None:
    await text_report(runtime, "+237677123456")
    await text_report(runtime, "+237677000001")
    await call_report(runtime, "+237677123456")
    agent = await make_agent(runtime, "agent.sud", Role.agent)
    async with unit_of_work(runtime.sessions) as session:
        row = await session.get_one(Agent, agent.id)
        set_agent_phone(runtime.keyring, row, "+237699111222")


async def test_a_rotation_stopped_and_one_crashed_half_way_both_resume_to_completion(
    runtime: Runtime,
) -> None:
    """Half-rotated data stays readable; running the rotation again finishes it; then the old key can go."""
    await seed(runtime)
    assert {key_id_of(v) for v in await sealed_values(runtime)} == {"t1"}
    rotating = with_keys(runtime, f"{NEW_KEY},{DATA_KEYS}")

    stopped = await rotate(rotating, now=NOW, batch=2, max_batches=1)
    values = await sealed_values(runtime)
    assert not stopped.complete and 0 < stopped.total < len(values)
    assert {key_id_of(v) for v in values} == {"t1", "t2"}
    halfway = sum(key_id_of(v) == "t2" for v in values)
    await everything_opens(rotating)

    class Crash(Exception):
        pass

    async def crash(_column: SealedColumn, _count: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        await rotate(rotating, now=NOW, batch=2, before_commit=crash)
    after_crash = sum(key_id_of(v) == "t2" for v in await sealed_values(runtime))
    assert after_crash == halfway, "a crashed batch leaves nothing"
    await everything_opens(rotating)

    finished = await rotate(rotating, now=NOW, batch=2)
    assert finished.complete
    assert stopped.total + finished.total == len(values), "every value re-sealed exactly once"
    assert f"{AGENT_PHONE.table}.{AGENT_PHONE.column}" in finished.resealed
    assert {key_id_of(v) for v in await sealed_values(runtime)} == {"t2"}
    await everything_opens(with_keys(runtime, NEW_KEY))  # the old key is no longer needed

    again = await rotate(rotating, now=NOW, batch=2)
    assert again.complete and again.total == 0
    async with runtime.sessions() as session:
        report = await verify(session)
        events = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "keys.rotated").order_by(AuditEntry.seq)
            )
        ).scalars()
        completes = [e.details["complete"] for e in events]
    assert report.ok
    assert completes == [False, True, True]


async def test_a_value_under_a_key_no_longer_listed_is_reported_not_lost(runtime: Runtime) -> None:
    await text_report(runtime, "+237677123456")
    report = await rotate(with_keys(runtime, NEW_KEY), now=NOW)
    assert not report.complete and report.unreadable == 1
    assert {key_id_of(v) for v in await sealed_values(runtime)} == {"t1"}, "left as it was"
