"""Health, readiness and metrics."""

from __future__ import annotations

import dataclasses

import httpx

from hotline.core.queue import RedisStreamQueue
from hotline.core.runtime import Runtime
from tests.conftest import app_for
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, post_signed, sms_form


async def test_healthz_and_readyz_answer_when_everything_is_up(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["queue"] == "ok"


async def test_readyz_is_503_when_redis_is_down(runtime: Runtime) -> None:
    down = RedisStreamQueue.from_url("redis://127.0.0.1:1/0")
    transport = httpx.ASGITransport(app=app_for(dataclasses.replace(runtime, queue=down)))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ready = await client.get("/readyz")
    await down.close()
    assert ready.status_code == 503
    assert ready.json()["checks"]["queue"] == "unreachable"


async def test_metrics_count_webhooks_by_route_and_outcome(client: httpx.AsyncClient) -> None:
    form = sms_form(sender="+237690000001", body="bonjour", account_sid=ACCOUNT_SID)
    await post_signed(
        client, "/twilio/sms/incoming", form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )
    await post_signed(
        client, "/twilio/sms/incoming", form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )
    await client.post("/twilio/sms/incoming", data=form)
    text = (await client.get("/metrics")).text
    assert 'hotline_webhooks_total{outcome="stored",route="sms.incoming"} 1.0' in text
    assert 'hotline_webhooks_total{outcome="duplicate",route="sms.incoming"} 1.0' in text
    assert 'hotline_webhooks_total{outcome="unsigned",route="/twilio/sms/incoming"} 1.0' in text
    assert "hotline_webhook_seconds_bucket" in text
    assert "hotline_queue_lag" in text
    assert "hotline_spool_depth 0.0" in text
    assert "hotline_outbox_pending 1.0" in text
