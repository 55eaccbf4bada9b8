"""``/healthz`` (the process is alive), ``/readyz`` (it can take reports), ``/metrics``."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

from hotline.core.http import RuntimeDep, client_address
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


def spool_free_bytes(runtime: RuntimeDep) -> int | None:
    """Free space on the spool's disk (the directory, or the nearest parent that exists)."""
    directory = runtime.spool.directory
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None


def _internal(request: Request) -> bool:
    """A caller on this host or a private network (a load balancer, Prometheus, a blackbox probe).

    The address is the proxy's view of the client only for HOTLINE_TRUSTED_PROXIES, so a caller
    from the Internet behind the proxy is not internal.
    """
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return address.is_loopback or address.is_private


@router.get("/readyz")
async def readyz(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Ready when the database and the queue answer. The spool keeps reports safe meanwhile,
    but a load balancer should prefer a replica that can store them directly.

    Which part failed, the spool's depth and free space, and which regions have nobody on call
    are told to internal callers only (issue 20: anyone could learn where nobody answers);
    others get the status alone.
    """
    checks: dict[str, Any] = {
        "database": "ok" if await _database_ok(runtime) else "unreachable",
        "queue": "ok" if await runtime.queue.ping() else "unreachable",
    }
    spool = runtime.spool.depth()
    checks["spool_depth"] = spool
    free = spool_free_bytes(runtime)
    checks["spool_free_bytes"] = free
    # Short of room, a report the database cannot take would be a 500 and Twilio would go to the
    # fallback URL: loud (degraded) before it happens.
    checks["spool"] = "ok" if free is not None and free >= runtime.settings.spool_min_free_bytes else "low"
    ready = checks["database"] == "ok" and checks["queue"] == "ok"
    checks["on_call"] = await _on_call(runtime) if checks["database"] == "ok" else "unknown"
    # Nobody on call is loud (status degraded) but still answers 200: this replica takes reports
    # as well as any other, and a load balancer must not drop every replica over a roster gap.
    covered = checks["on_call"] == "ok" and checks["spool"] == "ok"
    body: dict[str, Any] = {"status": "ready" if ready and covered else "degraded"}
    if _internal(request):
        body["checks"] = checks
    return JSONResponse(body, status_code=200 if ready else 503)


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
    free = spool_free_bytes(runtime)
    metrics.spool_free_bytes.set(float("nan") if free is None else free)
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
