"""The migration that sealed personal data seals the rows already there, and its downgrade opens them."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hotline.core.crypto import Keyring
from hotline.core.migrations import downgrade, upgrade
from tests.conftest import drop_pg_database, recreate_pg_database
from tests.fixtures.env import DATA_KEYS

BEFORE, SEALING = "11014feb97ca", "5b82163ca05d"
PG_DB = f"hotline_seal_migration_{os.getpid()}"
CONTACT = uuid.UUID("6f1c0d7e-0000-4000-8000-000000000001")
WORDS = "Ma cousine Mireille est enfermée à Bépanda"


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'seal.sqlite3'}"
        return
    asyncio.run(recreate_pg_database(PG_DB))
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
    asyncio.run(drop_pg_database(PG_DB))


def contacts(columns: list[str]) -> sa.TableClause:
    types = {"id": sa.Uuid(), "answers": sa.JSON()}
    return sa.table("contacts", *(sa.column(name, types.get(name, sa.Text())) for name in columns))


async def _insert_plain(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO contacts (id, provider, provider_id, channel, caller_ref, reference, answers, "
                "received_at, training) VALUES (:id, 'twilio', 'SM1', 'sms', :ref, '40312345', '{}', :at, false)"
            ).bindparams(
                sa.bindparam("id", type_=sa.Uuid()), sa.bindparam("at", type_=sa.DateTime(timezone=True))
            ),
            {"id": CONTACT, "ref": "r" * 64, "at": datetime(2026, 11, 1, tzinfo=UTC)},
        )
        table = contacts(["id", "body", "answers"])
        await conn.execute(
            table.update().where(table.c.id == CONTACT).values(body=WORDS, answers={"menu": "trafficking"})
        )
    await engine.dispose()


async def _read(url: str, columns: list[str]) -> dict[str, object]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        table = contacts(["id", *columns])
        row = (
            await conn.execute(sa.select(*(table.c[c] for c in columns)).where(table.c.id == CONTACT))
        ).one()
    await engine.dispose()
    return dict(row._mapping)


def test_existing_contacts_are_sealed_on_upgrade_and_opened_on_downgrade(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATA_KEYS", DATA_KEYS)
    upgrade(database, BEFORE)
    asyncio.run(_insert_plain(database))
    upgrade(database, SEALING)

    sealed = asyncio.run(_read(database, ["body_enc", "answers_enc"]))
    keyring = Keyring.parse(DATA_KEYS)
    assert isinstance(sealed["body_enc"], str) and WORDS not in sealed["body_enc"]
    assert keyring.open(sealed["body_enc"], f"contacts.body_enc:{CONTACT}") == WORDS
    assert keyring.open_json(str(sealed["answers_enc"]), f"contacts.answers_enc:{CONTACT}") == {
        "menu": "trafficking"
    }

    downgrade(database, BEFORE)
    assert asyncio.run(_read(database, ["body", "answers"])) == {
        "body": WORDS,
        "answers": {"menu": "trafficking"},
    }
