"""Nothing is lost when a part is down: Redis, PostgreSQL, or the worker itself.

Each test uses the real servers; "down" is a closed port (or a killed process), not a mock.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from hotline.core.db import autocommit_engine, create_engine, create_session_factory
from hotline.core.queue import RedisStreamQueue
from hotline.core.runtime import Runtime
from hotline.intake.gateway import replay_spool
from hotline.intake.spool import Spool
from hotline.intake.worker import Worker
from hotline.main import create_app
from hotline.models import Case, Contact
from hotline.privacy.sealed import contact_body
from tests.conftest import app_for
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, post_signed, sms_form

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"
CLOSED_PORT_PG = "postgresql+asyncpg://postgres@127.0.0.1:1/hotline_test"
BODY = "Mon frère est bloqué à Agadez sans argent, il veut rentrer au Cameroun"


async def post(runtime: Runtime, form: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await post_signed(
            client, "/twilio/sms/incoming", form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
        )


async def drain(worker: Worker) -> None:
    while await worker.run_once():
        pass


@pytest.mark.parametrize("backend", ["postgres"])
async def test_redis_down_at_webhook_time_the_report_is_stored_and_processed_when_it_returns(
    runtime: Runtime, redis_queue: RedisStreamQueue
) -> None:
    down = RedisStreamQueue.from_url(CLOSED_PORT_REDIS)
    answer = await post(
        dataclasses.replace(runtime, queue=down),
        sms_form(sender="+237690000001", body=BODY, account_sid=ACCOUNT_SID),
    )
    await down.close()
    assert answer.status_code == 200
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 1
        assert await session.scalar(select(func.count()).select_from(Case)) == 0

    back = dataclasses.replace(runtime, queue=redis_queue)
    worker = Worker(back, block_seconds=0.2)
    assert await worker.sweep() == 1
    await drain(worker)
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 1


@pytest.mark.parametrize("backend", ["postgres"])
async def test_postgres_down_at_webhook_time_the_caller_is_answered_and_the_spool_replays_exactly_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "outage-spool"
    down_settings = runtime.settings.model_copy(
        update={"database_url": CLOSED_PORT_PG, "spool_dir": spool_dir}
    )
    down_engine = create_engine(down_settings)
    down = dataclasses.replace(
        runtime,
        settings=down_settings,
        engine=down_engine,
        sessions=create_session_factory(down_engine),
        spool=Spool(spool_dir),
        autocommit=autocommit_engine(down_engine),  # as in production: one-statement writes
    )
    assert down.autocommit is not None
    form = sms_form(sender="+237690000001", body=BODY, account_sid=ACCOUNT_SID)
    first = await post(down, form)
    retry = await post(down, form)  # Twilio retries: same reference, not a second report
    await down_engine.dispose()
    assert first.status_code == retry.status_code == 200
    assert first.text == retry.text
    assert "Ref " in first.text
    assert down.spool.depth() == 2

    # The database is back: a replayer using the same spool directory drains it.
    up = dataclasses.replace(runtime, spool=Spool(spool_dir))
    assert await replay_spool(up) == 2
    assert await replay_spool(up) == 0
    assert up.spool.depth() == 0
    async with runtime.sessions() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
    assert f"Ref {contact.reference}" in first.text
    assert contact_body(runtime.keyring, contact) == BODY

    await drain(Worker(up, block_seconds=0.2))
    async with runtime.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.reference == contact.reference


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_spool_line_already_in_the_database_replays_as_a_no_op(
    runtime: Runtime, tmp_path: Path
) -> None:
    form = sms_form(sender="+237690000001", body=BODY, account_sid=ACCOUNT_SID)
    stored = await post(runtime, form)
    spool = Spool(tmp_path / "dup-spool")
    from hotline.intake.service import IncomingContact

    await spool.append(
        IncomingContact(
            provider="twilio", provider_id=form["MessageSid"], channel="sms", caller_ref="x" * 64, body=BODY
        ).to_spool()
    )
    assert await replay_spool(dataclasses.replace(runtime, spool=spool)) == 1
    async with runtime.sessions() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
    assert f"Ref {contact.reference}" in stored.text


async def test_a_torn_last_spool_line_is_skipped_and_the_rest_replayed(
    runtime: Runtime, tmp_path: Path
) -> None:
    from hotline.intake.service import IncomingContact

    spool = Spool(tmp_path / "torn")
    await spool.append(
        IncomingContact(
            provider="twilio", provider_id="SM" + "b" * 32, channel="sms", caller_ref="y" * 64, body="ok"
        ).to_spool()
    )
    with next(spool.directory.iterdir()).open("ab") as handle:
        handle.write(b'{"kind": "contact.rec')
    assert await replay_spool(dataclasses.replace(runtime, spool=spool)) == 1
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 1


@pytest.mark.parametrize("backend", ["postgres"])
async def test_the_service_starts_while_postgresql_is_down(
    runtime: Runtime, tmp_path: Path, real_logging: io.StringIO
) -> None:
    """Opening the pool early at start-up must not turn a database outage into a service outage."""
    down_settings = runtime.settings.model_copy(
        update={"database_url": CLOSED_PORT_PG, "spool_dir": tmp_path / "spool", "redis_url": None}
    )
    app = create_app(down_settings, with_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            form = sms_form(sender="+237690000001", body=BODY, account_sid=ACCOUNT_SID)
            answer = await post_signed(
                client, "/twilio/sms/incoming", form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
            )
    assert answer.status_code == 200 and "Ref " in answer.text, "spooled and answered"
    assert '"event": "db.warm_pool_failed"' in real_logging.getvalue()
