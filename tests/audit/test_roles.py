"""The runtime role cannot switch off, remove or get round the audit log's append-only guard.

The grants of docs/operations.md (Database roles) are run, as written there, by an owner that is not
a superuser, on a database of its own; the audit log is then written and verified as the runtime
role, and every statement that would let it rewrite history is refused by PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select

from hotline.audit import checkpoint as signed
from hotline.audit import service as audit
from hotline.audit.verify import verify
from hotline.core.db import create_engine, create_session_factory, unit_of_work
from hotline.core.migrations import upgrade
from hotline.core.runtime import build_runtime
from hotline.intake.gateway import accept
from hotline.intake.service import IncomingContact
from hotline.intake.worker import Worker
from hotline.models import Case
from tests.conftest import make_settings
from tests.fixtures.env import PG_ADMIN_DSN

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
GRANTS = re.compile(r"<!-- roles:grants -->\s*```sql\n(.*?)```", re.DOTALL)
SUFFIX = f"t{os.getpid()}"

REFUSED = [
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_log_no_update_delete ON audit_log",
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$ BEGIN RETURN NEW; END; "
    "$$ LANGUAGE plpgsql",
    "DROP FUNCTION audit_log_refuse_change() CASCADE",
    "SET session_replication_role = replica",
    "UPDATE audit_log SET action = 'case.closed' WHERE seq = 1",
    "DELETE FROM audit_log WHERE seq = 1",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log RENAME TO audit_log_old",
    "DROP TABLE audit_log CASCADE",
    "CREATE TRIGGER forge BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
]


def at_noon() -> datetime:
    return datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    database: str

    def url(self, role: str) -> str:
        return f"postgresql+asyncpg://{role}@127.0.0.1:5432/{self.database}"

    def dsn(self, role: str) -> str:
        return f"postgresql://{role}@127.0.0.1:5432/{self.database}"


def grants(roles: Roles) -> str:
    found = GRANTS.search(DOC.read_text(encoding="utf-8"))
    assert found is not None, "docs/operations.md lost its grants block"
    sql = found.group(1)
    for name, actual in (
        ("hotline_owner", roles.owner),
        ("hotline_app", roles.app),
        ("hotline", roles.database),
    ):
        sql = re.sub(rf"\b{name}\b(?!_)", actual, sql)
    return sql


@pytest.fixture
async def roles() -> AsyncIterator[Roles]:
    made = Roles(
        owner=f"hotline_owner_{SUFFIX}", app=f"hotline_app_{SUFFIX}", database=f"hotline_roles_{SUFFIX}"
    )
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)

    async def drop() -> None:
        await admin.execute(f'DROP DATABASE IF EXISTS "{made.database}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{made.app}"')
        await admin.execute(f'DROP ROLE IF EXISTS "{made.owner}"')

    try:
        await drop()
        await admin.execute(f'CREATE ROLE "{made.owner}" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB')
        await admin.execute(f'CREATE ROLE "{made.app}" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB')
        await admin.execute(f'CREATE DATABASE "{made.database}" OWNER "{made.owner}"')
        await admin.execute(f'REVOKE ALL ON DATABASE "{made.database}" FROM PUBLIC')
        yield made
    finally:
        await drop()
        await admin.close()


async def as_role(roles: Roles, role: str, statement: str) -> None:
    connection = await asyncpg.connect(roles.dsn(role), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.mark.parametrize("backend", ["postgres"])
async def test_the_runtime_role_writes_the_log_but_cannot_rewrite_it(
    roles: Roles, tmp_path: Path, backend: str
) -> None:
    await asyncio.to_thread(upgrade, roles.url(roles.owner))
    await as_role(roles, roles.owner, grants(roles))

    # The service itself, as the runtime role: a report is accepted, triaged and opened as a case.
    runtime = build_runtime(make_settings(roles.url(roles.app), tmp_path))
    try:
        recorded = await accept(
            runtime,
            IncomingContact("twilio", "SM" + "7" * 32, "sms", "r" * 64, body="ils ont pris mon passeport"),
        )
        assert recorded.outbox_id is not None
        await runtime.queue.publish(recorded.outbox_id)
        worker = Worker(runtime, block_seconds=0.1)
        while await worker.run_once():
            pass
        async with runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Case)) == 1
            opened = (await verify(session)).checked
            assert opened >= 2, "the pipeline audits the contact and the case"
    finally:
        await runtime.close()

    engine = create_engine(make_settings(roles.url(roles.app), tmp_path), pooled=False)
    sessions = create_session_factory(engine)
    try:
        async with unit_of_work(sessions) as session:
            for n in range(3):
                await audit.append(session, actor="system", action="case.viewed", details={"n": n})
        async with sessions() as session:
            assert (await verify(session)).checked == opened + 3
            made = await signed.take(session, signed.new_signing_key(), at_noon)
            assert made.size == opened + 3
    finally:
        await engine.dispose()

    for statement in REFUSED:
        # Refused for want of a privilege, not by the trigger (whose error says "append-only").
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match=r"permission denied|must be owner"):
            await as_role(roles, roles.app, statement)

    # The owner could do all of it (hence the separate roles); nothing was changed.
    owner = await asyncpg.connect(roles.dsn(roles.owner), timeout=5)
    try:
        async with owner.transaction():
            await owner.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
            await owner.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete")
        assert await owner.fetchval("SELECT count(*) FROM audit_log") == opened + 3
    finally:
        await owner.close()
