"""Issue 20, points 8-9: /readyz tells its details to internal callers only, and says when the
spool's disk is running out (before a report could no longer be stored)."""

from __future__ import annotations

import dataclasses

import httpx

from hotline.core.runtime import Runtime
from tests.conftest import app_for


async def test_a_caller_from_outside_gets_the_status_alone(client: httpx.AsyncClient) -> None:
    """Issue 20: /readyz told anyone which regions have nobody on call."""
    outside = await client.get("/readyz", headers={"X-Forwarded-For": "41.202.219.10"})  # through the proxy
    assert outside.status_code == 200 and outside.json() == {"status": "degraded"}
    inside = await client.get("/readyz")  # the probe on this host
    assert "nobody_on_call" in inside.json()["checks"]["on_call"]


async def test_a_spool_disk_short_of_room_is_degraded_before_it_fills(runtime: Runtime) -> None:
    """Below HOTLINE_SPOOL_MIN_FREE_BYTES free on the spool's disk, /readyz says degraded (still 200:
    the replica stores reports in the database) and /metrics gives the free space to alert on."""
    settings = runtime.settings.model_copy(update={"spool_min_free_bytes": 10**18})
    transport = httpx.ASGITransport(app=app_for(dataclasses.replace(runtime, settings=settings)))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ready = await client.get("/readyz")
        metrics = (await client.get("/metrics")).text
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["spool"] == "low"
    assert ready.json()["checks"]["spool_free_bytes"] > 0
    assert "hotline_spool_free_bytes " in metrics
