"""The application factory. Engines, the queue and the worker are built in the lifespan."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hotline.auth.router import router as auth_router
from hotline.cases.router import router as cases_router
from hotline.console.bridge import router as console_bridge_router
from hotline.console.cases import router as console_cases_router
from hotline.console.router import router as console_router
from hotline.console.web import install_handlers as install_console
from hotline.core.config import Settings, load_settings
from hotline.core.db import warm_pool
from hotline.core.http import (
    BodyLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    document_errors,
    install_error_handlers,
)
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime, build_runtime
from hotline.intake.gateway import replay_spool
from hotline.intake.worker import Worker
from hotline.ivr.router import router as voice_router
from hotline.ops.router import router as ops_router
from hotline.referrals.partner_page import router as partner_page_router
from hotline.referrals.router import router as referrals_router
from hotline.routing.oncall import RosterOnCall
from hotline.routing.router import router as notify_router
from hotline.sms.language import preload as preload_language
from hotline.sms.router import router as sms_router
from hotline.sms.templates import default_templates
from hotline.stats.pages import router as stats_pages_router
from hotline.stats.router import router as stats_router
from hotline.training.router import install as install_training
from hotline.ussd.menu import default_screens
from hotline.ussd.router import router as ussd_router

log = get_logger(__name__)
SPOOL_REPLAY_EVERY = 5.0


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, with_worker: bool | None = None
) -> FastAPI:
    """Build the app. A given ``runtime`` (tests) is used as is and not closed by the app.

    ``with_worker`` defaults to True when there is no Redis: the in-process queue is only
    consumed by a worker living in the same process.
    """
    settings = settings or (runtime.settings if runtime else load_settings())
    for warning in settings.check_production():
        log.warning("config.warning", detail=warning)
    default_templates(), default_screens()  # a broken reply or screen file stops start-up
    preload_language()  # the triage knowledge: seconds to load, so not on the first text
    run_worker = with_worker if with_worker is not None else settings.redis_url is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        rt = runtime if runtime is not None else build_runtime(settings)
        rt.on_call = rt.on_call or RosterOnCall(rt)
        app.state.runtime = rt
        if own:
            await warm_pool(rt.engine)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_spool_replayer(rt, stop))]
        if run_worker:
            tasks.append(asyncio.create_task(Worker(rt).run(stop)))
        # What start-up built (modules, routes, mappers, templates) lives as long as the
        # process: frozen, the cyclic collector no longer walks it, so its full collections,
        # which a 500-row queue page triggers every few requests, cost a few ms instead of
        # ~100 ms (docs/performance.md).
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            stop.set()
            for task in tasks:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            if own:
                await rt.close()

    app = FastAPI(
        title="1503 hotline",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    if runtime is not None:
        runtime.on_call = runtime.on_call or RosterOnCall(runtime)
        app.state.runtime = runtime
    install_error_handlers(app)
    document_errors(app)
    for router in (
        ops_router,
        sms_router,
        voice_router,
        notify_router,
        ussd_router,
        auth_router,
        cases_router,
        console_router,
        console_cases_router,
        console_bridge_router,
        stats_router,
        stats_pages_router,
        referrals_router,
        partner_page_router,
    ):
        app.include_router(router)
    install_console(app)
    install_training(app)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware, production=settings.is_production)
    app.add_middleware(RequestContextMiddleware)
    # X-Forwarded-For/-Proto only from HOTLINE_TRUSTED_PROXIES (uvicorn's own handling is off in
    # `hotline serve`): a host reaching the app directly cannot pose as a USSD gateway or spread
    # its guesses over invented addresses.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


async def _spool_replayer(runtime: Runtime, stop: asyncio.Event) -> None:
    """Every API process drains its spool too: a worker on another host cannot see its disk."""
    while not stop.is_set():
        try:
            await replay_spool(runtime)
        except Exception as exc:
            log.info("spool.replay_deferred", reason=type(exc).__name__)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SPOOL_REPLAY_EVERY)
