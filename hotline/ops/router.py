"""``/healthz`` (the process is alive), ``/readyz`` (it can take reports), ``/metrics``."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

from hotline.core.http import RuntimeDep
from hotline.models import OutboxEntry
from hotline.routing.service import uncovered_now

router = APIRouter(tags=["ops"])
CHECK_TIMEOUT = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database_ok(runtime: RuntimeDep) -> bool:
    try:
        async with runtime.engine.connect() as connection:
            probe = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await asyncio.wait_for(probe.execute(text("SELECT 1")), timeout=CHECK_TIMEOUT)
        return True
    except Exception:
        return False


@router.get("/readyz")
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready when the database and the queue answer. The spool keeps reports safe meanwhile,
    but a load balancer should prefer a replica that can store them directly."""
    checks: dict[str, Any] = {
        "database": "ok" if await _database_ok(runtime) else "unreachable",
        "queue": "ok" if await runtime.queue.ping() else "unreachable",
    }
    spool = runtime.spool.depth()
    checks["spool_depth"] = spool
    ready = checks["database"] == "ok" and checks["queue"] == "ok"
    checks["on_call"] = await _on_call(runtime) if checks["database"] == "ok" else "unknown"
    # Nobody on call is loud (status degraded) but still answers 200: this replica takes reports
    # as well as any other, and a load balancer must not drop every replica over a roster gap.
    covered = checks["on_call"] == "ok"
    return JSONResponse(
        {"status": "ready" if ready and covered else "degraded", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _on_call(runtime: RuntimeDep) -> str | dict[str, list[str]]:
    try:
        async with runtime.sessions() as session:
            missing = await asyncio.wait_for(uncovered_now(session, runtime.clock()), timeout=CHECK_TIMEOUT)
    except Exception:
        return "unknown"
    return {"nobody_on_call": missing} if missing else "ok"


@router.get("/metrics")
async def metrics(runtime: RuntimeDep) -> Response:
    metrics = runtime.metrics
    metrics.spool_depth.set(runtime.spool.depth())
    try:
        metrics.queue_lag.set(await runtime.queue.lag())
    except Exception:
        metrics.queue_lag.set(float("nan"))
    try:
        async with runtime.sessions() as session:
            pending = await session.scalar(
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.processed_at.is_(None))
            )
        metrics.outbox_pending.set(int(pending or 0))
    except Exception:
        metrics.outbox_pending.set(float("nan"))
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
