"""A new report costs one statement on PostgreSQL, and that statement also answers the reply's questions.

These run on a runtime that really commits (``committed_runtime``), which on PostgreSQL writes
through autocommit connections: no BEGIN/COMMIT around the one statement. Counting statements
is what keeps the saving from quietly coming undone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Connection, event, func, select

from hotline.core.runtime import Runtime
from hotline.models import Case, Contact, OutboxEntry
from hotline.sms.templates import default_templates
from tests.conftest import app_for
from tests.fixtures.messaging import drain, reply_of, text

T = default_templates()
REPORT = "Bonjour, mon cousin travaille dans un champ à Bafoussam, le patron ne le paie plus depuis 2 mois"
MORE = "Le patron a pris ses papiers aussi"


@pytest.fixture
async def client(committed_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_for(committed_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def statements_of(runtime: Runtime) -> list[tuple[str, bool]]:
    """Every statement the runtime's engine runs, and whether it ran outside a transaction."""
    seen: list[tuple[str, bool]] = []

    def count(conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        seen.append((statement, conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"))

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    return seen


async def test_a_new_report_is_one_committed_statement_on_postgresql(
    committed_runtime: Runtime, client: httpx.AsyncClient, backend: str
) -> None:
    statements = statements_of(committed_runtime)
    reply = reply_of(await text(client, REPORT))
    assert reply is not None and "Merci" in reply
    if backend == "postgres":
        assert committed_runtime.autocommit is not None
        [(statement, autocommit)] = statements
        assert statement.lstrip().upper().startswith("WITH"), "contact, outbox and lookups together"
        assert autocommit, "no BEGIN and COMMIT around it: two round trips fewer"
    else:
        assert committed_runtime.autocommit is None, "SQLite writes in a unit of work"
        assert len(statements) == 4, statements  # BEGIN IMMEDIATE, contact, outbox, lookups
    # Committed before the answer: another connection sees both rows.
    async with committed_runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 1
        assert await session.scalar(select(func.count()).select_from(OutboxEntry)) == 1


async def test_the_statement_knows_the_callers_stop_and_open_case(
    committed_runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await text(client, REPORT)
    await drain(committed_runtime)
    async with committed_runtime.sessions() as session:
        reference = (await session.execute(select(Case.reference))).scalar_one()
    assert reply_of(await text(client, MORE)) == T.render("follow_up", "fr", reference=reference)

    assert reply_of(await text(client, "STOP")) == T.render("stopped", "fr")
    assert reply_of(await text(client, MORE + " encore")) is None, "the opt-out, read with the insert"
    async with committed_runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 3, "still stored"
