"""The database and the spool alone reveal no caller's words; the app still reads them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.core.db import create_engine, create_session_factory
from hotline.core.runtime import Runtime
from hotline.intake.gateway import amend_contact, replay_spool
from hotline.intake.spool import Spool
from hotline.intake.worker import Worker
from hotline.models import Case, Contact, Role
from hotline.privacy.sealed import contact_body, contact_callback_number
from tests.fixtures.accounts import bearer, make_agent, token_for
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, call_form, post_signed, sms_form

WORDS = "Ma cousine Mireille est enfermée chez un patron, il la frappe tous les soirs"
# Words no triage lexicon knows: they can only come from the message itself. (Triage reasons
# quote the lexicon phrases they matched, such as 'enfermée'; see docs/privacy.md.)
PRIVATE = ("Mireille", "cousine", "patron", WORDS)
NUMBER = "+237677123456"


async def dump(connection: AsyncConnection) -> str:
    """Every value of every table, as text, the way someone holding a copy would read it."""
    parts = []
    names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert "contacts" in names
    for name in names:
        for row in (await connection.execute(text(f"SELECT * FROM {name}"))).all():  # noqa: S608
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


async def test_the_raw_database_holds_no_body_or_callback_number_yet_triage_and_the_api_work(
    client: httpx.AsyncClient, runtime: Runtime, connection: AsyncConnection
) -> None:
    sms = sms_form(sender=NUMBER, body=WORDS, account_sid=ACCOUNT_SID)
    assert (
        await post_signed(
            client, "/twilio/sms/incoming", sms, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
        )
    ).status_code == 200
    call = call_form(caller=NUMBER, account_sid=ACCOUNT_SID)
    await post_signed(
        client, "/twilio/voice/incoming", call, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )
    await amend_contact(
        runtime, provider="twilio", provider_id=call["CallSid"], text=WORDS, callback_number=NUMBER
    )
    worker = Worker(runtime, block_seconds=0.2)
    while await worker.run_once():
        pass

    raw = await dump(connection)
    for private in PRIVATE:
        assert private not in raw
    assert NUMBER[1:] not in raw and "677123456" not in raw

    # The pipeline read the sealed words: both cases are triaged from them.
    async with runtime.sessions() as session:
        categories = (await session.execute(select(Case.category))).scalars().all()
        contacts = (await session.execute(select(Contact).order_by(Contact.channel))).scalars().all()
    assert categories == ["trafficking", "trafficking"]
    assert [contact_body(runtime.keyring, c) for c in contacts] == [WORDS, WORDS]
    assert [contact_callback_number(runtime.keyring, c) for c in contacts] == [None, NUMBER]

    await make_agent(runtime, "sup", Role.supervisor)
    listed = await client.get("/api/v1/cases", headers=bearer(await token_for(client, "sup")))
    assert listed.status_code == 200
    assert listed.json()["total"] == 2


async def test_a_spooled_report_is_sealed_on_disk_and_replays_whole(runtime: Runtime, tmp_path: Path) -> None:
    down_settings = runtime.settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/x"}
    )
    engine = create_engine(down_settings)
    spool_dir = tmp_path / "sealed-spool"
    down = dataclasses.replace(
        runtime,
        settings=down_settings,
        engine=engine,
        sessions=create_session_factory(engine),
        spool=Spool(spool_dir),
    )
    from hotline.intake.gateway import accept
    from hotline.intake.service import IncomingContact

    await accept(
        down,
        IncomingContact(
            provider="twilio", provider_id="SM" + "e" * 32, channel="sms", caller_ref="z" * 64, body=WORDS
        ),
    )
    await amend_contact(down, provider="twilio", provider_id="SM" + "e" * 32, callback_number=NUMBER)
    await engine.dispose()
    on_disk = "".join(p.read_text() for p in spool_dir.iterdir())
    assert on_disk.count('"sealed"') == 2
    for private in PRIVATE:
        assert private not in on_disk
    assert "677123456" not in on_disk

    assert await replay_spool(dataclasses.replace(runtime, spool=Spool(spool_dir))) == 2
    async with runtime.sessions() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
    assert contact_body(runtime.keyring, contact) == WORDS
    assert contact_callback_number(runtime.keyring, contact) == NUMBER
